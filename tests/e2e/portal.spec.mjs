// The content script on the replica portal, as a user meets it: share buttons on every row in
// every markup variant (with and without the strict page CSP), virtualized and recycled rows,
// navigation without reloads, the portal re-rendering rows, the Share menu item, the task form
// (labels, validation, keyboard, Esc, focus trap) and the cards — none of which needs ServiceNow.
// The flows that create tickets are in share.spec.mjs.
import fs from 'node:fs';
import path from 'node:path';
import { test, expect, PORTAL, DIST, CELL, connect, sendFromExtensionPage, contentScriptWorld, INTEGRATION_USER } from './harness.mjs';

const XSS_TITLE = 'Ensure <img src=x onerror=alert(1)> is blocked';
/** AdminMFAV2's title in the replica's data. */
const MFA_TITLE = 'Ensure multifactor authentication is enabled for all users in administrative roles';
const VARIANTS = ['grid-en', 'table-it', 'grid-zh', 'grid-sv', 'grid-fr', 'grid-nl', 'grid-noheaders'];
// The in-page UI speaks the portal's language (issue 15): a variant's texts come from the
// catalogue of its language, whatever the browser's.
const LANGUAGE_OF = { 'table-it': 'it', 'grid-zh': 'zh_TW', 'grid-sv': 'sv', 'grid-fr': 'fr', 'grid-nl': 'nl' };
const catalogues = {};
/** The text snshare shows for `key` on a variant's page, `$1`… replaced by `subs`. */
function ui(variant, key, ...subs) {
  const lang = LANGUAGE_OF[variant] ?? 'en';
  catalogues[lang] ??= JSON.parse(fs.readFileSync(path.join(DIST, '_locales', lang, 'messages.json'), 'utf8'));
  return subs.reduce((m, sub, i) => m.replace(`$${i + 1}`, () => sub), catalogues[lang][key].message);
}
/** A share button's name in any of the languages: "…ServiceNow: <title>" ("ServiceNow :", "ServiceNow："). */
const SHARE_NAME = /ServiceNow ?[:：]/;

async function setCookies(context, cookies) {
  await context.addCookies(Object.entries(cookies).map(([name, value]) => ({ name, value: String(value), url: PORTAL })));
}

/** Opens a portal page with replica cookies and waits for the page and the content script. */
async function open(page, path, cookies = {}) {
  await setCookies(page.context(), cookies);
  await page.goto(PORTAL + path);
  await expect(page.locator('html')).toHaveAttribute('data-snshare-core', /^(wasm|js)$/);
  await page.evaluate(() => __replica.ready);
}

async function navigate(page, path) {
  await page.evaluate((p) => __replica.navigate(p), path);
}

const shareButtons = (page) => page.getByRole('button', { name: SHARE_NAME });
/**
 * Checks that snshare's sheet (extension/content.css, which the manifest has the browser inject)
 * is on the page (its colour variables on the root) and, on a list, styles the first share
 * button as a 24 px square with its 14×10 icon; and that the content script put no stylesheet
 * of its own into the page.
 */
async function expectStyledBySheet(page, { buttons = true } = {}) {
  const link = await page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--snshare-link'));
  expect(link.trim()).toMatch(/^#[0-9a-f]{6}$/i);
  if (buttons) {
    const look = await shareButtons(page).first().evaluate((b) => {
      const s = getComputedStyle(b);
      const icon = getComputedStyle(b, '::before');
      return { width: s.width, height: s.height, icon: `${icon.width} ${icon.height}` };
    });
    expect(look).toEqual({ width: '24px', height: '24px', icon: '14px 10px' });
  }
  await expect(page.locator('style[data-snshare], #snshare-style')).toHaveCount(0);
}
/** The task form; its name has "ServiceNow" in every language. */
const form = (page) => page.getByRole('dialog', { name: /ServiceNow/ });

/**
 * Every action row of the list (spacers and headers have no actionId link): exactly one share
 * button, in the title cell, named after the row's title and bound to the row's action.
 */
async function audit(page, variant = 'grid-en') {
  // The expected name with a marker where the row's title goes.
  return page.evaluate(({ named, cellSelector }) => {
    const rows = [...document.querySelectorAll('[role="row"], tr')].filter((r) => r.querySelector('a[href*="actionId="]'));
    const problems = [];
    const keys = new Map();
    const titles = new Map();
    for (const r of rows) {
      const a = r.querySelector('a[href*="actionId="]');
      const id = new URL(a.getAttribute('href'), location.href).searchParams.get('actionId');
      const buttons = r.querySelectorAll('button[data-snshare-cmd="share-row"]');
      if (buttons.length !== 1) { problems.push(`${id}: ${buttons.length} buttons`); continue; }
      const b = buttons[0];
      const title = a.textContent.replace(/\s+/g, ' ').trim();
      if (b.getAttribute('aria-label') !== named.replace('\u0001', title)) problems.push(`${id}: named "${b.getAttribute('aria-label')}"`);
      const bound = b.closest('[data-snshare-action]')?.getAttribute('data-snshare-action');
      if (bound !== id) problems.push(`${id}: bound to ${bound}`);
      // The slot's title key is its own title's: one key per title, never another row's.
      const key = b.closest('[data-snshare-action]')?.getAttribute('data-snshare-title-key') ?? '';
      if (!key.startsWith('title.')) problems.push(`${id}: title key "${key}"`);
      else if ((keys.get(title) ?? key) !== key || (titles.get(key) ?? title) !== title) problems.push(`${id}: title key ${key} also another title's`);
      keys.set(title, key);
      titles.set(key, title);
      const cell = b.closest(cellSelector);
      if (!cell || !cell.contains(a)) problems.push(`${id}: not in the title cell`);
    }
    const total = document.querySelectorAll('button[data-snshare-cmd="share-row"]').length;
    if (total !== rows.length) problems.push(`${total} buttons for ${rows.length} rows`);
    return { rows: rows.length, problems };
  }, { named: ui(variant, 'portal_share_row', '\u0001'), cellSelector: CELL });
}

/** Waits until a scrolled list stops recycling (the replica's scroll can still move after
 * scrollToIndex resolves, as the browser's scroll anchoring follows the spacer). */
async function settle(page) {
  let last = '';
  for (let i = 0; i < 30; i++) {
    const now = await page.evaluate(() => [...document.querySelectorAll('a[href*="actionId="]')].map((a) => a.getAttribute('href')).join());
    if (now === last) return;
    last = now;
    await page.waitForTimeout(100);
  }
}

async function expectOneButtonPerRow(page, rows, variant = 'grid-en') {
  await expect.poll(() => audit(page, variant), { timeout: 10_000 }).toEqual({ rows, problems: [] });
}

test.describe('row share buttons, in every markup variant', () => {
  for (const variant of VARIANTS) {
    test(`${variant}: one button per row, named after it, in the title cell`, async ({ portal }) => {
      await open(portal, '/securescore?viewid=actions', { 'replica-variant': variant });
      await expect(portal.locator('html')).toHaveAttribute('data-snshare-core', 'wasm');
      const rows = await portal.evaluate(() => __replica.rowCount());
      expect(rows).toBe(67);
      await expectOneButtonPerRow(portal, rows, variant);
      await expect(shareButtons(portal)).toHaveCount(rows);
      // Titles come from the page as text: the markup title is a literal name.
      await expect(portal.getByRole('button', { name: ui(variant, 'portal_share_row', XSS_TITLE), exact: true })).toHaveCount(1);
      const first = await portal.evaluate(() => __replica.actions[0].title);
      await expect(portal.getByRole('button', { name: ui(variant, 'portal_share_row', first), exact: true })).toHaveCount(1);
      await expectStyledBySheet(portal);
    });
  }
});

test.describe('row selection for a bulk share', () => {
  // snshare's own checkbox per row where the portal has no selection column, and none where it
  // has one (its own checkboxes are the selection then). A later batch over the rows must not
  // take snshare's checkboxes for the portal's and remove them.
  const picks = (page) => page.evaluate(async () => {
    // A change inside the first row: the observer's next batch reads that row again.
    document.querySelector('[role="row"] [role="gridcell"]').append(document.createElement('span'));
    await new Promise((r) => setTimeout(r, 0));
    return document.querySelectorAll('[data-snshare-pick]').length;
  });

  test('grid-sv (no selection column): one snshare checkbox per row, kept through later batches', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'grid-sv' });
    const rows = await portal.evaluate(() => __replica.rowCount());
    await expectOneButtonPerRow(portal, rows, 'grid-sv');
    await expect.poll(() => portal.locator('[data-snshare-pick]').count()).toBe(rows);
    expect(await picks(portal)).toBe(rows);
    expect(await picks(portal)).toBe(rows);
  });

  // Each checkbox is cloned from one template and named from a catalogue template read once
  // (issue 17): what it must still be is its own row's, in the page's language, through a
  // re-sort that shows other actions in the rows.
  test('grid-sv: each snshare checkbox is named for its own row in the page\'s language, before its slot', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'grid-sv' });
    const rows = await portal.evaluate(() => __replica.rowCount());
    const audit = () => portal.evaluate(() => [...document.querySelectorAll('[data-snshare-pick]')].map((p) => {
      const a = p.closest('[role="row"], tr').querySelector('a[href*="actionId="]');
      return {
        label: p.getAttribute('aria-label'),
        title: a.textContent.replace(/\s+/g, ' ').trim(),
        id: new URL(a.getAttribute('href'), location.href).searchParams.get('actionId'),
        key: p.getAttribute('data-snshare-pick'),
        slot: p.nextElementSibling?.getAttribute('data-snshare-action'),
        type: p.type,
        checked: p.checked,
      };
    }));
    // The rows whose checkbox is not as it must be, with what is wrong.
    const problems = (seen) => seen.flatMap((s) => {
      const wrong = [];
      if (s.label !== ui('grid-sv', 'bulk_pick', s.title)) wrong.push(`named "${s.label}"`);
      if (s.key !== s.id) wrong.push(`bound to ${s.key}`);
      if (s.slot !== s.id) wrong.push(`before the slot of ${s.slot}`);
      if (s.type !== 'checkbox' || s.checked) wrong.push(`a ${s.type}, checked ${s.checked}`);
      return wrong.length ? [`${s.id}: ${wrong.join(', ')}`] : [];
    });
    await expect.poll(async () => (await audit()).length).toBe(rows);
    expect(problems(await audit())).toEqual([]);
    const before = (await audit()).map((s) => s.id).join();
    await portal.evaluate(() => __replica.sortBy('title', true));
    await expect.poll(async () => (await audit()).map((s) => s.id).join()).not.toBe(before);
    await expect.poll(async () => problems(await audit())).toEqual([]);
    expect(await portal.locator('[data-snshare-pick]').count()).toBe(rows);
  });

  test('grid-en (the portal\'s selection column): no snshare checkbox', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'grid-en' });
    await expectOneButtonPerRow(portal, await portal.evaluate(() => __replica.rowCount()), 'grid-en');
    expect(await picks(portal)).toBe(0);
  });

  test('grid-sv: when the portal\'s own row checks appear, snshare\'s checkboxes go', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'grid-sv' });
    const rows = await portal.evaluate(() => __replica.rowCount());
    await expect.poll(() => portal.locator('[data-snshare-pick]').count()).toBe(rows);
    // The list gains a selection column (as after a portal update): a row check in each row.
    await portal.evaluate(() => {
      for (const row of document.querySelectorAll('[role="row"]')) {
        if (!row.querySelector('[role="gridcell"]')) continue;
        const check = document.createElement('span');
        check.setAttribute('role', 'checkbox');
        check.setAttribute('aria-checked', 'false');
        row.querySelector('[role="gridcell"]').prepend(check);
      }
    });
    await expect.poll(() => portal.locator('[data-snshare-pick]').count()).toBe(0);
    await expectOneButtonPerRow(portal, rows, 'grid-sv');
  });
});

// The JS build's loading (what is downloaded, which sheets style the controls) is the same on
// every variant: checked on the one that fluent.spec.mjs's strict-CSP runs leave out (grid-en,
// table-it and fluent-en go through whole scenarios there).
{
  const variant = 'grid-zh';
  test.describe(`strict page CSP (${variant})`, () => {
    test.use({ csp: 'strict' });

    test(`${variant}: the JS build injects the same buttons and opens the form`, async ({ portal }) => {
      const asked = [];
      portal.on('request', (r) => { if (r.url().startsWith('chrome-extension://')) asked.push(new URL(r.url()).pathname); });
      await open(portal, '/securescore?viewid=actions', { 'replica-variant': variant });
      await expect(portal.locator('html')).toHaveAttribute('data-snshare-core', 'js');
      await expectOneButtonPerRow(portal, 67, variant);
      // Under the page's `style-src` (no inline style without its nonce), the manifest's sheet
      // styles the buttons.
      await expectStyledBySheet(portal);
      // The page's CSP is asked first: the wasm build the page would refuse is never downloaded.
      expect([...new Set(asked.filter((p) => p.startsWith('/pkg-js/')))].sort()).toEqual(['/pkg-js/snshare_content.js', '/pkg-js/snshare_content_bg.wasm.js']);
      expect(asked.filter((p) => p.startsWith('/pkg/'))).toEqual([]);
      await shareButtons(portal).first().click();
      await expect(form(portal)).toBeVisible();
      await expect(form(portal).getByRole('textbox', { name: ui(variant, 'form_name') })).not.toHaveValue('');
      // And the form's own sheet, in its shadow root, applies: the overlay dims the page.
      await expect(form(portal)).toHaveCSS('background-color', 'rgba(0, 0, 0, 0.4)');
      await portal.keyboard.press('Escape');
      await expect(form(portal)).toHaveCount(0);
    });
  });
}

// The popup's recognition report: the content script counts what it recognized, the forms
// module (downloaded only then, issue 17) writes the outlines, content.js answers with both —
// with the wasm build and with the JS build a strict page CSP gets.
for (const [csp, engine] of [['none', 'wasm'], ['strict', 'js']]) {
  test.describe(`the recognition report, page CSP ${csp}`, () => {
    test.use({ csp });

    test(`${engine}: the popup's report counts the rows and outlines the list, its first row and the panel`, async ({ context, extensionId, portal }) => {
      const asked = [];
      portal.on('request', (r) => { if (r.url().startsWith('chrome-extension://')) asked.push(new URL(r.url()).pathname); });
      await open(portal, '/securescore?viewid=actions&actionId=AdminMFAV2');
      await expect(portal.locator('html')).toHaveAttribute('data-snshare-core', engine);
      await expectOneButtonPerRow(portal, 67);
      expect(asked.filter((p) => p.includes('snshare_forms'))).toEqual([]);
      // Asked as the popup asks the active tab.
      const popup = await context.newPage();
      await popup.goto(`chrome-extension://${extensionId}/popup.html`);
      await portal.bringToFront();
      const text = await popup.evaluate(async () => {
        const [tab] = await chrome.tabs.query({ active: true, currentWindow: true });
        return chrome.tabs.sendMessage(tab.id, { snshare: 'recognition_report' });
      });
      const report = JSON.parse(text);
      expect(report).toMatchObject({ format: 'snshare-recognition/1', page: 'action_detail', list_found: true, rows_found: 67, panel_found: true });
      expect(report.list_outline).toMatch(/^div\[role=grid\]/);
      // Alike rows written once, with a count.
      expect(report.list_outline).toMatch(/\n +div\[role=row\]\(/);
      expect(report.list_outline).toMatch(/… ×\d+/);
      expect(report.row_outline).toMatch(/^div\[role=row\]/);
      expect(report.panel_outline).toBeTruthy();
      expect(asked.some((p) => p.includes('snshare_forms'))).toBe(true);
    });
  });
}

test.describe('lists that change under the buttons', () => {
  test('500 virtualized rows scrolled through: one button per visible row, bound to its action', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions', { 'replica-virtual': 1, 'replica-rows': 500 });
    const first = await audit(portal);
    expect(first.rows).toBeGreaterThan(10);
    expect(first.rows).toBeLessThan(40);
    await expectOneButtonPerRow(portal, first.rows);
    // (Indexes whose scroll the replica settles; from some others its virtual list keeps
    // scrolling on its own, with or without snshare.)
    for (const index of [1, 60, 150, 333, 480, 499, 250, 100, 3, 0]) {
      await portal.evaluate((i) => __replica.scrollToIndex(i), index);
      await settle(portal);
      await expectOneButtonPerRow(portal, await portal.evaluate(() => __replica.rowCount()));
      // As a user finds them: the button named after a row shown now (recycled rows follow).
      const shown = await portal.evaluate(() => [...document.querySelectorAll('[role="row"] a[href*="actionId="]')].map((a) => a.textContent.trim()));
      for (const title of [shown[0], shown[Math.floor(shown.length / 2)], shown[shown.length - 1]]) {
        await expect(portal.getByRole('button', { name: `Share to ServiceNow: ${title}`, exact: true })).toHaveCount(1);
      }
    }
  });

  test('the virtualized table variant with spacer rows', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'table-it', 'replica-virtual': 1, 'replica-rows': 500 });
    for (const index of [0, 100, 400]) {
      await portal.evaluate((i) => __replica.scrollToIndex(i), index);
      await settle(portal);
      await expectOneButtonPerRow(portal, await portal.evaluate(() => __replica.rowCount()), 'table-it');
    }
  });

  test('a row the portal re-renders gets its button back, once', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions');
    await expectOneButtonPerRow(portal, 67);
    for (const id of ['AdminMFAV2', 'contoso_html_probe', 'AdminMFAV2']) {
      expect(await portal.evaluate((i) => __replica.rerenderRow(i), id)).toBe(true);
      await expectOneButtonPerRow(portal, 67);
    }
    // Rows added later, and the whole list rebuilt.
    await portal.evaluate(() => __replica.addRows(40));
    await expectOneButtonPerRow(portal, 107);
    await portal.evaluate(() => __replica.setRows(20));
    await expectOneButtonPerRow(portal, 20);
  });

  // A row whose title is a button has no id of its own: its slot is keyed by the title until
  // the page shows the action's id (its panel), and then by that id, the row still in place
  // under the panel. Only such rows are bound again when the title map learns (issue 17: a
  // list whose linked rows teach it chunk by chunk was bound again whole after every chunk).
  test('fluent-fr: a row titled by a button is keyed by its action\'s id once its panel showed it', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'fluent-fr', 'replica-virtual': 0 });
    const slots = () => portal.evaluate(() => Object.fromEntries([...document.querySelectorAll('[data-snshare-action]')].map((s) => [
      s.nextElementSibling?.textContent.replace(/\s+/g, ' ').trim() ?? '',
      { key: s.getAttribute('data-snshare-action'), byTitle: s.hasAttribute('data-snshare-by-title') },
    ])));
    const rows = await portal.evaluate(() => __replica.visibleRows());
    const buttons = rows.filter((r) => !r.link);
    const linked = rows.filter((r) => r.link);
    expect(buttons.length).toBeGreaterThan(1);
    expect(linked.length).toBeGreaterThan(1);
    await expect.poll(async () => Object.keys(await slots()).length, { timeout: 10_000 }).toBe(rows.length);
    const before = await slots();
    for (const r of linked) expect(before[r.title]).toEqual({ key: r.id, byTitle: false });
    for (const r of buttons) {
      expect(before[r.title].byTitle).toBe(true);
      expect(before[r.title].key).toMatch(/^title\.[0-9a-f]{12}$/);
    }
    const [target, other] = buttons;
    await navigate(portal, `/securescore?viewid=actions&actionId=${target.id}`);
    await expect(portal.getByRole('dialog')).toHaveCount(1);
    // The row under the panel, re-keyed; the other button rows and the linked rows as they were.
    await expect.poll(async () => (await slots())[target.title], { timeout: 10_000 }).toEqual({ key: target.id, byTitle: true });
    const after = await slots();
    expect(after[other.title]).toEqual(before[other.title]);
    for (const r of linked) expect(after[r.title]).toEqual(before[r.title]);
  });

  test('a row the page adds has its button in the same task, before anything else sees it', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions');
    await expectOneButtonPerRow(portal, 67);
    // An observer made after snshare's is told after it, at the same microtask checkpoint of
    // the task that inserted the rows: a row without its button there waits for a frame or a
    // timer, and would be painted without it.
    await portal.evaluate(() => {
      const seen = { rows: 0, without: [] };
      window.__rowsSeen = seen;
      new MutationObserver((records) => {
        for (const record of records) {
          for (const n of record.addedNodes) {
            if (n.nodeType !== 1) continue;
            const rows = n.matches('[role="row"], tr') ? [n] : [...n.querySelectorAll('[role="row"], tr')];
            for (const row of rows) {
              const link = row.querySelector('a[href*="actionId="]');
              if (!link) continue;
              seen.rows += 1;
              if (!row.querySelector('button[data-snshare-cmd="share-row"]')) seen.without.push(link.textContent.trim());
            }
          }
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await portal.evaluate(() => __replica.addRows(40));
    expect(await portal.evaluate(() => __replica.rerenderRow('AdminMFAV2'))).toBe(true);
    await expectOneButtonPerRow(portal, 107);
    expect(await portal.evaluate(() => window.__rowsSeen)).toEqual({ rows: 41, without: [] });
  });

  test('a busy widget beside the list has none of its added nodes read; rows the list adds still get their buttons', async ({ portal, extensionId }) => {
    // Issue 17: only what changes inside the action list can name rows or its header. Elsewhere
    // a change says only that the page's structure changed, and its nodes are not read one by
    // one (a third of snshare's time beside a busy widget).
    await open(portal, '/securescore?viewid=actions');
    await expectOneButtonPerRow(portal, 67);
    const world = await contentScriptWorld(portal, extensionId);
    try {
      // Counts the content script's reads of a record's added nodes: its world's own prototype.
      await world.evaluate(() => {
        const own = Object.getOwnPropertyDescriptor(MutationRecord.prototype, 'addedNodes');
        globalThis.__addedNodesRead = 0;
        Object.defineProperty(MutationRecord.prototype, 'addedNodes', {
          configurable: true,
          get() { globalThis.__addedNodesRead += 1; return own.get.call(this); },
        });
      });
      const reads = () => world.evaluate(() => globalThis.__addedNodesRead);
      await portal.evaluate(() => __replica.mutateChurn(2000, 1));
      await portal.evaluate(() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 50))));
      expect(await reads()).toBe(0);
      await expectOneButtonPerRow(portal, 67);
      await portal.evaluate(() => __replica.addRows(10));
      await expectOneButtonPerRow(portal, 77);
      expect(await reads()).toBeGreaterThan(0);
    } finally {
      await world.close();
    }
  });

  test('a list page\'s rows get their badges with their buttons: the snapshot is asked as the page opens', async ({ context, extensionId, portal, sandbox }) => {
    // Issue 17: a row that appears has its share button and its badge before the next paint.
    // The snapshot is asked for when a page that lists actions opens, not once its first rows
    // are there, so it is in while the portal fetches its list (here 1.5 s, a loaded machine's
    // worker round trip included): each row's badge comes in the same observer delivery as its
    // button. Asked once rows were there, the answer came while the portal still rendered and
    // drew every badge again in one task (21–27 ms in a 200-row load); a snapshot that does come
    // late is still drawn in a task of its own, never in a batch of rows the portal inserts.
    // Told apart from outside: each delivery of a page observer made before the portal's
    // scripts records the rows that got their first share button, those of them that got a
    // badge with it, and the rows served before that got a badge.
    const ids = (await (async () => {
      await open(portal, '/securescore?viewid=actions', { 'replica-rows': 200 });
      return portal.evaluate(() => __replica.actions.slice(0, 50).map((a) => a.id));
    })()).filter((_, i) => i % 5 === 0);
    for (const id of ids) await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: `snshare:${id}:`, user: INTEGRATION_USER.user });
    await (await connect(context, extensionId)).close();
    // The worker's snapshot fetched once: on the next loads it answers from its cache.
    await portal.bringToFront();
    await portal.reload();
    await expect(portal.locator('.snshare-badge')).toHaveCount(ids.length);
    await portal.addInitScript(() => {
      const served = new WeakSet();
      const deliveries = [];
      window.__deliveries = deliveries;
      const rowOf = (n) => n.closest('[role="row"], tr');
      new MutationObserver((records) => {
        const buttons = new Set();
        const badges = new Set();
        for (const record of records) {
          for (const n of record.addedNodes) {
            if (n.nodeType !== 1) continue;
            for (const e of [n, ...n.querySelectorAll('button[data-snshare-cmd="share-row"], .snshare-badge')]) {
              const row = e.isConnected ? rowOf(e) : null;
              if (!row) continue;
              if (e.matches('button[data-snshare-cmd="share-row"]')) buttons.add(row);
              else if (e.matches('.snshare-badge')) badges.add(row);
            }
          }
        }
        const fresh = [...buttons].filter((r) => !served.has(r));
        const withBadge = fresh.filter((r) => badges.has(r)).length;
        const older = [...badges].filter((r) => served.has(r)).length;
        for (const r of buttons) served.add(r);
        if (fresh.length || older) deliveries.push({ fresh: fresh.length, withBadge, older });
      }).observe(document, { childList: true, subtree: true });
    });
    await setCookies(context, { 'replica-render-delay': 1500 });
    await portal.reload();
    await portal.evaluate(() => __replica.ready);
    await expect(shareButtons(portal)).toHaveCount(200);
    await expect(portal.locator('.snshare-badge')).toHaveCount(ids.length);
    const deliveries = await portal.evaluate(() => window.__deliveries);
    expect(deliveries.reduce((n, d) => n + d.fresh, 0)).toBe(200);
    // Every badge came with its row's button, none to a row served before.
    expect(deliveries.reduce((n, d) => n + d.withBadge, 0)).toBe(ids.length);
    expect(deliveries.filter((d) => d.older > 0)).toEqual([]);
  });

  test('a list page is sent each action\'s shown ticket, not the whole cache; the cards then get every ticket', async ({ context, extensionId, portal, sandbox }) => {
    // Issue 17: the list's badges read one ticket per action, so the worker's answer to the list
    // page is cut to those (a cache of 1,000 or 10,000 tickets does not cross the messaging
    // while the portal renders). The cards, reached without a page load, read every ticket.
    // The popup and the ticket list read every ticket and no badge: no packed text for them.
    await open(portal, '/securescore?viewid=actions', { 'replica-rows': 40 });
    const ids = await portal.evaluate(() => __replica.actions.slice(0, 8).map((a) => a.id));
    for (const id of ids) await sandbox.seed({ table: 'incident', count: 3, correlation_prefix: `snshare:${id}:`, user: INTEGRATION_USER.user });
    const options = await connect(context, extensionId);
    const snapshot = async (need) => (await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: false, need } })).body.data;
    await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: true } });
    await expect.poll(async () => { const s = await snapshot('both'); return !s.refreshing && s.fetched_at !== null; }, { timeout: 20_000 }).toBe(true);
    const whole = await snapshot('both');
    const cut = await snapshot('shown');
    const every = await snapshot('every');
    expect(whole.tickets).toHaveLength(3 * ids.length);
    expect(whole.counts.length).toBeGreaterThan(0);
    // The popup's and the ticket list's answer: every ticket and the counts, nothing packed.
    expect(every.tickets).toEqual(whole.tickets);
    expect(every.counts).toEqual(whole.counts);
    expect(every.shown).toBe('');
    // The list page's answer: no ticket objects and no counts, each action's shown ticket packed
    // in `shown` (`ticket::pack_shown`: per action 9 fields, each "<length in UTF-8 bytes>:<field>").
    expect(cut.tickets).toHaveLength(0);
    expect(cut.counts).toHaveLength(0);
    expect(cut.shown).not.toBe('');
    expect(cut.shown).toBe(whole.shown);
    const bytes = new TextEncoder().encode(cut.shown);
    const text = (from, to) => new TextDecoder().decode(bytes.subarray(from, to));
    const entries = [];
    for (let at = 0; at < bytes.length;) {
      const fields = [];
      for (let f = 0; f < 9; f++) {
        const colon = bytes.indexOf(58, at);
        const end = colon + 1 + Number(text(at, colon));
        fields.push(text(colon + 1, end));
        at = end;
      }
      entries.push(fields);
    }
    // [key, count, kind, number, short description, state, state label, open, link]
    expect(entries).toHaveLength(ids.length);
    // Each is its action's most recently updated open ticket (the whole cache is newest first).
    for (const [, count, kind, number, , , , open] of entries) {
      expect([count, kind, open]).toEqual(['3', 'incident', '1']);
      const action = whole.tickets.find((t) => t.number === number).correlation_id.split(':').slice(0, 2).join(':');
      expect(number).toBe(whole.tickets.find((t) => t.correlation_id.startsWith(`${action}:`) && t.open).number);
    }
    expect(new Set(entries.map((e) => e[3])).size).toBe(ids.length);
    // What the portal's tab asks the worker for, recorded beside the worker's own listener.
    const worker = context.serviceWorkers().find((w) => w.url().endsWith('/background.js'));
    await worker.evaluate((portalOrigin) => {
      globalThis.__ticketAsks = [];
      chrome.runtime.onMessage.addListener((m, sender) => {
        if (m?.body?.type === 'get_tickets' && String(sender.url).startsWith(portalOrigin)) globalThis.__ticketAsks.push(m.body.data);
      });
    }, PORTAL);
    const asks = () => worker.evaluate(() => globalThis.__ticketAsks);
    await portal.bringToFront();
    await portal.reload();
    await portal.evaluate(() => __replica.ready);
    await expect(portal.getByRole('link', { name: /^ServiceNow ticket INC\d{7}: / })).toHaveCount(ids.length, { timeout: 15_000 });
    expect(await asks()).toEqual([{ force_refresh: false, need: 'shown' }]);
    // The cards list the latest incidents of the whole cache, not of the list's cut.
    await navigate(portal, '/homepage');
    const card = portal.getByRole('region', { name: 'Incident management' });
    const latest = whole.tickets.filter((t) => t.kind === 'incident').slice(0, 5).map((t) => t.number);
    await expect(card.getByRole('link', { name: /^INC\d{7}$/ })).toHaveText(latest, { timeout: 15_000 });
    expect(await asks()).toEqual([{ force_refresh: false, need: 'shown' }, { force_refresh: false, need: 'both' }]);
  });

  test('a page that sets its language after snshare started gets its buttons in that language', async ({ portal }) => {
    // snshare starts at document_start, before the portal's scripts set <html lang>: it
    // follows the attribute, not what it read at start (a catalogue loaded when the browser
    // speaks another language, none when it speaks the page's).
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'grid-fr' });
    await expectOneButtonPerRow(portal, 67, 'grid-fr');
    await portal.evaluate(() => { document.documentElement.lang = 'en'; });
    await expectOneButtonPerRow(portal, 67, 'grid-en');
    await portal.evaluate(() => { document.documentElement.lang = 'fr'; });
    await expectOneButtonPerRow(portal, 67, 'grid-fr');
    await expectStyledBySheet(portal);
  });

  test('a portal page without snshare features is left alone, and the list reached from it speaks the page\'s language', async ({ portal, context }) => {
    // Most of the portal (incidents, alerts, hunting; here Secure Score's history) shows nothing
    // of snshare's: there it does not look at the page's mutations (issue 17), only at its
    // address, and asks the worker for no tickets. The <html lang> the page sets meanwhile is
    // read when the list starts.
    const worker = context.serviceWorkers().find((w) => w.url().endsWith('/background.js'));
    await worker.evaluate((portalOrigin) => {
      globalThis.__portalAsks = [];
      chrome.runtime.onMessage.addListener((m, sender) => {
        if (String(sender.url).startsWith(portalOrigin) && m?.body?.type) globalThis.__portalAsks.push(m.body.type);
      });
    }, PORTAL);
    const asks = () => worker.evaluate(() => globalThis.__portalAsks);
    await open(portal, '/securescore?viewid=history', { 'replica-variant': 'grid-fr' });
    await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
    await expect(portal.locator('html')).toHaveAttribute('lang', 'fr');
    await portal.evaluate(() => __replica.mutateChurn(2000, 1));
    await portal.evaluate(() => { document.documentElement.lang = 'en'; });
    await expect(portal.locator('[data-snshare]')).toHaveCount(0);
    // What the worker remembers of the tenant is asked (its answer also marks the worker
    // reachable: no ping of its own), and no tickets.
    expect(await asks()).toContain('get_portal_context');
    expect(await asks()).not.toContain('ping');
    expect(await asks()).not.toContain('get_tickets');
    await navigate(portal, '/securescore?viewid=actions');
    await expectOneButtonPerRow(portal, 67, 'grid-en');
    await navigate(portal, '/securescore?viewid=history');
    await expect(portal.locator('[data-snshare]')).toHaveCount(0);
    await portal.goBack();
    await portal.evaluate(() => __replica.ready);
    await expectOneButtonPerRow(portal, 67, 'grid-en');
  });

  test('navigating away and back (pushState, popstate, detail) adds nothing twice', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions');
    await expectOneButtonPerRow(portal, 67);
    await navigate(portal, '/securescore?viewid=overview');
    await expect(shareButtons(portal)).toHaveCount(0);
    await portal.goBack();
    await portal.evaluate(() => __replica.ready);
    await expectOneButtonPerRow(portal, 67);
    // The panel opens over the list: the list keeps its buttons, once.
    await navigate(portal, '/securescore?viewid=actions&actionId=AdminMFAV2');
    await expect(portal.getByRole('dialog', { name: MFA_TITLE })).toBeVisible();
    await expectOneButtonPerRow(portal, 67);
    await portal.goBack();
    await portal.evaluate(() => __replica.ready);
    await navigate(portal, '/homepage');
    await expect(shareButtons(portal)).toHaveCount(0);
    await portal.goBack();
    await portal.evaluate(() => __replica.ready);
    await expectOneButtonPerRow(portal, 67);
    await portal.goForward();
    await portal.evaluate(() => __replica.ready);
    await expect(portal.getByRole('region', { name: 'Do you use ServiceNow?' })).toHaveCount(1);
    await expectStyledBySheet(portal, { buttons: false });
    await expect(portal.locator('[data-snshare="form"]')).toHaveCount(0);
  });

  test('a portal that rewrites its <head> keeps the share buttons styled', async ({ portal }) => {
    // Single-page apps manage their <head>: a sheet the content script put there would go with
    // it, and the buttons would lose their size and icon. The manifest's sheet is the browser's.
    await open(portal, '/securescore?viewid=actions');
    await expectOneButtonPerRow(portal, 67);
    await portal.evaluate(() => { document.head.replaceChildren(); });
    await navigate(portal, '/securescore?viewid=overview');
    await portal.goBack();
    await portal.evaluate(() => __replica.ready);
    await expectOneButtonPerRow(portal, 67);
    await expectStyledBySheet(portal);
  });

  test(`the buttons and an open form follow the portal into its dark theme and back, and the system's scheme`, async ({ portal }) => {
    // The portal switches its theme without a reload (its palette's variables on <html>, as the
    // a11y spec's dark portal): snshare's colours follow at once, not at the next reload.
    await open(portal, '/securescore?viewid=actions');
    await expectOneButtonPerRow(portal, 67);
    const root = portal.locator('html');
    const button = shareButtons(portal).first();
    await expect(root).toHaveAttribute('data-snshare-theme', 'light');
    await expect(button).toHaveCSS('color', 'rgb(15, 108, 189)');
    const palette = (dark) => portal.evaluate((on) => {
      const s = document.documentElement.style;
      for (const [k, v] of Object.entries({ '--replica-bg': '#1b1a19', '--replica-surface': '#292827', '--replica-text': '#ffffff', '--replica-text-2': '#d2d0ce' })) {
        if (on) s.setProperty(k, v); else s.removeProperty(k);
      }
    }, dark);
    await palette(true);
    await expect(root).toHaveAttribute('data-snshare-theme', 'dark');
    await expect(button).toHaveCSS('color', 'rgb(71, 158, 245)');
    await palette(false);
    await expect(root).toHaveAttribute('data-snshare-theme', 'light');
    // A form open meanwhile switches with the portal (its sheet hangs on its host's mark).
    await button.click();
    await expect(form(portal)).toBeVisible();
    const host = portal.locator('[data-snshare="form"]');
    await expect(host).toHaveAttribute('data-theme', 'light');
    await palette(true);
    await expect(host).toHaveAttribute('data-theme', 'dark');
    await palette(false);
    await expect(host).toHaveAttribute('data-theme', 'light');
    await portal.keyboard.press('Escape');
    await expect(form(portal)).toHaveCount(0);
    // A portal that paints no background of its own follows the system's scheme.
    await portal.evaluate(() => {
      for (const e of [document.documentElement, document.body]) e.style.setProperty('background', 'transparent', 'important');
    });
    await portal.emulateMedia({ colorScheme: 'dark' });
    await expect(root).toHaveAttribute('data-snshare-theme', 'dark');
    await portal.emulateMedia({ colorScheme: 'light' });
    await expect(root).toHaveAttribute('data-snshare-theme', 'light');
  });
});

test.describe('the task form', () => {
  test('opens from a row, labels its fields and validates as the user types', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions');
    const title = MFA_TITLE;
    const button = portal.getByRole('button', { name: `Share to ServiceNow: ${title}`, exact: true });
    await button.click();
    const dialog = form(portal);
    await expect(dialog).toBeVisible();
    const name = dialog.getByRole('textbox', { name: 'Task name' });
    await expect(name).toHaveValue(title);
    await expect(dialog.getByText(`${title.length}/160`)).toBeVisible();
    await expect(dialog.getByRole('combobox', { name: 'Ticket type' })).toHaveValue('incident');
    await expect(dialog.getByRole('combobox', { name: 'Ticket type' }).getByRole('option')).toHaveText(['Incident', 'Change request']);
    await expect(dialog.getByRole('combobox', { name: 'Priority' }).getByRole('option')).toHaveText(['Critical', 'High', 'Moderate', 'Low', 'Planning']);
    await expect(dialog.getByRole('textbox', { name: 'Description' })).toHaveValue(
      new RegExp(`^${title}\\n\\nhttps://security\\.microsoft\\.com/securescore\\?viewid=actions&actionId=AdminMFAV2$`));
    const due = dialog.getByLabel('Due date');
    await expect(due).toHaveAttribute('type', 'date');
    const inTwoWeeks = await portal.evaluate(() => {
      const d = new Date(); d.setDate(d.getDate() + 14);
      return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
    });
    await expect(due).toHaveValue(inTwoWeeks);
    await expect(dialog.getByRole('textbox', { name: 'User ID' })).toHaveValue('MeganB@contoso.onmicrosoft.com');
    await expect(dialog.getByRole('textbox', { name: 'User ID' })).not.toBeEditable();
    await expect(dialog.getByRole('textbox', { name: 'Recommendation source' })).toHaveValue('Microsoft recommendation');
    await expect(dialog.getByRole('textbox', { name: 'Category' })).toHaveValue('Identity');

    // Validation, next to each field.
    await name.fill('');
    await expect(dialog.getByText('Enter a task name.')).toBeVisible();
    await expect(name).toHaveAttribute('aria-invalid', 'true');
    await name.fill('x'.repeat(161));
    await expect(dialog.getByText('The task name can have at most 160 characters.')).toBeVisible();
    await expect(dialog.getByText('161/160')).toBeVisible();
    await name.fill('x'.repeat(160));
    await expect(dialog.getByText('The task name can have at most 160 characters.')).toHaveCount(0);
    await expect(name).toHaveAttribute('aria-invalid', 'false');
    await due.fill('2000-01-01');
    await expect(dialog.getByText('The due date cannot be in the past.')).toBeVisible();
    await expect(due).toHaveAttribute('aria-invalid', 'true');
    await due.fill(inTwoWeeks);
    await expect(dialog.getByText('The due date cannot be in the past.')).toHaveCount(0);

    // Not connected (a fresh profile): the form offers to connect instead of Send. The worker
    // takes seconds to say so (4 s idle, over 10 s on a loaded machine).
    await expect(dialog.getByRole('button', { name: 'Connect to ServiceNow' })).toBeVisible({ timeout: 20_000 });
    await expect(dialog.getByRole('button', { name: 'Send to ServiceNow' })).toBeHidden();

    // Cancel closes; focus goes back to the row's button.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(button).toBeFocused();
  });

  test('keyboard only: Tab to the button, Enter opens, focus stays inside, Esc closes', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'grid-fr' });
    const title = await portal.evaluate(() => __replica.actions[2].title);
    await portal.getByRole('link', { name: title, exact: true }).focus();
    await portal.keyboard.press('Shift+Tab');
    const button = portal.getByRole('button', { name: ui('grid-fr', 'portal_share_row', title), exact: true });
    await expect(button).toBeFocused();
    await portal.keyboard.press('Enter');
    const dialog = form(portal);
    await expect(dialog).toBeVisible();
    await expect(dialog.getByRole('combobox', { name: ui('grid-fr', 'form_kind') })).toBeFocused();
    const inForm = () => portal.evaluate(() => document.activeElement?.getAttribute('data-snshare') === 'form');
    for (let i = 0; i < 25; i++) {
      await portal.keyboard.press('Tab');
      expect(await inForm()).toBe(true);
    }
    // The header's close button comes first, and Shift+Tab there wraps to the last control.
    await dialog.getByRole('combobox', { name: ui('grid-fr', 'form_kind') }).focus();
    await portal.keyboard.press('Shift+Tab');
    const close = dialog.getByRole('button', { name: ui('grid-fr', 'form_close'), exact: true });
    await expect(close).toBeFocused();
    await portal.keyboard.press('Shift+Tab');
    await expect(dialog.getByRole('button', { name: ui('grid-fr', 'form_cancel') })).toBeFocused();
    await portal.keyboard.press('Tab');
    await expect(close).toBeFocused();
    await portal.keyboard.press('Tab');
    await expect(dialog.getByRole('combobox', { name: ui('grid-fr', 'form_kind') })).toBeFocused();
    await portal.keyboard.press('Escape');
    await expect(dialog).toHaveCount(0);
    await expect(button).toBeFocused();
    // The portal's detail panel did not see our Esc (the list URL is unchanged).
    expect(new URL(portal.url()).searchParams.get('actionId')).toBeNull();
  });

  test('text from the page stays text: the markup title is literal, nothing runs', async ({ portal }) => {
    const alerts = [];
    portal.on('dialog', (d) => { alerts.push(d.message()); d.dismiss().catch(() => {}); });
    await open(portal, '/securescore?viewid=actions');
    await portal.getByRole('button', { name: `Share to ServiceNow: ${XSS_TITLE}`, exact: true }).click();
    const dialog = form(portal);
    await expect(dialog.getByRole('textbox', { name: 'Task name' })).toHaveValue(XSS_TITLE);
    await expect(dialog.getByText(XSS_TITLE, { exact: true })).toBeVisible();
    await expect(dialog.locator('img, script, iframe')).toHaveCount(0);
    await expect(dialog.getByRole('textbox', { name: 'Description' })).toHaveValue(new RegExp(`^${XSS_TITLE.replace(/[()]/g, '\\$&')}`));
    await expect(dialog.getByRole('textbox', { name: 'Category' })).toHaveValue('Data');
    await portal.keyboard.press('Escape');
    // Same from the detail panel, whose description holds <script> and whose steps hold <iframe>.
    await navigate(portal, '/securescore?viewid=actions&actionId=contoso_html_probe');
    await portal.getByRole('dialog', { name: XSS_TITLE }).getByRole('button', { name: 'Share' }).click();
    await portal.getByRole('menuitem', { name: 'ServiceNow' }).click();
    const description = form(portal).getByRole('textbox', { name: 'Description' });
    await expect(description).toHaveValue(/<script>alert\(1\)<\/script>/);
    await expect(description).toHaveValue(/Next steps:\n1\. Step one with a tag: <iframe src="https:\/\/example\.invalid"><\/iframe>/);
    await expect(form(portal).locator('img, script, iframe')).toHaveCount(0);
    // A dialog of our own, queued after everything above: once it is seen, any alert the
    // page text could have raised by now would have come first.
    await portal.evaluate(() => setTimeout(() => alert('marker'), 0));
    await expect.poll(() => alerts.length).toBeGreaterThan(0);
    expect(alerts).toEqual(['marker']);
  });

  test('without an account control the user ID must be given', async ({ portal }) => {
    await open(portal, '/securescore?viewid=actions', { 'replica-account': 'none' });
    await shareButtons(portal).first().click();
    const user = form(portal).getByRole('textbox', { name: 'User ID' });
    await expect(user).toHaveValue('');
    await expect(user).toBeEditable();
    await expect(form(portal).getByText(/Your user ID could not be read/)).toBeVisible();
  });
});

test.describe('the Share menu', () => {
  for (const [variant, share] of [['grid-en', 'Share'], ['table-it', 'Condividi'], ['grid-noheaders', 'Share']]) {
    test(`${variant}: "ServiceNow" is in the menu, by keyboard, on every opening`, async ({ portal }) => {
      await open(portal, '/securescore?viewid=actions&actionId=AdminMFAV2', { 'replica-variant': variant });
      const button = portal.getByRole('button', { name: share, exact: true });
      await expect(button).toBeVisible();
      for (let opening = 0; opening < 2; opening++) {
        await button.focus();
        await portal.keyboard.press('ArrowDown');
        const menu = portal.getByRole('menu');
        await expect(menu.getByRole('menuitem')).toHaveCount(5);
        await expect(menu.getByRole('menuitem', { name: 'ServiceNow' })).toHaveCount(1);
        // Styled like its siblings: the same classes on the item and its wrapper.
        const same = await portal.evaluate(() => {
          const items = [...document.querySelectorAll('[role="menu"] [role="menuitem"]')];
          const ours = items[items.length - 1];
          return ours.className === items[0].className && ours.parentElement.className === items[0].parentElement.className;
        });
        expect(same).toBe(true);
        await portal.keyboard.press('End');
        await expect(menu.getByRole('menuitem', { name: 'ServiceNow' })).toBeFocused();
        if (opening === 0) {
          await portal.keyboard.press('Escape');
          await expect(menu).toHaveCount(0);
          continue;
        }
        await portal.keyboard.press('Enter');
        const dialog = form(portal);
        await expect(dialog).toBeVisible();
        await expect(menu).toHaveCount(0);
        await expect(dialog.getByRole('textbox', { name: ui(variant, 'form_name') })).toHaveValue(MFA_TITLE);
        await expect(dialog.getByRole('textbox', { name: ui(variant, 'form_category') })).toHaveValue(ui(variant, 'common_category_identity'));
        await expect(dialog.getByRole('textbox', { name: ui(variant, 'form_description') })).toHaveValue(/\n1\. .+\n2\. /);
        await expect(dialog.getByRole('textbox', { name: ui(variant, 'form_description') })).toHaveValue(/actionId=AdminMFAV2$/);
        await portal.keyboard.press('Escape');
        await expect(dialog).toHaveCount(0);
        await expect(button).toBeFocused();
        // The panel stays open: our Esc was ours.
        expect(new URL(portal.url()).searchParams.get('actionId')).toBe('AdminMFAV2');
      }
    });
  }
});

test.describe('cards', () => {
  test('not connected: one "Do you use ServiceNow?" card on home and overview, none elsewhere', async ({ portal }) => {
    await open(portal, '/homepage');
    const card = portal.getByRole('region', { name: 'Do you use ServiceNow?' });
    await expect(card).toHaveCount(1);
    await expect(card.getByRole('button', { name: 'Connect to ServiceNow' })).toBeVisible();
    // Inline in the portal's own dashboard, next to its cards.
    const inDashboard = await portal.evaluate(() => {
      const ours = document.querySelector('[data-snshare="card"]');
      return [...ours.parentElement.children].filter((c) => c.firstElementChild?.tagName === 'H2').length;
    });
    expect(inDashboard).toBe(7);
    await expect(portal.getByRole('region', { name: 'Change management' })).toHaveCount(0);
    await navigate(portal, '/securescore?viewid=overview');
    await expect(card).toHaveCount(1);
    await navigate(portal, '/securescore?viewid=actions');
    await expect(card).toHaveCount(0);
    await navigate(portal, '/?tid=4d3c2b1a-9f8e-4a7b-8c6d-5e4f3a2b1c0d');
    await expect(card).toHaveCount(1);
    // Heavy unrelated churn in the page changes nothing.
    await portal.evaluate(() => __replica.mutateChurn(2000, 1));
    await expect(card).toHaveCount(1);
  });
});

// A title holding what a packed answer's separator would be (':', '-', digits), a character of
// two UTF-16 units and quotes is read whole, in a row whose slot stays (bound again: its title
// changed) and in one whose slot the page took away (a new slot), with both engines (the strict
// page CSP runs the JS build). Written for the row accessors tried in issue 17 (measured, not
// kept: README "2,000 rows at once"); it guards any future packing of the row's reads.
for (const csp of [null, 'strict']) {
  test.describe(`row titles are read whole through the content script (${csp ?? 'default'} CSP)`, () => {
    if (csp) test.use({ csp });
    test('a retitled row and a row that lost its slot each have one button named by the whole title', async ({ portal }) => {
      await open(portal, '/securescore?viewid=actions');
      await expect(portal.getByRole('button', { name: `Share to ServiceNow: ${MFA_TITLE}`, exact: true })).toHaveCount(1);
      const retitle = (title, dropSlot) => portal.evaluate(([t, drop]) => {
        const link = document.querySelector('a[href*="AdminMFAV2"]:not([data-snshare] *)');
        const row = link.closest('[role="row"], tr');
        if (drop) row.querySelector('[data-snshare-action]').remove();
        link.textContent = t;
      }, [title, dropSlot]);
      const buttonsIn = () => portal.evaluate(() => {
        const row = document.querySelector('a[href*="AdminMFAV2"]:not([data-snshare] *)').closest('[role="row"], tr');
        return [...row.querySelectorAll('[data-snshare-cmd="share-row"]')].map((b) => b.getAttribute('aria-label'));
      });
      for (const [title, dropSlot] of [['12:3-: Ensure 𝔸 is "on" - 0:', false], ['-1:x 𝔸𝔸: 9:- ok', true]]) {
        await retitle(title, dropSlot);
        await expect(portal.getByRole('button', { name: `Share to ServiceNow: ${title}`, exact: true })).toHaveCount(1);
        expect(await buttonsIn()).toEqual([`Share to ServiceNow: ${title}`]);
      }
    });
  });
}
