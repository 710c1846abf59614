//! Raw `chrome.*` bindings. Kept to the calls snshare makes; wrapped by typed helpers.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    // chrome.runtime
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = sendMessage, catch)]
    pub fn runtime_send_message(message: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getURL)]
    pub fn runtime_get_url(path: &str) -> String;
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = openOptionsPage, catch)]
    pub fn runtime_open_options_page() -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = id, thread_local_v2)]
    pub static RUNTIME_ID: JsValue;

    // chrome.identity (the worker's web-auth flow and the options page)
    #[wasm_bindgen(js_namespace = ["chrome", "identity"], js_name = getRedirectURL, catch)]
    fn identity_get_redirect_url() -> Result<JsValue, JsValue>;

    // chrome.i18n
    #[wasm_bindgen(js_namespace = ["chrome", "i18n"], js_name = getMessage)]
    pub fn i18n_get_message(key: &str, substitutions: &JsValue) -> String;
    #[wasm_bindgen(js_namespace = ["chrome", "i18n"], js_name = getUILanguage)]
    pub fn i18n_get_ui_language() -> String;

    // chrome.storage.{local,session,managed}
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = get, catch)]
    pub fn storage_local_get(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = set, catch)]
    pub fn storage_local_set(items: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = remove, catch)]
    pub fn storage_local_remove(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = get, catch)]
    pub fn storage_session_get(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = set, catch)]
    pub fn storage_session_set(items: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "session"], js_name = remove, catch)]
    pub fn storage_session_remove(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "managed"], js_name = get, catch)]
    pub fn storage_managed_get(keys: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

// Used by the extension pages (popup, options, ticket list).
#[wasm_bindgen]
extern "C" {
    /// `chrome.permissions.request({origins})`: must run inside the click handler (user gesture).
    #[wasm_bindgen(js_namespace = ["chrome", "permissions"], js_name = request, catch)]
    pub fn permissions_request(permissions: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.tabs.create({url})`; needs no "tabs" permission.
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = create, catch)]
    pub fn tabs_create(properties: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.tabs.query(query)`; ids of tabs need no "tabs" permission.
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = query, catch)]
    pub fn tabs_query(query: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.tabs.sendMessage(tabId, message)`: to snshare's content script in that tab.
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = sendMessage, catch)]
    pub fn tabs_send_message(tab_id: f64, message: &JsValue) -> Result<js_sys::Promise, JsValue>;
    /// `chrome.tabs.getCurrent()`: resolves to undefined in the toolbar popup.
    #[wasm_bindgen(js_namespace = ["chrome", "tabs"], js_name = getCurrent, catch)]
    pub fn tabs_get_current() -> Result<js_sys::Promise, JsValue>;
    /// `chrome.storage.onChanged.addListener(cb)`; `cb(changes, areaName)`.
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "onChanged"], js_name = addListener, catch)]
    pub fn storage_on_changed_add_listener(callback: &js_sys::Function) -> Result<(), JsValue>;
}

/// The OAuth redirect URL to register on the instance, as this browser answers
/// `identity.getRedirectURL()`: `https://<extension-id>.chromiumapp.org/` in Chrome and Edge,
/// `https://<hash of the add-on id>.extensions.allizom.org/` in Firefox. Never built from the
/// id here, so each browser's own form shows. Empty when the API is missing.
pub fn identity_redirect_url() -> String {
    identity_get_redirect_url()
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}
