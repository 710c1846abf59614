//! The seam to the forms module (`snshare_forms`): the forms are not in the content script's
//! download (issue 17). `extension/content.js` hands `content_start` an object of functions
//! that load that module on first need and call it; the content script gives them plain JS
//! requests (`snshare_web::form_request`). The module is preloaded (imported and instantiated,
//! no UI) on the first pointer or focus that reaches one of snshare's controls, so a click
//! opens its form without a visible wait.

use std::cell::RefCell;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

use super::dom::{self, Listener};
use crate::platform::form_request::{encode_bulk, BulkFormRequest, OPENER_ATTR};
use crate::platform::random_hex;

thread_local! {
    /// content.js's `{ preload, open_bulk, close }`.
    static HOOKS: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
    /// The listeners that preload the module on the first touch of a control, until then.
    static TOUCH: RefCell<Vec<Listener>> = const { RefCell::new(Vec::new()) };
}

/// Keeps content.js's functions, and preloads the forms module on the first pointer or focus
/// on one of snshare's nodes.
pub fn install(hooks: JsValue, doc: &Document) {
    HOOKS.with(|h| *h.borrow_mut() = hooks);
    let listeners = ["pointerover", "pointerdown", "focusin"].map(|kind| {
        Listener::with_capture(doc.as_ref(), kind, true, |e| {
            let ours = e
                .target()
                .and_then(|t| t.dyn_into::<Element>().ok())
                .is_some_and(|t| dom::is_ours(&t));
            if ours && TOUCH.with(|t| !t.borrow().is_empty()) {
                call("preload", None);
                // Not dropped inside their own call: a moment later.
                dom::after(0, || TOUCH.with(|t| t.borrow_mut().clear()));
            }
        })
    });
    TOUCH.with(|t| *t.borrow_mut() = listeners.into());
}

/// Calls content.js's `name` (absent, as in the content script's own tests: nothing happens).
fn call(name: &'static str, arg: Option<&JsValue>) {
    HOOKS.with(|h| {
        let hooks = h.borrow();
        let Some(f) = js_sys::Reflect::get(&hooks, &JsValue::from_str(name))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
        else {
            return;
        };
        let _ = match arg {
            Some(a) => f.call1(&hooks, a),
            None => f.call0(&hooks),
        };
    });
}

/// Opens the bulk form for the selection.
pub fn open_bulk(request: &BulkFormRequest) {
    call("open_bulk", Some(&encode_bulk(request)));
}

/// Closes the forms (the page changed).
pub fn close() {
    call("close", None);
}

/// The token the opener carries for the forms module to find it (made once per control).
pub fn opener_token(opener: &Element) -> String {
    if let Some(t) = opener.get_attribute(OPENER_ATTR) {
        return t;
    }
    let token = random_hex(4);
    dom::set(opener, OPENER_ATTR, &token);
    token
}

/// The page's `<html lang>`.
pub fn page_lang(doc: &Document) -> String {
    doc.document_element()
        .and_then(|r| r.get_attribute("lang"))
        .unwrap_or_default()
}
