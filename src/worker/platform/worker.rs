//! Browser APIs only the background worker uses: the web-auth flow, alarms, host permissions,
//! and `navigator.onLine`.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "identity"], js_name = launchWebAuthFlow, catch)]
    fn identity_launch_web_auth_flow(details: &JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "alarms"], js_name = create, catch)]
    fn alarms_create(name: &str, info: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "alarms"], js_name = clear, catch)]
    fn alarms_clear(name: &str) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "permissions"], js_name = contains, catch)]
    fn permissions_contains(perms: &JsValue) -> Result<js_sys::Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = create, catch)]
    fn tabs_create(props: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

use super::js_error_message as message_of;

fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = js_sys::Object::new();
    for (k, v) in pairs {
        let _ = js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    }
    o.into()
}

/// The redirect URL to register on the instance (see `chrome::identity_redirect_url`).
pub fn redirect_url() -> String {
    super::chrome::identity_redirect_url()
}

/// How the web-auth flow ended, when it did not hand back a redirect URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebAuthError {
    /// The user closed the window (Chromium: "The user did not approve access.", Firefox:
    /// "User cancelled or denied access.").
    Cancelled,
    /// The authorization page could not be loaded (instance unreachable).
    PageNotLoaded,
    Other(String),
}

/// Runs `chrome.identity.launchWebAuthFlow` interactively; resolves with the redirect URL.
pub async fn launch_web_auth_flow(url: &str) -> Result<String, WebAuthError> {
    let details = obj(&[
        ("url", JsValue::from_str(url)),
        ("interactive", JsValue::TRUE),
    ]);
    let promise =
        identity_launch_web_auth_flow(&details).map_err(|e| WebAuthError::Other(message_of(&e)))?;
    match JsFuture::from(promise).await {
        Ok(v) => v
            .as_string()
            .ok_or_else(|| WebAuthError::Other("no redirect URL".into())),
        Err(e) => {
            let m = message_of(&e);
            // Chromium: "The user did not approve access."; Firefox: "User cancelled or
            // denied access." (its window closed, or the page could not be loaded).
            Err(
                if m.contains("did not approve") || m.contains("cancelled or denied") {
                    WebAuthError::Cancelled
                } else if m.contains("could not be loaded") {
                    WebAuthError::PageNotLoaded
                } else {
                    WebAuthError::Other(m)
                },
            )
        }
    }
}

/// (Re)creates a repeating alarm; `delay_ms` until the first firing.
pub async fn set_alarm(name: &str, delay_ms: f64, period_minutes: Option<f64>) {
    let mut pairs = vec![(
        "when",
        JsValue::from_f64(js_sys::Date::now() + delay_ms.max(0.0)),
    )];
    if let Some(p) = period_minutes {
        pairs.push(("periodInMinutes", JsValue::from_f64(p)));
    }
    if let Ok(p) = alarms_create(name, &obj(&pairs)) {
        let _ = JsFuture::from(p).await;
    }
}

pub async fn clear_alarm(name: &str) {
    if let Ok(p) = alarms_clear(name) {
        let _ = JsFuture::from(p).await;
    }
}

/// Whether the user granted the optional host permission for this origin pattern.
pub async fn has_host_permission(pattern: &str) -> bool {
    let origins = js_sys::Array::of1(&JsValue::from_str(pattern));
    let Ok(p) = permissions_contains(&obj(&[("origins", origins.into())])) else {
        return false;
    };
    JsFuture::from(p)
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

pub async fn open_tab(url: &str) {
    if let Ok(p) = tabs_create(&obj(&[("url", JsValue::from_str(url))])) {
        let _ = JsFuture::from(p).await;
    }
}
