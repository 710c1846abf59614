//! "All ServiceNow tickets": every snshare ticket of both kinds, a page at a time from
//! ServiceNow, with sort, filters and search. The list's state lives in the URL hash, so a
//! reload (or a shared link) shows the same page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;
use web_sys::{Element, HtmlInputElement, HtmlSelectElement};

use crate::domain::ticket::{Category, TicketKind, TicketSummary};
use crate::messages::{
    RequestBody, ResponseBody, StateName, TicketListQuery, TicketPage, TicketSort,
};
use crate::platform::i18n::format_number;
use crate::platform::{messaging::send, t, t_with};

use super::common::{
    self, alert, category_from_value, category_label, category_value, format_sn_time,
    kind_from_value, kind_label, kind_value, priority_label, spinner, state_chip, ticket_link,
    CATEGORIES,
};
use super::dom::{self, el, option, sr_only, toggle_attr, Debouncer, Dispatch, El, Region, View};

pub const PAGE_SIZE: u32 = 25;

/// What the list shows: filters, search, sort and page. Serialized into the URL hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListState {
    pub kind: Option<TicketKind>,
    /// A raw state value of `kind` (or of either kind when `kind` is none).
    pub state: Option<String>,
    pub category: Option<Category>,
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
    /// The search box changed (debounced) or was submitted (`true`: now).
    Search {
        now: bool,
    },
    ClearFilters,
    Retry,
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

const COLUMNS: [(&str, Option<TicketSort>); 7] = [
    ("tickets_col_number", Some(TicketSort::Number)),
    ("tickets_col_name", None),
    ("tickets_col_kind", None),
    ("tickets_col_state", Some(TicketSort::State)),
    ("tickets_col_priority", Some(TicketSort::Priority)),
    ("tickets_col_assignee", None),
    ("tickets_col_updated", Some(TicketSort::Updated)),
];

fn header_cell(
    key: &str,
    sort: Option<TicketSort>,
    state: &ListState,
    dispatch: &Dispatch<TicketsAction>,
) -> El {
    let label = t(key);
    let Some(sort) = sort else {
        return el("th").attr("scope", "col").text(&label);
    };
    let active = state.sort == sort;
    let aria = if state.descending {
        "descending"
    } else {
        "ascending"
    };
    let arrow = match (active, state.descending) {
        (true, true) => "↓",
        (true, false) => "↑",
        _ => "↕",
    };
    let d = dispatch.clone();
    el("th")
        .attr("scope", "col")
        .attr_if(active, "aria-sort", aria)
        .child(
            el("button")
                .attr("type", "button")
                .class("sort")
                .class_if(active, "is-active")
                .attr("data-sort", sort_value(sort))
                .text(&label)
                .child(
                    el("span")
                        .class("sort-arrow")
                        .attr("aria-hidden", "true")
                        .text(arrow),
                )
                .on("click", move |_| d(TicketsAction::Sort(sort))),
        )
}

fn ticket_row(ticket: &TicketSummary) -> El {
    let assignee = ticket.assigned_to.as_deref().filter(|a| !a.is_empty());
    el("tr")
        .attr("data-number", &ticket.number)
        .child(el("th").attr("scope", "row").child(ticket_link(ticket)))
        .child(el("td").class("col-name").text(&ticket.short_description))
        .child(el("td").text(&kind_label(ticket.kind)))
        .child(el("td").child(state_chip(ticket)))
        .child(el("td").text(&ticket.priority.map(priority_label).unwrap_or_default()))
        .child(match assignee {
            Some(a) => el("td").text(a),
            None => el("td").class("muted").text(&t("tickets_unassigned")),
        })
        .child(
            el("td")
                .class("nowrap")
                .text(&format_sn_time(&ticket.updated_on)),
        )
}

/// The table of one page of tickets, with sortable headers.
pub fn render_table(
    page: &TicketPage,
    state: &ListState,
    dispatch: &Dispatch<TicketsAction>,
) -> El {
    el("div").class("table-scroll").child(
        el("table")
            .class("data-table tickets-table")
            .id("tickets-table")
            .child(
                el("caption")
                    .text(&t("tickets_caption"))
                    .child(sr_only(&format!(
                        " — {}",
                        paging_label(page.offset, page.tickets.len() as u32, page.total)
                    ))),
            )
            .child(
                el("thead").child(
                    el("tr").children(
                        COLUMNS
                            .iter()
                            .map(|(key, sort)| header_cell(key, *sort, state, dispatch)),
                    ),
                ),
            )
            .child(el("tbody").children(page.tickets.iter().map(ticket_row))),
    )
}

/// Previous / "1–25 of 300" / Next.
pub fn render_paging(page: &TicketPage, dispatch: &Dispatch<TicketsAction>) -> El {
    let shown = page.tickets.len() as u32;
    let has_previous = page.offset > 0;
    let has_next = page.offset.saturating_add(shown) < page.total;
    let (dp, dn) = (dispatch.clone(), dispatch.clone());
    el("nav")
        .class("paging")
        .attr("aria-label", &t("tickets_paging_nav"))
        .child(
            el("button")
                .attr("type", "button")
                .class("btn")
                .attr("data-action", "previous")
                .text(&t("tickets_previous"))
                .disabled(!has_previous)
                .on("click", move |_| dp(TicketsAction::Previous)),
        )
        .child(
            el("span")
                .class("paging-label")
                .text(&paging_label(page.offset, shown, page.total)),
        )
        .child(
            el("button")
                .attr("type", "button")
                .class("btn")
                .attr("data-action", "next")
                .text(&t("tickets_next"))
                .disabled(!has_next)
                .on("click", move |_| dn(TicketsAction::Next)),
        )
}

/// A page of results: the table and paging, or the empty state.
pub fn render_results(
    page: &TicketPage,
    state: &ListState,
    dispatch: &Dispatch<TicketsAction>,
) -> El {
    if page.tickets.is_empty() {
        // With filters, the toolbar's Clear filters is the way out (one button of that name).
        let message = if state.has_filters() {
            t("tickets_empty_filtered")
        } else {
            t("tickets_empty")
        };
        let empty = el("div").class("empty-state").child(el("p").text(&message));
        return el("div").class("results").child(empty).child(
            el("p")
                .class("paging-label visually-hidden")
                .text(&paging_label(page.offset, 0, page.total)),
        );
    }
    el("div")
        .class("results")
        .child(render_table(page, state, dispatch))
        .child(render_paging(page, dispatch))
}

/// The error state: what went wrong, and Try again.
pub fn render_error(message: &str, dispatch: &Dispatch<TicketsAction>) -> El {
    let d = dispatch.clone();
    el("div").class("error-state").child(alert(message)).child(
        el("div").class("actions").child(
            el("button")
                .attr("type", "button")
                .class("btn btn-primary")
                .text(&t("tickets_retry"))
                .on("click", move |_| d(TicketsAction::Retry)),
        ),
    )
}

/// Handles on the filter controls.
pub struct Controls {
    pub search: HtmlInputElement,
    pub kind: HtmlSelectElement,
    pub state: HtmlSelectElement,
    pub category: HtmlSelectElement,
    pub clear: Element,
}

fn state_option_value(kind: TicketKind, state: &str) -> String {
    format!("{}:{state}", kind_value(kind))
}

fn parse_state_option(v: &str) -> Option<(TicketKind, String)> {
    let (k, s) = v.split_once(':')?;
    Some((kind_from_value(k)?, s.to_string()))
}

/// Fills the state select: the states of the chosen kind, or of both kinds grouped.
pub fn fill_state_options(select: &HtmlSelectElement, names: &[StateName], state: &ListState) {
    select.replace_children_with_node_0();
    let _ = select.append_child(option("", &t("tickets_all_states"), state.state.is_none()).node());
    let mut found = state.state.is_none();
    for kind in TicketKind::ALL {
        if state.kind.is_some_and(|k| k != kind) {
            continue;
        }
        let group = el("optgroup").attr("label", &kind_label(kind));
        let mut any = false;
        let mut group = group;
        for n in names.iter().filter(|n| n.kind == kind) {
            let label = n
                .custom_label
                .as_deref()
                .filter(|l| !l.is_empty())
                .unwrap_or(&n.instance_label);
            let selected = state.state.as_deref() == Some(n.state.as_str())
                && state.kind.is_none_or(|k| k == kind);
            found |= selected;
            any = true;
            group = group.child(option(&state_option_value(kind, &n.state), label, selected));
        }
        if any {
            let _ = select.append_child(group.node());
        }
    }
    // A state from the URL that the names do not list (yet) stays selectable.
    if let (false, Some(raw)) = (found, state.state.as_deref()) {
        let kind = state.kind.unwrap_or(TicketKind::Incident);
        let _ = select.append_child(option(&state_option_value(kind, raw), raw, true).node());
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

/// The search box and the filters. Built once: typing is never interrupted by a re-render.
pub fn render_toolbar(
    state: &ListState,
    names: &[StateName],
    dispatch: &Dispatch<TicketsAction>,
) -> (El, Controls) {
    let (ds, dsub, dk, dst, dc, dclear) = (
        dispatch.clone(),
        dispatch.clone(),
        dispatch.clone(),
        dispatch.clone(),
        dispatch.clone(),
        dispatch.clone(),
    );
    let search = el("input")
        .attr("type", "search")
        .id("ticket-search")
        .attr("placeholder", &t("tickets_search_placeholder"))
        .attr("autocomplete", "off")
        .attr("maxlength", "200")
        .value(&state.search)
        .on("input", move |_| ds(TicketsAction::Search { now: false }));
    let search_h: HtmlInputElement = search.handle();

    let kind = el("select")
        .id("filter-kind")
        .child(option("", &t("tickets_all_kinds"), state.kind.is_none()))
        .children(
            TicketKind::ALL
                .into_iter()
                .map(|k| option(kind_value(k), &kind_label(k), state.kind == Some(k))),
        );
    let kind_h: HtmlSelectElement = kind.handle();
    let kind_r = kind_h.clone();
    let kind = kind.on("change", move |_| {
        dk(TicketsAction::Kind(kind_from_value(&kind_r.value())))
    });

    let state_select = el("select").id("filter-state");
    let state_h: HtmlSelectElement = state_select.handle();
    fill_state_options(&state_h, names, state);
    let state_r = state_h.clone();
    let state_select = state_select.on("change", move |_| {
        dst(TicketsAction::State(parse_state_option(&state_r.value())))
    });

    let category = el("select")
        .id("filter-category")
        .child(option(
            "",
            &t("tickets_all_categories"),
            state.category.is_none(),
        ))
        .children(CATEGORIES.into_iter().map(|c| {
            option(
                category_value(c),
                &category_label(c),
                state.category == Some(c),
            )
        }));
    let category_h: HtmlSelectElement = category.handle();
    let category_r = category_h.clone();
    let category = category.on("change", move |_| {
        dc(TicketsAction::Category(category_from_value(
            &category_r.value(),
        )))
    });

    let clear = el("button")
        .attr("type", "button")
        .class("btn btn-subtle")
        .id("clear-filters")
        .text(&t("tickets_clear_filters"))
        .hidden_if(!state.has_filters())
        .on("click", move |_| dclear(TicketsAction::ClearFilters));
    let clear_n = clear.node().clone();

    let labelled = |id: &str, label: &str, control: El| {
        el("div")
            .class("field")
            .child(el("label").attr("for", id).text(label))
            .child(control)
    };
    let toolbar = el("form")
        .class("toolbar")
        .attr("role", "search")
        .attr("aria-label", &t("tickets_filters"))
        .on("submit", move |e| {
            e.prevent_default();
            dsub(TicketsAction::Search { now: true })
        })
        .child(labelled("ticket-search", &t("tickets_search"), search).class("field-grow"))
        .child(labelled("filter-kind", &t("tickets_filter_kind"), kind))
        .child(labelled(
            "filter-state",
            &t("tickets_filter_state"),
            state_select,
        ))
        .child(labelled(
            "filter-category",
            &t("tickets_filter_category"),
            category,
        ))
        .child(el("div").class("field field-end").child(clear));
    (
        toolbar,
        Controls {
            search: search_h,
            kind: kind_h,
            state: state_h,
            category: category_h,
            clear: clear_n,
        },
    )
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
        fill_state_options(&self.state, names, state);
        toggle_attr(&self.clear, "hidden", !state.has_filters());
    }
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

struct TicketsPage {
    state: RefCell<ListState>,
    names: RefCell<Vec<StateName>>,
    controls: RefCell<Option<Controls>>,
    results: RefCell<Option<Region>>,
    results_host: RefCell<Option<Element>>,
    skeleton: RefCell<Option<View>>,
    debouncer: RefCell<Option<Debouncer>>,
    /// Each load's number; answers to older loads are dropped.
    seq: Cell<u32>,
    /// The control to focus once the next results are shown (it was re-rendered).
    refocus: RefCell<Option<String>>,
    loaded_once: Cell<bool>,
}

thread_local! {
    static PAGE: RefCell<Option<Rc<TicketsPage>>> = const { RefCell::new(None) };
}

fn location_hash() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default()
}

pub fn start() {
    let Some(root) = super::page_root("tickets_title") else {
        return;
    };
    let state = ListState::from_hash(&location_hash());
    let page = Rc::new(TicketsPage {
        state: RefCell::new(state.clone()),
        names: RefCell::new(Vec::new()),
        controls: RefCell::new(None),
        results: RefCell::new(None),
        results_host: RefCell::new(None),
        skeleton: RefCell::new(None),
        debouncer: RefCell::new(None),
        seq: Cell::new(0),
        refocus: RefCell::new(None),
        loaded_once: Cell::new(false),
    });
    let dispatch = page.dispatch();
    let (toolbar, controls) = render_toolbar(&state, &[], &dispatch);
    let results = el("div")
        .class("results-host")
        .id("results")
        .attr("aria-live", "polite");
    let results_n = results.node().clone();
    let skeleton = el("div")
        .class("page page-wide")
        .child(
            el("header")
                .class("page-header")
                .child(el("span").class("brand-mark").attr("aria-hidden", "true"))
                .child(el("h1").text(&t("tickets_heading")))
                .child(
                    el("a")
                        .class("link-button header-link")
                        .attr("href", "options.html")
                        .text(&t("tickets_open_options")),
                ),
        )
        .child(el("section").class("card").child(toolbar).child(results))
        .build();
    root.replace_children_with_node_1(skeleton.root());
    *page.controls.borrow_mut() = Some(controls);
    *page.results.borrow_mut() = Some(Region::new(results_n.clone()));
    *page.results_host.borrow_mut() = Some(results_n);
    *page.skeleton.borrow_mut() = Some(skeleton);
    let weak = Rc::downgrade(&page);
    *page.debouncer.borrow_mut() = Some(Debouncer::new(300, move || {
        if let Some(p) = weak.upgrade() {
            p.apply_search();
        }
    }));
    PAGE.with(|p| *p.borrow_mut() = Some(page.clone()));

    // Back/forward or an edited URL: follow the hash. Page-lifetime listener.
    let weak = Rc::downgrade(&page);
    let on_hash = Closure::<dyn FnMut()>::new(move || {
        if let Some(p) = weak.upgrade() {
            let next = ListState::from_hash(&location_hash());
            if next != *p.state.borrow() {
                *p.state.borrow_mut() = next;
                p.show_controls();
                p.load();
            }
        }
    });
    if let Some(w) = web_sys::window() {
        let _ = w.add_event_listener_with_callback("hashchange", on_hash.as_ref().unchecked_ref());
    }
    on_hash.forget();

    page.load();
    let p = page.clone();
    spawn_local(async move {
        if let ResponseBody::StateNames(names) = send(RequestBody::GetStateNames).await {
            *p.names.borrow_mut() = names;
            p.show_controls();
        }
    });
}

impl TicketsPage {
    fn dispatch(self: &Rc<Self>) -> Dispatch<TicketsAction> {
        let weak = Rc::downgrade(self);
        Rc::new(move |action| {
            if let Some(p) = weak.upgrade() {
                p.on_action(action);
            }
        })
    }

    fn show_controls(&self) {
        if let Some(c) = self.controls.borrow().as_ref() {
            c.show(&self.state.borrow(), &self.names.borrow());
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
            toggle_attr(&c.clear, "hidden", !self.state.borrow().has_filters());
        }
        self.load();
    }

    fn on_action(self: &Rc<Self>, action: TicketsAction) {
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
                TicketsAction::Retry => {}
            }
        }
        if matches!(
            action,
            TicketsAction::Kind(_) | TicketsAction::State(_) | TicketsAction::ClearFilters
        ) {
            self.show_controls();
        } else if let Some(c) = self.controls.borrow().as_ref() {
            toggle_attr(&c.clear, "hidden", !self.state.borrow().has_filters());
        }
        self.load();
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

    /// Loads the current page from ServiceNow (through the worker).
    fn load(self: &Rc<Self>) {
        self.write_hash();
        let seq = self.seq.get().wrapping_add(1);
        self.seq.set(seq);
        if let Some(host) = self.results_host.borrow().as_ref() {
            toggle_attr(host, "aria-busy", true);
        }
        if !self.loaded_once.get() {
            if let Some(r) = self.results.borrow_mut().as_mut() {
                let text = t("tickets_loading");
                r.set(
                    el("p")
                        .class("notice")
                        .child(spinner(&text))
                        .append_text(&text)
                        .build(),
                );
            }
        }
        let query = self.state.borrow().query();
        let p = self.clone();
        spawn_local(async move {
            let answer = send(RequestBody::ListTickets(query)).await;
            if seq != p.seq.get() {
                return;
            }
            let dispatch = p.dispatch();
            let content = match answer {
                ResponseBody::Page(page) => {
                    // Past the end (fewer tickets than the URL's page): go to the last page.
                    if page.tickets.is_empty() && page.total > 0 && page.offset >= page.total {
                        let last = (page.total - 1) / PAGE_SIZE;
                        if last != p.state.borrow().page {
                            p.state.borrow_mut().page = last;
                            p.load();
                            return;
                        }
                    }
                    render_results(&page, &p.state.borrow(), &dispatch)
                }
                other => render_error(&common::unexpected(&other), &dispatch),
            };
            p.loaded_once.set(true);
            if let Some(r) = p.results.borrow_mut().as_mut() {
                r.set(content.build());
            }
            if let Some(host) = p.results_host.borrow().as_ref() {
                toggle_attr(host, "aria-busy", false);
                if let Some(sel) = p.refocus.borrow_mut().take() {
                    let target = dom::document().query_selector(&sel).ok().flatten();
                    let target = match target {
                        Some(t) if t.has_attribute("disabled") => host
                            .query_selector("[data-action]:not([disabled])")
                            .ok()
                            .flatten(),
                        other => other,
                    };
                    if let Some(t) = target {
                        dom::focus(&t);
                    }
                }
            }
        });
    }
}
