// Loads the Rust core into the portal page: WebAssembly when the page's CSP allows it,
// otherwise the same core compiled to JavaScript. No logic lives here.
(async () => {
  const url = (p) => chrome.runtime.getURL(p);
  let core, engine = 'wasm';
  // Injected at document_start (issue 17): rows the portal draws early get their buttons in
  // snshare's first batch, and later rows in the observer callback of their own chunk.
  // Everything is started at once, side by side: the CSP probe (the 8-byte empty module: where
  // the page refuses WebAssembly, CompileError/EvalError, the wasm build is not downloaded at
  // all), then the streaming compile of the wasm (off the page's main thread) beside the glue's
  // import.
  const wasmAllowed = WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
    .then(() => true, () => false);
  const wasm = wasmAllowed.then((ok) => {
    if (!ok) throw new Error('the page CSP refuses WebAssembly');
    return Promise.all([
      import(url('pkg/snshare_content.js')),
      WebAssembly.compileStreaming(fetch(url('pkg/snshare_content_bg.wasm'))),
    ]);
  });
  try {
    const [glue, module] = await wasm;
    core = glue;
    await core.default({ module_or_path: module });
  } catch (wasmRefusedOrFailed) {
    // Two modules, each at its own URL: a relative import between them would resolve against
    // the extension's fixed id, which use_dynamic_url refuses.
    core = await import(url('pkg-js/snshare_content.js'));
    const { instantiate } = await import(url('pkg-js/snshare_content_bg.wasm.js'));
    core.__wbg_set_wasm(instantiate(core));
    engine = 'js';
  }
  // At document_start a browser may not have made the root element yet (Firefox).
  if (!document.documentElement) {
    await new Promise((rooted) => new MutationObserver((_, o) => {
      if (document.documentElement) { o.disconnect(); rooted(); }
    }).observe(document, { childList: true }));
  }
  // The forms (issue 17: not in the portal's first download) are a module of their own,
  // imported on first need with the core's engine; the content script preloads it when a person
  // reaches for one of its controls. An open still loading when the page changes is dropped.
  let forms, generation = 0;
  const loadForms = () => forms ??= (engine === 'wasm'
    ? import(url('pkg/snshare_forms.js'))
      .then(async (m) => { await m.default({ module_or_path: url('pkg/snshare_forms_bg.wasm') }); return m; })
    : Promise.all([import(url('pkg-js/snshare_forms.js')), import(url('pkg-js/snshare_forms_bg.wasm.js'))])
      .then(([m, { instantiate }]) => { m.__wbg_set_wasm(instantiate(m)); return m; })
  ).catch((e) => { forms = undefined; throw e; });
  const failed = (e) => console.warn('snshare: the forms did not load', e);
  // An open asked for while the page stays: the module's export, or the content script's word
  // next to the control when the module cannot load (the extension was updated under the tab).
  const opening = (request, open) => {
    const asked = generation;
    loadForms().then((m) => { if (asked === generation) open(m); },
      (e) => { failed(e); if (asked === generation) core.forms_unavailable(request); });
  };
  core.content_start(engine, {
    preload: () => { loadForms().catch(failed); },
    open_bulk: (request) => opening(request, (m) => m.open_bulk_form(request, core.tickets_changed)),
    open_task: (request) => opening(request,
      (m) => m.open_task_form(request, core.tickets_changed, core.set_action_status)),
    close: () => { generation++; if (forms) forms.then((m) => m.close_forms(), () => {}); },
  });
  // The popup asks what snshare recognized on this tab (the recognition report: the core counts,
  // the forms module writes the outlines, issue 17), and which of its actions have no ticket.
  chrome.runtime.onMessage.addListener((message, sender, reply) => {
    if (sender.id === chrome.runtime.id && message && message.snshare === 'recognition_report') {
      const parts = core.recognition_report();
      if (!parts) { reply(''); return; }
      loadForms().then((m) => reply(m.recognition_report_json(parts)),
        (e) => { failed(e); reply(JSON.stringify(parts.report, null, 2)); });
      return true;
    }
    // The popup's "Share all actions on this page that have no ticket" (issue 18).
    if (sender.id === chrome.runtime.id && message && message.snshare === 'bulk_preview') {
      reply(core.bulk_preview());
    }
  });
})();
