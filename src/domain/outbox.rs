//! The outbox: shares written before they are sent, and the rules that make each one
//! exactly one ticket (issue: nothing lost, nothing twice).

use serde::{Deserialize, Serialize};

use super::diagnosis::Diagnosis;
use super::draft::TaskDraft;

/// Where a share stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum OutboxStatus {
    /// Waiting to be sent (first time, or after a known non-commit).
    Pending,
    /// A worker holds it until `lease_until` (unix ms).
    Sending { lease_until: u64 },
    /// The last attempt's outcome is unknown: look the record up before sending again.
    Unknown,
    /// A permanent failure the user must act on; never retried silently.
    Failed { diagnosis: Diagnosis },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub share_id: String,
    pub instance: String,
    pub draft: TaskDraft,
    /// The correlation id the record carries (`snshare:<actionId>:<shareId>`).
    pub correlation_id: String,
    pub status: OutboxStatus,
    pub attempts: u32,
    /// Unix ms before which no attempt is made (backoff, Retry-After).
    pub not_before: u64,
    pub last_error: Option<Diagnosis>,
    pub created_at: u64,
}
