// The foundation: the built extension loads, each surface runs the Rust core, the content script
// works under any portal CSP, and the worker answers only the senders it should.
import fs from 'node:fs';
import path from 'node:path';
import {
  test, expect, DIST, ROOT, PORTAL, INSTANCE, launchExtension, watchErrors, stopServiceWorker,
  sendFromExtensionPage, contentScriptWorlds,
} from './harness.mjs';

test.describe('the package', () => {
  test('manifest asks for no host at install and keeps resources to the portal', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(DIST, 'manifest.json'), 'utf8'));
    const text = JSON.stringify(manifest);
    expect(text).not.toContain('<all_urls>');
    expect(manifest.manifest_version).toBe(3);
    expect(manifest.host_permissions ?? []).toEqual([]);
    expect(manifest.optional_host_permissions).toEqual(['https://*/*']);
    expect(manifest.permissions.sort()).toEqual(['alarms', 'identity', 'storage']);
    expect(manifest.background).toMatchObject({ service_worker: 'background.js', type: 'module' });
    // The commercial portal and the two government clouds (GCC High, DoD), and Compliance
    // Manager's two hosts (Purview, the compliance center), nothing else.
    const portals = ['https://security.microsoft.com/*', 'https://security.microsoft.us/*',
      'https://security.apps.mil/*', 'https://purview.microsoft.com/*',
      'https://compliance.microsoft.com/*'];
    expect(manifest.content_scripts.map((c) => c.matches)).toEqual([portals]);
    for (const war of manifest.web_accessible_resources) {
      expect(war.matches).toEqual(portals);
    }
    expect(manifest.content_security_policy.extension_pages).toContain("'wasm-unsafe-eval'");
    for (const f of ['background.js', 'content.js', 'popup.html', 'options.html', 'tickets.html',
      'pkg/snshare_worker_bg.wasm', 'pkg/snshare_pages_bg.wasm', 'pkg/snshare_content_bg.wasm',
      'pkg-js/snshare_content.js', 'pkg/snshare_forms_bg.wasm', 'pkg/snshare_forms.js',
      'pkg-js/snshare_forms.js', 'pkg-js/snshare_forms_bg.wasm.js',
      '_locales/en/messages.json']) {
      expect(fs.existsSync(path.join(DIST, f)), f).toBe(true);
    }
  });

  // build.sh (`short_strings`) puts src/web/glue/short_strings.js in place of wasm-bindgen's
  // string decoder in the in-page glue: it must read every string as the TextDecoder it replaces.
  test('the in-page glue decodes the strings the wasm hands it as a TextDecoder does', () => {
    const source = fs.readFileSync(path.join(ROOT, 'src/web/glue/short_strings.js'), 'utf8');
    const memory = new Uint8Array(1 << 12);
    const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
    const decodeText = (bytes) => decoder.decode(bytes);
    const decode = new Function('getUint8ArrayMemory0', 'decodeText',
      `${source}\nreturn getStringFromWasm0;`)(() => memory, decodeText);
    const encoder = new TextEncoder();
    const mismatches = [];
    const check = (text, at) => {
      const { written } = encoder.encodeInto(text, memory.subarray(at));
      const [got, want] = [decode(at, written), decoder.decode(memory.subarray(at, at + written))];
      if (got !== want && mismatches.length < 5) mismatches.push([want, got]);
    };
    // Every code point (one, two, three and four bytes, a two-unit character), between others.
    for (let cp = 0; cp <= 0x10ffff; cp += 1) {
      if (cp < 0xd800 || cp > 0xdfff) check(`${String.fromCodePoint(cp)}a${String.fromCodePoint(cp)}`, cp % 61);
    }
    // Every length around the 128 bytes where the TextDecoder takes over, a BOM kept.
    const pieces = ['a', 'é', '“', '𝔸', '\ufeff'];
    for (let length = 0; length < 300; length += 1) {
      let text = '';
      for (let i = 0; encoder.encode(text).length < length; i += 1) text += pieces[(i * 7 + length) % pieces.length];
      check(text, length % 13);
    }
    expect(mismatches).toEqual([]);
    // ...and the build did put it there: the minified glue of both builds of both in-page surfaces.
    for (const glue of ['pkg/snshare_content.js', 'pkg-js/snshare_content.js', 'pkg/snshare_forms.js',
      'pkg-js/snshare_forms.js']) {
      expect(fs.readFileSync(path.join(DIST, glue), 'utf8'), glue).toContain('String.fromCharCode.apply(null,');
    }
  });

  // build.sh (`compile_hint`) puts V8's compile hint at the top of the shipped glue, where V8
  // looks for it, after the minifier (which drops comments) has run.
  test('the content glue opens with the compile hint, then the glue itself', () => {
    const [first, ...rest] = fs.readFileSync(path.join(DIST, 'pkg/snshare_content.js'), 'utf8').split('\n');
    expect(first).toBe('//# allFunctionsCalledOnLoad');
    expect(rest.join('\n')).toContain('export function content_start(');
  });
});

for (const csp of ['none', 'strict']) {
  test.describe(`portal served with CSP ${csp}`, () => {
    test.use({ csp });

    test('the content script runs the core and reaches the worker', async ({ portal }) => {
      await portal.goto(`${PORTAL}/securescore?viewid=actions`);
      const root = portal.locator('html');
      // Under the strict page CSP WebAssembly is refused, so the JS build of the same core runs.
      await expect(root).toHaveAttribute('data-snshare-core', csp === 'strict' ? 'js' : 'wasm');
      await expect(root).toHaveAttribute('data-snshare-worker', 'ok');
    });
  });
}

test('Ping and Status round trip from an extension page', async ({ extPage }) => {
  const pong = await sendFromExtensionPage(extPage, { type: 'ping' });
  expect(pong).toMatchObject({ v: 1, body: { type: 'pong' } });
  const status = await sendFromExtensionPage(extPage, { type: 'get_status' });
  expect(status.body.type).toBe('status');
  expect(status.body.data.state).toBeTruthy();
});

test('malformed and old-version messages get a typed error, not silence', async ({ extPage }) => {
  const bad = await extPage.evaluate(() => chrome.runtime.sendMessage({ v: 1, body: { type: 'no_such_thing' } }));
  expect(bad.body).toMatchObject({ type: 'error', data: { code: 'malformed' } });
  const junk = await extPage.evaluate(() => chrome.runtime.sendMessage('just a string'));
  expect(junk.body.type).toBe('error');
  const old = await extPage.evaluate(() => chrome.runtime.sendMessage({ v: 0, body: { type: 'ping' } }));
  expect(old.body).toMatchObject({ type: 'error', data: { code: 'version' } });
  // The worker is still fine afterwards.
  expect((await sendFromExtensionPage(extPage, { type: 'ping' })).body.type).toBe('pong');
});

test('a web page cannot message the worker', async ({ portal, extensionId }) => {
  await portal.goto(`${PORTAL}/homepage`);
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  const outcome = await portal.evaluate(async (id) => {
    // The page's own world: no externally_connectable, so no channel to the extension at all.
    if (!globalThis.chrome?.runtime?.sendMessage) return 'no channel';
    try { return JSON.stringify(await chrome.runtime.sendMessage(id, { v: 1, body: { type: 'get_status' } })); }
    catch (e) { return `refused: ${e.message}`; }
  }, extensionId);
  expect(outcome === 'no channel' || outcome.startsWith('refused')).toBe(true);
});

test('the content script is not injected on other origins', async ({ portal, extensionId }) => {
  // The check sees the content script's world where it does run...
  await portal.goto(`${PORTAL}/homepage`);
  await expect(portal.locator('html')).toHaveAttribute('data-snshare-worker', 'ok');
  expect(await contentScriptWorlds(portal, extensionId)).toBe(1);
  // ...and finds none on the ServiceNow instance (host-mapped to the sandbox, another origin)
  // once the load event has passed: Chromium injects its document_start scripts long before.
  await portal.goto(`${INSTANCE}/oauth_auth.do?response_type=code&client_id=x&state=s&redirect_uri=https%3A%2F%2Fx.chromiumapp.org%2F`,
    { waitUntil: 'load' });
  await portal.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
  expect(await contentScriptWorlds(portal, extensionId)).toBe(0);
  await expect(portal.locator('html')).not.toHaveAttribute('data-snshare-core', /.*/);
});

test('another extension is refused', async ({ servers, sandbox }) => {
  const rogueDir = path.join(ROOT, 'tests/fixtures/rogue-extension');
  const { context, extensionId, userDataDir } = await launchExtension({
    portalPort: servers.replicas.none.port, sandboxPort: sandbox.port, alsoLoad: [rogueDir],
  });
  const watch = watchErrors(context, extensionId);
  try {
    const rogue = context.serviceWorkers().find((w) => w.url().endsWith('/worker.js'))
      ?? await context.waitForEvent('serviceworker', { predicate: (w) => w.url().endsWith('/worker.js') });
    const page = await context.newPage();
    await page.goto(`chrome-extension://${new URL(rogue.url()).host}/page.html`);
    const outcome = await page.evaluate(async (id) => {
      try { return JSON.stringify(await chrome.runtime.sendMessage(id, { v: 1, body: { type: 'get_status' } })); }
      catch (e) { return `refused: ${e.message}`; }
    }, extensionId);
    // snshare has no external message listener: the channel does not exist for other extensions.
    expect(outcome).toMatch(/^refused: /);
    expect(watch.unexpected()).toEqual([]);
  } finally {
    await context.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
});

test('the worker answers after being stopped and restarted', async ({ context, extensionId, extPage }) => {
  expect((await sendFromExtensionPage(extPage, { type: 'ping' })).body.type).toBe('pong');
  const history = await stopServiceWorker(context, extensionId);
  expect(history).toContain('stopped');
  // The message wakes the worker; its listeners are registered synchronously at start.
  const pong = await sendFromExtensionPage(extPage, { type: 'ping' });
  expect(pong.body.type).toBe('pong');
});

test('the popup, options and ticket pages load the core without errors', async ({ context, extensionId }) => {
  for (const name of ['popup', 'options', 'tickets']) {
    const page = await context.newPage();
    await page.goto(`chrome-extension://${extensionId}/${name}.html`);
    await expect(page.locator('body')).not.toBeEmpty();
    await page.close();
  }
});
