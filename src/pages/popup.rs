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
use crate::messages::{AuthMethod, OutboxView, RequestBody, ResponseBody, TicketSnapshot};
use crate::platform::i18n::{format_number, t_count};
use crate::platform::{chrome, messaging::send, t, t_with};

use super::common::{
    self, alert, diagnosis_text, format_sn_time, format_time, kind_label, kind_value,
    render_diagnosis, render_status, spinner, state_chip, status_host, ticket_link,
};
use super::dom::build::{el, Dispatch, El, Region, View};

/// Tickets shown per kind.
pub const LATEST_PER_KIND: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PopupAction {
    Authorize,
    OpenOptions,
    OpenTickets,
    Refresh,
    Retry(String),
    Discard(String),
}

fn button(label: &str) -> El {
    el("button").attr("type", "button").class("btn").text(label)
}

/// The actions under the status: Authorize when the connection needs it.
pub fn render_status_actions(
    status: Option<&ConnectionStatus>,
    dispatch: &Dispatch<PopupAction>,
) -> El {
    let state = status.map(|s| s.state);
    let d = dispatch.clone();
    let mut row = el("div").class("actions");
    if state == Some(ConnectionState::AuthorizationNeeded) {
        row = row.child(
            button(&t("popup_authorize"))
                .class("btn-primary")
                .id("authorize")
                .on("click", move |_| d(PopupAction::Authorize)),
        );
    }
    if state == Some(ConnectionState::NotConnected) {
        row = row.child(
            el("p")
                .class("status-hint")
                .text(&t("popup_not_connected_hint")),
        );
    }
    row
}

/// One kind's block: heading with the total, counts per state, the latest tickets.
fn render_kind(kind: TicketKind, snapshot: &TicketSnapshot) -> El {
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
    let heading_id = format!("popup-{}", kind_value(kind).replace('_', "-"));
    let heading = match kind {
        TicketKind::Incident => t("popup_incidents"),
        TicketKind::ChangeRequest => t("popup_change_requests"),
    };
    let counts_list = (!counts.is_empty()).then(|| {
        el("ul")
            .class("counts")
            .attr("aria-label", &t("popup_counts_label"))
            .children(counts.iter().map(|c| {
                el("li")
                    .attr("data-state", &c.state)
                    .child(el("span").class("count-label").text(&c.label))
                    .child(
                        el("span")
                            .class("count-value")
                            .text(&format_number(c.count.into())),
                    )
            }))
    });
    let list = if latest.is_empty() {
        el("p").class("muted empty").text(&t("popup_no_tickets"))
    } else {
        el("ul")
            .class("ticket-list")
            .children(latest.into_iter().map(render_ticket))
    };
    el("section")
        .class("kind-block")
        .attr("data-kind", kind_value(kind))
        .attr("aria-labelledby", &heading_id)
        .child(
            el("h2")
                .id(&heading_id)
                .child(el("span").text(&heading))
                .child(
                    el("span")
                        .class("badge")
                        .attr(
                            "aria-label",
                            &t_count(total.into(), "popup_total_one", "popup_total_other"),
                        )
                        .text(&format_number(total.into())),
                ),
        )
        .child_opt(counts_list)
        .child(list)
}

fn render_ticket(ticket: &TicketSummary) -> El {
    el("li")
        .class("ticket")
        .attr("data-number", &ticket.number)
        .child(
            el("div")
                .class("ticket-top")
                .child(ticket_link(ticket))
                .child(
                    el("span")
                        .class("ticket-name")
                        .attr("title", &ticket.short_description)
                        .text(&ticket.short_description),
                ),
        )
        .child(
            el("div")
                .class("ticket-meta")
                .child(state_chip(ticket))
                .child(el("span").text(&t_with(
                    "popup_updated",
                    &[&format_sn_time(&ticket.updated_on)],
                ))),
        )
}

/// Both kinds' latest tickets and counts, and when they were fetched.
pub fn render_tickets(snapshot: &TicketSnapshot) -> El {
    let fetched = snapshot
        .fetched_at
        .map(|at| t_with("popup_fetched_at", &[&format_time(at)]))
        .unwrap_or_else(|| t("popup_never_fetched"));
    el("div")
        .class("tickets")
        .children(
            TicketKind::ALL
                .into_iter()
                .map(|k| render_kind(k, snapshot)),
        )
        .child(el("p").class("muted small fetched").text(&fetched))
}

fn outbox_status_label(status: &OutboxStatus) -> (String, &'static str) {
    match status {
        OutboxStatus::Pending => (t("popup_outbox_pending"), "is-warn"),
        OutboxStatus::Sending { .. } => (t("popup_outbox_sending"), "is-open"),
        OutboxStatus::Unknown => (t("popup_outbox_unknown"), "is-warn"),
        OutboxStatus::Failed { .. } => (t("popup_outbox_failed"), "is-error"),
    }
}

/// The outbox: each queued or failed share with its state, cause, Retry and Discard.
/// Nothing at all when it is empty.
pub fn render_outbox(items: &[OutboxView], dispatch: &Dispatch<PopupAction>) -> El {
    if items.is_empty() {
        return el("div").class("outbox is-empty");
    }
    let rows = items.iter().enumerate().map(|(i, item)| {
        let name_id = format!("outbox-item-{i}");
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
        let sending = matches!(item.status, OutboxStatus::Sending { .. });
        let (dr, dd) = (dispatch.clone(), dispatch.clone());
        let (id_r, id_d) = (item.share_id.clone(), item.share_id.clone());
        let name = if item.name.trim().is_empty() {
            t("popup_outbox_untitled")
        } else {
            item.name.clone()
        };
        el("li")
            .class("outbox-item")
            .attr("data-share-id", &item.share_id)
            .child(
                el("div")
                    .class("ticket-top")
                    .child(el("strong").id(&name_id).class("outbox-name").text(&name))
                    .child(el("span").class("chip").class(class).text(&label)),
            )
            .child(el("div").class("ticket-meta").text(&meta.join(" · ")))
            .child_opt(match failed_diagnosis {
                // A permanent failure: cause and fix, the user has to act.
                Some(d) => Some(render_diagnosis(d)),
                // Still being retried: the last cause in one line.
                None => item.last_error.as_ref().map(|d| {
                    el("p")
                        .class("ticket-meta last-error")
                        .text(&t_with("popup_outbox_last_error", &[&diagnosis_text(d).0]))
                }),
            })
            .child(
                el("div")
                    .class("actions")
                    // An unreadable share cannot be sent again, only discarded.
                    .child_opt(
                        (failed_diagnosis != Some(&Diagnosis::ShareUnreadable)).then(|| {
                            button(&t("popup_retry"))
                                .attr("aria-describedby", &name_id)
                                .disabled(sending)
                                .on("click", move |_| dr(PopupAction::Retry(id_r.clone())))
                        }),
                    )
                    .child(
                        button(&t("popup_discard"))
                            .class("btn-danger")
                            .attr("aria-describedby", &name_id)
                            .on("click", move |_| dd(PopupAction::Discard(id_d.clone()))),
                    ),
            )
    });
    el("section")
        .class("outbox")
        .attr("aria-labelledby", "outbox-heading")
        .child(
            el("h2")
                .id("outbox-heading")
                .child(el("span").text(&t("popup_outbox")))
                .child(el("span").class("badge").text(&items.len().to_string())),
        )
        .child(el("p").class("muted small").text(&t("popup_outbox_hint")))
        .child(el("ul").class("outbox-list").children(rows))
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
    busy: RefCell<Region>,
    messages: RefCell<Region>,
    tickets: RefCell<Region>,
    outbox: RefCell<Region>,
    skeleton: RefCell<Option<View>>,
    /// Follow-up loads while the worker reports a refresh in progress.
    polls: Cell<u32>,
    generation: Cell<u32>,
}

thread_local! {
    static PAGE: RefCell<Option<Rc<Popup>>> = const { RefCell::new(None) };
}

const MAX_POLLS: u32 = 15;

pub fn start() {
    let Some(root) = super::page_root("popup_title") else {
        return;
    };
    let status = status_host().id("connection-status");
    let actions = el("div").class("status-actions");
    let busy = el("span").class("header-busy");
    let messages = el("div").class("messages").attr("aria-live", "polite");
    let tickets = el("div").class("tickets-host");
    let outbox = el("div").class("outbox-host");
    let page_host = el("section")
        .class("card page-card")
        .id("recognition")
        .attr("aria-labelledby", "recognition-heading");
    let page_node = page_host.node().clone();
    let nodes = (
        status.node().clone(),
        actions.node().clone(),
        busy.node().clone(),
        messages.node().clone(),
        tickets.node().clone(),
        outbox.node().clone(),
    );
    let page = Rc::new(Popup {
        status: RefCell::new(None),
        page: RefCell::new(Region::new(page_node)),
        status_region: RefCell::new(Region::new(nodes.0)),
        actions: RefCell::new(Region::new(nodes.1)),
        busy: RefCell::new(Region::new(nodes.2)),
        messages: RefCell::new(Region::new(nodes.3)),
        tickets: RefCell::new(Region::new(nodes.4)),
        outbox: RefCell::new(Region::new(nodes.5)),
        skeleton: RefCell::new(None),
        polls: Cell::new(0),
        generation: Cell::new(0),
    });
    let dispatch = page.dispatch();
    let (dr, dt, dopt) = (dispatch.clone(), dispatch.clone(), dispatch.clone());
    let tickets_url = chrome::runtime_get_url("tickets.html");
    let skeleton = el("div")
        .class("popup-page")
        .child(
            el("header")
                .class("popup-header")
                .child(el("span").class("brand-mark").attr("aria-hidden", "true"))
                .child(el("h1").text(&t("popup_heading")))
                .child(busy)
                .child(
                    el("button")
                        .attr("type", "button")
                        .class("btn btn-icon")
                        .id("refresh")
                        .attr("aria-label", &t("popup_refresh"))
                        .attr("title", &t("popup_refresh"))
                        .child(
                            el("span")
                                .class("refresh-icon")
                                .attr("aria-hidden", "true")
                                .text("⟳"),
                        )
                        .on("click", move |_| dr(PopupAction::Refresh)),
                ),
        )
        .child(
            el("section")
                .class("card status-card")
                .child(status)
                .child(actions),
        )
        .child(messages)
        .child(outbox)
        .child(tickets)
        .child(page_host)
        .child(
            el("footer")
                .class("popup-footer")
                .child(
                    el("a")
                        .id("view-all")
                        .attr("href", &tickets_url)
                        .attr("target", "_blank")
                        .class("link-button")
                        .text(&t("popup_view_all"))
                        .on("click", move |e| {
                            e.prevent_default();
                            dt(PopupAction::OpenTickets)
                        }),
                )
                .child(
                    el("button")
                        .attr("type", "button")
                        .class("btn")
                        .id("options")
                        .text(&t("popup_options"))
                        .on("click", move |_| dopt(PopupAction::OpenOptions)),
                ),
        )
        .build();
    root.replace_children_with_node_1(skeleton.root());
    *page.skeleton.borrow_mut() = Some(skeleton);
    page.render_status();
    PAGE.with(|p| *p.borrow_mut() = Some(page.clone()));
    page.load(false);
    load_recognition(&page);
    let p = page.clone();
    super::on_storage_changed(move || p.load(false));
}

impl Popup {
    fn dispatch(self: &Rc<Self>) -> Dispatch<PopupAction> {
        let weak = Rc::downgrade(self);
        Rc::new(move |action| {
            if let Some(p) = weak.upgrade() {
                p.on_action(action);
            }
        })
    }

    fn render_status(self: &Rc<Self>) {
        let status = self.status.borrow();
        self.status_region
            .borrow_mut()
            .set(render_status(status.as_ref(), false).build());
        self.actions
            .borrow_mut()
            .set(render_status_actions(status.as_ref(), &self.dispatch()).build());
    }

    fn set_refreshing(&self, on: bool) {
        let mut busy = self.busy.borrow_mut();
        if on {
            busy.set(spinner(&t("popup_refreshing")).build());
        } else {
            busy.clear();
        }
    }

    /// Status first (it decides what an error means), then tickets and outbox.
    fn load(self: &Rc<Self>, force_refresh: bool) {
        let generation = self.generation.get().wrapping_add(1);
        self.generation.set(generation);
        let p = self.clone();
        spawn_local(async move {
            match send(RequestBody::GetStatus).await {
                ResponseBody::Status(s) => {
                    *p.status.borrow_mut() = Some(s);
                    p.messages.borrow_mut().clear();
                }
                other => {
                    p.messages
                        .borrow_mut()
                        .set(alert(&common::unexpected(&other)).build());
                }
            }
            p.render_status();
            let q = p.clone();
            spawn_local(async move { q.load_outbox().await });
            p.load_tickets(force_refresh, generation).await;
        });
    }

    async fn load_tickets(self: &Rc<Self>, force_refresh: bool, generation: u32) {
        if force_refresh {
            self.set_refreshing(true);
        }
        let answer = send(RequestBody::GetTickets { force_refresh }).await;
        if generation != self.generation.get() && !force_refresh {
            return;
        }
        let not_connected = self
            .status
            .borrow()
            .as_ref()
            .map(|s| s.state == ConnectionState::NotConnected)
            .unwrap_or(false);
        match answer {
            ResponseBody::Snapshot(snapshot) => {
                let refreshing = snapshot.refreshing;
                self.tickets
                    .borrow_mut()
                    .set(render_tickets(&snapshot).build());
                self.set_refreshing(refreshing);
                if refreshing && self.polls.get() < MAX_POLLS {
                    self.polls.set(self.polls.get() + 1);
                    let p = self.clone();
                    let _ = super::dom::after(2000, move || {
                        let g = p.generation.get();
                        spawn_local(async move { p.load_tickets(false, g).await });
                    });
                } else if !refreshing {
                    self.polls.set(0);
                }
            }
            _ if not_connected => {
                self.set_refreshing(false);
                self.tickets.borrow_mut().set(
                    el("p")
                        .class("muted empty")
                        .text(&t("popup_connect_to_see_tickets"))
                        .build(),
                );
            }
            other => {
                self.set_refreshing(false);
                self.tickets
                    .borrow_mut()
                    .set(alert(&common::unexpected(&other)).build());
            }
        }
    }

    async fn load_outbox(self: &Rc<Self>) {
        match send(RequestBody::GetOutbox).await {
            ResponseBody::Outbox(items) => {
                self.outbox
                    .borrow_mut()
                    .set(render_outbox(&items, &self.dispatch()).build());
            }
            // The outbox is secondary here: an error in it must not hide the tickets.
            _ => self.outbox.borrow_mut().clear(),
        }
    }

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
                    let text = t("popup_authorizing");
                    p.messages.borrow_mut().set(
                        el("p")
                            .class("notice")
                            .child(spinner(&text))
                            .append_text(&text)
                            .build(),
                    );
                    match send(RequestBody::Authorize(AuthMethod::AuthorizationCode)).await {
                        ResponseBody::Status(_) | ResponseBody::Done => {
                            p.messages.borrow_mut().clear()
                        }
                        other => p
                            .messages
                            .borrow_mut()
                            .set(alert(&common::unexpected(&other)).build()),
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

    fn outbox_action(self: &Rc<Self>, request: RequestBody) {
        let p = self.clone();
        spawn_local(async move {
            match send(request).await {
                ResponseBody::Error(e) => {
                    p.messages
                        .borrow_mut()
                        .set(alert(&common::error_message(&e)).build());
                }
                ResponseBody::Outbox(items) => {
                    p.outbox
                        .borrow_mut()
                        .set(render_outbox(&items, &p.dispatch()).build());
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
// On this tab: the recognition report (product.md, "When the portal changes")
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
    let query = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&query, &"active".into(), &true.into());
    let _ = js_sys::Reflect::set(&query, &"currentWindow".into(), &true.into());
    let tabs = wasm_bindgen_futures::JsFuture::from(chrome::tabs_query(&query).ok()?)
        .await
        .ok()?;
    let tab = js_sys::Array::from(&tabs).get(0);
    let id = js_sys::Reflect::get(&tab, &"id".into()).ok()?.as_f64()?;
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"snshare".into(), &"recognition_report".into());
    let answer =
        wasm_bindgen_futures::JsFuture::from(chrome::tabs_send_message(id, &message).ok()?)
            .await
            .ok()?;
    answer.as_string().filter(|s| !s.is_empty())
}

/// The section's content for a report (`None`: snshare does not run on the tab).
pub fn render_recognition(report: Option<&str>, on_copy: Option<Rc<dyn Fn()>>) -> El {
    let heading = el("h2")
        .id("recognition-heading")
        .text(&t("popup_page_heading"));
    let summary = report.and_then(|r| serde_json::from_str::<RecognitionSummary>(r).ok());
    let Some(s) = summary else {
        return el("div")
            .child(heading)
            .child(el("p").class("muted").text(&t("popup_page_none")));
    };
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
    let mut list = el("ul")
        .class("recognition")
        .child(el("li").text(&t_with("popup_page_kind", &[&t(&kind_key)])));
    if matches!(s.page.as_str(), "recommended_actions" | "action_detail") {
        list = list
            .child(el("li").text(&t_with("popup_page_rows", &[&s.rows_found.to_string()])))
            .child(el("li").text(&t_with(
                "popup_page_rows_with_id",
                &[&s.rows_with_action_id.to_string()],
            )));
    }
    if s.page == "action_detail" {
        list = list.child(el("li").text(&t(menu_key)));
    }
    let mut copy = button(&t("popup_copy_report")).id("copy-report");
    if let Some(f) = on_copy {
        copy = copy.on("click", move |_| f());
    }
    el("div").child(heading).child(list).child(copy).child(
        el("p")
            .class("muted small")
            .id("copy-report-status")
            .attr("role", "status"),
    )
}

fn load_recognition(page: &Rc<Popup>) {
    let p = page.clone();
    spawn_local(async move {
        let report = tab_report().await;
        let copy: Option<Rc<dyn Fn()>> = report.clone().map(|r| {
            let f: Rc<dyn Fn()> = Rc::new(move || {
                let r = r.clone();
                spawn_local(async move {
                    let ok = super::dom::copy_text(&r).await;
                    if let Some(status) = super::dom::document()
                        .and_then(|d| d.get_element_by_id("copy-report-status"))
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
        p.page
            .borrow_mut()
            .set(render_recognition(report.as_deref(), copy).build());
    });
}
