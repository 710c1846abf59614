// Nothing lost, nothing twice: every share becomes exactly one record in the sandbox, whatever
// fails in between, and the outbox ends empty.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  test, expect, connect, launchExtension, watchErrors, stopServiceWorker, sendFromExtensionPage,
  grantedExtensionDir, startSandbox, INSTANCE,
} from './harness.mjs';

test.describe.configure({ timeout: 120_000 });

const inDays = (n) => new Date(Date.now() + n * 86400e3).toISOString().slice(0, 10);

export function draft(actionId, name = `Share of ${actionId}`) {
  return {
    kind: 'incident', name, description: 'From the outbox suite', priority: 'high', due_date: inDays(14),
    user_id: 'MeganB@contoso.onmicrosoft.com', source: 'microsoft', category: 'identity',
    action_id: actionId, action_url: null,
  };
}

const share = (page, actionId, shareId) => sendFromExtensionPage(page, {
  type: 'share', data: { share_id: shareId, draft: draft(actionId), allow_duplicate: true },
});

const outbox = async (page) => (await sendFromExtensionPage(page, { type: 'get_outbox' })).body.data;

async function recordsFor(sandbox, actionId) {
  return (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith(`snshare:${actionId}:`));
}

/** The log's next index: `sandbox.requests(mark)` is then what came after. */
async function logMark(sandbox) {
  const log = await sandbox.requests();
  return log.length ? log[log.length - 1].index + 1 : 0;
}

const isCreate = (r) => r.method === 'POST' && r.path === '/api/now/table/incident';

/**
 * A create held by a delay fault is in flight at the sandbox: the fault was taken (the POST
 * arrived) and the log, which records a request once it is answered, does not have it yet.
 */
async function createInFlight(sandbox, since) {
  const faults = (await sandbox.call('GET', '/sandbox/faults')).result;
  const answered = (await sandbox.requests(since)).some(isCreate);
  return faults.length === 0 && !answered;
}

/**
 * A create held by a delay fault is over: the sandbox logs a request once it has answered it
 * (and committed it, whether or not the client still waited).
 */
async function heldCreateDone(sandbox, since = 0) {
  return (await sandbox.requests(since)).some((r) => isCreate(r) && r.fault === 'delay');
}

/** Waits until the outbox is empty and exactly one record per share exists. */
async function expectExactlyOnce(page, sandbox, actionIds, timeout = 60_000) {
  await expect.poll(async () => (await outbox(page)).length, { timeout, intervals: [500] }).toBe(0);
  for (const id of actionIds) {
    const records = await recordsFor(sandbox, id);
    if (records.length === 1) continue;
    // Say how the count came about: which creates reached the sandbox, what each was answered
    // and which fault it met, and which lookups ran between them (a duplicate seen once under
    // load could not be explained after the fact).
    const log = (await sandbox.requests()).filter((r) => r.path.startsWith('/api/now/table/'))
      .map((r) => [r.index, r.method, r.path, r.status, r.fault, r.time_ms, r.duration_ms]);
    expect(records.length, `${id}: ${JSON.stringify(log)}`).toBe(1);
  }
}

test('503 three times, then the record is created once', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  await sandbox.fault({ kind: 'status', status: 503, count: 3, path_prefix: '/api/now/table/incident', method: 'POST' });
  const first = await share(page, 'OutboxA', 'share503');
  // Three 503s: the form hears "queued", not a failure.
  expect(first.body.type).toBe('share');
  expect(JSON.stringify(first.body)).toMatch(/queued/);
  await expectExactlyOnce(page, sandbox, ['OutboxA']);
  // A 503 is an answer: the instance is done with that create, so the lookup and the resend
  // wait only for the backoff (under 2 s after the first), not for the client's timeout (8 s)
  // as after a create that got no answer.
  const log = (await sandbox.requests()).filter((r) => r.path === '/api/now/table/incident');
  const refused = log.find((r) => isCreate(r) && r.status === 503);
  const next = log.find((r) => r.index > refused.index);
  expect(next.time_ms - (refused.time_ms + refused.duration_ms)).toBeLessThan(6_000);
});

test('429 with Retry-After 5 waits, then sends once', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  await sandbox.fault({ kind: 'rate_limit', retry_after: 5, count: 1, path_prefix: '/api/now/table/incident', method: 'POST' });
  const started = Date.now();
  const first = await share(page, 'OutboxB', 'share429');
  expect(JSON.stringify(first.body)).toMatch(/queued/);
  await expectExactlyOnce(page, sandbox, ['OutboxB']);
  expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
});

test('committed, then the connection dropped: adopted, not resent', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  await sandbox.fault({ kind: 'drop_after_commit', count: 1, path_prefix: '/api/now/table/incident', method: 'POST' });
  await share(page, 'OutboxC', 'sharedrop');
  await expect.poll(async () => (await outbox(page)).length, { timeout: 60_000 }).toBe(0);
  await expectExactlyOnce(page, sandbox, ['OutboxC']);
  const posts = (await sandbox.requests()).filter((r) => r.method === 'POST' && r.path === '/api/now/table/incident');
  expect(posts.length, JSON.stringify(posts.map((p) => [p.status, p.fault]))).toBe(1);
});

test('a 10-second delay beyond the client timeout ends in one record', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  await sandbox.fault({ kind: 'delay', delay_ms: 10_000, count: 1, path_prefix: '/api/now/table/incident', method: 'POST' });
  const first = await share(page, 'OutboxD', 'sharedelay');
  expect(JSON.stringify(first.body)).toMatch(/queued/);
  await expectExactlyOnce(page, sandbox, ['OutboxD'], 90_000);
});

test('a create the instance commits after the first lookup: adopted, not resent', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  // ServiceNow finishes a Table API create for up to 60 s whether or not the client still
  // waits. Held 20 s, this one commits after the client's timeout (8 s) and after the first
  // lookup (as long again): that lookup finding nothing does not prove there is nothing.
  await sandbox.fault({ kind: 'delay', delay_ms: 20_000, count: 1, path_prefix: '/api/now/table/incident', method: 'POST' });
  const first = await share(page, 'OutboxL', 'sharelate');
  expect(JSON.stringify(first.body)).toMatch(/queued/);
  // Counted once the held create is over.
  await expect.poll(() => heldCreateDone(sandbox), { timeout: 40_000, intervals: [500] }).toBe(true);
  await expectExactlyOnce(page, sandbox, ['OutboxL'], 90_000);
  const log = await sandbox.requests();
  expect(log.filter(isCreate).map((r) => [r.status, r.fault])).toEqual([[201, 'delay']]);
  // Looked up before the commit and again after it.
  const lookups = log.filter((r) => r.method === 'GET' && r.path === '/api/now/table/incident' && /correlation_id/.test(r.query));
  expect(lookups.length).toBeGreaterThanOrEqual(2);
});

test('the access token expires mid-send: refreshed once, sent once', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  // The token is valid when the share goes out; the sandbox holds the create, and the token
  // expires while it is held, so the instance answers that very POST 401.
  await sandbox.fault({ kind: 'delay', delay_ms: 4_000, count: 1, path_prefix: '/api/now/table/incident', method: 'POST' });
  const since = await logMark(sandbox);
  const pending = share(page, 'OutboxE', 'shareexpired');
  await expect.poll(() => createInFlight(sandbox, since), { timeout: 10_000, intervals: [50] }).toBe(true);
  expect((await sandbox.expireTokens()).result.expired).toBeGreaterThan(0);
  const first = await pending;
  expect(first.body.data).toHaveProperty('ticket');
  await expectExactlyOnce(page, sandbox, ['OutboxE']);
  const log = await sandbox.requests(since);
  expect(log.filter(isCreate).map((r) => [r.status, r.fault])).toEqual([[401, 'delay'], [201, null]]);
  expect(log.filter((r) => r.path === '/oauth_token.do' && r.grant === 'refresh_token')).toHaveLength(1);
});

test('the worker stopped between write and send: its create, committed after the lease ran out, is adopted, not resent', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  // Hold the create so the worker is stopped while the share is written but not confirmed.
  // Like a real instance, the sandbox commits it once the delay is over, worker or not: 40 s,
  // after the lease (29 s from the claim) has run out and the next worker's first lookup found
  // nothing. That lookup proves nothing while the instance may still commit (65 s after the
  // lease): the next one, 15 s later, finds the record and adopts it.
  await sandbox.fault({ kind: 'delay', delay_ms: 40_000, count: 1, path_prefix: '/api/now/table/incident', method: 'POST' });
  const since = await logMark(sandbox);
  // The worker dies before it answers: the message channel closes instead.
  const pending = share(page, 'OutboxF', 'sharestopped').then((answer) => ({ answer }), (e) => ({ lost: String(e) }));
  await expect.poll(() => createInFlight(sandbox, since), { timeout: 10_000, intervals: [50] }).toBe(true);
  await stopServiceWorker(context, extensionId);
  // Stopped mid-send: the held create was still unanswered when the worker was gone.
  expect((await sandbox.requests(since)).filter(isCreate)).toEqual([]);
  expect(await pending).toHaveProperty('lost');
  await expect.poll(() => heldCreateDone(sandbox, since), { timeout: 50_000, intervals: [500] }).toBe(true);
  await expectExactlyOnce(page, sandbox, ['OutboxF'], 60_000);
  expect((await sandbox.requests(since)).filter(isCreate).map((r) => [r.status, r.fault])).toEqual([[201, 'delay']]);
});

test('two queued shares survive closing the browser and go after reopening', async ({ servers, sandbox }) => {
  // A share whose retry was in flight when the browser closed is looked up once its lease (29 s)
  // has run out, and not resent before the instance's commit window (65 s after that) has
  // closed: up to ~95 s after the close.
  test.setTimeout(200_000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-profile-'));
  const launch = () => launchExtension({
    userDataDir: dir, portalPort: servers.replicas.none.port, sandboxPort: sandbox.port, extensionDir: grantedExtensionDir(),
  });
  try {
    let { context, extensionId } = await launch();
    const before = watchErrors(context, extensionId);
    const page = await connect(context, extensionId);
    await sandbox.fault({ kind: 'status', status: 503, count: 100, path_prefix: '/api/now/table/incident' });
    await share(page, 'OutboxG1', 'shareclose1');
    await share(page, 'OutboxG2', 'shareclose2');
    expect((await outbox(page)).length).toBe(2);
    expect(before.unexpected()).toEqual([]);
    await context.close();
    await sandbox.clearFaults();
    ({ context, extensionId } = await launch());
    const watch = watchErrors(context, extensionId);
    const again = await context.newPage();
    await again.goto(`chrome-extension://${extensionId}/popup.html`);
    await expectExactlyOnce(again, sandbox, ['OutboxG1', 'OutboxG2'], 150_000);
    expect(watch.unexpected()).toEqual([]);
    await context.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('offline for 20 s: queued, then sent when the instance is back', async ({ servers }) => {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-sandbox-'));
  let sandbox = await startSandbox(['--data', data]);
  const port = sandbox.port;
  const { context, extensionId, userDataDir } = await launchExtension({
    portalPort: servers.replicas.none.port, sandboxPort: port, extensionDir: grantedExtensionDir(),
  });
  const watch = watchErrors(context, extensionId);
  try {
    const page = await connect(context, extensionId);
    await sandbox.stop();
    const first = await share(page, 'OutboxH', 'shareoffline');
    expect(JSON.stringify(first.body)).toMatch(/queued/);
    await page.waitForTimeout(20_000);
    sandbox = await startSandbox(['--data', data, '--listen', `127.0.0.1:${port}`]);
    await expectExactlyOnce(page, sandbox, ['OutboxH'], 90_000);
    expect(watch.unexpected()).toEqual([]);
  } finally {
    await context.close();
    await sandbox.stop();
    fs.rmSync(userDataDir, { recursive: true, force: true });
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('a permanent failure waits in the popup with Retry and Discard', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  await sandbox.fault({ kind: 'status', status: 400, count: 1, path_prefix: '/api/now/table/incident', method: 'POST' });
  const first = await share(page, 'OutboxP', 'sharepermanent');
  expect(first.body.data.outcome).toBe('failed');
  const popup = await context.newPage();
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  const retry = popup.getByRole('button', { name: /^Retry/ });
  await expect(retry).toBeVisible();
  await expect(popup.getByRole('button', { name: /^Discard/ })).toBeVisible();
  // Retry sends it (the fault was for one request): exactly one record, outbox empty.
  await retry.click();
  await expectExactlyOnce(popup, sandbox, ['OutboxP']);
  // A second failure, discarded by the user: nothing is sent and the outbox is empty.
  await sandbox.fault({ kind: 'status', status: 400, count: 1, path_prefix: '/api/now/table/incident', method: 'POST' });
  await share(page, 'OutboxQ', 'sharediscard');
  await popup.reload();
  await popup.getByRole('button', { name: /^Discard/ }).click();
  await expect.poll(async () => (await outbox(page)).length).toBe(0);
  expect((await recordsFor(sandbox, 'OutboxQ')).length).toBe(0);
});

test('an outbox stored by an earlier version under one key moves to one key per share and each goes once', async ({ context, extensionId, sandbox }) => {
  const page = await connect(context, extensionId);
  const now = Date.now();
  const stored = (actionId, shareId, status, extra = {}) => ({
    share_id: shareId, instance: INSTANCE, draft: draft(actionId), correlation_id: `snshare:${actionId}:${shareId}`,
    status, attempts: 0, not_before: 0, last_error: null, created_at: now, ...extra,
  });
  // An earlier version's layout: the whole outbox as one list. One entry waits; one was being
  // sent when that worker stopped (its create arrived: only the lookup may adopt it).
  // (The sandbox numbers seeded correlation ids: this one is `snshare:OutboxM2:sharemoved21`.)
  await sandbox.seed({ table: 'incident', count: 1, correlation_prefix: 'snshare:OutboxM2:sharemoved2', user: 'snshare.integration' });
  await page.evaluate((entries) => chrome.storage.local.set({ outbox: entries }), [
    stored('OutboxM1', 'sharemoved1', { status: 'pending' }),
    stored('OutboxM2', 'sharemoved21', { status: 'sending', lease_until: 1 }, { attempts: 1, created_at: now + 1 }),
  ]);
  await stopServiceWorker(context, extensionId);
  await expectExactlyOnce(page, sandbox, ['OutboxM1', 'OutboxM2']);
  const keys = Object.keys(await page.evaluate(() => chrome.storage.local.get(null)));
  expect(keys.filter((k) => k === 'outbox' || k.startsWith('outbox:'))).toEqual([]);
});
