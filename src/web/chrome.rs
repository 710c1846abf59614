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
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getManifest)]
    pub fn runtime_get_manifest() -> JsValue;
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = id, thread_local_v2)]
    pub static RUNTIME_ID: JsValue;

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
    #[wasm_bindgen(js_namespace = ["chrome", "permissions"], js_name = contains, catch)]
    pub fn permissions_contains(permissions: &JsValue) -> Result<js_sys::Promise, JsValue>;
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

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "storage", "local"], js_name = setAccessLevel, catch)]
    fn storage_local_set_access_level(options: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

/// Where a refused `setAccessLevel` is recorded (session storage), for the status warning.
pub const STORAGE_UNRESTRICTED: &str = "storage.unrestricted";

/// Keeps `chrome.storage.local` (settings, drafts, outbox, ticket cache) out of content scripts:
/// only the worker and the extension's pages may read it. The secrets do not depend on it (they
/// are in `vault`), but a refusal is not hidden: it is logged and recorded, and every surface's
/// status then carries a warning.
pub fn restrict_local_storage() {
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"accessLevel".into(), &"TRUSTED_CONTEXTS".into());
    let call = storage_local_set_access_level(&options);
    wasm_bindgen_futures::spawn_local(async move {
        let outcome = match call {
            Ok(p) => wasm_bindgen_futures::JsFuture::from(p).await.map(|_| ()),
            Err(e) => Err(e),
        };
        let result = match outcome {
            Ok(()) => {
                super::storage::remove(super::storage::Area::Session, &[STORAGE_UNRESTRICTED]).await
            }
            Err(e) => {
                let message = super::js_error_message(&e);
                web_sys::console::warn_1(
                    &format!("snshare: chrome.storage.local.setAccessLevel refused: {message}")
                        .into(),
                );
                super::storage::set(
                    super::storage::Area::Session,
                    STORAGE_UNRESTRICTED,
                    &message,
                )
                .await
            }
        };
        if let Err(e) = result {
            web_sys::console::warn_1(&format!("snshare: {e}").into());
        }
    });
}
