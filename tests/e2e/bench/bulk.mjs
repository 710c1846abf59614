// bulk_100_wall_s (issue 18): one bulk share of 100 actions, sent as the content script sends
// it (`share_bulk`), until every action has its ticket, with the instance limited to 60 REST
// requests per minute per user (the sandbox's rate limit with a 60-second window, counted from
// when the bench sets it, like an instance's hour); and the requests the bulk cost the instance.
//
// The least it can take: the limit counts in fixed windows, so the requests past the first 60
// (100 creates and the duplicate check's lookups) wait for the second window, 60 s after the
// first began: `minimumS` = (windows needed − 1) × 60. The budget is 1.2 × that (report.mjs).
const inDays = (n) => new Date(Date.now() + n * 86400e3).toISOString().slice(0, 10);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function draft(actionId, i) {
  return {
    kind: 'incident', name: `Bulk share ${i} (${actionId})`, description: 'From the bulk bench',
    priority: 'moderate', due_date: inDays(14), user_id: 'MeganB@contoso.onmicrosoft.com',
    source: 'microsoft', category: 'identity', action_id: actionId, action_url: null,
  };
}

const send = (page, body) => page.evaluate((b) => chrome.runtime.sendMessage({ v: 1, body: b }), body);

export async function bulk({ page, sandbox, n = 100, perMinute = 60, timeoutMs = 600_000, log = () => {} }) {
  const tag = `Bulk${Date.now().toString(36)}`;
  await sandbox.config({ rate_limit_per_hour: perMinute, rate_limit_window_secs: 60 });
  try {
    await sandbox.clearRequests();
    const items = Array.from({ length: n }, (_, i) => ({
      share_id: `${tag}s${i}`, draft: draft(`${tag}a${i}`, i), allow_duplicate: false,
    }));
    const started = Date.now();
    const first = await send(page, { type: 'share_bulk', data: { bulk_id: tag, items } });
    if (first?.body?.type !== 'bulk') throw new Error(`share_bulk answered ${JSON.stringify(first?.body).slice(0, 200)}`);
    let created = 0;
    let last = 0;
    while (Date.now() - started < timeoutMs) {
      const v = await send(page, { type: 'get_bulk', data: { bulk_id: tag } });
      const items = v?.body?.data?.items ?? [];
      created = items.filter((i) => i.state === 'created').length;
      if (created !== last && created % 20 === 0) log(`   ${created}/${n} after ${Math.round((Date.now() - started) / 1000)} s`);
      last = created;
      if (items.length && items.every((i) => !['queued', 'sending'].includes(i.state))) break;
      await sleep(500);
    }
    const wallS = (Date.now() - started) / 1000;
    const reqs = (await sandbox.requests()).filter((r) => r.path.startsWith('/api/') || r.path.startsWith('/oauth_'));
    const records = (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith(`snshare:${tag}a`));
    const windows = Math.ceil(reqs.filter((r) => r.path.startsWith('/api/')).length / perMinute);
    return {
      wallS, created, records: records.length, minimumS: (windows - 1) * 60,
      requests: reqs.length,
      creates: reqs.filter((r) => r.method === 'POST' && r.path === '/api/now/table/incident' && r.status === 201).length,
      limited: reqs.filter((r) => r.status === 429).length,
      lookups: reqs.filter((r) => r.method === 'GET').length,
    };
  } finally {
    await sandbox.config({ rate_limit_per_hour: null, rate_limit_window_secs: 3600 });
  }
}
