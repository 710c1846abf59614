//! Typed request/response over `chrome.runtime.sendMessage`, for the extension's pages (the
//! content script and the forms have their own hand-written client, `wire`). Both stop waiting
//! for an answer the same way ([`within`]).

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::messages::{ErrorCode, Request, RequestBody, Response, ResponseBody};

use super::{chrome, from_js, to_js};

/// How long a page waits for the worker's answer to an ordinary request: longer than the
/// worker's own ServiceNow calls take to fail on their own (8 s each; Test connection makes six
/// in a row, a token refresh among them), so what the page shows is their error, not
/// this one.
pub const WAIT_MS: i32 = 90_000;

/// How long a page waits for the answer to `body`: not at all for Authorize, which waits for
/// the person at ServiceNow's consent page.
pub fn wait_ms(body: &RequestBody) -> Option<i32> {
    match body {
        RequestBody::Authorize(_) => None,
        _ => Some(WAIT_MS),
    }
}

/// What a request that got no answer in time ends with.
pub const NO_ANSWER_IN_TIME: &str = "the extension's background worker did not answer in time";

/// `promise`, or `undefined` once `ms` milliseconds passed without it settling (the caller
/// then says [`NO_ANSWER_IN_TIME`]).
pub fn within(promise: &js_sys::Promise, ms: i32) -> js_sys::Promise {
    let timeout = js_sys::Promise::new(&mut |resolve, _reject| {
        if let Some(w) = web_sys::window() {
            let _ = w
                .set_timeout_with_callback_and_timeout_and_arguments_0(resolve.unchecked_ref(), ms);
        }
    });
    js_sys::Promise::race(&js_sys::Array::of2(promise, &timeout))
}

/// Send a request to the background worker and decode its answer. Transport or decode
/// failures, and a worker that does not answer within [`wait_ms`], come back as
/// `ResponseBody::Error`, so callers handle one shape.
pub async fn send(body: RequestBody) -> ResponseBody {
    let wait = wait_ms(&body);
    send_within(body, wait).await
}

/// [`send`], waiting `wait` ms at most (none: until the worker answers).
pub async fn send_within(body: RequestBody, wait: Option<i32>) -> ResponseBody {
    match try_send(body, wait).await {
        Ok(resp) => resp.body,
        Err(message) => ResponseBody::Error(crate::messages::ProtocolError {
            code: ErrorCode::Failed,
            message,
        }),
    }
}

async fn try_send(body: RequestBody, wait: Option<i32>) -> Result<Response, String> {
    let msg = to_js(&Request::new(body)).map_err(|e| e.to_string())?;
    let mut promise = chrome::runtime_send_message(&msg).map_err(|e| format!("{e:?}"))?;
    if let Some(ms) = wait {
        promise = within(&promise, ms);
    }
    let answer = JsFuture::from(promise).await.map_err(|e| {
        js_sys::Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "the extension's background worker did not answer".to_string())
    })?;
    if answer.is_undefined() && wait.is_some() {
        return Err(NO_ANSWER_IN_TIME.to_string());
    }
    from_js::<Response>(answer).map_err(|e| format!("malformed answer from the worker: {e}"))
}
