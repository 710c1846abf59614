// Bulk share (issue 18), end to end against the ServiceNow sandbox and the replica's own row
// selection: 25 actions selected, 5 of them with an open ticket, become 20 tickets (one per
// action, each with its own title and correlation id) in one summary, through 429s every 5
// creates and a create committed whose answer was dropped; and a bulk whose browser is closed
// half-way is finished by the outbox after the browser starts again.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  test, expect, PORTAL, english, connect, sendFromExtensionPage, launchExtension, grantedExtensionDir,
  watchErrors,
} from './harness.mjs';

test.describe.configure({ timeout: 150_000 });

const inDays = (n) => new Date(Date.now() + n * 86400e3).toISOString().slice(0, 10);
const UPN = 'MeganB@contoso.onmicrosoft.com';

const draft = (actionId, name) => ({
  kind: 'incident', name, description: 'Earlier ticket', priority: 'high', due_date: inDays(14),
  user_id: UPN, source: 'microsoft', category: 'identity', action_id: actionId, action_url: null,
});

const CREATE = { path_prefix: '/api/now/table/incident', method: 'POST' };
const isCreate = (r) => r.method === 'POST' && r.path === '/api/now/table/incident';
const ofAction = (records, id) => records.filter((r) => String(r.correlation_id).startsWith(`snshare:${id}:`));

async function open(page, p) {
  await page.goto(PORTAL + p);
  // The worker's first answer can take a while on a loaded machine.
  await expect(page.locator('html')).toHaveAttribute('data-snshare-worker', 'ok', { timeout: 20_000 });
  await page.evaluate(() => __replica.ready);
}

/** The actions of the list, in the order shown: id (from the row's link) and title. */
const listed = (page) => page.evaluate(() => Array.from(document.querySelectorAll('[role="row"]'))
  .map((row) => {
    const a = row.querySelector('a[href*="actionId="]');
    return a && { id: new URL(a.href, location.href).searchParams.get('actionId'), title: a.getAttribute('aria-label') || a.textContent.trim() };
  })
  .filter(Boolean));

async function logMark(sandbox) {
  const log = await sandbox.requests();
  return log.length ? log[log.length - 1].index + 1 : 0;
}

test('25 selected, 5 with open tickets: 20 tickets in one summary, through 429s and a dropped answer', async ({ context, extensionId, portal, sandbox }) => {
  const ext = await connect(context, extensionId);
  await open(portal, '/securescore?viewid=actions');
  const actions = (await listed(portal)).slice(0, 25);
  expect(actions).toHaveLength(25);
  const withTicket = actions.slice(0, 5);
  for (const [i, a] of withTicket.entries()) {
    const r = await sendFromExtensionPage(ext, { type: 'share', data: { share_id: `earlier${i}`, draft: draft(a.id, a.title), allow_duplicate: true } });
    expect(r.body.data.outcome).toBe('created');
  }
  // The worker's snapshot has its counts per state (the cards' list) before the bulk.
  await refreshAfter(ext, (await sendFromExtensionPage(ext, { type: 'get_tickets', data: { force_refresh: false } })).body.data.fetched_at ?? 0);
  // The instance rate-limits every 5th create (Retry-After 1 s), and commits the 7th create
  // that reaches it but drops the connection before answering.
  await sandbox.fault({ kind: 'rate_limit', retry_after: 1, every: 5, count: 20, ...CREATE });
  await sandbox.fault({ kind: 'drop_after_commit', every: 7, count: 1, ...CREATE });

  // The portal's own row selection (Fluent's row checkboxes); the bar follows it.
  const bar = portal.getByRole('region', { name: english('bulk_region') });
  await expect(bar).toBeHidden();
  for (const a of actions) {
    const row = portal.getByRole('row').filter({ has: portal.locator(`a[href$="actionId=${a.id}"]`) });
    await row.getByRole('checkbox', { name: 'Select row' }).click();
  }
  await expect(bar).toContainText(english('bulk_selected', '25'));
  const since = await logMark(sandbox);
  await bar.getByRole('button', { name: english('bulk_share_n', '25') }).click();

  const dialog = portal.getByRole('dialog', { name: english('bulk_title', '25') });
  const open5 = dialog.getByRole('group', { name: english('bulk_open_heading') });
  await expect(open5.getByRole('checkbox')).toHaveCount(5, { timeout: 20_000 });
  for (const a of withTicket) await expect(open5).toContainText(a.title);
  // One lookup for all 25 actions: one request per table.
  const lookups = (await sandbox.requests(since))
    .filter((r) => r.method === 'GET' && /active(%3D|=)true/.test(r.query));
  expect(lookups.map((r) => r.path).sort()).toEqual(['/api/now/table/change_request', '/api/now/table/incident']);

  // Nothing is sent before the person's click on Send.
  expect((await sandbox.requests(since)).filter(isCreate)).toEqual([]);
  await dialog.getByRole('textbox', { name: english('bulk_header') }).fill('Secure Score review, sprint 12');
  await dialog.getByRole('button', { name: english('bulk_send', '20') }).click();
  await expect(dialog.getByText(english('bulk_done', '20', '5'))).toBeVisible({ timeout: 90_000 });
  await expect(dialog.locator('[data-part="created-list"] a')).toHaveCount(20);

  const records = await sandbox.records('incident');
  for (const a of actions.slice(5)) {
    const mine = ofAction(records, a.id);
    expect(mine, a.id).toHaveLength(1);
    expect(mine[0].short_description).toBe(a.title);
    expect(mine[0].description).toContain('Secure Score review, sprint 12');
    expect(mine[0].description).toContain(`actionId=${a.id}`);
  }
  for (const a of withTicket) expect(ofAction(records, a.id), a.id).toHaveLength(1);
  const creates = (await sandbox.requests(since)).filter(isCreate);
  expect(creates.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(4);
  expect(creates.filter((r) => r.fault === 'drop_after_commit')).toHaveLength(1);
  expect((await sendFromExtensionPage(ext, { type: 'get_outbox' })).body.data).toEqual([]);

  // The cards (on the overview, reached without a page load) say, per ticket state, how many
  // of the actions behind the tickets the list showed still "To address": read from the
  // list's status column as its rows passed.
  const seen = await listed(portal);
  const statusOf = Object.fromEntries(await portal.evaluate((ids) => ids.map((id) => [id, __replica.statusOf(id)]), seen.map((a) => a.id)));
  expect(Object.values(statusOf).filter((s) => s !== 'To address').length, 'the list shows other statuses too').toBeGreaterThan(0);
  const snapshot = (await sendFromExtensionPage(ext, { type: 'get_tickets', data: { force_refresh: false } })).body.data;
  const behindNew = new Set(snapshot.tickets
    .filter((t) => t.kind === 'incident' && t.state === '1')
    .map((t) => String(t.correlation_id).split(':')[1])
    .filter((id) => id in statusOf));
  const stillToAddress = [...behindNew].filter((id) => statusOf[id] === 'To address').length;
  expect(stillToAddress).toBeGreaterThan(0);
  await dialog.getByRole('button', { name: english('form_close') }).click();
  await portal.evaluate(() => __replica.navigate('/securescore?viewid=overview'));
  const card = portal.getByRole('region', { name: english('cards_incident_title') });
  const newCount = card.getByRole('list', { name: english('cards_counts') }).getByRole('listitem').filter({ hasText: /\bNew\b/ });
  await expect(newCount).toContainText(english('cards_to_address', stillToAddress), { timeout: 15_000 });
});

test('a bulk whose browser closes after 10 tickets: the rest are created after the restart', async ({ servers, sandbox }) => {
  // A share claimed at the close whose create had not reached the instance is resent only once
  // the commit window after its lease has closed (~95 s after the close; rare: the close mostly
  // finds the create held at the instance, which commits it and the lookup adopts it).
  test.setTimeout(240_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-profile-'));
  const launch = () => launchExtension({
    userDataDir: dir, portalPort: servers.replicas.none.port, sandboxPort: sandbox.port, extensionDir: grantedExtensionDir(),
  });
  try {
    let { context, extensionId } = await launch();
    let watch = watchErrors(context, extensionId);
    const ext = await connect(context, extensionId);
    // Each create takes 400 ms at the instance, so the browser closes with the bulk half done.
    await sandbox.fault({ kind: 'delay', delay_ms: 400, count: 100, ...CREATE });
    const ids = Array.from({ length: 20 }, (_, i) => `BulkClose${i}`);
    const items = ids.map((id, i) => ({ share_id: `close${i}`, draft: draft(id, `Bulk close ${i}`), allow_duplicate: false }));
    const started = await sendFromExtensionPage(ext, { type: 'share_bulk', data: { bulk_id: 'closing', items } });
    expect(started.body.type).toBe('bulk');
    const created = async () => (await sandbox.records('incident'))
      .filter((r) => String(r.correlation_id).startsWith('snshare:BulkClose')).length;
    await expect.poll(created, { timeout: 30_000, intervals: [100] }).toBeGreaterThanOrEqual(10);
    expect(watch.unexpected()).toEqual([]);
    await context.close();
    expect(await created()).toBeLessThan(20);
    await sandbox.clearFaults();

    ({ context, extensionId } = await launch());
    watch = watchErrors(context, extensionId);
    const again = await context.newPage();
    await again.goto(`chrome-extension://${extensionId}/popup.html`);
    await expect.poll(created, { timeout: 130_000, intervals: [500] }).toBe(20);
    const records = await sandbox.records('incident');
    for (const id of ids) expect(ofAction(records, id), id).toHaveLength(1);
    // The bulk's record has every ticket for its summary. A create that was in flight when the
    // browser closed is adopted by a lookup once its lease (29 s from its claim) has run out,
    // since the instance may still have been committing it: its item shows "sending" till then.
    await expect.poll(async () => {
      const v = await sendFromExtensionPage(again, { type: 'get_bulk', data: { bulk_id: 'closing' } });
      return v.body.data.items.filter((i) => i.state === 'created').length;
    }, { timeout: 50_000, intervals: [500] }).toBe(20);
    expect(watch.unexpected()).toEqual([]);
    await context.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const MFA = 'AdminMFAV2';
const MFA_TITLE = 'Ensure multifactor authentication is enabled for all users in administrative roles';

/** Waits for a ticket refresh in the worker that finished after `fetchedAt`. */
async function refreshAfter(ext, fetchedAt) {
  const snapshot = async (force) => (await sendFromExtensionPage(ext, { type: 'get_tickets', data: { force_refresh: force } })).body.data;
  await expect.poll(async () => {
    const s = await snapshot(false);
    if (s.refreshing) return false;
    if (s.fetched_at > fetchedAt) return true;
    await snapshot(true);
    return false;
  }, { timeout: 20_000, intervals: [250] }).toBe(true);
}

test('the ticket\'s state flows back: "Set status to Planned", then "Resolved through third party", each on a click only', async ({ context, extensionId, portal, sandbox }) => {
  const ext = await connect(context, extensionId);
  await open(portal, `/securescore?viewid=actions&actionId=${MFA}`);
  const panel = portal.getByRole('dialog', { name: MFA_TITLE });
  await expect(panel.getByRole('radio', { name: 'To address' })).toBeChecked();
  await panel.getByRole('button', { name: 'Share' }).click();
  await portal.getByRole('menuitem', { name: 'ServiceNow' }).click();
  const form = portal.getByRole('dialog', { name: 'Share to ServiceNow' });
  const send = form.getByRole('button', { name: 'Send to ServiceNow' });
  await expect(send).toBeVisible({ timeout: 15_000 });
  await send.click();
  await expect(form.getByRole('link', { name: /^INC\d{7}/ })).toBeVisible({ timeout: 30_000 });
  const offer = form.getByRole('button', { name: english('bulk_set_status', 'Planned') });
  await expect(offer).toBeVisible();
  // Created, and offered: the status is still the portal's, untouched.
  expect(await portal.evaluate(() => __replica.statusChanges())).toEqual([]);
  await offer.click();
  await expect(form.getByText(english('bulk_status_set', 'Planned'))).toBeVisible();
  expect(await portal.evaluate((id) => __replica.statusOf(id), MFA)).toBe('Planned');
  await form.getByRole('button', { name: 'Close' }).click();
  await expect(panel.getByRole('radio', { name: 'Planned' })).toBeChecked();

  // The ticket is resolved in ServiceNow: the panel's badge says so and offers the follow-up.
  const record = (await sandbox.records('incident')).find((r) => String(r.correlation_id).startsWith(`snshare:${MFA}:`));
  const fetchedAt = (await sendFromExtensionPage(ext, { type: 'get_tickets', data: { force_refresh: false } })).body.data.fetched_at;
  await sandbox.call('POST', `/sandbox/records/incident/${record.sys_id}`, { state: '6' });
  await refreshAfter(ext, fetchedAt);
  await portal.reload();
  await portal.evaluate(() => __replica.ready);
  await expect(panel.getByRole('link', { name: new RegExp(`^ServiceNow ticket ${record.number}: Resolved`) })).toBeVisible({ timeout: 15_000 });
  const resolved = panel.getByRole('button', { name: english('bulk_set_status', 'Resolved through third party') });
  await expect(resolved).toBeVisible();
  // (The replica keeps its data in the page: the reload brought back its first status.)
  expect(await portal.evaluate(() => __replica.statusChanges())).toEqual([]);
  await resolved.click();
  await expect(panel.getByRole('radio', { name: 'Resolved through third party' })).toBeChecked();
  expect(await portal.evaluate((id) => __replica.statusOf(id), MFA)).toBe('Resolved through third party');
  expect((await portal.evaluate(() => __replica.statusChanges())).map((c) => c.status)).toEqual(['Resolved through third party']);
});

test('the popup shares all actions on the page that have no ticket, after a preview', async ({ context, extensionId, portal, sandbox }) => {
  const ext = await connect(context, extensionId);
  await open(portal, '/securescore?viewid=actions');
  await portal.evaluate(() => __replica.setRows(12));
  const actions = await listed(portal);
  expect(actions).toHaveLength(12);
  for (const [i, a] of actions.slice(0, 2).entries()) {
    const r = await sendFromExtensionPage(ext, { type: 'share', data: { share_id: `before${i}`, draft: draft(a.id, a.title), allow_duplicate: true } });
    expect(r.body.data.outcome).toBe('created');
  }
  // The page learns of the two tickets, as it would on its next visit.
  await portal.reload();
  await portal.evaluate(() => __replica.ready);
  await portal.evaluate(() => __replica.setRows(12));
  await expect(portal.getByRole('link', { name: /^ServiceNow ticket INC/ })).toHaveCount(2, { timeout: 15_000 });

  // The popup, opened over the portal's tab (the active tab is the portal's).
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  await portal.bringToFront();
  await popup.reload();
  const section = popup.getByRole('region', { name: english('popup_bulk_heading') });
  await expect(section).toContainText(english('popup_bulk_count', '10'), { timeout: 15_000 });
  await section.getByText(english('popup_bulk_preview')).click();
  for (const a of actions.slice(2)) await expect(section.getByRole('listitem').filter({ hasText: a.title })).toHaveCount(1);
  for (const a of actions.slice(0, 2)) await expect(section.getByRole('listitem').filter({ hasText: a.title })).toHaveCount(0);
  const since = await logMark(sandbox);
  expect((await sandbox.requests(since)).filter(isCreate)).toEqual([]);
  await section.getByRole('button', { name: english('bulk_share_n', '10') }).click();
  await expect(section.getByRole('status')).toHaveText(english('bulk_done', '10', '0'), { timeout: 60_000 });
  const records = await sandbox.records('incident');
  for (const a of actions) expect(ofAction(records, a.id), a.id).toHaveLength(1);
});

// The forms are a module of their own (issue 17): the portal page downloads none of it until a
// person reaches for one of snshare's controls, and the first click on one still opens its form,
// which shares — with the wasm build and with the JS build a strict page CSP gets.
for (const [csp, engine, files] of [
  ['none', 'wasm', ['/pkg/snshare_forms.js', '/pkg/snshare_forms_bg.wasm']],
  ['strict', 'js', ['/pkg-js/snshare_forms.js', '/pkg-js/snshare_forms_bg.wasm.js']],
]) {
  test.describe(`page CSP ${csp}`, () => {
    test.use({ csp });

    test(`${engine}: no forms bytes until a control is touched; the bulk form opens on the first click, shares, closes with the page`, async ({ context, extensionId, portal, sandbox }) => {
      await connect(context, extensionId);
      const asked = [];
      portal.on('request', (r) => { if (r.url().startsWith('chrome-extension://')) asked.push(new URL(r.url()).pathname); });
      const formsAsked = () => [...new Set(asked.filter((p) => p.includes('snshare_forms')))].sort();
      await open(portal, '/securescore?viewid=actions');
      await expect(portal.locator('html')).toHaveAttribute('data-snshare-core', engine);
      const actions = (await listed(portal)).slice(30, 32);
      for (const a of actions) {
        const row = portal.getByRole('row').filter({ has: portal.locator(`a[href$="actionId=${a.id}"]`) });
        await row.getByRole('checkbox', { name: 'Select row' }).click();
      }
      const bar = portal.getByRole('region', { name: english('bulk_region') });
      await expect(bar).toContainText(english('bulk_selected', '2'));
      // The page, its rows and the portal's own selection: nothing of the forms yet.
      await portal.waitForTimeout(500);
      expect(formsAsked()).toEqual([]);

      const share = bar.getByRole('button', { name: english('bulk_share_n', '2') });
      await share.click();
      const dialog = portal.getByRole('dialog', { name: english('bulk_title', '2') });
      await expect(dialog).toBeVisible();
      expect(formsAsked()).toEqual(files);
      // Send waits for the open-ticket check (none here).
      await expect(dialog.getByText(english('bulk_checking'))).toBeHidden({ timeout: 20_000 });
      await dialog.getByRole('button', { name: english('bulk_send', '2') }).click();
      await expect(dialog.getByText(english('bulk_done', '2', '0'))).toBeVisible({ timeout: 60_000 });
      const records = await sandbox.records('incident');
      for (const a of actions) expect(ofAction(records, a.id), a.id).toHaveLength(1);

      // Closed, focus goes back to the control that opened it.
      await dialog.getByRole('button', { name: english('form_close') }).click();
      await expect(dialog).toHaveCount(0);
      await expect(share).toBeFocused();
      // Opened again, then the page changes (no reload): the form goes with it.
      await share.click();
      await expect(dialog).toBeVisible();
      await portal.evaluate(() => __replica.navigate('/securescore?viewid=overview'));
      await expect(dialog).toHaveCount(0);
    });
  });
}
