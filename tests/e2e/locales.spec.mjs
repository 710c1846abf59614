// The extension's own pages in the browser's language (issue 15): Chromium started in French and
// in Chinese (Traditional) shows the options page and the popup from those catalogues, with
// every text taken from the shipped messages.json, never hard-coded here.
//
// Debian's Chromium honours --lang only with chromium-l10n installed. With --lang alone the
// pages' texts follow it while chrome.i18n.getUILanguage() and @@ui_locale still say en-US;
// LANGUAGE (as a desktop in that language sets it) makes them agree, so both are set.
import { test, expect, chromium } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromiumArgs, CHROMIUM, DIST, watchErrors } from './harness.mjs';

const catalogue = (lang) =>
  JSON.parse(fs.readFileSync(path.join(DIST, '_locales', lang, 'messages.json'), 'utf8'));
const english = catalogue('en');

/** A profile with the built extension, Chromium's UI in `flag` (BCP 47) / `posix`. */
async function launchIn(flag, posix) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-locale-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumArgs({ extra: [`--lang=${flag}`] }),
    env: { ...process.env, LANGUAGE: posix, LANG: 'C.UTF-8', LC_ALL: '' },
    viewport: { width: 1000, height: 900 },
  });
  const isOurs = (w) => w.url().endsWith('/background.js');
  const worker = context.serviceWorkers().find(isOurs)
    ?? await context.waitForEvent('serviceworker', { predicate: isOurs, timeout: 15_000 });
  return { context, userDataDir, extensionId: new URL(worker.url()).host };
}

for (const { lang, flag, posix } of [
  { lang: 'fr', flag: 'fr', posix: 'fr' },
  { lang: 'zh_TW', flag: 'zh-TW', posix: 'zh_TW' },
]) {
  test(`options page and popup read the ${lang} catalogue`, async () => {
    const messages = catalogue(lang);
    const msg = (key) => messages[key].message;
    // Texts that differ from English, so a page falling back to English cannot pass.
    for (const key of ['options_heading', 'options_connect', 'popup_change_requests', 'popup_view_all']) {
      expect(msg(key), key).not.toBe(english[key].message);
    }
    const { context, userDataDir, extensionId } = await launchIn(flag, posix);
    const watch = watchErrors(context, extensionId);
    try {
      const options = await context.newPage();
      await options.goto(`chrome-extension://${extensionId}/options.html`);
      await expect(options.getByRole('heading', { level: 1 })).toHaveText(msg('options_heading'));
      await expect(options.getByRole('button', { name: msg('options_connect'), exact: true })).toBeVisible();
      expect(await options.evaluate(() => chrome.i18n.getMessage('@@ui_locale'))).toBe(lang);

      const popup = await context.newPage();
      await popup.goto(`chrome-extension://${extensionId}/popup.html`);
      await expect(popup.getByText(msg('popup_change_requests'), { exact: true })).toBeVisible();
      await expect(popup.getByRole('link', { name: msg('popup_view_all'), exact: true })).toBeVisible();
      expect(watch.unexpected()).toEqual([]);
    } finally {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  });
}
