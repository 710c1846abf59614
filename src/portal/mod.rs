//! The content script on security.microsoft.com.

use wasm_bindgen::prelude::*;

/// Entry point, called by `extension/content.js` once the core is loaded (wasm or its JS build).
#[wasm_bindgen]
pub fn content_start() {}
