// Issue 12: snshare on the portal as Fluent UI v8 renders it (portal.md, "What the real portal's
// component library does"), on every replica variant, under both page CSPs, and shaken.
//
// Written against the product's contract (product.md: roles and accessible names of the share
// controls, "Share to ServiceNow" form, the records' correlation ids in the sandbox), never
// against snshare's own markup. The replica's test API (window.__replica) is the oracle for what
// the page shows; nothing it knows is in the page's markup.
//
// The first describe block checks the replicas themselves, without the extension, so a later edit
// cannot quietly make them easier than the real portal.
import { chromium } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import {
  test, expect, PORTAL, PORTAL_HOST, INSTANCE_HOST, CHROMIUM, DIST, ROOT, CELL, INTEGRATION_USER, connect, launchExtension, grantedExtensionDir, watchErrors,
} from './harness.mjs';

const OLD = ['grid-en', 'table-it', 'grid-zh', 'grid-sv', 'grid-fr', 'grid-nl', 'grid-noheaders'];
const FLUENT = ['fluent-en', 'fluent-fr', 'fluent-sv', 'fluent-renamed'];
// What fluent-renamed changes is recognition (no known header, no link: the list found by its
// column keys; an untitled description): its panel, rows and menu, share, shaken and tracking
// tests cover it. The behaviours the other Fluent variants show (keyboard, id resolution, UPN,
// the menu's and class names' replica traits) do not depend on a header's name: not run again.
const FLUENT_BEHAVIOUR = FLUENT.filter((v) => v !== 'fluent-renamed');
const VARIANTS = [...OLD, ...FLUENT];
/** The shaker's seed for each variant (the replica's cookie replica-shake; one seed, one page). */
const SHAKE_SEED = Object.fromEntries(VARIANTS.map((v, i) => [v, 1000 + i * 37]));
const CSPS = ['none', 'strict'];
// Under the strict page CSP the content script runs the JS build of the same Rust core: the CSP
// changes how the core loads, not how it reads markup. The row, menu and share scenarios run
// there on one variant of each family (linked grid, table, Fluent); every variant runs them
// without a CSP, shaken, and the Fluent variants' keyboard, id and UPN tests run there only.
const VARIANTS_UNDER = { none: VARIANTS, strict: ['grid-en', 'table-it', 'fluent-en'] };
const FLUENT_UNDER = { none: FLUENT, strict: ['fluent-en'] };
const MFA = 'AdminMFAV2';
const MFA_TITLE = 'Ensure multifactor authentication is enabled for all users in administrative roles';
const UPN = 'MeganB@contoso.onmicrosoft.com';
const PUA = /[\uE000-\uF8FF]/;

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// The in-page UI speaks the portal's language (issue 15): expected texts come from the
// catalogue of the page's <html lang>, whatever the browser's.
const CATALOGUES = Object.fromEntries(['en', 'it', 'sv', 'fr', 'nl', 'zh_TW'].map((l) =>
  [l, JSON.parse(fs.readFileSync(path.join(DIST, '_locales', l, 'messages.json'), 'utf8'))]));
/** The catalogue snshare speaks on this page (that of its <html lang>, else English). */
async function catalogueOf(page) {
  const lang = (await page.evaluate(() => document.documentElement.lang)).replace('-', '_');
  return CATALOGUES[lang] ?? CATALOGUES[lang.split('_')[0]] ?? CATALOGUES.en;
}
/** `key` of a catalogue, `$1`… replaced by `subs`. */
const say = (messages, key, ...subs) =>
  subs.reduce((m, sub, i) => m.replace(`$${i + 1}`, () => sub), messages[key].message);
/** The text snshare shows for `key` on this page, `$1`… replaced by `subs`. */
async function ui(page, key, ...subs) {
  return say(await catalogueOf(page), key, ...subs);
}
/** A row share button's name, in any of the six languages ("Share to ServiceNow…"). */
const SHARE_ROW = new RegExp(`^(${Object.values(CATALOGUES).map((m) => escapeRe(m.portal_share_short.message)).join('|')})`);
/** The task form; its name has "ServiceNow" in every language. */
const form = (page) => page.getByRole('dialog', { name: /ServiceNow/ });

async function setCookies(context, cookies, origin = PORTAL) {
  await context.addCookies(Object.entries(cookies).map(([name, value]) => ({ name, value: String(value), url: origin })));
}

/** Opens a portal page with replica cookies and waits until the page has rendered. */
async function open(page, path, cookies = {}, origin = PORTAL) {
  await setCookies(page.context(), cookies, origin);
  await page.goto(origin + path);
  await page.evaluate(() => __replica.ready);
}

/** Waits until a virtual list stops recycling (scroll anchoring can move it after a scroll). */
async function settle(page) {
  let last = '';
  for (let i = 0; i < 30; i++) {
    const now = JSON.stringify(await page.evaluate(() => __replica.visibleRows().map((r) => r.id)));
    if (now === last) return;
    last = now;
    await page.waitForTimeout(100);
  }
}

/**
 * The rows by role (as a user finds them), and for each locator of `found` (by role and name),
 * each element it finds with the rows that contain it, as indexes into `page.getByRole('row')`
 * (and with `innerText`, its text as `allInnerTexts` reads it). One query per locator instead
 * of one per row and locator: the rows are found by role once and kept in the page for the
 * queries that follow, each of which would otherwise find every row again (a scoped query per
 * row made an audit of 40 rows ~150 round trips, each walking the whole page).
 */
async function inRowsByRole(page, found, { innerText = false } = {}) {
  const rows = await page.getByRole('row').evaluateAll((els) => {
    window.__snshareTestRows = new Map(els.map((el, i) => [el, i]));
    return els.length;
  });
  const items = [];
  for (const locator of found) {
    items.push(await locator.evaluateAll((els, text) => {
      const map = window.__snshareTestRows;
      return els.map((el) => {
        const within = [];
        // Up through shadow roots too: a scoped role query reaches into them.
        for (let n = el; n; n = n.parentNode ?? n.host) if (map.has(n)) within.push(map.get(n));
        return { rows: within, text: text ? el.innerText : null };
      });
    }, innerText));
  }
  return { rows, items };
}

/** How many of `items` (from inRowsByRole) are in each of `count` rows. */
const perRow = (items, count) => {
  const n = Array(count).fill(0);
  for (const item of items) for (const k of item.rows) n[k] += 1;
  return n;
};

/**
 * Every action row on screen has exactly one share button, found as a user finds it (role
 * button, name starting "Share to ServiceNow"), and when its name names an action it is this
 * row's. Returns the problems (empty when all is well).
 */
async function audit(page) {
  const rows = await page.evaluate(() => __replica.visibleRows());
  const messages = await catalogueOf(page);
  const problems = [];
  const byRole = page.getByRole('row');
  // Every share button of the page, and which row holds each; and the buttons named after
  // their own row's action (found within that row by role and exact name) or with the short
  // name, for all rows in one query.
  let named = page.getByRole('button', { name: say(messages, 'portal_share_short'), exact: true });
  rows.forEach((r, k) => {
    named = named.or(byRole.nth(k + 1).getByRole('button', { name: say(messages, 'portal_share_row', r.title), exact: true }));
  });
  const { rows: n, items: [shares, own] } = await inRowsByRole(page, [page.getByRole('button', { name: SHARE_ROW }), named]);
  if (n !== rows.length + 1) problems.push(`${n} rows by role for ${rows.length} action rows + header`);
  const all = perRow(shares, n);
  const ownName = perRow(own, n);
  for (let k = 0; k < rows.length && !problems.length; k++) {
    if (all[k + 1] !== 1) { problems.push(`${rows[k].id}: ${all[k + 1]} share buttons`); continue; }
    if (ownName[k + 1] !== 1) problems.push(`${rows[k].id}: its button names another action`);
  }
  const total = shares.length;
  if (total !== rows.length) problems.push(`${total} share buttons for ${rows.length} rows`);
  return { rows: rows.length, problems };
}

async function expectOneButtonPerRow(page) {
  // The bound is for a slow machine (an audit is five round trips, whatever the row count).
  await expect.poll(async () => (await audit(page)).problems, { timeout: 30_000 }).toEqual([]);
}

/**
 * The row's share button opens the form for the row's action: task name = its title, and the
 * link back carries its id when the page showed it (the row's link). Checked on a few rows that
 * are wholly on screen, so the click scrolls (and recycles) nothing.
 */
async function expectBoundToRows(page, count = 3) {
  for (let i = 0; i < count; i++) {
    // Read what is on screen right before each click: the form's Escape gives focus back to the
    // button, and a list may move under it.
    await settle(page);
    const rows = (await page.evaluate(() => __replica.visibleRows())).filter((r) => r.onScreen && r.title.length <= 160);
    expect(rows.length).toBeGreaterThan(2);
    const r = rows[[0, Math.floor(rows.length / 2), rows.length - 1][i % 3]];
    // Found by the title it shows at click time.
    await rowOf(page, r.title).getByRole('button', { name: SHARE_ROW }).click();
    const dialog = form(page);
    await expect(dialog.getByRole('textbox', { name: await ui(page, 'form_name') })).toHaveValue(r.title);
    if (r.link) {
      await expect(dialog.getByRole('textbox', { name: await ui(page, 'form_description') })).toHaveValue(new RegExp(`actionId=${escapeRe(r.id)}(\\b|$)`));
    }
    await page.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
  }
}

/** The portal's own Share-menu item names in the page's language. */
const ownItems = (page) => page.evaluate(() => Object.values(__replica.strings.menu));

/** The Share menu holds exactly one "ServiceNow" item and each of the portal's items once. */
async function expectOneServiceNowItem(page) {
  const menu = page.getByRole('menu');
  await expect(menu).toHaveCount(1);
  await expect(menu.getByRole('menuitem', { name: 'ServiceNow', exact: true })).toHaveCount(1);
  for (const name of await ownItems(page)) {
    await expect(menu.getByRole('menuitem', { name, exact: true })).toHaveCount(1);
  }
  await expect(menu.getByRole('menuitem')).toHaveCount((await ownItems(page)).length + 1);
}

/** The detail panel as the variant draws it: a dialog (ARIA or native), a complementary pane,
 *  or a region named by its heading, the action's title (grid-sv). */
function detailPanel(page, title = MFA_TITLE) {
  return page.getByRole('dialog').or(page.getByRole('complementary')).or(page.getByRole('region', { name: title, exact: true }));
}

/** The detail panel's Share button, by the page's name for it. */
async function shareButton(page) {
  const share = await page.evaluate(() => __replica.strings.share);
  return detailPanel(page).getByRole('button', { name: share, exact: true });
}

/** The Send button once the form's checks are done. */
async function sendReady(page) {
  const send = form(page).getByRole('button', { name: await ui(page, 'form_send') });
  await expect(send).toBeVisible({ timeout: 15_000 });
  await expect(send).toBeEnabled();
  return send;
}

const recordsFor = async (sandbox, table, id) => (await sandbox.records(table))
  .filter((r) => String(r.correlation_id).startsWith(`snshare:${id}:`));

/** Whether focus is on (or in) the element, looking through open shadow roots. */
const hasFocus = (target) => target.evaluate((el) => {
  let active = document.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
  return el === active || el.contains(active);
}, null, { timeout: 2_000 });

/**
 * The page never showed the UPN (its account flyout was not opened) and nothing is set in the
 * options: the form asks for the user ID (product.md: never sent blank). Typed as a user does,
 * which also proves the field takes input where the form is mounted.
 */
async function giveUserIdIfAsked(page, { keyboard = false } = {}) {
  const user = form(page).getByRole('textbox', { name: await ui(page, 'form_user_id') });
  await expect(user).toBeVisible();
  if (await user.inputValue()) return;
  if (keyboard) await tabTo(page, user); else await user.click();
  await page.keyboard.type(UPN);
  await expect(user).toHaveValue(UPN);
}

/** Presses Tab until `target` has focus (keyboard only), at most `max` times. */
async function tabTo(page, target, max = 40) {
  await expect(target).toBeVisible();
  for (let i = 0; i < max && !await hasFocus(target); i++) await page.keyboard.press('Tab');
  await expect(target).toBeFocused();
}

/** Moves through an open menu with ArrowDown until the named item has focus. */
async function arrowTo(page, item, max = 8) {
  await expect(item).toBeVisible();
  for (let i = 0; i < max && !await hasFocus(item); i++) await page.keyboard.press('ArrowDown');
  await expect(item).toBeFocused();
}

/** The list row showing this title. */
const rowOf = (page, title) => page.getByRole('row').filter({ has: page.getByText(title, { exact: true }) });

/** Opens an action's panel from the list as a user does: a click on its title (a link, a
 *  button, or plain text in a row that opens the panel itself). */
async function openFromList(page, title) {
  // Near the start of the title: a long title is cut off at the end (ellipsis), where a click
  // lands on its container, as a user's would.
  await rowOf(page, title).getByText(title, { exact: true }).click({ position: { x: 6, y: 6 } });
  await expect(page.getByRole('dialog')).toBeVisible();
}

/** The same by keyboard: Enter on the title's link or button, else on the row. */
async function openFromListByKeyboard(page, title) {
  const row = rowOf(page, title);
  const control = row.getByRole('button', { name: title, exact: true }).or(row.getByRole('link', { name: title, exact: true }));
  if (await control.count()) await control.focus(); else await row.focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toBeVisible();
}

/** A row's share button, as a user finds it: named after the action, or plain in its row. */
async function rowShareButton(page, title) {
  const button = page.getByRole('button', { name: await ui(page, 'portal_share_row', title), exact: true })
    .or(rowOf(page, title).getByRole('button', { name: await ui(page, 'portal_share_short'), exact: true }));
  await expect(button).toBeVisible({ timeout: 15_000 });
  return button;
}

/**
 * On an action's panel: the Share menu's ServiceNow item by mouse opens the action's form; then
 * keyboard only (Share button, arrows, Enter, Tab, Enter) a ticket is created whose correlation
 * id carries the action's id; then, back on the list, a row's share button by keyboard opens
 * its action's form.
 */
async function shareFromMenuAndRowWithoutAMouse(context, extensionId, page, sandbox, share) {
  const dialog = form(page);
  await share.click();
  await page.getByRole('menu').getByRole('menuitem', { name: 'ServiceNow', exact: true }).click();
  await expect(dialog.getByRole('textbox', { name: await ui(page, 'form_name') })).toHaveValue(MFA_TITLE);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(share).toBeFocused();

  await (await connect(context, extensionId)).close();
  await page.bringToFront();
  await tabTo(page, share);
  await page.keyboard.press('ArrowDown');
  await arrowTo(page, page.getByRole('menuitem', { name: 'ServiceNow', exact: true }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('textbox', { name: await ui(page, 'form_name') })).toHaveValue(MFA_TITLE);
  await giveUserIdIfAsked(page, { keyboard: true });
  await sendReady(page);
  await tabTo(page, dialog.getByRole('button', { name: await ui(page, 'form_send') }));
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
  expect(await recordsFor(sandbox, 'incident', MFA)).toHaveLength(1);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(share).toBeFocused();

  await page.evaluate(() => __replica.navigate('/securescore?viewid=actions'));
  await page.evaluate(() => __replica.ready);
  await settle(page);
  const row = await page.evaluate((id) => __replica.visibleRows().find((r) => r.onScreen && r.id !== id && r.title.length < 160), MFA);
  await (await rowShareButton(page, row.title)).focus();
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('textbox', { name: await ui(page, 'form_name') })).toHaveValue(row.title);
  await expect(dialog.getByRole('textbox', { name: await ui(page, 'form_description') })).toHaveValue(new RegExp(`actionId=${escapeRe(row.id)}$`));
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
}

// =============================================================================================
// The replicas themselves (no extension): the traits the real portal has
// =============================================================================================
const plainTest = test.extend({
  // One browser per worker and page CSP, started when a test first needs it; each test gets a
  // context of its own (cookies, storage), which costs a fraction of a browser's start.
  plainBrowser: [async ({ servers }, use) => {
    const browsers = new Map();
    await use(async (csp) => {
      if (!browsers.has(csp)) {
        browsers.set(csp, chromium.launch({
          executablePath: CHROMIUM,
          args: [`--host-resolver-rules=MAP ${PORTAL_HOST} 127.0.0.1:${servers.replicas[csp].port}, EXCLUDE localhost`,
            '--ignore-certificate-errors', '--no-sandbox', '--disable-gpu'],
        }));
      }
      return browsers.get(csp);
    });
    await Promise.all([...browsers.values()].map(async (b) => (await b).close()));
  }, { scope: 'worker' }],
  plain: async ({ plainBrowser, csp }, use) => {
    const context = await (await plainBrowser(csp)).newContext({ ignoreHTTPSErrors: true, viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    await use(page);
    await context.close();
  },
});

// Tests of the test double (tagged @replica, counted apart from snshare's own tests). The traits
// are the markup's, the same under either CSP; the strict CSP's replica is exercised by every
// strict test of snshare below.
plainTest.describe('the Fluent replicas have the real portal\'s traits (no extension)', { tag: '@replica' }, () => {
  for (const csp of ['none']) {
    plainTest.describe(`csp ${csp}`, () => {
      plainTest.use({ csp });

      plainTest('fluent-en: no actionId anywhere in the rows; cells inside a wrapper; glyphs in header text', async ({ plain: page }) => {
        await open(page, '/securescore?viewid=actions', { 'replica-variant': 'fluent-en' });
        const facts = await page.evaluate(() => {
          const grid = document.querySelector('[role="grid"]');
          const rows = [...grid.querySelectorAll('[role="row"]')].slice(1);
          const cells = [...grid.querySelectorAll('[data-automationid="DetailsRowCell"]')];
          const header = [...grid.querySelectorAll('[role="columnheader"]')].find((h) => h.textContent.includes(__replica.headers.title));
          const titleCell = rows[0].querySelector('[data-automation-key="title"]');
          return {
            rows: rows.length,
            idInRows: rows.some((r) => /actionId/i.test(r.outerHTML) || r.querySelector('a[href]')),
            titleTag: titleCell.querySelector('button, a')?.tagName,
            titleHref: titleCell.querySelector('button, a')?.hasAttribute('href'),
            cellsUnderRow: cells.filter((c) => c.parentElement.getAttribute('role') === 'row').length,
            cellsInFields: cells.filter((c) => c.closest('[data-automationid="DetailsRowFields"]')).length,
            cellCount: cells.length,
            keys: [...new Set(cells.map((c) => c.getAttribute('data-automation-key')))].length,
            headerText: header.textContent,
          };
        });
        expect(facts.rows).toBeGreaterThan(10);
        expect(facts.idInRows).toBe(false);
        expect(facts.titleTag).toBe('BUTTON');
        expect(facts.titleHref).toBe(false);
        expect(facts.cellsUnderRow).toBe(0);
        expect(facts.cellsInFields).toBe(facts.cellCount);
        expect(facts.keys).toBeGreaterThan(5);
        expect(facts.headerText).toMatch(PUA);
        // ...while its accessible name is clean.
        await expect(page.getByRole('columnheader', { name: 'Recommended action', exact: true })).toHaveCount(1);

        // The id reaches the URL only when the panel opens, without a page load.
        await page.evaluate(() => { window.__sameDocument = true; });
        expect(new URL(page.url()).searchParams.get('actionId')).toBeNull();
        await page.getByRole('button', { name: MFA_TITLE, exact: true }).click();
        await expect(page.getByRole('dialog')).toBeVisible();
        expect(new URL(page.url()).searchParams.get('actionId')).toBe(MFA);
        expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
      });

      plainTest('fluent-fr: some titles are links carrying actionId, the others buttons; values in French', async ({ plain: page }) => {
        await open(page, '/securescore?viewid=actions', { 'replica-variant': 'fluent-fr', 'replica-virtual': 0 });
        const kinds = await page.evaluate(() => {
          const titles = [...document.querySelectorAll('[role="grid"] [data-automation-key="title"]')].map((c) => c.querySelector('a, button'));
          return {
            links: titles.filter((t) => t.tagName === 'A' && /actionId=/.test(t.getAttribute('href'))).length,
            buttons: titles.filter((t) => t.tagName === 'BUTTON' && !t.hasAttribute('href')).length,
            total: titles.length,
          };
        });
        expect(kinds.links).toBeGreaterThan(5);
        expect(kinds.buttons).toBeGreaterThan(5);
        expect(kinds.links + kinds.buttons).toBe(kinds.total);
        await expect(page.getByRole('gridcell', { name: 'Identité', exact: true }).first()).toBeVisible();
        await expect(page.getByRole('gridcell', { name: 'À traiter', exact: true }).first()).toBeVisible();
      });

      plainTest('fluent-sv: the title is plain text in the first column; the row itself opens the panel', async ({ plain: page }) => {
        await open(page, '/securescore?viewid=actions', { 'replica-variant': 'fluent-sv' });
        const facts = await page.evaluate(() => {
          const cells = [...document.querySelectorAll('[role="grid"] [data-automation-key="title"]')];
          return { cells: cells.length, controls: cells.filter((c) => c.querySelector('a, button')).length, html: document.querySelector('[role="grid"]').outerHTML };
        });
        expect(facts.cells).toBeGreaterThan(10);
        expect(facts.controls).toBe(0);
        expect(facts.html).not.toMatch(/actionId/i);
        await page.getByRole('row').getByText(MFA_TITLE, { exact: true }).click();
        await expect(page.getByRole('dialog')).toBeVisible();
        expect(new URL(page.url()).searchParams.get('actionId')).toBe(MFA);
        await page.keyboard.press('Escape');
        await expect(page.getByRole('dialog')).toHaveCount(0);
        await expect(page.getByRole('row').filter({ has: page.getByText(MFA_TITLE, { exact: true }) })).toBeFocused();
        await page.keyboard.press('Enter');
        await expect(page.getByRole('dialog')).toBeVisible();
      });

      for (const variant of FLUENT) {
        plainTest(`${variant}: the panel is a modal dialog in a layer, titled by a div heading, and traps focus`, async ({ plain: page }) => {
          await open(page, `/securescore?viewid=actions&actionId=${MFA}`, { 'replica-variant': variant });
          const dialog = page.getByRole('dialog');
          await expect(dialog).toHaveAttribute('aria-modal', 'true');
          const facts = await page.evaluate(() => {
            const d = document.querySelector('[role="dialog"]');
            let layer = d;
            while (layer.parentElement !== document.body) layer = layer.parentElement;
            return {
              inMain: !!d.closest('main'),
              layerAfterApp: [...document.body.children].indexOf(layer) > [...document.body.children].findIndex((c) => c.querySelector('main')),
              headingTags: d.querySelectorAll('h1, h2, h3, h4, h5, h6').length,
              headings: [...d.querySelectorAll('[role="heading"]')].map((x) => ({ tag: x.tagName, level: x.getAttribute('aria-level') })),
            };
          });
          expect(facts.inMain).toBe(false);
          expect(facts.layerAfterApp).toBe(true);
          expect(facts.headingTags).toBe(0);
          // One heading, the title; section titles (Description, At a glance...) are plain text.
          expect(facts.headings).toHaveLength(1);
          expect(facts.headings[0].tag).toBe('DIV');
          await expect(dialog.getByRole('heading', { name: MFA_TITLE })).toHaveCount(1);
          const sections = await page.evaluate(() => __replica.strings.sections);
          const titled = await page.evaluate(() => __replica.descriptionTitled);
          for (const t of [sections.description, sections.atAGlance, sections.implementation]) {
            if (t === sections.description && !titled) await expect(dialog.getByText(t, { exact: true })).toHaveCount(0);
            else await expect(dialog.getByText(t, { exact: true })).toBeVisible();
          }
          await expect(dialog.getByText(await page.evaluate((id) => __replica.descriptionOf(id), MFA), { exact: true })).toBeVisible();

          // FocusTrapZone: a plain input outside the panel cannot keep focus, nor receive typing.
          await page.evaluate(() => {
            const input = document.createElement('input');
            input.id = 'outside-input';
            input.setAttribute('aria-label', 'Outside');
            document.body.appendChild(input);
          });
          const outside = page.locator('#outside-input');
          await outside.focus();
          await expect.poll(() => page.evaluate(() => !!document.activeElement.closest('[role="dialog"]'))).toBe(true);
          await page.keyboard.type('typed');
          await expect(outside).toHaveValue('');
        });

        if (!FLUENT_BEHAVIOUR.includes(variant)) continue;
        plainTest(`${variant}: the Share menu opens in its own layer, one shared list, keyboard like Fluent`, async ({ plain: page }) => {
          await open(page, `/securescore?viewid=actions&actionId=${MFA}`, { 'replica-variant': variant });
          const share = await shareButton(page);
          await expect(share).toBeVisible();
          // Its name comes from glyph + text: the glyph is in the text, not in the name.
          expect(await share.textContent()).toMatch(PUA);
          const tiedWhileOpen = variant === 'fluent-fr';
          const relation = () => share.evaluate((b) => ({ controls: b.getAttribute('aria-controls'), owns: b.getAttribute('aria-owns') }));
          expect(await relation()).toEqual({ controls: null, owns: null });
          await share.click();
          const menu = page.getByRole('menu');
          await expect(menu.getByRole('menuitem')).toHaveCount(4);
          const facts = await page.evaluate(() => {
            const m = document.querySelector('[role="menu"]');
            const items = [...m.querySelectorAll('[role="menuitem"]')];
            const lists = new Set(items.map((i) => i.closest('ul')));
            return {
              inPanel: !!m.closest('[role="dialog"]'),
              labelledby: m.getAttribute('aria-labelledby'),
              id: m.id,
              lists: lists.size,
              listRole: [...lists][0].getAttribute('role'),
              glyphs: items.every((i) => /[\uE000-\uF8FF]/.test(i.textContent)),
            };
          });
          expect(facts.inPanel).toBe(false);
          expect(facts.lists).toBe(1);
          expect(facts.listRole).toBe('presentation');
          expect(facts.glyphs).toBe(true);
          if (tiedWhileOpen) {
            expect((await relation()).controls).toBe(facts.id);
            expect(facts.labelledby).not.toBeNull();
          } else {
            expect(await relation()).toEqual({ controls: null, owns: null });
            expect(facts.labelledby).toBeNull();
          }
          for (const name of await ownItems(page)) await expect(menu.getByRole('menuitem', { name, exact: true })).toHaveCount(1);
          await expect(menu.getByRole('menuitem').first()).toBeFocused();
          await page.keyboard.press('ArrowDown');
          await expect(menu.getByRole('menuitem').nth(1)).toBeFocused();
          await page.keyboard.press('ArrowUp');
          await page.keyboard.press('ArrowUp');
          await expect(menu.getByRole('menuitem').nth(3)).toBeFocused();
          await page.keyboard.press('Escape');
          await expect(menu).toHaveCount(0);
          await expect(share).toBeFocused();
          expect(await relation()).toEqual({ controls: null, owns: null });
          // Outside click closes; an item click closes and gives focus back to the button.
          await share.click();
          await expect(menu).toHaveCount(1);
          await page.getByRole('dialog').getByRole('heading').click();
          await expect(menu).toHaveCount(0);
          await share.click();
          await menu.getByRole('menuitem').nth(1).click();
          await expect(menu).toHaveCount(0);
          await expect(share).toBeFocused();
        });

        plainTest(`${variant}: the UPN is in the page only once the account flyout has been opened`, async ({ plain: page }) => {
          await open(page, '/securescore?viewid=actions', { 'replica-variant': variant });
          const label = await page.evaluate(() => __replica.strings.account.label.replace('{name}', 'Megan Bowen'));
          const trigger = page.locator('#mectrl_main_trigger');
          await expect(trigger).toHaveAttribute('aria-label', label);
          expect(await page.evaluate((upn) => document.documentElement.outerHTML.includes(upn), UPN)).toBe(false);
          await expect(page.locator('#mectrl_currentAccount_secondary')).toHaveCount(0);
          await trigger.click();
          await expect(page.locator('#mectrl_currentAccount_secondary')).toHaveText(UPN);
          await trigger.click();
          await expect(page.locator('#mectrl_currentAccount_secondary')).toBeHidden();
          await expect(page.locator('#mectrl_currentAccount_secondary')).toHaveCount(1);
        });

        plainTest(`${variant}: class names change per load; a header click re-sorts by reusing the row elements`, async ({ plain: page }) => {
          await open(page, '/securescore?viewid=actions', { 'replica-variant': variant });
          const classes = () => page.evaluate(() => ['[role="grid"]', '[role="grid"] [role="row"][aria-rowindex="2"]', '[role="gridcell"]', '[role="columnheader"]']
            .map((q) => document.querySelector(q).className).join(' | '));
          const first = await classes();
          await page.reload();
          await page.evaluate(() => __replica.ready);
          expect(await classes()).not.toBe(first);

          const before = await page.evaluate(() => {
            const rows = [...document.querySelectorAll('[role="grid"] [role="row"]')].slice(1, 4);
            rows.forEach((r, i) => { r.__mark = i + 1; });
            return __replica.visibleRows().slice(0, 3).map((r) => r.id);
          });
          const header = await page.evaluate(() => __replica.headers.title);
          await page.getByRole('columnheader', { name: header, exact: true }).getByRole('button').click();
          await expect(page.getByRole('columnheader', { name: header, exact: true })).toHaveAttribute('aria-sort', 'ascending');
          const after = await page.evaluate(() => ({
            ids: __replica.visibleRows().slice(0, 3).map((r) => r.id),
            marks: [...document.querySelectorAll('[role="grid"] [role="row"]')].slice(1, 4).map((r) => r.__mark),
          }));
          expect(after.ids).not.toEqual(before);
          expect(after.marks).toEqual([1, 2, 3]);
        });
      }

      plainTest('the shaker: one seed, one page; another seed, another page; the seed is shown', async ({ plain: page }) => {
        const snapshot = async (seed) => {
          await open(page, `/securescore?viewid=actions&actionId=${MFA}`, { 'replica-variant': 'fluent-fr', 'replica-shake': seed });
          return page.evaluate(() => ({
            seed: document.documentElement.getAttribute('data-replica-shake'),
            row: document.querySelector('[role="grid"] [role="row"][aria-rowindex="2"]').outerHTML,
            panel: document.querySelector('[role="dialog"] [role="heading"]').parentElement.outerHTML,
          }));
        };
        const a = await snapshot(11);
        const b = await snapshot(11);
        const c = await snapshot(12);
        expect(a.seed).toBe('11');
        expect(b).toEqual(a);
        expect(c.row).not.toBe(a.row);
        await open(page, '/securescore?viewid=actions', { 'replica-variant': 'grid-en', 'replica-shake': 'random' });
        expect(await page.evaluate(() => document.documentElement.getAttribute('data-replica-shake'))).toMatch(/^\d+$/);
      });
    });
  }
});

// =============================================================================================
// snshare on every variant, under both page CSPs
// =============================================================================================
for (const csp of CSPS) {
  test.describe(`csp ${csp}`, () => {
    test.use({ csp });

    for (const variant of VARIANTS_UNDER[csp]) {
      // Without a page CSP, each variant shaken (its class names, wrapper depth and attribute
      // order drawn from a seed; one seed per variant): the unshaken markup is what every other
      // test of the variant reads, and what the strict page CSP's runs read here.
      const shake = csp === 'none' ? SHAKE_SEED[variant] : null;
      test(`${variant}${shake ? ` shaken with seed ${shake}` : ''}: one share button per visible row, bound to its action, through scrolling and re-sorting; one ServiceNow menu item`, async ({ context, extensionId, portal, sandbox }) => {
        test.slow(); // three audits, seven forms, two menus
        await open(portal, '/securescore?viewid=actions', { 'replica-variant': variant, 'replica-virtual': 1, 'replica-rows': 200, 'replica-shake': shake ?? '' });
        if (shake) expect(await portal.evaluate(() => document.documentElement.getAttribute('data-replica-shake'))).toBe(String(shake));
        await expectOneButtonPerRow(portal);
        await expectBoundToRows(portal, 2);
        await portal.evaluate(() => __replica.scrollToIndex(100));
        await settle(portal);
        await expectOneButtonPerRow(portal);
        await expectBoundToRows(portal, 2);
        // Re-sorted: the same row elements show other actions.
        if (FLUENT.includes(variant)) {
          const header = await portal.evaluate(() => __replica.headers.title);
          await portal.getByRole('columnheader', { name: header, exact: true }).getByRole('button').click();
          await portal.evaluate(() => __replica.ready);
        } else {
          await portal.evaluate(() => __replica.sortBy('title'));
        }
        await settle(portal);
        await expectOneButtonPerRow(portal);
        await expectBoundToRows(portal, 3);

        // The detail panel's Share menu: exactly one ServiceNow item, the portal's own not doubled.
        await portal.evaluate((id) => __replica.navigate(`/securescore?viewid=actions&actionId=${id}`), MFA);
        const share = await shareButton(portal);
        for (let opening = 0; opening < 2; opening++) {
          await share.click();
          await expectOneServiceNowItem(portal);
          await portal.keyboard.press('Escape');
          await expect(portal.getByRole('menu')).toHaveCount(0);
        }
        // The Fluent variants share from the menu and from rows, by mouse and keyboard, in their
        // own tests below; here the others: the menu item by mouse opens this action's form, then
        // keyboard only from the menu to a record whose correlation id carries the id the page
        // showed, then a row's button by keyboard.
        if (!FLUENT.includes(variant)) await shareFromMenuAndRowWithoutAMouse(context, extensionId, portal, sandbox, share);
      });
    }

    for (const variant of FLUENT_UNDER[csp]) {
      test(`${variant}: share from the Share menu by mouse, typing under the panel's focus trap`, async ({ context, extensionId, portal, sandbox }) => {
        await connect(context, extensionId);
        await open(portal, '/securescore?viewid=actions', { 'replica-variant': variant });
        await openFromList(portal, MFA_TITLE);
        const share = await shareButton(portal);
        await share.click();
        await expectOneServiceNowItem(portal);
        // Only the Share menu gets the item.
        await portal.getByRole('menu').getByRole('menuitem', { name: 'ServiceNow', exact: true }).click();
        const dialog = form(portal);
        await expect(dialog).toBeVisible();
        const name = dialog.getByRole('textbox', { name: await ui(portal, 'form_name') });
        await expect(name).toHaveValue(MFA_TITLE);
        await name.click();
        await portal.keyboard.press('ControlOrMeta+a');
        await portal.keyboard.type('Typed under the focus trap');
        await expect(name).toHaveValue('Typed under the focus trap');
        await expect(name).toBeFocused();
        const description = dialog.getByRole('textbox', { name: await ui(portal, 'form_description') });
        await description.click();
        await portal.keyboard.press('ControlOrMeta+End');
        await portal.keyboard.type('\nmore');
        await expect(description).toHaveValue(/\nmore$/);
        await giveUserIdIfAsked(portal);
        await (await sendReady(portal)).click();
        await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
        const records = await recordsFor(sandbox, 'incident', MFA);
        expect(records).toHaveLength(1);
        expect(records[0].short_description).toBe('Typed under the focus trap');
        // The panel's description, whether or not a "Description" title stands above it.
        expect(records[0].description).toContain(await portal.evaluate((id) => __replica.descriptionOf(id), MFA));
        expect(records[0].description).toContain('Category: Identity');
        // Read from the panel in the page's language, written in the API's words.
        expect(records[0].description).toContain('Action status: To address');
        expect(records[0].description).toContain(`actionId=${MFA}`);
        await dialog.getByRole('button', { name: await ui(portal, 'form_close') }).or(dialog.getByRole('button', { name: await ui(portal, 'form_cancel') })).first().click();
        await expect(dialog).toHaveCount(0);
        await expect(share).toBeFocused();
        // The other menu in the panel never gets the item.
        const tags = await portal.evaluate(() => __replica.strings.manageTags);
        await portal.getByRole('dialog').getByRole('button', { name: tags, exact: true }).click();
        await expect(portal.getByRole('menu').getByRole('menuitem')).toHaveCount(1);
        await expect(portal.getByRole('menuitem', { name: 'ServiceNow' })).toHaveCount(0);
      });

      // Keys, id resolution and the UPN are the core's, the same in its JS build: checked
      // without a page CSP. The strict CSP's run above shares through the JS build.
      if (csp !== 'none' || !FLUENT_BEHAVIOUR.includes(variant)) continue;
      test(`${variant}: keyboard only, from the Share menu and from a row`, async ({ context, extensionId, portal, sandbox }) => {
        await connect(context, extensionId);
        await open(portal, '/securescore?viewid=actions', { 'replica-variant': variant });
        await openFromListByKeyboard(portal, MFA_TITLE);
        const share = await shareButton(portal);
        await expect(share).toBeVisible();
        await tabTo(portal, share);
        await portal.keyboard.press('ArrowDown');
        await arrowTo(portal, portal.getByRole('menuitem', { name: 'ServiceNow', exact: true }));
        await portal.keyboard.press('Enter');
        const dialog = form(portal);
        await expect(dialog).toBeVisible();
        const name = dialog.getByRole('textbox', { name: await ui(portal, 'form_name') });
        await tabTo(portal, name);
        await portal.keyboard.press('ControlOrMeta+a');
        await portal.keyboard.type('Keyboard from the menu');
        await expect(name).toHaveValue('Keyboard from the menu');
        await giveUserIdIfAsked(portal, { keyboard: true });
        await sendReady(portal);
        await tabTo(portal, dialog.getByRole('button', { name: await ui(portal, 'form_send') }));
        await portal.keyboard.press('Enter');
        await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
        await portal.keyboard.press('Escape');
        await expect(dialog).toHaveCount(0);
        await expect(share).toBeFocused();
        expect((await recordsFor(sandbox, 'incident', MFA)).map((r) => r.short_description)).toEqual(['Keyboard from the menu']);

        // Esc closes the panel; then a row, by keyboard.
        await portal.keyboard.press('Escape');
        await expect(portal.getByRole('dialog')).toHaveCount(0);
        const other = await portal.evaluate(() => __replica.visibleRows().find((r) => r.onScreen && r.index > 2 && r.title.length < 160));
        await (await rowShareButton(portal, other.title)).focus();
        await portal.keyboard.press('Enter');
        await expect(dialog).toBeVisible();
        await tabTo(portal, dialog.getByRole('textbox', { name: await ui(portal, 'form_name') }));
        await portal.keyboard.press('End');
        await portal.keyboard.type(' (keyboard)');
        await giveUserIdIfAsked(portal, { keyboard: true });
        await sendReady(portal);
        await tabTo(portal, dialog.getByRole('button', { name: await ui(portal, 'form_send') }));
        await portal.keyboard.press('Enter');
        await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
        const mine = (await sandbox.records('incident')).filter((r) => r.short_description === `${other.title} (keyboard)`);
        expect(mine).toHaveLength(1);
        if (other.link) expect(String(mine[0].correlation_id)).toMatch(new RegExp(`^snshare:${escapeRe(other.id)}:`));
      });

      test(`${variant}: the record carries the real action id once the page has shown it`, async ({ context, extensionId, portal, sandbox }) => {
        await connect(context, extensionId);
        await open(portal, '/securescore?viewid=actions', { 'replica-variant': variant });
        // The panel shows the id (in the URL) once; closed again, the row still carries none.
        await openFromList(portal, MFA_TITLE);
        expect(new URL(portal.url()).searchParams.get('actionId')).toBe(MFA);
        await portal.keyboard.press('Escape');
        await expect(portal.getByRole('dialog')).toHaveCount(0);
        await (await rowShareButton(portal, MFA_TITLE)).click();
        await giveUserIdIfAsked(portal);
        await (await sendReady(portal)).click();
        await expect(form(portal).getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
        const records = await recordsFor(sandbox, 'incident', MFA);
        expect(records).toHaveLength(1);
        // Category and status from the row, in the page's language, in the API's words.
        expect(records[0].description).toContain('Category: Identity');
        expect(records[0].description).toContain('Action status: To address');
      });

      test(`${variant}: shared while its id was unknown, the action is found under its real id after its panel opened once`, async ({ context, extensionId, portal, sandbox }) => {
        test.slow(); // two shares, a panel, a reload
        const options = await connect(context, extensionId);
        await open(portal, '/securescore?viewid=actions', { 'replica-variant': variant });
        // An action whose row is a button (no id anywhere) and whose panel was never opened.
        const target = await portal.evaluate(() => __replica.visibleRows().find((r) => !r.link && r.onScreen && r.title.length < 160));
        expect(target).toBeTruthy();
        const rowShare = () => rowShareButton(portal, target.title);
        await (await rowShare()).click();
        await giveUserIdIfAsked(portal);
        await (await sendReady(portal)).click();
        const link = form(portal).getByRole('link', { name: /^INC\d{7}$/ });
        await expect(link).toBeVisible({ timeout: 30_000 });
        const number = (await link.innerText()).trim();
        const record = (await sandbox.records('incident')).find((r) => r.number === number);
        expect(String(record.correlation_id)).toMatch(/^snshare:/);
        await portal.keyboard.press('Escape');
        await expect(form(portal)).toHaveCount(0);

        // The user opens the action's panel once: now the page has shown its id.
        await openFromList(portal, target.title);
        expect(new URL(portal.url()).searchParams.get('actionId')).toBe(target.id);
        // The panel's badge, and after closing it the row's, name the ticket.
        await expect(portal.getByRole('dialog').getByRole('link', { name: new RegExp(`^${escapeRe((await ui(portal, 'badge_ticket', number)).split(number)[0])}${number}`) })).toHaveCount(1, { timeout: 20_000 });
        await portal.keyboard.press('Escape');
        await expect(portal.getByRole('dialog')).toHaveCount(0);
        await expect(rowOf(portal, target.title)
          .getByRole('link', { name: new RegExp(`^${escapeRe((await ui(portal, 'badge_ticket', number)).split(number)[0])}${number}`) })).toHaveCount(1, { timeout: 20_000 });
        // Sharing it again warns of the open ticket.
        await (await rowShare()).click();
        const notice = form(portal).getByRole('region', { name: await ui(portal, 'form_duplicate_heading') });
        await expect(notice).toBeVisible({ timeout: 15_000 });
        await expect(notice.getByRole('link', { name: number })).toBeVisible();
        // After a reload too (the title → id map is kept for the tenant).
        await portal.keyboard.press('Escape');
        await portal.reload();
        await portal.evaluate(() => __replica.ready);
        await expect(rowOf(portal, target.title)
          .getByRole('link', { name: new RegExp(`^${escapeRe((await ui(portal, 'badge_ticket', number)).split(number)[0])}${number}`) })).toHaveCount(1, { timeout: 20_000 });
        await options.close();
      });

      test(`${variant}: the UPN read after the account flyout was opened ends up in the ticket`, async ({ context, extensionId, portal, sandbox }) => {
        await connect(context, extensionId);
        await open(portal, '/securescore?viewid=actions', { 'replica-variant': variant });
        const label = await portal.evaluate(() => __replica.strings.account.label.replace('{name}', 'Megan Bowen'));
        const account = portal.getByRole('button', { name: label, exact: true });
        await account.click();
        await expect(portal.locator('#mectrl_currentAccount_secondary')).toBeVisible();
        await account.click();
        await expect(portal.locator('#mectrl_currentAccount_secondary')).toBeHidden();
        // A row whose title is a link where there is one (fluent-fr), so this checks the UPN alone.
        const row = await portal.evaluate(() => {
          const rows = __replica.visibleRows().filter((r) => r.onScreen && r.title.length < 160);
          return rows.find((r) => r.link) ?? rows[0];
        });
        await (await rowShareButton(portal, row.title)).click();
        await expect(form(portal).getByRole('textbox', { name: await ui(portal, 'form_user_id') })).toHaveValue(UPN);
        await (await sendReady(portal)).click();
        const link = form(portal).getByRole('link', { name: /^INC\d{7}$/ });
        await expect(link).toBeVisible({ timeout: 30_000 });
        const number = (await link.innerText()).trim();
        const record = (await sandbox.records('incident')).find((r) => r.number === number);
        expect(record.description).toContain(`Shared by: ${UPN}`);
      });
    }
  });
}

// =============================================================================================
// Other clouds: GCC High and DoD
// =============================================================================================
for (const host of ['security.microsoft.us', 'security.apps.mil']) {
  test(`on ${host}: row buttons, the menu item, and links back to the same origin`, async ({ servers, sandbox }) => {
    const origin = `https://${host}`;
    const launched = await launchExtension({
      portalPort: servers.replicas.none.port,
      sandboxPort: sandbox.port,
      extensionDir: grantedExtensionDir(),
      // The harness maps security.microsoft.com only; the last --host-resolver-rules wins.
      extra: [`--host-resolver-rules=MAP ${host} 127.0.0.1:${servers.replicas.none.port}, MAP ${PORTAL_HOST} 127.0.0.1:${servers.replicas.none.port}, `
        + `MAP ${INSTANCE_HOST} 127.0.0.1:${sandbox.port}, EXCLUDE localhost`],
    });
    const watch = watchErrors(launched.context, launched.extensionId);
    try {
      const page = launched.context.pages()[0] ?? await launched.context.newPage();
      await open(page, '/securescore?viewid=actions', { 'replica-variant': 'fluent-en' }, origin);
      expect(new URL(page.url()).host).toBe(host);
      await expectOneButtonPerRow(page);
      await page.getByRole('button', { name: MFA_TITLE, exact: true }).click();
      await (await shareButton(page)).click();
      await expectOneServiceNowItem(page);
      await page.getByRole('menuitem', { name: 'ServiceNow', exact: true }).click();
      await expect(form(page).getByRole('textbox', { name: await ui(page, 'form_description') }))
        .toHaveValue(new RegExp(`${escapeRe(origin)}/securescore\\?viewid=actions&actionId=${MFA}`));
      await expect(form(page).getByRole('textbox', { name: await ui(page, 'form_description') })).not.toHaveValue(/security\.microsoft\.com/);
      expect(watch.unexpected()).toEqual([]);
    } finally {
      await launched.context.close();
    }
  });
}

// =============================================================================================
// Tracking on every variant, both CSPs: the right badge on the right row (through recycling and
// re-sorting), the panel's badge, the home and overview cards; one Tab stop per row; titles
// readable at 640 px
// =============================================================================================
/** Every variant, and one shaken; the older (linked) ones first, as a user who has
 *  browsed the list before: the title → id map they teach is what the Fluent rows, which carry
 *  no id, are matched with (product.md, action id resolution). */
const TRACK_VARIANTS = [
  ...OLD.map((variant) => ({ variant })), ...FLUENT.map((variant) => ({ variant })),
  { variant: 'fluent-fr', shake: 4242 },
];

/** A badge's name in the page's language, for any ticket number ("ServiceNow ticket INC…"). */
async function badgeNamePattern(page) {
  const before = say(await catalogueOf(page), 'badge_ticket', '\u0001', '').split('\u0001')[0];
  return new RegExp(`^${escapeRe(before)}(INC|CHG)\\d{7}`);
}

/**
 * Each action row the page shows has a badge exactly when its action has tickets, and the badge
 * shows one of that action's ticket numbers (found as a user finds it: a link by its name, in
 * the row). Returns the problems (empty when all is well).
 */
async function badgeProblems(page, tracked) {
  const rows = await page.evaluate(() => __replica.visibleRows());
  const name = await badgeNamePattern(page);
  // The badge links of the page by role and name, each with the rows that hold it.
  const { rows: n, items: [links] } = await inRowsByRole(page, [page.getByRole('link', { name })], { innerText: true });
  if (n !== rows.length + 1) return [`${n} rows by role for ${rows.length} action rows + header`];
  const problems = [];
  for (let k = 0; k < rows.length; k++) {
    const texts = links.filter((l) => l.rows.includes(k + 1)).map((l) => l.text);
    const numbers = tracked.get(rows[k].id) ?? [];
    if (texts.length !== (numbers.length ? 1 : 0)) problems.push(`${rows[k].id}: ${texts.length} badges, ${numbers.length} tickets`);
    else if (texts.length && !numbers.some((number) => texts[0].includes(number))) problems.push(`${rows[k].id}: shows ${texts[0]}`);
  }
  if (!rows.some((r) => tracked.has(r.id))) problems.push('no row with tickets in view: the check proves nothing');
  return problems;
}

async function expectBadgesOnTheirRows(page, tracked) {
  await expect.poll(() => badgeProblems(page, tracked), { timeout: 20_000 }).toEqual([]);
}

/** The home or overview dashboard: the incident card links some of the incidents (the newest;
 *  how many is the card's design), the change card the change request, in the page's language. */
async function expectCards(page, incidents, changes) {
  const incidentCard = page.getByRole('region', { name: await ui(page, 'cards_incident_title'), exact: true });
  const changeCard = page.getByRole('region', { name: await ui(page, 'cards_change_title'), exact: true });
  await expect(changeCard.getByRole('link', { name: changes[0], exact: true })).toHaveCount(1, { timeout: 15_000 });
  const shown = await incidentCard.getByRole('link', { name: /^INC\d{7}$/ }).allInnerTexts();
  expect(shown.length).toBeGreaterThan(0);
  for (const name of shown) expect(incidents).toContain(name.trim());
}

const AXE = fs.readFileSync(path.join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/** WCAG 2.2 A/AA violations of any impact on snshare's nodes in the list (its button
 *  and badges; the replica's own markup is not what this checks). */
async function axeProblemsOnOurRows(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const result = await page.evaluate(async () => window.axe.run({ include: [['[role="grid"]']] }, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
    resultTypes: ['violations'],
  }));
  return result.violations
    .flatMap((v) => v.nodes.filter((n) => /snshare/.test(n.html)).map((n) => `${v.id}: ${n.html}`));
}

/** The name of what has focus, looking through open shadow roots. */
const focusedName = (page) => page.evaluate(() => {
  let active = document.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
  return active ? (active.getAttribute('aria-label') || active.textContent || '').trim() : '';
});

/**
 * Tab from the first row's share button to the end of the list: snshare adds one Tab stop per
 * row (its share button), never its badges; ArrowRight reaches a row's badge, ArrowLeft goes back.
 */
async function expectOneTabStopPerRow(page, tracked) {
  const rows = await page.evaluate(() => __replica.visibleRows());
  const badge = await badgeNamePattern(page);
  await (await rowShareButton(page, rows[0].title)).focus();
  const shares = [];
  let badges = 0;
  // The page's own stops (title links, checkboxes) come between; the list is short.
  for (let i = 0; i < rows.length * 4 && shares.length < rows.length; i++) {
    const name = await focusedName(page);
    if (SHARE_ROW.test(name) && shares.at(-1) !== name) shares.push(name);
    if (badge.test(name)) badges += 1;
    await page.keyboard.press('Tab');
  }
  expect(badges).toBe(0);
  expect(shares).toHaveLength(rows.length);
  // The arrows, on a row with a ticket.
  const row = rows.find((r) => tracked.has(r.id));
  const button = await rowShareButton(page, row.title);
  await button.focus();
  await page.keyboard.press('ArrowRight');
  const link = rowOf(page, row.title).getByRole('link', { name: badge });
  await expect(link).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(button).toBeFocused();
}

/**
 * In a 640 px window (where the portal's list gives the title column about its minimum width)
 * the title keeps a readable part of its cell next to snshare's button and badge.
 */
async function expectReadableTitlesAt640(page, tracked) {
  await page.setViewportSize({ width: 640, height: 900 });
  try {
    await page.reload();
    await page.evaluate(() => __replica.ready);
    await expectBadgesOnTheirRows(page, tracked);
    const rows = (await page.evaluate(() => __replica.visibleRows())).filter((r) => tracked.has(r.id));
    for (const r of rows) {
      // What shows of the title: its box inside its cell's (a long title is clipped there).
      const widths = await rowOf(page, r.title).getByText(r.title, { exact: true }).evaluate((el, cellSelector) => {
        const cell = el.closest(cellSelector).getBoundingClientRect();
        const box = el.getBoundingClientRect();
        const em = parseFloat(getComputedStyle(el).fontSize);
        return { title: Math.min(box.right, cell.right) - Math.max(box.left, cell.left), cell: cell.width, em };
      }, CELL);
      // Ten characters or so, or 40 % of a cell too narrow for that.
      expect(widths.title, `${r.id} at 640 px: ${JSON.stringify(widths)}`).toBeGreaterThanOrEqual(Math.min(8 * widths.em, 0.4 * widths.cell));
    }
  } finally {
    await page.setViewportSize({ width: 1400, height: 900 });
  }
}

for (const csp of CSPS) {
  test.describe(`csp ${csp}`, () => {
    test.use({ csp });

    test('tracking on every variant: badges on their rows through recycling and re-sorting, in the panel, on the cards', async ({ context, extensionId, portal, sandbox }) => {
      test.setTimeout(240_000);
      // Every third realistic action has a ticket, MFA two, one a change request too.
      await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'grid-en', 'replica-virtual': 0, 'replica-render-delay': 100 });
      const ids = (await portal.evaluate(() => __replica.actions.map((a) => a.id))).filter((id, i) => i % 3 === 0 || id === MFA);
      for (const id of ids) {
        await sandbox.seed({ table: 'incident', count: id === MFA ? 2 : 1, correlation_prefix: `snshare:${id}:`, user: INTEGRATION_USER.user });
      }
      await sandbox.seed({ table: 'change_request', count: 1, correlation_prefix: `snshare:${ids[1]}:`, user: INTEGRATION_USER.user });
      const tracked = new Map();
      const numbersOf = async (table) => {
        const out = [];
        for (const r of await sandbox.records(table)) {
          const id = String(r.correlation_id).split(':')[1];
          if (!ids.includes(id)) continue;
          tracked.set(id, [...(tracked.get(id) ?? []), r.number]);
          out.push(r.number);
        }
        return out;
      };
      const incidents = await numbersOf('incident');
      const changes = await numbersOf('change_request');
      const options = await connect(context, extensionId);
      await options.close();
      await portal.bringToFront();

      for (const { variant, shake } of TRACK_VARIANTS.filter((t) => t.shake || VARIANTS_UNDER[csp].includes(t.variant))) {
        const first = variant === 'grid-en' && !shake;
        await open(portal, '/securescore?viewid=actions', {
          'replica-variant': variant, 'replica-virtual': first ? 0 : 1, 'replica-shake': shake ?? '', 'replica-render-delay': 100,
        });
        await test.step(`${variant}${shake ? ` shaken ${shake}` : ''}`, async () => {
          await expectBadgesOnTheirRows(portal, tracked);
          if (first) return;
          // Recycled: the same row elements now show other actions.
          await portal.evaluate(() => __replica.scrollToIndex(30));
          await settle(portal);
          await expectBadgesOnTheirRows(portal, tracked);
          // Re-sorted in place.
          await portal.evaluate(() => __replica.sortBy('title', true));
          await settle(portal);
          await expectBadgesOnTheirRows(portal, tracked);
          // The panel's badge names one of the action's tickets.
          await portal.evaluate((id) => __replica.navigate(`/securescore?viewid=actions&actionId=${id}`), MFA);
          const panel = detailPanel(portal);
          const panelBadge = panel.getByRole('link', { name: await badgeNamePattern(portal) });
          await expect(panelBadge).toHaveCount(1, { timeout: 15_000 });
          expect(tracked.get(MFA)).toContain((await panelBadge.innerText()).split(/\s/)[0]);
          // The cards on home; on the overview (the same dashboard code) once, on the last.
          await portal.evaluate(() => __replica.navigate('/homepage'));
          await expectCards(portal, incidents, changes);
          if (shake) {
            await portal.evaluate(() => __replica.navigate('/securescore?viewid=overview'));
            await expectCards(portal, incidents, changes);
          }
        });
      }
    });
  });
}

// Keyboard and layout are the same under either CSP (the same core): checked once.
test('one Tab stop per row, the badge by the arrow keys; titles readable at 640 px', async ({ context, extensionId, portal, sandbox }) => {
  await open(portal, '/securescore?viewid=actions', { 'replica-rows': 12, 'replica-render-delay': 100 });
  const ids = (await portal.evaluate(() => __replica.actions.map((a) => a.id))).filter((id, i) => i % 2 === 0);
  const tracked = new Map();
  for (const id of ids) {
    await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: `snshare:${id}:`, user: INTEGRATION_USER.user });
  }
  for (const r of await sandbox.records('incident')) {
    const id = String(r.correlation_id).split(':')[1];
    if (ids.includes(id)) tracked.set(id, [r.number]);
  }
  const options = await connect(context, extensionId);
  await options.close();
  for (const variant of ['grid-en', 'fluent-en']) {
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': variant, 'replica-rows': 12, 'replica-virtual': 0, 'replica-render-delay': 100 });
    // fluent-en's rows carry no id: grid-en's linked rows taught their titles (kept per tenant).
    await expectBadgesOnTheirRows(portal, tracked);
    expect(await axeProblemsOnOurRows(portal)).toEqual([]);
    await expectOneTabStopPerRow(portal, tracked);
    await expectReadableTitlesAt640(portal, tracked);
  }
});
