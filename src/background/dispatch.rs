//! One dispatcher for every message: sender check, decode, route, always answer.

use wasm_bindgen::JsValue;

use crate::messages::{ErrorCode, Request, RequestBody, Response, ResponseBody, SenderInfo, PROTOCOL_VERSION};
use crate::platform::{self, chrome, from_js, to_js};

pub fn on_start() {}

pub async fn on_alarm(_name: &str) {}

fn own_extension_id() -> String {
    chrome::RUNTIME_ID.with(|id| id.as_string().unwrap_or_default())
}

fn sender_info(sender: &JsValue) -> SenderInfo {
    let get = |k: &str| js_sys::Reflect::get(sender, &JsValue::from_str(k)).ok().and_then(|v| v.as_string());
    let has_tab = js_sys::Reflect::get(sender, &JsValue::from_str("tab"))
        .map(|t| t.is_object())
        .unwrap_or(false);
    SenderInfo { id: get("id"), url: get("url"), origin: get("origin"), has_tab }
}

pub async fn handle(message: JsValue, sender: JsValue) -> JsValue {
    let response = route(message, &sender_info(&sender), &own_extension_id()).await;
    to_js(&response).unwrap_or(JsValue::NULL)
}

/// Decodes, checks and answers one message as if our extension id were `own_id`; every path
/// ends in a `Response` (never a panic, never silence).
pub async fn route(message: JsValue, sender: &SenderInfo, own_id: &str) -> Response {
    let Some(kind) = sender.classify(own_id) else {
        return Response::error(ErrorCode::Forbidden, "sender not allowed");
    };
    // Check the version before the body, so an old page gets "version" rather than "malformed".
    let version = js_sys::Reflect::get(&message, &JsValue::from_str("v")).ok().and_then(|v| v.as_f64());
    if version != Some(f64::from(PROTOCOL_VERSION)) {
        return Response::error(ErrorCode::Version, format!("protocol version {PROTOCOL_VERSION} expected"));
    }
    let request: Request = match from_js(message) {
        Ok(r) => r,
        Err(e) => return Response::error(ErrorCode::Malformed, e.to_string()),
    };
    if !request.body.allowed_from(kind) {
        return Response::error(ErrorCode::Forbidden, "request not allowed from this sender");
    }
    Response::new(match request.body {
        RequestBody::Ping => ResponseBody::Pong { version: env!("CARGO_PKG_VERSION").to_string() },
        RequestBody::GetStatus => ResponseBody::Status(crate::domain::connection::ConnectionStatus::not_connected(None)),
        _ => {
            platform::log("snshare: request not handled yet");
            return Response::error(ErrorCode::Failed, "not available in this build");
        }
    })
}
