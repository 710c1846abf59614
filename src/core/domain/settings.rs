//! What the user (or the administrator's policy) configures.

use serde::{Deserialize, Serialize};

use super::ticket::{Category, Priority, TicketKind};

/// Minutes between refreshes of the ticket cache when the user set none.
pub const DEFAULT_REFRESH_MINUTES: u32 = 5;

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
    #[serde(default)]
    pub mapping: FieldMapping,
}

/// A record of the instance chosen in the options (a group, a user): its sys_id, and its
/// name as the instance showed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordRef {
    pub sys_id: String,
    pub name: String,
}

/// Where snshare's values go in the instance's records (options, "Field mapping"). Every
/// value here was checked against the instance before it was saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FieldMapping {
    /// `assignment_group`: the task form's default, editable per ticket.
    pub assignment_group: Option<RecordRef>,
    /// `caller_id` of incidents.
    pub caller: Option<RecordRef>,
    /// Per ticket kind, a choice field that receives the Secure Score category. Without one,
    /// the category goes only to the description and the correlation display.
    pub category: Vec<CategoryMapping>,
    /// sys_id of the standard change template that change requests are created from through
    /// the Change Management API; none: normal changes.
    pub standard_change_template: Option<RecordRef>,
}

/// A choice field and, per Secure Score category, one of the field's own choice values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryMapping {
    pub kind: TicketKind,
    pub field: String,
    pub values: Vec<CategoryValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryValue {
    pub category: Category,
    pub value: String,
}

impl FieldMapping {
    /// The field and value a ticket of `kind` with `category` gets, if mapped.
    pub fn category_field(
        &self,
        kind: TicketKind,
        category: Option<Category>,
    ) -> Option<(String, String)> {
        let category = category?;
        let m = self.category.iter().find(|m| m.kind == kind)?;
        let v = m.values.iter().find(|v| v.category == category)?;
        (!m.field.trim().is_empty() && !v.value.trim().is_empty())
            .then(|| (m.field.trim().to_owned(), v.value.trim().to_owned()))
    }
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
    #[serde(default)]
    pub mapping: FieldMapping,
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
    /// `None` keeps the stored mapping (a page that does not show it).
    #[serde(default)]
    pub mapping: Option<FieldMapping>,
}
