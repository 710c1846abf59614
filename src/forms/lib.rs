//! snshare's in-page forms, a module of their own: the portal downloads it only when a person
//! reaches for one of snshare's controls (issue 17), never with the content script.
//!
//! `extension/content.js` imports it on first need (the wasm build, or the JS build where the
//! page's CSP refuses WebAssembly) and calls its exports with the request the content script
//! wrote (`snshare_web::form_request`). The forms talk to the worker themselves (`wire`); the
//! content script learns a new ticket from the ticket snapshot, refreshed through the callback
//! the request comes with.
//!
//! | export | opens |
//! | --- | --- |
//! | `open_bulk_form` | bulk share (issue 18): one form for several selected actions |
//! | `close_forms` | (closes every form: the page changed) |

#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};

use wasm_bindgen::prelude::*;

use snshare_core::{domain, messages};
use snshare_web as platform;
use snshare_web::form_request;
use snshare_web::{dom, wire};

mod bulk_form;

thread_local! {
    /// The open bulk form (one at a time).
    static BULK: RefCell<Option<bulk_form::BulkForm>> = const { RefCell::new(None) };
    /// Bumped by every open and close: an open still waiting for the page's catalogue does not
    /// show once a later call replaced or closed it.
    static GENERATION: Cell<u32> = const { Cell::new(0) };
    /// The page's language was followed (its catalogue loads once per page).
    static LANGUAGE: Cell<bool> = const { Cell::new(false) };
}

fn next_generation() -> u32 {
    GENERATION.with(|g| {
        let n = g.get().wrapping_add(1);
        g.set(n);
        n
    })
}

/// Speaks the page's language, as the content script does (its catalogue once per page).
async fn follow_page_language(page_lang: &str) {
    if !LANGUAGE.with(|l| l.replace(true)) {
        platform::i18n::follow_page_language(page_lang).await;
    }
}

/// Opens the bulk form for `request` (`form_request::encode_bulk`'s object), closing one that
/// is open. `tickets_changed` is called when a bulk settled: the content script refreshes its
/// ticket snapshot. A malformed request opens nothing.
#[wasm_bindgen]
pub fn open_bulk_form(request: JsValue, tickets_changed: js_sys::Function) {
    let request = match form_request::decode_bulk(&request) {
        Ok(r) if !r.picked.is_empty() => r,
        Ok(_) => return,
        Err(e) => {
            platform::log(&format!("snshare: bulk form request refused: {e}"));
            return;
        }
    };
    close_bulk();
    let generation = next_generation();
    wasm_bindgen_futures::spawn_local(async move {
        follow_page_language(&request.page_lang).await;
        if GENERATION.with(Cell::get) != generation {
            return;
        }
        let form = bulk_form::BulkForm::open(request, tickets_changed);
        BULK.with(|b| *b.borrow_mut() = form);
    });
}

fn close_bulk() {
    if let Some(f) = BULK.with(|b| b.borrow_mut().take()) {
        f.close();
    }
}

/// Closes every open form (the page changed); an open on its way is dropped too.
#[wasm_bindgen]
pub fn close_forms() {
    next_generation();
    close_bulk();
}
