//! The browser layer as the worker sees it: everything of `snshare_web`, plus the bindings only
//! the worker needs (the IndexedDB vault, the fetch transport, identity and alarms,
//! `navigator.onLine`, ServiceNow's name for the UI language, backoff jitter), which the content
//! script and the pages never download.

pub use snshare_web::*;

pub mod fetch;
pub mod vault;
pub mod worker;

use wasm_bindgen::prelude::*;

/// A uniform float in [0, 1) for backoff jitter.
pub fn random_unit() -> f64 {
    js_sys::Math::random()
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = navigator, js_name = onLine, thread_local_v2)]
    static NAVIGATOR_ONLINE: JsValue;
}

/// `navigator.onLine` (window or worker); true when unknown, so the request itself decides.
pub fn worker_online() -> bool {
    NAVIGATOR_ONLINE.with(|v| v.as_bool().unwrap_or(true))
}

/// The UI language as ServiceNow names languages (`en`, `it`, `zh-TW` → `zt`:
/// `state_names::servicenow_language`).
pub fn i18n_language() -> String {
    crate::domain::state_names::servicenow_language(&chrome::i18n_get_ui_language())
}

/// Runs both futures at once and waits for both (independent storage round trips overlap
/// instead of queuing one behind the other).
pub async fn join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    use std::pin::pin;
    use std::task::Poll;
    let mut a = pin!(a);
    let mut b = pin!(b);
    let mut out_a = None;
    let mut out_b = None;
    std::future::poll_fn(|cx| {
        if out_a.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                out_a = Some(v);
            }
        }
        if out_b.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                out_b = Some(v);
            }
        }
        match (out_a.take(), out_b.take()) {
            (Some(x), Some(y)) => Poll::Ready((x, y)),
            (x, y) => {
                out_a = x;
                out_b = y;
                Poll::Pending
            }
        }
    })
    .await
}
