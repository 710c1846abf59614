// Connect: the options page, the real OAuth consent page of the sandbox, the token lifecycle
// and the diagnoses of Test connection, each produced by the matching sandbox fault.
import {
  test, expect, INSTANCE, INTEGRATION_USER, PERSONAL_USER, connect, fillConnection, signInAndAllow,
  sendFromExtensionPage,
} from './harness.mjs';

const tokenGrants = async (sandbox, since = 0) =>
  (await sandbox.requests(since)).filter((r) => r.path === '/oauth_token.do');

test('connect as the integration user through the consent page', async ({ context, extensionId, sandbox }) => {
  const options = await connect(context, extensionId);
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

test('Deny on the consent page ends in a clear message', async ({ context, extensionId }) => {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await fillConnection(options);
  const authPage = context.waitForEvent('page', { predicate: (p) => /oauth_auth|login/.test(p.url()) });
  await options.getByRole('button', { name: 'Connect to ServiceNow' }).click();
  await signInAndAllow(await authPage, INTEGRATION_USER, 'Deny');
  await expect(options.getByText(/denied|Deny/i).first()).toBeVisible();
  await expect(options.getByRole('status')).not.toContainText('Connected as');
});

test('closing the sign-in window ends in a clear message', async ({ context, extensionId }) => {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await fillConnection(options);
  const authPage = context.waitForEvent('page', { predicate: (p) => /oauth_auth|login/.test(p.url()) });
  await options.getByRole('button', { name: 'Connect to ServiceNow' }).click();
  await (await authPage).close();
  await expect(options.getByText(/closed|cancel/i).first()).toBeVisible();
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

test('a revoked refresh token asks for authorization, and Authorize reconnects', async ({ context, extensionId, sandbox }) => {
  const options = await connect(context, extensionId);
  await sandbox.revoke();
  await sandbox.expireTokens();
  const answer = await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: true } });
  expect(answer.body.type).toBe('snapshot');
  await expect.poll(async () => (await sendFromExtensionPage(options, { type: 'get_status' })).body.data.state,
    { timeout: 10_000 }).toBe('authorization_needed');
  await options.reload();
  await expect(options.getByRole('status')).toContainText(/authoriz/i);
  const authPage = context.waitForEvent('page', { predicate: (p) => /oauth_auth|login/.test(p.url()) });
  await options.getByRole('button', { name: 'Authorize', exact: true }).click();
  await signInAndAllow(await authPage);
  await expect(options.getByRole('status')).toContainText(`Connected as ${INTEGRATION_USER.user}`, { timeout: 15_000 });
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

test('a wrong client secret is named on connect', async ({ context, extensionId }) => {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await fillConnection(options, { secret: 'not-the-secret' });
  const authPage = context.waitForEvent('page', { predicate: (p) => /oauth_auth|login/.test(p.url()) });
  await options.getByRole('button', { name: 'Connect to ServiceNow' }).click();
  await signInAndAllow(await authPage);
  await expect(options.getByText(/client ID|client secret/i).last()).toBeVisible();
  await expect(options.getByRole('status')).not.toContainText('Connected as');
});

// Each diagnosis of Test connection, from the sandbox fault that causes it; the message must
// name the fix.
const faults = [
  { name: 'IP filtering', fault: { kind: 'ip_filter', count: 50 }, expect: /IP|network/i },
  { name: 'cross-scope oauth_entity', fault: { kind: 'cross_scope', count: 50 }, expect: /Application Registries/i },
  { name: 'rate limited', fault: { kind: 'rate_limit', retry_after: 42, count: 50, path_prefix: '/api/' }, expect: /42/ },
  { name: 'server error', fault: { kind: 'status', status: 503, count: 50, path_prefix: '/api/' }, expect: /503/ },
];
for (const f of faults) {
  test(`Test connection names ${f.name}`, async ({ context, extensionId, sandbox }) => {
    const options = await connect(context, extensionId);
    await sandbox.fault(f.fault);
    await options.getByRole('button', { name: 'Test connection' }).click();
    await expect(options.getByText(f.expect).first()).toBeVisible({ timeout: 15_000 });
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
  options.once('dialog', (d) => d.accept());
  await options.getByRole('button', { name: 'Remove connection' }).click();
  await expect(options.getByRole('status')).toContainText(/Not connected/i);
  const stored = await options.evaluate(() => chrome.storage.local.get(null));
  expect(Object.keys(stored).filter((k) => k.startsWith('auth') || k === 'tickets.cache')).toEqual([]);
  expect((await sandbox.requests()).some((r) => r.path === '/oauth_revoke_token.do')).toBe(true);
});

test('a page on the portal gets no token or secret through any message', async ({ context, extensionId, portal }) => {
  await connect(context, extensionId);
  await portal.goto('https://security.microsoft.com/homepage');
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  // The page world has no channel; the content script's own requests are answered without
  // secrets. Check the worker's answers to everything a content script may ask.
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/popup.html`);
  const stored = await page.evaluate(async () => ({ ...(await chrome.storage.local.get(null)), ...(await chrome.storage.session.get(null)) }));
  const secrets = [stored['auth.refresh'], stored['auth.access']?.access_token, stored.settings?.client_secret].filter(Boolean);
  expect(secrets.length).toBe(3);
  for (const body of [{ type: 'get_status' }, { type: 'get_settings' }, { type: 'get_tickets', data: { force_refresh: false } }, { type: 'get_outbox' }, { type: 'get_state_names' }]) {
    const text = JSON.stringify(await sendFromExtensionPage(page, body));
    for (const s of secrets) expect(text).not.toContain(s);
  }
  // Content scripts cannot read extension storage either.
  const leaked = await portal.evaluate(() => typeof chrome !== 'undefined' && !!chrome.storage);
  expect(leaked).toBe(false);
});
