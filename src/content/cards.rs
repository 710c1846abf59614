//! Ticket cards on the home page and the Secure Score overview: "Change management" and
//! "Incident management" (counts per state, the five latest tickets, Create ticket, View all
//! tickets, Manage ServiceNow configuration), or one "Do you use ServiceNow?" card with Connect
//! while there is no connection.
//!
//! They go into the portal's own card dashboard (found structurally, see `selectors`), once it
//! has finished loading, dressed in the classes of the portal's plainest card so the layout
//! treats them like its own. They are redrawn only when the connection state or the ticket
//! snapshot changes, and put back if the portal replaced its dashboard.
//!
//! Applies on the home page and the Secure Score overview.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{Document, Element, Event};

use super::app::Ctx;
use super::dom::{self, append, closest, el, set, Listener, OWN_ATTR};
use super::row_share::CMD_ATTR;
use super::scheduler::{self, Batch, Feature, FeatureDef};
use super::selectors;
use super::styles;
use super::task_form::FormRequest;
use super::tickets::{self, TicketStore};
use super::wire;
use crate::domain::connection::ConnectionState;
use crate::domain::ticket::priority_value;
use crate::domain::ticket::{TicketKind, TicketSummary};
use crate::messages::ExtensionPage;
use crate::platform::i18n::{format_number, format_sn_time, ui_lang};
use crate::platform::{t, t_with};

pub const DEF: FeatureDef = FeatureDef { applies, init };

const CARD_MARK: &str = "card";
const CARD_SELECTOR: &str = "[data-snshare=\"card\"]";
const CMD_SELECTOR: &str = "[data-snshare=\"card\"] [data-snshare-cmd]";
const KIND_ATTR: &str = "data-snshare-kind";
/// Latest tickets shown per card.
pub const LATEST: usize = 5;

fn applies(page: &crate::domain::portal_url::PortalPage) -> bool {
    page.shows_cards()
}

/// What the cards show, as a function of the connection and the snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Connect,
    Tickets(ConnectionState),
}

struct Cards {
    status: Rc<RefCell<Option<ConnectionState>>>,
    nodes: Vec<Element>,
    drawn: Option<(Mode, u32)>,
    asked_tickets: bool,
    _click: Option<Listener>,
}

thread_local! {
    static SEQ: Cell<u32> = const { Cell::new(0) };
}

fn init(ctx: &Rc<Ctx>, _page: &crate::domain::portal_url::PortalPage) -> Box<dyn Feature> {
    let status = Rc::new(RefCell::new(None));
    let s = Rc::downgrade(&status);
    wasm_bindgen_futures::spawn_local(async move {
        // A worker that cannot say shows no card at all rather than a wrong one.
        if let Ok(answer) = wire::status().await {
            if let Some(s) = s.upgrade() {
                *s.borrow_mut() = Some(answer);
                scheduler::request_flush();
            }
        }
    });
    let c = ctx.clone();
    let click = web_sys::window()
        .map(|w| Listener::with_capture(w.as_ref(), "click", true, move |e| on_click(&c, &e)));
    Box::new(Cards {
        status,
        nodes: Vec::new(),
        drawn: None,
        asked_tickets: false,
        _click: click,
    })
}

impl Feature for Cards {
    fn on_batch(&mut self, ctx: &Rc<Ctx>, batch: &Batch) {
        let mode = match *self.status.borrow() {
            None => return,
            Some(ConnectionState::NotConnected) => Mode::Connect,
            Some(state) => Mode::Tickets(state),
        };
        if matches!(mode, Mode::Tickets(_)) && !self.asked_tickets {
            self.asked_tickets = true;
            tickets::ensure(&ctx.tickets);
        }
        let generation = ctx.tickets.borrow().generation;
        let key = (mode, if mode == Mode::Connect { 0 } else { generation });
        let attached = !self.nodes.is_empty() && self.nodes.iter().all(selectors::connected);
        if attached && self.drawn == Some(key) {
            return;
        }
        let dashboard = if attached {
            self.nodes.first().and_then(|n| n.parent_element())
        } else {
            if !(batch.structure || batch.initial || self.drawn != Some(key)) {
                return;
            }
            dom::document()
                .and_then(|d| d.document_element())
                .and_then(|r| selectors::main_element(&r))
                .and_then(|m| selectors::card_dashboard(&m))
        };
        let Some(dashboard) = dashboard else { return };
        let Some(doc) = dom::document() else { return };
        styles::apply_theme(&doc);
        let classes = selectors::card_classes(&dashboard).unwrap_or_default();
        let fresh = build_cards(&doc, mode, &ctx.tickets.borrow(), &classes);
        for (i, card) in fresh.iter().enumerate() {
            match self.nodes.get(i).filter(|old| selectors::connected(old)) {
                Some(old) => {
                    let _ = old.replace_with_with_node_1(card);
                }
                None => append(&dashboard, card),
            }
        }
        for old in self.nodes.iter().skip(fresh.len()) {
            old.remove();
        }
        self.nodes = fresh;
        self.drawn = Some(key);
    }
}

fn next_id(prefix: &str) -> String {
    let n = SEQ.with(|s| {
        let v = s.get().wrapping_add(1);
        s.set(v);
        v
    });
    format!("snshare-{prefix}-{n}")
}

fn card_shell(
    doc: &Document,
    classes: &(String, String),
    title: &str,
    kind: &str,
) -> (Element, Element) {
    let card = el(
        doc,
        "section",
        format!("{} snshare-card", classes.0).trim(),
        "",
    );
    set(&card, OWN_ATTR, CARD_MARK);
    set(&card, "data-snshare-card", kind);
    set(&card, "role", "region");
    set(&card, "lang", &ui_lang());
    let id = next_id("card");
    set(&card, "aria-labelledby", &id);
    let h = el(doc, "h2", &classes.1, title);
    set(&h, "id", &id);
    append(&card, &h);
    let body = el(doc, "div", "snshare-card-body", "");
    append(&card, &body);
    (card, body)
}

fn cmd_button(doc: &Document, label: &str, cmd: &str, primary: bool) -> Element {
    let b = el(
        doc,
        "button",
        if primary {
            "snshare-btn snshare-btn-primary"
        } else {
            "snshare-btn"
        },
        label,
    );
    set(&b, "type", "button");
    set(&b, CMD_ATTR, cmd);
    b
}

/// The cards for a mode, from the snapshot (text only).
pub fn build_cards(
    doc: &Document,
    mode: Mode,
    store: &TicketStore,
    classes: &(String, String),
) -> Vec<Element> {
    match mode {
        Mode::Connect => {
            let (card, body) = card_shell(doc, classes, &t("cards_connect_title"), "connect");
            append(&body, &el(doc, "p", "", &t("cards_connect_text")));
            let actions = el(doc, "div", "snshare-card-actions", "");
            append(
                &actions,
                &cmd_button(doc, &t("cards_connect"), "connect", true),
            );
            append(&card, &actions);
            vec![card]
        }
        Mode::Tickets(state) => [TicketKind::ChangeRequest, TicketKind::Incident]
            .into_iter()
            .map(|kind| ticket_card(doc, kind, state, store, classes))
            .collect(),
    }
}

fn ticket_card(
    doc: &Document,
    kind: TicketKind,
    state: ConnectionState,
    store: &TicketStore,
    classes: &(String, String),
) -> Element {
    let title = match kind {
        TicketKind::ChangeRequest => t("cards_change_title"),
        TicketKind::Incident => t("cards_incident_title"),
    };
    let (card, body) = card_shell(doc, classes, &title, kind.table());
    let hint = match state {
        ConnectionState::AuthorizationNeeded => Some(t("common_status_authorization_needed_hint")),
        ConnectionState::Unreachable => Some(t("common_status_unreachable_hint")),
        _ => None,
    };
    if let Some(h) = hint {
        append(&body, &el(doc, "p", "snshare-muted", &h));
    }
    match (store.loaded(), &store.error) {
        (true, _) => {
            let counts: Vec<_> = store
                .counts(kind)
                .into_iter()
                .filter(|c| c.count > 0)
                .collect();
            let latest = store.latest(kind, LATEST);
            if counts.is_empty() && latest.is_empty() {
                append(&body, &el(doc, "p", "snshare-muted", &t("cards_none")));
            }
            if !counts.is_empty() {
                let ul = el(doc, "ul", "snshare-counts", "");
                set(&ul, "aria-label", &t("cards_counts"));
                for c in counts {
                    let li = el(doc, "li", "", "");
                    append(
                        &li,
                        &el(doc, "span", "snshare-count", &format_number(c.count.into())),
                    );
                    append(&li, &el(doc, "span", "", &c.label));
                    append(&ul, &li);
                }
                append(&body, &ul);
            }
            if !latest.is_empty() {
                append(&body, &latest_table(doc, &latest));
            }
        }
        (false, Some(error)) => append(
            &body,
            &el(doc, "p", "snshare-muted", &t_with("cards_error", &[error])),
        ),
        (false, None) => append(&body, &el(doc, "p", "snshare-muted", &t("cards_loading"))),
    }
    let actions = el(doc, "div", "snshare-card-actions", "");
    let create = cmd_button(doc, &t("cards_create"), "create", true);
    set(&create, KIND_ATTR, kind.table());
    append(&actions, &create);
    append(
        &actions,
        &cmd_button(doc, &t("cards_view_all"), "view-all", false),
    );
    append(
        &actions,
        &cmd_button(doc, &t("cards_manage"), "options", false),
    );
    append(&card, &actions);
    card
}

fn latest_table(doc: &Document, tickets: &[TicketSummary]) -> Element {
    let table = el(doc, "table", "snshare-latest", "");
    append(
        &table,
        &el(doc, "caption", "snshare-vh", &t("cards_latest")),
    );
    let thead = el(doc, "thead", "", "");
    let tr = el(doc, "tr", "", "");
    for key in [
        "cards_col_number",
        "cards_col_name",
        "cards_col_state",
        "cards_col_priority",
        "cards_col_assignee",
        "cards_col_updated",
    ] {
        let th = el(doc, "th", "", &t(key));
        set(&th, "scope", "col");
        append(&tr, &th);
    }
    append(&thead, &tr);
    append(&table, &thead);
    let tbody = el(doc, "tbody", "", "");
    for tk in tickets {
        let tr = el(doc, "tr", "", "");
        let number = el(doc, "td", "", "");
        if tk.link.starts_with("https://") {
            let a = el(doc, "a", "", &tk.number);
            set(&a, "href", &tk.link);
            set(&a, "target", "_blank");
            set(&a, "rel", "noopener noreferrer");
            set(&a, "title", &t("common_opens_new_tab"));
            append(&number, &a);
        } else {
            number.set_text_content(Some(&tk.number));
        }
        append(&tr, &number);
        let name = el(doc, "td", "", &tk.short_description);
        set(&name, "title", &tk.short_description);
        append(&tr, &name);
        append(&tr, &el(doc, "td", "", &tk.state_label));
        let priority = tk
            .priority
            .map(|p| t(&format!("common_priority_{}", priority_value(p))))
            .unwrap_or_else(|| "—".into());
        append(&tr, &el(doc, "td", "", &priority));
        let assignee = tk
            .assigned_to
            .clone()
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(|| t("cards_unassigned"));
        append(&tr, &el(doc, "td", "", &assignee));
        append(&tr, &el(doc, "td", "", &format_sn_time(&tk.updated_on)));
        append(&tbody, &tr);
    }
    append(&table, &tbody);
    table
}

fn on_click(ctx: &Rc<Ctx>, e: &Event) {
    let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
        return;
    };
    let Some(button) = closest(&target, CMD_SELECTOR) else {
        return;
    };
    e.prevent_default();
    e.stop_propagation();
    if !dom::by_user(e) {
        return;
    }
    match button.get_attribute(CMD_ATTR).as_deref() {
        Some("connect") | Some("options") => wire::open_page_now(ExtensionPage::Options),
        Some("view-all") => wire::open_page_now(ExtensionPage::Tickets),
        Some("create") => {
            let kind = match button.get_attribute(KIND_ATTR).as_deref() {
                Some("change_request") => TicketKind::ChangeRequest,
                _ => TicketKind::Incident,
            };
            ctx.open_form(FormRequest {
                action: None,
                kind: Some(kind),
                return_focus: Some(button),
            });
        }
        _ => {}
    }
}

impl Drop for Cards {
    fn drop(&mut self) {
        for n in &self.nodes {
            n.remove();
        }
        if let Some(root) = dom::document().and_then(|d| d.document_element()) {
            dom::remove_all(&root, CARD_SELECTOR);
        }
    }
}
