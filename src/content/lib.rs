//! The content script on security.microsoft.com.
//!
//! `content_start` installs one stylesheet, one observer (`scheduler`) and the features, one
//! file each, all of the same shape (`FeatureDef`: where it applies, `init` for one run that
//! owns its nodes and listeners):
//!
//! | feature | applies on | adds |
//! | --- | --- | --- |
//! | `row_share` | Recommended actions, action detail (and Compliance Manager's) | a share button in each row's title cell |
//! | `badges` | Recommended actions, action detail (and Compliance Manager's) | ticket badges on rows and in the detail panel |
//! | `bulk` | Recommended actions, action detail | row selection, "Share N to ServiceNow" and the bulk form |
//! | `share_menu` | action detail | "ServiceNow" in the panel's Share menu |
//! | `cards` | home, Secure Score overview, Compliance Manager overview | the Change / Incident management cards |
//! | `compliance` | Compliance Manager's Improvement actions, an action's details | "Share to ServiceNow" among the details' commands |
//!
//! The task form and the bulk form are the forms module's (`snshare_forms`, downloaded on first
//! need, issue 17): the features read what the form needs from the page and open it through
//! `forms`, and the forms close when the page changes. Everything the features look for in the
//! portal is in `selectors`; every mark they leave on it is listed in `marks`.

#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;

// The layers below, under the names the features use (`crate::domain::…`, `super::dom::…`).
use snshare_core::{domain, messages};
use snshare_web as platform;
use snshare_web::dom;
use snshare_web::wire;

pub mod app;
mod badges;
mod bulk;
mod bulk_status;
pub mod cards;
pub mod compliance;
pub mod forms;
pub mod marks;
pub mod report;
mod row_share;
pub mod scheduler;
pub mod selectors;
mod share_menu;
pub mod styles;
pub mod tickets;

// The features' pieces tests/wasm_portal.rs checks one by one (`test-seams`: not in what ships).
#[cfg(feature = "test-seams")]
pub use badges::badges_for;
#[cfg(feature = "test-seams")]
pub use bulk::{preview_json, PreviewItem};
#[cfg(feature = "test-seams")]
pub use share_menu::add_item as add_share_menu_item;
#[cfg(feature = "test-seams")]
pub use wire::decode as wire_decode;
#[cfg(feature = "test-seams")]
pub use wire::encode as wire_encode;

/// Which build of the core runs in the page: `wasm`, or `js` when the page's CSP forbids
/// WebAssembly. Shown on the root element so support (and the tests) can tell.
const CORE_ATTR: &str = "data-snshare-core";
/// On the content script world's global object once the features run.
const STARTED_FLAG: &str = "snshareContentStarted";

/// The features, in the order they see each batch (the row button before the badges that go
/// next to it).
pub static FEATURES: [scheduler::FeatureDef; 6] = [
    row_share::DEF,
    badges::DEF,
    bulk::DEF,
    share_menu::DEF,
    compliance::DEF,
    cards::DEF,
];

thread_local! {
    /// The page's running scheduler, which owns the context (the features' shared state). Its
    /// one strong holder; read by the entry points content.js calls (`#[wasm_bindgen]` exports)
    /// only: everything else is handed the context.
    static PAGE: RefCell<Option<Rc<scheduler::App>>> = const { RefCell::new(None) };
}

/// The page's context, once the features started.
pub(crate) fn page_ctx() -> Option<Rc<app::Ctx>> {
    PAGE.with(|p| p.borrow().as_ref().map(|app| app.ctx().clone()))
}

/// Entry point, called by `extension/content.js` once the core is loaded; `forms` is its object
/// of functions that reach the forms module (`forms`).
#[wasm_bindgen]
pub fn content_start(engine: &str, forms: JsValue) {
    dom::mark("snshare:content-start");
    let Some(doc) = dom::document() else { return };
    let Some(root) = doc.document_element() else {
        return;
    };
    let engine = if engine == "js" { "js" } else { "wasm" };
    // A second injection must not start a second copy of the features. Known by a flag in the
    // content script's own world, never by the page's DOM: a page that set the attribute itself
    // would otherwise keep snshare out (security review I3).
    let global = js_sys::global();
    let started = JsValue::from_str(STARTED_FLAG);
    if js_sys::Reflect::get(&global, &started).is_ok_and(|v| v.is_truthy()) {
        return;
    }
    let _ = js_sys::Reflect::set(&global, &started, &JsValue::TRUE);
    let _ = root.set_attribute(CORE_ATTR, engine);
    // Started at once (document_start, issue 17): the observer is there before the portal's
    // first rows. The page's language (`<html lang>`, which the page may set later) is followed
    // and the stylesheet installed by the scheduler, before the batches that need them.
    start_features(&doc, forms);
}

/// A share or bulk share of the forms module settled: the ticket snapshot is read again (its new
/// tickets show as badges and on the cards).
#[wasm_bindgen]
pub fn tickets_changed() {
    if let Some(ctx) = page_ctx() {
        tickets::refresh(&ctx.tickets);
    }
}

/// The task form's "Set status to Planned" (issue 18), on a person's click: the status is chosen
/// in the portal's own control of the panel showing `action_id`. Whether it took.
#[wasm_bindgen]
pub fn set_action_status(action_id: &str, status: &str) -> bool {
    status
        .parse()
        .is_ok_and(|s| bulk_status::set_for(action_id, s))
}

/// content.js could not load the forms module for `request` (the one `forms` handed it): the
/// person is told next to the control they used.
#[wasm_bindgen]
pub fn forms_unavailable(request: JsValue) {
    forms::unavailable(&request);
}

fn start_features(doc: &web_sys::Document, forms: JsValue) {
    forms::install(forms, doc);
    // Whether the background worker answers is told by the first request every page makes
    // (`Ctx::start_learning`, `marks::WORKER_ATTR`), not by a message of its own.
    let app = scheduler::start(app::Ctx::new(), &FEATURES);
    PAGE.with(|p| *p.borrow_mut() = app);
    dom::mark("snshare:content-ready");
}
