// The end-to-end harness: loopback servers (ServiceNow sandbox, portal replica), a Chromium
// profile with the built extension, host mapping so the extension sees the real host names, and
// a console watch that fails a test on any error from the extension.
//
// Used by every *.spec.mjs, by demo.mjs and by bench.mjs.
import { test as base, expect, chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { expect };

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = process.env.SNSHARE_DIST || path.join(ROOT, 'dist/chrome');
export const PORTAL = 'https://security.microsoft.com';
export const PORTAL_HOST = 'security.microsoft.com';
/** Compliance Manager's hosts (Purview, the compliance center): served by the same replica. */
export const CM_HOSTS = ['purview.microsoft.com', 'compliance.microsoft.com'];
/** The ServiceNow instance the tests configure; mapped to the sandbox. */
export const INSTANCE_HOST = 'snshare-test.service-now.com';
export const INSTANCE = `https://${INSTANCE_HOST}`;
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
/**
 * A cell of the replica's lists in all their forms (ARIA grid and table, row headers, native
 * table), for `closest()` in the page.
 */
export const CELL = '[role="gridcell"], [role="rowheader"], [role="cell"], td';
export const INTEGRATION_USER = { user: 'snshare.integration', password: 'Integration#1' };
export const PERSONAL_USER = { user: 'abel.tuter', password: 'Personal#1' };
export const DEMO_CLIENT = { id: 'snshare-demo', secret: 'snshare-demo-secret' };

const CATALOGUE = JSON.parse(fs.readFileSync(path.join(ROOT, 'extension/_locales/en/messages.json'), 'utf8'));

/**
 * The English text of a catalogue key with `$1`… substituted, as chrome.i18n shows it: tests
 * assert the exact words the user reads, without copying them by hand.
 */
export function english(key, ...subs) {
  const message = CATALOGUE[key]?.message;
  if (typeof message !== 'string') throw new Error(`no ${key} in extension/_locales/en/messages.json`);
  return message.replace(/\$(\d)/g, (whole, n) => (subs[n - 1] === undefined ? whole : String(subs[n - 1])));
}

/** The newest build of a server binary (debug for tests, release for demo and bench). */
export function serverBinary(name) {
  const dirs = [process.env.SNSHARE_BIN_DIR, path.join(ROOT, 'target/release'), path.join(ROOT, 'target/debug')]
    .filter(Boolean);
  const found = dirs
    .map((d) => path.join(d, name))
    .filter((p) => fs.existsSync(p))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!found.length) throw new Error(`${name} is not built: run ./build.sh test (or cargo build -p sn-sandbox --bins)`);
  return found[0];
}

/**
 * Starts one of our loopback servers and waits for its "<MARKER> LISTENING <url>" line.
 * The server exits when our stdin closes, so it never outlives the test process.
 */
export async function startServer(name, args, marker) {
  const proc = spawn(serverBinary(name), [...args, '--exit-on-stdin-close'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; if (process.env.E2E_SERVER_LOGS) process.stderr.write(d); });
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`${name} did not start in 20 s:\n${stderr}`)), 20_000);
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(new RegExp(`${marker} LISTENING (\\S+)`));
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited (${code}):\n${stderr}`)); });
  });
  proc.stdout.resume();
  const port = Number(new URL(url).port);
  return {
    url, port, proc,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode !== null) return;
      const done = new Promise((r) => proc.once('exit', r));
      proc.stdin.end();
      proc.kill('SIGTERM');
      await Promise.race([done, new Promise((r) => setTimeout(r, 3000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    },
  };
}

/** The ServiceNow sandbox over HTTPS, with its admin API as methods. */
export async function startSandbox(extraArgs = []) {
  const listen = extraArgs.includes('--listen') ? [] : ['--listen', '127.0.0.1:0'];
  const server = await startServer('sn-sandbox',
    [...listen, '--tls', '--host', INSTANCE_HOST, ...extraArgs], 'SANDBOX');
  const base = server.url;
  async function call(method, p, body) {
    const res = await fetch(base + p, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`sandbox ${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
  return {
    ...server,
    call,
    reset: () => call('POST', '/sandbox/reset', {}),
    fault: (f) => call('POST', '/sandbox/faults', f),
    clearFaults: () => call('DELETE', '/sandbox/faults'),
    /** Bytes the `endless` fault's bodies have sent so far, all together. */
    endlessSent: async () => (await call('GET', '/sandbox/endless')).result.sent,
    records: async (table) => (await call('GET', `/sandbox/records/${table}`)).result,
    /** Deletes a record as an administrator would (no business rules). */
    deleteRecord: (table, sysId) => call('DELETE', `/sandbox/records/${table}/${sysId}`),
    requests: async (since = 0) => {
      const r = await call('GET', `/sandbox/requests?since=${since}`);
      return Array.isArray(r) ? r : r.result ?? r.requests ?? [];
    },
    clearRequests: () => call('DELETE', '/sandbox/requests'),
    revoke: (user = INTEGRATION_USER.user) => call('POST', '/sandbox/tokens/revoke', { user }),
    expireTokens: () => call('POST', '/sandbox/tokens/expire', {}),
    config: (c) => call('POST', '/sandbox/config', c),
    seed: (s) => call('POST', '/sandbox/seed', s),
    /** Changes fields of a seeded sys_user (roles, web_service_access_only, …). */
    setUser: async (userName, fields) => {
      const users = (await call('GET', '/sandbox/records/sys_user')).result;
      const u = users.find((r) => r.user_name === userName);
      if (!u) throw new Error(`no sys_user ${userName} in the sandbox`);
      return call('POST', `/sandbox/records/sys_user/${u.sys_id}`, fields);
    },
  };
}

/** The portal replica served with no CSP or with a strict script-src (no wasm). */
export async function startReplica(csp = 'none') {
  return startServer('portal-replica',
    ['--listen', '127.0.0.1:0', '--root', path.join(ROOT, 'tests/fixtures/portal'), '--csp', csp,
      '--host', PORTAL_HOST], 'REPLICA');
}

// Node's fetch (the tests' admin calls to the sandbox on loopback) must accept the sandbox's
// per-run certificate; Node's warning about it is noise here.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (w, ...rest) => (String(w).includes('NODE_TLS_REJECT_UNAUTHORIZED') ? undefined : emitWarning(w, ...rest));
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

/** Chromium flags: extension loaded, quiet network, host names mapped to loopback servers. */
export function chromiumArgs({ portalPort, sandboxPort, extensionDir = DIST, alsoLoad = [], extra = [] }) {
  const dirs = [extensionDir, ...alsoLoad].join(',');
  const rules = [];
  if (portalPort) rules.push(`MAP ${PORTAL_HOST} 127.0.0.1:${portalPort}`);
  if (portalPort) for (const host of CM_HOSTS) rules.push(`MAP ${host} 127.0.0.1:${portalPort}`);
  if (sandboxPort) rules.push(`MAP ${INSTANCE_HOST} 127.0.0.1:${sandboxPort}`);
  rules.push('EXCLUDE localhost');
  return [
    `--disable-extensions-except=${dirs}`,
    `--load-extension=${dirs}`,
    `--host-resolver-rules=${rules.join(', ')}`,
    '--ignore-certificate-errors',
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    // Chromium reads the last --disable-features it is given: this list replaces Playwright's.
    // The omnibox's two WebUI popups, which nobody opens here, were preloaded at every start in
    // a renderer of their own: without them a launch costs ~0.4-0.6 CPU-seconds less (of ~2.7;
    // /proc/stat around six launches, twice).
    '--disable-features=Translate,OptimizationHints,MediaRouter,WebUIOmniboxPopup,WebUIOmniboxAimPopup',
    ...extra,
    // For experiments only (README "Performance"): e.g. SNSHARE_CHROMIUM_ARGS='--js-flags=--no-wasm-lazy-compilation'.
    ...(process.env.SNSHARE_CHROMIUM_ARGS ? process.env.SNSHARE_CHROMIUM_ARGS.split(' ').filter(Boolean) : []),
  ];
}

/**
 * The extension as a user has it after accepting the host-permission prompt for the test
 * instance: a copy of dist/chrome whose manifest already grants that one origin (same key, so
 * the same id). Headless Chromium cannot answer the real prompt; connect.spec.mjs goes through
 * the real prompt once, headed under Xvfb.
 */
export function grantedExtensionDir({ openShadowRoot = true } = {}) {
  const dir = path.join(ROOT, openShadowRoot ? 'target/e2e/extension-granted' : 'target/e2e/extension-granted-closed');
  const stamp = path.join(DIST, 'manifest.json');
  const copied = path.join(dir, 'manifest.json');
  if (!fs.existsSync(copied) || fs.statSync(copied).mtimeMs < fs.statSync(stamp).mtimeMs
      || !JSON.parse(fs.readFileSync(copied, 'utf8')).snshare_test !== !openShadowRoot
      || ['content', 'forms', 'worker', 'pages'].some((surface) => {
        const wasm = `pkg/snshare_${surface}_bg.wasm`;
        return !fs.existsSync(path.join(dir, wasm))
          || fs.statSync(path.join(dir, wasm)).mtimeMs < fs.statSync(path.join(DIST, wasm)).mtimeMs;
      })) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(DIST, dir, { recursive: true });
    const manifest = JSON.parse(fs.readFileSync(stamp, 'utf8'));
    manifest.host_permissions = [`${INSTANCE}/*`];
    // The task form's shadow root is closed to the page; Playwright's locators see into open
    // roots only, so the suite's copy opens it (a manifest key no page can set). The shipped
    // form, closed, is what page-attack.spec.mjs attacks.
    if (openShadowRoot) manifest.snshare_test = { open_shadow_root: true };
    fs.writeFileSync(copied, JSON.stringify(manifest, null, 2));
  }
  return dir;
}

/**
 * Headless Chromium draws the front tab at the display's rate and every tab behind it at one
 * frame a second. A portal tab behind the options page that connect() opened got one
 * `requestAnimationFrame` a second: each click on it waited ~2 s for Playwright's check that the
 * element stands still (two frames), and the replica, which renders its rows one chunk per frame,
 * rendered 50 rows a second. A person looks at the tab they act on, so the tests do too: an
 * action, a navigation or a key or mouse event on a page brings that page to the front first
 * (one `bringToFront` when the front page changes). Which page is in front is tracked per
 * browser context: a page that opens is in front, a page that closes leaves it unknown.
 */
const FRONT = new WeakMap();
const FRONTED = new WeakSet();
const ACTIONS = {
  frame: ['goto', 'click', 'dblclick', 'fill', 'press', 'type', 'check', 'uncheck', 'setChecked', 'hover', 'tap',
    'focus', 'selectOption', 'dragAndDrop', 'setInputFiles'],
  page: ['reload', 'goBack', 'goForward'],
  input: ['down', 'up', 'press', 'type', 'insertText', 'click', 'dblclick', 'move', 'wheel'],
};

async function toFront(page) {
  const context = page?.context();
  if (!context || !FRONT.has(context) || FRONT.get(context) === page || page.isClosed()) return;
  FRONT.set(context, page);
  await page.bringToFront();
}

function patchOnce(proto, names, pageOf) {
  if (FRONTED.has(proto)) return;
  FRONTED.add(proto);
  for (const name of names) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    proto[name] = async function frontFirst(...args) {
      await toFront(pageOf(this));
      return original.apply(this, args);
    };
  }
}

/** Brings each page of `context` to the front before it is acted on (see FRONT above). */
export function frontOnAction(context) {
  const track = (page) => page.on('close', () => { if (FRONT.get(context) === page) FRONT.set(context, undefined); });
  FRONT.set(context, context.pages().at(-1));
  context.pages().forEach(track);
  context.on('page', (page) => {
    FRONT.set(context, page);
    track(page);
  });
  const sample = context.pages()[0];
  if (!sample) return;
  patchOnce(Object.getPrototypeOf(sample.mainFrame()), ACTIONS.frame, (frame) => frame.page());
  patchOnce(Object.getPrototypeOf(sample), ACTIONS.page, (page) => page);
  patchOnce(Object.getPrototypeOf(sample.keyboard), ACTIONS.input, (input) => input._page);
  patchOnce(Object.getPrototypeOf(sample.mouse), ACTIONS.input, (input) => input._page);
}

/**
 * A persistent Chromium profile with the extension; returns { context, extensionId, worker }.
 * `front` (default true) brings each page acted on to the front (`frontOnAction`, see FRONT
 * above); the bench, which brings its pages to the front itself, measures without it.
 */
export async function launchExtension({ userDataDir, portalPort, sandboxPort, headless = true, extensionDir, alsoLoad, extra, viewport, front = true } = {}) {
  const dir = userDataDir || fs.mkdtempSync(path.join(os.tmpdir(), 'snshare-profile-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless,
    args: chromiumArgs({ portalPort, sandboxPort, extensionDir, alsoLoad, extra }),
    viewport: viewport === undefined ? { width: 1400, height: 900 } : viewport,
    ignoreHTTPSErrors: true,
  });
  // Ours is the worker that serves background.js with our manifest's name.
  const isOurs = (w) => w.url().endsWith('/background.js');
  const worker = context.serviceWorkers().find(isOurs)
    ?? await context.waitForEvent('serviceworker', { predicate: isOurs, timeout: 15_000 });
  const extensionId = new URL(worker.url()).host;
  if (front) frontOnAction(context);
  return { context, extensionId, worker, userDataDir: dir };
}

/**
 * Collects errors from the extension: uncaught exceptions and console errors of extension pages
 * and the worker, and console errors the portal page attributes to the extension.
 */
export function watchErrors(context, extensionId) {
  const errors = [];
  const allowed = [];
  const own = (url) => url && url.startsWith(`chrome-extension://${extensionId}/`);
  const onPage = (page) => {
    page.on('pageerror', (err) => {
      if (own(page.url()) || String(err.stack || '').includes('chrome-extension://')) {
        errors.push(`pageerror ${page.url()}: ${err.message}`);
      }
    });
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const where = msg.location()?.url || '';
      if (own(page.url()) || own(where) || /snshare/i.test(msg.text())) {
        errors.push(`console.error ${page.url()} (${where}): ${msg.text()}`);
      }
    });
  };
  context.pages().forEach(onPage);
  context.on('page', onPage);
  const onWorker = (w) => {
    w.on('console', (msg) => { if (msg.type() === 'error') errors.push(`worker console.error: ${msg.text()}`); });
  };
  context.serviceWorkers().forEach(onWorker);
  context.on('serviceworker', onWorker);
  return {
    errors,
    /** Errors a test provokes on purpose (a regexp each). */
    allow: (re) => allowed.push(re),
    unexpected: () => errors.filter((e) => !allowed.some((re) => re.test(e))),
  };
}

/**
 * Stops the extension's service worker (as Chromium does after ~30 s idle) via CDP and waits
 * until Chromium reports it stopped. Returns the running-status history it saw.
 */
export async function stopServiceWorker(context, extensionId) {
  const page = await context.newPage();
  const history = [];
  try {
    await page.goto(`chrome-extension://${extensionId}/popup.html`);
    const cdp = await context.newCDPSession(page);
    const versions = new Map();
    let stopped;
    const wasStopped = new Promise((r) => { stopped = r; });
    cdp.on('ServiceWorker.workerVersionUpdated', ({ versions: vs }) => {
      for (const v of vs) {
        if (!v.scriptURL.startsWith(`chrome-extension://${extensionId}/`)) continue;
        versions.set(v.versionId, v.runningStatus);
        history.push(v.runningStatus);
        if (v.runningStatus === 'stopped') stopped();
      }
    });
    await cdp.send('ServiceWorker.enable');
    await expect.poll(() => versions.size, { timeout: 5_000 }).toBeGreaterThan(0);
    // Asked again if no stop is reported: once in a loaded full run a single request was not
    // followed by a stop within 10 s (the stop passed alone right after).
    let done = false;
    wasStopped.then(() => { done = true; });
    for (let ask = 0; ask < 4 && !done; ask++) {
      for (const id of versions.keys()) await cdp.send('ServiceWorker.stopWorker', { versionId: id });
      await Promise.race([wasStopped, new Promise((r) => setTimeout(r, 5_000))]);
    }
    if (!done) throw new Error(`worker did not stop (asked 4 times in 20 s; states seen: ${history.join(', ')})`);
    // The worker is stopped, which is all this helper promises. Seen once in a full run: the
    // helper page's target was already gone by then, so there is no session left to detach.
    await cdp.detach().catch((e) => { if (!/has been closed/.test(String(e))) throw e; });
  } finally {
    await page.close();
  }
  return history;
}

/**
 * The extension's content-script world in `page` (the main frame's isolated world, where
 * content.js runs), through CDP. Returns `{ evaluate(fn, arg), close() }`; `evaluate` runs
 * `fn(arg)` there and returns its JSON result. Rejects when the page has no such world.
 */
export async function contentScriptWorld(page, extensionId) {
  const cdp = await page.context().newCDPSession(page);
  const worlds = [];
  cdp.on('Runtime.executionContextCreated', ({ context }) => {
    if (context.origin === `chrome-extension://${extensionId}` && context.auxData?.type === 'isolated') worlds.push(context);
  });
  // Enabling reports every context that already exists.
  await cdp.send('Runtime.enable');
  const { frameTree } = await cdp.send('Page.getFrameTree');
  const world = worlds.find((c) => c.auxData.frameId === frameTree.frame.id);
  if (!world) {
    await cdp.detach();
    throw new Error(`no content-script world of ${extensionId} in ${page.url()}`);
  }
  return {
    async evaluate(fn, arg) {
      const { result, exceptionDetails } = await cdp.send('Runtime.evaluate', {
        expression: `(${fn})(${JSON.stringify(arg)})`, contextId: world.id, awaitPromise: true, returnByValue: true,
      });
      if (exceptionDetails) throw new Error(`in the content script: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
      return result.value;
    },
    close: () => cdp.detach(),
  };
}

/** The extension's content-script worlds in `page`'s main frame (0 or 1), through CDP. */
export async function contentScriptWorlds(page, extensionId) {
  try {
    const world = await contentScriptWorld(page, extensionId);
    await world.close();
    return 1;
  } catch (e) {
    if (String(e.message).startsWith('no content-script world')) return 0;
    throw e;
  }
}

/** Sends a typed message to the worker from one of the extension's own pages. */
export async function sendFromExtensionPage(page, body) {
  return page.evaluate((b) => chrome.runtime.sendMessage({ v: 1, body: b }), body);
}

/** utime + stime ticks of `root`'s live descendants and of `root` itself (Linux /proc). */
function treeTicks(root) {
  const parent = new Map();
  const ticks = new Map();
  let entries = [];
  try { entries = fs.readdirSync('/proc'); } catch { return ticks; }
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // From field 3 (state) on: ppid is f[1], utime and stime f[11] and f[12].
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(pid), Number(f[1]));
      ticks.set(Number(pid), Number(f[11]) + Number(f[12]));
    } catch { /* gone meanwhile */ }
  }
  const mine = new Map();
  for (const [pid, t] of ticks) {
    for (let p = pid, hops = 0; p && hops < 64; p = parent.get(p), hops++) {
      if (p === root) { mine.set(pid, t); break; }
    }
  }
  return mine;
}

/**
 * CPU seconds spent from now to `stop()` by process `root` and every process under it,
 * sampled every 250 ms: a process that ends is counted to its last sample (a browser's
 * renderers are not always reaped by a process under `root`, so the kernel's children times
 * would lose them).
 */
function startCpuMeter(root) {
  const tick = 100; // USER_HZ: 100 on every Linux this suite runs on
  const base = treeTicks(root);
  const last = new Map(base);
  const sample = () => { for (const [pid, t] of treeTicks(root)) last.set(pid, t); };
  const timer = setInterval(sample, 250);
  return {
    stop() {
      clearInterval(timer);
      sample();
      let total = 0;
      for (const [pid, t] of last) total += t - (base.get(pid) ?? 0);
      return total / tick;
    },
  };
}

/**
 * Takes one of `count` slots kept as directories in `dir` (made with mkdir, which only one
 * process can win), waiting until one is free; resolves to the function that frees it. A slot
 * whose holder process is gone (a worker killed mid-test) is taken over.
 *
 * Why: the suite keeps both cores busy with two tests at a time, and a third would slow all
 * three past their bounds. The tests that mostly wait (timers, a held create) run in a third
 * worker, the `idle` project of playwright.config.mjs, without a slot; once they are done, the
 * third worker waits here instead of crowding the other two.
 */
async function cpuSlots(dir, count) {
  fs.mkdirSync(dir, { recursive: true });
  for (;;) {
    for (let k = 0; k < count; k++) {
      const slot = path.join(dir, `slot-${k}`);
      try {
        fs.mkdirSync(slot);
      } catch (e) {
        if (e.code !== 'EEXIST') throw e;
        let holder = NaN;
        try { holder = Number(fs.readFileSync(path.join(slot, 'pid'), 'utf8')); } catch { /* being written */ }
        if (Number.isInteger(holder) && !alive(holder)) fs.rmSync(slot, { recursive: true, force: true });
        continue;
      }
      fs.writeFileSync(path.join(slot, 'pid'), String(process.pid));
      return () => fs.rmSync(slot, { recursive: true, force: true });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const alive = (pid) => {
  try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; }
};

/**
 * The Playwright fixtures. Options per test file or test: `csp` ('none' | 'strict'),
 * `sandboxArgs` (extra sandbox flags; such tests get their own sandbox).
 */
export const test = base.extend({
  /**
   * With E2E_CPU=1, each test is annotated with the CPU seconds it cost: this worker's node
   * process and everything it started (browsers, their renderers, servers), those that ended
   * included. It tells the tests that mostly wait apart from those that keep the cores busy,
   * for the `idle` project (playwright.config.mjs): `node tests/e2e/cpu-table.mjs`.
   */
  cpuMeter: [async ({}, use, testInfo) => {
    if (!process.env.E2E_CPU) { await use(); return; }
    const meter = startCpuMeter(process.pid);
    await use();
    testInfo.annotations.push({ type: 'cpu', description: meter.stop().toFixed(2) });
  }, { auto: true }],
  /**
   * A CPU slot (see cpuSlots): every test but those of the `idle` project holds one while it
   * runs. Waiting for it does not count against the test's timeout.
   */
  cpuSlot: [async ({}, use, testInfo) => {
    if (testInfo.project.name === 'idle' || !process.env.E2E_CPU_SLOTS_DIR) { await use(); return; }
    // No timeout while waiting (a wait as long as the test's own timeout failed the test in
    // its setup), then the test's own timeout plus the wait.
    const timeout = testInfo.timeout;
    testInfo.setTimeout(0);
    const started = Date.now();
    const release = await cpuSlots(process.env.E2E_CPU_SLOTS_DIR, Number(process.env.E2E_CPU_SLOTS || 2));
    const waited = Date.now() - started;
    testInfo.setTimeout(timeout + waited);
    // A test's duration includes this wait: the annotation says how much of it was.
    if (waited >= 100) testInfo.annotations.push({ type: 'cpu-slot-wait', description: `${(waited / 1000).toFixed(1)} s` });
    try { await use(); } finally { release(); }
  }, { auto: true }],
  csp: ['none', { option: true }],
  sandboxArgs: [[], { option: true }],
  /** Whether the instance's host permission is granted up front (see grantedExtensionDir). */
  grantInstance: [true, { option: true }],
  /** Whether the task form's shadow root is opened for Playwright (see grantedExtensionDir). */
  openShadowRoot: [true, { option: true }],

  servers: [async ({}, use) => {
    const sandbox = await startSandbox();
    const replicas = { none: await startReplica('none'), strict: await startReplica('strict') };
    await use({ sandbox, replicas });
    await Promise.all([sandbox.stop(), replicas.none.stop(), replicas.strict.stop()]);
  }, { scope: 'worker' }],

  sandbox: async ({ servers, sandboxArgs }, use) => {
    if (sandboxArgs.length) {
      const own = await startSandbox(sandboxArgs);
      await use(own);
      await own.stop();
      return;
    }
    await servers.sandbox.reset();
    await servers.sandbox.clearFaults();
    await use(servers.sandbox);
  },

  extension: async ({ servers, sandbox, csp, grantInstance, openShadowRoot }, use, testInfo) => {
    const launched = await launchExtension({
      portalPort: servers.replicas[csp].port,
      sandboxPort: sandbox.port,
      extensionDir: grantInstance ? grantedExtensionDir({ openShadowRoot }) : DIST,
    });
    const watch = watchErrors(launched.context, launched.extensionId);
    await use({ ...launched, watch });
    const unexpected = watch.unexpected();
    await launched.context.close();
    fs.rmSync(launched.userDataDir, { recursive: true, force: true });
    if (testInfo.status === testInfo.expectedStatus) {
      expect(unexpected, 'errors from the extension').toEqual([]);
    }
  },

  context: async ({ extension }, use) => { await use(extension.context); },
  extensionId: async ({ extension }, use) => { await use(extension.extensionId); },

  /** A tab on the replica portal. */
  portal: async ({ context }, use) => {
    const page = context.pages()[0] ?? await context.newPage();
    await use(page);
  },

  /** One of the extension's own pages, for messaging and the UI. */
  extPage: async ({ context, extensionId }, use) => {
    const page = await context.newPage();
    await page.goto(`chrome-extension://${extensionId}/popup.html`);
    await use(page);
  },
});

/** Fills the options page's connection form as a user would. */
export async function fillConnection(page, { instance = INSTANCE, clientId = DEMO_CLIENT.id, secret = DEMO_CLIENT.secret } = {}) {
  await page.getByRole('textbox', { name: 'ServiceNow instance' }).fill(instance);
  await page.getByRole('textbox', { name: 'Client ID' }).fill(clientId);
  await page.getByLabel('Client secret', { exact: true }).fill(secret);
}

/** Signs in and consents on the sandbox's pages, opened by the browser's web-auth flow. */
export async function signInAndAllow(authPage, { user, password } = INTEGRATION_USER, choice = 'Allow') {
  await authPage.waitForLoadState('domcontentloaded');
  const login = authPage.getByRole('textbox', { name: 'User name' });
  const consent = authPage.getByRole('button', { name: choice });
  // The instance may remember the sign-in and go straight to the consent page.
  await expect(login.or(consent).first()).toBeVisible();
  if (await login.isVisible()) {
    await login.fill(user);
    await authPage.getByLabel('Password').fill(password);
    await authPage.getByRole('button', { name: 'Log in' }).click();
  }
  await consent.click();
}

/**
 * Connects the extension to the sandbox through the options page and the real consent page
 * (the integration user through the password grant). Returns the options page, showing
 * "Connected as …".
 */
export async function connect(context, extensionId, who = INTEGRATION_USER, { consent = false } = {}) {
  // The documented integration user is "Web service access only": it cannot use the login
  // page, so it connects with its user name and password (the password grant), unless the
  // test made it an interactive account (see signInAsIntegration in connect.spec.mjs).
  if (who.user === INTEGRATION_USER.user && !consent) return connectWithPassword(context, extensionId, who);
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await fillConnection(options);
  const authPage = context.waitForEvent('page', { predicate: (p) => p.url().includes('oauth_auth.do') || p.url().includes('login'), timeout: 15_000 });
  await options.getByRole('button', { name: 'Connect to ServiceNow' }).click();
  await signInAndAllow(await authPage, who);
  await expect(options.getByRole('status')).toContainText(`Connected as ${who.user}`, { timeout: 15_000 });
  return options;
}

/**
 * Connects through the options page's user name and password sign-in (the password grant):
 * the way for an integration user marked "Web service access only", who cannot use the
 * instance's login page. Returns the options page, showing "Connected as …".
 */
export async function connectWithPassword(context, extensionId, who = INTEGRATION_USER) {
  const options = await context.newPage();
  await options.goto(`chrome-extension://${extensionId}/options.html`);
  await fillConnection(options);
  await options.locator('#password-grant summary').click();
  await options.getByRole('textbox', { name: 'User name' }).fill(who.user);
  await options.getByLabel('Password', { exact: true }).fill(who.password);
  await options.getByRole('button', { name: 'Sign in with password' }).click();
  await expect(options.getByRole('status').first()).toContainText(`Connected as ${who.user}`, { timeout: 20_000 });
  return options;
}
