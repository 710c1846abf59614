// The Firefox end-to-end run: Debian's firefox-esr, headless, driven over WebDriver BiDi (the
// protocol stock Firefox speaks itself) by puppeteer-core, with dist/firefox installed as a
// temporary add-on; the ServiceNow sandbox and the portal replica on loopback (the same servers
// as the Chromium suite), reached under their real host names through a loopback proxy.
//
// Connect (the user name and password sign-in), share from a row, the card and the badge, and
// Remove connection, under the replica's two CSP modes. Prints one line per check and ends with
// "N passed, M failed". `node tests/e2e-firefox/run.mjs [pattern]` runs the checks whose name
// matches.
//
// Why puppeteer-core over BiDi: Playwright drives only its own patched Firefox (a download we may
// not make), geckodriver would be one more Rust build in CI; BiDi is in every Firefox since 129,
// including `webExtension.install`, and puppeteer-core is an npm package with no browser.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import net from 'node:net';
import puppeteer from 'puppeteer-core';
import {
  ROOT, PORTAL, PORTAL_HOST, INSTANCE, INSTANCE_HOST, INTEGRATION_USER, DEMO_CLIENT,
  startSandbox, startReplica, english,
} from '../e2e/harness.mjs';

const FIREFOX = process.env.FIREFOX || '/usr/bin/firefox-esr';
const DIST = process.env.SNSHARE_FIREFOX_DIST || path.join(ROOT, 'dist/firefox');
const MANIFEST = JSON.parse(fs.readFileSync(path.join(DIST, 'manifest.json'), 'utf8'));
const ADDON_ID = MANIFEST.browser_specific_settings.gecko.id;
// Firefox serves an add-on's pages from moz-extension://<uuid>/, a uuid chosen per profile;
// the test fixes it (extensions.webextensions.uuids) to open the options page by its URL.
const UUID = '5e7a1c3b-2f4d-4b8e-9c6a-0d1e2f3a4b5c';
const PAGES = `moz-extension://${UUID}`;
// How long the Incident card may read "Loading tickets…": the content script's wait for the
// worker's answer (src/content/wire.rs TIMEOUT_MS) and a second of margin.
const CARD_LOADING_BOUND_MS = 16_000;
const MFA_TITLE = 'Ensure multifactor authentication is enabled for all users in administrative roles';
const pattern = process.argv[2] ? new RegExp(process.argv[2], 'i') : null;

/**
 * The test copy of dist/firefox: its task form's shadow root open, as in the Chromium suite
 * (see grantedExtensionDir in tests/e2e/harness.mjs); nothing else differs.
 */
function testCopy() {
  const dir = path.join(ROOT, 'target/e2e-firefox/extension');
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(DIST, dir, { recursive: true });
  const manifest = { ...MANIFEST, snshare_test: { open_shadow_root: true } };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

/**
 * An HTTP proxy on loopback that tunnels CONNECT for the portal's and the instance's host
 * names to the replica and the sandbox, and refuses everything else: Firefox reaches nothing
 * but our servers. (Chromium maps hosts with --host-resolver-rules; Firefox has no such flag.)
 */
async function startProxy(routes) {
  const server = http.createServer((req, res) => { res.writeHead(403); res.end(); });
  server.on('connect', (req, client, head) => {
    const [host, port] = req.url.split(':');
    const target = routes[host];
    if (!target || port !== '443') {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    const upstream = net.connect(target(), '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, stop: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }) };
}

const results = [];
async function check(name, fn) {
  if (pattern && !pattern.test(name)) return;
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ok    ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  FAIL  ${name}: ${String(e?.stack || e).split('\n').slice(0, 6).join('\n        ')}`);
  }
}

/** Polls `fn` until it returns a truthy value; its last error or value explains a timeout. */
async function until(what, fn, timeout = 20_000) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what} (last: ${last?.message ?? JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

// Errors from the extension fail the run, as in the Chromium suite.
const pageErrors = [];
function watch(page, label) {
  page.on('pageerror', (e) => pageErrors.push(`${label}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(`${label}: ${m.text()}`); });
  page.on('dialog', (d) => d.accept());
  return page;
}

/** The element's text, found by ARIA role and accessible name. */
const aria = (role, name) => `::-p-aria([name="${name.replace(/"/g, '\\"')}"][role="${role}"])`;

/**
 * The first element matching `selector` whose aria-label or text is `text` (or matches it, a
 * RegExp source with `regex`), in the document and every open shadow root (the task form's, in
 * this suite's copy of the add-on), waited for. Puppeteer's ARIA queries over BiDi stop at
 * shadow roots.
 */
async function deep(page, selector, text, { regex = false, timeout = 20_000 } = {}) {
  const find = () => page.evaluateHandle((sel, want, isRegex) => {
    const match = (e) => {
      const t = [e.getAttribute('aria-label') || '', (e.textContent || '').trim()];
      return t.some((x) => (isRegex ? new RegExp(want).test(x) : x === want));
    };
    const roots = [document];
    for (let i = 0; i < roots.length; i += 1) {
      for (const e of roots[i].querySelectorAll('*')) if (e.shadowRoot) roots.push(e.shadowRoot);
    }
    for (const root of roots) {
      const hit = [...root.querySelectorAll(sel)].find(match);
      if (hit) return hit;
    }
    return null;
  }, selector, text, regex);
  return until(`${selector} "${text}"`, async () => {
    const handle = await find();
    if (await handle.evaluate((e) => e === null)) return null;
    return handle.asElement();
  }, timeout);
}

async function statusText(page) {
  return page.evaluate(() => [...document.querySelectorAll('[role="status"]')].map((e) => e.textContent).join(' | '));
}

async function openOptions(browser) {
  const page = watch(await browser.newPage(), 'options');
  // Puppeteer loses the load event of a moz-extension page (the page moves to the add-ons'
  // process); the page itself is then driven normally.
  await page.goto(`${PAGES}/options.html`, { timeout: 1_000 }).catch(() => {});
  await until('the options page', () => page.evaluate(() => location.href.endsWith('/options.html') && !!document.querySelector('#redirect-url')));
  return page;
}

/**
 * Waits for a ticket refresh asked now, from an extension page, as the Chromium suite does
 * (share.spec.mjs, refreshAfter): the card then shows what the instance has, whatever the
 * cache's age when the share was made. A refresh already running may have read the instance
 * before the share: it is let finish first, and only one that started after it counts.
 */
async function refreshedNow(page) {
  const snapshot = (force) => page.evaluate((f) => chrome.runtime.sendMessage(
    { v: 1, body: { type: 'get_tickets', data: { force_refresh: f } } }), force).then((r) => r.body.data);
  await until('no ticket refresh running', async () => !(await snapshot(false)).refreshing);
  const since = Date.now();
  await snapshot(true);
  await until('a ticket refresh', async () => {
    const s = await snapshot(false);
    if (s.refreshing) return false;
    if (s.fetched_at > since) return true;
    await snapshot(true);
    return false;
  });
}

async function setValue(page, selector, value) {
  const el = await page.waitForSelector(selector, { timeout: 10_000 });
  await el.click({ count: 3 });
  await page.keyboard.press('Backspace');
  await el.type(value);
}

async function main() {
  const started = Date.now();
  const sandbox = await startSandbox();
  const replicas = { none: await startReplica('none'), strict: await startReplica('strict') };
  let portalPort = replicas.none.port;
  const proxy = await startProxy({ [PORTAL_HOST]: () => portalPort, [INSTANCE_HOST]: () => sandbox.port });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: profile,
    // The sandbox and replica certificates are per run and self-signed.
    acceptInsecureCerts: true,
    // BiDi refuses to navigate to moz-extension:// pages without it.
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: {
      'network.proxy.type': 1,
      'network.proxy.http': '127.0.0.1', 'network.proxy.http_port': proxy.port,
      'network.proxy.ssl': '127.0.0.1', 'network.proxy.ssl_port': proxy.port,
      'network.proxy.no_proxies_on': '',
      'network.proxy.allow_hijacking_localhost': true,
      'extensions.webextensions.uuids': JSON.stringify({ [ADDON_ID]: UUID }),
      // permissions.request answers without the doorhanger headless Firefox cannot show; the
      // request itself still needs a click, as in the product.
      'extensions.webextOptionalPermissionPrompts': false,
      'intl.locale.requested': 'en-US',
    },
  });
  console.log(`Firefox ${await browser.version()} (headless, WebDriver BiDi), add-on ${ADDON_ID}`);
  const close = async () => {
    await browser.close().catch(() => {});
    await proxy.stop(); await sandbox.stop(); await replicas.none.stop(); await replicas.strict.stop();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  try {
    const installed = await browser.installExtension(testCopy());
    if (installed !== ADDON_ID) throw new Error(`installed ${installed}, expected ${ADDON_ID}`);
    let options;

    await check('the options page shows the Firefox redirect URL', async () => {
      options = await openOptions(browser);
      const url = await until('the redirect URL', () => options.$eval('#redirect-url', (e) => e.value));
      // Firefox's form: the SHA-1 of the add-on id, the same on every profile (README).
      const want = `https://${crypto.createHash('sha1').update(ADDON_ID).digest('hex')}.extensions.allizom.org/`;
      if (url !== want) throw new Error(`redirect URL ${url}, expected ${want}`);
    });

    await check('connect with user name and password (host permission asked on the click)', async () => {
      options ??= await openOptions(browser);
      await setValue(options, '#instance', INSTANCE);
      await setValue(options, '#client-id', DEMO_CLIENT.id);
      await setValue(options, '#client-secret', DEMO_CLIENT.secret);
      await options.click('#password-grant summary');
      await setValue(options, '#username', INTEGRATION_USER.user);
      await setValue(options, '#password', INTEGRATION_USER.password);
      await options.click(aria('button', 'Sign in with password'));
      await until('Connected as', async () => (await statusText(options)).includes(`Connected as ${INTEGRATION_USER.user}`));
      // Firefox has no storage.local.setAccessLevel: the status says so, in its own words.
      await until('the storage warning', () => options.evaluate((t) => document.body.textContent.includes(t), english('warning_storage_shared')));
      const granted = await options.evaluate(() => chrome.permissions.getAll());
      if (!granted.origins.some((o) => o.startsWith(INSTANCE))) throw new Error(`origins ${JSON.stringify(granted.origins)}`);
    });

    for (const csp of ['none', 'strict']) {
      let number;
      await check(`share from a row, page CSP ${csp}: the form shows the new incident`, async () => {
        portalPort = replicas[csp].port;
        const portal = watch(await browser.newPage(), `portal (${csp})`);
        await portal.goto(`${PORTAL}/securescore?viewid=actions`);
        await portal.waitForSelector('html[data-snshare-worker="ok"]', { timeout: 20_000 });
        const before = (await sandbox.records('incident')).length;
        // A different action in each mode: the first one has an open ticket by then.
        const title = csp === 'none' ? MFA_TITLE : await portal.evaluate((mfa) =>
          __replica.actions.map((a) => a.title).find((t) => t !== mfa && /^[\w ,.()-]+$/.test(t)), MFA_TITLE);
        const share = await deep(portal, 'button', `Share to ServiceNow: ${title}`);
        // snshare's sheets apply under the page's CSP too (the strict one lets no inline style
        // in without its nonce): the manifest's for the button, the form's in its shadow root.
        const width = await share.evaluate((b) => getComputedStyle(b).width);
        if (width !== '24px') throw new Error(`the share button is ${width} wide, not 24px: snshare's sheet does not apply`);
        await share.click();
        const send = await deep(portal, 'dialog button', 'Send to ServiceNow');
        const dim = await send.evaluate((b) => getComputedStyle(b.closest('dialog')).backgroundColor);
        if (dim !== 'rgba(0, 0, 0, 0.4)') throw new Error(`the form's overlay is ${dim}: the form's sheet does not apply`);
        await until('Send enabled', () => send.evaluate((b) => !b.disabled && b.getAttribute('aria-disabled') !== 'true'));
        await send.click();
        const link = await deep(portal, 'dialog a', '^INC\\d+', { regex: true });
        number = (await link.evaluate((e) => e.textContent)).match(/INC\d+/)[0];
        const records = await sandbox.records('incident');
        const created = records.find((r) => r.number === number);
        if (records.length !== before + 1 || !created) throw new Error(`${records.length - before} incidents created, ${number} not among them`);
        if (!String(created.short_description).includes(title.slice(0, 40))) throw new Error(`short_description ${created.short_description}`);
        if (!/^snshare:/.test(created.correlation_id)) throw new Error(`correlation_id ${created.correlation_id}`);
        const engine = await portal.$eval('html', (e) => e.getAttribute('data-snshare-core'));
        console.log(`        (${number}; content script core: ${engine})`);
        await portal.close();
      });

      await check(`a card and a badge show the ticket, page CSP ${csp}`, async () => {
        if (!number) throw new Error('no ticket from the share step');
        await refreshedNow(options);
        const portal = watch(await browser.newPage(), `portal home (${csp})`);
        await portal.goto(`${PORTAL}/homepage`);
        // The card is looked up again on every poll: a redraw replaces it (a new snapshot, the
        // portal's dashboard put back), and a handle kept from its first "Loading tickets…"
        // draw would read that detached node forever (the Firefox flake of stop 25).
        const cardText = async () => {
          const card = await portal.$(aria('region', 'Incident management'));
          return card ? card.evaluate((e) => e.textContent) : null;
        };
        await until('the Incident management card', cardText);
        const shown = Date.now();
        const loading = english('cards_loading');
        // The card leaves "Loading tickets…" within the content script's wait for the worker
        // (wire.rs TIMEOUT_MS, 15 s: tickets or an error, never Loading for good).
        await until('the card to leave "Loading tickets…"', async () => !(await cardText()).includes(loading), CARD_LOADING_BOUND_MS)
          .catch(async (e) => { throw new Error(`${e.message}; the card reads: ${await cardText()}`); });
        console.log(`        (card left "Loading" in ${Date.now() - shown} ms)`);
        await until(`${number} on the card`, async () => (await cardText()).includes(number))
          .catch(async (e) => { throw new Error(`${e.message}; the card reads: ${await cardText()}`); });
        await portal.goto(`${PORTAL}/securescore?viewid=actions`);
        await deep(portal, 'a', number, { regex: true });
        await portal.close();
      });
    }

    await check('Remove connection: not connected, tokens revoked at the instance', async () => {
      options ??= await openOptions(browser);
      await sandbox.clearRequests();
      await options.click(aria('button', 'Remove connection'));
      await until('Not connected', async () => /Not connected/i.test(await statusText(options)));
      await until('the removal notice', () => options.evaluate((t) => document.body.textContent.includes(t), english('options_removed')));
      const revoked = (await sandbox.requests()).filter((r) => r.path === '/oauth_revoke_token.do');
      if (revoked.length !== 2) throw new Error(`${revoked.length} revocations`);
    });

    await check('no error from the extension on its pages or the portal', async () => {
      if (pageErrors.length) throw new Error(pageErrors.join('\n'));
    });
  } catch (e) {
    results.push({ name: 'setup', ok: false });
    console.log(`  FAIL  setup: ${e?.stack || e}`);
  } finally {
    await close();
  }
  const passed = results.filter((r) => r.ok).length;
  console.log(`Firefox e2e: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`${passed} passed, ${results.length - passed} failed`);
  process.exit(results.length - passed ? 1 : 0);
}

await main();
