// Issue 7's soak run: 200 shares while ~30% of them are preceded by a random fault on the
// incident table, then wait for the outbox to drain and count what ServiceNow really holds.
import { sendFromExtensionPage } from '../harness.mjs';
import { sleep } from './stats.mjs';

const PATH = '/api/now/table/incident';
export const FAULTS = [
  { kind: 'status', status: 503, count: 1, path_prefix: PATH },
  { kind: 'status', status: 500, count: 1, path_prefix: PATH },
  { kind: 'rate_limit', retry_after: 1, count: 1, path_prefix: PATH },
  // Beyond the client's 8 s timeout.
  { kind: 'delay', delay_ms: 9000, count: 1, path_prefix: PATH },
  { kind: 'drop_after_commit', count: 1, path_prefix: PATH },
];

/** Deterministic PRNG (mulberry32), so a soak run can be repeated fault for fault. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const inDays = (n) => new Date(Date.now() + n * 86400e3).toISOString().slice(0, 10);
function draft(actionId, i) {
  return {
    kind: 'incident', name: `Soak share ${i} (${actionId})`, description: 'From the outbox soak run',
    priority: 'moderate', due_date: inDays(14), user_id: 'MeganB@contoso.onmicrosoft.com',
    source: 'microsoft', category: 'identity', action_id: actionId, action_url: null,
  };
}

const withTimeout = (p, ms, what) => Promise.race([p, sleep(ms).then(() => { throw new Error(`${what}: no answer in ${ms} ms`); })]);

/**
 * Runs the soak. `page` is one of the extension's pages. Returns the figures; throws
 * NotYet when the worker does not know the share or outbox messages.
 */
export async function soak({ page, sandbox, shares = 200, faultRate = 0.3, seed = 12, timeoutMs = 600_000, log = () => {} }) {
  const tag = `Soak${Date.now().toString(36)}`;
  const rand = prng(seed);
  const outcomes = {};
  let faults = 0;
  const kinds = {};
  const t0 = Date.now();
  const blocks = [];
  let blockAt = t0;
  const probe = await sendFromExtensionPage(page, { type: 'get_outbox' });
  if (probe?.body?.type !== 'outbox') {
    const e = new Error(`get_outbox answered ${JSON.stringify(probe?.body).slice(0, 200)}`);
    e.notYet = true;
    throw e;
  }
  for (let i = 0; i < shares; i++) {
    if (rand() < faultRate) {
      const f = FAULTS[Math.floor(rand() * FAULTS.length)];
      await sandbox.fault(f);
      faults += 1;
      const k = f.kind === 'status' ? String(f.status) : f.kind;
      kinds[k] = (kinds[k] ?? 0) + 1;
    }
    const res = await withTimeout(sendFromExtensionPage(page, {
      type: 'share', data: { share_id: `${tag}-${i}`, draft: draft(`${tag}_${i}`, i), allow_duplicate: true },
    }), 60_000, `share ${i}`);
    const body = res?.body;
    if (body?.type !== 'share') {
      if (i === 0) { const e = new Error(`share answered ${JSON.stringify(body).slice(0, 200)}`); e.notYet = true; throw e; }
      outcomes.error = (outcomes.error ?? 0) + 1;
    } else {
      const o = body.data?.outcome ?? 'unknown';
      outcomes[o] = (outcomes[o] ?? 0) + 1;
    }
    if ((i + 1) % 100 === 0 || i + 1 === shares) {
      // How the cost grows: each block's send time, and how many shares wait in the outbox then.
      const queued = (await sendFromExtensionPage(page, { type: 'get_outbox' }))?.body?.data?.length ?? null;
      blocks.push({ upTo: i + 1, s: (Date.now() - blockAt) / 1000, queued });
      blockAt = Date.now();
    }
    if ((i + 1) % 50 === 0) log(`    ${i + 1}/${shares} sent (${faults} faults so far, ${((Date.now() - t0) / 1000).toFixed(0)} s) ${JSON.stringify(outcomes)}`);
  }
  const sentAt = Date.now();
  // Drain: poll the outbox until it is empty (failed entries stay: they count as left).
  let left = null;
  let lastLog = 0;
  for (;;) {
    const ob = await withTimeout(sendFromExtensionPage(page, { type: 'get_outbox' }), 60_000, 'get_outbox');
    const entries = ob?.body?.data ?? [];
    left = entries.length;
    const pending = entries.filter((e) => e.status?.status !== 'failed').length;
    if (left === 0 || pending === 0) break;
    if (Date.now() - t0 > timeoutMs) break;
    if (Date.now() - lastLog > 30_000) { lastLog = Date.now(); log(`    waiting: ${left} in the outbox (${pending} pending)`); }
    await sleep(1000);
  }
  const drainedAt = Date.now();
  await sandbox.clearFaults();
  const records = (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith(`snshare:${tag}_`));
  const perShare = new Map();
  for (const r of records) {
    const action = String(r.correlation_id).split(':')[1];
    perShare.set(action, (perShare.get(action) ?? 0) + 1);
  }
  return {
    records: perShare.size,
    duplicates: records.length - perShare.size,
    left,
    faults,
    kinds,
    seed,
    outcomes,
    wallS: (drainedAt - t0) / 1000,
    sendS: (sentAt - t0) / 1000,
    blocks,
    tag,
  };
}
