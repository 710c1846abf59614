//! Ticket cards on the home page and the Secure Score overview: "Change management" and
//! "Incident management" (counts per state, the five latest tickets, Create ticket, View all
//! tickets, Manage ServiceNow configuration), or one "Do you use ServiceNow?" card with Connect
//! while there is no connection. Built for a narrow card: counts at the top, then each ticket in
//! two lines (number and state, then its name), so every number shows whole at 300 px; the full
//! table is the list page's. The markup is `extension/templates/cards.html`.
//!
//! They go into the portal's own card dashboard (found structurally, see `selectors`), once it
//! has finished loading, dressed in the classes of the portal's plainest card so the layout
//! treats them like its own. They are redrawn only when the connection state or the ticket
//! snapshot changes, and put back if the portal replaced its dashboard.
//!
//! Applies on the home page and the Secure Score overview.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use web_sys::{Document, Element, Event};

use super::app::Ctx;
use super::dom::{self, append, set, Listener, OWN_ATTR};
use super::forms::{self, FormRequest};
use super::marks::{CMD_ATTR, SLOT_ATTR, SLOT_SELECTOR};
use super::scheduler::{Batch, Feature, FeatureDef};
use super::selectors;
use super::styles;
use super::tickets::{self, TicketStore};
use super::wire;
use crate::domain::action_status::ActionStatus;
use crate::domain::bulk::to_address_by_state;
use crate::domain::connection::ConnectionState;
use crate::domain::correlation::action_key;
use crate::domain::ticket::{TicketKind, TicketSummary};
use crate::messages::{ExtensionPage, SnapshotNeed};
use crate::platform::i18n::{format_number, format_sn_time, sn_time_iso, ui_lang};
use crate::platform::present::ticket_node as ticket_link;
use crate::platform::template::{self, Markup};
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
    /// The status the Recommended actions list showed for each action seen on this page, by
    /// action key (issue 18): read from the rows as they pass, never asked of the portal.
    /// FxHash, as the title map (`domain::action_title`): std's SipHash would add its 64-bit
    /// rounds to the portal's download, and a page that collided keys could only slow its own
    /// cards.
    static SEEN_STATUS: RefCell<rustc_hash::FxHashMap<String, ActionStatus>> = RefCell::default();
    /// Status cells read when the page is next idle, or when the cards need them.
    static PENDING: RefCell<PendingStatuses> = const {
        RefCell::new(PendingStatuses { cells: Vec::new(), scheduled: false })
    };
}

/// Actions whose status is remembered: more than a tenant has.
const MAX_SEEN: usize = 5_000;

/// Cells waiting to be read beyond this are read at once (a list scrolled without a pause).
const MAX_PENDING: usize = 1_000;

/// Status cells of the list read later (issue 17): reading one (its icon skipped, its text
/// collapsed) is not part of giving a row its button, so it is not done in the batch that runs
/// in the portal's frame.
struct PendingStatuses {
    /// Each row, its status cell, and the key of the action its share slot was given.
    cells: Vec<(Element, Element, String)>,
    /// An idle callback is asked for and has not run yet.
    scheduled: bool,
}

/// Reads `row`'s status `cell` for the action `key` when the page is next idle, or before the
/// cards count "To address", whichever comes first.
pub fn note_status_later(key: &str, row: &Element, cell: Element) {
    if PENDING.with(|p| p.borrow().cells.len() >= MAX_PENDING) {
        read_pending_statuses();
    }
    let schedule = PENDING.with(|p| {
        let mut p = p.borrow_mut();
        p.cells.push((row.clone(), cell, key.to_owned()));
        !std::mem::replace(&mut p.scheduled, true)
    });
    if schedule {
        dom::when_idle(|| {
            PENDING.with(|p| p.borrow_mut().scheduled = false);
            read_pending_statuses();
        });
    }
}

/// Reads every pending status cell. A row whose slot now carries another action (the list
/// recycled it) is skipped: the batch that re-keyed it queued it again under its new action.
/// A row the portal removed still holds what it showed.
fn read_pending_statuses() {
    let cells = PENDING.with(|p| std::mem::take(&mut p.borrow_mut().cells));
    for (row, cell, key) in cells {
        let shown = dom::first_i(&row, SLOT_SELECTOR).and_then(|s| dom::attr_i(&s, SLOT_ATTR));
        if shown.as_deref() != Some(key.as_str()) {
            continue;
        }
        if let Some(status) = selectors::status_in_place(&selectors::readable_text(&cell)) {
            note_status(&key, status);
        }
    }
}

/// A row of the list showed this action's status (read from its cell when the page was idle).
fn note_status(action_id: &str, status: ActionStatus) {
    SEEN_STATUS.with(|s| {
        let mut s = s.borrow_mut();
        let key = action_key(action_id);
        if s.len() < MAX_SEEN || s.contains_key(&key) {
            s.insert(key, status);
        }
    });
}

/// The status the list last showed for an action, its pending cells read first (tests).
pub fn seen_status(action_id: &str) -> Option<ActionStatus> {
    read_pending_statuses();
    SEEN_STATUS.with(|s| s.borrow().get(&action_key(action_id)).copied())
}

/// Per state of `kind`: how many of the actions behind its tickets were last seen "To address",
/// where the list showed any of them (nothing decoded when no row was seen).
fn to_address(store: &TicketStore, kind: TicketKind) -> Vec<(String, u32)> {
    read_pending_statuses();
    SEEN_STATUS.with(|seen| {
        let seen = seen.borrow();
        if seen.is_empty() {
            return Vec::new();
        }
        to_address_by_state(&store.latest(kind, usize::MAX), |k| seen.get(k).copied())
    })
}

fn init(ctx: &Rc<Ctx>, _page: &crate::domain::portal_url::PortalPage) -> Box<dyn Feature> {
    let status = Rc::new(RefCell::new(None));
    let s = Rc::downgrade(&status);
    let weak = Rc::downgrade(ctx);
    wasm_bindgen_futures::spawn_local(async move {
        // A worker that cannot say shows no card at all rather than a wrong one.
        if let Ok(answer) = wire::status().await {
            if let (Some(s), Some(ctx)) = (s.upgrade(), weak.upgrade()) {
                *s.borrow_mut() = Some(answer);
                ctx.scheduler.request_flush();
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
            tickets::ensure(&ctx.tickets, SnapshotNeed::Both);
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
                    let focused = focused_control(&doc, old);
                    let _ = old.replace_with_with_node_1(card);
                    // The person's place is kept: the same control in the redrawn card.
                    if let Some(key) = focused {
                        refocus(card, &key);
                    }
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

/// What identifies the control that has the focus inside `card`: its tag, part, link and text.
fn focused_control(doc: &Document, card: &Element) -> Option<[String; 4]> {
    let active = doc.active_element()?;
    if !card.contains(Some(&active)) {
        return None;
    }
    Some(control_key(&active))
}

fn control_key(e: &Element) -> [String; 4] {
    [
        e.tag_name(),
        e.get_attribute("data-part").unwrap_or_default(),
        e.get_attribute("href").unwrap_or_default(),
        e.text_content().unwrap_or_default(),
    ]
}

/// Focuses the control of `card` that `key` identifies, if it is still there.
fn refocus(card: &Element, key: &[String; 4]) {
    if let Some(e) = dom::all(card, "a[href],button")
        .into_iter()
        .find(|e| control_key(e) == *key)
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(e).ok())
    {
        let _ = e.focus();
    }
}

fn next_id(prefix: &str) -> String {
    let n = SEQ.with(|s| {
        let v = s.get().wrapping_add(1);
        s.set(v);
        v
    });
    let mut id = ["snshare-", prefix, "-"].concat();
    snshare_core::push_decimal(&mut id, n.into());
    id
}

/// The cards' markup and its pieces (compiled in: never page or ServiceNow data).
const MARKUP: &str = include_str!("../../extension/templates/cards.html");

thread_local! {
    static TEMPLATE: Markup = const { Markup::new(MARKUP) };
}

/// A clone of the piece `name` of the cards' markup, translated.
fn piece(doc: &Document, name: &str) -> Option<Element> {
    TEMPLATE.with(|t| t.piece(doc, name))
}

/// A card titled `title` in the classes of the portal's plainest card; its body and actions.
fn card_shell(
    doc: &Document,
    classes: &(String, String),
    title: &str,
    kind: &str,
) -> Option<(Element, Element, Element)> {
    let card = piece(doc, "card")?;
    let heading: Element = template::part(&card, "title")?;
    for (e, class) in [(&card, &classes.0), (&heading, &classes.1)] {
        for c in class.split_whitespace() {
            let _ = e.class_list().add_1(c);
        }
    }
    set(&card, OWN_ATTR, CARD_MARK);
    set(&card, "data-snshare-card", kind);
    set(&card, "lang", &ui_lang());
    let id = next_id("card");
    set(&card, "aria-labelledby", &id);
    heading.set_text_content(Some(title));
    set(&heading, "id", &id);
    Some((
        card.clone(),
        template::part(&card, "body")?,
        template::part(&card, "actions")?,
    ))
}

/// A muted line of text (a hint, loading, an error, no tickets).
fn muted(doc: &Document, text: &str) -> Option<Element> {
    let p = piece(doc, "muted")?;
    p.set_text_content(Some(text));
    Some(p)
}

/// The cards for a mode, from the snapshot (text only).
pub fn build_cards(
    doc: &Document,
    mode: Mode,
    store: &TicketStore,
    classes: &(String, String),
) -> Vec<Element> {
    match mode {
        Mode::Connect => connect_card(doc, classes).into_iter().collect(),
        Mode::Tickets(state) => [TicketKind::ChangeRequest, TicketKind::Incident]
            .into_iter()
            .filter_map(|kind| ticket_card(doc, kind, state, store, classes))
            .collect(),
    }
}

fn connect_card(doc: &Document, classes: &(String, String)) -> Option<Element> {
    let (card, body, actions) = card_shell(doc, classes, &t("cards_connect_title"), "connect")?;
    append(&body, &piece(doc, "connect-text")?);
    append(&actions, &piece(doc, "connect")?);
    Some(card)
}

fn ticket_card(
    doc: &Document,
    kind: TicketKind,
    state: ConnectionState,
    store: &TicketStore,
    classes: &(String, String),
) -> Option<Element> {
    let title = match kind {
        TicketKind::ChangeRequest => t("cards_change_title"),
        TicketKind::Incident => t("cards_incident_title"),
    };
    let (card, body, actions) = card_shell(doc, classes, &title, kind.table())?;
    let hint = match state {
        // The cards cannot authorize (the content script never touches the connection): the
        // hint names their own button to the options page, where Authorize is.
        ConnectionState::AuthorizationNeeded => Some(t_with(
            "cards_authorization_needed_hint",
            &[&t("cards_manage")],
        )),
        ConnectionState::Unreachable => Some(t("common_status_unreachable_hint")),
        _ => None,
    };
    let mut content: Vec<Element> = hint.and_then(|h| muted(doc, &h)).into_iter().collect();
    match (store.loaded(), &store.error) {
        (true, _) => {
            let counts: Vec<_> = store
                .counts(kind)
                .into_iter()
                .filter(|c| c.count > 0)
                .collect();
            let latest = store.latest(kind, LATEST);
            if counts.is_empty() && latest.is_empty() {
                content.extend(muted(doc, &t("cards_none")));
            }
            if !counts.is_empty() {
                let list = piece(doc, "counts")?;
                let to_address = to_address(store, kind);
                for c in counts {
                    let item = piece(doc, "count")?;
                    fill(&item, "value", &format_number(c.count.into()));
                    fill(&item, "label", &c.label);
                    match to_address.iter().find(|(state, _)| *state == c.state) {
                        Some((_, n)) => fill(
                            &item,
                            "to-address",
                            &t_with("cards_to_address", &[&format_number((*n).into())]),
                        ),
                        None => {
                            if let Some(note) = template::part::<Element>(&item, "to-address") {
                                note.remove();
                            }
                        }
                    }
                    append(&list, &item);
                }
                content.push(list);
            }
            if !latest.is_empty() {
                content.push(latest_list(doc, &latest)?);
            }
        }
        (false, Some(error)) => content.extend(muted(doc, &t_with("cards_error", &[error]))),
        (false, None) => content.extend(muted(doc, &t("cards_loading"))),
    }
    for c in &content {
        append(&body, c);
    }
    let buttons = piece(doc, "ticket-actions")?;
    if let Some(create) = template::part::<Element>(&buttons, "create") {
        set(&create, KIND_ATTR, kind.table());
    }
    while let Some(b) = buttons.first_element_child() {
        append(&actions, &b);
    }
    Some(card)
}

/// The part `name` of `item` shows `text` (as text).
fn fill(item: &Element, name: &str, text: &str) {
    if let Some(e) = template::part::<Element>(item, name) {
        e.set_text_content(Some(text));
    }
}

/// The latest tickets as two-line items for a narrow card: number and state, then the name.
fn latest_list(doc: &Document, tickets: &[TicketSummary]) -> Option<Element> {
    let list = piece(doc, "latest")?;
    for tk in tickets {
        let item = piece(doc, "ticket")?;
        if let Some(number) = template::part::<Element>(&item, "number") {
            append(&number, &ticket_link(doc, tk));
        }
        fill(&item, "state", &tk.state_label);
        if let Some(updated) = template::part::<Element>(&item, "updated") {
            updated.set_text_content(Some(&format_sn_time(&tk.updated_on)));
            set(&updated, "datetime", &sn_time_iso(&tk.updated_on));
        }
        if let Some(name) = template::part::<Element>(&item, "name") {
            name.set_text_content(Some(&tk.short_description));
            set(&name, "title", &tk.short_description);
        }
        append(&list, &item);
    }
    Some(list)
}

fn on_click(ctx: &Rc<Ctx>, e: &Event) {
    let Some(button) = dom::user_command(e, CMD_SELECTOR) else {
        return;
    };
    match button.get_attribute(CMD_ATTR).as_deref() {
        Some("connect") | Some("options") => wire::open_page_now(ExtensionPage::Options),
        Some("view-all") => wire::open_page_now(ExtensionPage::Tickets),
        Some("create") => {
            let kind = match button.get_attribute(KIND_ATTR).as_deref() {
                Some("change_request") => TicketKind::ChangeRequest,
                _ => TicketKind::Incident,
            };
            forms::open_task(
                ctx,
                FormRequest {
                    action: None,
                    kind: Some(kind),
                    return_focus: Some(button),
                },
            );
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
