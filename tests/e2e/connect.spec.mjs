// Connect: the options page, the real OAuth consent page of the sandbox, the token lifecycle
// and the diagnoses of Test connection, each produced by the matching sandbox fault.
import fs from 'node:fs';
import {
  test, expect, INSTANCE, INTEGRATION_USER, PERSONAL_USER, connect, fillConnection, signInAndAllow,
  sendFromExtensionPage, english, contentScriptWorld, launchExtension, PORTAL,
} from './harness.mjs';

const tokenGrants = async (sandbox, since = 0) =>
  (await sandbox.requests(since)).filter((r) => r.path === '/oauth_token.do');

/**
 * The cause shown in the options page's diagnostics region (not anywhere on the page: the
 * form's labels and the state-names table hold words like "Client secret" and "Closed").
 */
/**
 * The consent-page tests need an integration account that may use the instance's login page:
 * a "Web service access only" account cannot (as on a real instance), so these tests make the
 * seeded integration user interactive and mark it an internal integration user instead — still
 * an integration account to snshare, so no personal-account warning.
 */
const interactiveIntegrationUser = (sandbox) =>
  sandbox.setUser(INTEGRATION_USER.user, { web_service_access_only: 'false', internal_integration_user: 'true' });

const diagnosisIn = (options, kind) =>
  options.locator(`#diagnostics .diagnosis[data-diagnosis="${kind}"] .diagnosis-message`);

test('connect as the integration user through the consent page', async ({ context, extensionId, sandbox }) => {
  await interactiveIntegrationUser(sandbox);
  const options = await connect(context, extensionId, INTEGRATION_USER, { consent: true });
  const status = options.getByRole('status');
  await expect(status).toContainText(INSTANCE.replace('https://', ''));
  const grants = await tokenGrants(sandbox);
  expect(grants.map((g) => g.grant)).toContain('authorization_code');
  // The redirect URL to register is shown exactly.
  await expect(options.getByRole('textbox', { name: 'Redirect URL' })).toHaveValue(`https://${extensionId}.chromiumapp.org/`);
  // Reload: the connection persists (state in storage, not in the page or the worker's memory).
  await options.reload();
  await expect(options.getByRole('status')).toContainText(`Connected as ${INTEGRATION_USER.user}`);
});

test('Deny on the consent page ends in a clear message', async ({ context, extensionId, sandbox }) => {
  await interactiveIntegrationUser(sandbox);
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await fillConnection(options);
  const authPage = context.waitForEvent('page', { predicate: (p) => /oauth_auth|login/.test(p.url()) });
  await options.getByRole('button', { name: 'Connect to ServiceNow' }).click();
  await signInAndAllow(await authPage, INTEGRATION_USER, 'Deny');
  await expect(diagnosisIn(options, 'access_denied')).toHaveText(english('diagnosis_access_denied'));
  await expect(options.getByRole('status')).not.toContainText('Connected as');
});

test('closing the sign-in window ends in a clear message', async ({ context, extensionId }) => {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await fillConnection(options);
  const authPage = context.waitForEvent('page', { predicate: (p) => /oauth_auth|login/.test(p.url()) });
  await options.getByRole('button', { name: 'Connect to ServiceNow' }).click();
  await (await authPage).close();
  await expect(diagnosisIn(options, 'authorization_cancelled')).toHaveText(english('diagnosis_authorization_cancelled'));
  await expect(options.getByRole('status')).not.toContainText('Connected as');
});

test('a personal account is flagged', async ({ context, extensionId }) => {
  const options = await connect(context, extensionId, PERSONAL_USER);
  await expect(options.getByRole('status')).toContainText(/integration user/i);
});

test.describe('with 3-second access tokens', () => {
  test('calls keep working across expiries with one refresh per expiry', async ({ context, extensionId, sandbox }) => {
    await sandbox.config({ access_ttl_secs: 3 });
    const options = await connect(context, extensionId);
    const page = options;
    for (let round = 0; round < 2; round++) {
      await page.waitForTimeout(3200);
      const since = (await sandbox.requests()).length;
      const answers = await Promise.all(Array.from({ length: 10 }, () => sendFromExtensionPage(page, {
        type: 'list_tickets',
        data: { kind: 'incident', states: [], category: null, search: `round${round}`, sort: 'updated', descending: true, offset: 0, limit: 5 },
      })));
      for (const a of answers) expect(a.body.type, JSON.stringify(a.body)).toBe('page');
      const log = await sandbox.requests();
      const refreshes = log.slice(since).filter((r) => r.path === '/oauth_token.do' && r.grant === 'refresh_token');
      expect(refreshes.length).toBe(1);
      expect(log.slice(since).filter((r) => r.status === 401).length).toBe(0);
    }
  });
});

test('a revoked refresh token asks for authorization, and Authorize reconnects', async ({ context, extensionId, sandbox, portal }) => {
  await interactiveIntegrationUser(sandbox);
  const options = await connect(context, extensionId, INTEGRATION_USER, { consent: true });
  await sandbox.revoke();
  await sandbox.expireTokens();
  const answer = await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: true } });
  expect(answer.body.type).toBe('snapshot');
  await expect.poll(async () => (await sendFromExtensionPage(options, { type: 'get_status' })).body.data.state,
    { timeout: 10_000 }).toBe('authorization_needed');
  // The portal's cards cannot authorize: their hint names their own way to the options page,
  // and that button is there and leads to it.
  await options.close();
  await portal.goto(`${PORTAL}/homepage`);
  const card = portal.getByRole('region', { name: 'Incident management' });
  await expect(card).toContainText(english('cards_authorization_needed_hint', english('cards_manage')), { timeout: 15_000 });
  const opened = context.waitForEvent('page', { predicate: (p) => p.url().includes('options.html') });
  await card.getByRole('button', { name: english('cards_manage'), exact: true }).click();
  const reopened = await opened;
  await expect(reopened.getByRole('status')).toContainText(/authoriz/i);
  const authPage = context.waitForEvent('page', { predicate: (p) => /oauth_auth|login/.test(p.url()) });
  await reopened.getByRole('button', { name: 'Authorize', exact: true }).click();
  await signInAndAllow(await authPage);
  await expect(reopened.getByRole('status')).toContainText(`Connected as ${INTEGRATION_USER.user}`, { timeout: 15_000 });
});

test('the password grant fallback connects', async ({ context, extensionId }) => {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await fillConnection(options);
  await options.getByText(/user name and password/i).first().click();
  await options.getByRole('textbox', { name: 'User name' }).fill(INTEGRATION_USER.user);
  await options.getByLabel('Password', { exact: true }).fill(INTEGRATION_USER.password);
  await options.getByRole('button', { name: /Sign in with password/i }).click();
  await expect(options.getByRole('status')).toContainText(`Connected as ${INTEGRATION_USER.user}`);
});

test('a wrong client secret is named on connect', async ({ context, extensionId, sandbox }) => {
  await interactiveIntegrationUser(sandbox);
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await fillConnection(options, { secret: 'not-the-secret' });
  const authPage = context.waitForEvent('page', { predicate: (p) => /oauth_auth|login/.test(p.url()) });
  await options.getByRole('button', { name: 'Connect to ServiceNow' }).click();
  await signInAndAllow(await authPage);
  await expect(diagnosisIn(options, 'client_rejected')).toHaveText(english('diagnosis_client_rejected'));
  // The diagnosis is the end of the attempt: the status is settled, and not connected.
  await expect(options.getByRole('status')).not.toContainText('Connected as');
});

// Each diagnosis of Test connection, from the sandbox fault that causes it: the first failed
// step shows exactly that diagnosis (the rate limit with the Retry-After seconds in its own
// words), then its fix.
const faults = [
  { name: 'IP filtering', fault: { kind: 'ip_filter', count: 50 }, kind: 'ip_filtered', text: english('diagnosis_ip_filtered') },
  { name: 'cross-scope oauth_entity', fault: { kind: 'cross_scope', count: 50 }, kind: 'cross_scope_refused', text: english('diagnosis_cross_scope_refused') },
  { name: 'rate limited', fault: { kind: 'rate_limit', retry_after: 42, count: 50, path_prefix: '/api/' }, kind: 'rate_limited', text: english('diagnosis_rate_limited', '42 seconds') },
  { name: 'server error', fault: { kind: 'status', status: 503, count: 50, path_prefix: '/api/' }, kind: 'server_error', text: english('diagnosis_server_error', 503) },
];
for (const f of faults) {
  test(`Test connection names ${f.name}`, async ({ context, extensionId, sandbox }) => {
    const options = await connect(context, extensionId);
    await sandbox.fault(f.fault);
    await options.getByRole('button', { name: 'Test connection' }).click();
    const failed = options.locator('#diagnostics li.step.is-error').first();
    await expect(failed.locator('.diagnosis')).toHaveAttribute('data-diagnosis', f.kind, { timeout: 15_000 });
    await expect(failed.locator('.diagnosis-message')).toHaveText(f.text);
    await expect(failed.locator('.diagnosis-fix')).toHaveText(`${english('common_how_to_fix')} ${english(`diagnosis_${f.kind}_fix`)}`);
  });
}

test('Test connection passes on a healthy connection', async ({ context, extensionId }) => {
  const options = await connect(context, extensionId);
  const report = await sendFromExtensionPage(options, { type: 'test_connection' });
  expect(report.body.type).toBe('diagnostics');
  expect(report.body.data.ok, JSON.stringify(report.body.data.steps)).toBe(true);
});

test('an expired refresh token is diagnosed with Authorize as the fix', async ({ context, extensionId, sandbox }) => {
  const options = await connect(context, extensionId);
  await sandbox.revoke();
  const report = await sendFromExtensionPage(options, { type: 'test_connection' });
  const failed = report.body.data.steps.find((s) => !s.ok);
  expect(failed.diagnosis.kind).toBe('refresh_token_expired');
});

test('Remove connection forgets tokens and cached data', async ({ context, extensionId, sandbox }) => {
  const options = await connect(context, extensionId);
  // Every store: the refresh token and the client secret are in the extension's IndexedDB
  // (never in storage.local, which older Chrome cannot lock away from content scripts), the
  // access token in session storage.
  const stored = () => options.evaluate(async () => ({
    local: Object.keys(await chrome.storage.local.get(null)),
    session: Object.keys(await chrome.storage.session.get(null)),
    vault: await new Promise((resolve, reject) => {
      const open = indexedDB.open('snshare-secrets');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const keys = open.result.transaction('secrets').objectStore('secrets').getAllKeys();
        keys.onsuccess = () => { resolve(keys.result); open.result.close(); };
        keys.onerror = () => reject(keys.error);
      };
    }),
  }));
  const before = await stored();
  expect(before.vault.sort()).toEqual(['auth.refresh', 'client_secret']);
  expect(before.local).not.toContain('auth.refresh');
  expect(before.session).toContain('auth.access');
  // The access token as the worker holds it: after removal it must not work at the instance.
  const access = await options.evaluate(async () => (await chrome.storage.session.get('auth.access'))['auth.access'].access_token);
  const works = async () => (await fetch(`${sandbox.url}/api/now/table/incident?sysparm_limit=1`, {
    headers: { authorization: `Bearer ${access}`, accept: 'application/json' },
  })).status;
  expect(await works()).toBe(200);
  await sandbox.clearRequests();
  options.once('dialog', (d) => d.accept());
  await options.getByRole('button', { name: 'Remove connection' }).click();
  await expect(options.getByRole('status')).toContainText(/Not connected/i);
  await expect(options.getByText(english('options_removed'), { exact: true })).toBeVisible();
  const after = await stored();
  expect(after.local.filter((k) => k.startsWith('auth') || k === 'tickets.cache')).toEqual([]);
  expect(after.session.filter((k) => k.startsWith('auth'))).toEqual([]);
  expect(after.vault).not.toContain('auth.refresh');
  // Both tokens revoked at the instance (refresh, then access).
  expect((await sandbox.requests()).filter((r) => r.path === '/oauth_revoke_token.do')).toHaveLength(2);
  expect(await works()).toBe(401);
});

test('Remove connection says so when the instance does not confirm the revocation', async ({ context, extensionId, sandbox }) => {
  const options = await connect(context, extensionId);
  await sandbox.fault({ kind: 'status', status: 500, method: 'POST', path_prefix: '/oauth_revoke_token.do', count: 5 });
  options.once('dialog', (d) => d.accept());
  await options.getByRole('button', { name: 'Remove connection' }).click();
  await expect(options.getByRole('status')).toContainText(/Not connected/i);
  await expect(options.getByText(english('warning_revoke_unconfirmed'), { exact: true })).toBeVisible();
  await expect(options.getByText(english('options_removed'), { exact: true })).toHaveCount(0);
});

test('Remove connection revokes at an instance that refuses the token in the form: sent again in the query, as ServiceNow documents the call', async ({ context, extensionId, sandbox }) => {
  const options = await connect(context, extensionId);
  await sandbox.clearRequests();
  // The first revocation (the refresh token, as a form) is refused; the instance takes the rest.
  await sandbox.fault({ kind: 'status', status: 400, method: 'POST', path_prefix: '/oauth_revoke_token.do', count: 1 });
  options.once('dialog', (d) => d.accept());
  await options.getByRole('button', { name: 'Remove connection' }).click();
  await expect(options.getByRole('status')).toContainText(/Not connected/i);
  await expect(options.getByText(english('options_removed'), { exact: true })).toBeVisible();
  await expect(options.getByText(english('warning_revoke_unconfirmed'), { exact: true })).toHaveCount(0);
  const revocations = (await sandbox.requests()).filter((r) => r.path === '/oauth_revoke_token.do');
  // The refresh token: the form refused, then the query; the access token: the form.
  expect(revocations.map((r) => [r.status, /(^|&)token=./.test(r.query ?? '')])).toEqual([[400, false], [200, true], [200, false]]);
});

test('a page on the portal gets no token or secret through any message', async ({ context, extensionId, portal }) => {
  await connect(context, extensionId);
  await portal.goto('https://security.microsoft.com/homepage');
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/popup.html`);
  const stored = await page.evaluate(async () => {
    const vault = await new Promise((resolve, reject) => {
      const open = indexedDB.open('snshare-secrets');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const store = open.result.transaction('secrets').objectStore('secrets');
        const out = {};
        const refresh = store.get('auth.refresh');
        const secret = store.get('client_secret');
        secret.onsuccess = () => { out.refresh = refresh.result; out.secret = JSON.parse(secret.result).secret; resolve(out); open.result.close(); };
        secret.onerror = () => reject(secret.error);
      };
    });
    return { ...(await chrome.storage.local.get(null)), ...(await chrome.storage.session.get(null)), vault };
  });
  const secrets = [stored.vault.refresh, stored['auth.access']?.access_token, stored.vault.secret].filter(Boolean);
  expect(secrets.length).toBe(3);
  // Neither secret is in storage.local, which a content script could read on older Chrome.
  expect(stored['auth.refresh']).toBeUndefined();
  expect(stored.settings?.client_secret ?? null).toBeNull();
  // Asked from where a portal page's code runs for snshare: the content script's own world on
  // the portal tab, i.e. the sender the worker sees as that tab.
  const world = await contentScriptWorld(portal, extensionId);
  const ask = (body) => world.evaluate(async (b) => {
    try { return JSON.stringify(await chrome.runtime.sendMessage({ v: 1, body: b })); }
    catch (e) { return `refused: ${e.message}`; }
  }, body);
  for (const body of [{ type: 'get_status' }, { type: 'get_settings' }, { type: 'get_tickets', data: { force_refresh: false } }, { type: 'get_outbox' }, { type: 'get_state_names' }]) {
    const text = await ask(body);
    for (const s of secrets) expect(text, body.type).not.toContain(s);
  }
  // The channel works from there (so the answers above were the worker's, not silence).
  expect(JSON.parse(await ask({ type: 'get_status' })).body.type).toBe('status');
  // Nor can that world read the extension's storage.
  const storage = await world.evaluate(async () => {
    const read = async (area) => {
      try { return JSON.stringify(await chrome.storage[area].get(null)); }
      catch (e) { return `refused: ${e.message}`; }
    };
    return [await read('local'), await read('session')];
  });
  for (const area of storage) for (const s of secrets) expect(area).not.toContain(s);
  // Its IndexedDB is the portal origin's: the secret store does not exist there (opening it
  // would have to create it; the creation is abandoned).
  const vault = await world.evaluate(() => new Promise((resolve) => {
    const open = indexedDB.open('snshare-secrets');
    open.onupgradeneeded = () => open.transaction.abort();
    open.onerror = () => resolve('no such database here');
    open.onsuccess = () => { resolve(JSON.stringify([...open.result.objectStoreNames])); open.result.close(); };
  }));
  expect(vault).toBe('no such database here');
  await world.close();
});

// After each browser start, Chromium answers `storage.managed.get` only once its policy service
// is up, 2–7 s later. The options page (like the popup and a share) must not wait for it: the
// worker goes by the policy last seen meanwhile (src/worker/policy.rs). The page asks the
// service too: if it answers within 30 ms, the service was already up (a slow machine took
// that long to open the page) and nothing could have waited, so a new browser is started.
test('a browser just started: the options page shows its form before the policy service answers', async () => {
  let seen;
  for (let start = 0; start < 3 && !seen; start++) {
    const { context, extensionId, userDataDir } = await launchExtension();
    try {
      const options = await context.newPage();
      await options.goto(`chrome-extension://${extensionId}/options.html`);
      const r = await options.evaluate(() => new Promise((resolve) => {
        const t0 = performance.now();
        let policyAt;
        chrome.storage.managed.get(null).then(() => { policyAt = performance.now() - t0; });
        const poll = () => {
          const field = document.getElementById('instance');
          if (policyAt !== undefined && policyAt < 30) resolve({ up: true });
          else if (field && field.offsetParent !== null) resolve({ formAt: performance.now() - t0, policyAt });
          else setTimeout(poll, 5);
        };
        setTimeout(poll, 30);
      }));
      if (r.up) continue;
      seen = r;
      expect(r.policyAt, `the form at ${Math.round(r.formAt)} ms, after the policy service's answer at ${Math.round(r.policyAt)} ms`).toBeUndefined();
      await expect(options.getByRole('textbox', { name: 'ServiceNow instance' })).toBeEditable();
    } finally {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    }
  }
  expect(seen, 'three browser starts, each with the policy service already up when the page asked').toBeDefined();
});
