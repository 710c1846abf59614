// Track, in the extension's own pages: the ticket list (paging, filter, search, served from a
// fresh cache without a request), the popup, renamed states, and ServiceNow text as text.
import { test, expect, connect, sendFromExtensionPage } from './harness.mjs';

async function seed(sandbox, table, count, fields = {}) {
  return sandbox.seed({ table, count, correlation_prefix: `snshare:seed${table.length}x`, fields });
}

async function warmCache(page) {
  await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
  await expect.poll(async () => {
    const s = await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: false } });
    return s.body.data.refreshing === false && s.body.data.fetched_at !== null;
  }, { timeout: 20_000 }).toBe(true);
}

// Every ServiceNow API request (Table, Batch, Aggregate), not the sandbox's own admin calls.
const apiRequests = async (sandbox) => (await sandbox.requests()).filter((r) => r.path.startsWith('/api/'));

const snapshot = async (page) =>
  (await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: false } })).body.data;

/**
 * The worker has no refresh running: any request a refresh made is answered, hence in the
 * sandbox's log (which records a request once answered). The positive signal that lets a
 * "no request" check follow.
 */
async function settled(page) {
  await expect.poll(async () => (await snapshot(page)).refreshing, { timeout: 20_000 }).toBe(false);
}

test('the list pages through 300 tickets, filters and searches', async ({ context, extensionId, sandbox }) => {
  await seed(sandbox, 'incident', 180);
  await seed(sandbox, 'change_request', 120);
  const options = await connect(context, extensionId);
  await warmCache(options);
  const list = await context.newPage();
  await list.goto(`chrome-extension://${extensionId}/tickets.html`);
  const table = list.getByRole('table');
  await expect(list.getByText(/1\s*[–-]\s*25 of 300/).first()).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(26);
  await list.getByRole('button', { name: 'Next' }).click();
  await expect(list.getByText(/26\s*[–-]\s*50 of 300/).first()).toBeVisible();
  await list.getByRole('combobox', { name: 'Type' }).selectOption({ label: 'Change request' });
  await expect(list.getByText(/of 120/).first()).toBeVisible();
  await expect(table.getByRole('cell', { name: /^INC/ })).toHaveCount(0);
  const first = (await table.getByRole('row').nth(1).getByRole('rowheader').innerText()).trim();
  await list.getByRole('searchbox', { name: /Search/ }).or(list.getByRole('textbox', { name: /Search/ })).first().fill(first);
  await expect(list.getByText(/1\s*[–-]\s*1 of 1\b/).first()).toBeVisible();
  await expect(table.getByRole('row')).toHaveCount(2);
});

test('a fresh cache serves the list page without a request', async ({ context, extensionId, sandbox }) => {
  await seed(sandbox, 'incident', 40);
  const options = await connect(context, extensionId);
  await warmCache(options);
  const warmed = (await snapshot(options)).fetched_at;
  await sandbox.clearRequests();
  const list = await context.newPage();
  await list.goto(`chrome-extension://${extensionId}/tickets.html`);
  await expect(list.getByRole('table').getByRole('row').nth(1)).toBeVisible();
  // Served, and no refresh started or done since: the cache is still the warmed one.
  await settled(list);
  expect((await snapshot(list)).fetched_at).toBe(warmed);
  expect(await apiRequests(sandbox)).toEqual([]);
});

test('one request per refresh for both kinds, and none while not authorized', async ({ context, extensionId, sandbox }) => {
  await seed(sandbox, 'incident', 200);
  await seed(sandbox, 'change_request', 100);
  const options = await connect(context, extensionId);
  await options.waitForLoadState('networkidle');
  await options.close();
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/tickets.html`);
  await warmCache(page);
  // Only requests that arrive from here on: one still answering from before is not counted.
  const since = Date.now();
  await warmCache(page);
  // The cards' data: one Batch API request for both kinds and their counts (the options
  // page's state-label reads are not part of a refresh).
  const reqs = (await apiRequests(sandbox)).filter((r) => r.time_ms >= since && r.path !== '/api/now/table/sys_choice');
  expect(reqs.map((r) => r.path)).toEqual(['/api/now/v1/batch']);

  // A refresh asked for while another is on its way back is not satisfied by it (that one read
  // the instance before the ask): tickets created in between are in the cache once it is done.
  const BATCH = { path_prefix: '/api/now/v1/batch', method: 'POST' };
  await sandbox.fault({ kind: 'slow_answer', delay_ms: 2_000, count: 1, ...BATCH });
  const before = (await snapshot(page)).fetched_at;
  await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
  // The instance has read (the fault is taken when the request arrives), the answer is not back.
  await expect.poll(async () => (await sandbox.call('GET', '/sandbox/faults')).result.length, { timeout: 10_000 }).toBe(0);
  await seed(sandbox, 'change_request', 1, { short_description: 'Created during a refresh' });
  await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
  await expect.poll(async () => {
    const s = await snapshot(page);
    return !s.refreshing && s.fetched_at > before && s.tickets.some((t) => t.short_description === 'Created during a refresh');
  }, { timeout: 20_000 }).toBe(true);
  await sandbox.revoke();
  await sandbox.expireTokens();
  await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
  await expect.poll(async () => (await sendFromExtensionPage(page, { type: 'get_status' })).body.data.state).toBe('authorization_needed');
  await sandbox.clearRequests();
  for (let i = 0; i < 3; i++) await sendFromExtensionPage(page, { type: 'get_tickets', data: { force_refresh: true } });
  await settled(page);
  expect((await sandbox.requests()).filter((r) => r.path !== '/sandbox/requests')).toEqual([]);
});

test('renamed states and ServiceNow text shown as text in the popup and the list', async ({ context, extensionId, sandbox }) => {
  await seed(sandbox, 'incident', 1, { short_description: '<script>alert(1)</script>', state: '2' });
  const options = await connect(context, extensionId);
  await warmCache(options);
  await sendFromExtensionPage(options, {
    type: 'save_state_names', data: [{ kind: 'incident', state: '2', label: 'Being fixed' }],
  });
  // Read back from the worker (not the answer to the save): the rename is stored.
  const names = (await sendFromExtensionPage(options, { type: 'get_state_names' })).body.data;
  expect(names.find((n) => n.kind === 'incident' && n.state === '2')?.custom_label).toBe('Being fixed');
  let dialogs = 0;
  context.on('page', (p) => p.on('dialog', (d) => { dialogs += 1; d.dismiss(); }));
  const popup = await context.newPage();
  popup.on('dialog', (d) => { dialogs += 1; d.dismiss(); });
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  await expect(popup.getByText('<script>alert(1)</script>').first()).toBeVisible();
  await expect(popup.getByText('Being fixed').first()).toBeVisible();
  const list = await context.newPage();
  await list.goto(`chrome-extension://${extensionId}/tickets.html`);
  await expect(list.getByRole('cell', { name: '<script>alert(1)</script>' })).toBeVisible();
  await expect(list.getByRole('cell', { name: 'Being fixed' }).first()).toBeVisible();
  expect(await list.locator('script:not([src])').count()).toBe(0);
  expect(dialogs).toBe(0);
});

test('the popup shows the five latest tickets of each kind', async ({ context, extensionId, sandbox }) => {
  await seed(sandbox, 'incident', 7);
  await seed(sandbox, 'change_request', 3);
  const options = await connect(context, extensionId);
  await warmCache(options);
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  await expect(popup.getByRole('status')).toContainText('Connected as');
  await expect(popup.getByRole('link', { name: /^INC/ })).toHaveCount(5);
  await expect(popup.getByRole('link', { name: /^CHG/ })).toHaveCount(3);
  await expect(popup.getByRole('link', { name: 'View all tickets' })).toBeVisible();
});

/** Connected, 7 incidents in the cache, and the popup opened once (it keeps what it drew). */
async function popupOpenedOnce(context, extensionId, sandbox) {
  await seed(sandbox, 'incident', 7);
  const options = await connect(context, extensionId);
  await warmCache(options);
  const first = await context.newPage();
  await first.goto(`chrome-extension://${extensionId}/popup.html`);
  await expect(first.getByRole('link', { name: /^INC/ })).toHaveCount(5);
  await first.close();
}

test('the popup reads what it last drew while its wasm loads, and fetches the wasm once, preloaded', async ({ context, extensionId, sandbox }) => {
  await popupOpenedOnce(context, extensionId, sandbox);
  const popup = await context.newPage();
  await popup.addInitScript(() => {
    const get = chrome.storage.session.get.bind(chrome.storage.session);
    chrome.storage.session.get = (keys, ...rest) => {
      if (keys === 'popup.drawn' && window.__drawnAsked === undefined) window.__drawnAsked = performance.now();
      return get(keys, ...rest);
    };
    for (const name of ['instantiateStreaming', 'instantiate']) {
      const f = WebAssembly[name].bind(WebAssembly);
      WebAssembly[name] = (...a) => {
        window.__wasmAt ??= performance.now();
        return f(...a);
      };
    }
  });
  // Who asks for the wasm: the page's markup (a preload), or the code once it has loaded.
  const wasm = [];
  const cdp = await context.newCDPSession(popup);
  cdp.on('Network.requestWillBeSent', (e) => {
    if (e.request.url.endsWith('/pkg/snshare_pages_bg.wasm')) wasm.push(e.initiator.type);
  });
  await cdp.send('Network.enable');
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  await expect(popup.getByRole('link', { name: /^INC/ })).toHaveCount(5);
  const seen = await popup.evaluate(() => ({
    drawnAsked: window.__drawnAsked ?? null,
    wasmAt: window.__wasmAt ?? null,
  }));
  // The page's preload fetched it, and nothing fetched it a second time.
  expect(wasm).toEqual(['parser']);
  expect(seen.wasmAt).not.toBeNull();
  expect(seen.drawnAsked).not.toBeNull();
  // Asked before the wasm is even instantiated, not once it has started.
  expect(seen.drawnAsked).toBeLessThan(seen.wasmAt);
});

test('the popup draws what it last drew before the worker answers', async ({ context, extensionId, sandbox }) => {
  await popupOpenedOnce(context, extensionId, sandbox);
  // A worker that never answers: what the popup shows can only come from its own copy.
  const popup = await context.newPage();
  await popup.addInitScript(() => { chrome.runtime.sendMessage = () => new Promise(() => {}); });
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  await expect(popup.getByRole('status')).toContainText('Connected as');
  await expect(popup.getByRole('link', { name: /^INC/ })).toHaveCount(5);
});
