//! "All ServiceNow tickets": every snshare ticket of both kinds, a page at a time from
//! ServiceNow, with sort, filters and search. The list's state lives in the URL hash, so a
//! reload (or a shared link) shows the same page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use crate::domain::ticket::{Category, RecommendationSource, TicketKind, TicketSummary};
use crate::domain::ticket_list::TicketChanges;
use crate::messages::{
    RequestBody, ResponseBody, SnapshotNeed, StateName, TicketListQuery, TicketPage, TicketSort,
};
use crate::platform::i18n::format_number;
use crate::platform::i18n::t_count;
use crate::platform::now_ms;
use crate::platform::template::{self, part};
use crate::platform::{messaging::send, t, t_with};

use super::common::{
    self, bind_state_chip, bind_ticket_number, category_from_value, category_value, event_action,
    format_age, format_sn_time, kind_from_value, kind_label, kind_value, priority_label,
};
use super::dom::build::{wrap, Dispatch, El, Region, View};
use super::dom::{self, Debouncer};

pub const PAGE_SIZE: u32 = 25;

/// What the list shows: filters, search, sort and page. Serialized into the URL hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListState {
    pub kind: Option<TicketKind>,
    /// A raw state value of `kind` (or of either kind when `kind` is none).
    pub state: Option<String>,
    pub category: Option<Category>,
    /// Secure Score, Compliance Manager or a card's "Create ticket".
    pub source: Option<RecommendationSource>,
    pub search: String,
    pub sort: TicketSort,
    pub descending: bool,
    /// Zero-based.
    pub page: u32,
}

impl Default for ListState {
    fn default() -> Self {
        ListState {
            kind: None,
            state: None,
            category: None,
            source: None,
            search: String::new(),
            sort: TicketSort::Updated,
            descending: true,
            page: 0,
        }
    }
}

pub fn sort_value(s: TicketSort) -> &'static str {
    s.as_str()
}

fn sort_from_value(v: &str) -> Option<TicketSort> {
    [
        TicketSort::Updated,
        TicketSort::Number,
        TicketSort::Priority,
        TicketSort::State,
    ]
    .into_iter()
    .find(|s| sort_value(*s) == v)
}

/// The direction a column sorts in when first chosen: newest first for dates, else ascending.
fn default_descending(s: TicketSort) -> bool {
    matches!(s, TicketSort::Updated)
}

impl ListState {
    /// Parses `#kind=incident&state=2&q=mfa&sort=number&dir=asc&page=3` (leading `#` optional);
    /// anything unknown falls back to the default.
    pub fn from_hash(hash: &str) -> Self {
        let mut s = ListState::default();
        let Ok(params) = web_sys::UrlSearchParams::new_with_str(hash.trim_start_matches('#'))
        else {
            return s;
        };
        s.kind = params.get("kind").as_deref().and_then(kind_from_value);
        s.state = params
            .get("state")
            .filter(|v| !v.is_empty() && v.len() <= 40);
        s.category = params
            .get("category")
            .as_deref()
            .and_then(category_from_value);
        s.source = params
            .get("source")
            .and_then(|v| v.parse::<RecommendationSource>().ok());
        s.search = params
            .get("q")
            .map(|q| q.chars().take(200).collect())
            .unwrap_or_default();
        if let Some(sort) = params.get("sort").as_deref().and_then(sort_from_value) {
            s.sort = sort;
            s.descending = default_descending(sort);
        }
        match params.get("dir").as_deref() {
            Some("asc") => s.descending = false,
            Some("desc") => s.descending = true,
            _ => {}
        }
        s.page = params
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .map(|p| p.saturating_sub(1))
            .unwrap_or(0)
            .min(100_000);
        s
    }

    /// The hash for this state, without `#`; the default state is the empty string.
    pub fn to_hash(&self) -> String {
        let Ok(params) = web_sys::UrlSearchParams::new() else {
            return String::new();
        };
        if let Some(k) = self.kind {
            params.append("kind", kind_value(k));
        }
        if let Some(st) = &self.state {
            params.append("state", st);
        }
        if let Some(c) = self.category {
            params.append("category", category_value(c));
        }
        if let Some(src) = self.source {
            params.append("source", src.as_str());
        }
        if !self.search.is_empty() {
            params.append("q", &self.search);
        }
        if self.sort != TicketSort::Updated || !self.descending {
            params.append("sort", sort_value(self.sort));
            params.append("dir", if self.descending { "desc" } else { "asc" });
        }
        if self.page > 0 {
            params.append("page", &(self.page + 1).to_string());
        }
        params.to_string().into()
    }

    pub fn query(&self) -> TicketListQuery {
        TicketListQuery {
            kind: self.kind,
            states: self.state.iter().cloned().collect(),
            category: self.category,
            source: self.source,
            search: (!self.search.trim().is_empty()).then(|| self.search.trim().to_string()),
            sort: self.sort,
            descending: self.descending,
            offset: self.page.saturating_mul(PAGE_SIZE),
            limit: PAGE_SIZE,
        }
    }

    pub fn has_filters(&self) -> bool {
        self.kind.is_some()
            || self.state.is_some()
            || self.category.is_some()
            || self.source.is_some()
            || !self.search.trim().is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketsAction {
    Sort(TicketSort),
    Previous,
    Next,
    Kind(Option<TicketKind>),
    /// `kind:state` from the state select, or none.
    State(Option<(TicketKind, String)>),
    Category(Option<Category>),
    Source(Option<RecommendationSource>),
    /// The search box changed (debounced) or was submitted (`true`: now).
    Search {
        now: bool,
    },
    ClearFilters,
    Retry,
    /// Fetch the tickets again now, whatever the cache's age.
    Refresh,
}

/// "1–25 of 300"; "No tickets" when there are none.
pub fn paging_label(offset: u32, shown: u32, total: u32) -> String {
    if total == 0 || shown == 0 {
        return t("tickets_paging_none");
    }
    let first = offset.saturating_add(1);
    let last = offset.saturating_add(shown).min(total.max(offset + shown));
    t_with(
        "tickets_paging",
        &[
            &format_number(first.into()),
            &format_number(last.into()),
            &format_number(total.into()),
        ],
    )
}

/// A clone of the page's `<template id=…>`, translated (extension/tickets.html).
fn view(id: &str) -> Option<Element> {
    template::instantiate_by_id(&dom::document()?, id)
}

fn fill(root: &Element, name: &str, text: &str) {
    if let Some(node) = part::<Element>(root, name) {
        node.set_text_content(Some(text));
    }
}

fn ticket_row(ticket: &TicketSummary) -> Option<Element> {
    let row = view("tickets-row")?;
    let _ = row.set_attribute("data-number", &ticket.number);
    bind_ticket_number(&row, ticket);
    fill(&row, "name", &ticket.short_description);
    fill(&row, "kind", &kind_label(ticket.kind));
    bind_state_chip(&part(&row, "state")?, ticket);
    fill(
        &row,
        "priority",
        &ticket.priority.map(priority_label).unwrap_or_default(),
    );
    let assignee = part::<Element>(&row, "assignee")?;
    match ticket.assigned_to.as_deref().filter(|a| !a.is_empty()) {
        Some(a) => assignee.set_text_content(Some(a)),
        None => {
            assignee.set_text_content(Some(&t("tickets_unassigned")));
            let _ = assignee.class_list().add_1("muted");
        }
    }
    fill(&row, "updated", &format_sn_time(&ticket.updated_on));
    Some(row)
}

/// Marks the column the list is sorted by (`aria-sort`, the arrow) in the table's head.
fn bind_sort_headers(table: &Element, state: &ListState) {
    for header in all(table, "th[data-sort]") {
        let sort = header
            .get_attribute("data-sort")
            .as_deref()
            .and_then(sort_from_value);
        let active = sort == Some(state.sort);
        if active {
            let _ = header.set_attribute(
                "aria-sort",
                if state.descending {
                    "descending"
                } else {
                    "ascending"
                },
            );
        }
        if let Some(button) = header.query_selector("button.sort").ok().flatten() {
            let _ = button.class_list().toggle_with_force("is-active", active);
        }
        if let Some(arrow) = header.query_selector(".sort-arrow").ok().flatten() {
            arrow.set_text_content(Some(match (active, state.descending) {
                (true, true) => "↓",
                (true, false) => "↑",
                _ => "↕",
            }));
        }
    }
}

fn all(root: &Element, selector: &str) -> Vec<Element> {
    let Ok(list) = root.query_selector_all(selector) else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into::<Element>().ok())
        .collect()
}

/// What a click in the results asks for (sort headers, paging, Try again).
fn results_action(e: &web_sys::Event) -> Option<TicketsAction> {
    let (action, control) = event_action(e)?;
    Some(match action.as_str() {
        "sort" => TicketsAction::Sort(sort_from_value(&control.get_attribute("data-sort")?)?),
        "previous" => TicketsAction::Previous,
        "next" => TicketsAction::Next,
        "retry" => TicketsAction::Retry,
        _ => return None,
    })
}

fn with_results_listener(root: Element, dispatch: &Dispatch<TicketsAction>) -> El {
    let d = dispatch.clone();
    wrap(root).on("click", move |e| {
        if let Some(action) = results_action(&e) {
            d(action);
        }
    })
}

/// A page of results: the table (sortable headers) and paging, or the empty state.
pub fn render_results(
    page: &TicketPage,
    state: &ListState,
    dispatch: &Dispatch<TicketsAction>,
) -> Option<El> {
    let shown = page.tickets.len() as u32;
    let label = paging_label(page.offset, shown, page.total);
    if page.tickets.is_empty() {
        let root = view("tickets-empty")?;
        let gone = if state.has_filters() {
            "empty"
        } else {
            "empty-filtered"
        };
        if let Some(p) = part::<Element>(&root, gone) {
            p.remove();
        }
        fill(&root, "paging", &label);
        return Some(wrap(root));
    }
    let root = view("tickets-results")?;
    fill(&root, "caption-paging", &format!(" — {label}"));
    fill(&root, "paging", &label);
    bind_sort_headers(&root, state);
    let rows = part::<Element>(&root, "rows")?;
    for ticket in &page.tickets {
        let _ = rows.append_child(&ticket_row(ticket)?.into());
    }
    let has_previous = page.offset > 0;
    let has_next = page.offset.saturating_add(shown) < page.total;
    for (action, enabled) in [("previous", has_previous), ("next", has_next)] {
        if let Some(button) = root
            .query_selector(&format!("[data-action={action}]"))
            .ok()
            .flatten()
        {
            dom::toggle_attr(&button, "disabled", !enabled);
        }
    }
    Some(with_results_listener(root, dispatch))
}

/// The error state: what went wrong, and Try again.
pub fn render_error(message: &str, dispatch: &Dispatch<TicketsAction>) -> Option<El> {
    let root = view("tickets-error")?;
    fill(&root, "message", message);
    Some(with_results_listener(root, dispatch))
}

/// Handles on the filter controls.
pub struct Controls {
    pub search: HtmlInputElement,
    pub kind: HtmlSelectElement,
    pub state: HtmlSelectElement,
    pub category: HtmlSelectElement,
    pub source: HtmlSelectElement,
    pub clear: Element,
}

fn state_option_value(kind: TicketKind, state: &str) -> String {
    format!("{}:{state}", kind_value(kind))
}

fn parse_state_option(v: &str) -> Option<(TicketKind, String)> {
    let (k, s) = v.split_once(':')?;
    Some((kind_from_value(k)?, s.to_string()))
}

/// `<option value=…>label</option>` from the page's template.
fn option(value: &str, label: &str) -> Option<Element> {
    let option = view("tickets-option")?;
    let _ = option.set_attribute("value", value);
    option.set_text_content(Some(label));
    Some(option)
}

/// Fills the state select: the states of the chosen kind, or of both kinds grouped.
pub fn fill_state_options(select: &HtmlSelectElement, names: &[StateName], state: &ListState) {
    select.replace_children_with_node_0();
    if let Some(all) = option("", &t("tickets_all_states")) {
        let _ = select.append_child(&all);
    }
    let mut found = state.state.is_none();
    for kind in TicketKind::ALL {
        if state.kind.is_some_and(|k| k != kind) {
            continue;
        }
        let Some(group) = view("tickets-state-group") else {
            continue;
        };
        let _ = group.set_attribute("label", &kind_label(kind));
        for n in names.iter().filter(|n| n.kind == kind) {
            let label = n
                .custom_label
                .as_deref()
                .filter(|l| !l.is_empty())
                .unwrap_or(&n.instance_label);
            found |= state.state.as_deref() == Some(n.state.as_str())
                && state.kind.is_none_or(|k| k == kind);
            if let Some(o) = option(&state_option_value(kind, &n.state), label) {
                let _ = group.append_child(&o);
            }
        }
        if group.child_element_count() > 0 {
            let _ = select.append_child(&group);
        }
    }
    // A state from the URL that the names do not list (yet) stays selectable.
    if let (false, Some(raw)) = (found, state.state.as_deref()) {
        let kind = state.kind.unwrap_or(TicketKind::Incident);
        if let Some(o) = option(&state_option_value(kind, raw), raw) {
            let _ = select.append_child(&o);
        }
    }
    let selected = match (&state.state, state.kind) {
        (Some(raw), Some(k)) => state_option_value(k, raw),
        (Some(raw), None) => names
            .iter()
            .find(|n| &n.state == raw)
            .map(|n| state_option_value(n.kind, raw))
            .unwrap_or_else(|| state_option_value(TicketKind::Incident, raw)),
        (None, _) => String::new(),
    };
    select.set_value(&selected);
}

/// Binds the page's search box and filters (static in tickets.html, inside `page`) to
/// `state`. Bound once: typing is never interrupted by a re-render.
pub fn bind_toolbar(
    page: &Element,
    state: &ListState,
    names: &[StateName],
    dispatch: &Dispatch<TicketsAction>,
) -> Option<(El, Controls)> {
    let toolbar = part::<Element>(page, "toolbar")?;
    let controls = Controls {
        search: part(&toolbar, "search")?,
        kind: part(&toolbar, "kind")?,
        state: part(&toolbar, "state")?,
        category: part(&toolbar, "category")?,
        source: part(&toolbar, "source")?,
        clear: part(&toolbar, "clear")?,
    };
    controls.show(state, names);
    let (d_input, d_change, d_submit, d_click) = (
        dispatch.clone(),
        dispatch.clone(),
        dispatch.clone(),
        dispatch.clone(),
    );
    let (kind, state_select, category, source) = (
        controls.kind.clone(),
        controls.state.clone(),
        controls.category.clone(),
        controls.source.clone(),
    );
    let view = wrap(toolbar)
        .on("input", move |e| {
            if is_part(&e, "search") {
                d_input(TicketsAction::Search { now: false });
            }
        })
        .on("change", move |e| {
            let action = if is_part(&e, "kind") {
                TicketsAction::Kind(kind_from_value(&kind.value()))
            } else if is_part(&e, "state") {
                TicketsAction::State(parse_state_option(&state_select.value()))
            } else if is_part(&e, "category") {
                TicketsAction::Category(category_from_value(&category.value()))
            } else if is_part(&e, "source") {
                TicketsAction::Source(source.value().parse().ok())
            } else {
                return;
            };
            d_change(action);
        })
        .on("submit", move |e| {
            e.prevent_default();
            d_submit(TicketsAction::Search { now: true })
        })
        .on("click", move |e| {
            if event_action(&e).is_some_and(|(action, _)| action == "clear-filters") {
                d_click(TicketsAction::ClearFilters);
            }
        });
    Some((view, controls))
}

/// Whether the event came from the control `data-part="name"`.
fn is_part(e: &web_sys::Event, name: &str) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<Element>().ok())
        .is_some_and(|t| t.get_attribute("data-part").as_deref() == Some(name))
}

impl Controls {
    /// Shows `state` in the controls (after a hash change or Clear filters).
    pub fn show(&self, state: &ListState, names: &[StateName]) {
        if self.search.value().trim() != state.search.trim() {
            self.search.set_value(&state.search);
        }
        self.kind
            .set_value(state.kind.map(kind_value).unwrap_or(""));
        self.category
            .set_value(state.category.map(category_value).unwrap_or(""));
        self.source
            .set_value(state.source.map(RecommendationSource::as_str).unwrap_or(""));
        fill_state_options(&self.state, names, state);
        dom::toggle_attr(&self.clear, "hidden", !state.has_filters());
    }
}

/// What the live region says after a reload of the same view: only what changed, one
/// sentence per kind of change; `None` when nothing did.
pub fn change_announcement(changes: &TicketChanges) -> Option<String> {
    let parts: Vec<String> = [
        (
            changes.changed_state,
            "tickets_changed_state_one",
            "tickets_changed_state_other",
        ),
        (changes.added, "tickets_added_one", "tickets_added_other"),
        (
            changes.removed,
            "tickets_removed_one",
            "tickets_removed_other",
        ),
    ]
    .into_iter()
    .filter(|(n, _, _)| *n > 0)
    .map(|(n, one, other)| t_count(n.into(), one, other))
    .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The cache's age line: "Updated 3 minutes ago", or that the list was never loaded.
pub fn age_line(fetched_at: Option<u64>, now: u64) -> String {
    match fetched_at {
        Some(at) => format_age(at, now),
        None => t("tickets_not_updated"),
    }
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

/// Why the list is loading: it decides what the live region says once it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// The first load: the page itself is read, nothing to announce.
    Start,
    /// Filters or search changed: the number of results.
    Filter,
    /// Another page or order: where the reader is ("26–50 of 300").
    Position,
    /// The same view again (Refresh, Try again): what changed, or that nothing did.
    Reload,
}

struct Shown {
    query: TicketListQuery,
    tickets: Vec<TicketSummary>,
}

struct TicketsPage {
    state: RefCell<ListState>,
    names: RefCell<Vec<StateName>>,
    controls: RefCell<Option<Controls>>,
    results: RefCell<Region>,
    results_host: Element,
    announcement: Element,
    age: Element,
    refreshing: Element,
    /// When the shown tickets were read from ServiceNow.
    fetched_at: Cell<Option<u64>>,
    /// What the list shows now, to tell what a reload changed.
    shown: RefCell<Option<Shown>>,
    /// Page-lifetime listeners on the static markup (toolbar, Refresh).
    static_views: RefCell<Vec<View>>,
    debouncer: RefCell<Option<Debouncer>>,
    /// Each load's number; answers to older loads are dropped.
    seq: Cell<u32>,
    /// The control to focus once the next results are shown (it was re-rendered).
    refocus: RefCell<Option<String>>,
    loaded_once: Cell<bool>,
    /// A Refresh the user asked for is running.
    refresh_running: Cell<bool>,
}

/// How often the age line is brought up to date, and a running refresh looked at.
const AGE_TICK_MS: i32 = 30_000;
const REFRESH_POLL_MS: i32 = 1_000;
const MAX_REFRESH_POLLS: u32 = 30;

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

pub fn start() {
    let Some(root) = super::page_from_markup("tickets_title") else {
        return;
    };
    let state = ListState::from_hash(&location_hash());
    let (Some(results_host), Some(announcement), Some(age), Some(refreshing), Some(refresh)) = (
        part::<Element>(&root, "results"),
        part::<Element>(&root, "announcement"),
        part::<Element>(&root, "age"),
        part::<Element>(&root, "refreshing"),
        part::<Element>(&root, "refresh"),
    ) else {
        return;
    };
    let page = Rc::new(TicketsPage {
        state: RefCell::new(state.clone()),
        names: RefCell::new(Vec::new()),
        controls: RefCell::new(None),
        results: RefCell::new(Region::new(results_host.clone())),
        results_host,
        announcement,
        age,
        refreshing,
        fetched_at: Cell::new(None),
        shown: RefCell::new(None),
        static_views: RefCell::new(Vec::new()),
        debouncer: RefCell::new(None),
        seq: Cell::new(0),
        refocus: RefCell::new(None),
        loaded_once: Cell::new(false),
        refresh_running: Cell::new(false),
    });
    let dispatch = super::page::dispatch(&page);
    if let Some((toolbar, controls)) = bind_toolbar(&root, &state, &[], &dispatch) {
        *page.controls.borrow_mut() = Some(controls);
        page.static_views.borrow_mut().push(toolbar.build());
    }
    let d = dispatch.clone();
    let refresh = wrap(refresh).on("click", move |_| d(TicketsAction::Refresh));
    page.static_views.borrow_mut().push(refresh.build());
    let weak = Rc::downgrade(&page);
    *page.debouncer.borrow_mut() = Some(Debouncer::new(300, move || {
        if let Some(p) = weak.upgrade() {
            p.apply_search();
        }
    }));
    super::page::keep(&page);

    // Back/forward or an edited URL: follow the hash. Page-lifetime listener.
    let weak = Rc::downgrade(&page);
    let on_hash = Closure::<dyn FnMut()>::new(move || {
        if let Some(p) = weak.upgrade() {
            let next = ListState::from_hash(&location_hash());
            if next != *p.state.borrow() {
                *p.state.borrow_mut() = next;
                p.show_controls();
                p.load(Reason::Filter);
            }
        }
    });
    // The age line follows the clock ("3 minutes ago" becomes "4 minutes ago").
    let weak = Rc::downgrade(&page);
    let on_tick = Closure::<dyn FnMut()>::new(move || {
        if let Some(p) = weak.upgrade() {
            p.show_age();
        }
    });
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
        let _ = w.set_interval_with_callback_and_timeout_and_arguments_0(
            on_tick.as_ref().unchecked_ref(),
            AGE_TICK_MS,
        );
    }
    on_hash.forget();
    on_tick.forget();

    page.load(Reason::Start);
    let p = page.clone();
    spawn_local(async move {
        if let ResponseBody::StateNames(names) = send(RequestBody::GetStateNames).await {
            *p.names.borrow_mut() = names;
            p.show_controls();
        }
    });
}

impl TicketsPage {
    fn show_controls(&self) {
        if let Some(c) = self.controls.borrow().as_ref() {
            c.show(&self.state.borrow(), &self.names.borrow());
        }
    }

    fn show_age(&self) {
        let line = if self.refresh_running.get() {
            t("tickets_refreshing")
        } else {
            age_line(self.fetched_at.get(), now_ms())
        };
        self.age.set_text_content(Some(&line));
    }

    /// Says `message` in the live region; the same words again are said again.
    fn announce(&self, message: &str) {
        if self.announcement.text_content().as_deref() == Some(message) {
            self.announcement.set_text_content(None);
            let node = self.announcement.clone();
            let message = message.to_string();
            let _ = dom::after(150, move || node.set_text_content(Some(&message)));
        } else {
            self.announcement.set_text_content(Some(message));
        }
    }

    fn apply_search(self: &Rc<Self>) {
        let typed = self
            .controls
            .borrow()
            .as_ref()
            .map(|c| {
                c.search
                    .value()
                    .trim()
                    .chars()
                    .take(200)
                    .collect::<String>()
            })
            .unwrap_or_default();
        if typed == self.state.borrow().search {
            return;
        }
        {
            let mut s = self.state.borrow_mut();
            s.search = typed;
            s.page = 0;
        }
        if let Some(c) = self.controls.borrow().as_ref() {
            dom::toggle_attr(&c.clear, "hidden", !self.state.borrow().has_filters());
        }
        self.load(Reason::Filter);
    }

    /// Refresh: the worker fetches the cache again (one request for both kinds), then the
    /// list is read again and the live region says what changed.
    fn refresh(self: &Rc<Self>) {
        if self.refresh_running.replace(true) {
            return;
        }
        dom::toggle_attr(&self.refreshing, "hidden", false);
        self.show_age();
        let p = self.clone();
        spawn_local(async move {
            let mut answer = send(RequestBody::GetTickets {
                force_refresh: true,
                need: SnapshotNeed::Every,
            })
            .await;
            let mut polls = 0;
            while matches!(&answer, ResponseBody::Snapshot(s) if s.refreshing)
                && polls < MAX_REFRESH_POLLS
            {
                polls += 1;
                sleep(REFRESH_POLL_MS).await;
                answer = send(RequestBody::GetTickets {
                    force_refresh: false,
                    need: SnapshotNeed::Every,
                })
                .await;
            }
            p.refresh_running.set(false);
            dom::toggle_attr(&p.refreshing, "hidden", true);
            p.load(Reason::Reload);
        });
    }

    fn write_hash(&self) {
        let hash = self.state.borrow().to_hash();
        if let Some(w) = web_sys::window() {
            let url = if hash.is_empty() {
                let l = w.location();
                format!(
                    "{}{}",
                    l.pathname().unwrap_or_default(),
                    l.search().unwrap_or_default()
                )
            } else {
                format!("#{hash}")
            };
            if let Ok(h) = w.history() {
                let _ = h.replace_state_with_url(&JsValue::NULL, "", Some(&url));
            }
        }
    }

    /// What the live region says once `page` is shown for `query`, loaded for `reason`.
    fn announcement_for(
        &self,
        reason: Reason,
        query: &TicketListQuery,
        page: &TicketPage,
    ) -> Option<String> {
        match reason {
            Reason::Start => None,
            Reason::Filter => Some(t_count(
                page.total.into(),
                "tickets_results_one",
                "tickets_results_other",
            )),
            Reason::Position => Some(paging_label(
                page.offset,
                page.tickets.len() as u32,
                page.total,
            )),
            Reason::Reload => {
                let shown = self.shown.borrow();
                match shown.as_ref().filter(|s| s.query == *query) {
                    Some(before) => Some(
                        change_announcement(&TicketChanges::between(
                            &before.tickets,
                            &page.tickets,
                        ))
                        .unwrap_or_else(|| t("tickets_no_changes")),
                    ),
                    None => Some(t_count(
                        page.total.into(),
                        "tickets_results_one",
                        "tickets_results_other",
                    )),
                }
            }
        }
    }

    /// Loads the current page from ServiceNow (through the worker).
    fn load(self: &Rc<Self>, reason: Reason) {
        self.write_hash();
        let seq = self.seq.get().wrapping_add(1);
        self.seq.set(seq);
        dom::toggle_attr(&self.results_host, "aria-busy", true);
        if !self.loaded_once.get() {
            if let Some(loading) = view("tickets-loading") {
                self.results.borrow_mut().set(wrap(loading).build());
            }
        }
        let query = self.state.borrow().query();
        let p = self.clone();
        spawn_local(async move {
            let answer = send(RequestBody::ListTickets(query.clone())).await;
            if seq != p.seq.get() {
                return;
            }
            let dispatch = super::page::dispatch(&p);
            let content = match answer {
                ResponseBody::Page(page) => {
                    // Past the end (fewer tickets than the URL's page): go to the last page.
                    if page.tickets.is_empty() && page.total > 0 && page.offset >= page.total {
                        let last = (page.total - 1) / PAGE_SIZE;
                        if last != p.state.borrow().page {
                            p.state.borrow_mut().page = last;
                            p.load(reason);
                            return;
                        }
                    }
                    if let Some(message) = p.announcement_for(reason, &query, &page) {
                        p.announce(&message);
                    }
                    p.fetched_at.set(page.fetched_at);
                    let content = render_results(&page, &p.state.borrow(), &dispatch);
                    *p.shown.borrow_mut() = Some(Shown {
                        query,
                        tickets: page.tickets,
                    });
                    content
                }
                other => {
                    *p.shown.borrow_mut() = None;
                    render_error(&common::unexpected(&other), &dispatch)
                }
            };
            p.show_age();
            p.loaded_once.set(true);
            match content {
                Some(c) => p.results.borrow_mut().set(c.build()),
                None => p.results.borrow_mut().clear(),
            }
            dom::toggle_attr(&p.results_host, "aria-busy", false);
            if let Some(sel) = p.refocus.borrow_mut().take() {
                let target = dom::document().and_then(|d| d.query_selector(&sel).ok().flatten());
                let target = match target {
                    Some(t) if t.has_attribute("disabled") => p
                        .results_host
                        .query_selector("[data-action]:not([disabled])")
                        .ok()
                        .flatten(),
                    other => other,
                };
                if let Some(t) = target {
                    dom::focus(&t);
                }
            }
        });
    }
}

/// Waits `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = dom::after(ms, move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

impl super::page::Page for TicketsPage {
    type Action = TicketsAction;

    fn on_action(self: &Rc<Self>, action: TicketsAction) {
        let reason = match &action {
            TicketsAction::Sort(_) | TicketsAction::Previous | TicketsAction::Next => {
                Reason::Position
            }
            TicketsAction::Retry => Reason::Reload,
            _ => Reason::Filter,
        };
        {
            let mut s = self.state.borrow_mut();
            match &action {
                TicketsAction::Sort(sort) => {
                    if s.sort == *sort {
                        s.descending = !s.descending;
                    } else {
                        s.sort = *sort;
                        s.descending = default_descending(*sort);
                    }
                    s.page = 0;
                    *self.refocus.borrow_mut() =
                        Some(format!("button[data-sort=\"{}\"]", sort_value(*sort)));
                }
                TicketsAction::Previous => {
                    s.page = s.page.saturating_sub(1);
                    *self.refocus.borrow_mut() = Some("[data-action=previous]".into());
                }
                TicketsAction::Next => {
                    s.page = s.page.saturating_add(1);
                    *self.refocus.borrow_mut() = Some("[data-action=next]".into());
                }
                TicketsAction::Kind(kind) => {
                    if s.kind != *kind {
                        // A state of the other kind means nothing now.
                        if kind.is_some() && s.kind != *kind {
                            let keep = s.state.as_ref().is_some_and(|st| {
                                self.names
                                    .borrow()
                                    .iter()
                                    .any(|n| Some(n.kind) == *kind && &n.state == st)
                            });
                            if !keep {
                                s.state = None;
                            }
                        }
                        s.kind = *kind;
                        s.page = 0;
                    }
                }
                TicketsAction::State(choice) => {
                    match choice {
                        Some((kind, state)) => {
                            s.kind = Some(*kind);
                            s.state = Some(state.clone());
                        }
                        None => s.state = None,
                    }
                    s.page = 0;
                }
                TicketsAction::Category(c) => {
                    s.category = *c;
                    s.page = 0;
                }
                TicketsAction::Source(src) => {
                    s.source = *src;
                    s.page = 0;
                }
                TicketsAction::Search { now } => {
                    drop(s);
                    if *now {
                        if let Some(d) = self.debouncer.borrow().as_ref() {
                            d.cancel();
                        }
                        self.apply_search();
                    } else if let Some(d) = self.debouncer.borrow().as_ref() {
                        d.trigger();
                    }
                    return;
                }
                TicketsAction::ClearFilters => {
                    let (sort, descending) = (s.sort, s.descending);
                    *s = ListState {
                        sort,
                        descending,
                        ..ListState::default()
                    };
                    *self.refocus.borrow_mut() = Some("#ticket-search".into());
                }
                TicketsAction::Refresh => {
                    drop(s);
                    self.refresh();
                    return;
                }
                TicketsAction::Retry => {}
            }
        }
        if matches!(
            action,
            TicketsAction::Kind(_) | TicketsAction::State(_) | TicketsAction::ClearFilters
        ) {
            self.show_controls();
        } else if let Some(c) = self.controls.borrow().as_ref() {
            dom::toggle_attr(&c.clear, "hidden", !self.state.borrow().has_filters());
        }
        self.load(reason);
    }
}
