//! chrome.* and fetch bindings (wasm only).
