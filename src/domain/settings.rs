//! What the user (or the administrator's policy) configures.

use serde::{Deserialize, Serialize};

use super::ticket::{Priority, TicketKind};

/// Settings as stored in `chrome.storage.local` (the secret is stored, never sent to a page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Settings {
    /// The instance origin as normalized by `InstanceUrl`, e.g. `https://dev12345.service-now.com`.
    pub instance: Option<String>,
    pub client_id: Option<String>,
    /// Empty for a public (PKCE) client.
    pub client_secret: Option<String>,
    pub defaults: TicketDefaults,
    /// The user id to send when the portal's account cannot be read.
    pub fallback_user_id: Option<String>,
    /// Minutes between background refreshes of the ticket cache.
    pub refresh_minutes: Option<u32>,
}

/// Defaults the task form starts from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketDefaults {
    pub kind: TicketKind,
    pub priority: Priority,
    /// Days from today for the due date.
    pub due_in_days: u32,
}

impl Default for TicketDefaults {
    fn default() -> Self {
        TicketDefaults {
            kind: TicketKind::Incident,
            priority: Priority::Moderate,
            due_in_days: 14,
        }
    }
}

/// What a page may see of the settings: everything but the secret, plus which values the
/// administrator's policy locks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SettingsView {
    pub instance: Option<String>,
    pub client_id: Option<String>,
    pub has_client_secret: bool,
    pub defaults: TicketDefaults,
    pub fallback_user_id: Option<String>,
    pub refresh_minutes: u32,
    /// The redirect URL to register on the instance's OAuth application.
    pub redirect_url: String,
    /// Names of the fields set by managed policy (`instance`, `client_id`, `default_kind`, …).
    pub locked: Vec<String>,
}

/// What the options page sends to save. `client_secret: None` keeps the stored secret;
/// `Some("")` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsInput {
    pub instance: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub defaults: TicketDefaults,
    pub fallback_user_id: Option<String>,
    pub refresh_minutes: Option<u32>,
}
