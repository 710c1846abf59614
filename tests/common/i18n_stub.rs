//! `chrome.i18n` for the wasm tests, which run in a plain page without an extension context:
//! answers from the real English catalogue (compiled in) as Chrome does — the message with
//! `$1`… substituted, "" for an unknown key — and names the UI language "en".
//!
//! Included by the wasm test files with `#[path = "common/i18n_stub.rs"] mod i18n_stub;`.

use wasm_bindgen::prelude::*;

/// The English catalogue the stub answers from.
pub const CATALOGUE: &str = include_str!("../../extension/_locales/en/messages.json");

/// Installs the stand-in once per page; a page that already has `chrome.i18n` keeps it.
pub fn install() {
    let global = js_sys::global();
    // Chromium has a `chrome` object on every page, but no `chrome.i18n` outside extensions.
    let existing = js_sys::Reflect::get(&global, &"chrome".into()).unwrap_or(JsValue::UNDEFINED);
    if existing.is_object()
        && js_sys::Reflect::get(&existing, &"i18n".into()).is_ok_and(|i| i.is_object())
    {
        return;
    }
    let catalogue: serde_json::Value =
        serde_json::from_str(CATALOGUE).unwrap_or(serde_json::Value::Null);
    let get_message =
        Closure::<dyn Fn(String, JsValue) -> String>::new(move |key: String, subs: JsValue| {
            let Some(msg) = catalogue
                .get(&key)
                .and_then(|m| m.get("message"))
                .and_then(|m| m.as_str())
            else {
                return String::new();
            };
            let subs: Vec<String> = if let Some(s) = subs.as_string() {
                vec![s]
            } else if js_sys::Array::is_array(&subs) {
                js_sys::Array::from(&subs)
                    .iter()
                    .map(|v| v.as_string().unwrap_or_default())
                    .collect()
            } else {
                Vec::new()
            };
            let mut out = msg.to_string();
            for (i, s) in subs.iter().enumerate().rev() {
                out = out.replace(&format!("${}", i + 1), s);
            }
            out
        });
    let i18n = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&i18n, &"getMessage".into(), get_message.as_ref());
    let lang = Closure::<dyn Fn() -> String>::new(|| "en".to_string());
    let _ = js_sys::Reflect::set(&i18n, &"getUILanguage".into(), lang.as_ref());
    let chrome: JsValue = if existing.is_object() {
        existing
    } else {
        js_sys::Object::new().into()
    };
    let _ = js_sys::Reflect::set(&chrome, &"i18n".into(), &i18n);
    let _ = js_sys::Reflect::set(&global, &"chrome".into(), &chrome);
    get_message.forget();
    lang.forget();
}
