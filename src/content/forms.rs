//! The seam to the forms module (`snshare_forms`): the forms are not in the content script's
//! download (issue 17). `extension/content.js` hands `content_start` an object of functions
//! that load that module on first need and call it; the content script gives them plain JS
//! requests (`snshare_web::form_request`). The module is preloaded (imported and instantiated,
//! no UI) on the first pointer or focus that reaches one of snshare's controls, so a click
//! opens its form without a visible wait.
//!
//! The task form is opened here ([`open_task`]) by the row share button, the Share menu's item,
//! Compliance Manager's command and the cards: the action as the page shows it (read here, in
//! the content script), the account, the theme and the opener travel in the request. When the
//! module cannot be loaded (the extension was updated under the open tab), content.js says so
//! through [`unavailable`]: a message next to the control, never a click that does nothing.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Document, Element};

use super::app::Ctx;
use super::dom::{self, Listener, OWN_ATTR};
use super::selectors::PanelContent;
use super::{bulk_status, styles};
use crate::domain::action_status::ActionStatus;
use crate::domain::ticket::TicketKind;
pub use crate::platform::form_request::ActionContext;
use crate::platform::form_request::{
    self, encode_bulk, encode_task, BulkFormRequest, TaskFormRequest, OPENER_ATTR,
};
use crate::platform::present::action_link;
pub use crate::platform::present::description_from_row;
use crate::platform::{random_hex, t};

thread_local! {
    /// content.js's `{ preload, open_bulk, open_task, close }`.
    static HOOKS: RefCell<JsValue> = const { RefCell::new(JsValue::UNDEFINED) };
    /// The message that the forms could not load, while it shows.
    static UNAVAILABLE_NOTE: RefCell<Option<Element>> = const { RefCell::new(None) };
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
    remove_unavailable();
    call("open_bulk", Some(&encode_bulk(request)));
}

/// What opens the task form.
pub struct FormRequest {
    pub action: Option<ActionContext>,
    /// Preselected ticket type (a card's own kind); else the options' default.
    pub kind: Option<TicketKind>,
    /// Where focus goes back when the form closes.
    pub return_focus: Option<Element>,
}

/// Opens the task form for an action, from the control `opener` (the row button, the Share
/// menu's button, Compliance Manager's command).
pub fn open_for_action(ctx: &Rc<Ctx>, action: ActionContext, opener: Option<Element>) {
    open_task(
        ctx,
        FormRequest {
            action: Some(action),
            kind: None,
            return_focus: opener,
        },
    );
}

/// Opens the task form (the forms module closes one that is open).
pub fn open_task(ctx: &Rc<Ctx>, request: FormRequest) {
    let Some(doc) = dom::document() else { return };
    remove_unavailable();
    let FormRequest {
        action,
        kind,
        return_focus,
    } = request;
    let title_key = action.as_ref().and_then(|a| ctx.title_key(&a.title));
    // Issue 18: "Set status to Planned" once the ticket exists, when the open panel offers it.
    let planned_offer = action
        .as_ref()
        .and_then(|a| bulk_status::offered(&doc, &a.id, ActionStatus::Planned));
    let request = TaskFormRequest {
        action,
        kind,
        // The page's account control, else the UPN it showed earlier on this tenant.
        user_id: ctx.upn(),
        title_key,
        page_lang: page_lang(&doc),
        theme: styles::apply_theme(&doc).to_owned(),
        opener: return_focus.as_ref().map(opener_token).unwrap_or_default(),
        planned_offer,
    };
    call("open_task", Some(&encode_task(&request)));
}

/// Closes the forms (the page changed).
pub fn close() {
    remove_unavailable();
    call("close", None);
}

/// The forms module did not load for `request` (content.js's, as it was handed over): a message
/// next to the control that opened it (else at the top of the page), announced at once. Any
/// draft stays in the worker, where the form would have read it.
pub fn unavailable(request: &JsValue) {
    let Some(doc) = dom::document() else { return };
    remove_unavailable();
    let token = crate::wire::decode::string(request, "opener").unwrap_or_default();
    let note = dom::el(&doc, "div", "snshare-alert", &t("forms_unavailable"));
    dom::set(&note, OWN_ATTR, "forms-unavailable");
    dom::set(&note, "role", "alert");
    match form_request::opener(&token) {
        Some(o) => {
            let _ = o.after_with_node_1(&note);
        }
        None => {
            if let Some(body) = doc.body() {
                let _ = body.prepend_with_node_1(&note);
            }
        }
    }
    UNAVAILABLE_NOTE.with(|n| *n.borrow_mut() = Some(note));
}

/// The message goes with the next attempt, or when the page changes.
fn remove_unavailable() {
    if let Some(note) = UNAVAILABLE_NOTE.with(|n| n.borrow_mut().take()) {
        note.remove();
    }
}

/// An action from the open detail panel: description and remediation text.
pub fn action_from_panel(
    id: &str,
    content: &PanelContent,
    row_title: Option<&str>,
) -> ActionContext {
    let title = if content.title.is_empty() {
        row_title.unwrap_or_default().to_owned()
    } else {
        content.title.clone()
    };
    ActionContext {
        id: id.to_owned(),
        description: description_from_panel(content, &action_link(id)),
        title,
        category: content.category,
        status: content.status,
        compliance: None,
    }
}

/// The description prefilled from the panel: description, prerequisites, next steps (under
/// the portal's own headings), then the link.
pub fn description_from_panel(content: &PanelContent, link: &str) -> String {
    let mut blocks: Vec<String> = Vec::new();
    if !content.description.trim().is_empty() {
        blocks.push(content.description.trim().to_owned());
    }
    if let Some((heading, text)) = &content.prerequisites {
        if !text.trim().is_empty() {
            blocks.push([heading.as_str(), ":\n", text.trim()].concat());
        }
    }
    if let Some((heading, steps)) = &content.next_steps {
        if !steps.is_empty() {
            let list: Vec<String> = steps
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut line = snshare_core::decimal(i as u64 + 1);
                    line.push_str(". ");
                    line.push_str(s);
                    line
                })
                .collect();
            blocks.push([heading.as_str(), ":\n", &list.join("\n")].concat());
        }
    }
    if blocks.is_empty() && !content.title.trim().is_empty() {
        blocks.push(content.title.trim().to_owned());
    }
    blocks.push(link.to_owned());
    blocks.join("\n\n")
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
