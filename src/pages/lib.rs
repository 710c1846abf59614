//! Extension pages: popup, options, ticket list.
//!
//! Each page is a controller (messaging, state, page-lifetime listeners) around render
//! functions that turn data into DOM (`render_*`, testable without chrome APIs; see
//! `tests/wasm_ui.rs`). Every string comes from chrome.i18n, every value from the worker or
//! ServiceNow goes in as text.

#![cfg(target_arch = "wasm32")]

pub mod common;
pub mod mapping;
pub mod options;
mod page;
pub mod popup;
pub mod tickets;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::platform::{chrome, t};
// The layers below, under the names the pages use (`crate::domain::…`, `super::dom::…`).
use snshare_core::{domain, messages};
use snshare_web as platform;
use snshare_web::dom;

/// `drawn`: the loader's `chrome.storage.session.get` of what the last opening drew (a
/// promise), asked for while this wasm loaded; anything else reads it at the start.
#[wasm_bindgen]
pub fn popup_start(drawn: JsValue) {
    popup::start(drawn.dyn_into::<js_sys::Promise>().ok());
}

#[wasm_bindgen]
pub fn options_start() {
    options::start();
}

#[wasm_bindgen]
pub fn tickets_start() {
    tickets::start();
}

/// The page's `#app` element, with the document's title and language set.
fn declared_app(title_key: &str) -> Option<web_sys::Element> {
    let document = web_sys::window()?.document()?;
    document.set_title(&t(title_key));
    if let Some(html) = document.document_element() {
        // The language of the catalogue shown (English for a browser language snshare
        // does not ship), so a screen reader reads it with the right voice.
        let _ = html.set_attribute("lang", &crate::platform::i18n::ui_lang());
    }
    document.get_element_by_id("app")
}

/// The page's `#app` as written in its html (static structure, templates beside it),
/// translated and shown, with the document's title and language set.
fn page_from_markup(title_key: &str) -> Option<web_sys::Element> {
    let root = declared_app(title_key)?;
    crate::platform::template::translate(&root);
    // Hidden in the markup until now: nothing shows before it is in the user's language.
    let _ = root.remove_attribute("hidden");
    Some(root)
}

/// Asks for the optional host permission on `origin_pattern` (e.g. `https://x.service-now.com/*`).
/// Call it synchronously from a click handler: Chrome requires the user gesture. `None` when
/// the call itself was refused.
pub fn request_host_permission(origin_pattern: &str) -> Option<js_sys::Promise> {
    chrome::permissions_request(&origins(origin_pattern)).ok()
}

fn origins(origin_pattern: &str) -> JsValue {
    let arr = js_sys::Array::of1(&JsValue::from_str(origin_pattern));
    let obj = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&obj, &"origins".into(), &arr);
    obj.into()
}

/// The outcome of a permission promise: granted or not, or why it failed (no user gesture…).
pub async fn permission_outcome(p: js_sys::Promise) -> Result<bool, String> {
    match JsFuture::from(p).await {
        Ok(v) => Ok(v.as_bool().unwrap_or(false)),
        Err(e) => Err(js_sys::Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_default()),
    }
}

/// Calls `f` once things settle whenever chrome.storage changes: the worker writes status,
/// cache and outbox there. Page-lifetime listener.
fn on_storage_changed(f: impl Fn() + 'static) {
    let debouncer = dom::Debouncer::new(400, f);
    let cb = Closure::<dyn FnMut(JsValue, JsValue)>::new(move |changes: JsValue, area: JsValue| {
        // The popup's own copy of what it drew changes nothing the worker knows.
        let only_drawn = js_sys::Object::keys(changes.unchecked_ref::<js_sys::Object>())
            .iter()
            .all(|k| k.as_string().as_deref() == Some(popup::DRAWN_KEY));
        if area.as_string().as_deref() != Some("managed") && !only_drawn {
            debouncer.trigger();
        }
    });
    let _ = chrome::storage_on_changed_add_listener(cb.as_ref().unchecked_ref());
    cb.forget();
}

/// Opens an extension page (or any URL) in a new tab.
fn open_tab(url: &str) {
    let props = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&props, &"url".into(), &url.into());
    if let Ok(p) = chrome::tabs_create(&props) {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(p).await;
        });
    }
}

fn open_options_page() {
    match chrome::runtime_open_options_page() {
        Ok(p) => wasm_bindgen_futures::spawn_local(async move {
            let _ = JsFuture::from(p).await;
        }),
        Err(_) => open_tab(&chrome::runtime_get_url("options.html")),
    }
}
