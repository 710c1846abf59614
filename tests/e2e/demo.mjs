// ./build.sh demo: the local ServiceNow sandbox, the portal replica, and Chromium with snshare.
// With a display: a window for you to try it (close the browser to stop). Without one: the
// walkthrough runs itself headless, saves screenshots under target/demo/ and prints the
// tickets it created.
import fs from 'node:fs';
import path from 'node:path';
import {
  ROOT, DIST, PORTAL, INSTANCE, INTEGRATION_USER, DEMO_CLIENT, startSandbox, startReplica, launchExtension,
  grantedExtensionDir, connect, expect,
} from './harness.mjs';

// SNSHARE_DEMO_OUT and SNSHARE_DEMO_VIEWPORT (WIDTHxHEIGHT): where the headless walkthrough's
// screenshots go and their size (./build.sh release takes the store's 1280x800 from here).
const OUT = process.env.SNSHARE_DEMO_OUT || path.join(ROOT, 'target/demo');
const [vw, vh] = (process.env.SNSHARE_DEMO_VIEWPORT || '1400x900').split('x').map(Number);
fs.mkdirSync(OUT, { recursive: true });
const dataDir = path.join(OUT, 'sandbox-data');
fs.mkdirSync(dataDir, { recursive: true });

const sandbox = await startSandbox(['--data', dataDir]);
const replica = await startReplica('none');
const stopAll = async () => { await sandbox.stop(); await replica.stop(); };
process.on('SIGINT', async () => { await stopAll(); process.exit(130); });

console.log(`ServiceNow sandbox: ${sandbox.url} (seen by the browser as ${INSTANCE})`);
console.log(`Portal replica:     ${replica.url} (seen by the browser as ${PORTAL})`);

if (process.env.DISPLAY && !process.env.SNSHARE_DEMO_HEADLESS) {
  const { context } = await launchExtension({
    portalPort: replica.port, sandboxPort: sandbox.port, headless: false, extensionDir: DIST, viewport: null,
  });
  console.log(`
snshare is loaded. To connect, open the extension's options (toolbar icon > Options) and enter
  ServiceNow instance: ${INSTANCE}
  Client ID:           ${DEMO_CLIENT.id}
  Client secret:       ${DEMO_CLIENT.secret}
then open "Sign in with user name and password" and sign in as
  ${INTEGRATION_USER.user} / ${INTEGRATION_USER.password}
(the integration user is "Web service access only", as on a real instance: it cannot use the
instance's login page, so Connect to ServiceNow is for accounts that can).
The portal replica is open; its Recommended actions list has a share button on every row.
Close the browser window to stop the demo.`);
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${PORTAL}/securescore?viewid=actions`);
  await new Promise((resolve) => context.on('close', resolve));
  await stopAll();
  process.exit(0);
}

// Headless walkthrough.
const { context, extensionId, userDataDir } = await launchExtension({
  portalPort: replica.port, sandboxPort: sandbox.port, extensionDir: grantedExtensionDir(),
  viewport: { width: vw, height: vh },
});
const failures = [];
let shot = 0;
async function step(name, fn) {
  try {
    await fn();
    console.log(`  ok    ${name}`);
  } catch (e) {
    failures.push(name);
    console.log(`  FAIL  ${name}: ${String(e.message || e).split('\n')[0]}`);
  }
}
const snap = async (page, name) => {
  shot += 1;
  const file = path.join(OUT, `${String(shot).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
};

/**
 * The form's Send, once the form has asked ServiceNow whether the action has an open ticket. The
 * sandbox keeps its data between demos (target/demo/sandbox-data), so a second demo finds the
 * first one's tickets: the form then offers the open ticket first, and the walkthrough asks for
 * another, as a person would.
 */
async function sendOffered(form) {
  const checking = form.getByText('Checking ServiceNow for tickets of this action');
  const another = form.getByRole('button', { name: 'Create another ticket' });
  const send = form.getByRole('button', { name: 'Send to ServiceNow' });
  await expect(send.or(another).first()).toBeVisible({ timeout: 15_000 });
  await expect(checking).toBeHidden({ timeout: 15_000 });
  if (await another.isVisible()) {
    console.log('        (this action already had a ticket from an earlier demo: "Create another ticket")');
    await another.click();
  }
  await expect(send).toBeVisible();
  return send;
}

// This run's screenshots only: an earlier demo's, numbered otherwise, would stay beside them.
for (const f of fs.readdirSync(OUT)) if (f.endsWith('.png')) fs.rmSync(path.join(OUT, f));

console.log(`\nWalkthrough (no display: headless, screenshots in ${path.relative(ROOT, OUT) || OUT}/):`);
const before = new Set([...(await sandbox.records('incident')), ...(await sandbox.records('change_request'))].map((r) => r.sys_id));
let options;
await step('connect on the options page, signed in as the integration user', async () => {
  options = await connect(context, extensionId);
  await snap(options, 'options-connected');
});
const portal = context.pages()[0] ?? await context.newPage();
await step('share buttons on the Recommended actions list', async () => {
  await portal.bringToFront();
  await portal.goto(`${PORTAL}/securescore?viewid=actions`);
  await expect(portal.getByRole('button', { name: /^Share to ServiceNow/ }).first()).toBeVisible({ timeout: 15_000 });
  await snap(portal, 'recommended-actions');
});
await step('share an action as an incident from its row', async () => {
  await portal.getByRole('button', { name: /^Share to ServiceNow/ }).first().click();
  const form = portal.getByRole('dialog', { name: 'Share to ServiceNow' });
  await expect(form).toBeVisible();
  const send = await sendOffered(form);
  await form.getByRole('combobox', { name: 'Priority' }).selectOption({ label: 'High' });
  await snap(portal, 'task-form');
  await send.click();
  await expect(form.getByRole('link', { name: /INC\d+/ })).toBeVisible({ timeout: 20_000 });
  await snap(portal, 'incident-created');
  await form.getByRole('button', { name: /Close|Cancel/ }).first().click();
});
await step('share an action as a change request from its Share menu', async () => {
  // An action's title: its link opens the action (a badge is a link too, into ServiceNow).
  const title = portal.getByRole('grid').locator('a[href*="actionId="]').nth(2);
  await title.click();
  const panel = portal.getByRole('dialog').first();
  await panel.getByRole('button', { name: 'Share', exact: true }).click();
  await portal.getByRole('menuitem', { name: 'ServiceNow' }).click();
  const form = portal.getByRole('dialog', { name: 'Share to ServiceNow' });
  const send = await sendOffered(form);
  await form.getByRole('combobox', { name: 'Ticket type' }).selectOption({ label: 'Change request' });
  await send.click();
  await expect(form.getByRole('link', { name: /CHG\d+/ })).toBeVisible({ timeout: 20_000 });
  await snap(portal, 'change-request-created');
  await portal.keyboard.press('Escape');
});
await step('ticket cards on the portal home page', async () => {
  await portal.goto(`${PORTAL}/homepage`);
  await expect(portal.getByRole('region', { name: 'Incident management' })).toBeVisible({ timeout: 15_000 });
  // snshare's cards come after the portal's own: shown in the middle of the screenshot (at the
  // stores' 1280x800 they are below the fold otherwise).
  await portal.getByRole('region', { name: 'Incident management' }).evaluate((e) => e.scrollIntoView({ block: 'center' }));
  await snap(portal, 'home-cards');
});
await step('badges on the list', async () => {
  await portal.goto(`${PORTAL}/securescore?viewid=actions`);
  await expect(portal.getByRole('link', { name: /INC\d+|CHG\d+/ }).first()).toBeVisible({ timeout: 15_000 });
  await snap(portal, 'badges');
});
await step('the toolbar popup', async () => {
  const popup = await context.newPage();
  await popup.setViewportSize({ width: 380, height: 640 });
  await popup.goto(`chrome-extension://${extensionId}/popup.html`);
  await expect(popup.getByRole('status')).toContainText('Connected as');
  await snap(popup, 'popup');
});
await step('all tickets', async () => {
  const list = await context.newPage();
  await list.goto(`chrome-extension://${extensionId}/tickets.html`);
  await expect(list.getByRole('table')).toBeVisible();
  await snap(list, 'tickets');
});

const created = [...(await sandbox.records('incident')), ...(await sandbox.records('change_request'))]
  .filter((r) => !before.has(r.sys_id));
console.log(`\nTickets created in the sandbox (${created.length}):`);
for (const r of created) console.log(`  ${r.number}  ${String(r.short_description).slice(0, 90)}  [correlation ${r.correlation_id}]`);
console.log(`\nScreenshots: ${fs.readdirSync(OUT).filter((f) => f.endsWith('.png')).length} in ${path.relative(ROOT, OUT) || OUT}/`);

await context.close();
fs.rmSync(userDataDir, { recursive: true, force: true });
await stopAll();
if (failures.length) {
  console.log(`\n${failures.length} step(s) failed: ${failures.join('; ')}`);
  process.exit(1);
}
process.exit(0);
