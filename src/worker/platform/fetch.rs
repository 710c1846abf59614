//! The ServiceNow client's transport in the browser: `fetch` from the background worker
//! (host permission for the instance, so no CORS), with our own timeout.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::servicenow::transport::{
    check_response_size, repair_lone_surrogates, HttpRequest, HttpResponse, Method, Transport,
    TransportError, MAX_RESPONSE_BYTES,
};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &js_sys::Function, ms: i32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// A promise that resolves to `undefined` after `ms` milliseconds (window and worker alike).
pub fn timer(ms: u32) -> js_sys::Promise {
    js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, i32::try_from(ms).unwrap_or(i32::MAX));
    })
}

/// Resolves after `ms` milliseconds.
pub async fn sleep(ms: u32) {
    let _ = JsFuture::from(timer(ms)).await;
}

/// A response body as text, read chunk by chunk and refused (`Err((_, true))`) as soon as it
/// passes `MAX_RESPONSE_BYTES`: a body sent without a length (chunked) would otherwise be read
/// whole, however large, before it could be refused (security review I4). Decoded as
/// `Response.text()` does: UTF-8, a leading byte order mark dropped, invalid bytes replaced.
async fn read_capped(stream: Option<web_sys::ReadableStream>) -> Result<String, (String, bool)> {
    let Some(stream) = stream else {
        return Ok(String::new());
    };
    let reader: web_sys::ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let failed = |e: JsValue| (crate::platform::js_error_message(&e), false);
    let field = |o: &JsValue, name: &str| js_sys::Reflect::get(o, &JsValue::from_str(name));
    let mut bytes: Vec<u8> = Vec::new();
    loop {
        let step = JsFuture::from(reader.read()).await.map_err(failed)?;
        if field(&step, "done").map_err(failed)?.as_bool() != Some(false) {
            break;
        }
        let Ok(chunk) = field(&step, "value")
            .map_err(failed)?
            .dyn_into::<js_sys::Uint8Array>()
        else {
            return Err(("a response chunk that is not bytes".into(), false));
        };
        let len = chunk.length() as usize;
        if let Err(e) = check_response_size(Some((bytes.len() + len) as u64)) {
            let _ = reader.cancel();
            return Err((e.to_string(), true));
        }
        let start = bytes.len();
        bytes.resize(start + len, 0);
        chunk.copy_to(&mut bytes[start..]);
    }
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    Ok(String::from_utf8_lossy(text).into_owned())
}

/// `fetch` as a `Transport`. Stateless: the worker may build one per call.
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchTransport;

fn gloo_method(m: Method) -> gloo_net::http::Method {
    match m {
        Method::Get => gloo_net::http::Method::GET,
        Method::Post => gloo_net::http::Method::POST,
        Method::Put => gloo_net::http::Method::PUT,
        Method::Patch => gloo_net::http::Method::PATCH,
        Method::Delete => gloo_net::http::Method::DELETE,
    }
}

impl Transport for FetchTransport {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        if !super::worker_online() {
            return Err(TransportError::Offline);
        }
        let controller = web_sys::AbortController::new()
            .map_err(|_| TransportError::Network("no AbortController".into()))?;
        let timed_out = Rc::new(Cell::new(false));
        let on_timeout = {
            let controller = controller.clone();
            let timed_out = timed_out.clone();
            Closure::once_into_js(move || {
                timed_out.set(true);
                controller.abort();
            })
        };
        let timer = set_timeout(
            on_timeout.unchecked_ref(),
            i32::try_from(req.timeout_ms).unwrap_or(i32::MAX),
        );

        let signal = controller.signal();
        let mut builder = gloo_net::http::RequestBuilder::new(&req.url)
            .method(gloo_method(req.method))
            .abort_signal(Some(&signal))
            .cache(web_sys::RequestCache::NoStore)
            .credentials(web_sys::RequestCredentials::Omit)
            // Token requests carry the client secret, refresh token or password in their body,
            // and a 307/308 would re-post it to wherever the Location points; every request
            // carries the bearer token. A redirect fails the request instead.
            .redirect(web_sys::RequestRedirect::Error);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        let request = match req.body {
            Some(body) => builder.body(body),
            None => builder.build(),
        }
        .map_err(|e| TransportError::Network(e.to_string()))?;

        let result = async {
            let resp = request.send().await.map_err(|e| (e.to_string(), false))?;
            let status = resp.status();
            let headers: Vec<(String, String)> = resp
                .headers()
                .entries()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
            let announced = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.trim().parse::<u64>().ok());
            if let Err(e) = check_response_size(announced) {
                controller.abort();
                return Err((e.to_string(), true));
            }
            let body = match read_capped(resp.body()).await {
                Ok(body) => body,
                Err((message, too_large)) => {
                    if too_large {
                        controller.abort();
                    }
                    return Err((message, too_large));
                }
            };
            let body = match repair_lone_surrogates(&body) {
                std::borrow::Cow::Borrowed(_) => body,
                std::borrow::Cow::Owned(fixed) => fixed,
            };
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        }
        .await;
        clear_timeout(&timer);
        result.map_err(|(e, too_large)| {
            if too_large {
                TransportError::TooLarge {
                    bytes: MAX_RESPONSE_BYTES.saturating_add(1),
                }
            } else if timed_out.get() {
                TransportError::Timeout
            } else if !super::worker_online() {
                TransportError::Offline
            } else {
                // fetch reports DNS, TLS, refused and reset-after-send alike ("Failed to fetch").
                TransportError::Network(e)
            }
        })
    }
}
