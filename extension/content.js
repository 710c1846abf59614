// Loads the Rust core into the portal page: WebAssembly when the page's CSP allows it,
// otherwise the same core compiled to JavaScript. No logic lives here.
(async () => {
  const url = (p) => chrome.runtime.getURL(p);
  let core, engine = 'wasm';
  // Ask the page's CSP first with the 8-byte empty module: where it refuses WebAssembly
  // (CompileError/EvalError), the wasm build is not downloaded at all (issue 17).
  const wasmAllowed = await WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
    .then(() => true, () => false);
  try {
    if (!wasmAllowed) throw new Error('the page CSP refuses WebAssembly');
    core = await import(url('pkg/snshare_content.js'));
    await core.default({ module_or_path: url('pkg/snshare_content_bg.wasm') });
  } catch (wasmRefusedOrFailed) {
    // Two modules, each at its own URL: a relative import between them would resolve against
    // the extension's fixed id, which use_dynamic_url refuses.
    core = await import(url('pkg-js/snshare_content.js'));
    const { instantiate } = await import(url('pkg-js/snshare_content_bg.wasm.js'));
    core.__wbg_set_wasm(instantiate(core));
    engine = 'js';
  }
  core.content_start(engine);
  // The popup asks what snshare recognized on this tab (the recognition report), and which of
  // its actions have no ticket.
  chrome.runtime.onMessage.addListener((message, sender, reply) => {
    if (sender.id === chrome.runtime.id && message && message.snshare === 'recognition_report') {
      reply(core.recognition_report());
    }
    // The popup's "Share all actions on this page that have no ticket" (issue 18).
    if (sender.id === chrome.runtime.id && message && message.snshare === 'bulk_preview') {
      reply(core.bulk_preview());
    }
  });
})();
