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
//! | `open_task_form` | the task form: one ticket, for an action (row button, Share menu, Compliance Manager command) or none (a card's "Create ticket") |
//! | `open_bulk_form` | bulk share (issue 18): one form for several selected actions |
//! | `close_forms` | (closes every form: the page changed) |
//! | `recognition_report_json` | (no form: the popup's recognition report, its outlines written here) |
//!
//! One form is open at a time: opening one closes the other.

#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use web_sys::Element;

use snshare_core::domain::settings::RecordRef;
use snshare_core::{domain, messages};
use snshare_web as platform;
use snshare_web::form_request;
use snshare_web::{dom, wire};

mod bulk_form;
pub mod task_form;

/// The open form.
enum Open {
    Bulk(bulk_form::BulkForm),
    Task(task_form::TaskForm),
}

thread_local! {
    /// The open form (one at a time, bulk or task).
    static FORM: RefCell<Option<Open>> = const { RefCell::new(None) };
    /// Bumped by every open and close: an open still waiting for the page's catalogue does not
    /// show once a later call replaced or closed it.
    static GENERATION: Cell<u32> = const { Cell::new(0) };
}

fn next_generation() -> u32 {
    GENERATION.with(|g| {
        let n = g.get().wrapping_add(1);
        g.set(n);
        n
    })
}

/// The popup asked for the recognition report: the content script's counts and elements
/// (`snshare_content::report::report_for`) finished with the elements' outlines, as the JSON
/// text the popup reads. The outlines' code is here, not in the portal's first download
/// (issue 17).
#[wasm_bindgen]
pub fn recognition_report_json(parts: JsValue) -> String {
    platform::outline::finish(&parts)
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
    let page_lang = request.page_lang.clone();
    replace_with(page_lang, move || {
        bulk_form::BulkForm::open(request, tickets_changed).map(Open::Bulk)
    });
}

/// Opens the task form for `request` (`form_request::encode_task`'s object), closing one that
/// is open. `tickets_changed` is called when a share settled (the content script refreshes its
/// ticket snapshot); `set_status(action_id, status)` has the content script choose the action's
/// status in the portal's own control (issue 18), and says whether it took. A malformed request
/// opens nothing.
#[wasm_bindgen]
pub fn open_task_form(
    request: JsValue,
    tickets_changed: js_sys::Function,
    set_status: js_sys::Function,
) {
    let request = match form_request::decode_task(&request) {
        Ok(r) => r,
        Err(e) => {
            platform::log(&format!("snshare: task form request refused: {e}"));
            return;
        }
    };
    let page_lang = request.page_lang.clone();
    replace_with(page_lang, move || {
        task_form::TaskForm::open(request, tickets_changed, set_status).map(Open::Task)
    });
}

/// Closes the open form, then shows the one `open` builds once the page's language is followed
/// (its catalogue), unless a later open or close came meanwhile.
fn replace_with(page_lang: String, open: impl FnOnce() -> Option<Open> + 'static) {
    close_form();
    let generation = next_generation();
    wasm_bindgen_futures::spawn_local(async move {
        // Each open follows the page's language as it is now: a second open while the first
        // still waits for the catalogue speaks it too.
        platform::i18n::follow_page_language(&page_lang).await;
        if GENERATION.with(Cell::get) != generation {
            return;
        }
        let form = open();
        FORM.with(|f| *f.borrow_mut() = form);
    });
}

/// Closes the open form. Its nodes go at once; its listeners a moment later, since this may run
/// inside one of them.
fn close_form() {
    let Some(form) = FORM.with(|f| f.borrow_mut().take()) else {
        return;
    };
    match &form {
        Open::Bulk(f) => f.close(),
        Open::Task(f) => f.close(),
    }
    wasm_bindgen_futures::spawn_local(async move { drop(form) });
}

/// The task form's own Cancel, close button or Esc: closes it if it is still the open one.
fn close_task_if(id: u32) {
    let is_it = FORM.with(|f| matches!(&*f.borrow(), Some(Open::Task(t)) if t.id() == id));
    if is_it {
        close_form();
    }
}

/// Closes every open form (the page changed); an open on its way is dropped too.
#[wasm_bindgen]
pub fn close_forms() {
    next_generation();
    close_form();
}

/// The open task form's shadow root (tests: it is closed to the page).
pub fn task_form_root() -> Option<web_sys::ShadowRoot> {
    FORM.with(|f| match &*f.borrow() {
        Some(Open::Task(t)) => Some(t.root()),
        _ => None,
    })
}

/// Sends the open task form as a person's click on Send would (tests, which are scripts).
pub fn send_task_form_as_user() {
    FORM.with(|f| {
        if let Some(Open::Task(t)) = &*f.borrow() {
            t.send_as_user();
        }
    });
}

/// Searches the instance's assignment groups for the typed `text` (trimmed; nothing when
/// empty) and hands what it found to the form that asked, while it lives. Both forms search
/// the same way.
fn search_groups<T: 'static>(form: &Rc<T>, text: &str, answered: fn(&Rc<T>, &str, Vec<RecordRef>)) {
    let text = text.trim().to_owned();
    if text.is_empty() {
        return;
    }
    let w = Rc::downgrade(form);
    wasm_bindgen_futures::spawn_local(async move {
        let found = wire::search_groups(&text).await.unwrap_or_default();
        if let Some(f) = w.upgrade() {
            answered(&f, &text, found);
        }
    });
}

/// The groups found, as a group field's suggestions (their names as text).
fn show_groups(list: &Element, groups: &[RecordRef]) {
    let Some(doc) = dom::document() else { return };
    list.set_text_content(None);
    for g in groups {
        let o = dom::el(&doc, "option", "", "");
        dom::set(&o, "value", &g.name);
        dom::append(list, &o);
    }
}
