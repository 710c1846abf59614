//! The bulk share form (issue 18): what the tickets share (type, priority, due date, a header
//! for the descriptions, the assignment group), the selected actions, and those with an open
//! ticket (each with a checkbox: skipped unless ticked). Send (a person's click only) hands the
//! whole bulk to the worker (`ShareBulk`), which writes every share to the outbox before it
//! sends any; the form then reads the bulk's progress (`GetBulk`) until every item settled, and
//! shows a summary with a link per ticket and Retry for what failed.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::{Element, Event, HtmlInputElement, ShadowRoot};

use crate::dom::{self, append, set, Debouncer, Listener};
use crate::domain::bulk::{description, BulkItem, BulkItemState, BulkView};
use crate::domain::correlation::matches_action;
use crate::domain::draft::{default_due_date, format_date, TaskDraft, TASK_NAME_MAX};
use crate::domain::settings::RecordRef;
use crate::domain::ticket::{Priority, RecommendationSource, TicketKind, TicketSummary};
use crate::form_request::{self, BulkFormRequest, Picked};
use crate::messages::{BulkShareRequest, RequestBody};
use crate::platform::i18n::ui_lang;
use crate::platform::present::{action_link, description_from_row, ticket_node};
use crate::platform::template::Markup;
use crate::platform::{form_host, present, random_hex, t, t_with, template, today};
use crate::wire;

/// How often the form reads the bulk's progress while items are pending.
const POLL_MS: i32 = 700;

const MARKUP: &str = include_str!("../../extension/templates/bulk.html");

/// What the bulk form adds to the forms' sheet.
const BULK_CSS: &str = ".bulk-list{margin:4px 0;padding-left:18px;max-height:9em;overflow:auto;font-size:13px}progress{width:100%}.label{margin:0;font-weight:600}";

thread_local! {
    static TEMPLATE: Markup = const { Markup::new(MARKUP) };
}

fn piece(name: &str) -> Option<Element> {
    TEMPLATE.with(|t| t.piece(&dom::document()?, name))
}

fn part(root: &Element, name: &str) -> Option<Element> {
    template::part::<Element>(root, name)
}

/// The bulk form: the shared fields, the actions, then progress and the summary.
pub struct BulkForm {
    inner: Rc<Inner>,
    host: Element,
    _listeners: Vec<Listener>,
}

struct Inner {
    /// The content script's: refreshes its ticket snapshot.
    tickets_changed: js_sys::Function,
    /// The signed-in UPN the page showed.
    user_id: Option<String>,
    overlay: Element,
    picked: Vec<Picked>,
    /// Action key → its open tickets (the one lookup when the form opened).
    open: RefCell<HashMap<String, Vec<TicketSummary>>>,
    /// The checkboxes of the actions with an open ticket, by key.
    ticks: RefCell<Vec<(String, HtmlInputElement)>>,
    checked: Cell<bool>,
    bulk_id: String,
    fallback_user: RefCell<Option<String>>,
    default_group: RefCell<Option<RecordRef>>,
    groups_found: RefCell<Vec<RecordRef>>,
    group_search: RefCell<Option<Debouncer>>,
    sent: Cell<bool>,
    /// Actions left out at Send (an open ticket, not ticked): the summary counts them.
    skipped: Cell<usize>,
    closed: Cell<bool>,
    return_focus: Option<Element>,
    /// The summary's Retry (replaced with the summary).
    retry: RefCell<Option<Listener>>,
}

impl BulkForm {
    /// Builds and shows the form; `None` when the page has no body.
    pub fn open(request: BulkFormRequest, tickets_changed: js_sys::Function) -> Option<BulkForm> {
        let BulkFormRequest {
            picked,
            user_id,
            theme,
            opener,
            ..
        } = request;
        let doc = dom::document()?;
        let body = doc.body()?;
        let css = format!("{}{BULK_CSS}", form_host::FORM_CSS);
        let (host, root) = form_host::create(&doc, form_host::BULK_HOST, &theme, &ui_lang(), &css)?;
        let overlay = piece("overlay")?;
        let _ = root.append_child(&overlay);
        if let Some(title) = part(&overlay, "title") {
            title.set_text_content(Some(&t_with("bulk_title", &[&picked.len().to_string()])));
        }
        let today = today();
        if let Some(due) = part(&overlay, "due") {
            set(&due, "min", &format_date(today));
            dom::set_value(&due, &default_due_date(today, 14));
        }
        let inner = Rc::new(Inner {
            tickets_changed,
            user_id,
            overlay: overlay.clone(),
            picked,
            open: RefCell::new(HashMap::new()),
            ticks: RefCell::new(Vec::new()),
            checked: Cell::new(false),
            bulk_id: random_hex(8),
            fallback_user: RefCell::new(None),
            default_group: RefCell::new(None),
            groups_found: RefCell::new(Vec::new()),
            group_search: RefCell::new(None),
            sent: Cell::new(false),
            skipped: Cell::new(0),
            closed: Cell::new(false),
            return_focus: form_request::opener(&opener),
            retry: RefCell::new(None),
        });
        let w = Rc::downgrade(&inner);
        *inner.group_search.borrow_mut() = Some(Debouncer::new(250, move || {
            if let Some(i) = w.upgrade() {
                Inner::search_groups(&i);
            }
        }));
        let mut listeners = Vec::new();
        let on = |name: &str, kind: &'static str, f: fn(&Rc<Inner>, &Event)| {
            let w = Rc::downgrade(&inner);
            part(&overlay, name).map(|e| {
                Listener::new(e.as_ref(), kind, move |ev| {
                    if let Some(i) = w.upgrade() {
                        f(&i, &ev);
                    }
                })
            })
        };
        listeners.extend(on("form", "submit", |i, e| {
            e.prevent_default();
            // `submit` is trusted even when a script called `requestSubmit()`: the click on
            // Send that caused it is what counts (see the `send` listener below).
            if i.overlay.get_attribute("data-armed").is_some() {
                let _ = i.overlay.remove_attribute("data-armed");
                Inner::send(i);
            }
        }));
        listeners.extend(on("send", "click", |i, e| {
            if dom::by_user(e) {
                set(&i.overlay, "data-armed", "");
            } else {
                e.prevent_default();
            }
        }));
        listeners.extend(on("cancel", "click", |i, _| i.close_request()));
        listeners.extend(on("close", "click", |i, _| i.close_request()));
        listeners.extend(on("overlay", "cancel", |i, e| {
            e.prevent_default();
            i.close_request();
        }));
        listeners.extend(on("open-list", "change", |i, _| i.render_send()));
        listeners.extend(on("group", "input", |i, _| {
            if let Some(d) = i.group_search.borrow().as_ref() {
                d.trigger();
            }
        }));
        // Keys typed in the form are not the portal's shortcuts.
        for kind in ["keydown", "keyup", "keypress"] {
            listeners.push(Listener::new(host.as_ref(), kind, |e| e.stop_propagation()));
        }
        let _ = body.append_child(&host);
        if let Some(d) = overlay.dyn_ref::<web_sys::HtmlDialogElement>() {
            if d.show_modal().is_err() {
                set(&overlay, "open", "");
            }
        }
        inner.render_actions();
        if let Some(k) = part(&overlay, "kind") {
            dom::focus(&k);
        }
        Inner::load(&inner);
        Some(BulkForm {
            inner,
            host,
            _listeners: listeners,
        })
    }

    /// Removes the form; a bulk already sent goes on in the worker's outbox.
    pub fn close(&self) {
        if !self.inner.closed.get() {
            self.inner.close_request();
        }
        self.host.remove();
    }
}

impl Inner {
    fn value(&self, name: &str) -> String {
        part(&self.overlay, name)
            .map(|e| dom::value_of(&e))
            .unwrap_or_default()
    }

    /// Closes the form; the bulk goes on in the worker's outbox.
    fn close_request(&self) {
        if self.closed.replace(true) {
            return;
        }
        if let Some(host) = self
            .overlay
            .get_root_node()
            .dyn_ref::<ShadowRoot>()
            .map(ShadowRoot::host)
        {
            host.remove();
        }
        if let Some(f) = self.return_focus.clone() {
            dom::after(0, move || dom::focus(&f));
        }
    }

    /// The options' defaults and the open tickets of all the actions (one lookup).
    fn load(this: &Rc<Self>) {
        let w = Rc::downgrade(this);
        let keys: Vec<String> = this.picked.iter().map(|p| p.key.clone()).collect();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(s) = wire::settings().await {
                let Some(i) = w.upgrade().filter(|i| !i.closed.get()) else {
                    return;
                };
                if let Some(k) = part(&i.overlay, "kind") {
                    dom::set_value(&k, s.defaults.kind.as_str());
                }
                if let Some(p) = part(&i.overlay, "priority") {
                    let p_value = match s.defaults.priority {
                        Priority::Planning => Priority::Low,
                        other => other,
                    };
                    dom::set_value(&p, p_value.as_str());
                }
                if let Some(d) = part(&i.overlay, "due") {
                    dom::set_value(&d, &default_due_date(today(), s.defaults.due_in_days));
                }
                if let (Some(g), Some(group)) = (part(&i.overlay, "group"), &s.assignment_group) {
                    dom::set_value(&g, &group.name);
                }
                *i.default_group.borrow_mut() = s.assignment_group;
                *i.fallback_user.borrow_mut() = s.fallback_user_id;
            }
            let found = wire::find_open_tickets_bulk(keys.clone()).await;
            let Some(i) = w.upgrade().filter(|i| !i.closed.get()) else {
                return;
            };
            let found = found.unwrap_or_default();
            let open: HashMap<String, Vec<TicketSummary>> = keys
                .iter()
                .map(|k| {
                    let mine: Vec<TicketSummary> = found
                        .iter()
                        .filter(|t| matches_action(&t.correlation_id, k))
                        .cloned()
                        .collect();
                    (k.clone(), mine)
                })
                .filter(|(_, t)| !t.is_empty())
                .collect();
            *i.open.borrow_mut() = open;
            i.checked.set(true);
            i.render_actions();
        });
    }

    fn search_groups(this: &Rc<Self>) {
        crate::search_groups(this, &this.value("group"), |i, _, found| {
            if i.closed.get() {
                return;
            }
            if let Some(list) = part(&i.overlay, "group-list") {
                crate::show_groups(&list, &found);
            }
            *i.groups_found.borrow_mut() = found;
        });
    }

    /// The actions to share, and those with an open ticket (each with its checkbox).
    fn render_actions(&self) {
        let open = self.open.borrow();
        if let Some(list) = part(&self.overlay, "actions") {
            list.set_text_content(None);
            for p in self.picked.iter().filter(|p| !open.contains_key(&p.key)) {
                if let Some(li) = piece("action-item") {
                    li.set_text_content(Some(&p.title));
                    append(&list, &li);
                }
            }
        }
        let mut ticks = Vec::new();
        if let (Some(list), Some(doc)) = (part(&self.overlay, "open-list"), dom::document()) {
            list.set_text_content(None);
            for p in self.picked.iter() {
                let Some(existing) = open.get(&p.key) else {
                    continue;
                };
                let Some(li) = piece("open-item") else {
                    continue;
                };
                if let Some(n) = part(&li, "name") {
                    n.set_text_content(Some(&p.title));
                }
                if let Some(slot) = part(&li, "tickets") {
                    for tk in existing {
                        append(&slot, &ticket_node(&doc, tk));
                    }
                }
                if let Some(tick) = part(&li, "tick").and_then(|e| e.dyn_into().ok()) {
                    ticks.push((p.key.clone(), tick));
                }
                append(&list, &li);
            }
        }
        *self.ticks.borrow_mut() = ticks;
        if let Some(n) = part(&self.overlay, "open") {
            dom::toggle_attr(&n, "hidden", open.is_empty());
        }
        if let Some(c) = part(&self.overlay, "checking") {
            dom::toggle_attr(&c, "hidden", self.checked.get());
        }
        drop(open);
        self.render_send();
    }

    /// The actions Send would share: those without an open ticket, and the ticked ones.
    fn chosen(&self) -> Vec<(Picked, bool)> {
        let open = self.open.borrow();
        let ticks = self.ticks.borrow();
        self.picked
            .iter()
            .filter_map(|p| {
                if !open.contains_key(&p.key) {
                    return Some((p.clone(), false));
                }
                let ticked = ticks.iter().any(|(k, b)| k == &p.key && b.checked());
                ticked.then(|| (p.clone(), true))
            })
            .collect()
    }

    fn render_send(&self) {
        let n = self.chosen().len().to_string();
        if let Some(s) = part(&self.overlay, "to-share") {
            s.set_text_content(Some(&t_with("bulk_to_share", &[&n])));
        }
        if let Some(b) = part(&self.overlay, "send") {
            b.set_text_content(Some(&t_with("bulk_send", &[&n])));
            dom::toggle_attr(&b, "hidden", self.sent.get());
        }
    }

    fn group(&self) -> Option<RecordRef> {
        let name = self.value("group");
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        let default = self.default_group.borrow().clone();
        default.filter(|g| g.name == name).or_else(|| {
            self.groups_found
                .borrow()
                .iter()
                .find(|g| g.name == name)
                .cloned()
        })
    }

    /// Send: one share per chosen action, all to the worker at once.
    fn send(this: &Rc<Self>) {
        if this.sent.get() || this.closed.get() || !this.checked.get() {
            return;
        }
        let chosen = this.chosen();
        if chosen.is_empty() {
            return;
        }
        let kind: TicketKind = this.value("kind").parse().unwrap_or(TicketKind::Incident);
        let priority: Priority = this.value("priority").parse().unwrap_or(Priority::Moderate);
        let due_date = this.value("due");
        let header = this.value("header");
        let user_id = this
            .user_id
            .clone()
            .or_else(|| this.fallback_user.borrow().clone())
            .unwrap_or_default();
        let group = this.group();
        this.skipped.set(this.picked.len() - chosen.len());
        let items = chosen
            .into_iter()
            .enumerate()
            .map(|(n, (p, ticked))| {
                let link = action_link(&p.key);
                BulkItem {
                    share_id: format!("{}{n}", this.bulk_id),
                    draft: TaskDraft {
                        kind,
                        name: p.title.chars().take(TASK_NAME_MAX).collect(),
                        description: description(&header, &description_from_row(&p.title, &link)),
                        priority,
                        due_date: due_date.clone(),
                        user_id: user_id.clone(),
                        source: RecommendationSource::Microsoft,
                        category: p.category,
                        status: p.status,
                        action_id: Some(p.key.clone()),
                        action_url: Some(link),
                        assignment_group: group.clone(),
                        // Bulk share is Secure Score's list only.
                        compliance: None,
                    },
                    allow_duplicate: ticked,
                }
            })
            .collect();
        this.sent.set(true);
        this.render_send();
        let body = RequestBody::ShareBulk(BulkShareRequest {
            bulk_id: this.bulk_id.clone(),
            items,
        });
        Inner::track(this, body);
    }

    /// Sends `body` (a bulk, a Retry or a progress read) and shows the answer; reads again
    /// while items are pending.
    fn track(this: &Rc<Self>, body: RequestBody) {
        let w = Rc::downgrade(this);
        wasm_bindgen_futures::spawn_local(async move {
            let answer = wire::bulk(body).await;
            let Some(i) = w.upgrade() else { return };
            let finished = match &answer {
                Ok(v) => v.finished(),
                Err(_) => true,
            };
            if finished {
                let _ = i.tickets_changed.call0(&JsValue::NULL);
            }
            if i.closed.get() {
                return;
            }
            match answer {
                Ok(view) => i.show(&view),
                Err(message) => i.show_error(&message),
            }
            if !finished {
                let w = Rc::downgrade(&i);
                let bulk_id = i.bulk_id.clone();
                dom::after(POLL_MS, move || {
                    if let Some(i) = w.upgrade().filter(|i| !i.closed.get()) {
                        Inner::track(&i, RequestBody::GetBulk { bulk_id });
                    }
                });
            }
        });
    }

    fn result(&self, content: Option<Element>) {
        if let Some(r) = part(&self.overlay, "result") {
            r.set_text_content(None);
            if let Some(c) = content {
                append(&r, &c);
            }
        }
    }

    fn show_error(self: &Rc<Self>, message: &str) {
        let Some(doc) = dom::document() else { return };
        let p = dom::el(&doc, "p", "fail", &t_with("form_worker_error", &[message]));
        self.result(Some(p));
        // Nothing was queued: Send again is the way out.
        self.sent.set(false);
        self.render_send();
    }

    /// Progress while items are pending; the summary once every item settled.
    fn show(self: &Rc<Self>, view: &BulkView) {
        let c = view.counts();
        let to_go = c.total - c.skipped;
        if !view.finished() {
            let Some(p) = piece("progress") else { return };
            if let Some(bar) = part(&p, "bar") {
                set(&bar, "max", &to_go.max(1).to_string());
                set(&bar, "value", &(c.created + c.failed).to_string());
                set(&bar, "aria-label", &t("bulk_progress_label"));
            }
            if let Some(l) = part(&p, "label") {
                l.set_text_content(Some(&t_with(
                    "bulk_progress",
                    &[&c.created.to_string(), &to_go.to_string()],
                )));
            }
            self.result(Some(p));
            return;
        }
        let (Some(s), Some(doc)) = (piece("summary"), dom::document()) else {
            return;
        };
        if let Some(h) = part(&s, "headline") {
            let skipped = c.skipped + self.skipped.get();
            h.set_text_content(Some(&t_with(
                "bulk_done",
                &[&c.created.to_string(), &skipped.to_string()],
            )));
        }
        let created = part(&s, "created-list");
        let failed = part(&s, "failed-list");
        for item in &view.items {
            match &item.state {
                BulkItemState::Created { ticket } => {
                    if let (Some(list), Some(li)) = (&created, piece("created-item")) {
                        if let Some(slot) = part(&li, "link") {
                            let _ = slot.replace_with_with_node_1(&ticket_node(&doc, ticket));
                        }
                        if let Some(n) = part(&li, "name") {
                            n.set_text_content(Some(&item.name));
                        }
                        append(list, &li);
                    }
                }
                BulkItemState::Failed { diagnosis } => {
                    let reason = present::diagnosis_text(diagnosis).0;
                    self.failed_item(&failed, &item.name, &reason);
                }
                BulkItemState::Invalid { errors } => {
                    let reason = errors
                        .iter()
                        .map(|e| t(&e.message_key))
                        .collect::<Vec<_>>()
                        .join(" ");
                    self.failed_item(&failed, &item.name, &reason);
                }
                _ => {}
            }
        }
        if let Some(f) = part(&s, "failures") {
            dom::toggle_attr(&f, "hidden", c.failed == 0);
        }
        if let Some(retry) = part(&s, "retry") {
            let w = Rc::downgrade(self);
            let bulk_id = self.bulk_id.clone();
            let l = Listener::new(retry.as_ref(), "click", move |e| {
                if !dom::by_user(&e) {
                    return;
                }
                if let Some(i) = w.upgrade().filter(|i| !i.closed.get()) {
                    Inner::track(
                        &i,
                        RequestBody::RetryBulk {
                            bulk_id: bulk_id.clone(),
                        },
                    );
                }
            });
            *self.retry.borrow_mut() = Some(l);
        }
        self.result(Some(s));
    }

    fn failed_item(&self, list: &Option<Element>, name: &str, reason: &str) {
        if let (Some(list), Some(li)) = (list, piece("failed-item")) {
            if let Some(n) = part(&li, "name") {
                n.set_text_content(Some(name));
            }
            if let Some(r) = part(&li, "reason") {
                r.set_text_content(Some(reason));
            }
            append(list, &li);
        }
    }
}
