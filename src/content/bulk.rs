//! Bulk share (issue 18) on the Recommended actions list: select several actions, "Share N to
//! ServiceNow", one form for what the tickets share, one ticket per action through the outbox,
//! a progress bar, and a summary with a link per ticket and Retry for what failed.
//!
//! Selection: the portal's own row selection where the list has it (Fluent's `DetailsList`
//! marks a selected row `aria-selected="true"` and checks its row checkbox, `role="checkbox"`
//! with `aria-checked`), read after each of the person's clicks and keys and for the
//! rows a batch touched; else snshare's own checkbox before each row's share slot. Either way
//! the selection is kept by action key, so a recycled row shows the right state and rows that
//! scrolled away stay selected.
//!
//! The form asks the worker once for the open tickets of all the actions
//! (`FindOpenTicketsBulk`): those actions are listed with a checkbox each and skipped unless
//! the user ticks them. Send (a person's click only) hands the whole bulk to the worker
//! (`ShareBulk`), which writes every share to the outbox before it sends any: closing the tab
//! or the browser loses nothing. The form then reads the bulk's progress (`GetBulk`) until
//! every item settled.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlInputElement, ShadowRoot, ShadowRootInit};

use super::app::Ctx;
use super::dom::{self, append, set, Debouncer, Listener, OWN_ATTR};
use super::row_share::{SLOT_ATTR, SLOT_SELECTOR};
use super::scheduler::{Batch, Feature, FeatureDef};
use super::selectors::{ColumnMap, Row};
use super::task_form::{description_from_row, link_to, shadow_mode, ticket_link};
use super::{bulk_status, selectors, styles, tickets, wire};
use crate::domain::action_status::ActionStatus;
use crate::domain::action_title::title_key;
use crate::domain::bulk::{description, BulkItem, BulkItemState, BulkView};
use crate::domain::correlation::matches_action;
use crate::domain::draft::{default_due_date, format_date, TaskDraft, TASK_NAME_MAX};
use crate::domain::portal_url::PortalPage;
use crate::domain::settings::RecordRef;
use crate::domain::ticket::{Category, Priority, RecommendationSource, TicketKind, TicketSummary};
use crate::messages::{BulkShareRequest, RequestBody};
use crate::platform::i18n::ui_lang;
use crate::platform::template::Markup;
use crate::platform::{present, random_hex, t, t_with, template, today};

pub const DEF: FeatureDef = FeatureDef { applies, init };

/// On snshare's own row checkbox: the action key it selects.
const PICK_ATTR: &str = "data-snshare-pick";
const PICK_SELECTOR: &str = "[data-snshare-pick]";
/// The portal's own selection in a row (Fluent `DetailsRow`): its check, or the row's state.
const PORTAL_CHECK: &str = "[role=\"checkbox\"], input[type=\"checkbox\"]";
/// How often the form reads the bulk's progress while items are pending.
const POLL_MS: i32 = 700;

const MARKUP: &str = include_str!("../../extension/templates/bulk.html");
/// The panel's badges (drawn by `badges`).
const PANEL_BADGES: &str = "[data-snshare=\"panel-badges\"]";

/// What the bulk form adds to the task form's sheet.
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

fn applies(page: &PortalPage) -> bool {
    matches!(
        page,
        PortalPage::RecommendedActions | PortalPage::ActionDetail { .. }
    )
}

/// A selected action, as its row showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub key: String,
    pub title: String,
    pub category: Option<Category>,
    pub status: Option<ActionStatus>,
}

struct Shared {
    ctx: Weak<Ctx>,
    picked: RefCell<Vec<Picked>>,
    /// The list has the portal's own row selection.
    portal_mode: Cell<bool>,
    bar: Option<Element>,
    form: RefCell<Option<BulkForm>>,
}

struct Bulk {
    shared: Rc<Shared>,
    _listeners: Vec<Listener>,
}

fn init(ctx: &Rc<Ctx>, _page: &PortalPage) -> Box<dyn Feature> {
    let bar = dom::document().and_then(|doc| {
        let bar = piece_bar(&doc)?;
        if let Some(b) = doc.body() {
            append(&b, &bar);
        }
        Some(bar)
    });
    let shared = Rc::new(Shared {
        ctx: Rc::downgrade(ctx),
        picked: RefCell::new(Vec::new()),
        portal_mode: Cell::new(false),
        bar,
        form: RefCell::new(None),
    });
    let mut listeners = Vec::new();
    if let Some(w) = web_sys::window() {
        // After the portal handled a click or a key (bubble phase, next task): read its selection.
        for kind in ["click", "keyup"] {
            let s = Rc::downgrade(&shared);
            listeners.push(Listener::new(w.as_ref(), kind, move |_| {
                let s = s.clone();
                dom::after(0, move || {
                    if let Some(s) = s.upgrade() {
                        s.read_portal_selection();
                    }
                });
            }));
        }
        // Our own checkbox: the row's handlers never see its click; its change is the selection.
        // The panel's status offers (`bulk_status`) are one delegated listener too.
        listeners.push(Listener::with_capture(w.as_ref(), "click", true, |e| {
            if target(&e).is_some_and(|t| dom::matches_i(&t, PICK_SELECTOR)) {
                e.stop_propagation();
            }
            bulk_status::on_click(&e);
        }));
        let s = Rc::downgrade(&shared);
        listeners.push(Listener::with_capture(
            w.as_ref(),
            "change",
            true,
            move |e| {
                let (Some(s), Some(t)) = (s.upgrade(), target(&e)) else {
                    return;
                };
                if dom::matches_i(&t, PICK_SELECTOR) {
                    e.stop_propagation();
                    let on = t.dyn_ref::<HtmlInputElement>().is_some_and(|i| i.checked());
                    if let Some(p) = selectors::row_of(&t)
                        .and_then(|r| s.columns().and_then(|m| s.row_pick(&m, &Row::new(r))))
                    {
                        s.set_picked(p, on);
                    }
                }
            },
        ));
        if let Some(button) = shared.bar.as_ref().and_then(|b| part(b, "share")) {
            let s = Rc::downgrade(&shared);
            listeners.push(Listener::new(button.as_ref(), "click", move |e| {
                if let (true, Some(s)) = (dom::by_user(&e), s.upgrade()) {
                    s.open_form();
                }
            }));
        }
    }
    Box::new(Bulk {
        shared,
        _listeners: listeners,
    })
}

fn target(e: &Event) -> Option<Element> {
    e.target().and_then(|t| t.dyn_into::<Element>().ok())
}

/// The bar that appears with a selection: "N actions selected", "Share N to ServiceNow".
fn piece_bar(doc: &web_sys::Document) -> Option<Element> {
    let bar = dom::el(doc, "div", "snshare-bulkbar", "");
    set(&bar, OWN_ATTR, "bulk-bar");
    set(&bar, "role", "region");
    set(&bar, "aria-label", &t("bulk_region"));
    set(&bar, "hidden", "");
    let text = dom::el(doc, "span", "", "");
    set(&text, "data-part", "count");
    let button = dom::el(doc, "button", "snshare-btn snshare-btn-primary", "");
    set(&button, "type", "button");
    set(&button, "data-part", "share");
    append(&bar, &text);
    append(&bar, &button);
    Some(bar)
}

impl Feature for Bulk {
    fn on_batch(&mut self, ctx: &Rc<Ctx>, batch: &Batch) {
        panel_offer(ctx, batch);
        let rows = if batch.initial || batch.tickets_changed || batch.rows_rebound.get() {
            batch.all_rows(ctx)
        } else {
            batch.touched_rows(ctx)
        };
        if rows.is_empty() {
            return;
        }
        let s = &self.shared;
        // The batch's column map and rows: each row's action and cells read once for every
        // feature.
        let map = batch.columns(ctx);
        if let Some(map) = map {
            note_statuses(ctx, map, rows);
        }
        if !s.portal_mode.get() && rows.iter().any(|r| has_portal_selection(&r.el)) {
            s.portal_mode.set(true);
            if let Some(root) = dom::document().and_then(|d| d.document_element()) {
                dom::remove_all(&root, PICK_SELECTOR);
            }
        }
        if let Some(map) = map {
            for row in rows {
                if s.portal_mode.get() {
                    s.read_row(map, row);
                } else {
                    s.bind_pick(map, row);
                }
            }
        }
        s.render_bar();
    }
}

/// The status column of the rows passing by, for the cards (issue 18): one cell per row,
/// nothing where the list shows no status column.
fn note_statuses(ctx: &Ctx, map: &ColumnMap, rows: &[Row]) {
    let Some(col) = map.status.as_ref() else {
        return;
    };
    for row in rows {
        let status = row
            .cell(col)
            .and_then(|c| selectors::status_in_place(&selectors::readable_text(c)));
        let (Some(status), Some(action)) = (status, row.action(map)) else {
            continue;
        };
        let key = ctx.resolve(action.action_id.as_deref(), &action.title).key;
        super::cards::note_status(&key, status);
    }
}

/// On an action's panel whose ticket is resolved or closed: the offer of the matching status
/// (`bulk_status`), next to the panel's badges once both they and the status control are there.
fn panel_offer(ctx: &Rc<Ctx>, batch: &Batch) {
    let Some(href) = web_sys::window().and_then(|w| w.location().href().ok()) else {
        return;
    };
    let Some(page) = PortalPage::from_url(&href) else {
        return;
    };
    let Some(action_id) = page.action_id() else {
        return;
    };
    let Some(panel) = ctx.panel(batch.structure || batch.initial).0 else {
        return;
    };
    let Some(holder) = dom::first(&panel, PANEL_BADGES) else {
        return;
    };
    if dom::first(&holder, bulk_status::CMD_SELECTOR).is_some() {
        return;
    }
    let title_key = title_key(&selectors::panel_title(&panel));
    let status = {
        let store = ctx.tickets.borrow();
        [Some(action_id), title_key.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|k| store.for_action(k))
            .and_then(|info| bulk_status::follow_up(&info.shown))
    };
    let (Some(status), Some(doc)) = (status, dom::document()) else {
        return;
    };
    if let Some(offer) = bulk_status::offer(&doc, &panel, status) {
        append(&holder, &offer);
    }
}

/// Whether a row carries the portal's own selection (not snshare's checkbox).
fn has_portal_selection(row: &Element) -> bool {
    dom::has_attr_i(row, "aria-selected")
        || dom::all(row, PORTAL_CHECK).iter().any(|c| !dom::is_ours(c))
}

/// Whether the portal shows the row selected.
fn portal_selected(row: &Element) -> bool {
    dom::attr_i(row, "aria-selected").as_deref() == Some("true")
        || dom::all(row, PORTAL_CHECK).iter().any(|c| {
            !dom::is_ours(c)
                && (dom::attr_i(c, "aria-checked").as_deref() == Some("true")
                    || c.dyn_ref::<HtmlInputElement>().is_some_and(|i| i.checked()))
        })
}

impl Shared {
    /// The list's column map, for a row outside a batch (a click on snshare's checkbox).
    fn columns(&self) -> Option<ColumnMap> {
        let list = self.ctx.upgrade()?.list(false).0?;
        Some(selectors::column_map(&list))
    }

    /// The action a row shows, as the selection keeps it.
    fn row_pick(&self, map: &ColumnMap, row: &Row) -> Option<Picked> {
        let ctx = self.ctx.upgrade()?;
        let action = row.action(map)?;
        Some(Picked {
            key: ctx.resolve(action.action_id.as_deref(), &action.title).key,
            title: action.title.clone(),
            category: row.category(map),
            status: row.status(map),
        })
    }

    fn set_picked(&self, p: Picked, on: bool) {
        let changed = {
            let mut picked = self.picked.borrow_mut();
            let at = picked.iter().position(|x| x.key == p.key);
            match (at, on) {
                (None, true) => {
                    picked.push(p);
                    true
                }
                (Some(i), false) => {
                    picked.remove(i);
                    true
                }
                _ => false,
            }
        };
        if changed {
            self.render_bar();
        }
    }

    fn read_row(&self, map: &ColumnMap, row: &Row) {
        if let Some(p) = self.row_pick(map, row) {
            self.set_picked(p, portal_selected(&row.el));
        }
    }

    /// Every row on screen, after the person clicked or typed (the portal's selection).
    fn read_portal_selection(&self) {
        if !self.portal_mode.get() {
            return;
        }
        let Some(list) = self.ctx.upgrade().and_then(|c| c.list(false).0) else {
            return;
        };
        let map = selectors::column_map(&list);
        for row in selectors::read_action_rows(&list, &map) {
            self.read_row(&map, &row);
        }
    }

    /// snshare's own checkbox, just before the row's share slot, checked when its action is.
    fn bind_pick(&self, map: &ColumnMap, row: &Row) {
        let Some(slot) = dom::first_i(&row.el, SLOT_SELECTOR) else {
            return;
        };
        let key = dom::attr_i(&slot, SLOT_ATTR).unwrap_or_default();
        let pick = slot
            .previous_element_sibling()
            .filter(|p| dom::matches_i(p, PICK_SELECTOR));
        let pick = match pick {
            Some(p) if dom::attr_i(&p, PICK_ATTR).as_deref() == Some(key.as_str()) => return,
            Some(p) => p,
            None => {
                let Some(doc) = dom::document() else { return };
                let p = dom::el(&doc, "input", "snshare-pick", "");
                set(&p, "type", "checkbox");
                set(&p, OWN_ATTR, "pick");
                let _ = slot.before_with_node_1(&p);
                p
            }
        };
        // Only the title names the checkbox: the row's category and status are read when it
        // is ticked.
        let Some(action) = row.action(map) else {
            return;
        };
        dom::set_i(&pick, PICK_ATTR, &key);
        set(&pick, "aria-label", &t_with("bulk_pick", &[&action.title]));
        if let Some(i) = pick.dyn_ref::<HtmlInputElement>() {
            i.set_checked(self.picked.borrow().iter().any(|p| p.key == key));
        }
    }

    fn render_bar(&self) {
        let Some(bar) = &self.bar else { return };
        let n = self.picked.borrow().len();
        dom::toggle_attr(bar, "hidden", n == 0);
        let count = n.to_string();
        if let Some(c) = part(bar, "count") {
            c.set_text_content(Some(&t_with("bulk_selected", &[&count])));
        }
        if let Some(b) = part(bar, "share") {
            b.set_text_content(Some(&t_with("bulk_share_n", &[&count])));
        }
    }

    fn open_form(self: &Rc<Self>) {
        let (Some(ctx), Some(bar)) = (self.ctx.upgrade(), self.bar.clone()) else {
            return;
        };
        let picked = self.picked.borrow().clone();
        if picked.is_empty() {
            return;
        }
        if let Some(old) = self.form.borrow_mut().take() {
            old.close();
        }
        let form = BulkForm::open(&ctx, picked, part(&bar, "share"));
        *self.form.borrow_mut() = form;
    }
}

impl Drop for Bulk {
    fn drop(&mut self) {
        if let Some(f) = self.shared.form.borrow_mut().take() {
            f.close();
        }
        if let Some(bar) = &self.shared.bar {
            bar.remove();
        }
        if let Some(root) = dom::document().and_then(|d| d.document_element()) {
            dom::remove_all(&root, PICK_SELECTOR);
        }
    }
}

/// The bulk form: the shared fields, the actions, then progress and the summary.
struct BulkForm {
    inner: Rc<Inner>,
    host: Element,
    _listeners: Vec<Listener>,
}

struct Inner {
    ctx: Weak<Ctx>,
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
    fn open(ctx: &Rc<Ctx>, picked: Vec<Picked>, return_focus: Option<Element>) -> Option<BulkForm> {
        let doc = dom::document()?;
        let body = doc.body()?;
        let host = doc.create_element("div").ok()?;
        set(&host, OWN_ATTR, "bulk-form");
        set(&host, "data-theme", styles::apply_theme(&doc));
        set(&host, "lang", &ui_lang());
        let root: ShadowRoot = host
            .unchecked_ref::<web_sys::HtmlElement>()
            .attach_shadow(&ShadowRootInit::new(shadow_mode()))
            .ok()?;
        let style = doc.create_element("style").ok()?;
        style.set_text_content(Some(&format!("{}{BULK_CSS}", styles::FORM_CSS)));
        let _ = root.append_child(&style);
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
            ctx: Rc::downgrade(ctx),
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
            return_focus,
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

    fn close(&self) {
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
        let text = this.value("group").trim().to_owned();
        if text.is_empty() {
            return;
        }
        let w = Rc::downgrade(this);
        wasm_bindgen_futures::spawn_local(async move {
            let found = wire::search_groups(&text).await.unwrap_or_default();
            let Some(i) = w.upgrade().filter(|i| !i.closed.get()) else {
                return;
            };
            if let (Some(list), Some(doc)) = (part(&i.overlay, "group-list"), dom::document()) {
                list.set_text_content(None);
                for g in &found {
                    let o = dom::el(&doc, "option", "", "");
                    set(&o, "value", &g.name);
                    append(&list, &o);
                }
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
                        append(&slot, &ticket_link(&doc, tk));
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
        let Some(ctx) = this.ctx.upgrade() else {
            return;
        };
        let kind: TicketKind = this.value("kind").parse().unwrap_or(TicketKind::Incident);
        let priority: Priority = this.value("priority").parse().unwrap_or(Priority::Moderate);
        let due_date = this.value("due");
        let header = this.value("header");
        let user_id = ctx
            .upn()
            .or_else(|| this.fallback_user.borrow().clone())
            .unwrap_or_default();
        let group = this.group();
        this.skipped.set(this.picked.len() - chosen.len());
        let items = chosen
            .into_iter()
            .enumerate()
            .map(|(n, (p, ticked))| {
                let link = link_to(&p.key);
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
                if let Some(ctx) = i.ctx.upgrade() {
                    tickets::refresh(&ctx.tickets);
                }
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
                            let _ = slot.replace_with_with_node_1(&ticket_link(&doc, ticket));
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

/// One action of the list without a ticket, for the popup's "Share all actions on this page
/// that have no ticket" (issue 18).
#[derive(serde::Serialize)]
struct PreviewItem {
    key: String,
    title: String,
    category: Option<Category>,
    status: Option<ActionStatus>,
    description: String,
    link: String,
    user_id: String,
}

/// The popup asks (through `extension/content.js`): the actions of the list now in the page
/// that have no ticket (none in the ticket cache, none queued), as JSON.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn bulk_preview() -> String {
    let ctx = super::CTX.with(|c| c.borrow().clone());
    let Some(ctx) = ctx else {
        return "[]".to_owned();
    };
    let Some(list) = ctx.list(true).0 else {
        return "[]".to_owned();
    };
    let map = selectors::column_map(&list);
    let store = ctx.tickets.borrow();
    let user_id = ctx.upn().unwrap_or_default();
    let mut items: Vec<PreviewItem> = Vec::new();
    for row in selectors::action_rows(&list) {
        let Some(action) = selectors::row_action(&map, &row) else {
            continue;
        };
        let key = ctx.resolve(action.action_id.as_deref(), &action.title).key;
        if store.for_action(&key).is_some()
            || store.is_queued(&key)
            || items.iter().any(|i| i.key == key)
        {
            continue;
        }
        let link = link_to(&key);
        items.push(PreviewItem {
            description: description_from_row(&action.title, &link),
            category: selectors::row_category(&map, &row),
            status: selectors::row_status(&map, &row),
            title: action.title,
            link,
            key,
            user_id: user_id.clone(),
        });
    }
    serde_json::to_string(&items).unwrap_or_else(|_| "[]".to_owned())
}
