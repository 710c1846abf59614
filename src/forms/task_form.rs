//! The task form's view: a modal `<dialog>` in a closed shadow root (the portal's styles and
//! scripts leave it alone), shown with `showModal()`
//! in the browser's top layer: above every portal layer, and the rest of the page inert. Opened
//! from inside a modal panel (Fluent's `FocusTrapZone` pulls focus that leaves the panel back,
//! and swallows clicks outside it), its host is mounted next to the control that opened it, inside
//! the trap, so the form takes focus, clicks and keys.
//!
//! In the forms module (issue 17: not in the portal's first download): the content script's row
//! share button, Share menu item, Compliance Manager command and cards' "Create ticket" write a
//! `TaskFormRequest` (`snshare_web::form_request`) and `open_task_form` opens it here.
//! Prefilled from the page (as text, read by the content script), then from the options'
//! defaults and a saved draft when the worker answers. Before Send is offered it asks the worker whether the connection
//! exists (else a "Connect to ServiceNow" step) and whether an open ticket exists for the action
//! (else Send is offered only after an explicit "Create another ticket"). Drafts are saved as
//! the user types and kept until a ticket is created or queued; one share id per draft, so a
//! Retry is the same share.
//!
//! The markup is `extension/templates/task-form.html`; the state and its rules (phases,
//! validation, why Send waits, where focus goes) are `domain::task_form`. This file binds the
//! markup's parts, forwards events to the state and renders it, and keeps the lifecycle: mount,
//! focus trap, draft saves, close. Send is never disabled: pressed while it cannot send, it says
//! why and moves focus to what needs it. Focus stays inside the dialog (Tab wraps, and while
//! sending), the header's close button, Esc and Cancel close it, and focus goes back to the
//! control that opened it.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    Element, Event, HtmlButtonElement, HtmlElement, HtmlInputElement, HtmlSelectElement,
    HtmlTextAreaElement, KeyboardEvent, ShadowRoot,
};

use crate::dom::{self, append, set, Debouncer, Listener};
use crate::domain::action_status::ActionStatus;
use crate::domain::connection::ConnectionState;
use crate::domain::correlation::action_key;
use crate::domain::draft::{default_due_date, format_date, TaskDraft, TASK_NAME_MAX};
use crate::domain::settings::TicketDefaults;
use crate::domain::task_form::duplicate_keys;
use crate::domain::task_form::Edit;
use crate::domain::task_form::Focus;
use crate::domain::task_form::FormField;
use crate::domain::task_form::Outcome;
use crate::domain::task_form::Phase;
use crate::domain::task_form::Press;
use crate::domain::task_form::Step;
use crate::domain::task_form::TaskForm as FormState;
use crate::domain::ticket::{Priority, RecommendationSource, TicketKind, TicketSummary};
use crate::form_request::{self, TaskFormRequest};
use crate::messages::{CreateApi, ExtensionPage, ShareOutcome, ShareRequest};
use crate::platform::i18n::{format_day, ui_lang};
use crate::platform::present::{action_link, ticket_node};
use crate::platform::template::{self, Markup};
use crate::platform::{form_host, present};
use crate::platform::{random_hex, t, t_with, today};
use crate::wire;

/// Draft key of a ticket without an action (a card's "Create ticket").
pub const NEW_DRAFT_KEY: &str = "new";
const SAVE_DEBOUNCE_MS: i32 = 400;

/// Where the form's host goes: next to the control that opened it when that control is inside a
/// modal panel (inside its focus trap), else the end of the body.
fn mount(host: &Element, body: &Element, opener: Option<&Element>) {
    let in_modal =
        opener.filter(|o| connected(o) && dom::closest(o, "[aria-modal=\"true\"]").is_some());
    match in_modal {
        Some(o) => {
            let _ = o.after_with_node_1(host);
        }
        None => {
            let _ = body.append_child(host);
        }
    }
}

fn kind_from(v: &str) -> TicketKind {
    v.parse().unwrap_or(TicketKind::Incident)
}

/// Quiet time before the typed group name is searched on the instance.
const GROUP_SEARCH_DEBOUNCE_MS: i32 = 250;

fn priority_from(v: &str) -> Priority {
    v.parse().unwrap_or(Priority::Moderate)
}

/// The form's markup, its result pieces after it (compiled in: never page or ServiceNow data).
const MARKUP: &str = include_str!("../../extension/templates/task-form.html");

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(1) };
    static TEMPLATE: Markup = const { Markup::new(MARKUP) };
}

/// A clone of the piece `name` of the form's markup, translated.
fn piece(name: &str) -> Option<Element> {
    TEMPLATE.with(|t| t.piece(&dom::document()?, name))
}

/// A part the form cannot do without (the markup is ours: missing only if it was broken). One
/// lookup for every type: `template::part` per type would be one copy of it per type in the
/// module's wasm.
fn need<T: JsCast>(root: &Element, name: &str) -> Option<T> {
    template::part::<Element>(root, name)?.dyn_into().ok()
}

/// A listener that reaches the form while it lives. One shape for all of them (a plain `fn`, no
/// captures): one copy in the module's wasm rather than one per listener.
fn listen(
    inner: &Rc<Inner>,
    target: &web_sys::EventTarget,
    kind: &'static str,
    f: fn(&Rc<Inner>, &Event),
) -> Listener {
    let w = Rc::downgrade(inner);
    Listener::new(target, kind, move |e| {
        if let Some(i) = w.upgrade() {
            f(&i, &e);
        }
    })
}

/// The form's controls, bound by part.
struct Fields {
    dialog: Element,
    kind: HtmlSelectElement,
    priority: HtmlSelectElement,
    /// The template's priority options, in order: those of the chosen type are shown.
    priority_options: Vec<(Priority, Element)>,
    name: HtmlInputElement,
    counter: Element,
    description: HtmlTextAreaElement,
    due: HtmlInputElement,
    /// The due date written out in the form's language (the date input itself shows the
    /// browser's format, which may be another language's).
    due_day: Element,
    group: HtmlInputElement,
    group_list: Element,
    user_id: HtmlInputElement,
    errors: Vec<(FormField, Element, Element)>,
    /// The live container the notices are added to when they apply (an addition is announced;
    /// a notice merely unhidden might not be).
    notices: Element,
    duplicates: Element,
    duplicate_list: Element,
    connect_notice: Element,
    connect: Element,
    checking: Element,
    result: Element,
    error_live: Element,
    send: HtmlButtonElement,
    cancel: HtmlButtonElement,
}

impl Fields {
    fn bind(root: &Element) -> Option<Fields> {
        let priority: HtmlSelectElement = need(root, "priority")?;
        let priority_options = Priority::ALL
            .into_iter()
            .filter_map(|p| {
                let option = priority.query_selector(&format!("option[value=\"{}\"]", p.as_str()));
                Some((p, option.ok()??))
            })
            .collect();
        let control = |name: &str| need::<Element>(root, name);
        let error = |field, control_part: &str, error_part: &str| {
            Some((field, control(control_part)?, control(error_part)?))
        };
        Some(Fields {
            dialog: need(root, "dialog")?,
            kind: need(root, "kind")?,
            priority,
            priority_options,
            name: need(root, "name")?,
            counter: need(root, "counter")?,
            description: need(root, "description")?,
            due: need(root, "due")?,
            due_day: need(root, "due-day")?,
            group: need(root, "group")?,
            group_list: need(root, "group-list")?,
            user_id: need(root, "user")?,
            errors: vec![
                error(FormField::Name, "name", "error-name")?,
                error(FormField::Description, "description", "error-description")?,
                error(FormField::DueDate, "due", "error-due")?,
                error(FormField::Group, "group", "error-group")?,
                error(FormField::UserId, "user", "error-user")?,
            ],
            notices: need(root, "notices")?,
            duplicates: need(root, "duplicates")?,
            duplicate_list: need(root, "duplicate-list")?,
            connect_notice: need(root, "connect-notice")?,
            connect: need(root, "connect")?,
            checking: need(root, "checking")?,
            result: need(root, "result")?,
            error_live: need(root, "error-live")?,
            send: need(root, "send")?,
            cancel: need(root, "cancel")?,
        })
    }

    fn control(&self, field: FormField) -> Element {
        match field {
            FormField::Kind => self.kind.clone().into(),
            FormField::Priority => self.priority.clone().into(),
            FormField::Name => self.name.clone().into(),
            FormField::Description => self.description.clone().into(),
            FormField::DueDate => self.due.clone().into(),
            FormField::Group => self.group.clone().into(),
            FormField::UserId => self.user_id.clone().into(),
        }
    }

    /// Writes the state's values into the controls (on opening and when prefill arrives, never
    /// while the user types: the caret stays where it is).
    fn fill(&self, state: &FormState) {
        let d = state.draft();
        self.kind.set_value(d.kind.as_str());
        self.name.set_value(&d.name);
        self.description.set_value(&d.description);
        self.due.set_value(&d.due_date);
        self.group.set_value(state.group_text());
        self.user_id.set_value(&d.user_id);
        self.user_id.set_read_only(state.user_id_known());
    }

    /// The edit a control's `input` or `change` stands for.
    fn edit_from(&self, target: &Element) -> Option<Edit> {
        let is = |e: &Element| e == target;
        Some(if is(self.kind.as_ref()) {
            Edit::Kind(kind_from(&self.kind.value()))
        } else if is(self.priority.as_ref()) {
            Edit::Priority(priority_from(&self.priority.value()))
        } else if is(self.name.as_ref()) {
            Edit::Name(self.name.value())
        } else if is(self.description.as_ref()) {
            Edit::Description(self.description.value())
        } else if is(self.due.as_ref()) {
            Edit::DueDate(self.due.value())
        } else if is(self.group.as_ref()) {
            Edit::Group(self.group.value())
        } else if is(self.user_id.as_ref()) {
            Edit::UserId(self.user_id.value())
        } else {
            return None;
        })
    }
}

struct Inner {
    id: u32,
    /// The content script's: refreshes its ticket snapshot (a share settled).
    tickets_changed: js_sys::Function,
    /// The content script's: sets the action's status in the portal's own control (issue 18),
    /// `(action_id, status)` → whether it took.
    set_status: js_sys::Function,
    /// The page's name for "Planned" when the panel offered it as the form opened.
    planned_offer: Option<String>,
    root: ShadowRoot,
    f: Fields,
    key: String,
    share_id: String,
    /// The action's keys its open tickets are found under.
    lookup_keys: Vec<String>,
    state: RefCell<FormState>,
    saver: RefCell<Option<Debouncer>>,
    group_search: RefCell<Option<Debouncer>>,
    /// Handlers of buttons made with an answer (Retry); freed with the form.
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

impl TaskForm {
    pub fn id(&self) -> u32 {
        self.inner.id
    }

    /// The form's shadow root (tests): closed, so the page cannot get it from the host.
    pub fn root(&self) -> ShadowRoot {
        self.inner.root.clone()
    }

    /// What a person's click on Send does. For the tests, which run as a script and so cannot
    /// make the trusted click the form waits for.
    pub fn send_as_user(&self) {
        Inner::send(&self.inner);
    }

    /// Builds and shows the form; `None` when the page has no body.
    pub fn open(
        request: TaskFormRequest,
        tickets_changed: js_sys::Function,
        set_status: js_sys::Function,
    ) -> Option<TaskForm> {
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
        let source = RecommendationSource::of_action(action.as_ref().map(|a| a.id.as_str()));
        let category = action.as_ref().and_then(|a| a.category);
        let kind = request.kind.unwrap_or(defaults.kind);
        let state = FormState::new(
            TaskDraft {
                kind,
                name: action.as_ref().map(|a| a.title.clone()).unwrap_or_default(),
                description: action
                    .as_ref()
                    .map(|a| a.description.clone())
                    .unwrap_or_default(),
                priority: defaults.priority,
                due_date: default_due_date(today, defaults.due_in_days),
                // The page's account control, else the UPN it showed earlier on this tenant.
                user_id: request.user_id.clone().unwrap_or_default(),
                source,
                category,
                status: action.as_ref().and_then(|a| a.status),
                action_id: action.as_ref().map(|a| a.id.clone()),
                action_url: action.as_ref().map(|a| action_link(&a.id)),
                assignment_group: None,
                compliance: action
                    .as_ref()
                    .and_then(|a| a.compliance.clone())
                    .map(Box::new),
            },
            request.kind.is_some(),
        );

        // The portal's theme (light or dark) and the language the form is written in, which
        // can differ from the portal's when snshare lacks the portal's language.
        let (host, root) = form_host::create(
            &doc,
            form_host::TASK_HOST,
            &request.theme,
            &ui_lang(),
            form_host::FORM_CSS,
        )?;
        let overlay = piece("overlay")?;
        let f = Fields::bind(&overlay)?;
        let _ = root.append_child(&overlay);

        if let Some(a) = &action {
            if let Some(sub) = template::part::<Element>(&overlay, "subtitle") {
                sub.set_text_content(Some(&a.title));
                set(&sub, "title", &a.title);
                let _ = sub.remove_attribute("hidden");
            }
        }
        set(f.due.as_ref(), "min", &format_date(today));
        if let Some(src) = need::<HtmlInputElement>(&overlay, "source") {
            src.set_value(&t(&source.label_key()));
        }
        if let Some(cat) = need::<HtmlInputElement>(&overlay, "category") {
            cat.set_value(
                &category
                    .map(|c| t(&c.label_key()))
                    .unwrap_or_else(|| t("form_category_none")),
            );
        }
        f.fill(&state);

        let key = action
            .as_ref()
            .map(|a| action_key(&a.id))
            .unwrap_or_else(|| NEW_DRAFT_KEY.to_owned());
        let lookup_keys = duplicate_keys(
            action.as_ref().map(|a| a.id.clone()),
            action.as_ref().and(request.title_key),
        );
        let form: Element = need(&overlay, "form")?;
        let close: Element = need(&overlay, "close")?;
        let create_another: Element = need(&overlay, "create-another")?;
        let inner = Rc::new(Inner {
            id,
            tickets_changed,
            set_status,
            planned_offer: request.planned_offer,
            root: root.clone(),
            f,
            key,
            share_id: random_hex(8),
            lookup_keys,
            state: RefCell::new(state),
            saver: RefCell::new(None),
            group_search: RefCell::new(None),
            closures: RefCell::new(Vec::new()),
            return_focus: form_request::opener(&request.opener),
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

        let i = &inner;
        let mut listeners = vec![
            listen(i, form.as_ref(), "input", |i, e| i.on_input(e)),
            listen(i, form.as_ref(), "change", |i, e| i.on_input(e)),
            // `submit` itself is trusted even when a script called `requestSubmit()` or
            // `send.click()`; what counts is the click on Send that caused it.
            listen(i, form.as_ref(), "submit", |i, e| {
                e.prevent_default();
                if i.send_armed.replace(false) {
                    Inner::send(i);
                }
            }),
            listen(i, i.f.send.as_ref(), "click", |i, e| {
                if dom::by_user(e) {
                    i.send_armed.set(true);
                } else {
                    e.prevent_default();
                }
            }),
            listen(i, i.f.cancel.as_ref(), "click", |i, _| i.request_close()),
            listen(i, close.as_ref(), "click", |i, _| i.request_close()),
            listen(i, i.f.connect.as_ref(), "click", |_, e| {
                if dom::by_user(e) {
                    wire::open_page_now(ExtensionPage::Options);
                }
            }),
            // "Create another ticket" leads to a write: a person's click only.
            listen(i, create_another.as_ref(), "click", |i, e| {
                if dom::by_user(e) && !i.closed.get() {
                    let step = i.state.borrow_mut().allow_duplicate();
                    i.render();
                    i.apply(&step);
                }
            }),
            listen(i, i.f.dialog.as_ref(), "keydown", |i, e| i.on_keydown(e)),
            // Esc on a modal dialog is a "cancel": the form closes its own way (draft kept).
            listen(i, overlay.as_ref(), "cancel", |i, e| {
                e.prevent_default();
                i.request_close();
            }),
        ];
        // Keys typed in the form are not the portal's shortcuts.
        for kind in ["keydown", "keyup", "keypress"] {
            listeners.push(Listener::new(host.as_ref(), kind, |e| e.stop_propagation()));
        }
        // Back from the options page: the connection may exist now.
        if let Some(window) = web_sys::window() {
            listeners.push(listen(i, window.as_ref(), "focus", |i, _| {
                if i.state.borrow().phase() == Phase::NotConnected {
                    Inner::check_status(i, false);
                }
            }));
        }
        mount(&host, &body, inner.return_focus.as_ref());
        if let Some(d) = overlay.dyn_ref::<web_sys::HtmlDialogElement>() {
            if d.show_modal().is_err() {
                // Not connected or already open elsewhere: shown in place, still usable.
                set(&overlay, "open", "");
            }
        }
        inner.render();
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
                if let Some(target) = Self::return_target(target) {
                    dom::focus(&target);
                }
            });
        }
    }

    /// The opener, or the control of snshare's that replaced it when the portal redrew its row
    /// meanwhile (the same name): focus is not left on the page's body.
    fn return_target(opener: Element) -> Option<Element> {
        if connected(&opener) {
            return Some(opener);
        }
        let label = opener.get_attribute("aria-label")?;
        let root = dom::document()?.document_element()?;
        dom::all(&root, "[data-snshare-cmd]")
            .into_iter()
            .find(|e| e.get_attribute("aria-label").as_deref() == Some(label.as_str()))
    }
}

impl Inner {
    fn on_input(self: &Rc<Self>, e: &Event) {
        if self.closed.get() {
            return;
        }
        let Some(edit) = e
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| self.f.edit_from(&t))
        else {
            return;
        };
        // What Send said is stale once the user types (and its words stay next to the field).
        self.f.error_live.set_text_content(None);
        let search = self.state.borrow_mut().edit(edit);
        if search {
            if let Some(d) = self.group_search.borrow().as_ref() {
                d.trigger();
            }
        }
        self.render();
        if let Some(s) = self.saver.borrow().as_ref() {
            s.trigger();
        }
    }

    fn search_groups(this: &Rc<Self>) {
        let text = this.f.group.value();
        crate::search_groups(this, &text, |i, text, found| {
            if i.closed.get() {
                return;
            }
            i.state.borrow_mut().groups_answered(text, found);
            i.render_group_list();
            i.render();
        });
    }

    /// The groups found, as the group field's suggestions (their names as text).
    fn render_group_list(&self) {
        crate::show_groups(&self.f.group_list, self.state.borrow().groups_found());
    }

    fn save_draft(&self) {
        let draft = {
            let st = self.state.borrow();
            if !st.edited() {
                return;
            }
            st.draft().clone()
        };
        let key = self.key.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wire::save_draft(&key, draft).await;
        });
    }

    /// Shows the state: errors next to their fields, the counter, the priorities of the type,
    /// which of Send / Connect / the open tickets shows, and why Send would not send.
    fn render(&self) {
        let f = &self.f;
        let st = self.state.borrow();
        let today = today();
        for (field, control, slot) in &f.errors {
            let message = st.shown_error(*field, today).map(|k| t(&k));
            slot.set_text_content(message.as_deref());
            set(
                control,
                "aria-invalid",
                if message.is_some() { "true" } else { "false" },
            );
        }
        f.due_day
            .set_text_content(format_day(&st.draft().due_date).as_deref());
        let count = st.draft().name.chars().count();
        f.counter
            .set_text_content(Some(&format!("{count}/{TASK_NAME_MAX}")));
        let _ = f
            .counter
            .class_list()
            .toggle_with_force("over", count > TASK_NAME_MAX);

        let choices = st.priority_choices();
        let shown = f.priority.length() as usize;
        if shown != choices.len() {
            f.priority.set_text_content(None);
            for (p, option) in &f.priority_options {
                if choices.contains(p) {
                    append(f.priority.as_ref(), option);
                }
            }
        }
        f.priority.set_value(st.draft().priority.as_str());

        let phase = st.phase();
        // Once sent, the fields show what the ticket holds: they take no more typing, which
        // would be shown but never sent. Not while sending: locking them then made the frame
        // drawn after Send heavier, and the number ~3.7 ms later (issue 17); what is typed
        // then is kept in the draft, for a Retry.
        let locked = phase == Phase::Sent;
        f.user_id.set_read_only(locked || st.user_id_known());
        for text in [&f.name, &f.due, &f.group] {
            text.set_read_only(locked);
        }
        f.description.set_read_only(locked);
        f.kind.set_disabled(locked);
        f.priority.set_disabled(locked);
        let hide = |e: &Element, hidden: bool| {
            let _ = if hidden {
                e.set_attribute("hidden", "")
            } else {
                e.remove_attribute("hidden")
            };
        };
        for (notice, shown) in [
            (&f.connect_notice, phase == Phase::NotConnected),
            (&f.duplicates, phase == Phase::Duplicate),
        ] {
            let attached = notice.parent_node().is_some();
            if shown && !attached {
                append(&f.notices, notice);
            } else if !shown && attached {
                notice.remove();
            }
        }
        hide(&f.checking, phase != Phase::Checking);
        hide(
            f.send.as_ref(),
            matches!(phase, Phase::Sent | Phase::NotConnected | Phase::Duplicate),
        );
        // Sent: the header's Close is the one way out; nothing is left to cancel.
        hide(f.cancel.as_ref(), phase == Phase::Sent);
        // Never `disabled`: Send stays in the Tab order and, pressed, says why it waits.
        let blocked = st.blocker(today).is_some();
        set(
            f.send.as_ref(),
            "aria-disabled",
            if blocked { "true" } else { "false" },
        );
        set(
            f.send.as_ref(),
            "aria-busy",
            if phase == Phase::Sending {
                "true"
            } else {
                "false"
            },
        );
    }

    /// Where focus goes and what is announced after a step.
    fn apply(&self, step: &Step) {
        // A polite announcement is a notice `render` just added to its live container; an
        // urgent one (why Send did not send) is said in the assertive region.
        if let Some((key, true)) = &step.announce {
            // Emptied first: the same reason, pressed twice, is read twice.
            self.f.error_live.set_text_content(None);
            self.f.error_live.set_text_content(Some(&t(key)));
        }
        if let Some(focus) = step.focus {
            dom::focus(&self.focus_target(focus));
        }
    }

    /// The element `focus` stands for (the result region when it is missing).
    fn focus_target(&self, focus: Focus) -> Element {
        let target = match focus {
            Focus::Field(field) => Some(self.f.control(field)),
            Focus::Send => Some(self.f.send.clone().into()),
            Focus::TicketLink => dom::first(&self.f.result, "a[href]"),
            Focus::Result => None,
            Focus::Retry => template::part(&self.f.result, "retry"),
            Focus::Duplicates => Some(self.f.duplicates.clone()),
            Focus::Connect => Some(self.f.connect.clone()),
        };
        target.unwrap_or_else(|| self.f.result.clone())
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
        crate::close_task_if(self.id);
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
                let mut st = i.state.borrow_mut();
                let untouched = !st.edited();
                st.defaults_answered(&defaults, assignment_group, fallback.as_deref(), today());
                if untouched {
                    i.f.fill(&st);
                } else {
                    i.f.user_id.set_value(&st.draft().user_id);
                }
                drop(st);
                i.render_group_list();
                i.render();
            }
            drop(i);
            let draft = wire::get_draft(&key).await;
            let Some(i) = w.upgrade().filter(|i| !i.closed.get()) else {
                return;
            };
            if let Ok(Some(d)) = draft {
                let mut st = i.state.borrow_mut();
                if !st.edited() {
                    st.saved_draft_answered(d);
                    i.f.fill(&st);
                    drop(st);
                    i.render_group_list();
                    i.render();
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
            let connected = status.ok().map(|s| s != ConnectionState::NotConnected);
            let step = i.state.borrow_mut().connection_checked(connected, initial);
            i.render();
            i.apply(&step);
        });
    }

    /// Open tickets for the action (none to look for without an action).
    fn check_duplicates(this: &Rc<Self>) {
        let w = Rc::downgrade(this);
        let keys = this.lookup_keys.clone();
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
        let step = self.state.borrow_mut().duplicates_checked(found);
        self.render_duplicates();
        self.render();
        self.apply(&step);
    }

    /// A button's click handler, kept as long as the form; a click a script made is ignored
    /// (Retry leads to a write).
    fn on_click(self: &Rc<Self>, button: &Element, f: impl Fn(&Rc<Inner>) + 'static) {
        let w = Rc::downgrade(self);
        let cb = ClickHandler::new(move |e: Event| {
            if !dom::by_user(&e) {
                return;
            }
            if let Some(i) = w.upgrade().filter(|i| !i.closed.get()) {
                f(&i);
            }
        });
        let _ = button.add_event_listener_with_callback("click", cb.as_ref().unchecked_ref());
        self.closures.borrow_mut().push(cb);
    }

    /// The open tickets, one item each (number, state and name as text).
    fn render_duplicates(&self) {
        let Some(doc) = dom::document() else { return };
        let list = &self.f.duplicate_list;
        list.set_text_content(None);
        for tk in self.state.borrow().duplicates() {
            let Some(item) = piece("duplicate-item") else {
                continue;
            };
            if let Some(slot) = template::part::<Element>(&item, "link") {
                let _ = slot.replace_with_with_node_1(&ticket_node(&doc, tk));
            }
            for (part, text) in [("state", &tk.state_label), ("name", &tk.short_description)] {
                if let Some(e) = template::part::<Element>(&item, part) {
                    e.set_text_content(Some(text));
                }
            }
            append(list, &item);
        }
    }

    /// The result region's content; `alert` for a failure (read at once).
    fn show_result(&self, content: Option<Element>, alert: bool) {
        let r = &self.f.result;
        r.set_text_content(None);
        set(r, "role", if alert { "alert" } else { "status" });
        if let Some(c) = content {
            append(r, &c);
        }
    }

    /// Send pressed (or Retry): the state says whether to send, and if not why.
    fn send(this: &Rc<Self>) {
        if this.closed.get() {
            return;
        }
        let press = this.state.borrow_mut().press_send(today());
        let draft = match press {
            Press::Refused(step) => {
                this.render();
                this.apply(&step);
                return;
            }
            Press::Send(draft) => *draft,
        };
        this.render();
        this.show_result(piece("sending"), false);
        // Focus stays where it was (Send, or Retry about to be replaced): never the page.
        if this.root.active_element().is_none() {
            dom::focus(this.f.send.as_ref());
        }
        let request = ShareRequest {
            share_id: this.share_id.clone(),
            draft,
            allow_duplicate: this.state.borrow().duplicate_allowed(),
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
            i.on_outcome(outcome);
        });
    }

    fn on_outcome(self: &Rc<Self>, outcome: Result<ShareOutcome, String>) {
        let (answer, content, alert) = match outcome {
            Ok(ShareOutcome::Created { ticket, api }) => {
                let content = piece("created");
                if let (Some(c), Some(doc)) = (&content, dom::document()) {
                    if let Some(slot) = template::part::<Element>(c, "link") {
                        let _ = slot.replace_with_with_node_1(&ticket_node(&doc, &ticket));
                    }
                    if let Some(via) = template::part::<Element>(c, "via") {
                        let (key, name) = match api {
                            CreateApi::TableApi => ("form_created_via_table_api", "table"),
                            CreateApi::ChangeManagementApi => {
                                ("form_created_via_change_api", "change_management")
                            }
                        };
                        via.set_text_content(Some(&t(key)));
                        set(&via, "data-api", name);
                    }
                    // Issue 18: the action's status, set in the portal's own control on a click.
                    if let Some(b) = self.status_offer(&doc) {
                        append(c, &b);
                    }
                }
                (Outcome::Created, content, false)
            }
            Ok(ShareOutcome::Queued { reason, .. }) => {
                let content = piece("queued");
                if let Some(m) = content
                    .as_ref()
                    .and_then(|c| template::part::<Element>(c, "message"))
                {
                    m.set_text_content(Some(&present::diagnosis_text(&reason).0));
                }
                (Outcome::Queued, content, false)
            }
            Ok(ShareOutcome::Failed { diagnosis, .. }) => {
                let (message, fix) = present::diagnosis_text(&diagnosis);
                let content = self.failure(&t("form_failed"), &message, &fix.unwrap_or_default());
                (Outcome::Failed, content, true)
            }
            Ok(ShareOutcome::Invalid { errors }) => {
                (Outcome::Invalid(errors), piece("invalid"), true)
            }
            Ok(ShareOutcome::Duplicate { existing }) => (Outcome::Duplicate(existing), None, false),
            Ok(ShareOutcome::NotConnected) => (Outcome::NotConnected, None, false),
            Err(message) => {
                let content = self.failure(&t_with("form_worker_error", &[&message]), "", "");
                (Outcome::Failed, content, true)
            }
        };
        let sent = matches!(answer, Outcome::Created | Outcome::Queued);
        let step = self.state.borrow_mut().share_answered(answer);
        // The number (or what went wrong) first: it is what the person waits for. The draft's
        // deletion or save and the cards' refresh are messages of their own, started after it.
        if !self.closed.get() {
            self.show_result(content, alert);
            self.render_duplicates();
            // Focus moves before `render` when its target is already in the form (the number,
            // Retry, a field): Send, hidden while focused, would be blurred inside that
            // `setAttribute`, the whole page's style and layout forced there, and forced again
            // by the focus moved after it (issue 17: the number's drawing). `blur()` forces
            // them too: focus goes straight to where it belongs.
            let early = step.focus.map(|f| self.focus_target(f)).filter(connected);
            if let Some(target) = &early {
                dom::focus(target);
            }
            self.render();
            self.apply(&Step {
                focus: step.focus.filter(|_| early.is_none()),
                ..step
            });
        }
        if sent {
            self.forget_draft();
        } else {
            // Kept until a ticket exists, even if the form is closed meanwhile.
            self.save_draft();
        }
        let _ = self.tickets_changed.call0(&JsValue::NULL);
    }

    /// A failure in words, the fix, and Retry (same share id: never two tickets for one click).
    fn failure(self: &Rc<Self>, headline: &str, message: &str, fix: &str) -> Option<Element> {
        let content = piece("failure")?;
        for (part, text) in [("headline", headline), ("message", message), ("fix", fix)] {
            if let Some(e) = template::part::<Element>(&content, part) {
                e.set_text_content(Some(text));
            }
        }
        for (part, empty) in [
            ("message", message.is_empty()),
            ("fix-line", fix.is_empty()),
        ] {
            if let Some(e) = template::part::<Element>(&content, part).filter(|_| empty) {
                e.remove();
            }
        }
        if let Some(retry) = template::part::<Element>(&content, "retry") {
            self.on_click(&retry, Inner::send);
        }
        Some(content)
    }

    /// "Set status to Planned" (the page's name for it), when the panel offered it as the form
    /// opened: a person's click has the content script choose it in the portal's own control,
    /// and the offer then says it is set.
    fn status_offer(self: &Rc<Self>, doc: &web_sys::Document) -> Option<Element> {
        let name = self.planned_offer.clone()?;
        let action = self.state.borrow().draft().action_id.clone()?;
        let button = dom::el(
            doc,
            "button",
            "snshare-btn",
            &t_with("bulk_set_status", &[&name]),
        );
        set(&button, "type", "button");
        let target = button.clone();
        self.on_click(&button, move |i| {
            let status = JsValue::from_str(ActionStatus::Planned.as_str());
            let took = i
                .set_status
                .call2(&JsValue::NULL, &JsValue::from_str(&action), &status)
                .is_ok_and(|v| v.is_truthy());
            if took {
                target.set_text_content(Some(&t_with("bulk_status_set", &[&name])));
                set(&target, "disabled", "");
            }
        });
        Some(button)
    }

    fn forget_draft(&self) {
        let key = self.key.clone();
        if let Some(s) = self.saver.borrow().as_ref() {
            s.take_pending();
        }
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wire::delete_draft(&key).await;
        });
    }
}

/// In the page (a node the portal removed is not).
fn connected(e: &Element) -> bool {
    e.unchecked_ref::<web_sys::Node>().is_connected()
}
