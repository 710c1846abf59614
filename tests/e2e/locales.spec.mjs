// snshare in each of its six languages (issue 15), one browser launch per language: Chromium
// started in that language shows the options page and the popup from its catalogue, connects,
// and on the replica portal in the same language the cards and the share flow (row button,
// form, Send, the ticket created) speak it too; every surface declares the language it shows
// (`lang`), dates are formatted for it, and a screenshot of each surface is attached to the
// test's report. The English browser then meets the Italian portal: the in-page UI follows the
// portal. Every text is taken from the shipped messages.json, never hard-coded here.
//
// Debian's Chromium honours --lang only with chromium-l10n installed. With --lang alone the
// pages' texts follow it while chrome.i18n.getUILanguage() and @@ui_locale still say en-US;
// LANGUAGE (as a desktop in that language sets it) makes them agree, so both are set.
import { chromium } from '@playwright/test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  test, expect, chromiumArgs, grantedExtensionDir, sendFromExtensionPage, watchErrors, CHROMIUM, DIST, PORTAL,
  INSTANCE, DEMO_CLIENT, INTEGRATION_USER,
} from './harness.mjs';

test.describe.configure({ timeout: 120_000 });

const catalogue = (lang) =>
  JSON.parse(fs.readFileSync(path.join(DIST, '_locales', lang, 'messages.json'), 'utf8'));
const english = catalogue('en');
const words = (messages) => (key, ...subs) =>
  messages[key].message.replace(/\$(\d)/g, (whole, n) => (subs[n - 1] === undefined ? whole : String(subs[n - 1])));
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A `lang` that declares `tag` (`en` is declared by `en` or `en-US`). */
const declares = (tag) => new RegExp(`^${escape(tag)}(-|$)`, 'i');

/** A profile with the built extension (the instance granted), Chromium's UI in `flag` / `posix`. */
async function launchIn(flag, posix, { servers, sandbox }) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-locale-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: chromiumArgs({
      portalPort: servers.replicas.none.port, sandboxPort: sandbox.port, extensionDir: grantedExtensionDir(),
      extra: [`--lang=${flag}`],
    }),
    env: { ...process.env, LANGUAGE: posix, LANG: 'C.UTF-8', LC_ALL: '' },
    viewport: { width: 1280, height: 900 },
    ignoreHTTPSErrors: true,
  });
  const isOurs = (w) => w.url().endsWith('/background.js');
  const worker = context.serviceWorkers().find(isOurs)
    ?? await context.waitForEvent('serviceworker', { predicate: isOurs, timeout: 15_000 });
  return { context, userDataDir, extensionId: new URL(worker.url()).host };
}

/** The options page's password sign-in, by the page's own (translated) names. */
async function connectIn(options, msg) {
  await options.getByRole('textbox', { name: msg('options_instance'), exact: true }).fill(INSTANCE);
  await options.getByRole('textbox', { name: msg('options_client_id'), exact: true }).fill(DEMO_CLIENT.id);
  await options.getByLabel(msg('options_client_secret'), { exact: true }).fill(DEMO_CLIENT.secret);
  await options.getByText(msg('options_password_summary'), { exact: true }).click();
  await options.getByRole('textbox', { name: msg('options_username'), exact: true }).fill(INTEGRATION_USER.user);
  await options.getByLabel(msg('options_password'), { exact: true }).fill(INTEGRATION_USER.password);
  await options.getByRole('button', { name: msg('options_password_sign_in'), exact: true }).click();
  await expect.poll(async () => (await sendFromExtensionPage(options, { type: 'get_status' })).body.data.state, { timeout: 20_000 })
    .toBe('connected');
}

/** A screenshot in the test's report, named for the language and the surface. */
async function shot(target, testInfo, name) {
  await testInfo.attach(name, { body: await target.screenshot(), contentType: 'image/png' });
}

/** The portal's cards and share flow, checked in the words of `msg`, declared as `lang`. */
async function portalIn(portal, msg, lang, testInfo, label, { fromCard = false } = {}) {
  await portal.goto(`${PORTAL}/homepage`);
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  expect(await portal.evaluate(() => document.documentElement.lang)).toBe(lang);
  const card = portal.getByRole('region', { name: msg('cards_incident_title'), exact: true });
  await expect(card).toBeVisible({ timeout: 15_000 });
  await expect(card).toHaveAttribute('lang', declares(lang));
  await expect(card.getByRole('button', { name: msg('cards_create'), exact: true })).toBeVisible();
  const latest = card.getByRole('list', { name: msg('cards_latest'), exact: true });
  await expect(latest.getByRole('link', { name: /^INC\d{7}$/ }).first()).toBeVisible({ timeout: 15_000 });
  // The ticket's time as Intl writes it in the portal's language.
  const time = latest.locator('time').first();
  const updated = await time.getAttribute('datetime');
  expect(await time.textContent()).toBe(await portal.evaluate(({ l, d }) => new Intl.DateTimeFormat(l, { dateStyle: 'short', timeStyle: 'short' })
    .format(new Date(d)), { l: lang, d: updated }));
  await shot(card, testInfo, `${label}: incident card`);

  const dialog = portal.getByRole('dialog', { name: msg('form_title'), exact: true });
  const name = dialog.getByRole('textbox', { name: msg('form_name'), exact: true });
  const send = dialog.getByRole('button', { name: msg('form_send'), exact: true });
  if (fromCard) {
    // The card's Create ticket: a ticket without an action, named by the user.
    await card.getByRole('button', { name: msg('cards_create'), exact: true }).click();
    await expect(dialog).toBeVisible();
    await name.fill('Revisione degli accessi privilegiati');
  } else {
    // A row's share button: the action's title prefilled.
    await portal.goto(`${PORTAL}/securescore?viewid=actions`);
    await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
    await portal.evaluate(() => __replica.ready);
    // Any space (French puts a no-break space before the colon; accessible names are matched
    // with their whitespace normalised).
    const share = new RegExp(`^${escape(msg('portal_share_row')).replace('\\$1', '.+').replace(/\s+/g, '\\s+')}$`);
    await portal.getByRole('button', { name: share }).first().click();
    await expect(dialog).toBeVisible();
    await expect(name).not.toHaveValue('');
  }
  expect(await portal.evaluate(() => document.querySelector('[data-snshare="form"]').getAttribute('lang'))).toMatch(declares(lang));
  await expect(send).toBeEnabled({ timeout: 15_000 });
  await shot(dialog, testInfo, `${label}: task form`);
  await send.click();
  const status = dialog.getByRole('status');
  await expect(status).toContainText(msg('form_created'), { timeout: 30_000 });
  await expect(status.getByRole('link', { name: /^INC\d{7}$/ })).toBeFocused();
  await shot(dialog, testInfo, `${label}: ticket created`);
  await dialog.getByRole('button', { name: msg('form_close'), exact: true }).click();
  await expect(dialog).toHaveCount(0);
}

for (const { lang, flag, posix, variant, portalLang } of [
  { lang: 'en', flag: 'en-US', posix: 'en_US', variant: 'grid-en', portalLang: 'en' },
  { lang: 'fr', flag: 'fr', posix: 'fr', variant: 'grid-fr', portalLang: 'fr' },
  { lang: 'it', flag: 'it', posix: 'it', variant: 'table-it', portalLang: 'it' },
  { lang: 'nl', flag: 'nl', posix: 'nl', variant: 'grid-nl', portalLang: 'nl' },
  { lang: 'sv', flag: 'sv', posix: 'sv', variant: 'grid-sv', portalLang: 'sv' },
  { lang: 'zh_TW', flag: 'zh-TW', posix: 'zh_TW', variant: 'grid-zh', portalLang: 'zh-TW' },
]) {
  const title = lang === 'en'
    ? 'browser in en: pages, cards and the share flow in English; the Italian portal gets the in-page UI in Italian'
    : `browser in ${lang}: pages, cards and the share flow read the ${lang} catalogue and declare it`;
  test(title, async ({ servers, sandbox }, testInfo) => {
    const messages = catalogue(lang);
    const msg = words(messages);
    // Texts that differ from English, so a surface falling back to English cannot pass.
    if (lang !== 'en') {
      for (const key of ['options_heading', 'options_connect', 'popup_change_requests', 'popup_view_all', 'cards_incident_title',
        'cards_create', 'form_title', 'form_send', 'form_created']) {
        expect(msg(key), key).not.toBe(english[key].message);
      }
    }
    // A ticket of an action the portal does not list: the card has one, no row a duplicate.
    await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: 'snshare:LocaleSeed:', user: 'snshare.integration' });
    const { context, userDataDir, extensionId } = await launchIn(flag, posix, { servers, sandbox });
    const watch = watchErrors(context, extensionId);
    try {
      const options = await context.newPage();
      await options.goto(`chrome-extension://${extensionId}/options.html`);
      await expect(options.getByRole('heading', { level: 1 })).toHaveText(msg('options_heading'), { timeout: 20_000 });
      await expect(options.getByRole('button', { name: msg('options_connect'), exact: true })).toBeVisible();
      expect(await options.evaluate(() => chrome.i18n.getMessage('@@ui_locale'))).toMatch(new RegExp(`^${lang}(_|$)`));
      expect(await options.evaluate(() => document.documentElement.lang)).toMatch(declares(portalLang));
      await shot(options, testInfo, `${lang}: options page`);
      await connectIn(options, msg);

      const popup = await context.newPage();
      await popup.goto(`chrome-extension://${extensionId}/popup.html`);
      await expect(popup.getByText(msg('popup_change_requests'), { exact: true })).toBeVisible();
      await expect(popup.getByRole('link', { name: msg('popup_view_all'), exact: true })).toBeVisible();
      expect(await popup.evaluate(() => document.documentElement.lang)).toMatch(declares(portalLang));
      await shot(popup, testInfo, `${lang}: popup`);
      await popup.close();

      const portal = await context.newPage();
      await context.addCookies([{ name: 'replica-variant', value: variant, url: PORTAL }]);
      await portalIn(portal, msg, portalLang, testInfo, lang);

      if (lang === 'en') {
        // The Italian portal in an English browser: the in-page UI follows the portal.
        const italian = words(catalogue('it'));
        await context.addCookies([{ name: 'replica-variant', value: 'table-it', url: PORTAL }]);
        await portalIn(portal, italian, 'it', testInfo, 'en browser, it portal', { fromCard: true });
      }
      expect(watch.unexpected()).toEqual([]);
    } finally {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  });
}
