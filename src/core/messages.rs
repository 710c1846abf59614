//! Every message between the content script, the extension pages and the background worker.
//!
//! One request enum, one response enum, both versioned. The background dispatcher decodes a
//! `Request`, checks the sender against `RequestBody::allowed_from`, acts, and always answers
//! with a `Response` (a typed `ResponseBody::Error` instead of a panic).

use serde::{Deserialize, Serialize};

use crate::domain::connection::ConnectionStatus;
use crate::domain::diagnosis::Diagnosis;
use crate::domain::draft::{FieldError, TaskDraft};
use crate::domain::names::names;
use crate::domain::settings::{RecordRef, SettingsInput, SettingsView};
use crate::domain::ticket::{Category, RecommendationSource, TicketKind, TicketSummary};

// Types of the contract that the domain's rules produce, defined where they are made.
pub use crate::domain::bulk::{BulkItem, BulkItemState, BulkItemView, BulkView};
pub use crate::domain::outbox::OutboxView;
pub use crate::domain::state_names::{StateName, StateNameOverride};

/// Bumped on any incompatible change; a mismatch is answered with `ErrorCode::Version`.
pub const PROTOCOL_VERSION: u16 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub v: u16,
    pub body: RequestBody,
}

impl Request {
    pub fn new(body: RequestBody) -> Self {
        Request {
            v: PROTOCOL_VERSION,
            body,
        }
    }
}

/// Who sent a message, as the worker sees `chrome.runtime.MessageSender`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SenderKind {
    /// Our own extension page (popup, options, ticket list).
    ExtensionPage,
    /// Our content script on the portal's origin.
    PortalContentScript,
}

/// The portal origins whose content script may talk to the worker: the security portal's
/// (commercial, GCC High, DoD) and Compliance Manager's (Purview and
/// the compliance center, issue 20): the manifest's `content_scripts.matches`.
pub const PORTAL_ORIGINS: [&str; 5] = [
    "https://security.microsoft.com",
    "https://security.microsoft.us",
    "https://security.apps.mil",
    "https://purview.microsoft.com",
    "https://compliance.microsoft.com",
];

/// What the worker knows of a message's sender (`chrome.runtime.MessageSender`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderInfo {
    pub id: Option<String>,
    pub url: Option<String>,
    pub origin: Option<String>,
    /// Set when the sender is a content script (it runs in a tab).
    pub has_tab: bool,
    /// `sender.tab.id`: the page guard counts and remembers per tab.
    #[serde(default)]
    pub tab_id: Option<i64>,
    /// `sender.frameId`: our content script runs in the top frame only (0).
    #[serde(default)]
    pub frame_id: Option<i64>,
}

/// Who "we" are to the sender check: `runtime.id` and the URL our pages are served from
/// (`runtime.getURL("")`). Chromium serves them from `chrome-extension://<id>/`; Firefox from
/// `moz-extension://<uuid>/`, a per-profile uuid that is not its id (the add-on id of
/// `browser_specific_settings.gecko`), so the pages' URL is never derived from the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnExtension {
    pub id: String,
    pub pages_url: String,
}

impl OwnExtension {
    /// A Chromium extension: its pages are under `chrome-extension://<id>/`.
    pub fn chromium(id: &str) -> Self {
        OwnExtension {
            id: id.to_string(),
            pages_url: format!("chrome-extension://{id}/"),
        }
    }
}

impl SenderInfo {
    /// Our own pages, or our content script on the portal; anything else is refused.
    pub fn classify(&self, own: &OwnExtension) -> Option<SenderKind> {
        if own.id.is_empty() || self.id.as_deref() != Some(own.id.as_str()) {
            return None;
        }
        // Only a whole origin with its path's slash is a prefix: `…://x/` never matches
        // `…://x.evil/`. Without it (no `getURL`), no page is ours.
        let page_prefix = own.pages_url.as_str();
        let pages_known = page_prefix.ends_with('/')
            && origin_of(page_prefix).is_some_and(|o| o.len() + 1 == page_prefix.len());
        let is_own_page = |url: &str| pages_known && url.starts_with(page_prefix);
        let url = self.url.as_deref().unwrap_or("");
        if self.has_tab {
            // A content script: judged by the frame's origin, never by a URL it could fake.
            let origin = self.origin.as_deref().or_else(|| origin_of(url));
            if is_own_page(url) {
                // One of our pages opened in a tab (options page, ticket list).
                return Some(SenderKind::ExtensionPage);
            }
            // The manifest injects into the top frame only: a sender in a sub-frame is not the
            // content script we ship, whatever its origin says.
            return (self.frame_id == Some(0)
                && origin.is_some_and(|o| PORTAL_ORIGINS.contains(&o)))
            .then_some(SenderKind::PortalContentScript);
        }
        is_own_page(url).then_some(SenderKind::ExtensionPage)
    }
}

/// `scheme://host[:port]` of a URL, without allocating.
fn origin_of(url: &str) -> Option<&str> {
    let rest = url.find("://").map(|i| i + 3)?;
    let end = url[rest..]
        .find(['/', '?', '#'])
        .map(|i| rest + i)
        .unwrap_or(url.len());
    Some(&url[..end])
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum RequestBody {
    /// Plumbing check; answered with `Pong`.
    Ping,
    /// Connection state for status lines and the Authorize action.
    GetStatus,
    GetSettings,
    SaveSettings(SettingsInput),
    /// Run (or re-run) authorization.
    Authorize(AuthMethod),
    /// Revoke where possible, delete tokens and the instance's cached data.
    Disconnect,
    TestConnection,
    /// Queue a share in the outbox and try to send it now.
    Share(ShareRequest),
    /// Open tickets for an action, before creating another one.
    FindOpenTickets {
        action_id: String,
    },
    /// Bulk share (issue 18): the open tickets of several actions, in one lookup.
    FindOpenTicketsBulk {
        action_ids: Vec<String>,
    },
    /// Bulk share: one share per action into the outbox; answered with the bulk's progress.
    ShareBulk(BulkShareRequest),
    /// A bulk's progress (read from the worker's storage; no ServiceNow request).
    GetBulk {
        bulk_id: String,
    },
    /// Sends a bulk's permanently failed items again.
    RetryBulk {
        bulk_id: String,
    },
    /// The cached tickets for cards, badges and the popup; refreshes when stale.
    GetTickets {
        force_refresh: bool,
        /// What the asking surface reads, so the worker builds and sends only that.
        #[serde(default)]
        need: SnapshotNeed,
    },
    /// One page of the full list, loaded from ServiceNow on demand.
    ListTickets(TicketListQuery),
    GetOutbox,
    RetryShare {
        share_id: String,
    },
    DiscardShare {
        share_id: String,
    },
    /// Drafts persist per action (key = action id, or "new" for a card's Create ticket).
    GetDraft {
        key: String,
    },
    SaveDraft {
        key: String,
        draft: TaskDraft,
    },
    DeleteDraft {
        key: String,
    },
    /// The state labels for both kinds, with the user's renames.
    GetStateNames,
    SaveStateNames(Vec<StateNameOverride>),
    /// Content scripts cannot open extension pages themselves.
    OpenPage {
        page: ExtensionPage,
    },
    /// Records of the instance whose name contains `text` (assignment group, caller,
    /// standard change template fields).
    SearchRecords {
        table: RecordTable,
        text: String,
    },
    /// The choices of a field of incident or change_request (the category mapping), when the
    /// instance lets the integration user read them.
    GetFieldChoices {
        kind: TicketKind,
        field: String,
    },
    /// What the worker remembers of a portal tenant (learned titles, signed-in UPN).
    GetPortalContext {
        tenant: String,
    },
    /// Title → action id pairs and the UPN the content script just read on the portal. The
    /// UPN also feeds the "same person" check of the ServiceNow user at connect and in Test
    /// connection: this is the one message that brings the portal's account to the worker.
    LearnPortalContext {
        tenant: String,
        titles: Vec<(String, String)>,
        upn: Option<String>,
    },
}

impl RequestBody {
    /// Whether a sender of this kind may make this request. Extension pages may do anything;
    /// the content script only what `portal/wire.rs` sends (security review L10): it shares,
    /// reads the cached tickets and its drafts, looks up groups and open tickets, and opens our
    /// pages. It never touches settings, the connection, the outbox or the state names, and
    /// never forces a full ticket refresh.
    pub fn allowed_from(&self, sender: SenderKind) -> bool {
        match sender {
            SenderKind::ExtensionPage => true,
            SenderKind::PortalContentScript => matches!(
                self,
                RequestBody::Ping
                    | RequestBody::GetStatus
                    | RequestBody::GetSettings
                    | RequestBody::Share(_)
                    | RequestBody::FindOpenTickets { .. }
                    | RequestBody::FindOpenTicketsBulk { .. }
                    | RequestBody::ShareBulk(_)
                    | RequestBody::GetBulk { .. }
                    | RequestBody::RetryBulk { .. }
                    | RequestBody::GetTickets {
                        force_refresh: false,
                        ..
                    }
                    | RequestBody::GetDraft { .. }
                    | RequestBody::SaveDraft { .. }
                    | RequestBody::DeleteDraft { .. }
                    | RequestBody::OpenPage { .. }
                    | RequestBody::SearchRecords {
                        table: RecordTable::Group,
                        ..
                    }
                    | RequestBody::GetPortalContext { .. }
                    | RequestBody::LearnPortalContext { .. }
            ),
        }
    }

    /// The budget a content script's request draws from, if any (see `PageGuard`).
    pub fn budget(&self) -> Option<Budget> {
        match self {
            RequestBody::Share(_) => Some(Budget::Share),
            RequestBody::ShareBulk(_) | RequestBody::RetryBulk { .. } => Some(Budget::Bulk),
            RequestBody::FindOpenTickets { .. }
            | RequestBody::FindOpenTicketsBulk { .. }
            | RequestBody::SearchRecords { .. } => Some(Budget::Lookup),
            RequestBody::OpenPage { .. } => Some(Budget::OpenPage),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum AuthMethod {
    /// Authorization code with PKCE through `chrome.identity.launchWebAuthFlow`.
    AuthorizationCode,
    /// The fallback for instances that cannot use the redirect.
    Password { username: String, password: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRequest {
    /// Chosen by the sender so a resend of the same click is the same share.
    pub share_id: String,
    pub draft: TaskDraft,
    /// Create even though an open ticket already exists for the action.
    pub allow_duplicate: bool,
}

/// A bulk share: up to `MAX_BULK_ITEMS` shares, each with its own share id and draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkShareRequest {
    /// Chosen by the sender; the same bulk sent again adds no second ticket for any item.
    pub bulk_id: String,
    pub items: Vec<BulkItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtensionPage {
    Options,
    Tickets,
}

names!(ExtensionPage {
    Options => "options",
    Tickets => "tickets",
});

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketListQuery {
    pub kind: Option<TicketKind>,
    /// Raw state values to include; empty = all.
    pub states: Vec<String>,
    pub category: Option<Category>,
    /// Where the tickets come from (Secure Score, Compliance Manager, a card); none = all.
    #[serde(default)]
    pub source: Option<RecommendationSource>,
    /// Matched against number and short description.
    pub search: Option<String>,
    pub sort: TicketSort,
    pub descending: bool,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketSort {
    Updated,
    Number,
    Priority,
    State,
}

names!(TicketSort {
    Updated => "updated",
    Number => "number",
    Priority => "priority",
    State => "state",
});

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketPage {
    pub tickets: Vec<TicketSummary>,
    pub total: u32,
    pub offset: u32,
    /// Unix ms at which these tickets were read from ServiceNow: the cache's fetch when the
    /// page came from it, else the time of the request. The list page shows its age.
    #[serde(default)]
    pub fetched_at: Option<u64>,
}

/// Tickets as cached by the worker, with the time they were fetched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct TicketSnapshot {
    /// Unix ms of the fetch; `None` when never fetched.
    pub fetched_at: Option<u64>,
    /// Most recently updated first.
    pub tickets: Vec<TicketSummary>,
    /// Counts per (kind, state label), for the cards.
    pub counts: Vec<StateCount>,
    /// Shares still in the outbox, so badges can say "queued".
    pub queued_action_ids: Vec<String>,
    /// True while a refresh is running in the background.
    pub refreshing: bool,
    /// Each action's shown ticket and count, in key order, packed into one text
    /// (`ticket::pack_shown`): what the content script's badges look rows up in. Empty when
    /// the asker needs [`SnapshotNeed::Every`]; a list page's snapshot
    /// ([`SnapshotNeed::Shown`]) carries only this, no `tickets` and no `counts`.
    #[serde(default)]
    pub shown: String,
}

/// What a surface reads of the ticket snapshot (`GetTickets`): the worker packs the badges' text
/// and copies the whole cache only for the surfaces that read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SnapshotNeed {
    /// Each action's shown ticket, packed (`shown`), and the queued actions: a list page's
    /// badges and bulk selection. No `tickets`, no `counts`.
    Shown,
    /// Every ticket and the counts, without the packed text: the popup and the ticket list.
    Every,
    /// Both: a portal page with cards, whose rows also carry badges. What an ask that names
    /// no need gets.
    #[default]
    Both,
}

names!(SnapshotNeed {
    Shown => "shown",
    Every => "every",
    Both => "both",
});

impl SnapshotNeed {
    /// Whether the answer carries the packed shown tickets.
    pub fn shown(self) -> bool {
        self != Self::Every
    }

    /// Whether the answer carries every ticket and the counts.
    pub fn every(self) -> bool {
        self != Self::Shown
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateCount {
    pub kind: TicketKind,
    pub state: String,
    pub label: String,
    pub count: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ShareOutcome {
    /// ServiceNow confirmed the record.
    Created {
        ticket: TicketSummary,
        /// Which ServiceNow API created it.
        #[serde(default)]
        api: CreateApi,
    },
    /// Transient failure: it stays in the outbox and will be sent.
    Queued { share_id: String, reason: Diagnosis },
    /// Permanent failure: the draft is kept, the user must act.
    Failed {
        share_id: String,
        diagnosis: Diagnosis,
    },
    /// The form did not validate.
    Invalid { errors: Vec<FieldError> },
    /// An open ticket exists for the action and `allow_duplicate` was false.
    Duplicate { existing: Vec<TicketSummary> },
    /// No connection yet: connect first.
    NotConnected,
}

/// Tables a record can be chosen from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordTable {
    Group,
    User,
    StandardChangeTemplate,
}

names!(RecordTable {
    Group => "group",
    User => "user",
    StandardChangeTemplate => "standard_change_template",
});

/// The API a ticket was created through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateApi {
    #[default]
    TableApi,
    /// `/api/sn_chg_rest/change/normal` or `/standard/{template}`.
    ChangeManagementApi,
}

names!(CreateApi {
    TableApi => "table_api",
    ChangeManagementApi => "change_management_api",
});

/// One step of "Test connection".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticStep {
    /// i18n key naming the step (reach the instance, token, who am I, …).
    pub step_key: String,
    pub ok: bool,
    pub diagnosis: Option<Diagnosis>,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticReport {
    pub steps: Vec<DiagnosticStep>,
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Response {
    pub v: u16,
    pub body: ResponseBody,
}

impl Response {
    pub fn new(body: ResponseBody) -> Self {
        Response {
            v: PROTOCOL_VERSION,
            body,
        }
    }

    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        Response::new(ResponseBody::Error(ProtocolError {
            code,
            message: message.into(),
        }))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data", rename_all = "snake_case")]
pub enum ResponseBody {
    Pong {
        version: String,
    },
    Status(ConnectionStatus),
    Settings(SettingsView),
    /// Settings saved, or a field refused (`errors` holds i18n keys per field).
    SettingsSaved {
        errors: Vec<SettingsError>,
    },
    Diagnostics(DiagnosticReport),
    Share(ShareOutcome),
    Tickets(Vec<TicketSummary>),
    Snapshot(TicketSnapshot),
    Page(TicketPage),
    Outbox(Vec<OutboxView>),
    /// A bulk share's progress and summary.
    Bulk(BulkView),
    Draft(Option<TaskDraft>),
    StateNames(Vec<StateName>),
    /// Records of the instance (groups, users, templates) by sys_id and name.
    Records(Vec<RecordRef>),
    /// A field's choice values and labels.
    Choices(Vec<crate::domain::state_names::ChoiceLabel>),
    /// A tenant's learned titles (normalized title, action id) and UPN.
    PortalContext {
        titles: Vec<(String, String)>,
        upn: Option<String>,
    },
    Done,
    Error(ProtocolError),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsError {
    /// `instance`, `client_id`, …
    pub field: String,
    pub message_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProtocolError {
    pub code: ErrorCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The payload is not a valid `Request`.
    Malformed,
    /// Protocol version mismatch.
    Version,
    /// The sender may not make this request (or is not us at all).
    Forbidden,
    /// The request failed; `message` says why (never a token or secret).
    Failed,
    /// A diagnosis applies: see `Diagnostics`/`Share` for typed detail.
    Connection,
}

/// What a content script's request draws from. The portal page cannot message the worker, but
/// it can try to make our content script do so; a budget per tab keeps a hostile page (or a bug)
/// from sending a burst to the organisation's shared integration user (security review M2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Budget {
    /// Tickets created.
    Share,
    /// ServiceNow queries the form makes (open tickets of an action, assignment groups).
    Lookup,
    /// Tabs opened on our pages.
    OpenPage,
    /// Bulk shares started or retried (each carries up to `MAX_BULK_ITEMS` shares).
    Bulk,
}

impl Budget {
    /// Requests a tab may make in any minute: far above what a person clicks and types.
    pub const fn per_minute(self) -> usize {
        match self {
            Budget::Share => 10,
            Budget::Lookup => 60,
            Budget::OpenPage => 5,
            Budget::Bulk => 3,
        }
    }
}

const GUARD_WINDOW_MS: u64 = 60_000;

/// How long the open tickets the worker showed a tab let a share from it skip the duplicate
/// check.
pub const DUPLICATE_CONFIRMATION_MS: u64 = 30 * 60_000;

/// Beyond this many remembered (tab, action) pairs the oldest are dropped.
const MAX_SHOWN: usize = 256;

/// The worker's judgement of what a content script may ask, per tab: the request budgets, and
/// which actions' open tickets it showed the tab. Only the latter lets a share skip the
/// duplicate check: `allow_duplicate` from a content script is honoured only when its form was
/// shown the open tickets, which is when "Create another ticket" appears.
///
/// Kept in the worker's memory on purpose: a worker restart forgets it, and that costs a
/// person at most one more "Create another ticket" click (the share is answered `Duplicate`
/// again, which shows the tickets again).
#[derive(Debug, Default)]
pub struct PageGuard {
    spent: std::collections::HashMap<(i64, Budget), Vec<u64>>,
    shown: std::collections::HashMap<(i64, String), u64>,
}

impl PageGuard {
    /// Whether `tab` may make one more request of `budget` at `now_ms`; counts it when it may.
    pub fn spend(&mut self, tab: i64, budget: Budget, now_ms: u64) -> bool {
        self.spent.retain(|_, times| {
            times
                .iter()
                .any(|&t| now_ms.saturating_sub(t) < GUARD_WINDOW_MS)
        });
        let times = self.spent.entry((tab, budget)).or_default();
        times.retain(|&t| now_ms.saturating_sub(t) < GUARD_WINDOW_MS);
        if times.len() >= budget.per_minute() {
            return false;
        }
        times.push(now_ms);
        true
    }

    /// The worker answered `tab` with open tickets for `action_id`.
    pub fn showed_open_tickets(&mut self, tab: i64, action_id: &str, now_ms: u64) {
        self.forget_stale(now_ms);
        if self.shown.len() >= MAX_SHOWN {
            if let Some(oldest) = self
                .shown
                .iter()
                .min_by_key(|(_, &t)| t)
                .map(|(k, _)| k.clone())
            {
                self.shown.remove(&oldest);
            }
        }
        self.shown.insert((tab, action_id.to_owned()), now_ms);
    }

    /// Whether a share from `tab` for `action_id` may skip the duplicate check: the worker
    /// showed that tab the action's open tickets recently. Spends the confirmation.
    pub fn take_duplicate_confirmation(&mut self, tab: i64, action_id: &str, now_ms: u64) -> bool {
        self.forget_stale(now_ms);
        self.shown.remove(&(tab, action_id.to_owned())).is_some()
    }

    fn forget_stale(&mut self, now_ms: u64) {
        self.shown
            .retain(|_, &mut t| now_ms.saturating_sub(t) < DUPLICATE_CONFIRMATION_MS);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_and_api_names_match_serde() {
        crate::domain::names::check_table(&TicketSort::ALL, TicketSort::as_str);
        crate::domain::names::check_table(&CreateApi::ALL, CreateApi::as_str);
        crate::domain::names::check_table(&SnapshotNeed::ALL, SnapshotNeed::as_str);
        crate::domain::names::check_table(&ExtensionPage::ALL, ExtensionPage::as_str);
        crate::domain::names::check_table(&RecordTable::ALL, RecordTable::as_str);
    }

    #[test]
    fn request_round_trips_through_json_with_its_tag() {
        let req = Request::new(RequestBody::FindOpenTickets {
            action_id: "mfa".into(),
        });
        let json = serde_json::to_value(&req).expect("serializes");
        assert_eq!(json["v"], PROTOCOL_VERSION);
        assert_eq!(json["body"]["type"], "find_open_tickets");
        assert_eq!(json["body"]["data"]["action_id"], "mfa");
        let back: Request = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, req);
    }

    #[test]
    fn a_snapshot_ask_that_names_no_need_gets_both() {
        let ask = |data: serde_json::Value| {
            serde_json::from_value::<RequestBody>(serde_json::json!({
                "type": "get_tickets",
                "data": data,
            }))
            .ok()
        };
        let get = |need| RequestBody::GetTickets {
            force_refresh: false,
            need,
        };
        assert_eq!(
            ask(serde_json::json!({ "force_refresh": false })),
            Some(get(SnapshotNeed::Both))
        );
        assert_eq!(
            ask(serde_json::json!({ "force_refresh": false, "need": "shown" })),
            Some(get(SnapshotNeed::Shown))
        );
        assert_eq!(
            ask(serde_json::json!({ "force_refresh": false, "need": "all" })),
            None
        );
        assert!(SnapshotNeed::Both.shown() && SnapshotNeed::Both.every());
        assert!(SnapshotNeed::Shown.shown() && !SnapshotNeed::Shown.every());
        assert!(!SnapshotNeed::Every.shown() && SnapshotNeed::Every.every());
    }

    #[test]
    fn content_scripts_cannot_touch_the_connection() {
        let s = SenderKind::PortalContentScript;
        assert!(!RequestBody::Disconnect.allowed_from(s));
        assert!(!RequestBody::TestConnection.allowed_from(s));
        assert!(!RequestBody::Authorize(AuthMethod::AuthorizationCode).allowed_from(s));
        assert!(!RequestBody::ListTickets(TicketListQuery {
            kind: None,
            states: vec![],
            category: None,
            source: None,
            search: None,
            sort: TicketSort::Updated,
            descending: true,
            offset: 0,
            limit: 20
        })
        .allowed_from(s));
        assert!(RequestBody::Ping.allowed_from(s));
        assert!(RequestBody::Disconnect.allowed_from(SenderKind::ExtensionPage));
    }

    fn sender(id: &str, url: &str, origin: Option<&str>, has_tab: bool) -> SenderInfo {
        SenderInfo {
            id: Some(id.into()),
            url: Some(url.into()),
            origin: origin.map(Into::into),
            has_tab,
            tab_id: has_tab.then_some(7),
            frame_id: has_tab.then_some(0),
        }
    }

    #[test]
    fn senders_are_classified_by_extension_id_and_origin() {
        let me = "abcdefghijklmnopabcdefghijklmnop";
        let own = OwnExtension::chromium(me);
        assert_eq!(
            sender(
                me,
                &format!("chrome-extension://{me}/popup.html"),
                None,
                false
            )
            .classify(&own),
            Some(SenderKind::ExtensionPage)
        );
        assert_eq!(
            sender(
                me,
                "https://security.microsoft.com/securescore?viewid=actions",
                Some(PORTAL_ORIGINS[0]),
                true
            )
            .classify(&own),
            Some(SenderKind::PortalContentScript)
        );
        // The other clouds (GCC High, DoD) run the same content script.
        for origin in ["https://security.microsoft.us", "https://security.apps.mil"] {
            assert_eq!(
                sender(me, &format!("{origin}/securescore"), Some(origin), true).classify(&own),
                Some(SenderKind::PortalContentScript)
            );
        }
        // Our content script on another origin (should the manifest ever widen) is refused.
        assert_eq!(
            sender(
                me,
                "https://evil.example/",
                Some("https://evil.example"),
                true
            )
            .classify(&own),
            None
        );
        // A look-alike host that merely starts with the portal's origin.
        assert_eq!(
            sender(
                me,
                "https://security.microsoft.com.evil.example/",
                None,
                true
            )
            .classify(&own),
            None
        );
        // Another extension, or a sender without id.
        assert_eq!(
            sender(
                "otherextension",
                "chrome-extension://otherextension/x.html",
                None,
                false
            )
            .classify(&own),
            None
        );
        assert_eq!(SenderInfo::default().classify(&own), None);
        // Our content script's id and the portal's origin, but in a sub-frame (an iframe the
        // page made): not the content script the manifest injects.
        let mut framed = sender(
            me,
            "https://security.microsoft.com/x",
            Some(PORTAL_ORIGINS[0]),
            true,
        );
        framed.frame_id = Some(3);
        assert_eq!(framed.classify(&own), None);
        framed.frame_id = None;
        assert_eq!(framed.classify(&own), None);
        // A worker-less page of ours that is not an extension URL (e.g. a web page) is refused.
        assert_eq!(
            sender(me, "https://security.microsoft.com/", None, false).classify(&own),
            None
        );
        assert_eq!(
            sender(me, "x", None, false).classify(&OwnExtension::chromium("")),
            None
        );
        // Without the pages' URL, no page is ours; a prefix without its slash matches nothing.
        for pages_url in ["", "chrome-extension://abcdefghijklmnopabcdefghijklmnop"] {
            let own = OwnExtension {
                id: me.into(),
                pages_url: pages_url.into(),
            };
            let page = sender(
                me,
                &format!("chrome-extension://{me}/popup.html"),
                None,
                false,
            );
            assert_eq!(page.classify(&own), None);
        }
    }

    /// Firefox: `runtime.id` is the add-on id, the pages are under `moz-extension://<uuid>/`.
    #[test]
    fn firefox_senders_are_classified_by_addon_id_and_pages_url() {
        let own = OwnExtension {
            id: "snshare@snshare".into(),
            pages_url: "moz-extension://0f6b1c2e-4a57-4a3e-9a51-1d2c3b4a5f60/".into(),
        };
        let page = |url: &str, has_tab: bool| SenderInfo {
            frame_id: has_tab.then_some(0),
            has_tab,
            ..sender("snshare@snshare", url, None, false)
        };
        let ours = "moz-extension://0f6b1c2e-4a57-4a3e-9a51-1d2c3b4a5f60";
        assert_eq!(
            page(&format!("{ours}/popup.html"), false).classify(&own),
            Some(SenderKind::ExtensionPage)
        );
        assert_eq!(
            page(&format!("{ours}/options.html"), true).classify(&own),
            Some(SenderKind::ExtensionPage)
        );
        // Firefox sends no `origin`: the content script is judged by its top frame's URL.
        assert_eq!(
            page("https://security.microsoft.com/securescore", true).classify(&own),
            Some(SenderKind::PortalContentScript)
        );
        // Another profile's uuid, a look-alike uuid prefix, the Chromium form of the id.
        for url in [
            "moz-extension://11111111-4a57-4a3e-9a51-1d2c3b4a5f60/popup.html",
            "moz-extension://0f6b1c2e-4a57-4a3e-9a51-1d2c3b4a5f6000/popup.html",
            "chrome-extension://snshare@snshare/popup.html",
        ] {
            assert_eq!(page(url, false).classify(&own), None, "{url}");
        }
        // Our pages' URL from another add-on id is not ours.
        let other = SenderInfo {
            id: Some("other@example".into()),
            ..page(&format!("{ours}/popup.html"), false)
        };
        assert_eq!(other.classify(&own), None);
    }

    /// Every request the content script sends (`portal/wire.rs`) is allowed, and nothing else.
    #[test]
    fn content_scripts_may_ask_only_what_they_use() {
        let s = SenderKind::PortalContentScript;
        let draft = crate::servicenow::ticket::tests::draft(TicketKind::Incident);
        let used = [
            RequestBody::Ping,
            RequestBody::GetStatus,
            RequestBody::GetSettings,
            RequestBody::Share(ShareRequest {
                share_id: "s".into(),
                draft: draft.clone(),
                allow_duplicate: false,
            }),
            RequestBody::FindOpenTickets {
                action_id: "mfa".into(),
            },
            RequestBody::FindOpenTicketsBulk {
                action_ids: vec!["mfa".into()],
            },
            RequestBody::ShareBulk(BulkShareRequest {
                bulk_id: "b".into(),
                items: vec![BulkItem {
                    share_id: "s".into(),
                    draft: draft.clone(),
                    allow_duplicate: false,
                }],
            }),
            RequestBody::GetBulk {
                bulk_id: "b".into(),
            },
            RequestBody::RetryBulk {
                bulk_id: "b".into(),
            },
            RequestBody::GetTickets {
                force_refresh: false,
                need: SnapshotNeed::Both,
            },
            RequestBody::GetTickets {
                force_refresh: false,
                need: SnapshotNeed::Shown,
            },
            RequestBody::GetDraft { key: "mfa".into() },
            RequestBody::SaveDraft {
                key: "mfa".into(),
                draft: draft.clone(),
            },
            RequestBody::DeleteDraft { key: "mfa".into() },
            RequestBody::OpenPage {
                page: ExtensionPage::Options,
            },
            RequestBody::SearchRecords {
                table: RecordTable::Group,
                text: "net".into(),
            },
            RequestBody::GetPortalContext { tenant: "t".into() },
            RequestBody::LearnPortalContext {
                tenant: "t".into(),
                titles: vec![],
                upn: None,
            },
        ];
        for r in &used {
            assert!(r.allowed_from(s), "{r:?}");
        }
        let refused = [
            RequestBody::GetOutbox,
            RequestBody::GetStateNames,
            RequestBody::SaveStateNames(vec![]),
            RequestBody::GetTickets {
                force_refresh: true,
                need: SnapshotNeed::Both,
            },
            RequestBody::RetryShare {
                share_id: "s".into(),
            },
            RequestBody::DiscardShare {
                share_id: "s".into(),
            },
            RequestBody::SearchRecords {
                table: RecordTable::User,
                text: "a".into(),
            },
            RequestBody::SearchRecords {
                table: RecordTable::StandardChangeTemplate,
                text: "a".into(),
            },
            RequestBody::GetFieldChoices {
                kind: TicketKind::Incident,
                field: "category".into(),
            },
        ];
        for r in &refused {
            assert!(!r.allowed_from(s), "{r:?}");
            assert!(r.allowed_from(SenderKind::ExtensionPage), "{r:?}");
        }
    }

    #[test]
    fn a_tab_gets_a_budget_per_minute() {
        let mut g = PageGuard::default();
        let t0 = 1_000_000;
        for i in 0..Budget::Share.per_minute() as u64 {
            assert!(g.spend(1, Budget::Share, t0 + i), "share {i}");
        }
        assert!(!g.spend(1, Budget::Share, t0 + 100));
        // Another tab and another budget are counted apart.
        assert!(g.spend(2, Budget::Share, t0 + 100));
        assert!(g.spend(1, Budget::Lookup, t0 + 100));
        // A minute after the first, room again.
        assert!(g.spend(1, Budget::Share, t0 + GUARD_WINDOW_MS));
        assert!(!g.spend(1, Budget::Share, t0 + GUARD_WINDOW_MS));
        assert_eq!(Budget::OpenPage.per_minute(), 5);
    }

    #[test]
    fn a_duplicate_is_allowed_only_after_the_tab_was_shown_the_open_tickets() {
        let mut g = PageGuard::default();
        let t0 = 5_000_000;
        // Never shown: a content script's allow_duplicate is not honoured.
        assert!(!g.take_duplicate_confirmation(1, "mfa", t0));
        g.showed_open_tickets(1, "mfa", t0);
        // Not for another tab or another action.
        assert!(!g.take_duplicate_confirmation(2, "mfa", t0));
        assert!(!g.take_duplicate_confirmation(1, "other", t0));
        // Once, for the tab that saw them.
        assert!(g.take_duplicate_confirmation(1, "mfa", t0 + 1));
        assert!(!g.take_duplicate_confirmation(1, "mfa", t0 + 2));
        // And not after the confirmation window.
        g.showed_open_tickets(1, "mfa", t0);
        assert!(!g.take_duplicate_confirmation(1, "mfa", t0 + DUPLICATE_CONFIRMATION_MS));
        // Bounded memory.
        for i in 0..(MAX_SHOWN as i64 + 10) {
            g.showed_open_tickets(i, "a", t0 + i as u64);
        }
        assert!(g.shown.len() <= MAX_SHOWN);
        assert!(g.take_duplicate_confirmation(MAX_SHOWN as i64 + 9, "a", t0 + 300));
    }

    #[test]
    fn malformed_payload_is_an_error_not_a_panic() {
        let bad = serde_json::json!({"v": 1, "body": {"type": "share", "data": {"nope": 1}}});
        assert!(serde_json::from_value::<Request>(bad).is_err());
    }
}
