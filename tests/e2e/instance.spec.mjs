// snshare on a default ServiceNow instance (issue 13), against the sandbox modelling one: a
// least-privilege integration user (itil only, "Web service access only", its role rows hidden,
// sys_choice refused), a change's priority not computed, invalid choices flagged, the Change
// Management, Aggregate and Batch APIs each switchable.
import { test, expect, PORTAL, connectWithPassword, english, sendFromExtensionPage } from './harness.mjs';

const MFA = 'AdminMFAV2';
const MFA_TITLE = 'Ensure multifactor authentication is enabled for all users in administrative roles';
const PERSONAL = { user: 'megan.bowen', password: 'Personal#2' };
const NOT_INTEGRATION = { user: 'abel.tuter', password: 'Personal#1' };
const GROUP = 'Security Operations';

async function openPortal(page, path) {
  await page.goto(PORTAL + path);
  await expect(page.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  await page.evaluate(() => __replica.ready);
}

const form = (page) => page.getByRole('dialog', { name: 'Share to ServiceNow' });

/** Opens the task form from the MFA row, sets type, priority and (optionally) the group, sends. */
async function share(page, { kind, priority, group, another = false }) {
  const { dialog, send } = await fill(page, { kind, priority, group, another });
  await send.click();
  const link = dialog.getByRole('link', { name: kind === 'incident' ? /^INC\d{7}$/ : /^CHG\d{7}$/ });
  await expect(link).toBeVisible({ timeout: 30_000 });
  return { dialog, number: (await link.innerText()).trim() };
}

/** Opens the task form from the MFA row and sets type, priority and (optionally) the group. */
async function fill(page, { kind, priority, group, another = false }) {
  await openPortal(page, '/securescore?viewid=actions');
  await page.getByRole('button', { name: `Share to ServiceNow: ${MFA_TITLE}`, exact: true }).click();
  const dialog = form(page);
  const send = dialog.getByRole('button', { name: 'Send to ServiceNow' });
  if (another) await dialog.getByRole('button', { name: 'Create another ticket' }).click({ timeout: 15_000 });
  await expect(send).toBeEnabled({ timeout: 15_000 });
  await dialog.getByRole('combobox', { name: 'Ticket type' }).selectOption(kind);
  await dialog.getByRole('combobox', { name: 'Priority' }).selectOption(priority);
  if (group) {
    const field = dialog.getByRole('combobox', { name: 'Assignment group' });
    await field.fill(group);
    // Send waits until the typed name is one of the instance's groups.
    await expect(dialog.getByText('Choose a group from the list')).toHaveCount(0, { timeout: 10_000 });
  }
  await expect(send).toBeEnabled();
  return { dialog, send };
}

/** The create requests the sandbox saw (card refreshes are batches and are left out). */
const creates = async (sandbox) => (await sandbox.requests())
  .filter((q) => q.method === 'POST' && /^\/api\/(sn_chg_rest\/|now\/table\/(incident|change_request)$)/.test(q.path));

const ours = (records) => records.filter((r) => String(r.correlation_id).startsWith(`snshare:${MFA}:`));

test('an itil-only integration user connects with no warning and Test connection is all green with sys_choice refused', async ({ context, extensionId, sandbox }) => {
  const options = await connectWithPassword(context, extensionId);
  const status = await sendFromExtensionPage(options, { type: 'get_status' });
  expect(status.body.data.warnings).toEqual([]);
  await expect(options.locator('.status-warnings')).toHaveCount(0);

  await sandbox.clearRequests();
  await options.getByRole('button', { name: 'Test connection' }).click();
  await expect(options.getByText('All checks passed.')).toBeVisible({ timeout: 20_000 });
  const report = await sendFromExtensionPage(options, { type: 'test_connection' });
  expect(report.body.data.ok, JSON.stringify(report.body.data.steps)).toBe(true);
  // The sandbox refuses sys_choice to this user, as a default instance does: not a problem.
  const roles = (await sandbox.requests()).filter((r) => r.path.includes('sys_user_has_role'));
  expect(roles.length).toBeGreaterThan(0);
});

test('a personal account is flagged whether the portal or the connection comes first', async ({ context, extensionId, portal, sandbox }) => {
  const warnings = async (page) => (await sendFromExtensionPage(page, { type: 'get_status' })).body.data.warnings;
  // Megan's ServiceNow account marked for integrations: only the portal can tell it is hers.
  await sandbox.setUser(PERSONAL.user, { web_service_access_only: 'true' });
  // Connected first: the portal's account is not known yet, nothing to flag.
  const options = await connectWithPassword(context, extensionId, PERSONAL);
  expect(await warnings(options)).toEqual([]);
  // The portal's signed-in account (the replica's Megan Bowen) reaches the worker: the
  // connection is flagged from then on.
  await openPortal(portal, '/homepage');
  await expect.poll(() => warnings(options), { timeout: 30_000 }).toEqual(['warning_personal_account']);
  const seen = await options.evaluate(async () => (await chrome.storage.local.get('portal.accounts'))['portal.accounts']);
  expect(seen).toEqual(['meganb@contoso.onmicrosoft.com']);
  await options.reload();
  await expect(options.locator('.status-warnings')).toContainText('belong to a person');

  // Connecting again with the portal's account known: flagged at connect, and by Test connection.
  const again = await connectWithPassword(context, extensionId, PERSONAL);
  await expect(again.locator('.status-warnings')).toContainText('belong to a person');
  expect(await warnings(again)).toEqual(['warning_personal_account']);
  const report = await sendFromExtensionPage(again, { type: 'test_connection' });
  const failed = report.body.data.steps.filter((s) => !s.ok);
  expect(failed.map((s) => s.diagnosis.kind)).toEqual(['personal_account']);
  expect(failed[0].diagnosis.user_name).toBe(PERSONAL.user);
});

test('a portal page complete before snshare starts, and quiet after, still tells its account', async ({ context, extensionId, portal }) => {
  // The page arrives whole (no script builds it), so snshare's observer sees no change at all:
  // the account control must be read on its first look, not on a later change.
  const html = '<!doctype html><html lang="en"><head><title>Microsoft Defender</title></head><body>'
    + '<header role="banner"><button type="button" id="mectrl_main_trigger" aria-label="Account manager for Megan Bowen">'
    + '<span>Megan Bowen</span> <span>MeganB@contoso.onmicrosoft.com</span></button></header>'
    + '<main><h1>Home</h1></main></body></html>';
  await portal.route(`${PORTAL}/homepage?quiet=1`, (route) => route.fulfill({ contentType: 'text/html', body: html }));
  const options = await connectWithPassword(context, extensionId);
  await portal.goto(`${PORTAL}/homepage?quiet=1`);
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  await expect.poll(async () => (await options.evaluate(() => chrome.storage.local.get('portal.accounts')))['portal.accounts'], { timeout: 10_000 })
    .toEqual(['meganb@contoso.onmicrosoft.com']);
});

test('a ServiceNow user not marked for integrations is flagged, whoever is at the portal', async ({ context, extensionId }) => {
  const options = await connectWithPassword(context, extensionId, NOT_INTEGRATION);
  const status = await sendFromExtensionPage(options, { type: 'get_status' });
  expect(status.body.data.warnings).toEqual(['warning_personal_account']);
  const report = await sendFromExtensionPage(options, { type: 'test_connection' });
  expect(report.body.data.steps.filter((s) => !s.ok).map((s) => s.diagnosis.kind)).toEqual(['personal_account']);
});

test('a change request is created through the Change Management API with the form\'s priority and group', async ({ context, extensionId, portal, sandbox }) => {
  await connectWithPassword(context, extensionId);
  await sandbox.clearRequests();
  const { dialog, number } = await share(portal, { kind: 'change_request', priority: 'critical', group: GROUP });
  await expect(dialog.getByText('Created through the Change Management API.')).toBeVisible();

  const records = ours(await sandbox.records('change_request'));
  expect(records).toHaveLength(1);
  const r = records[0];
  expect(r.number).toBe(number);
  expect(String(r.priority)).toBe('1');
  const groups = await sandbox.records('sys_user_group');
  expect(r.assignment_group).toBe(groups.find((g) => g.name === GROUP).sys_id);
  expect(r._invalid_choices).toEqual([]);
  expect((await creates(sandbox)).map((q) => q.path)).toEqual(['/api/sn_chg_rest/change/normal']);
});

test('without the Change Management API the change goes through the Table API, once', async ({ context, extensionId, portal, sandbox }) => {
  await sandbox.config({ change_api: 'off' });
  await connectWithPassword(context, extensionId);
  await sandbox.clearRequests();
  const { dialog } = await share(portal, { kind: 'change_request', priority: 'moderate', group: 'Network' });
  await expect(dialog.getByText('Created through the Table API.')).toBeVisible();
  const records = ours(await sandbox.records('change_request'));
  expect(records).toHaveLength(1);
  expect(String(records[0].priority)).toBe('3');
  const groups = await sandbox.records('sys_user_group');
  expect(records[0].assignment_group).toBe(groups.find((g) => g.name === 'Network').sys_id);
  expect((await creates(sandbox)).map((q) => [q.path, q.status])).toEqual([
    ['/api/sn_chg_rest/change/normal', 400],
    ['/api/now/table/change_request', 201],
  ]);
});

test('a standard change template in the options makes standard changes; once deleted, the share says so and makes no normal change', async ({ context, extensionId, portal, sandbox }) => {
  const options = await connectWithPassword(context, extensionId);
  const template = (await sandbox.records('std_change_record_producer')).find((t) => t.name === 'Enable a security policy setting');
  const settings = (await sendFromExtensionPage(options, { type: 'get_settings' })).body.data;
  const saveTemplate = async (chosen) => {
    const saved = await sendFromExtensionPage(options, {
      type: 'save_settings',
      data: {
        instance: settings.instance, client_id: settings.client_id, client_secret: null,
        defaults: settings.defaults, fallback_user_id: settings.fallback_user_id,
        refresh_minutes: settings.refresh_minutes,
        mapping: { assignment_group: null, caller: null, category: [], standard_change_template: chosen },
      },
    });
    expect(saved.body.data.errors).toEqual([]);
  };
  await saveTemplate({ sys_id: template.sys_id, name: template.name });
  await sandbox.clearRequests();
  await share(portal, { kind: 'change_request', priority: 'moderate' });
  const dialog = form(portal);
  await expect(dialog.getByText('Created through the Change Management API.')).toBeVisible();
  let records = ours(await sandbox.records('change_request'));
  expect(records).toHaveLength(1);
  expect(records[0].type).toBe('standard');
  expect(records[0].std_change_producer_version).toBe(template.sys_id);

  // The template is deleted on the instance after it was chosen: no normal change in its place
  // (that would skip the pre-approval the template stands for), and the user is told why.
  await sandbox.deleteRecord('std_change_record_producer', template.sys_id);
  await sandbox.clearRequests();
  const { send } = await fill(portal, { kind: 'change_request', priority: 'moderate', another: true });
  await send.click();
  await expect(dialog.getByText(english('diagnosis_change_template_unusable'))).toBeVisible({ timeout: 30_000 });
  await expect(dialog.getByText(english('diagnosis_change_template_unusable_fix'))).toBeVisible();
  expect(ours(await sandbox.records('change_request'))).toHaveLength(1);
  expect((await creates(sandbox)).map((q) => [q.path, q.status])).toEqual([
    [`/api/sn_chg_rest/change/standard/${template.sys_id}`, 404],
  ]);

  // As the fix says: the template cleared, the kept draft sent again is a normal change, still
  // through the Change Management API (a missing template did not mark the API missing).
  await saveTemplate(null);
  await sandbox.clearRequests();
  await expect(send).toBeEnabled({ timeout: 15_000 });
  await send.click();
  await expect(dialog.getByRole('link', { name: /^CHG\d{7}$/ })).toBeVisible({ timeout: 30_000 });
  records = ours(await sandbox.records('change_request'));
  expect(records).toHaveLength(2);
  expect((await creates(sandbox)).map((q) => [q.path, q.status])).toEqual([['/api/sn_chg_rest/change/normal', 200]]);
});

test('an incident leaves category untouched unless mapped, and then holds a valid choice', async ({ context, extensionId, portal, sandbox }) => {
  const options = await connectWithPassword(context, extensionId);
  await share(portal, { kind: 'incident', priority: 'low' });
  let records = ours(await sandbox.records('incident'));
  expect(records).toHaveLength(1);
  expect(records[0].category ?? '').toBe('');
  expect(records[0].correlation_display).toBe('Microsoft Secure Score: Identity');
  expect(records[0]._invalid_choices).toEqual([]);

  const settings = (await sendFromExtensionPage(options, { type: 'get_settings' })).body.data;
  const input = (mapping) => ({
    instance: settings.instance, client_id: settings.client_id, client_secret: null,
    defaults: settings.defaults, fallback_user_id: settings.fallback_user_id,
    refresh_minutes: settings.refresh_minutes, mapping,
  });
  const mapping = {
    assignment_group: null, caller: null, standard_change_template: null,
    category: [{ kind: 'incident', field: 'category', values: [{ category: 'identity', value: 'software' }] }],
  };
  // sys_choice refused: the values cannot be checked, so the mapping is not saved.
  let saved = await sendFromExtensionPage(options, { type: 'save_settings', data: input(mapping) });
  expect(saved.body.data.errors.map((e) => e.message_key)).toEqual(['options_error_category_unreadable']);
  await sandbox.config({ sys_choice: 'readable' });
  const invented = structuredClone(mapping);
  invented.category[0].values[0].value = 'identity';
  saved = await sendFromExtensionPage(options, { type: 'save_settings', data: input(invented) });
  expect(saved.body.data.errors.map((e) => e.message_key)).toEqual(['options_error_category_value']);
  saved = await sendFromExtensionPage(options, { type: 'save_settings', data: input(mapping) });
  expect(saved.body.data.errors).toEqual([]);

  await share(portal, { kind: 'incident', priority: 'low', another: true });
  records = ours(await sandbox.records('incident'));
  const mapped = records.find((r) => r.category === 'software');
  expect(mapped, JSON.stringify(records.map((r) => r.category))).toBeTruthy();
  expect(mapped._invalid_choices).toEqual([]);
});

/** A forced card refresh: the snapshot it gave and the API requests it made ("GET /path"). */
async function refreshCards(options, sandbox) {
  await sandbox.clearRequests();
  await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: true } });
  let snapshot;
  await expect.poll(async () => {
    snapshot = (await sendFromExtensionPage(options, { type: 'get_tickets', data: { force_refresh: false } })).body.data;
    return snapshot.refreshing === false && snapshot.fetched_at !== null;
  }, { timeout: 20_000 }).toBe(true);
  // The options page left open may still read the state labels (sys_choice, once per
  // instance): that is not the card refresh.
  const calls = (await sandbox.requests()).filter((q) => q.path.startsWith('/api/') && q.path !== '/api/now/table/sys_choice');
  return { snapshot, calls: calls.map((q) => `${q.method} ${q.path}`) };
}

/** The incidents the snapshot counts, all states together. */
const countedIncidents = (snapshot) => snapshot.counts.filter((c) => c.kind === 'incident').reduce((n, c) => n + c.count, 0);

/** snshare's incidents at the instance. */
const ourIncidents = async (sandbox) => (await sandbox.records('incident')).filter((r) => String(r.correlation_id).startsWith('snshare:'));

test('one HTTP request per card refresh where the Batch API is allowed, with exact counts', async ({ context, extensionId, sandbox }) => {
  await sandbox.seed({ table: 'incident', count: 1200, correlation_prefix: 'snshare:bulk', cycle: { state: ['1', '2'] } });
  const options = await connectWithPassword(context, extensionId);
  const { snapshot, calls } = await refreshCards(options, sandbox);
  expect(calls).toEqual(['POST /api/now/v1/batch']);
  expect(countedIncidents(snapshot)).toBe((await ourIncidents(sandbox)).length);
});

test('a card refresh the instance cuts short (unserviced batch requests) still gives both lists and exact counts', async ({ context, extensionId, sandbox }) => {
  await sandbox.seed({ table: 'incident', count: 30, correlation_prefix: 'snshare:bulk', cycle: { state: ['1', '2'] } });
  const options = await connectWithPassword(context, extensionId);
  // The batch stops at the incidents' counts (its time quota): they and what follows come back
  // unserviced, with HTTP 200, and are asked for on their own.
  await sandbox.fault({ kind: 'unserviced', path_prefix: '/api/now/stats/incident' });
  const cut = await refreshCards(options, sandbox);
  expect(cut.calls).toEqual([
    'POST /api/now/v1/batch',
    'GET /api/now/stats/incident',
    'GET /api/now/table/change_request',
    'GET /api/now/stats/change_request',
  ]);
  const incidents = (await ourIncidents(sandbox)).length;
  expect(countedIncidents(cut.snapshot)).toBe(incidents);
  // The Batch API is still used: a cut batch is not a missing one.
  const next = await refreshCards(options, sandbox);
  expect(next.calls).toEqual(['POST /api/now/v1/batch']);
  expect(countedIncidents(next.snapshot)).toBe(incidents);
});

test('an API a REST API access policy closes to OAuth tokens (401 however fresh) is used no more; the connection stays', async ({ context, extensionId, portal, sandbox }) => {
  await sandbox.seed({ table: 'incident', count: 12, correlation_prefix: 'snshare:bulk', cycle: { state: ['1', '2'] } });
  const options = await connectWithPassword(context, extensionId);
  await sandbox.config({ batch_api: 'unauthenticated', change_api: 'unauthenticated' });
  const state = async () => (await sendFromExtensionPage(options, { type: 'get_status' })).body.data.state;
  // The cards: the batch refused twice (the second time with a fresh token), the Table API
  // takes that token (who am I), so the refresh goes on with separate requests.
  const cut = await refreshCards(options, sandbox);
  expect(cut.calls).toEqual([
    'POST /api/now/v1/batch',
    'POST /api/now/v1/batch',
    'GET /api/now/table/sys_user',
    'GET /api/now/table/incident',
    'GET /api/now/stats/incident',
    'GET /api/now/table/change_request',
    'GET /api/now/stats/change_request',
  ]);
  expect(countedIncidents(cut.snapshot)).toBe((await ourIncidents(sandbox)).length);
  expect(await state()).toBe('connected');
  // A change request: through the Table API, once.
  await sandbox.clearRequests();
  const { dialog } = await share(portal, { kind: 'change_request', priority: 'moderate' });
  await expect(dialog.getByText('Created through the Table API.')).toBeVisible();
  expect(ours(await sandbox.records('change_request'))).toHaveLength(1);
  expect((await creates(sandbox)).map((q) => [q.path, q.status])).toEqual([
    ['/api/sn_chg_rest/change/normal', 401],
    ['/api/sn_chg_rest/change/normal', 401],
    ['/api/now/table/change_request', 201],
  ]);
  expect(await state()).toBe('connected');
});
