//! The task form: a modal `<dialog>` in an open shadow root (the portal's styles and scripts
//! leave it alone; Playwright and assistive technology see into it), shown with `showModal()`
//! in the browser's top layer: above every portal layer, and the rest of the page inert. Opened
//! from inside a modal panel (Fluent's `FocusTrapZone` pulls focus that leaves the panel back,
//! and swallows clicks outside it), its host is mounted next to the control that opened it, inside
//! the trap, so the form takes focus, clicks and keys (portal.md).
//!
//! Opened by the row share button, the Share menu's "ServiceNow" item and the cards' "Create
//! ticket". Prefilled from the page (as text), then from the options' defaults and a saved draft
//! when the worker answers. Before Send is offered it asks the worker whether the connection
//! exists (else a "Connect to ServiceNow" step) and whether an open ticket exists for the action
//! (else Send is offered only after an explicit "Create another ticket"). Drafts are saved as
//! the user types and kept until a ticket is created or queued; one share id per draft, so a
//! Retry is the same share.
//!
//! Focus stays inside the dialog (Tab wraps), Esc and Cancel close it, and focus goes back to
//! the control that opened it.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Document, Element, Event, HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement,
    HtmlTextAreaElement, KeyboardEvent, ShadowRoot, ShadowRootInit, ShadowRootMode,
};

use super::app::Ctx;
use super::app::OpenForm;
use super::dom::{self, append, el, set, Debouncer, Listener, OWN_ATTR};
use super::selectors::{self, PanelContent};
use super::{styles, tickets, wire};
use crate::domain::action_status::ActionStatus;
use crate::domain::action_title::title_key;
use crate::domain::connection::ConnectionState;
use crate::domain::correlation::action_key;
use crate::domain::diagnosis::Diagnosis;
use crate::domain::draft::{
    default_due_date, format_date, DraftField, FieldError, TaskDraft, TASK_NAME_MAX,
};
use crate::domain::portal_url::action_link_on;
use crate::domain::settings::{RecordRef, TicketDefaults};
use crate::domain::ticket::priority_value;
use crate::domain::ticket::{Category, Priority, RecommendationSource, TicketKind, TicketSummary};
use crate::messages::{CreateApi, ExtensionPage, ShareOutcome, ShareRequest};
use crate::platform::i18n::{format_day, ui_lang};
use crate::platform::{random_hex, t, t_with, today};

/// Marks the form's host element in the page.
pub const HOST_ATTR_VALUE: &str = "form";
/// Draft key of a ticket without an action (a card's "Create ticket").
pub const NEW_DRAFT_KEY: &str = "new";
const SAVE_DEBOUNCE_MS: i32 = 400;

/// The improvement action a form is about, as read from the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionContext {
    pub id: String,
    pub title: String,
    pub category: Option<Category>,
    /// The action's status in Secure Score, as the API names it (the page's language aside).
    pub status: Option<ActionStatus>,
    /// The description to prefill (plain text, ends with the link to the action).
    pub description: String,
}

impl ActionContext {
    /// From a row of the list: title, category and status only.
    pub fn from_row(
        id: &str,
        title: &str,
        category: Option<Category>,
        status: Option<ActionStatus>,
    ) -> Self {
        ActionContext {
            id: id.to_owned(),
            title: title.to_owned(),
            category,
            status,
            description: description_from_row(title, &link_to(id)),
        }
    }

    /// From the open detail panel: description and remediation text.
    pub fn from_panel(id: &str, content: &PanelContent, row_title: Option<&str>) -> Self {
        let title = if content.title.is_empty() {
            row_title.unwrap_or_default().to_owned()
        } else {
            content.title.clone()
        };
        ActionContext {
            id: id.to_owned(),
            description: description_from_panel(content, &link_to(id)),
            title,
            category: content.category,
            status: content.status,
        }
    }
}

/// The link back to an action on the portal the user is on (commercial, GCC High, DoD).
pub fn link_to(action_id: &str) -> String {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    action_link_on(&origin, action_id)
}

/// Where the form's host goes: next to the control that opened it when that control is inside a
/// modal panel (inside its focus trap), else the end of the body.
fn mount(host: &Element, body: &Element, opener: Option<&Element>) {
    let in_modal = opener
        .filter(|o| selectors::connected(o) && dom::closest(o, "[aria-modal=\"true\"]").is_some());
    match in_modal {
        Some(o) => {
            let _ = o.after_with_node_1(host);
        }
        None => {
            let _ = body.append_child(host);
        }
    }
}

/// The description prefilled from a row: the title, then the link.
pub fn description_from_row(title: &str, link: &str) -> String {
    format!("{}\n\n{link}", title.trim())
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
            blocks.push(format!("{heading}:\n{}", text.trim()));
        }
    }
    if let Some((heading, steps)) = &content.next_steps {
        if !steps.is_empty() {
            let list: Vec<String> = steps
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{}. {s}", i + 1))
                .collect();
            blocks.push(format!("{heading}:\n{}", list.join("\n")));
        }
    }
    if blocks.is_empty() && !content.title.trim().is_empty() {
        blocks.push(content.title.trim().to_owned());
    }
    blocks.push(link.to_owned());
    blocks.join("\n\n")
}

/// What opens a form.
pub struct FormRequest {
    pub action: Option<ActionContext>,
    /// Preselected ticket type (a card's own kind); else the options' default.
    pub kind: Option<TicketKind>,
    /// Where focus goes back when the form closes.
    pub return_focus: Option<Element>,
}

pub fn kind_value(k: TicketKind) -> &'static str {
    k.table()
}

fn kind_from(v: &str) -> TicketKind {
    if v == TicketKind::ChangeRequest.table() {
        TicketKind::ChangeRequest
    } else {
        TicketKind::Incident
    }
}

/// The priority choices a ticket of `kind` has (a change has no Planning), `wanted` selected
/// or the nearest choice that fits.
fn fill_priorities(select: &HtmlSelectElement, kind: TicketKind, wanted: Priority) {
    let Some(doc) = dom::document() else { return };
    let choices = Priority::choices(kind);
    let have: Vec<String> = (0..select.length())
        .filter_map(|i| select.item(i))
        .filter_map(|o| o.get_attribute("value"))
        .collect();
    if have.len() != choices.len() {
        select.set_text_content(None);
        for p in choices {
            append(
                select,
                &option(
                    &doc,
                    priority_value(*p),
                    &t(&format!("common_priority_{}", priority_value(*p))),
                ),
            );
        }
    }
    select.set_value(priority_value(wanted.fit(kind)));
}

/// Quiet time before the typed group name is searched on the instance.
const GROUP_SEARCH_DEBOUNCE_MS: i32 = 250;

fn priority_from(v: &str) -> Priority {
    Priority::ALL
        .into_iter()
        .find(|p| priority_value(*p) == v)
        .unwrap_or(Priority::Moderate)
}

pub fn category_label(c: Category) -> String {
    t(&format!("common_category_{}", c.value()))
}

fn source_label(s: RecommendationSource) -> String {
    match s {
        RecommendationSource::Microsoft => t("form_source_microsoft"),
        RecommendationSource::User => t("form_source_user"),
    }
}

/// The diagnosis in words: what happened, then how to fix it.
pub fn diagnosis_text(d: &Diagnosis) -> (String, String) {
    let args = d.message_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let key = d.message_key();
    let mut message = t_with(&key, &args);
    if message == key {
        message = t_with("common_diagnosis_fallback", &[d.name()]);
    }
    let fix_key = d.fix_key();
    let fix = t(&fix_key);
    (message, if fix == fix_key { String::new() } else { fix })
}

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
}

/// Handles of the form's controls.
struct Fields {
    dialog: Element,
    kind: HtmlSelectElement,
    name: HtmlInputElement,
    counter: Element,
    description: HtmlTextAreaElement,
    priority: HtmlSelectElement,
    due: HtmlInputElement,
    group: HtmlInputElement,
    group_list: Element,
    err_group: Element,
    user_id: HtmlInputElement,
    err_name: Element,
    err_due: Element,
    /// The due date written out in the form's language (the date input itself shows the
    /// browser's format, which may be another language's).
    due_day: Element,
    err_user: Element,
    err_description: Element,
    duplicates: Element,
    connect: Element,
    checking: Element,
    result: Element,
    send: HtmlButtonElement,
    cancel: HtmlButtonElement,
}

#[derive(Default)]
struct State {
    /// Checks (status, open tickets) still running.
    checking: u8,
    connected: Option<bool>,
    duplicates: Vec<TicketSummary>,
    allow_duplicate: bool,
    sending: bool,
    /// A ticket was created or queued: the form only shows the result.
    done: bool,
    /// The user typed something: late prefill (settings, draft) no longer applies.
    edited: bool,
    touched_name: bool,
    touched_due: bool,
    /// Errors the worker reported (Invalid), shown until the next edit.
    server_errors: Vec<FieldError>,
}

struct Inner {
    id: u32,
    ctx: Weak<Ctx>,
    root: ShadowRoot,
    f: Fields,
    key: String,
    share_id: String,
    source: RecommendationSource,
    category: Option<Category>,
    status: Option<ActionStatus>,
    action_id: Option<String>,
    /// The action's title key: shares made before its id was known carry it.
    title_key: Option<String>,
    /// The name was prefilled non-empty (its errors show at once).
    name_prefilled: bool,
    user_id_known: Cell<bool>,
    kind_fixed: bool,
    state: RefCell<State>,
    saver: RefCell<Option<Debouncer>>,
    /// The assignment group chosen (a group of the instance, never free text).
    group: RefCell<Option<RecordRef>>,
    /// The groups the last search found.
    groups_found: RefCell<Vec<RecordRef>>,
    group_search: RefCell<Option<Debouncer>>,
    /// Handlers of buttons built with an answer (duplicate notice, Retry); freed with the form.
    closures: RefCell<Vec<ClickHandler>>,
    return_focus: Option<Element>,
    closed: Cell<bool>,
    /// A person's click (or Enter) on Send, just before the form's `submit`: a `submit` the
    /// page provokes (`requestSubmit`, a script's click) finds it unset and sends nothing.
    send_armed: Cell<bool>,
}

type ClickHandler = wasm_bindgen::closure::Closure<dyn FnMut(Event)>;

/// One open form: its host element and its listeners.
pub struct TaskForm {
    inner: Rc<Inner>,
    host: Element,
    _listeners: Vec<Listener>,
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["chrome", "runtime"], js_name = getManifest, catch)]
    fn manifest() -> Result<JsValue, JsValue>;
}

/// Closed: a script of the portal page can neither read what the form shows (a draft, open
/// tickets) nor fill it in (security review M2). Playwright sees into open roots only, so the
/// e2e suite's copy of the extension sets `snshare_test.open_shadow_root` in its manifest,
/// which no page can change; the shipped manifest has no such key.
fn shadow_mode() -> ShadowRootMode {
    let get = |v: &JsValue, k: &str| js_sys::Reflect::get(v, &JsValue::from_str(k)).ok();
    let open = manifest()
        .ok()
        .and_then(|m| get(&m, "snshare_test"))
        .filter(JsValue::is_object)
        .and_then(|t| get(&t, "open_shadow_root"))
        .and_then(|v| v.as_bool())
        == Some(true);
    if open {
        ShadowRootMode::Open
    } else {
        ShadowRootMode::Closed
    }
}

fn make<T: JsCast>(doc: &Document, tag: &str, class: &str, text: &str) -> T {
    el(doc, tag, class, text).unchecked_into::<T>()
}

fn field(doc: &Document, id: &str, label: &str, control: &Element, wide: bool) -> Element {
    let wrap = el(doc, "div", if wide { "field wide" } else { "field" }, "");
    let l = el(doc, "label", "", label);
    set(&l, "for", id);
    set(control, "id", id);
    append(&wrap, &l);
    append(&wrap, control);
    wrap
}

fn error_el(doc: &Document, id: &str) -> Element {
    let e = el(doc, "div", "error", "");
    set(&e, "id", id);
    e
}

fn option(doc: &Document, value: &str, label: &str) -> Element {
    let o = el(doc, "option", "", label);
    set(&o, "value", value);
    o
}

fn button(doc: &Document, class: &str, label: &str, kind: &str) -> HtmlButtonElement {
    let b: HtmlButtonElement = make(doc, "button", class, label);
    b.set_type(kind);
    b
}

impl TaskForm {
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    /// The form's shadow root (tests): closed, so the page cannot get it from the host.
    pub fn root(&self) -> ShadowRoot {
        self.inner.root.clone()
    }

    /// What a person's click on Send does. For the content script's own tests, which run as a
    /// script and so cannot make the trusted click the form waits for.
    pub fn send_as_user(&self) {
        Inner::send(&self.inner);
    }

    /// Builds and shows the form; `None` when the page has no body.
    pub fn open(ctx: Rc<Ctx>, request: FormRequest) -> Option<TaskForm> {
        let doc = dom::document()?;
        let body = doc.body()?;
        let id = NEXT_ID.with(|n| {
            let v = n.get();
            n.set(v.wrapping_add(1));
            v
        });
        let defaults = TicketDefaults::default();
        let today = today();
        let action = request.action;
        let source = if action.is_some() {
            RecommendationSource::Microsoft
        } else {
            RecommendationSource::User
        };
        // The page's account control, else the UPN it showed earlier on this tenant.
        let user_id = ctx.upn().unwrap_or_default();

        let host = el(&doc, "div", "", "");
        set(&host, OWN_ATTR, HOST_ATTR_VALUE);
        // The portal's theme (light or dark) and the language the form is written in, which
        // can differ from the portal's when snshare lacks the portal's language.
        set(&host, "data-theme", styles::apply_theme(&doc));
        set(&host, "lang", &ui_lang());
        let init = ShadowRootInit::new(shadow_mode());
        let root = host
            .unchecked_ref::<HtmlElement>()
            .attach_shadow(&init)
            .ok()?;
        let style = el(&doc, "style", "", styles::FORM_CSS);
        let _ = root.append_child(&style);

        // The modal <dialog> is the form's dialog role; the card inside is only its look.
        let overlay = el(&doc, "dialog", "overlay", "");
        let dialog = el(&doc, "div", "dialog", "");
        let title_id = "snshare-form-title";
        set(&overlay, "aria-labelledby", title_id);
        set(&dialog, "tabindex", "-1");
        let head = el(&doc, "div", "head", "");
        let h = el(&doc, "h2", "", &t("form_title"));
        set(&h, "id", title_id);
        append(&head, &h);
        if let Some(a) = &action {
            let sub = el(&doc, "p", "sub", &a.title);
            set(&sub, "title", &a.title);
            append(&head, &sub);
        }
        append(&dialog, &head);

        let form = el(&doc, "form", "", "");
        set(&form, "novalidate", "");
        let grid = el(&doc, "div", "body", "");

        // Ticket type
        let kind: HtmlSelectElement = make(&doc, "select", "", "");
        for k in TicketKind::ALL {
            let label = match k {
                TicketKind::Incident => t("common_kind_incident"),
                TicketKind::ChangeRequest => t("common_kind_change_request"),
            };
            append(&kind, &option(&doc, kind_value(k), &label));
        }
        kind.set_value(kind_value(request.kind.unwrap_or(defaults.kind)));
        append(
            &grid,
            &field(&doc, "snshare-kind", &t("form_kind"), &kind, false),
        );

        // Priority: the choices of the ticket type
        let priority: HtmlSelectElement = make(&doc, "select", "", "");
        fill_priorities(&priority, kind_from(&kind.value()), defaults.priority);
        append(
            &grid,
            &field(
                &doc,
                "snshare-priority",
                &t("form_priority"),
                &priority,
                false,
            ),
        );

        // Task name, with its counter and error
        let name: HtmlInputElement = make(&doc, "input", "", "");
        name.set_type("text");
        set(&name, "autocomplete", "off");
        set(&name, "aria-required", "true");
        set(
            &name,
            "aria-describedby",
            "snshare-name-counter snshare-err-name",
        );
        let name_title = action.as_ref().map(|a| a.title.clone()).unwrap_or_default();
        name.set_value(&name_title);
        let name_field = field(&doc, "snshare-name", &t("form_name"), &name, true);
        let counter = el(&doc, "span", "counter", "");
        set(&counter, "id", "snshare-name-counter");
        let row = el(&doc, "div", "row", "");
        let err_name = error_el(&doc, "snshare-err-name");
        append(&row, &err_name);
        append(&row, &counter);
        append(&name_field, &row);
        append(&grid, &name_field);

        // Description
        let description: HtmlTextAreaElement = make(&doc, "textarea", "", "");
        set(&description, "rows", "7");
        set(&description, "aria-describedby", "snshare-err-description");
        description.set_value(
            action
                .as_ref()
                .map(|a| a.description.as_str())
                .unwrap_or_default(),
        );
        let desc_field = field(
            &doc,
            "snshare-description",
            &t("form_description"),
            &description,
            true,
        );
        let err_description = error_el(&doc, "snshare-err-description");
        append(&desc_field, &err_description);
        append(&grid, &desc_field);

        // Due date
        let due: HtmlInputElement = make(&doc, "input", "", "");
        due.set_type("date");
        set(&due, "aria-required", "true");
        set(&due, "min", &format_date(today));
        set(&due, "aria-describedby", "snshare-due-day snshare-err-due");
        due.set_value(&default_due_date(today, defaults.due_in_days));
        let due_field = field(&doc, "snshare-due", &t("form_due_date"), &due, false);
        let due_day = el(&doc, "p", "hint", "");
        set(&due_day, "id", "snshare-due-day");
        append(&due_field, &due_day);
        let err_due = error_el(&doc, "snshare-err-due");
        append(&due_field, &err_due);
        append(&grid, &due_field);

        // Assignment group: searched among the instance's groups
        let group: HtmlInputElement = make(&doc, "input", "", "");
        group.set_type("text");
        set(&group, "autocomplete", "off");
        set(&group, "list", "snshare-group-list");
        set(&group, "aria-describedby", "snshare-err-group");
        let group_list = el(&doc, "datalist", "", "");
        set(&group_list, "id", "snshare-group-list");
        let group_field = field(
            &doc,
            "snshare-group",
            &t("form_assignment_group"),
            &group,
            false,
        );
        append(&group_field, &group_list);
        let err_group = error_el(&doc, "snshare-err-group");
        append(&group_field, &err_group);
        append(&grid, &group_field);

        // Read-only context
        let user: HtmlInputElement = make(&doc, "input", "", "");
        user.set_type("text");
        user.set_value(&user_id);
        set(&user, "aria-describedby", "snshare-err-user");
        if !user_id.is_empty() {
            user.set_read_only(true);
        }
        let user_field = field(&doc, "snshare-user", &t("form_user_id"), &user, false);
        let err_user = error_el(&doc, "snshare-err-user");
        append(&user_field, &err_user);
        append(&grid, &user_field);

        let src: HtmlInputElement = make(&doc, "input", "", "");
        src.set_type("text");
        src.set_read_only(true);
        src.set_value(&source_label(source));
        append(
            &grid,
            &field(&doc, "snshare-source", &t("form_source"), &src, false),
        );

        let category = action.as_ref().and_then(|a| a.category);
        let cat: HtmlInputElement = make(&doc, "input", "", "");
        cat.set_type("text");
        cat.set_read_only(true);
        cat.set_value(
            &category
                .map(category_label)
                .unwrap_or_else(|| t("form_category_none")),
        );
        append(
            &grid,
            &field(&doc, "snshare-category", &t("form_category"), &cat, false),
        );

        // Notices: open tickets for the action, connection, checks in progress
        let duplicates = el(&doc, "div", "notice", "");
        set(&duplicates, "role", "region");
        set(&duplicates, "aria-label", &t("form_duplicate_heading"));
        set(&duplicates, "hidden", "");
        append(&grid, &duplicates);
        let connect = el(&doc, "div", "notice info", "");
        set(&connect, "hidden", "");
        append(&connect, &el(&doc, "p", "", &t("form_not_connected")));
        let connect_btn = button(&doc, "primary", &t("form_connect"), "button");
        append(&connect, &connect_btn);
        append(&grid, &connect);
        let checking = el(&doc, "p", "counter wide", &t("form_checking"));
        set(&checking, "hidden", "");
        append(&grid, &checking);
        append(&form, &grid);

        let result = el(&doc, "div", "result", "");
        set(&result, "role", "status");
        set(&result, "aria-live", "polite");
        append(&form, &result);

        let foot = el(&doc, "div", "foot", "");
        let send = button(&doc, "primary", &t("form_send"), "submit");
        let cancel = button(&doc, "", &t("form_cancel"), "button");
        append(&foot, &send);
        append(&foot, &cancel);
        append(&form, &foot);
        append(&dialog, &form);
        append(&overlay, &dialog);
        let _ = root.append_child(&overlay);

        let key = action
            .as_ref()
            .map(|a| action_key(&a.id))
            .unwrap_or_else(|| NEW_DRAFT_KEY.to_owned());
        let inner = Rc::new(Inner {
            id,
            ctx: Rc::downgrade(&ctx),
            root: root.clone(),
            f: Fields {
                dialog: dialog.clone(),
                kind,
                name,
                counter,
                description,
                priority,
                due,
                group,
                group_list,
                err_group,
                user_id: user,
                err_name,
                err_due,
                due_day,
                err_user,
                err_description,
                duplicates,
                connect,
                checking,
                result,
                send,
                cancel: cancel.clone(),
            },
            key,
            share_id: random_hex(8),
            source,
            category,
            status: action.as_ref().and_then(|a| a.status),
            action_id: action.as_ref().map(|a| a.id.clone()),
            title_key: action.as_ref().and_then(|a| title_key(&a.title)),
            name_prefilled: !name_title.trim().is_empty(),
            user_id_known: Cell::new(!user_id.is_empty()),
            kind_fixed: request.kind.is_some(),
            state: RefCell::new(State {
                checking: 2,
                ..State::default()
            }),
            saver: RefCell::new(None),
            group: RefCell::new(None),
            groups_found: RefCell::new(Vec::new()),
            group_search: RefCell::new(None),
            closures: RefCell::new(Vec::new()),
            return_focus: request.return_focus,
            closed: Cell::new(false),
            send_armed: Cell::new(false),
        });
        let weak = Rc::downgrade(&inner);
        *inner.group_search.borrow_mut() =
            Some(Debouncer::new(GROUP_SEARCH_DEBOUNCE_MS, move || {
                if let Some(i) = weak.upgrade() {
                    Inner::search_groups(&i);
                }
            }));
        let weak = Rc::downgrade(&inner);
        *inner.saver.borrow_mut() = Some(Debouncer::new(SAVE_DEBOUNCE_MS, move || {
            if let Some(i) = weak.upgrade() {
                i.save_draft();
            }
        }));

        let mut listeners = Vec::new();
        let w = Rc::downgrade(&inner);
        listeners.push(Listener::new(form.as_ref(), "input", move |e| {
            if let Some(i) = w.upgrade() {
                i.on_input(&e);
            }
        }));
        let w = Rc::downgrade(&inner);
        listeners.push(Listener::new(form.as_ref(), "change", move |e| {
            if let Some(i) = w.upgrade() {
                i.on_input(&e);
            }
        }));
        let w = Rc::downgrade(&inner);
        listeners.push(Listener::new(form.as_ref(), "submit", move |e| {
            e.prevent_default();
            // `submit` itself is trusted even when a script called `requestSubmit()` or
            // `send.click()`; what counts is the click on Send that caused it.
            if let Some(i) = w.upgrade().filter(|i| i.send_armed.replace(false)) {
                Inner::send(&i);
            }
        }));
        let w = Rc::downgrade(&inner);
        listeners.push(Listener::new(inner.f.send.as_ref(), "click", move |e| {
            if !dom::by_user(&e) {
                e.prevent_default();
                return;
            }
            if let Some(i) = w.upgrade() {
                i.send_armed.set(true);
            }
        }));
        let w = Rc::downgrade(&inner);
        listeners.push(Listener::new(cancel.as_ref(), "click", move |_| {
            if let Some(i) = w.upgrade() {
                i.request_close();
            }
        }));
        listeners.push(Listener::new(connect_btn.as_ref(), "click", move |e| {
            if dom::by_user(&e) {
                wire::open_page_now(ExtensionPage::Options);
            }
        }));
        let w = Rc::downgrade(&inner);
        listeners.push(Listener::new(dialog.as_ref(), "keydown", move |e| {
            if let Some(i) = w.upgrade() {
                i.on_keydown(&e);
            }
        }));
        // Keys typed in the form are not the portal's shortcuts.
        for kind in ["keydown", "keyup", "keypress"] {
            listeners.push(Listener::new(host.as_ref(), kind, |e| e.stop_propagation()));
        }
        // Back from the options page: the connection may exist now.
        if let Some(window) = web_sys::window() {
            let w = Rc::downgrade(&inner);
            listeners.push(Listener::new(window.as_ref(), "focus", move |_| {
                if let Some(i) = w.upgrade() {
                    if i.state.borrow().connected == Some(false) {
                        Inner::check_status(&i, false);
                    }
                }
            }));
        }

        // Esc on a modal dialog is a "cancel": the form closes its own way (draft kept).
        let w = Rc::downgrade(&inner);
        listeners.push(Listener::new(overlay.as_ref(), "cancel", move |e| {
            e.prevent_default();
            if let Some(i) = w.upgrade() {
                i.request_close();
            }
        }));
        mount(&host, &body, inner.return_focus.as_ref());
        if let Some(d) = overlay.dyn_ref::<web_sys::HtmlDialogElement>() {
            if d.show_modal().is_err() {
                // Not connected or already open elsewhere: shown in place, still usable.
                set(&overlay, "open", "");
            }
        }
        inner.update();
        dom::focus(inner.f.kind.as_ref());

        Inner::load_prefill(&inner);
        Inner::check_status(&inner, true);
        Inner::check_duplicates(&inner);
        Some(TaskForm {
            inner,
            host,
            _listeners: listeners,
        })
    }

    /// Removes the form from the page; a pending draft save is made now.
    pub fn close(&self) {
        let i = &self.inner;
        if i.closed.replace(true) {
            return;
        }
        let pending = i
            .saver
            .borrow()
            .as_ref()
            .is_some_and(Debouncer::take_pending);
        if pending {
            i.save_draft();
        }
        self.host.remove();
        // Focus goes back a moment later: the page's focus handlers then run outside snshare's
        // batch (whose own mutations the observer drops).
        if let Some(target) = i.return_focus.clone() {
            wasm_bindgen_futures::spawn_local(async move {
                if selectors::connected(&target) {
                    dom::focus(&target);
                }
            });
        }
    }
}

impl Inner {
    fn draft(&self) -> TaskDraft {
        TaskDraft {
            kind: kind_from(&self.f.kind.value()),
            name: self.f.name.value(),
            description: self.f.description.value(),
            priority: priority_from(&self.f.priority.value()),
            due_date: self.f.due.value(),
            user_id: self.f.user_id.value().trim().to_owned(),
            source: self.source,
            category: self.category,
            status: self.status,
            action_id: self.action_id.clone(),
            action_url: self.action_id.as_deref().map(link_to),
            assignment_group: self.group.borrow().clone(),
        }
    }

    /// The typed group name: a group the search found, or (typed, not found yet) a search.
    fn on_group_input(&self) {
        let text = self.f.group.value();
        let text = text.trim();
        let found = self
            .groups_found
            .borrow()
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(text))
            .cloned();
        let searching = found.is_none() && !text.is_empty();
        *self.group.borrow_mut() = found;
        if searching {
            if let Some(d) = self.group_search.borrow().as_ref() {
                d.trigger();
            }
        }
    }

    fn search_groups(this: &Rc<Self>) {
        let text = this.f.group.value().trim().to_owned();
        if text.is_empty() {
            return;
        }
        let w = Rc::downgrade(this);
        wasm_bindgen_futures::spawn_local(async move {
            let found = wire::search_groups(&text).await.unwrap_or_default();
            let Some(i) = w.upgrade().filter(|i| !i.closed.get()) else {
                return;
            };
            let Some(doc) = dom::document() else { return };
            i.f.group_list.set_text_content(None);
            for g in &found {
                append(&i.f.group_list, &option(&doc, &g.name, &g.name));
            }
            *i.groups_found.borrow_mut() = found;
            // Only the latest text decides.
            if i.f.group.value().trim() == text {
                let exact = i
                    .groups_found
                    .borrow()
                    .iter()
                    .find(|g| g.name.eq_ignore_ascii_case(&text))
                    .cloned();
                *i.group.borrow_mut() = exact;
                i.update();
            }
        });
    }

    /// Shows a group chosen elsewhere (options default, a draft).
    fn set_group(&self, group: Option<RecordRef>) {
        self.f
            .group
            .set_value(group.as_ref().map(|g| g.name.as_str()).unwrap_or_default());
        if let Some(g) = &group {
            let mut found = self.groups_found.borrow_mut();
            if !found.iter().any(|f| f.sys_id == g.sys_id) {
                found.push(g.clone());
            }
        }
        *self.group.borrow_mut() = group;
    }

    fn on_input(&self, e: &Event) {
        if self.closed.get() {
            return;
        }
        let target = e.target().and_then(|t| t.dyn_into::<Element>().ok());
        {
            let mut st = self.state.borrow_mut();
            st.edited = true;
            st.server_errors.clear();
            if let Some(t) = &target {
                if t == self.f.kind.unchecked_ref::<Element>() {
                    self.fit_priorities();
                }
                if t == self.f.group.unchecked_ref::<Element>() {
                    self.on_group_input();
                }
                if t == self.f.name.unchecked_ref::<Element>() {
                    st.touched_name = true;
                } else if t == self.f.due.unchecked_ref::<Element>() {
                    st.touched_due = true;
                }
            }
        }
        self.update();
        if let Some(s) = self.saver.borrow().as_ref() {
            s.trigger();
        }
    }

    /// The priority list of the chosen ticket type, keeping the choice where it fits.
    fn fit_priorities(&self) {
        fill_priorities(
            &self.f.priority,
            kind_from(&self.f.kind.value()),
            priority_from(&self.f.priority.value()),
        );
    }

    fn save_draft(&self) {
        if !self.state.borrow().edited {
            return;
        }
        let key = self.key.clone();
        let draft = self.draft();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wire::save_draft(&key, draft).await;
        });
    }

    /// Errors, counter, and which of Send / Connect / the duplicate notice shows.
    fn update(&self) {
        let f = &self.f;
        let draft = self.draft();
        let mut errors = draft.validate(today());
        let st = self.state.borrow();
        for e in &st.server_errors {
            if !errors.iter().any(|x| x.field == e.field) {
                errors.push(e.clone());
            }
        }
        let error_for = |field: DraftField| {
            errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| t(&e.message_key))
        };
        let show = |el: &Element, control: &Element, msg: Option<String>, visible: bool| {
            let msg = msg.filter(|_| visible);
            el.set_text_content(msg.as_deref());
            set(
                control,
                "aria-invalid",
                if msg.is_some() { "true" } else { "false" },
            );
        };
        let server = |field: DraftField| st.server_errors.iter().any(|e| e.field == field);
        show(
            &f.err_name,
            f.name.as_ref(),
            error_for(DraftField::Name),
            st.touched_name || self.name_prefilled || server(DraftField::Name),
        );
        f.due_day
            .set_text_content(format_day(&f.due.value()).as_deref());
        show(
            &f.err_due,
            f.due.as_ref(),
            error_for(DraftField::DueDate),
            true,
        );
        show(
            &f.err_user,
            f.user_id.as_ref(),
            error_for(DraftField::UserId),
            true,
        );
        show(
            &f.err_description,
            f.description.as_ref(),
            error_for(DraftField::Description),
            true,
        );

        // A typed group name must be one of the instance's groups: nothing invented is sent.
        let group_unknown = !f.group.value().trim().is_empty() && self.group.borrow().is_none();
        show(
            &f.err_group,
            f.group.as_ref(),
            group_unknown.then(|| t("form_error_group_unknown")),
            true,
        );

        let count = draft.name.chars().count();
        f.counter
            .set_text_content(Some(&format!("{count}/{TASK_NAME_MAX}")));
        let _ = f
            .counter
            .class_list()
            .toggle_with_force("over", count > TASK_NAME_MAX);

        let not_connected = st.connected == Some(false);
        let blocked_by_duplicates = !st.duplicates.is_empty() && !st.allow_duplicate;
        let hide = |e: &Element, hidden: bool| {
            let _ = if hidden {
                e.set_attribute("hidden", "")
            } else {
                e.remove_attribute("hidden")
            };
        };
        hide(&f.connect, !not_connected || st.done);
        hide(
            &f.duplicates,
            !blocked_by_duplicates || st.done || not_connected,
        );
        hide(&f.checking, st.checking == 0 || st.done);
        hide(
            f.send.as_ref(),
            st.done || not_connected || blocked_by_duplicates,
        );
        f.send
            .set_disabled(!errors.is_empty() || group_unknown || st.checking > 0 || st.sending);
        set(
            f.send.as_ref(),
            "aria-busy",
            if st.sending { "true" } else { "false" },
        );
        f.cancel.set_text_content(Some(&if st.done {
            t("form_close")
        } else {
            t("form_cancel")
        }));
    }

    fn on_keydown(&self, e: &Event) {
        let Some(k) = e.dyn_ref::<KeyboardEvent>() else {
            return;
        };
        match k.key().as_str() {
            "Escape" => {
                e.prevent_default();
                e.stop_propagation();
                self.request_close();
            }
            "Tab" => self.trap_focus(k),
            _ => {}
        }
    }

    /// Tab and Shift+Tab wrap around inside the dialog.
    fn trap_focus(&self, k: &KeyboardEvent) {
        let focusable: Vec<Element> = dom::all(
            &self.f.dialog,
            "button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), a[href]",
        )
        .into_iter()
        .filter(|e| e.dyn_ref::<HtmlElement>().is_some_and(|h| h.offset_parent().is_some()))
        .collect();
        let (Some(first), Some(last)) = (focusable.first(), focusable.last()) else {
            k.prevent_default();
            return;
        };
        let active = self.root.active_element();
        let inside = active.as_ref().is_some_and(|a| focusable.contains(a));
        let target = if !inside {
            Some(if k.shift_key() { last } else { first })
        } else if k.shift_key() && active.as_ref() == Some(first) {
            Some(last)
        } else if !k.shift_key() && active.as_ref() == Some(last) {
            Some(first)
        } else {
            None
        };
        if let Some(t) = target {
            k.prevent_default();
            dom::focus(t);
        }
    }

    fn request_close(&self) {
        if let Some(ctx) = self.ctx.upgrade() {
            ctx.close_form_if(self.id);
        }
    }

    /// Options' defaults, then a saved draft: applied only while the user has not typed.
    fn load_prefill(this: &Rc<Self>) {
        let w = Rc::downgrade(this);
        let key = this.key.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let settings = wire::settings().await;
            let Some(i) = w.upgrade().filter(|i| !i.closed.get()) else {
                return;
            };
            if let Ok(wire::decode::FormSettings {
                defaults,
                fallback_user_id: fallback,
                assignment_group,
            }) = settings
            {
                if !i.state.borrow().edited {
                    i.set_group(assignment_group);
                    if !i.kind_fixed {
                        i.f.kind.set_value(kind_value(defaults.kind));
                    }
                    fill_priorities(
                        &i.f.priority,
                        kind_from(&i.f.kind.value()),
                        defaults.priority,
                    );
                    i.f.due
                        .set_value(&default_due_date(today(), defaults.due_in_days));
                }
                if !i.user_id_known.get() {
                    if let Some(fallback) = fallback.filter(|u| !u.trim().is_empty()) {
                        i.f.user_id.set_value(fallback.trim());
                        i.f.user_id.set_read_only(true);
                        i.user_id_known.set(true);
                    }
                }
                i.update();
            }
            drop(i);
            let draft = wire::get_draft(&key).await;
            let Some(i) = w.upgrade().filter(|i| !i.closed.get()) else {
                return;
            };
            if let Ok(Some(d)) = draft {
                if !i.state.borrow().edited {
                    i.f.kind.set_value(kind_value(d.kind));
                    i.f.name.set_value(&d.name);
                    i.f.description.set_value(&d.description);
                    fill_priorities(&i.f.priority, d.kind, d.priority);
                    i.f.due.set_value(&d.due_date);
                    i.set_group(d.assignment_group.clone());
                    if !i.user_id_known.get() && !d.user_id.trim().is_empty() {
                        i.f.user_id.set_value(d.user_id.trim());
                    }
                    i.state.borrow_mut().edited = true;
                    i.update();
                }
            }
        });
    }

    /// Whether the connection exists (else the Connect step replaces Send). A worker that
    /// cannot say is not a reason to hide Send: the share's own answer will tell.
    fn check_status(this: &Rc<Self>, initial: bool) {
        let w = Rc::downgrade(this);
        wasm_bindgen_futures::spawn_local(async move {
            let status = wire::status().await;
            let Some(i) = w.upgrade().filter(|i| !i.closed.get()) else {
                return;
            };
            {
                let mut st = i.state.borrow_mut();
                if let Ok(state) = status {
                    st.connected = Some(state != ConnectionState::NotConnected);
                }
                if initial {
                    st.checking = st.checking.saturating_sub(1);
                }
            }
            i.update();
        });
    }

    /// Open tickets for the action (none to look for without an action).
    fn check_duplicates(this: &Rc<Self>) {
        let w = Rc::downgrade(this);
        // Under the action's id and under its title key (shares made while only the title was
        // known), each record once.
        let mut keys: Vec<String> = this.action_id.iter().cloned().collect();
        if let Some(k) = this.title_key.clone().filter(|k| !keys.contains(k)) {
            if !keys.is_empty() {
                keys.push(k);
            }
        }
        if keys.is_empty() {
            this.duplicates_found(Vec::new());
            return;
        }
        // The lookups run side by side; the last answer settles the check.
        let pending = Rc::new(RefCell::new((keys.len(), Vec::<TicketSummary>::new())));
        for k in keys {
            let (w, pending) = (w.clone(), pending.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = wire::find_open_tickets(&k).await.unwrap_or_default();
                let found = {
                    let mut p = pending.borrow_mut();
                    for t in answer {
                        if !p.1.iter().any(|f| f.sys_id == t.sys_id) {
                            p.1.push(t);
                        }
                    }
                    p.0 -= 1;
                    (p.0 == 0).then(|| std::mem::take(&mut p.1))
                };
                if let (Some(found), Some(i)) = (found, w.upgrade()) {
                    i.duplicates_found(found);
                }
            });
        }
    }

    fn duplicates_found(self: &Rc<Self>, found: Vec<TicketSummary>) {
        if self.closed.get() {
            return;
        }
        {
            let mut st = self.state.borrow_mut();
            st.duplicates = found.into_iter().filter(|t| t.open).collect();
            st.checking = st.checking.saturating_sub(1);
        }
        self.render_duplicates();
        self.update();
    }

    /// A button's click handler, kept as long as the form; a click a script made is ignored
    /// (Retry, Create another ticket: each leads to a write).
    fn on_click(self: &Rc<Self>, button: &HtmlButtonElement, f: impl Fn(&Rc<Inner>) + 'static) {
        let w = Rc::downgrade(self);
        let cb = ClickHandler::new(move |e: Event| {
            if !dom::by_user(&e) {
                return;
            }
            if let Some(i) = w.upgrade().filter(|i| !i.closed.get()) {
                f(&i);
            }
        });
        button.set_onclick(Some(cb.as_ref().unchecked_ref()));
        self.closures.borrow_mut().push(cb);
    }

    fn render_duplicates(self: &Rc<Self>) {
        let Some(doc) = dom::document() else { return };
        let f = &self.f;
        let st = self.state.borrow();
        f.duplicates.set_text_content(None);
        if st.duplicates.is_empty() {
            return;
        }
        append(
            &f.duplicates,
            &el(&doc, "p", "", &t("form_duplicate_notice")),
        );
        let list = el(&doc, "ul", "", "");
        for tk in &st.duplicates {
            let li = el(&doc, "li", "", "");
            append(&li, &ticket_link(&doc, tk));
            let _ =
                li.append_with_str_1(&format!(" — {} · {}", tk.state_label, tk.short_description));
            append(&list, &li);
        }
        append(&f.duplicates, &list);
        let another = button(&doc, "", &t("form_create_another"), "button");
        append(&f.duplicates, &another);
        drop(st);
        self.on_click(&another, |i| {
            i.state.borrow_mut().allow_duplicate = true;
            i.update();
            dom::focus(i.f.send.as_ref());
        });
    }

    fn show_result(&self, nodes: Vec<Element>, alert: bool) {
        let r = &self.f.result;
        r.set_text_content(None);
        set(r, "role", if alert { "alert" } else { "status" });
        for n in nodes {
            append(r, &n);
        }
    }

    fn send(this: &Rc<Self>) {
        {
            let st = this.state.borrow();
            let f = &this.f;
            if st.sending || st.done || f.send.disabled() || f.send.has_attribute("hidden") {
                return;
            }
        }
        let Some(doc) = dom::document() else { return };
        this.state.borrow_mut().sending = true;
        this.update();
        this.show_result(vec![el(&doc, "p", "", &t("form_sending"))], false);
        let request = ShareRequest {
            share_id: this.share_id.clone(),
            draft: this.draft(),
            allow_duplicate: this.state.borrow().allow_duplicate,
        };
        // The share carries the draft: the worker's outbox holds it from now on. A save still
        // waiting for its debounce is not sent ahead (it would only delay the share); if the
        // share does not end in a ticket, the draft is saved then.
        if let Some(s) = this.saver.borrow().as_ref() {
            s.take_pending();
        }
        let w = Rc::downgrade(this);
        wasm_bindgen_futures::spawn_local(async move {
            let outcome = wire::share(request).await;
            let Some(i) = w.upgrade() else { return };
            i.state.borrow_mut().sending = false;
            let ticket = matches!(
                outcome,
                Ok(ShareOutcome::Created { .. } | ShareOutcome::Queued { .. })
            );
            if !ticket {
                // Kept until a ticket exists, even if the form is closed meanwhile.
                i.state.borrow_mut().edited = true;
                i.save_draft();
            }
            if !i.closed.get() {
                i.on_outcome(outcome);
            }
        });
    }

    fn on_outcome(self: &Rc<Self>, outcome: Result<ShareOutcome, String>) {
        let Some(doc) = dom::document() else { return };
        match outcome {
            Ok(ShareOutcome::Created { ticket, api }) => {
                self.state.borrow_mut().done = true;
                let p = el(&doc, "p", "ok", &t("form_created"));
                let _ = p.append_with_str_1(" ");
                let link = ticket_link(&doc, &ticket);
                append(&p, &link);
                let via = el(
                    &doc,
                    "p",
                    "via",
                    &t(match api {
                        CreateApi::TableApi => "form_created_via_table_api",
                        CreateApi::ChangeManagementApi => "form_created_via_change_api",
                    }),
                );
                set(
                    &via,
                    "data-api",
                    match api {
                        CreateApi::TableApi => "table",
                        CreateApi::ChangeManagementApi => "change_management",
                    },
                );
                self.show_result(vec![p, via], false);
                self.forget_draft();
                self.update();
                dom::focus(&link);
            }
            Ok(ShareOutcome::Queued { reason, .. }) => {
                self.state.borrow_mut().done = true;
                let (message, _) = diagnosis_text(&reason);
                self.show_result(
                    vec![
                        el(&doc, "p", "ok", &t("form_queued")),
                        el(&doc, "p", "", &message),
                    ],
                    false,
                );
                self.forget_draft();
                self.update();
                dom::focus(self.f.cancel.as_ref());
            }
            Ok(ShareOutcome::Failed { diagnosis, .. }) => {
                let (message, fix) = diagnosis_text(&diagnosis);
                self.show_failure(&doc, &t("form_failed"), &message, &fix);
            }
            Ok(ShareOutcome::Invalid { errors }) => {
                self.state.borrow_mut().server_errors = errors;
                self.show_result(vec![el(&doc, "p", "fail", &t("form_invalid"))], true);
                self.update();
            }
            Ok(ShareOutcome::Duplicate { existing }) => {
                {
                    let mut st = self.state.borrow_mut();
                    st.duplicates = existing;
                    st.allow_duplicate = false;
                }
                self.show_result(Vec::new(), false);
                self.render_duplicates();
                self.update();
            }
            Ok(ShareOutcome::NotConnected) => {
                self.state.borrow_mut().connected = Some(false);
                self.show_result(Vec::new(), false);
                self.update();
            }
            Err(message) => {
                self.show_failure(&doc, &t_with("form_worker_error", &[&message]), "", "");
            }
        }
        if let Some(ctx) = self.ctx.upgrade() {
            tickets::refresh(&ctx.tickets);
        }
    }

    /// A failure in words, the fix, and Retry (same share id: never two tickets for one click).
    fn show_failure(self: &Rc<Self>, doc: &Document, headline: &str, message: &str, fix: &str) {
        let mut nodes = vec![el(doc, "p", "fail", headline)];
        if !message.is_empty() {
            nodes.push(el(doc, "p", "", message));
        }
        if !fix.is_empty() {
            nodes.push(el(
                doc,
                "p",
                "",
                &format!("{} {fix}", t("common_how_to_fix")),
            ));
        }
        let retry = button(doc, "", &t("form_retry"), "button");
        self.on_click(&retry, Inner::send);
        nodes.push(retry.unchecked_into());
        self.show_result(nodes, true);
        self.update();
    }

    fn forget_draft(&self) {
        let key = self.key.clone();
        if let Some(s) = self.saver.borrow().as_ref() {
            s.take_pending();
        }
        self.state.borrow_mut().edited = false;
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wire::delete_draft(&key).await;
        });
    }
}

/// A ServiceNow ticket number as a link that opens in a new tab (only an https link is made a
/// link; anything else stays text).
fn ticket_link(doc: &Document, tk: &TicketSummary) -> Element {
    if tk.link.starts_with("https://") {
        let a = el(doc, "a", "", &tk.number);
        set(&a, "href", &tk.link);
        set(&a, "target", "_blank");
        set(&a, "rel", "noopener noreferrer");
        set(&a, "title", &t("common_opens_new_tab"));
        a
    } else {
        el(doc, "span", "", &tk.number)
    }
}

impl Ctx {
    /// Opens the task form (closing one that is open).
    pub fn open_form(self: &Rc<Self>, request: FormRequest) {
        self.close_form();
        let form = TaskForm::open(self.clone(), request);
        self.set_form(form.map(|f| Box::new(f) as Box<dyn OpenForm>));
    }
}

impl OpenForm for TaskForm {
    fn id(&self) -> u32 {
        TaskForm::id(self)
    }

    fn root(&self) -> ShadowRoot {
        TaskForm::root(self)
    }

    fn send_as_user(&self) {
        TaskForm::send_as_user(self)
    }

    fn close(&self) {
        TaskForm::close(self)
    }
}
