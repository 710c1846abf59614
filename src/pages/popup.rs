//! The toolbar popup: connection at a glance, the latest tickets of each kind with counts per
//! state, the outbox with Retry and Discard, and the ways to the list and the options page.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;

use crate::domain::connection::{ConnectionState, ConnectionStatus};
use crate::domain::diagnosis::Diagnosis;
use crate::domain::instance::InstanceUrl;
use crate::domain::outbox::OutboxStatus;
use crate::domain::ticket::{TicketKind, TicketSummary};
use crate::messages::{
    AuthMethod, OutboxView, RequestBody, ResponseBody, SnapshotNeed, TicketSnapshot,
};
use crate::platform::i18n::{format_number, t_count};
use crate::platform::storage::{self, Area};
use crate::platform::{chrome, messaging::send, t, t_with};

use web_sys::Element;

use crate::platform::template::{self, part};

use super::common::{
    self, bind_diagnosis, bind_state_chip, bind_ticket_number, diagnosis_text, event_action,
    format_sn_time, format_time, kind_label, kind_value, status_from_markup,
};
use super::dom;
use super::dom::build::{wrap, Dispatch, El, Region, View};

/// Tickets shown per kind.
pub const LATEST_PER_KIND: usize = 5;

/// Where the popup keeps what it last drew from the worker's answers (session storage: gone
/// when the browser closes), so the next opening draws it at once and the worker's answers,
/// asked for as before, replace it.
pub const DRAWN_KEY: &str = "popup.drawn";

/// The connection status and the latest tickets as the popup drew them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Drawn {
    pub status: ConnectionStatus,
    pub tickets: TicketSnapshot,
}

impl Drawn {
    /// What the popup draws of a snapshot and no more: the latest tickets of each kind and the
    /// counts, never a refresh in progress (that one is over when the snapshot is read again).
    pub fn new(status: ConnectionStatus, snapshot: &TicketSnapshot) -> Self {
        let tickets = TicketKind::ALL
            .iter()
            .flat_map(|&kind| {
                snapshot
                    .tickets
                    .iter()
                    .filter(move |t| t.kind == kind)
                    .take(LATEST_PER_KIND)
                    .cloned()
            })
            .collect();
        Drawn {
            status,
            tickets: TicketSnapshot {
                fetched_at: snapshot.fetched_at,
                tickets,
                counts: snapshot.counts.clone(),
                queued_action_ids: Vec::new(),
                refreshing: false,
                shown: String::new(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PopupAction {
    Authorize,
    OpenOptions,
    OpenTickets,
    Refresh,
    Retry(String),
    Discard(String),
}

/// A clone of the page's `<template id=…>`, translated (extension/popup.html).
fn view(id: &str) -> Option<Element> {
    template::instantiate_by_id(&dom::document()?, id)
}

/// Sets `name`'s text inside `root`.
fn fill(root: &Element, name: &str, text: &str) {
    if let Some(node) = part::<Element>(root, name) {
        node.set_text_content(Some(text));
    }
}

/// Removes `name` from `root` (a template's piece that does not apply).
fn drop_part(root: &Element, name: &str) {
    if let Some(node) = part::<Element>(root, name) {
        node.remove();
    }
}

/// The actions under the status: Authorize when the connection needs it, a hint when not
/// connected.
pub fn render_status_actions(
    status: Option<&ConnectionStatus>,
    dispatch: &Dispatch<PopupAction>,
) -> Option<El> {
    let state = status.map(|s| s.state);
    let row = view("popup-status-actions")?;
    if state != Some(ConnectionState::AuthorizationNeeded) {
        drop_part(&row, "authorize");
    }
    if state != Some(ConnectionState::NotConnected) {
        drop_part(&row, "not-connected");
    }
    let d = dispatch.clone();
    Some(wrap(row).on("click", move |e| {
        if event_action(&e).is_some_and(|(action, _)| action == "authorize") {
            d(PopupAction::Authorize);
        }
    }))
}

/// One kind's block (static in the template): the total, counts per state, the latest tickets.
fn fill_kind(block: &Element, kind: TicketKind, snapshot: &TicketSnapshot) -> Option<()> {
    let latest: Vec<&TicketSummary> = snapshot
        .tickets
        .iter()
        .filter(|t| t.kind == kind)
        .take(LATEST_PER_KIND)
        .collect();
    let counts: Vec<_> = snapshot
        .counts
        .iter()
        .filter(|c| c.kind == kind && c.count > 0)
        .collect();
    let total: u32 = counts.iter().map(|c| c.count).sum();
    let badge = part::<Element>(block, "total")?;
    badge.set_text_content(Some(&format_number(total.into())));
    let _ = badge.set_attribute(
        "aria-label",
        &t_count(total.into(), "popup_total_one", "popup_total_other"),
    );
    let counts_list = part::<Element>(block, "counts")?;
    if counts.is_empty() {
        counts_list.remove();
    }
    for c in counts {
        let item = view("popup-count")?;
        let _ = item.set_attribute("data-state", &c.state);
        fill(&item, "label", &c.label);
        fill(&item, "value", &format_number(c.count.into()));
        let _ = counts_list.append_child(&item);
    }
    let list = part::<Element>(block, "list")?;
    if latest.is_empty() {
        list.remove();
    } else {
        drop_part(block, "empty");
    }
    for ticket in latest {
        let _ = list.append_child(&render_ticket(ticket)?.into());
    }
    Some(())
}

fn render_ticket(ticket: &TicketSummary) -> Option<Element> {
    let item = view("popup-ticket")?;
    let _ = item.set_attribute("data-number", &ticket.number);
    bind_ticket_number(&item, ticket);
    let name = part::<Element>(&item, "name")?;
    name.set_text_content(Some(&ticket.short_description));
    let _ = name.set_attribute("title", &ticket.short_description);
    bind_state_chip(&part(&item, "state")?, ticket);
    fill(
        &item,
        "updated",
        &t_with("popup_updated", &[&format_sn_time(&ticket.updated_on)]),
    );
    Some(item)
}

/// Both kinds' latest tickets and counts, and when they were fetched.
pub fn render_tickets(snapshot: &TicketSnapshot) -> Option<El> {
    let root = view("popup-tickets")?;
    for kind in TicketKind::ALL {
        let block = root
            .query_selector(&format!("[data-kind=\"{}\"]", kind_value(kind)))
            .ok()??;
        fill_kind(&block, kind, snapshot)?;
    }
    let fetched = snapshot
        .fetched_at
        .map(|at| t_with("popup_fetched_at", &[&format_time(at)]))
        .unwrap_or_else(|| t("popup_never_fetched"));
    fill(&root, "fetched", &fetched);
    Some(wrap(root))
}

fn outbox_status_label(status: &OutboxStatus) -> (String, &'static str) {
    match status {
        OutboxStatus::Pending => (t("popup_outbox_pending"), "is-warn"),
        OutboxStatus::Sending { .. } => (t("popup_outbox_sending"), "is-open"),
        OutboxStatus::Unknown => (t("popup_outbox_unknown"), "is-warn"),
        OutboxStatus::Failed { .. } => (t("popup_outbox_failed"), "is-error"),
    }
}

fn render_outbox_item(i: usize, item: &OutboxView) -> Option<Element> {
    let row = view("popup-outbox-item")?;
    let name_id = format!("outbox-item-{i}");
    let _ = row.set_attribute("data-share-id", &item.share_id);
    let (label, class) = outbox_status_label(&item.status);
    let failed_diagnosis = match &item.status {
        OutboxStatus::Failed { diagnosis } => Some(diagnosis),
        _ => None,
    };
    let mut meta = vec![
        kind_label(item.kind),
        t_with("popup_outbox_attempts", &[&item.attempts.to_string()]),
    ];
    if failed_diagnosis.is_none() && item.next_attempt_at > 0 {
        meta.push(t_with(
            "popup_outbox_next_attempt",
            &[&format_time(item.next_attempt_at)],
        ));
    }
    let name = part::<Element>(&row, "name")?;
    name.set_id(&name_id);
    name.set_text_content(Some(&if item.name.trim().is_empty() {
        t("popup_outbox_untitled")
    } else {
        item.name.clone()
    }));
    let chip = part::<Element>(&row, "status")?;
    chip.set_text_content(Some(&label));
    let _ = chip.class_list().add_1(class);
    fill(&row, "meta", &meta.join(" · "));
    match failed_diagnosis {
        // A permanent failure: cause and fix, the user has to act.
        Some(d) => {
            bind_diagnosis(&part(&row, "diagnosis")?, d);
            drop_part(&row, "last-error");
        }
        // Still being retried: the last cause in one line.
        None => {
            drop_part(&row, "diagnosis");
            match &item.last_error {
                Some(d) => fill(
                    &row,
                    "last-error",
                    &t_with("popup_outbox_last_error", &[&diagnosis_text(d).0]),
                ),
                None => drop_part(&row, "last-error"),
            }
        }
    }
    // An unreadable share cannot be sent again, only discarded.
    if failed_diagnosis == Some(&Diagnosis::ShareUnreadable) {
        drop_part(&row, "retry");
    } else if matches!(item.status, OutboxStatus::Sending { .. }) {
        if let Some(retry) = part::<Element>(&row, "retry") {
            let _ = retry.set_attribute("disabled", "");
        }
    }
    for button in template::parts(&row, "retry")
        .into_iter()
        .chain(template::parts(&row, "discard"))
    {
        let _ = button.set_attribute("aria-describedby", &name_id);
    }
    Some(row)
}

/// The outbox: each queued or failed share with its state, cause, Retry and Discard.
/// Hidden when it is empty.
pub fn render_outbox(items: &[OutboxView], dispatch: &Dispatch<PopupAction>) -> Option<El> {
    let section = view("popup-outbox")?;
    if items.is_empty() {
        let _ = section.set_attribute("hidden", "");
        return Some(wrap(section));
    }
    fill(&section, "count", &format_number(items.len() as u64));
    let list = part::<Element>(&section, "list")?;
    for (i, item) in items.iter().enumerate() {
        let _ = list.append_child(&render_outbox_item(i, item)?.into());
    }
    let d = dispatch.clone();
    Some(wrap(section).on("click", move |e| {
        let Some((action, control)) = event_action(&e) else {
            return;
        };
        let share_id = control
            .closest("[data-share-id]")
            .ok()
            .flatten()
            .and_then(|row| row.get_attribute("data-share-id"));
        match (action.as_str(), share_id) {
            ("retry", Some(id)) => d(PopupAction::Retry(id)),
            ("discard", Some(id)) => d(PopupAction::Discard(id)),
            _ => {}
        }
    }))
}

/// An inline alert (`role=alert`) with a message from the worker or ServiceNow.
fn alert(message: &str) -> Option<View> {
    let alert = view("popup-alert")?;
    fill(&alert, "text", message);
    Some(wrap(alert).build())
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

struct Popup {
    status: RefCell<Option<ConnectionStatus>>,
    /// What snshare recognized on the current tab (the recognition report).
    page: RefCell<Region>,
    status_region: RefCell<Region>,
    actions: RefCell<Region>,
    busy: Element,
    messages: RefCell<Region>,
    tickets: RefCell<Region>,
    outbox: RefCell<Region>,
    /// The page's own listener (header and footer controls), for the page's lifetime.
    controls: RefCell<Option<View>>,
    /// Follow-up loads while the worker reports a refresh in progress.
    polls: Cell<u32>,
    generation: Cell<u32>,
    /// The load whose status has arrived: a tickets answer of that load can be drawn.
    status_of: Cell<u32>,
    /// A tickets answer that came before its load's status (answer, forced, generation).
    early_tickets: RefCell<Option<(ResponseBody, bool, u32)>>,
    /// The worker has answered: what the last opening drew is not drawn any more.
    answered: Cell<bool>,
}

const MAX_POLLS: u32 = 15;

/// `drawn`: the read of what the last opening drew, started by the page's loader
/// (`extension/popup.js`) while the wasm loaded; `None` reads it now.
pub fn start(drawn: Option<js_sys::Promise>) {
    let Some(root) = super::page_from_markup("popup_title") else {
        return;
    };
    let region = |name: &str| part::<Element>(&root, name).map(|n| RefCell::new(Region::new(n)));
    let (
        Some(status_region),
        Some(actions),
        Some(messages),
        Some(tickets),
        Some(outbox),
        Some(page_report),
        Some(busy),
    ) = (
        region("status"),
        region("status-actions"),
        region("messages"),
        region("tickets"),
        region("outbox"),
        region("recognition-body"),
        part::<Element>(&root, "busy"),
    )
    else {
        return;
    };
    let page = Rc::new(Popup {
        status: RefCell::new(None),
        page: page_report,
        status_region,
        actions,
        busy,
        messages,
        tickets,
        outbox,
        controls: RefCell::new(None),
        polls: Cell::new(0),
        generation: Cell::new(0),
        status_of: Cell::new(0),
        early_tickets: RefCell::new(None),
        answered: Cell::new(false),
    });
    let dispatch = super::page::dispatch(&page);
    let controls = wrap(root).on("click", move |e| {
        let Some((action, _)) = event_action(&e) else {
            return;
        };
        let action = match action.as_str() {
            "refresh" => PopupAction::Refresh,
            "open-options" => PopupAction::OpenOptions,
            "open-tickets" => {
                e.prevent_default();
                PopupAction::OpenTickets
            }
            _ => return,
        };
        dispatch(action);
    });
    *page.controls.borrow_mut() = Some(controls.build());
    page.render_status();
    super::page::keep(&page);
    // Asked before the worker is: one storage read, answered without waking the worker (and
    // usually answered already: the loader asked while the wasm loaded).
    let p = page.clone();
    spawn_local(async move { p.draw_last_drawn(drawn).await });
    page.load(false);
    load_recognition(&page);
    load_bulk();
    let p = page.clone();
    super::on_storage_changed(move || p.load(false));
}

impl Popup {
    /// The status region is live: it is rewritten only when what it says changed, so a reload
    /// (every storage change) is not announced again.
    fn render_status(self: &Rc<Self>) {
        let status = self.status.borrow();
        let mut region = self.status_region.borrow_mut();
        match status_from_markup(status.as_ref(), false) {
            Some(shown) if region.host().inner_html() != shown.outer_html() => {
                region.set(wrap(shown).build())
            }
            Some(_) => {}
            None => region.clear(),
        }
        match render_status_actions(status.as_ref(), &super::page::dispatch(self)) {
            Some(actions) => self.actions.borrow_mut().set(actions.build()),
            None => self.actions.borrow_mut().clear(),
        }
    }

    fn set_refreshing(&self, on: bool) {
        dom::toggle_attr(&self.busy, "hidden", !on);
    }

    fn show_message(&self, message: Option<View>) {
        match message {
            Some(v) => self.messages.borrow_mut().set(v),
            None => self.messages.borrow_mut().clear(),
        }
    }

    /// What the last opening drew, until the worker's answers come; nothing when they came
    /// first or nothing was kept (a damaged value is not drawn either).
    async fn draw_last_drawn(self: &Rc<Self>, started: Option<js_sys::Promise>) {
        let read = match started {
            Some(p) => storage::get_started::<Drawn>(p, DRAWN_KEY).await,
            None => storage::get::<Drawn>(Area::Session, DRAWN_KEY).await,
        };
        let Ok(Some(drawn)) = read else {
            return;
        };
        if self.answered.get() {
            return;
        }
        *self.status.borrow_mut() = Some(drawn.status);
        self.render_status();
        if let Some(v) = render_tickets(&drawn.tickets) {
            self.tickets.borrow_mut().set(v.build());
        }
    }

    /// Keeps what was drawn from the worker's answers for the next opening.
    fn keep_drawn(&self, snapshot: &TicketSnapshot) {
        let Some(status) = self.status.borrow().clone() else {
            return;
        };
        let drawn = Drawn::new(status, snapshot);
        spawn_local(async move {
            let _ = storage::set(Area::Session, DRAWN_KEY, &drawn).await;
        });
    }

    /// Status, tickets and outbox are asked for together (one round trip to the worker, not
    /// two in a row); the tickets are drawn once the status is in, since it decides what an
    /// error in their answer means.
    fn load(self: &Rc<Self>, force_refresh: bool) {
        let generation = self.generation.get().wrapping_add(1);
        self.generation.set(generation);
        let p = self.clone();
        spawn_local(async move {
            let answer = send(RequestBody::GetStatus).await;
            p.answered.set(true);
            match answer {
                ResponseBody::Status(s) => {
                    *p.status.borrow_mut() = Some(s);
                    p.messages.borrow_mut().clear();
                }
                other => {
                    p.show_message(alert(&common::unexpected(&other)));
                }
            }
            p.render_status();
            p.status_of.set(generation);
            let early = p.early_tickets.borrow_mut().take();
            if let Some((answer, forced, g)) = early {
                p.show_tickets(answer, forced, g);
            }
        });
        let q = self.clone();
        spawn_local(async move { q.load_outbox().await });
        let p = self.clone();
        spawn_local(async move {
            let answer = p.ask_tickets(force_refresh).await;
            if p.status_of.get() == generation {
                p.show_tickets(answer, force_refresh, generation);
            } else {
                *p.early_tickets.borrow_mut() = Some((answer, force_refresh, generation));
            }
        });
    }

    async fn ask_tickets(&self, force_refresh: bool) -> ResponseBody {
        if force_refresh {
            self.set_refreshing(true);
        }
        send(RequestBody::GetTickets {
            force_refresh,
            need: SnapshotNeed::Every,
        })
        .await
    }

    async fn load_tickets(self: &Rc<Self>, force_refresh: bool, generation: u32) {
        let answer = self.ask_tickets(force_refresh).await;
        self.show_tickets(answer, force_refresh, generation);
    }

    fn show_tickets(self: &Rc<Self>, answer: ResponseBody, force_refresh: bool, generation: u32) {
        if generation != self.generation.get() && !force_refresh {
            return;
        }
        let not_connected = self
            .status
            .borrow()
            .as_ref()
            .map(|s| s.state == ConnectionState::NotConnected)
            .unwrap_or(false);
        let shown = match answer {
            ResponseBody::Snapshot(snapshot) => {
                let refreshing = snapshot.refreshing;
                self.set_refreshing(refreshing);
                if refreshing && self.polls.get() < MAX_POLLS {
                    self.polls.set(self.polls.get() + 1);
                    let p = self.clone();
                    let _ = dom::after(2000, move || {
                        let g = p.generation.get();
                        spawn_local(async move { p.load_tickets(false, g).await });
                    });
                } else if !refreshing {
                    self.polls.set(0);
                }
                self.keep_drawn(&snapshot);
                render_tickets(&snapshot).map(El::build)
            }
            _ if not_connected => {
                self.set_refreshing(false);
                view("popup-connect-to-see").map(|v| wrap(v).build())
            }
            other => {
                self.set_refreshing(false);
                alert(&common::unexpected(&other))
            }
        };
        match shown {
            Some(v) => self.tickets.borrow_mut().set(v),
            None => self.tickets.borrow_mut().clear(),
        }
    }

    async fn load_outbox(self: &Rc<Self>) {
        match send(RequestBody::GetOutbox).await {
            ResponseBody::Outbox(items) => self.show_outbox(&items),
            // The outbox is secondary here: an error in it must not hide the tickets.
            _ => self.outbox.borrow_mut().clear(),
        }
    }

    /// Shows the outbox again. A keyboard user whose focus was in it keeps a place: the same
    /// control of the same share, else the outbox's first control, else Refresh.
    fn show_outbox(self: &Rc<Self>, items: &[OutboxView]) {
        let host = self.outbox.borrow().host().clone();
        let focused = dom::document()
            .and_then(|d| d.active_element())
            .filter(|active| host.contains(Some(active)));
        // (share id, action) of the focused control, found again by value, not by selector.
        let again = focused.as_ref().and_then(|active| {
            let action = active.get_attribute("data-action")?;
            let share = active
                .closest("[data-share-id]")
                .ok()??
                .get_attribute("data-share-id")?;
            Some((share, action))
        });
        match render_outbox(items, &super::page::dispatch(self)) {
            Some(v) => self.outbox.borrow_mut().set(v.build()),
            None => self.outbox.borrow_mut().clear(),
        }
        if focused.is_none() {
            return;
        }
        let same = again.and_then(|(share, action)| {
            template::parts(&host, "retry")
                .into_iter()
                .chain(template::parts(&host, "discard"))
                .find(|control| {
                    !control.has_attribute("disabled")
                        && control.get_attribute("data-action").as_deref() == Some(action.as_str())
                        && control
                            .closest("[data-share-id]")
                            .ok()
                            .flatten()
                            .and_then(|row| row.get_attribute("data-share-id"))
                            .as_deref()
                            == Some(share.as_str())
                })
        });
        let target = same
            .or_else(|| host.query_selector("button:not([disabled])").ok().flatten())
            .or_else(|| dom::document()?.get_element_by_id("refresh"));
        if let Some(target) = target {
            dom::focus(&target);
        }
    }

    fn outbox_action(self: &Rc<Self>, request: RequestBody) {
        let p = self.clone();
        spawn_local(async move {
            match send(request).await {
                ResponseBody::Error(e) => {
                    p.show_message(alert(&common::error_message(&e)));
                }
                ResponseBody::Outbox(items) => {
                    p.show_outbox(&items);
                    return;
                }
                _ => {}
            }
            p.load_outbox().await;
            let g = p.generation.get();
            p.load_tickets(false, g).await;
        });
    }
}

/// Closes the toolbar popup after it opened a tab. The same page opened as a tab (as the
/// end-to-end tests do) has a current tab and stays open.
fn close_popup() {
    let Ok(p) = chrome::tabs_get_current() else {
        return;
    };
    spawn_local(async move {
        if let Ok(tab) = wasm_bindgen_futures::JsFuture::from(p).await {
            if tab.is_undefined() || tab.is_null() {
                if let Some(w) = web_sys::window() {
                    let _ = w.close();
                }
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// On this tab: the recognition report (what snshare found on the portal page, for when the
// portal changes its markup)
// ---------------------------------------------------------------------------------------------

/// The fields of the content script's report the popup shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
pub struct RecognitionSummary {
    pub page: String,
    #[serde(default)]
    pub rows_found: u32,
    #[serde(default)]
    pub rows_with_action_id: u32,
    #[serde(default)]
    pub share_menu: String,
}

/// Asks snshare's content script in the active tab for its report; `None` where it does not run.
async fn tab_report() -> Option<String> {
    ask_active_tab("recognition_report")
        .await
        .filter(|s| !s.is_empty())
}

/// Sends `{snshare: what}` to snshare's content script in the active tab and returns its text
/// answer; `None` where it does not run or answers nothing.
async fn ask_active_tab(what: &str) -> Option<String> {
    let query = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&query, &"active".into(), &true.into());
    let _ = js_sys::Reflect::set(&query, &"currentWindow".into(), &true.into());
    let tabs = wasm_bindgen_futures::JsFuture::from(chrome::tabs_query(&query).ok()?)
        .await
        .ok()?;
    let tab = js_sys::Array::from(&tabs).get(0);
    let id = js_sys::Reflect::get(&tab, &"id".into()).ok()?.as_f64()?;
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"snshare".into(), &what.into());
    let answer =
        wasm_bindgen_futures::JsFuture::from(chrome::tabs_send_message(id, &message).ok()?)
            .await
            .ok()?;
    answer.as_string()
}

/// The section's content for a report (`None`: snshare does not run on the tab). Copy is
/// the content's `copy-report` action.
pub fn render_recognition(report: Option<&str>, on_copy: Option<Rc<dyn Fn()>>) -> Option<El> {
    let summary = report.and_then(|r| serde_json::from_str::<RecognitionSummary>(r).ok());
    let Some(s) = summary else {
        return view("popup-recognition-none").map(wrap);
    };
    let root = view("popup-recognition")?;
    let kind_key = match s.page.as_str() {
        "home" | "overview" | "recommended_actions" | "action_detail" => {
            format!("popup_page_kind_{}", s.page)
        }
        _ => "popup_page_kind_other".to_owned(),
    };
    let menu_key = match s.share_menu.as_str() {
        "found" => "popup_page_share_menu_found",
        "not_found" => "popup_page_share_menu_not_found",
        _ => "popup_page_share_menu_not_opened",
    };
    fill(&root, "kind", &t_with("popup_page_kind", &[&t(&kind_key)]));
    if matches!(s.page.as_str(), "recommended_actions" | "action_detail") {
        fill(
            &root,
            "rows",
            &t_with("popup_page_rows", &[&s.rows_found.to_string()]),
        );
        fill(
            &root,
            "rows-with-id",
            &t_with(
                "popup_page_rows_with_id",
                &[&s.rows_with_action_id.to_string()],
            ),
        );
    } else {
        drop_part(&root, "rows");
        drop_part(&root, "rows-with-id");
    }
    if s.page == "action_detail" {
        fill(&root, "share-menu", &t(menu_key));
    } else {
        drop_part(&root, "share-menu");
    }
    let content = wrap(root);
    Some(match on_copy {
        Some(f) => content.on("click", move |e| {
            if event_action(&e).is_some_and(|(action, _)| action == "copy-report") {
                f();
            }
        }),
        None => content,
    })
}

fn load_recognition(page: &Rc<Popup>) {
    let p = page.clone();
    spawn_local(async move {
        let report = tab_report().await;
        let copy: Option<Rc<dyn Fn()>> = report.clone().map(|r| {
            let f: Rc<dyn Fn()> = Rc::new(move || {
                let r = r.clone();
                spawn_local(async move {
                    let ok = dom::copy_text(&r).await;
                    if let Some(status) =
                        dom::document().and_then(|d| d.get_element_by_id("copy-report-status"))
                    {
                        status.set_text_content(Some(&t(if ok {
                            "popup_report_copied"
                        } else {
                            "popup_report_copy_failed"
                        })));
                    }
                });
            });
            f
        });
        match render_recognition(report.as_deref(), copy) {
            Some(v) => p.page.borrow_mut().set(v.build()),
            None => p.page.borrow_mut().clear(),
        }
    });
}

// ---------------------------------------------------------------------------------------------
// On this tab: share all its actions that have no ticket (issue 18)
// ---------------------------------------------------------------------------------------------

/// One action of the tab's list without a ticket, as its content script reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct PreviewItem {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub category: Option<crate::domain::ticket::Category>,
    #[serde(default)]
    pub status: Option<crate::domain::action_status::ActionStatus>,
    pub description: String,
    pub link: String,
    #[serde(default)]
    pub user_id: String,
}

/// Asks the active tab's content script for its actions without a ticket.
async fn tab_preview() -> Option<Vec<PreviewItem>> {
    serde_json::from_str(&ask_active_tab("bulk_preview").await?).ok()
}

/// The drafts of a preview, with the options' ticket defaults (kind, priority, due date,
/// assignment group) and each action's own source (Secure Score or Compliance Manager).
pub fn bulk_items(
    bulk_id: &str,
    preview: &[PreviewItem],
    settings: &crate::domain::settings::SettingsView,
    today: time::Date,
) -> Vec<crate::messages::BulkItem> {
    let d = &settings.defaults;
    preview
        .iter()
        .enumerate()
        .map(|(n, p)| crate::messages::BulkItem {
            share_id: format!("{bulk_id}{n}"),
            draft: crate::domain::draft::TaskDraft {
                kind: d.kind,
                name: p
                    .title
                    .chars()
                    .take(crate::domain::draft::TASK_NAME_MAX)
                    .collect(),
                description: p.description.clone(),
                priority: d.priority,
                due_date: crate::domain::draft::default_due_date(today, d.due_in_days),
                user_id: if p.user_id.is_empty() {
                    settings.fallback_user_id.clone().unwrap_or_default()
                } else {
                    p.user_id.clone()
                },
                // The page's source: a Compliance Manager action's key carries its namespace.
                source: crate::domain::ticket::RecommendationSource::of_action(Some(&p.key)),
                category: p.category,
                status: p.status,
                action_id: Some(p.key.clone()),
                action_url: Some(p.link.clone()),
                assignment_group: settings.mapping.assignment_group.clone(),
                compliance: None,
            },
            allow_duplicate: false,
        })
        .collect()
}

thread_local! {
    static BULK_VIEW: RefCell<Option<View>> = const { RefCell::new(None) };
}

fn load_bulk() {
    spawn_local(async move {
        let Some(doc) = dom::document() else { return };
        let (Some(section), Some(preview)) = (doc.get_element_by_id("bulk"), tab_preview().await)
        else {
            return;
        };
        if preview.is_empty() {
            return;
        }
        let Some(body) = view("popup-bulk") else {
            return;
        };
        let n = preview.len().to_string();
        fill(&body, "count", &t_with("popup_bulk_count", &[&n]));
        fill(&body, "share", &t_with("bulk_share_n", &[&n]));
        if let Some(list) = part::<Element>(&body, "list") {
            for p in &preview {
                if let Ok(li) = doc.create_element("li") {
                    li.set_text_content(Some(&p.title));
                    let _ = list.append_child(&li);
                }
            }
        }
        let preview = Rc::new(preview);
        let started = Rc::new(Cell::new(false));
        let content = wrap(body).on("click", move |e| {
            if event_action(&e).is_none_or(|(action, _)| action != "bulk-share") || !e.is_trusted()
            {
                return;
            }
            if started.replace(true) {
                return;
            }
            let preview = preview.clone();
            spawn_local(async move { share_bulk(&preview).await });
        });
        let view = content.build();
        let _ = section.append_child(view.root());
        // The view owns its click listener: kept for the popup's life.
        BULK_VIEW.with(|v| *v.borrow_mut() = Some(view));
        let _ = section.remove_attribute("hidden");
    });
}

fn bulk_progress(text: &str) {
    if let Some(p) = dom::document().and_then(|d| d.get_element_by_id("bulk-progress")) {
        p.set_text_content(Some(text));
    }
}

async fn share_bulk(preview: &[PreviewItem]) {
    let settings = match send(RequestBody::GetSettings).await {
        ResponseBody::Settings(s) => s,
        _ => return bulk_progress(&t("popup_bulk_failed")),
    };
    let bulk_id = crate::platform::random_hex(8);
    let items = bulk_items(&bulk_id, preview, &settings, crate::platform::today());
    let mut body = RequestBody::ShareBulk(crate::messages::BulkShareRequest {
        bulk_id: bulk_id.clone(),
        items,
    });
    loop {
        let view = match send(body).await {
            ResponseBody::Bulk(v) => v,
            ResponseBody::Error(e) => return bulk_progress(&e.message),
            _ => return bulk_progress(&t("popup_bulk_failed")),
        };
        let c = view.counts();
        let to_go = (c.total - c.skipped).to_string();
        if view.finished() {
            return bulk_progress(&t_with(
                "bulk_done",
                &[&c.created.to_string(), &c.skipped.to_string()],
            ));
        }
        bulk_progress(&t_with(
            "popup_bulk_progress",
            &[&c.created.to_string(), &to_go],
        ));
        pause(700).await;
        body = RequestBody::GetBulk {
            bulk_id: bulk_id.clone(),
        };
    }
}

async fn pause(ms: i32) {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(p).await;
}

impl super::page::Page for Popup {
    type Action = PopupAction;

    fn on_action(self: &Rc<Self>, action: PopupAction) {
        match action {
            PopupAction::OpenOptions => {
                super::open_options_page();
                close_popup();
            }
            PopupAction::OpenTickets => {
                super::open_tab(&chrome::runtime_get_url("tickets.html"));
                close_popup();
            }
            PopupAction::Refresh => {
                self.polls.set(0);
                self.load(true);
            }
            PopupAction::Authorize => {
                // Inside the click, for the user gesture; resolves at once when still granted.
                let permission = self
                    .status
                    .borrow()
                    .as_ref()
                    .and_then(|s| s.instance.as_deref())
                    .and_then(|i| InstanceUrl::parse(i).ok())
                    .and_then(|u| super::request_host_permission(&u.permission_pattern()));
                let p = self.clone();
                spawn_local(async move {
                    if let Some(permission) = permission {
                        // Refused or not, the worker's answer says what is wrong.
                        let _ = super::permission_outcome(permission).await;
                    }
                    p.show_message(view("popup-authorizing").map(|v| wrap(v).build()));
                    match send(RequestBody::Authorize(AuthMethod::AuthorizationCode)).await {
                        ResponseBody::Status(_) | ResponseBody::Done => {
                            p.messages.borrow_mut().clear()
                        }
                        other => p.show_message(alert(&common::unexpected(&other))),
                    }
                    p.load(false);
                });
            }
            PopupAction::Retry(share_id) => {
                self.outbox_action(RequestBody::RetryShare { share_id })
            }
            PopupAction::Discard(share_id) => {
                self.outbox_action(RequestBody::DiscardShare { share_id })
            }
        }
    }
}
