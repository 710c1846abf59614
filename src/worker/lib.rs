//! The background service worker: the only place that talks to ServiceNow.
//!
//! `extension/background.js` registers the listeners synchronously at start and forwards each
//! event here once the wasm is ready. Nothing lives only in memory: MV3 may stop the worker at
//! any moment, so state is in `chrome.storage`.

#![cfg(target_arch = "wasm32")]

pub mod bulk;
pub mod connection;
pub mod diagnostics;
pub mod dispatch;
pub mod drafts;
pub mod mapping;
pub mod outbox;
pub mod platform;
pub mod policy;
pub mod portal_context;
pub mod settings;
pub mod store;
pub mod tickets;

use wasm_bindgen::prelude::*;

// The layers below, under the names the worker uses (`crate::domain::…`, `crate::servicenow::…`).
use snshare_core::{domain, messages, servicenow};

/// Called once per worker start, after the wasm is instantiated.
#[wasm_bindgen]
pub fn background_start() {
    dispatch::on_start();
}

/// `chrome.runtime.onMessage`, forwarded by the loader. Resolves to the `Response` object.
#[wasm_bindgen]
pub fn background_on_message(message: JsValue, sender: JsValue) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(
        async move { Ok(dispatch::handle(message, sender).await) },
    )
}

/// `chrome.alarms.onAlarm`, forwarded by the loader.
#[wasm_bindgen]
pub fn background_on_alarm(name: String) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        dispatch::on_alarm(&name).await;
        Ok(JsValue::UNDEFINED)
    })
}
