// Share and track, end to end against the ServiceNow sandbox: a row's share button and the Share
// menu create records with every field of the task form, the form shows the ticket number,
// duplicates are caught, failures keep the draft, and the cards and badges show the tickets.
import fs from 'node:fs';
import path from 'node:path';
import {
  test, expect, PORTAL, INSTANCE, DIST, ROOT, english, connect, sendFromExtensionPage, launchExtension, watchErrors,
  grantedExtensionDir,
} from './harness.mjs';

const MFA = 'AdminMFAV2';
const MFA_TITLE = 'Ensure multifactor authentication is enabled for all users in administrative roles';
const XSS_ID = 'contoso_html_probe';
const XSS_TITLE = 'Ensure <img src=x onerror=alert(1)> is blocked';
const UPN = 'MeganB@contoso.onmicrosoft.com';
const CHANGE_PREFIX = 'Microsoft 365 Security and Configuration Change Request: ';

async function open(page, path, cookies = {}) {
  await page.context().addCookies(Object.entries(cookies).map(([name, value]) => ({ name, value: String(value), url: PORTAL })));
  await page.goto(PORTAL + path);
  await expect(page.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  await page.evaluate(() => __replica.ready);
}

const form = (page) => page.getByRole('dialog', { name: 'Share to ServiceNow' });
const rowButton = (page, title) => page.getByRole('button', { name: `Share to ServiceNow: ${title}`, exact: true });

/** The form once its checks are done and Send is offered. */
async function sendReady(page) {
  const send = form(page).getByRole('button', { name: 'Send to ServiceNow' });
  await expect(send).toBeVisible({ timeout: 15_000 });
  await expect(send).toBeEnabled();
  return send;
}

/** Connected, on the list, the form of `title` open with Send offered; and the worker. */
async function sendReadyFor(context, extensionId, portal, title) {
  await connect(context, extensionId);
  await open(portal, '/securescore?viewid=actions');
  await rowButton(portal, title).click();
  const send = await sendReady(portal);
  const worker = context.serviceWorkers().find((w) => w.url().endsWith('/background.js'));
  return { dialog: form(portal), send, worker };
}

/** Forces a ticket refresh in the worker and waits until it is over. */
async function warmCache(page) {
  await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
  await expect.poll(async () => {
    const s = await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: false } });
    return s.body.type === 'snapshot' && s.body.data.refreshing === false && s.body.data.fetched_at !== null;
  }, { timeout: 20_000 }).toBe(true);
}

/** The worker's outbox entries of an action (failed shares wait there), oldest first. */
async function failedShares(page, actionId) {
  const entries = (await sendFromExtensionPage(page, { type: 'get_outbox' })).body.data;
  return entries.filter((e) => e.action_id === actionId).sort((a, b) => a.created_at - b.created_at);
}

/** The correlation id a share's record carries (a short hex share id is its own key). */
const correlationOf = (actionId, share) => `snshare:${actionId}:${share.share_id}`;

const ticketSnapshot = async (page, force) =>
  (await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: force } })).body.data;

/**
 * Waits for a refresh that finished after `fetchedAt`. A forced refresh asked while another
 * runs is not queued, so it is asked again each time the worker is idle without a newer one.
 */
async function refreshAfter(page, fetchedAt) {
  await expect.poll(async () => {
    const s = await ticketSnapshot(page, false);
    if (s.refreshing) return false;
    if (s.fetched_at > fetchedAt) return true;
    await ticketSnapshot(page, true);
    return false;
  }, { timeout: 20_000, intervals: [250] }).toBe(true);
}

const localDate = (page, days) => page.evaluate((n) => {
  const d = new Date(); d.setDate(d.getDate() + n);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}, days);

test('a row share button creates an incident with every field, and the form shows its number', async ({ context, extensionId, portal, sandbox }) => {
  await connect(context, extensionId);
  await open(portal, '/securescore?viewid=actions');
  await rowButton(portal, MFA_TITLE).click();
  const dialog = form(portal);
  const send = await sendReady(portal);
  await dialog.getByRole('combobox', { name: 'Priority' }).selectOption('high');
  const due = await localDate(portal, 20);
  await dialog.getByLabel('Due date').fill(due);
  const description = dialog.getByRole('textbox', { name: 'Description' });
  await description.fill(`Roll out to the admins first.\n\n${await description.inputValue()}`);
  await send.click();
  const link = dialog.getByRole('link', { name: /^INC\d{7}$/ });
  await expect(link).toBeVisible({ timeout: 30_000 });
  const number = (await link.innerText()).trim();
  await expect(link).toHaveAttribute('href', new RegExp(`^${INSTANCE.replace(/\./g, '\\.')}/`));
  await expect(link).toHaveAttribute('target', '_blank');

  const records = (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith(`snshare:${MFA}:`));
  expect(records).toHaveLength(1);
  const r = records[0];
  expect(r.number).toBe(number);
  expect(r.short_description).toBe(MFA_TITLE);
  expect(r.correlation_display).toBe('Microsoft Secure Score: Identity');
  expect([String(r.impact), String(r.urgency)]).toEqual(['1', '2']);
  expect(String(r.priority)).toBe('2');
  expect(String(r.due_date)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  for (const line of ['Roll out to the admins first.', 'Recommendation source: Microsoft recommendation', 'Category: Identity',
    `Shared by: ${UPN}`, `Improvement action: ${MFA}`, `Link: https://security.microsoft.com/securescore?viewid=actions&actionId=${MFA}`]) {
    expect(r.description).toContain(line);
  }

  // Closed, the row shows the ticket's badge, linked into ServiceNow.
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toHaveCount(0);
  const badge = portal.getByRole('link', { name: new RegExp(`^ServiceNow ticket ${number}: `) });
  await expect(badge).toHaveCount(1, { timeout: 20_000 });
  await expect(badge).toHaveAttribute('href', new RegExp(`^${INSTANCE.replace(/\./g, '\\.')}/`));
});

test('a Send reads the access token beside the settings, not after the share is stored', async ({ context, extensionId, portal }) => {
  const { dialog, send, worker } = await sendReadyFor(context, extensionId, portal, MFA_TITLE);
  // The worker's storage calls and requests from here on, in the order they were made.
  await worker.evaluate(() => {
    const log = [];
    globalThis.__calls = log;
    const keys = (k) => (Array.isArray(k) ? k : k == null ? [] : typeof k === 'string' ? [k] : Object.keys(k));
    const wrap = (area, name) => {
      const f = chrome.storage[area][name].bind(chrome.storage[area]);
      chrome.storage[area][name] = (k, ...rest) => {
        log.push(`${area}.${name} ${keys(k).join(' ')}`);
        return f(k, ...rest);
      };
    };
    for (const area of ['local', 'session']) for (const name of ['get', 'set']) wrap(area, name);
    const fetch = globalThis.fetch.bind(globalThis);
    globalThis.fetch = (input, init) => {
      log.push(`fetch ${input?.method ?? init?.method ?? 'GET'} ${new URL(input?.url ?? input).pathname}`);
      return fetch(input, init);
    };
  });
  await send.click();
  await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
  const calls = await worker.evaluate(() => globalThis.__calls);
  const create = calls.findIndex((c) => c.startsWith('fetch POST /api/now/table/incident'));
  const stored = calls.findIndex((c) => /^local\.set .*outbox:/.test(c));
  const token = calls.findIndex((c) => /^session\.get .*auth\.access/.test(c));
  expect(create, calls.join('\n')).toBeGreaterThan(-1);
  expect(stored, calls.join('\n')).toBeGreaterThan(-1);
  // Stored before the request leaves (durability), and the token already read then.
  expect(stored).toBeLessThan(create);
  expect(token, calls.join('\n')).toBeGreaterThan(-1);
  expect(token, calls.join('\n')).toBeLessThan(stored);
  expect(calls.slice(stored, create).filter((c) => c.includes('auth.access')), calls.join('\n')).toEqual([]);
});

test('a Send shows its number before the ticket\'s bookkeeping is stored; the worker\'s next answer has it stored', async ({ context, extensionId, portal }) => {
  const { dialog, send, worker } = await sendReadyFor(context, extensionId, portal, MFA_TITLE);
  // Once the create has left, the worker's writes that settle it (the outbox letting go of the
  // entry, the recent tickets) are held until the test lets them go.
  await worker.evaluate(() => {
    let created = false;
    const held = [];
    globalThis.__held = held;
    globalThis.__release = () => { for (const go of held.splice(0)) go(); };
    const fetch = globalThis.fetch.bind(globalThis);
    globalThis.fetch = (input, init) => {
      const method = input?.method ?? init?.method ?? 'GET';
      if (method === 'POST' && new URL(input?.url ?? input).pathname === '/api/now/table/incident') created = true;
      return fetch(input, init);
    };
    const keys = (k) => (Array.isArray(k) ? k : k == null ? [] : typeof k === 'string' ? [k] : Object.keys(k));
    for (const name of ['set', 'remove']) {
      const f = chrome.storage.local[name].bind(chrome.storage.local);
      chrome.storage.local[name] = (k, ...rest) => {
        const settles = keys(k).some((key) => key.startsWith('outbox:') || key === 'tickets.recent');
        if (!created || !settles) return f(k, ...rest);
        return new Promise((go) => held.push(go)).then(() => f(k, ...rest));
      };
    }
  });
  await send.click();
  const number = dialog.getByRole('link', { name: /^INC\d{7}$/ });
  await expect(number).toBeVisible({ timeout: 15_000 });
  // The number is there while the writes are held: the answer did not wait for them. The worker
  // starts them after answering, so they may reach storage a moment after the number shows.
  await expect.poll(() => worker.evaluate(() => globalThis.__held.length), { timeout: 5_000 }).toBeGreaterThan(0);
  await expect(number).toBeVisible();
  // What the worker is asked meanwhile waits for them, and then reads the share settled.
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  const answer = options.evaluate(() => chrome.runtime.sendMessage({ v: 1, body: { type: 'get_tickets', data: { force_refresh: false } } })
    .then((r) => ({ at: performance.now(), queued: r.body.data.queued_action_ids })));
  await options.waitForTimeout(300);
  const releasedAt = await options.evaluate(() => performance.now());
  await worker.evaluate(() => globalThis.__release());
  const got = await answer;
  expect(got.at).toBeGreaterThan(releasedAt);
  expect(got.queued).not.toContain(MFA);
  expect((await failedShares(options, MFA))).toEqual([]);
  await options.close();
});

test('a click inside the form leaves the portal\'s list unread; one on the page reads its selection', async ({ context, extensionId, portal }) => {
  await connect(context, extensionId);
  await open(portal, '/securescore?viewid=actions');
  await rowButton(portal, MFA_TITLE).click();
  await sendReady(portal);
  // In one go, so that no batch of the content script comes in between: the portal selects a
  // row without a click or key of the person's (its own script), then a click inside the form
  // (Send's, in a share), then one on the page. The bulk bar reads the portal's selection in
  // the task after a click: after the form's, nothing may have been read.
  const bar = await portal.evaluate(async (mfa) => {
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const shown = () => !document.querySelector('[data-snshare="bulk-bar"]').hidden;
    const link = [...document.querySelectorAll('[role="row"] a[href*="actionId="]')].find((a) => !a.href.endsWith(mfa));
    const row = link.closest('[role="row"]');
    const before = shown();
    row.setAttribute('aria-selected', 'true');
    row.querySelector('[role="checkbox"]').setAttribute('aria-checked', 'true');
    const click = (e) => e.dispatchEvent(new MouseEvent('click', { bubbles: true, composed: true }));
    click(document.querySelector('[data-snshare="form"]').shadowRoot.querySelector('h2'));
    await tick();
    const afterForm = shown();
    click(document.querySelector('main'));
    await tick();
    return { before, afterForm, afterPage: shown() };
  }, `actionId=${MFA}`);
  expect(bar).toEqual({ before: false, afterForm: false, afterPage: true });
});

test('a share settles without reading the bulk records the worker already knows', async ({ context, extensionId, portal }) => {
  await connect(context, extensionId);
  await open(portal, '/securescore?viewid=actions');
  const share = async (title) => {
    await rowButton(portal, title).click();
    const dialog = form(portal);
    await (await sendReady(portal)).click();
    await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(dialog).toHaveCount(0);
  };
  // The first share of this worker reads them (and finds none); the second is logged.
  await share(MFA_TITLE);
  const worker = context.serviceWorkers().find((w) => w.url().endsWith('/background.js'));
  await worker.evaluate(() => {
    const log = [];
    globalThis.__reads = log;
    const f = chrome.storage.local.get.bind(chrome.storage.local);
    chrome.storage.local.get = (k, ...rest) => {
      log.push(JSON.stringify(k));
      return f(k, ...rest);
    };
  });
  await share(XSS_TITLE);
  const reads = await worker.evaluate(() => globalThis.__reads);
  expect(reads.length, 'the logged share read storage').toBeGreaterThan(0);
  expect(reads.filter((k) => k.includes('bulk.records')), reads.join('\n')).toEqual([]);
});

test('keyboard only: the Share menu creates a change request, page text kept as text', async ({ context, extensionId, portal, sandbox }) => {
  const alerts = [];
  portal.on('dialog', (d) => { alerts.push(d.message()); d.dismiss().catch(() => {}); });
  await connect(context, extensionId);
  await open(portal, `/securescore?viewid=actions&actionId=${XSS_ID}`);
  await portal.getByRole('dialog', { name: XSS_TITLE }).getByRole('button', { name: 'Share' }).focus();
  await portal.keyboard.press('ArrowDown');
  await portal.keyboard.press('End');
  await expect(portal.getByRole('menuitem', { name: 'ServiceNow' })).toBeFocused();
  await portal.keyboard.press('Enter');
  const dialog = form(portal);
  await expect(dialog.getByRole('combobox', { name: 'Ticket type' })).toBeFocused();
  await portal.keyboard.press('ArrowDown');
  await expect(dialog.getByRole('combobox', { name: 'Ticket type' })).toHaveValue('change_request');
  await sendReady(portal);
  // Enter in the task name sends the form.
  await dialog.getByRole('textbox', { name: 'Task name' }).focus();
  await portal.keyboard.press('Enter');
  const link = dialog.getByRole('link', { name: /^CHG\d{7}$/ });
  await expect(link).toBeVisible({ timeout: 30_000 });
  await expect(link).toBeFocused();

  const records = (await sandbox.records('change_request')).filter((r) => String(r.correlation_id).startsWith(`snshare:${XSS_ID}:`));
  expect(records).toHaveLength(1);
  expect(records[0].short_description).toBe(`${CHANGE_PREFIX}${XSS_TITLE}`);
  expect(records[0].description).toContain('<script>alert(1)</script>');
  expect(records[0].description).toContain('Category: Data');
  await portal.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  expect(alerts).toEqual([]);
});

test('an open ticket for the action is flagged; another is created only on request', async ({ context, extensionId, portal, sandbox }) => {
  await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: `snshare:${MFA}:`, user: 'snshare.integration' });
  const existing = (await sandbox.records('incident')).find((r) => String(r.correlation_id).startsWith(`snshare:${MFA}:`));
  await connect(context, extensionId);
  await open(portal, '/securescore?viewid=actions');
  await rowButton(portal, MFA_TITLE).click();
  const dialog = form(portal);
  const notice = dialog.getByRole('region', { name: 'Open tickets for this action' });
  await expect(notice).toBeVisible({ timeout: 15_000 });
  await expect(notice.getByRole('link', { name: existing.number })).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Send to ServiceNow' })).toBeHidden();
  await notice.getByRole('button', { name: 'Create another ticket' }).click();
  const send = await sendReady(portal);
  await expect(send).toBeFocused();
  await send.click();
  await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
  const mine = (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith(`snshare:${MFA}:`));
  expect(mine).toHaveLength(2);
});

test('a ServiceNow failure shows what to do, keeps the draft, and Retry sends the same share', async ({ context, extensionId, portal, sandbox }) => {
  const options = await connect(context, extensionId);
  await open(portal, '/securescore?viewid=actions');
  await rowButton(portal, MFA_TITLE).click();
  let dialog = form(portal);
  await sendReady(portal);
  await dialog.getByRole('textbox', { name: 'Task name' }).fill('MFA for admins — phase 2');
  // ServiceNow refuses the record (a data policy, a business rule…): a permanent failure.
  await sandbox.fault({ kind: 'status', status: 400, method: 'POST', path_prefix: '/api/now/table/incident', count: 10 });
  await dialog.getByRole('button', { name: 'Send to ServiceNow' }).click();
  const alert = dialog.getByRole('alert');
  await expect(alert).toBeVisible({ timeout: 30_000 });
  await expect(alert).toContainText('The ticket was not created');
  await expect(alert).toContainText('How to fix:');
  await expect(alert.getByRole('button', { name: 'Retry' })).toBeVisible();
  const mine = async () => (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith(`snshare:${MFA}:`));
  expect(await mine()).toHaveLength(0);

  // Closing loses nothing: the draft comes back for the same action, even after a reload.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await portal.reload();
  await portal.evaluate(() => __replica.ready);
  await rowButton(portal, MFA_TITLE).click();
  dialog = form(portal);
  await expect(dialog.getByRole('textbox', { name: 'Task name' })).toHaveValue('MFA for admins — phase 2', { timeout: 10_000 });

  // Sent again while ServiceNow still refuses: this share waits as failed, with Retry.
  const earlier = (await failedShares(options, MFA)).map((e) => e.share_id);
  await (await sendReady(portal)).click();
  const retry = dialog.getByRole('alert').getByRole('button', { name: 'Retry' });
  await expect(retry).toBeVisible({ timeout: 30_000 });
  const failed = (await failedShares(options, MFA)).filter((e) => !earlier.includes(e.share_id));
  expect(failed).toHaveLength(1);

  // ServiceNow accepts again: Retry creates exactly one record, that share, with the kept text.
  await sandbox.clearFaults();
  await retry.click();
  await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
  const records = await mine();
  expect(records).toHaveLength(1);
  expect(records[0].correlation_id).toBe(correlationOf(MFA, failed[0]));
  expect(records[0].short_description).toBe('MFA for admins — phase 2');
});

test('Retry after a failure is the same share: one record, however often it is clicked', async ({ context, extensionId, portal, sandbox }) => {
  const options = await connect(context, extensionId);
  await open(portal, '/securescore?viewid=actions');
  await rowButton(portal, MFA_TITLE).click();
  const dialog = form(portal);
  await sendReady(portal);
  // Refused twice: Send fails, the first Retry fails, the second Retry goes through.
  await sandbox.fault({ kind: 'status', status: 400, method: 'POST', path_prefix: '/api/now/table/incident', count: 2 });
  await dialog.getByRole('button', { name: 'Send to ServiceNow' }).click();
  const retry = dialog.getByRole('alert').getByRole('button', { name: 'Retry' });
  await expect(retry).toBeVisible({ timeout: 30_000 });
  const first = await failedShares(options, MFA);
  expect(first).toHaveLength(1);
  const creates = async () => (await sandbox.requests()).filter((r) => r.method === 'POST' && r.path === '/api/now/table/incident');
  await retry.click();
  // The first Retry was answered (refused again) and is still the one share.
  await expect.poll(async () => (await creates()).length, { timeout: 30_000 }).toBe(2);
  await expect(retry).toBeVisible({ timeout: 30_000 });
  expect((await failedShares(options, MFA)).map((e) => e.share_id)).toEqual([first[0].share_id]);
  await retry.click();
  await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
  expect((await creates()).map((r) => r.status)).toEqual([400, 400, 201]);
  const records = (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith(`snshare:${MFA}:`));
  expect(records).toHaveLength(1);
  expect(records[0].correlation_id).toBe(correlationOf(MFA, first[0]));
  expect(await failedShares(options, MFA)).toEqual([]);
});

test('cards show counts per state and the latest tickets; badges on rows and in the panel', async ({ context, extensionId, portal, sandbox }) => {
  const dialogs = [];
  portal.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await sandbox.seed({ table: 'incident', count: 3, correlation_prefix: `snshare:${MFA}:`, user: 'snshare.integration' });
  await sandbox.seed({ table: 'incident', count: 4, correlation_prefix: 'snshare:BlockLegacyAuthentication:', user: 'snshare.integration' });
  await sandbox.seed({ table: 'change_request', count: 2, correlation_prefix: `snshare:${XSS_ID}:`, user: 'snshare.integration',
    fields: { short_description: '<script>alert(1)</script>' } });
  const options = await connect(context, extensionId);
  await warmCache(options);

  await open(portal, '/homepage');
  const incidents = portal.getByRole('region', { name: 'Incident management' });
  const changes = portal.getByRole('region', { name: 'Change management' });
  await expect(incidents).toBeVisible({ timeout: 15_000 });
  await expect(changes).toBeVisible();
  await expect(portal.getByRole('region', { name: 'Do you use ServiceNow?' })).toHaveCount(0);
  await expect(incidents.getByRole('list', { name: 'Tickets per state' })).toContainText('7');
  await expect(incidents.getByRole('link', { name: /^INC\d{7}$/ })).toHaveCount(5);
  await expect(changes.getByRole('link', { name: /^CHG\d{7}$/ })).toHaveCount(2);
  // As text: the item's own text, not only its title (which names it for assistive tech),
  // and no script element made of it anywhere in the page.
  await expect(changes.getByRole('list', { name: 'Latest tickets' }).getByText('<script>alert(1)</script>', { exact: true }).first()).toHaveText('<script>alert(1)</script>');
  expect(await portal.evaluate(() => [...document.querySelectorAll('script')].filter((s) => s.textContent.includes('alert(1)')).length)).toBe(0);
  for (const name of ['Create ticket', 'View all tickets', 'Manage ServiceNow configuration']) {
    await expect(changes.getByRole('button', { name })).toBeVisible();
  }
  // View all tickets opens the extension's list.
  const listPage = context.waitForEvent('page', { predicate: (p) => p.url().includes('tickets.html') });
  await changes.getByRole('button', { name: 'View all tickets' }).click();
  await (await listPage).close();
  // Create ticket: the form for a change request without an action.
  await changes.getByRole('button', { name: 'Create ticket' }).click();
  const dialog = form(portal);
  await expect(dialog.getByRole('combobox', { name: 'Ticket type' })).toHaveValue('change_request');
  await expect(dialog.getByRole('textbox', { name: 'Recommendation source' })).toHaveValue('User recommendation');
  await portal.keyboard.press('Escape');

  // A card redrawn with new tickets keeps the person's place: the focus stays on its control.
  // The page opens while the worker's refresh is on its way back (it read the new ticket), and
  // the content script's poll brings the ticket in.
  await sandbox.seed({ table: 'change_request', count: 1, correlation_prefix: 'snshare:FocusKept:', user: 'snshare.integration',
    fields: { short_description: 'Arrived while focused' } });
  await sandbox.fault({ kind: 'slow_answer', delay_ms: 3_000, count: 1, path_prefix: '/api/now/v1/batch', method: 'POST' });
  await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: true } });
  await open(portal, '/homepage');
  const viewAll = changes.getByRole('button', { name: 'View all tickets' });
  await viewAll.focus();
  await expect(changes).toContainText('Arrived while focused', { timeout: 20_000 });
  await expect(changes.getByRole('button', { name: 'View all tickets' })).toBeFocused();

  // Badges: the most recent open ticket, with the count; on the row and in the detail panel.
  await open(portal, '/securescore?viewid=actions');
  const badge = portal.getByRole('link', { name: /^ServiceNow ticket INC\d{7}: .+ \(3 tickets for this action\)$/ });
  await expect(badge).toHaveCount(1, { timeout: 15_000 });
  const xss = portal.getByRole('link', { name: /^ServiceNow ticket CHG\d{7}: .+ \(2 tickets for this action\)$/ });
  await expect(xss).toHaveCount(1);
  await expect(xss).toHaveAttribute('title', /<script>alert\(1\)<\/script>/);
  // Nothing ran.
  expect(dialogs).toEqual([]);
  await portal.evaluate((id) => __replica.navigate(`/securescore?viewid=actions&actionId=${id}`), MFA);
  await expect(portal.getByRole('dialog', { name: MFA_TITLE }).getByRole('link', { name: /^ServiceNow ticket INC/ })).toHaveCount(1);
});

test('the cards\' times follow the computer into another time zone while the portal stays open', async ({ context, extensionId, portal, sandbox }) => {
  await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: `snshare:${MFA}:`, user: 'snshare.integration' });
  const options = await connect(context, extensionId);
  await warmCache(options);
  const time = portal.getByRole('region', { name: 'Incident management' }).getByRole('list', { name: 'Latest tickets' }).locator('time').first();
  // The time as Intl writes it in the page now (snshare's formatters are the content script's).
  const expected = async () => portal.evaluate((d) => new Intl.DateTimeFormat('en', { dateStyle: 'short', timeStyle: 'short' })
    .format(new Date(d)), await time.getAttribute('datetime'));
  const cdp = await context.newCDPSession(portal);
  await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'UTC' });
  await open(portal, '/homepage');
  await expect(time).toBeVisible({ timeout: 15_000 });
  const inUtc = await expected();
  await expect(time).toHaveText(inUtc);
  // The computer moves to Kathmandu (UTC+5:45); the tab stays, the cards are drawn again.
  await cdp.send('Emulation.setTimezoneOverride', { timezoneId: 'Asia/Kathmandu' });
  await portal.evaluate(() => __replica.navigate('/securescore?viewid=history'));
  await expect(time).toHaveCount(0);
  await portal.evaluate(() => __replica.navigate('/homepage'));
  await expect(time).toBeVisible({ timeout: 15_000 });
  const inKathmandu = await expected();
  expect(inKathmandu).not.toBe(inUtc);
  await expect(time).toHaveText(inKathmandu);
  await cdp.detach();
});

test('a state changed in ServiceNow, and a renamed state, show on the card and the badge', async ({ context, extensionId, portal, sandbox }) => {
  await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: `snshare:${MFA}:`, user: 'snshare.integration' });
  const record = (await sandbox.records('incident')).find((r) => String(r.correlation_id).startsWith(`snshare:${MFA}:`));
  const options = await connect(context, extensionId);
  await warmCache(options);
  await open(portal, '/securescore?viewid=actions');
  const badge = portal.getByRole('link', { name: new RegExp(`^ServiceNow ticket ${record.number}: `) });
  await expect(badge).toHaveCount(1, { timeout: 15_000 });
  // Before: the instance's own label of the seeded state.
  await expect(badge).toHaveAccessibleName(`ServiceNow ticket ${record.number}: New`);

  await sandbox.call('POST', `/sandbox/records/incident/${record.sys_id}`, { state: '2' });
  await sendFromExtensionPage(options, { type: 'save_state_names', data: [{ kind: 'incident', state: '2', label: 'Being fixed' }] });
  await refreshAfter(options, (await ticketSnapshot(options, false)).fetched_at);
  await portal.reload();
  await portal.evaluate(() => __replica.ready);
  await expect(portal.getByRole('link', { name: `ServiceNow ticket ${record.number}: Being fixed`, exact: true })).toHaveCount(1, { timeout: 15_000 });
  await portal.evaluate(() => __replica.navigate('/homepage'));
  const incidents = portal.getByRole('region', { name: 'Incident management' });
  await expect(incidents.getByRole('list', { name: 'Latest tickets' }).getByText('Being fixed', { exact: true })).toBeVisible({ timeout: 15_000 });
  await expect(incidents.getByRole('list', { name: 'Tickets per state' })).toContainText('Being fixed');
});

test.describe('under the strict page CSP (the JS build of the core)', () => {
  test.use({ csp: 'strict' });

  test('the table variant shares from a row and shows the number', async ({ context, extensionId, portal, sandbox }) => {
    await connect(context, extensionId);
    await open(portal, '/securescore?viewid=actions', { 'replica-variant': 'table-it' });
    await expect(portal.locator('html')).toHaveAttribute('data-snshare-core', 'js');
    // The in-page UI speaks the Italian portal's language (issue 15).
    const it = JSON.parse(fs.readFileSync(path.join(DIST, '_locales/it/messages.json'), 'utf8'));
    await portal.getByRole('button', { name: it.portal_share_row.message.replace('$1', () => MFA_TITLE), exact: true }).click();
    const dialog = portal.getByRole('dialog', { name: it.form_title.message });
    const send = dialog.getByRole('button', { name: it.form_send.message });
    await expect(send).toBeEnabled({ timeout: 15_000 });
    await send.click();
    await expect(dialog.getByRole('link', { name: /^INC\d{7}$/ })).toBeVisible({ timeout: 30_000 });
    const records = (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith(`snshare:${MFA}:`));
    expect(records).toHaveLength(1);
    expect(records[0].description).toContain('Category: Identity');
  });
});

// The forms module cannot be loaded (as when the extension was updated under an open tab, and
// the tab's content script asks the new files for the old module): the row button does not
// silently do nothing. The person is told next to it, and the draft the worker holds stays.
test('a forms module that does not load is said next to the row button, and the draft is kept', async ({ servers, sandbox }) => {
  const broken = path.join(ROOT, 'target/e2e/extension-forms-missing');
  fs.rmSync(broken, { recursive: true, force: true });
  fs.cpSync(grantedExtensionDir(), broken, { recursive: true });
  for (const f of ['pkg/snshare_forms_bg.wasm', 'pkg-js/snshare_forms_bg.wasm.js']) fs.rmSync(path.join(broken, f));
  const { context, extensionId, userDataDir } = await launchExtension({
    portalPort: servers.replicas.none.port, sandboxPort: sandbox.port, extensionDir: broken,
  });
  try {
    const watch = watchErrors(context, extensionId);
    // The missing file itself, on purpose.
    watch.allow(/snshare_forms_bg\.wasm/);
    const ext = await connect(context, extensionId);
    const due = new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10);
    const draft = {
      kind: 'incident', name: 'Draft typed before the update', description: 'Kept', priority: 'moderate',
      due_date: due, user_id: UPN, source: 'microsoft', category: null, action_id: MFA, action_url: null,
      assignment_group: null,
    };
    const saved = await sendFromExtensionPage(ext, { type: 'save_draft', data: { key: MFA, draft } });
    expect(saved.body.type).toBe('done');
    const portal = context.pages()[0] ?? await context.newPage();
    await open(portal, '/securescore?viewid=actions');
    const button = rowButton(portal, MFA_TITLE);
    await button.click();
    const alert = portal.getByRole('alert').filter({ hasText: english('forms_unavailable') });
    await expect(alert).toBeVisible({ timeout: 15_000 });
    await expect(form(portal)).toHaveCount(0);
    // Next to the control the person used, and said once however often they try.
    expect(await button.evaluate((b) => b.nextElementSibling?.getAttribute('role'))).toBe('alert');
    await button.click();
    await expect(alert).toBeVisible();
    await expect(portal.getByRole('alert')).toHaveCount(1);
    const kept = await sendFromExtensionPage(ext, { type: 'get_draft', data: { key: MFA } });
    expect(kept.body.data.name).toBe(draft.name);
    // The page changes: the message goes with it.
    await portal.evaluate(() => __replica.navigate('/securescore?viewid=overview'));
    await expect(alert).toHaveCount(0);
    expect(watch.unexpected()).toEqual([]);
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
});
