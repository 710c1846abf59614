//! The task form's content and its validation.

use serde::{Deserialize, Serialize};

use super::ticket::{Category, Priority, RecommendationSource, TicketKind};

/// ServiceNow's default `short_description` length.
pub const TASK_NAME_MAX: usize = 160;

/// What the user is about to send: the task form's fields plus the read-only context.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskDraft {
    pub kind: TicketKind,
    /// ServiceNow's short description.
    pub name: String,
    pub description: String,
    pub priority: Priority,
    /// `YYYY-MM-DD`, the user's local date.
    pub due_date: String,
    /// The portal account that shares (UPN), never blank when sent.
    pub user_id: String,
    pub source: RecommendationSource,
    pub category: Option<Category>,
    /// The improvement action's id (`actionId`), absent for a card's "Create ticket".
    pub action_id: Option<String>,
    /// Link back to the action in the portal.
    pub action_url: Option<String>,
}

/// Which field a validation message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DraftField {
    Name,
    Description,
    Priority,
    DueDate,
    UserId,
}

/// A validation failure: the field and the i18n message key saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: DraftField,
    pub message_key: String,
}
