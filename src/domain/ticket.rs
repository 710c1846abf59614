//! Tickets as snshare shows them: kinds, priorities, states, summaries.

use serde::{Deserialize, Serialize};

/// The two ServiceNow tables snshare creates records in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    Incident,
    ChangeRequest,
}

impl TicketKind {
    pub const ALL: [TicketKind; 2] = [TicketKind::Incident, TicketKind::ChangeRequest];

    /// The ServiceNow table name.
    pub fn table(self) -> &'static str {
        match self {
            TicketKind::Incident => "incident",
            TicketKind::ChangeRequest => "change_request",
        }
    }
}

/// ServiceNow's five priorities, computed by the instance from impact × urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Critical,
    High,
    Moderate,
    Low,
    Planning,
}

/// Where the recommendation came from (product.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationSource {
    /// Shared from an improvement action.
    Microsoft,
    /// Created from a card's "Create ticket" without an action.
    User,
}

/// The improvement action's category, as the ticket names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Identity,
    Data,
    Devices,
    Apps,
    Infrastructure,
}

/// One ticket as the cards, badges, popup and list show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSummary {
    pub kind: TicketKind,
    pub sys_id: String,
    pub number: String,
    pub short_description: String,
    /// The raw state value, e.g. "1" or "-5".
    pub state: String,
    /// The label to display: the user's rename, else the instance's label, else the default.
    pub state_label: String,
    /// Whether the state counts as open (not resolved, closed or canceled).
    pub open: bool,
    pub priority: Option<Priority>,
    pub assigned_to: Option<String>,
    /// UTC, ServiceNow's `YYYY-MM-DD HH:MM:SS`.
    pub updated_on: String,
    pub correlation_id: String,
    /// The improvement action the ticket belongs to, if any (parsed from the correlation id).
    pub action_id: Option<String>,
    /// Link into ServiceNow (`nav_to.do?uri=…`).
    pub link: String,
}
