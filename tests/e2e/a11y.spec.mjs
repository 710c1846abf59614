// Languages and accessibility of snshare's surfaces (issue 15), in one browser whose UI is in
// English while the replica portal is in French:
// - the in-page UI (cards, task form) speaks the portal's language and declares it; its dates
//   are formatted for it; the extension pages keep the browser's language, with plural-correct
//   counts;
// - axe-core (from npm, evaluated in the page so a page CSP cannot refuse it; it enters snshare's
//   open shadow root) finds no WCAG 2.2 A/AA violation of any impact on a card, the task
//   form, the popup and the options page, in light, dark and forced-colours themes;
// - every control of the form is reached by Tab and shows a focus ring; the result of a send is
//   announced by a live region and takes the focus.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, PORTAL, ROOT, DIST, connect, sendFromExtensionPage, english } from './harness.mjs';

const AXE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');
const catalogue = (lang) =>
  JSON.parse(fs.readFileSync(path.join(DIST, '_locales', lang, 'messages.json'), 'utf8'));
const fr = catalogue('fr');
const en = catalogue('en');
const FR = (key) => fr[key].message;

/** WCAG 2.x A/AA violations of any impact inside `selector` (one or several; the whole page if none). */
async function axeProblems(page, selector) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const result = await page.evaluate(async (sel) => window.axe.run(sel ? { include: [sel].flat().map((s) => [s]) } : document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    resultTypes: ['violations'],
  }), selector);
  return result.violations
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' > ')).join(', ')}`);
}

/**
 * Tabs through the form; for each stop, its control's name and whether a focus ring is drawn.
 * A date input is several stops (its day, month and year, then its picker button, whose ring
 * Chromium draws on the button itself, out of getComputedStyle's reach): a control counts as
 * ringed when any of its stops shows the ring.
 */
async function tabStops(page, count) {
  const stops = [];
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    stops.push(await page.evaluate(() => {
      const root = document.querySelector('[data-snshare="form"]')?.shadowRoot;
      const el = root?.activeElement;
      if (!el) return { inside: false };
      const s = getComputedStyle(el);
      const label = el.id && root.querySelector(`label[for="${el.id}"]`);
      return {
        inside: true,
        name: (label?.textContent || el.getAttribute('aria-label') || el.textContent || '').trim(),
        ring: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2,
      };
    }));
  }
  return stops;
}

test('French portal, English browser: form and cards in French, dates for French, no axe violation in light, dark and forced colours', async ({ context, extensionId, sandbox, portal }) => {
  await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: 'snshare:AdminMFAV2:', user: 'snshare.integration' });
  const options = await connect(context, extensionId);
  expect(await options.evaluate(() => document.documentElement.lang)).toMatch(/^en/);

  await test.step('extension pages: browser language, plural-correct totals, axe', async () => {
    await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: true } });
    await expect.poll(async () => {
      const s = (await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: false } })).body.data;
      return !s.refreshing && s.fetched_at !== null && s.tickets.length;
    }, { timeout: 20_000 }).toBe(1);
    for (const scheme of ['light', 'dark']) {
      await options.emulateMedia({ colorScheme: scheme });
      expect(await axeProblems(options), `options, ${scheme}`).toEqual([]);
    }
    await options.emulateMedia({ colorScheme: 'light', forcedColors: 'active' });
    expect(await axeProblems(options), 'options, forced colours').toEqual([]);
    await options.emulateMedia({ colorScheme: 'light', forcedColors: 'none' });
    const popup = await context.newPage();
    await popup.goto(`chrome-extension://${extensionId}/popup.html`);
    // One incident: "1 ticket", not "1 tickets" (Intl.PluralRules picks the key).
    await expect(popup.getByLabel(en.popup_total_one.message.replace('$1', '1'), { exact: true })).toBeVisible();
    await expect(popup.getByLabel(en.popup_total_other.message.replace('$1', '0'), { exact: true })).toBeVisible();
    for (const scheme of ['light', 'dark']) {
      await popup.emulateMedia({ colorScheme: scheme });
      expect(await axeProblems(popup), `popup, ${scheme}`).toEqual([]);
    }
    await popup.emulateMedia({ colorScheme: 'light', forcedColors: 'active' });
    expect(await axeProblems(popup), 'popup, forced colours').toEqual([]);
    await popup.close();
  });

  const snapshot = (await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: false } })).body.data;
  const ticket = snapshot.tickets[0];
  await context.addCookies([{ name: 'replica-variant', value: 'grid-fr', url: PORTAL }]);
  await portal.goto(`${PORTAL}/homepage`);
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  expect(await portal.evaluate(() => document.documentElement.lang)).toBe('fr');

  const card = portal.getByRole('region', { name: FR('cards_incident_title'), exact: true });
  await test.step('card: French, dates for French, axe', async () => {
    await expect(card).toBeVisible({ timeout: 15_000 });
    await expect(card).toHaveAttribute('lang', 'fr');
    await expect(card.getByRole('button', { name: FR('cards_create'), exact: true })).toBeVisible();
    const frTime = await portal.evaluate((sn) => new Intl.DateTimeFormat('fr', { dateStyle: 'short', timeStyle: 'short' })
      .format(new Date(`${sn.replace(' ', 'T')}Z`)), ticket.updated_on);
    await expect(card.getByText(frTime, { exact: true })).toBeVisible();
    expect(await axeProblems(portal, `[data-snshare-card="incident"]`)).toEqual([]);
  });

  const dialog = portal.getByRole('dialog', { name: FR('form_title'), exact: true });
  await test.step('task form: French, due date for French, keyboard, axe', async () => {
    await card.getByRole('button', { name: FR('cards_create'), exact: true }).click();
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('textbox', { name: FR('form_name'), exact: true })).toBeVisible();
    const send = dialog.getByRole('button', { name: FR('form_send'), exact: true });
    await expect(send).toBeVisible({ timeout: 15_000 });
    const due = dialog.getByLabel(FR('form_due_date'), { exact: true });
    const dueValue = await due.inputValue();
    const frDay = await portal.evaluate((ymd) => {
      const [y, m, d] = ymd.split('-').map(Number);
      return new Intl.DateTimeFormat('fr', { dateStyle: 'full' }).format(new Date(y, m - 1, d, 12));
    }, dueValue);
    await expect(dialog.getByText(frDay, { exact: true })).toBeVisible();
    expect(await portal.evaluate(() => document.querySelector('[data-snshare="form"]').getAttribute('lang'))).toBe('fr');
    // Every control by Tab, each with a visible ring, up to the form's buttons; focus stays in.
    // (With a valid draft, so Send is ready; an invalid one leaves Send in the Tab order too.)
    await dialog.getByRole('textbox', { name: FR('form_name'), exact: true }).fill('Revue des comptes à privilèges');
    await expect(send).toBeEnabled();
    const stops = await tabStops(portal, 16);
    expect(stops.every((s) => s.inside), JSON.stringify(stops)).toBe(true);
    const ringed = new Map();
    for (const s of stops) ringed.set(s.name, (ringed.get(s.name) ?? false) || s.ring);
    expect([...ringed].filter(([, ring]) => !ring), JSON.stringify(stops)).toEqual([]);
    for (const name of [FR('form_name'), FR('form_due_date'), FR('form_send'), FR('form_cancel')]) {
      expect(ringed.has(name), `${name} reached by Tab: ${JSON.stringify(stops)}`).toBe(true);
    }
    expect(await axeProblems(portal, '[data-snshare="form"]')).toEqual([]);
  });

  await test.step('dark portal: form and card dark, axe', async () => {
    await portal.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    // The portal switched to a dark theme (its own palette, however it marks it).
    await portal.evaluate(() => {
      const s = document.documentElement.style;
      s.setProperty('--replica-bg', '#1b1a19');
      s.setProperty('--replica-surface', '#292827');
      s.setProperty('--replica-text', '#ffffff');
      s.setProperty('--replica-text-2', '#d2d0ce');
    });
    await card.getByRole('button', { name: FR('cards_create'), exact: true }).click();
    await expect(dialog).toBeVisible();
    expect(await portal.evaluate(() => document.querySelector('[data-snshare="form"]').dataset.theme)).toBe('dark');
    expect(await axeProblems(portal, '[data-snshare="form"]'), 'form, dark').toEqual([]);
    await portal.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    expect(await axeProblems(portal, '[data-snshare-card="incident"]'), 'card, dark').toEqual([]);
  });

  await test.step('forced colours: form and card, axe; a send is announced and focused', async () => {
    await portal.emulateMedia({ forcedColors: 'active' });
    expect(await axeProblems(portal, '[data-snshare-card="incident"]'), 'card, forced colours').toEqual([]);
    await card.getByRole('button', { name: FR('cards_create'), exact: true }).click();
    await expect(dialog).toBeVisible();
    expect(await axeProblems(portal, '[data-snshare="form"]'), 'form, forced colours').toEqual([]);
    await dialog.getByRole('textbox', { name: FR('form_name'), exact: true }).fill('Revue des comptes à privilèges');
    await dialog.getByRole('button', { name: FR('form_send'), exact: true }).press('Enter');
    const status = dialog.getByRole('status');
    await expect(status).toContainText(FR('form_created'), { timeout: 15_000 });
    const link = status.getByRole('link', { name: /^INC\d{7}$/ });
    await expect(link).toBeFocused();
  });
});

// The portal's dark palette (its own variables, however the portal marks its theme).
const DARK_PORTAL = { '--replica-bg': '#1b1a19', '--replica-surface': '#292827', '--replica-text': '#ffffff', '--replica-text-2': '#d2d0ce' };

/**
 * axe inside `selectors` in the light, dark and forced-colours themes, for a state that cannot
 * be redrawn (a send in flight, a result): the portal's palette is switched and snshare's
 * theme marks set as snshare sets them when it draws (how it picks the theme is the first
 * test's), then forced colours emulated. Leaves the light theme on.
 */
async function axeInEveryTheme(page, selectors, label) {
  const mark = (dark, palette) => page.evaluate(({ dark, palette }) => {
    for (const [k, v] of Object.entries(palette)) {
      if (dark) document.documentElement.style.setProperty(k, v); else document.documentElement.style.removeProperty(k);
    }
    document.documentElement.setAttribute('data-snshare-theme', dark ? 'dark' : 'light');
    const host = document.querySelector('[data-snshare="form"]');
    if (host) host.dataset.theme = dark ? 'dark' : 'light';
  }, { dark, palette });
  const found = {};
  await mark(false, DARK_PORTAL);
  found.light = await axeProblems(page, selectors);
  await mark(true, DARK_PORTAL);
  found.dark = await axeProblems(page, selectors);
  await mark(false, DARK_PORTAL);
  await page.emulateMedia({ forcedColors: 'active' });
  found.forced = await axeProblems(page, selectors);
  await page.emulateMedia({ forcedColors: 'none' });
  expect(found, label).toEqual({ light: [], dark: [], forced: [] });
}

test('the task form in every state, and the row and panel badges: no axe violation in light, dark and forced colours', async ({ context, extensionId, portal, sandbox }) => {
  test.setTimeout(150_000);
  const MFA = 'AdminMFAV2';
  const MFA_TITLE = 'Ensure multifactor authentication is enabled for all users in administrative roles';
  const INCIDENTS = '/api/now/table/incident';
  await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: `snshare:${MFA}:`, user: 'snshare.integration' });
  const options = await connect(context, extensionId);
  await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: true } });
  await expect.poll(async () => {
    const s = (await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: false } })).body.data;
    return !s.refreshing && s.fetched_at !== null && s.tickets.length;
  }, { timeout: 20_000 }).toBe(1);
  await portal.goto(`${PORTAL}/securescore?viewid=actions`);
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  await portal.evaluate(() => __replica.ready);

  await test.step('badges on the row and in the detail panel', async () => {
    const rowBadge = portal.locator('.snshare-slot .snshare-badge');
    await expect(rowBadge).toHaveCount(1, { timeout: 15_000 });
    await portal.evaluate((id) => __replica.navigate(`/securescore?viewid=actions&actionId=${id}`), MFA);
    await expect(portal.locator('.snshare-panel-badges .snshare-badge')).toHaveCount(1, { timeout: 15_000 });
    await axeInEveryTheme(portal, ['.snshare-slot', '.snshare-panel-badges'], 'badges');
    await portal.evaluate(() => __replica.navigate('/securescore?viewid=actions'));
    await expect(portal.locator('.snshare-panel-badges')).toHaveCount(0);
  });

  const dialog = portal.getByRole('dialog', { name: english('form_title') });
  const FORM = '[data-snshare="form"]';
  const name = dialog.getByRole('textbox', { name: english('form_name') });
  const send = dialog.getByRole('button', { name: english('form_send') });
  await portal.getByRole('button', { name: english('portal_share_row', MFA_TITLE), exact: true }).click();

  await test.step('duplicate warning', async () => {
    const duplicates = dialog.getByRole('region', { name: english('form_duplicate_heading') });
    await expect(duplicates).toBeVisible({ timeout: 15_000 });
    await expect(duplicates.getByRole('link', { name: /^INC\d{7}$/ })).toHaveCount(1);
    await axeInEveryTheme(portal, FORM, 'form, duplicate warning');
    await duplicates.getByRole('button', { name: english('form_create_another') }).click();
    await expect(send).toBeEnabled();
  });

  await test.step('validation error', async () => {
    await name.fill('');
    // Send is aria-disabled, never out of reach: pressed, it names the error.
    await send.focus();
    await portal.keyboard.press('Enter');
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.locator('#snshare-err-name')).toHaveText(english('field_error_name_required'));
    await axeInEveryTheme(portal, FORM, 'form, validation error');
  });

  await test.step('a failure with Retry', async () => {
    await name.fill('Audited in every state');
    await sandbox.fault({ kind: 'status', status: 400, count: 1, path_prefix: INCIDENTS, method: 'POST' });
    await send.click();
    const retry = dialog.getByRole('alert').getByRole('button', { name: english('form_retry') });
    await expect(retry).toBeVisible({ timeout: 30_000 });
    await axeInEveryTheme(portal, FORM, 'form, failure with Retry');
  });

  await test.step('sending, then the result: the ticket number shown', async () => {
    // The worker held busy for 14 s (under the content script's 15 s wait for any answer): the
    // retry waits for it, so the form stays in its sending state for three audits however
    // loaded the machine is.
    const worker = context.serviceWorkers().filter((w) => w.url().endsWith('/background.js')).at(-1);
    let released = false;
    const held = worker.evaluate((ms) => { const end = Date.now() + ms; while (Date.now() < end); }, 14_000)
      .then(() => { released = true; });
    // The worker is busy once it no longer answers the page.
    await portal.waitForTimeout(200);
    await dialog.getByRole('alert').getByRole('button', { name: english('form_retry') }).click();
    await expect(dialog.getByRole('status')).toHaveText(english('form_sending'));
    await axeInEveryTheme(portal, FORM, 'form, sending');
    expect(released, 'the audits ended while the worker was still held').toBe(false);
    await expect(dialog.getByRole('status')).toHaveText(english('form_sending'));
    await held;
    const link = dialog.getByRole('status').getByRole('link', { name: /^INC\d{7}$/ });
    await expect(link).toBeVisible({ timeout: 30_000 });
    await axeInEveryTheme(portal, FORM, 'form, result');
  });
});

// The row's share icon is a frame with a sidebar line (`.snshare-share::before`), drawn with
// solid fills only: a gradient drew the same pixels but cost the portal's frames 15-20 ms of
// paint per page load (issue 17). The line is the pseudo-element's content box filled with the
// text colour, which forced colours would turn into the system's Canvas: there the icon takes
// the button's system text colour.
test('the share icon: frame and sidebar line in the button\'s own colour in light, dark and forced colours, solid fills only', async ({ portal }) => {
  await portal.goto(`${PORTAL}/securescore?viewid=actions`);
  await portal.evaluate(() => __replica.ready);
  const button = portal.locator('.snshare-share').first();
  await expect(button).toBeVisible({ timeout: 15_000 });
  const icon = () => button.evaluate((b) => {
    const s = getComputedStyle(b, '::before');
    const px = (v) => parseFloat(v);
    return {
      color: getComputedStyle(b).color,
      frame: s.borderLeftColor,
      line: s.backgroundColor,
      clip: s.backgroundClip,
      image: s.backgroundImage,
      lineAt: px(s.borderLeftWidth) + px(s.paddingLeft),
      lineWidth: px(s.width) - px(s.borderLeftWidth) - px(s.borderRightWidth) - px(s.paddingLeft) - px(s.paddingRight),
      width: px(s.width),
    };
  });
  const seen = {};
  for (const mode of ['light', 'dark', 'forced']) {
    await portal.evaluate((dark) => document.documentElement.setAttribute('data-snshare-theme', dark ? 'dark' : 'light'), mode === 'dark');
    await portal.emulateMedia({ forcedColors: mode === 'forced' ? 'active' : 'none' });
    const i = await icon();
    seen[mode] = {
      frame: i.frame === i.color, line: i.line === i.color, clip: i.clip, image: i.image,
      // A line (not a filled box) in the frame's left half.
      inside: i.lineAt >= 3 && i.lineWidth >= 1 && i.lineAt + i.lineWidth <= i.width / 2,
    };
  }
  const drawn = { frame: true, line: true, clip: 'content-box', image: 'none', inside: true };
  expect(seen).toEqual({ light: drawn, dark: drawn, forced: drawn });
});
