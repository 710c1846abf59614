//! Typed request/response over `chrome.runtime.sendMessage`, for the content script and pages.

use wasm_bindgen_futures::JsFuture;

use crate::messages::{ErrorCode, Request, RequestBody, Response, ResponseBody};

use super::{chrome, from_js, to_js};

/// Send a request to the background worker and decode its answer. Transport or decode
/// failures come back as `ResponseBody::Error`, so callers handle one shape.
pub async fn send(body: RequestBody) -> ResponseBody {
    match try_send(body).await {
        Ok(resp) => resp.body,
        Err(message) => ResponseBody::Error(crate::messages::ProtocolError {
            code: ErrorCode::Failed,
            message,
        }),
    }
}

async fn try_send(body: RequestBody) -> Result<Response, String> {
    let msg = to_js(&Request::new(body)).map_err(|e| e.to_string())?;
    let promise = chrome::runtime_send_message(&msg).map_err(|e| format!("{e:?}"))?;
    let answer = JsFuture::from(promise).await.map_err(|e| {
        js_sys::Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "the extension's background worker did not answer".to_string())
    })?;
    from_js::<Response>(answer).map_err(|e| format!("malformed answer from the worker: {e}"))
}
