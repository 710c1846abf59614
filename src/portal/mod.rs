//! The content script on security.microsoft.com.

use wasm_bindgen::prelude::*;

use crate::messages::{RequestBody, ResponseBody};
use crate::platform::messaging;

/// Which build of the core runs in the page: `wasm`, or `js` when the page's CSP forbids
/// WebAssembly. Shown on the root element so support (and the tests) can tell.
const CORE_ATTR: &str = "data-snshare-core";
/// Set once the background worker answered the content script's first ping.
const WORKER_ATTR: &str = "data-snshare-worker";

/// Entry point, called by `extension/content.js` once the core is loaded.
#[wasm_bindgen]
pub fn content_start(engine: &str) {
    let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) else {
        return;
    };
    let engine = if engine == "js" { "js" } else { "wasm" };
    // A second injection (extension reload) must not start a second copy of the features.
    if root.has_attribute(CORE_ATTR) {
        return;
    }
    let _ = root.set_attribute(CORE_ATTR, engine);
    wasm_bindgen_futures::spawn_local(async move {
        let state = match messaging::send(RequestBody::Ping).await {
            ResponseBody::Pong { .. } => "ok",
            _ => "unreachable",
        };
        let _ = root.set_attribute(WORKER_ATTR, state);
    });
}
