//! The outbox: shares written before they are sent, and the rules that make each one
//! exactly one ticket (issue: nothing lost, nothing twice).

use serde::{Deserialize, Serialize};

use super::diagnosis::Diagnosis;
use super::draft::TaskDraft;
use super::retry::{backoff_ms, RetryDecision};
use super::ticket::TicketKind;

/// A share as the popup lists it (the message contract's view of an [`OutboxEntry`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxView {
    pub share_id: String,
    pub name: String,
    pub kind: TicketKind,
    pub action_id: Option<String>,
    pub status: OutboxStatus,
    pub attempts: u32,
    pub last_error: Option<Diagnosis>,
    pub next_attempt_at: u64,
    pub created_at: u64,
}

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
    /// How many times a worker stopped while holding this entry (its lease ran out): after
    /// `MAX_INTERRUPTIONS` the entry is set aside, since it may be what stops the worker.
    #[serde(default)]
    pub interrupted: u32,
    /// The stored text of an entry that could not be read, kept (bounded) rather than dropped;
    /// such an entry is never sent, only discarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unreadable: Option<String>,
    /// Until when (Unix ms) a create of this entry that got no answer may still commit on the
    /// instance: a lookup that finds nothing before then is repeated later, never followed by
    /// a resend (see [`COMMIT_WINDOW_MS`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub may_commit_until: Option<u64>,
}

/// How long a ServiceNow instance may go on with a create after it arrived, whatever the
/// client does: the base system's quota rule "REST Table API request timeout" ends an inbound
/// Table API transaction after 60 s (the client's timeout ends only its own wait), plus a
/// margin. A lookup that finds nothing within this window of an unanswered create proves
/// nothing: the create may commit a moment later, and a resend would make a second ticket.
pub const COMMIT_WINDOW_MS: u64 = 65_000;
/// Within that window, how long after a lookup that found nothing the next one is made.
pub const RECHECK_MS: u64 = 15_000;

/// Lease expiries in a row after which an entry is set aside (`Diagnosis::ShareInterrupted`).
pub const MAX_INTERRUPTIONS: u32 = 3;
/// How much of an unreadable entry's stored text is kept.
pub const UNREADABLE_KEEP_CHARS: usize = 16 * 1024;

/// Proof that one worker holds an entry, returned by `claim` and presented back with the
/// attempt's result. Not stored: if the worker dies, the lease simply expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// Unix ms at which the lease ends (equals the entry's `Sending { lease_until }`).
    pub until: u64,
    /// An earlier attempt may have created the record: look it up by correlation id before
    /// sending (`mark_checked_absent` once the lookup found nothing).
    pub check_first: bool,
    checked: bool,
}

impl Lease {
    /// The lookup ran and found no record: a failure from here on is a known non-commit,
    /// unless the create itself has an unknown outcome.
    pub fn mark_checked_absent(&mut self) {
        self.checked = true;
    }

    fn still_unknown(&self) -> bool {
        self.check_first && !self.checked
    }
}

/// Whether the failed attempt may have created the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendOutcome {
    /// Known not committed (offline, refused before processing, 429, 401, lookup failed).
    NotSent,
    /// Timeout, dropped connection, 5xx on the create, unreadable 2xx.
    MaybeSent,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimError {
    #[error("another worker holds the entry until {until}")]
    Leased { until: u64 },
    #[error("not due before {not_before}")]
    NotDue { not_before: u64 },
    #[error("the entry failed permanently; only the user can retry it")]
    Failed,
    #[error("the worker stopped during this entry too often; it was set aside")]
    SetAside,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The lease presented is not the entry's current one (it expired and someone else
    /// claimed the entry): this worker's result is stale and must be dropped.
    #[error("stale lease")]
    StaleLease,
    /// A send is in flight (lease valid): wait for it.
    #[error("a send is in flight until {until}")]
    InFlight { until: u64 },
    /// The entry could not be read: it can only be discarded.
    #[error("this share could not be read; it can only be discarded")]
    Unreadable,
}

impl OutboxEntry {
    /// A new share, due at once.
    pub fn new(
        share_id: String,
        instance: String,
        draft: TaskDraft,
        correlation_id: String,
        now_ms: u64,
    ) -> Self {
        OutboxEntry {
            share_id,
            instance,
            draft,
            correlation_id,
            status: OutboxStatus::Pending,
            attempts: 0,
            not_before: now_ms,
            last_error: None,
            created_at: now_ms,
            interrupted: 0,
            unreadable: None,
            may_commit_until: None,
        }
    }

    /// Stands in for a stored entry that could not be decoded (`raw`: its JSON text): failed,
    /// never sent, shown with what could be read of it so the user can discard it. `index`
    /// keeps share ids distinct when the id itself is unreadable.
    pub fn unreadable(raw: &str, index: usize) -> Self {
        let value: serde_json::Value = serde_json::from_str(raw).unwrap_or_default();
        let text = |v: &serde_json::Value, max: usize| -> String {
            v.as_str()
                .map(|s| s.chars().filter(|c| !c.is_control()).take(max).collect())
                .unwrap_or_default()
        };
        let share_id: String = text(&value["share_id"], 64)
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(32)
            .collect();
        let share_id = if share_id.is_empty() {
            format!("unreadable{index}")
        } else {
            share_id
        };
        let draft = &value["draft"];
        OutboxEntry {
            share_id,
            instance: text(&value["instance"], 256),
            draft: TaskDraft {
                kind: serde_json::from_value(draft["kind"].clone())
                    .unwrap_or(super::ticket::TicketKind::Incident),
                name: text(&draft["name"], super::draft::TASK_NAME_MAX),
                description: String::new(),
                priority: serde_json::from_value(draft["priority"].clone())
                    .unwrap_or(super::ticket::Priority::Moderate),
                due_date: String::new(),
                user_id: String::new(),
                source: super::ticket::RecommendationSource::Microsoft,
                category: None,
                status: None,
                action_id: None,
                action_url: None,
                assignment_group: None,
                compliance: None,
            },
            correlation_id: String::new(),
            status: OutboxStatus::Failed {
                diagnosis: Diagnosis::ShareUnreadable,
            },
            attempts: 0,
            not_before: 0,
            last_error: Some(Diagnosis::ShareUnreadable),
            created_at: value["created_at"].as_u64().unwrap_or(0),
            interrupted: 0,
            unreadable: Some(raw.chars().take(UNREADABLE_KEEP_CHARS).collect()),
            may_commit_until: None,
        }
    }

    /// Whether a worker may claim the entry now.
    pub fn is_due(&self, now_ms: u64) -> bool {
        match self.status {
            OutboxStatus::Pending | OutboxStatus::Unknown => self.not_before <= now_ms,
            OutboxStatus::Sending { lease_until } => lease_until <= now_ms,
            OutboxStatus::Failed { .. } => false,
        }
    }

    /// Takes the entry for one attempt, for `lease_ms`. Only a Pending or Unknown entry that
    /// is due, or a Sending entry whose lease expired (its worker died mid-send, so the
    /// outcome is unknown), can be claimed; a second claimer fails while the lease is valid.
    pub fn claim(&mut self, now_ms: u64, lease_ms: u64) -> Result<Lease, ClaimError> {
        let check_first = match self.status {
            OutboxStatus::Failed { .. } => return Err(ClaimError::Failed),
            OutboxStatus::Sending { lease_until } if lease_until > now_ms => {
                return Err(ClaimError::Leased { until: lease_until })
            }
            OutboxStatus::Sending { lease_until } => {
                // The worker that held it stopped mid-attempt. If that keeps happening the
                // entry itself may be the cause: set it aside so the others still go.
                self.interrupted = self.interrupted.saturating_add(1);
                if self.interrupted >= MAX_INTERRUPTIONS {
                    let diagnosis = Diagnosis::ShareInterrupted;
                    self.last_error = Some(diagnosis.clone());
                    self.status = OutboxStatus::Failed { diagnosis };
                    return Err(ClaimError::SetAside);
                }
                // Its create, if it left, left before the lease ran out.
                self.unanswered_create(lease_until);
                true
            }
            OutboxStatus::Pending | OutboxStatus::Unknown if self.not_before > now_ms => {
                return Err(ClaimError::NotDue {
                    not_before: self.not_before,
                })
            }
            OutboxStatus::Pending => false,
            OutboxStatus::Unknown => true,
        };
        // At least 1 ms, so `until` always differs from an expired lease's.
        let until = now_ms.saturating_add(lease_ms.max(1));
        self.status = OutboxStatus::Sending { lease_until: until };
        self.attempts = self.attempts.saturating_add(1);
        Ok(Lease {
            until,
            check_first,
            checked: false,
        })
    }

    /// A create of this entry got no answer by `at_ms` (timeout, connection lost, gateway
    /// timeout, or its worker stopped): the instance may commit it for [`COMMIT_WINDOW_MS`].
    pub fn unanswered_create(&mut self, at_ms: u64) {
        let until = at_ms.saturating_add(COMMIT_WINDOW_MS);
        self.may_commit_until = Some(self.may_commit_until.map_or(until, |u| u.max(until)));
    }

    /// Whether a lookup made at `now_ms` that found no record proves there is none: no
    /// unanswered create of this entry can still commit.
    pub fn absence_is_final(&self, now_ms: u64) -> bool {
        self.may_commit_until.is_none_or(|until| now_ms >= until)
    }

    /// The lookup found nothing while an unanswered create may still commit: nothing is sent,
    /// the entry is looked up again after [`RECHECK_MS`] (at the latest when the window
    /// closes, after which a lookup that finds nothing lets it be sent again). The claim's
    /// attempt is given back: a lookup is not a send. Returns when the next lookup is due.
    pub fn recheck_later(&mut self, lease: &Lease, now_ms: u64) -> Result<u64, TransitionError> {
        self.check_lease(lease)?;
        let until = self.may_commit_until.unwrap_or(now_ms);
        let at = now_ms.saturating_add(RECHECK_MS).min(until).max(now_ms);
        self.status = OutboxStatus::Unknown;
        self.attempts = self.attempts.saturating_sub(1);
        self.not_before = at;
        Ok(at)
    }

    fn check_lease(&self, lease: &Lease) -> Result<(), TransitionError> {
        match self.status {
            OutboxStatus::Sending { lease_until } if lease_until == lease.until => Ok(()),
            _ => Err(TransitionError::StaleLease),
        }
    }

    /// A transient failure: back to Pending (known non-commit) or Unknown (look up first next
    /// time), not before `now + delay_ms`. Unknown is sticky: a lease that had to check first
    /// and did not get to stays Unknown whatever this attempt's failure was.
    pub fn fail_transient(
        &mut self,
        lease: &Lease,
        now_ms: u64,
        delay_ms: u64,
        outcome: SendOutcome,
        diagnosis: Diagnosis,
    ) -> Result<(), TransitionError> {
        self.check_lease(lease)?;
        let unknown = outcome == SendOutcome::MaybeSent || lease.still_unknown();
        self.status = if unknown {
            OutboxStatus::Unknown
        } else {
            OutboxStatus::Pending
        };
        self.not_before = now_ms.saturating_add(delay_ms);
        self.last_error = Some(diagnosis);
        Ok(())
    }

    /// A permanent failure: shown to the user with the diagnosis and the draft, never retried
    /// silently.
    pub fn fail_permanent(
        &mut self,
        lease: &Lease,
        diagnosis: Diagnosis,
    ) -> Result<(), TransitionError> {
        self.check_lease(lease)?;
        self.last_error = Some(diagnosis.clone());
        self.status = OutboxStatus::Failed { diagnosis };
        Ok(())
    }

    /// Applies `retry::classify`'s decision: backoff from the attempt count with the caller's
    /// `jitter` in [0, 1). Returns the delay chosen (0 for a permanent failure).
    pub fn record_failure(
        &mut self,
        lease: &Lease,
        now_ms: u64,
        decision: RetryDecision,
        diagnosis: Diagnosis,
        jitter: f64,
    ) -> Result<u64, TransitionError> {
        let backoff = backoff_ms(self.attempts.saturating_sub(1), jitter);
        let (delay, outcome) = match decision {
            RetryDecision::Permanent => {
                self.fail_permanent(lease, diagnosis)?;
                return Ok(0);
            }
            RetryDecision::Retry => (backoff, SendOutcome::NotSent),
            RetryDecision::RetryAfter(ms) => (ms, SendOutcome::NotSent),
            RetryDecision::CheckThenRetry => (backoff, SendOutcome::MaybeSent),
            // The refresh-and-resend happens inside the attempt; landing here means it was
            // interrupted: nothing was committed (401), try again at once.
            RetryDecision::RefreshThenRetry => (0, SendOutcome::NotSent),
        };
        self.fail_transient(lease, now_ms, delay, outcome, diagnosis)?;
        Ok(delay)
    }

    /// Gives the entry back without a result (the worker decided not to send, e.g. the
    /// connection needs authorization): same state as before the claim, due at once.
    pub fn release(&mut self, lease: &Lease, now_ms: u64) -> Result<(), TransitionError> {
        self.check_lease(lease)?;
        self.status = if lease.still_unknown() {
            OutboxStatus::Unknown
        } else {
            OutboxStatus::Pending
        };
        self.attempts = self.attempts.saturating_sub(1);
        self.not_before = now_ms;
        Ok(())
    }

    /// The user's Retry (popup, form): due now, backoff restarted. An entry that was ever
    /// attempted is looked up first, since a permanent failure can follow an unknown outcome.
    pub fn retry_by_user(&mut self, now_ms: u64) -> Result<(), TransitionError> {
        if self.unreadable.is_some() {
            return Err(TransitionError::Unreadable);
        }
        if let OutboxStatus::Sending { lease_until } = self.status {
            if lease_until > now_ms {
                return Err(TransitionError::InFlight { until: lease_until });
            }
        }
        let unknown = self.attempts > 0 || !matches!(self.status, OutboxStatus::Pending);
        self.status = if unknown {
            OutboxStatus::Unknown
        } else {
            OutboxStatus::Pending
        };
        self.attempts = 0;
        self.interrupted = 0;
        self.not_before = now_ms;
        Ok(())
    }

    /// Whether the user may discard the entry now (not while a send is in flight: the record
    /// could appear after the entry is gone).
    pub fn can_discard(&self, now_ms: u64) -> Result<(), TransitionError> {
        match self.status {
            OutboxStatus::Sending { lease_until } if lease_until > now_ms => {
                Err(TransitionError::InFlight { until: lease_until })
            }
            _ => Ok(()),
        }
    }

    /// What the popup shows.
    pub fn view(&self) -> OutboxView {
        OutboxView {
            share_id: self.share_id.clone(),
            name: self.draft.name.clone(),
            kind: self.draft.kind,
            action_id: self.draft.action_id.clone(),
            status: self.status.clone(),
            attempts: self.attempts,
            last_error: self.last_error.clone(),
            next_attempt_at: self.not_before,
            created_at: self.created_at,
        }
    }
}

/// All queued shares. Stored one entry per key (`outbox:<share id>`, see the worker's `store`),
/// so a change writes only the entries it touched: the outbox records them (`take_changes`).
/// Earlier versions stored the whole list under one key, the JSON array this serializes to.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Outbox {
    /// Read freely; changed only through the methods below, which record what they touch.
    pub entries: Vec<OutboxEntry>,
    #[serde(skip)]
    changes: Changes,
}

/// Two outboxes are equal when they hold the same entries (not the same pending changes).
impl PartialEq for Outbox {
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl Eq for Outbox {}

/// The share ids a change wrote (added or changed) and removed since the last `take_changes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub written: std::collections::BTreeSet<String>,
    pub removed: std::collections::BTreeSet<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.written.is_empty() && self.removed.is_empty()
    }

    fn wrote(&mut self, share_id: &str) {
        self.removed.remove(share_id);
        self.written.insert(share_id.to_owned());
    }

    fn removed(&mut self, share_id: &str) {
        self.written.remove(share_id);
        self.removed.insert(share_id.to_owned());
    }
}

impl Outbox {
    /// Adds a share; a second Send of the same share id (a double click, a resent message) is
    /// the same share and adds nothing. Returns whether it was added.
    pub fn push(&mut self, entry: OutboxEntry) -> bool {
        if self.get(&entry.share_id).is_some() {
            return false;
        }
        self.changes.wrote(&entry.share_id);
        self.entries.push(entry);
        true
    }

    pub fn get(&self, share_id: &str) -> Option<&OutboxEntry> {
        self.entries.iter().find(|e| e.share_id == share_id)
    }

    /// The entry, to change: it is counted as written (`take_changes`) whether or not the
    /// caller changes it.
    pub fn get_mut(&mut self, share_id: &str) -> Option<&mut OutboxEntry> {
        let entry = self.entries.iter_mut().find(|e| e.share_id == share_id)?;
        self.changes.wrote(share_id);
        Some(entry)
    }

    /// ServiceNow confirmed (or a lookup adopted) the record: the entry leaves the outbox.
    /// Accepted from any holder, even with an expired lease: the record exists either way.
    pub fn complete(&mut self, share_id: &str) -> Option<OutboxEntry> {
        let i = self.entries.iter().position(|e| e.share_id == share_id)?;
        self.changes.removed(share_id);
        Some(self.entries.remove(i))
    }

    /// What changed since the last call (the entries to store and to delete), forgotten here.
    pub fn take_changes(&mut self) -> Changes {
        std::mem::take(&mut self.changes)
    }

    /// The outbox as stored one entry per key: `(share id of the key, the entry or its JSON
    /// text)`. The key's id is the entry's (a damaged entry cannot move to another key);
    /// oldest first, as they were queued. An unreadable entry is set aside in place.
    pub fn from_keyed(stored: Vec<(String, Result<OutboxEntry, String>)>) -> Self {
        let mut entries: Vec<OutboxEntry> = stored
            .into_iter()
            .enumerate()
            .map(|(i, (id, entry))| {
                let mut entry = entry.unwrap_or_else(|raw| OutboxEntry::unreadable(&raw, i));
                entry.share_id = id;
                entry
            })
            .collect();
        entries.sort_by(|a, b| (a.created_at, &a.share_id).cmp(&(b.created_at, &b.share_id)));
        Outbox {
            entries,
            changes: Changes::default(),
        }
    }

    /// The user's Discard. `Ok(None)` when there was no such entry.
    pub fn discard(
        &mut self,
        share_id: &str,
        now_ms: u64,
    ) -> Result<Option<OutboxEntry>, TransitionError> {
        match self.get(share_id) {
            None => Ok(None),
            Some(e) => {
                e.can_discard(now_ms)?;
                Ok(self.complete(share_id))
            }
        }
    }

    /// The stored outbox, decoded entry by entry (`Err` holds an entry's JSON text): one
    /// unreadable entry is set aside and never costs the others.
    pub fn from_stored(entries: Vec<Result<OutboxEntry, String>>) -> Self {
        let mut outbox = Outbox::default();
        for (i, entry) in entries.into_iter().enumerate() {
            let entry = entry.unwrap_or_else(|raw| OutboxEntry::unreadable(&raw, i));
            if outbox.get(&entry.share_id).is_some() {
                // Two entries claiming one share id (only a damaged store does that): keep
                // both, the second under an id of its own; its correlation id is unchanged.
                let mut second = entry;
                second.share_id = format!("{}x{i}", second.share_id);
                outbox.entries.push(second);
            } else {
                outbox.entries.push(entry);
            }
        }
        outbox
    }

    /// Share ids that may be claimed now, oldest first; an entry a stopped worker was
    /// holding goes after the others, since it may be what stopped the worker.
    pub fn due(&self, now_ms: u64) -> Vec<String> {
        let mut due: Vec<&OutboxEntry> = self.entries.iter().filter(|e| e.is_due(now_ms)).collect();
        due.sort_by_key(|e| {
            let suspect = e.interrupted > 0
                || matches!(e.status, OutboxStatus::Sending { lease_until } if lease_until <= now_ms);
            (suspect, e.created_at)
        });
        due.into_iter().map(|e| e.share_id.clone()).collect()
    }

    /// When something next becomes due (for `chrome.alarms`); `None` when nothing waits.
    pub fn next_wake_at(&self) -> Option<u64> {
        self.entries
            .iter()
            .filter_map(|e| match e.status {
                OutboxStatus::Pending | OutboxStatus::Unknown => Some(e.not_before),
                OutboxStatus::Sending { lease_until } => Some(lease_until),
                OutboxStatus::Failed { .. } => None,
            })
            .min()
    }

    /// A 429 pauses all sending to that instance until `until_ms`.
    pub fn pause_instance(&mut self, instance: &str, until_ms: u64) {
        for e in self.entries.iter_mut().filter(|e| e.instance == instance) {
            if matches!(e.status, OutboxStatus::Pending | OutboxStatus::Unknown)
                && e.not_before < until_ms
            {
                e.not_before = until_ms;
                self.changes.wrote(&e.share_id);
            }
        }
    }

    /// Action ids with a share still queued (for "queued" badges).
    pub fn queued_action_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .entries
            .iter()
            .filter(|e| !matches!(e.status, OutboxStatus::Failed { .. }))
            .filter_map(|e| e.draft.action_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ticket::{Category, Priority, RecommendationSource, TicketKind};

    const T0: u64 = 1_000_000;
    const LEASE: u64 = 30_000;

    fn draft(action: &str) -> TaskDraft {
        TaskDraft {
            kind: TicketKind::Incident,
            name: "Enable MFA".into(),
            description: String::new(),
            priority: Priority::High,
            due_date: "2030-01-01".into(),
            user_id: "admin@contoso.com".into(),
            source: RecommendationSource::Microsoft,
            category: Some(Category::Identity),
            status: None,
            action_id: Some(action.into()),
            action_url: None,
            assignment_group: None,
            compliance: None,
        }
    }

    fn entry(share: &str) -> OutboxEntry {
        OutboxEntry::new(
            share.into(),
            "https://dev1.service-now.com".into(),
            draft("AdminMFAV2"),
            format!("snshare:AdminMFAV2:{share}"),
            T0,
        )
    }

    #[test]
    fn a_new_entry_is_pending_and_due() {
        let e = entry("s1");
        assert_eq!(e.status, OutboxStatus::Pending);
        assert_eq!(e.attempts, 0);
        assert!(e.is_due(T0));
    }

    #[test]
    fn claim_takes_a_lease_and_a_second_claimer_fails_while_it_is_valid() {
        let mut e = entry("s1");
        let lease = e.claim(T0, LEASE).unwrap();
        assert_eq!(lease.until, T0 + LEASE);
        assert!(!lease.check_first);
        assert_eq!(
            e.status,
            OutboxStatus::Sending {
                lease_until: T0 + LEASE
            }
        );
        assert_eq!(e.attempts, 1);
        // Second worker, same storage state.
        let mut other = e.clone();
        assert_eq!(
            other.claim(T0 + 1, LEASE),
            Err(ClaimError::Leased { until: T0 + LEASE })
        );
        assert_eq!(
            other.claim(T0 + LEASE - 1, LEASE),
            Err(ClaimError::Leased { until: T0 + LEASE })
        );
        assert!(!e.is_due(T0 + LEASE - 1));
    }

    #[test]
    fn a_lookup_that_finds_nothing_while_an_unanswered_create_may_commit_is_repeated_not_resent() {
        let mut e = entry("s1");
        let l = e.claim(T0, LEASE).unwrap();
        // The create timed out at T0 + 8 s.
        let timed_out = T0 + 8_000;
        e.unanswered_create(timed_out);
        e.record_failure(
            &l,
            timed_out,
            RetryDecision::CheckThenRetry,
            Diagnosis::Timeout,
            0.0,
        )
        .unwrap();
        assert_eq!(e.may_commit_until, Some(timed_out + COMMIT_WINDOW_MS));
        // The first lookup, 8 s later, finds nothing: no proof, look again later.
        let at = timed_out + 8_000;
        let lookup = e.claim(at, LEASE).unwrap();
        assert!(lookup.check_first);
        assert!(!e.absence_is_final(at));
        assert_eq!(e.recheck_later(&lookup, at), Ok(at + RECHECK_MS));
        assert_eq!(e.status, OutboxStatus::Unknown);
        assert_eq!(e.attempts, 1, "a lookup is not a send");
        assert!(!e.is_due(at + RECHECK_MS - 1));
        // Near the window's end the next lookup comes when it closes, not later.
        let late = timed_out + COMMIT_WINDOW_MS - 5_000;
        let lookup = e.claim(late, LEASE).unwrap();
        assert_eq!(
            e.recheck_later(&lookup, late),
            Ok(timed_out + COMMIT_WINDOW_MS)
        );
        // Once it has closed, a lookup that finds nothing lets the share be sent again.
        assert!(e.absence_is_final(timed_out + COMMIT_WINDOW_MS));
        // A stale lease changes nothing.
        assert_eq!(
            e.recheck_later(&lookup, late + 1),
            Err(TransitionError::StaleLease)
        );
    }

    #[test]
    fn the_window_only_grows_and_an_expired_lease_opens_one() {
        let mut e = entry("s1");
        assert!(e.absence_is_final(T0), "never sent: nothing can commit");
        e.unanswered_create(T0 + 50_000);
        e.unanswered_create(T0);
        assert_eq!(e.may_commit_until, Some(T0 + 50_000 + COMMIT_WINDOW_MS));
        // A worker stopped while holding the entry: its create, if any, left before the lease
        // ran out.
        let mut stopped = entry("s2");
        stopped.claim(T0, LEASE).unwrap();
        stopped.claim(T0 + LEASE, LEASE).unwrap();
        assert_eq!(
            stopped.may_commit_until,
            Some(T0 + LEASE + COMMIT_WINDOW_MS)
        );
        // Entries stored before the window existed read as having none.
        let json = serde_json::to_string(&entry("s3")).unwrap();
        assert!(!json.contains("may_commit_until"));
        let read: OutboxEntry = serde_json::from_str(&json).unwrap();
        assert!(read.absence_is_final(T0));
    }

    #[test]
    fn an_expired_lease_can_be_taken_over_and_must_check_first() {
        let mut e = entry("s1");
        let first = e.claim(T0, LEASE).unwrap();
        // The first worker was stopped mid-send; its lease expires.
        assert!(e.is_due(T0 + LEASE));
        let second = e.claim(T0 + LEASE, LEASE).unwrap();
        assert!(second.check_first, "the first attempt's outcome is unknown");
        assert_eq!(e.attempts, 2);
        // The first worker's late result is stale.
        assert_eq!(
            e.fail_transient(
                &first,
                T0 + LEASE + 5,
                0,
                SendOutcome::NotSent,
                Diagnosis::Timeout
            ),
            Err(TransitionError::StaleLease)
        );
        assert_eq!(
            e.fail_permanent(&first, Diagnosis::Timeout),
            Err(TransitionError::StaleLease)
        );
        assert_eq!(e.release(&first, T0), Err(TransitionError::StaleLease));
        assert!(e
            .fail_transient(
                &second,
                T0 + LEASE + 5,
                0,
                SendOutcome::NotSent,
                Diagnosis::Timeout
            )
            .is_ok());
    }

    #[test]
    fn transient_failures_back_off_as_pending_or_unknown() {
        let mut e = entry("s1");
        let l = e.claim(T0, LEASE).unwrap();
        e.fail_transient(&l, T0 + 10, 4_000, SendOutcome::NotSent, Diagnosis::Offline)
            .unwrap();
        assert_eq!(e.status, OutboxStatus::Pending);
        assert_eq!(e.not_before, T0 + 4_010);
        assert_eq!(e.last_error, Some(Diagnosis::Offline));
        assert_eq!(
            e.claim(T0 + 4_009, LEASE),
            Err(ClaimError::NotDue {
                not_before: T0 + 4_010
            })
        );

        let l = e.claim(T0 + 4_010, LEASE).unwrap();
        e.fail_transient(
            &l,
            T0 + 5_000,
            8_000,
            SendOutcome::MaybeSent,
            Diagnosis::Timeout,
        )
        .unwrap();
        assert_eq!(e.status, OutboxStatus::Unknown);
        let l = e.claim(T0 + 13_000, LEASE).unwrap();
        assert!(l.check_first);
    }

    #[test]
    fn unknown_is_sticky_until_the_lookup_ran() {
        let mut e = entry("s1");
        let l = e.claim(T0, LEASE).unwrap();
        e.fail_transient(&l, T0, 0, SendOutcome::MaybeSent, Diagnosis::Timeout)
            .unwrap();
        // The lookup itself fails (offline): still unknown.
        let l = e.claim(T0, LEASE).unwrap();
        e.fail_transient(&l, T0, 0, SendOutcome::NotSent, Diagnosis::Offline)
            .unwrap();
        assert_eq!(e.status, OutboxStatus::Unknown);
        // The lookup found nothing, then the create was refused before processing: pending.
        let mut l = e.claim(T0, LEASE).unwrap();
        l.mark_checked_absent();
        e.fail_transient(
            &l,
            T0,
            0,
            SendOutcome::NotSent,
            Diagnosis::RateLimited {
                retry_after_secs: 5,
            },
        )
        .unwrap();
        assert_eq!(e.status, OutboxStatus::Pending);
    }

    #[test]
    fn permanent_failure_waits_for_the_user() {
        let mut e = entry("s1");
        let l = e.claim(T0, LEASE).unwrap();
        let d = Diagnosis::RecordRejected {
            message: "Data policy".into(),
        };
        e.fail_permanent(&l, d.clone()).unwrap();
        assert_eq!(
            e.status,
            OutboxStatus::Failed {
                diagnosis: d.clone()
            }
        );
        assert_eq!(e.last_error, Some(d));
        assert!(!e.is_due(u64::MAX));
        assert_eq!(e.claim(T0 + 1_000_000, LEASE), Err(ClaimError::Failed));
        // Retry by user: due now, looked up first (it was attempted), backoff restarted.
        e.retry_by_user(T0 + 50).unwrap();
        assert_eq!(e.status, OutboxStatus::Unknown);
        assert_eq!(e.attempts, 0);
        assert_eq!(e.not_before, T0 + 50);
        assert!(e.claim(T0 + 50, LEASE).unwrap().check_first);
    }

    #[test]
    fn retry_by_user_refuses_while_in_flight_and_skips_backoff() {
        let mut e = entry("s1");
        let l = e.claim(T0, LEASE).unwrap();
        assert_eq!(
            e.retry_by_user(T0 + 1),
            Err(TransitionError::InFlight { until: l.until })
        );
        e.fail_transient(&l, T0, 60_000, SendOutcome::NotSent, Diagnosis::Offline)
            .unwrap();
        e.retry_by_user(T0 + 1).unwrap();
        assert!(e.is_due(T0 + 1));
        let mut fresh = entry("s2");
        fresh.retry_by_user(T0).unwrap();
        assert_eq!(fresh.status, OutboxStatus::Pending);
    }

    #[test]
    fn record_failure_applies_the_retry_decision() {
        let mut e = entry("s1");
        let l = e.claim(T0, LEASE).unwrap();
        assert_eq!(
            e.record_failure(&l, T0, RetryDecision::Retry, Diagnosis::Offline, 1.0),
            Ok(2_000)
        );
        assert_eq!(
            (e.status.clone(), e.not_before),
            (OutboxStatus::Pending, T0 + 2_000)
        );

        let l = e.claim(T0 + 2_000, LEASE).unwrap();
        assert_eq!(
            e.record_failure(
                &l,
                T0 + 2_000,
                RetryDecision::CheckThenRetry,
                Diagnosis::ServerError { status: 503 },
                1.0
            ),
            Ok(4_000)
        );
        assert_eq!(e.status, OutboxStatus::Unknown);

        let mut l = e.claim(T0 + 6_000, LEASE).unwrap();
        l.mark_checked_absent();
        let rl = Diagnosis::RateLimited {
            retry_after_secs: 5,
        };
        assert_eq!(
            e.record_failure(&l, T0 + 6_000, RetryDecision::RetryAfter(5_000), rl, 0.3),
            Ok(5_000)
        );
        assert_eq!(
            (e.status.clone(), e.not_before),
            (OutboxStatus::Pending, T0 + 11_000)
        );

        let l = e.claim(T0 + 11_000, LEASE).unwrap();
        assert_eq!(
            e.record_failure(
                &l,
                T0 + 11_000,
                RetryDecision::RefreshThenRetry,
                Diagnosis::AuthorizationLost,
                0.5
            ),
            Ok(0)
        );
        assert_eq!(e.status, OutboxStatus::Pending);

        let l = e.claim(T0 + 11_000, LEASE).unwrap();
        assert_eq!(
            e.record_failure(
                &l,
                T0 + 11_000,
                RetryDecision::Permanent,
                Diagnosis::AuthorizationLost,
                0.5
            ),
            Ok(0)
        );
        assert!(matches!(e.status, OutboxStatus::Failed { .. }));
    }

    #[test]
    fn release_returns_the_entry_untouched() {
        let mut e = entry("s1");
        let l = e.claim(T0, LEASE).unwrap();
        e.release(&l, T0 + 5).unwrap();
        assert_eq!(
            (e.status.clone(), e.attempts, e.not_before),
            (OutboxStatus::Pending, 0, T0 + 5)
        );
        e.status = OutboxStatus::Unknown;
        let l = e.claim(T0 + 5, LEASE).unwrap();
        e.release(&l, T0 + 6).unwrap();
        assert_eq!(e.status, OutboxStatus::Unknown);
    }

    #[test]
    fn outbox_push_complete_discard() {
        let mut o = Outbox::default();
        assert!(o.push(entry("s1")));
        assert!(!o.push(entry("s1")), "same share id is the same share");
        assert!(o.push(entry("s2")));
        let l = o.get_mut("s1").unwrap().claim(T0, LEASE).unwrap();
        assert_eq!(
            o.discard("s1", T0 + 1),
            Err(TransitionError::InFlight { until: l.until })
        );
        assert_eq!(o.complete("s1").map(|e| e.share_id), Some("s1".into()));
        assert_eq!(o.complete("s1"), None);
        assert_eq!(
            o.discard("s2", T0).unwrap().map(|e| e.share_id),
            Some("s2".into())
        );
        assert_eq!(o.discard("nope", T0), Ok(None));
        assert!(o.entries.is_empty());
    }

    #[test]
    fn due_wake_and_pause() {
        let mut o = Outbox::default();
        let mut a = entry("a");
        a.created_at = T0 + 2;
        let mut b = entry("b");
        b.created_at = T0 + 1;
        let mut c = entry("c");
        c.instance = "https://other.service-now.com".into();
        c.not_before = T0 + 100;
        o.push(a);
        o.push(b);
        o.push(c);
        assert_eq!(o.due(T0), vec!["b".to_owned(), "a".to_owned()]);
        assert_eq!(o.next_wake_at(), Some(T0));
        o.pause_instance("https://dev1.service-now.com", T0 + 5_000);
        assert_eq!(o.due(T0 + 100), vec!["c".to_owned()]);
        assert_eq!(o.next_wake_at(), Some(T0 + 100));
        let l = o.get_mut("c").unwrap().claim(T0 + 100, LEASE).unwrap();
        assert_eq!(o.next_wake_at(), Some(T0 + 5_000));
        o.get_mut("c")
            .unwrap()
            .fail_permanent(&l, Diagnosis::Timeout)
            .unwrap();
        assert_eq!(o.queued_action_ids(), vec!["AdminMFAV2".to_owned()]);
        let view = o.get("c").unwrap().view();
        assert_eq!(
            (view.share_id.as_str(), view.attempts, view.kind),
            ("c", 1, TicketKind::Incident)
        );
    }

    #[test]
    fn outbox_round_trips_through_storage_json() {
        let mut o = Outbox::default();
        o.push(entry("s1"));
        let l = o.get_mut("s1").unwrap().claim(T0, LEASE).unwrap();
        o.get_mut("s1")
            .unwrap()
            .fail_permanent(
                &l,
                Diagnosis::MissingRoles {
                    table: "incident".into(),
                },
            )
            .unwrap();
        let json = serde_json::to_string(&o).unwrap();
        assert!(json.starts_with('['));
        assert_eq!(serde_json::from_str::<Outbox>(&json).unwrap(), o);
    }

    #[test]
    fn an_unreadable_entry_is_set_aside_and_the_others_stay_due() {
        let good = entry("s1");
        let raw_bad =
            r#"{"share_id":"s2","draft":{"name":"Enable MFA\u0000","due_date":5},"created_at":7}"#;
        let o = Outbox::from_stored(vec![
            Err(raw_bad.to_owned()),
            Ok(good.clone()),
            Err("not json at all".to_owned()),
        ]);
        assert_eq!(o.entries.len(), 3);
        let bad = o.get("s2").unwrap();
        assert_eq!(
            bad.status,
            OutboxStatus::Failed {
                diagnosis: Diagnosis::ShareUnreadable
            }
        );
        assert_eq!(bad.draft.name, "Enable MFA");
        assert_eq!(bad.created_at, 7);
        assert_eq!(bad.unreadable.as_deref(), Some(raw_bad));
        assert!(o.get("unreadable2").is_some());
        // Only the readable share is sent; the unreadable ones can only be discarded.
        assert_eq!(o.due(T0), vec!["s1".to_owned()]);
        let mut o = o;
        assert_eq!(
            o.get_mut("s2").unwrap().retry_by_user(T0),
            Err(TransitionError::Unreadable)
        );
        assert!(o.discard("s2", T0).unwrap().is_some());
        // What is stored back reads back the same (nothing of the damaged entry is lost).
        let json = serde_json::to_string(&o).unwrap();
        assert_eq!(serde_json::from_str::<Outbox>(&json).unwrap(), o);
        // Duplicated ids from a damaged store: both kept.
        let o = Outbox::from_stored(vec![Ok(good.clone()), Ok(good)]);
        assert_eq!(o.entries.len(), 2);
        assert_ne!(o.entries[0].share_id, o.entries[1].share_id);
    }

    fn ids(list: &[&str]) -> std::collections::BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn a_change_names_only_the_entries_it_touched() {
        let mut o = Outbox::default();
        for id in ["a", "b", "c"] {
            o.push(entry(id));
        }
        assert_eq!(o.take_changes().written, ids(&["a", "b", "c"]));
        assert!(o.take_changes().is_empty(), "taken once");
        // A claim writes its entry only.
        o.get_mut("b").unwrap().claim(T0, LEASE).unwrap();
        let c = o.take_changes();
        assert_eq!((c.written, c.removed), (ids(&["b"]), ids(&[])));
        // A settle removes it; a push of the same share id in one change comes back written.
        o.complete("b");
        let c = o.take_changes();
        assert_eq!((c.written, c.removed), (ids(&[]), ids(&["b"])));
        o.push(entry("d"));
        o.complete("d");
        let c = o.take_changes();
        assert_eq!((c.written, c.removed), (ids(&[]), ids(&["d"])));
        o.complete("a");
        o.push(entry("a"));
        let c = o.take_changes();
        assert_eq!((c.written, c.removed), (ids(&["a"]), ids(&[])));
        // A pause writes only the entries it moved: not a failed one, not one already later.
        let l = o.get_mut("c").unwrap().claim(T0, LEASE).unwrap();
        o.get_mut("c")
            .unwrap()
            .fail_permanent(&l, Diagnosis::Timeout)
            .unwrap();
        let mut late = entry("late");
        late.not_before = T0 + 50_000;
        o.push(late);
        let mut other = entry("other");
        other.instance = "https://other.service-now.com".into();
        o.push(other);
        o.take_changes();
        o.pause_instance("https://dev1.service-now.com", T0 + 10_000);
        assert_eq!(o.take_changes().written, ids(&["a"]));
        assert_eq!(o.get("late").map(|e| e.not_before), Some(T0 + 50_000));
        // Nothing found, nothing written.
        assert!(o.get_mut("nope").is_none() && o.complete("nope").is_none());
        assert!(o.take_changes().is_empty());
    }

    #[test]
    fn the_outbox_read_key_by_key_keeps_each_entry_under_its_key_in_queue_order() {
        let mut first = entry("first");
        first.created_at = T0 - 5;
        let mut moved = entry("other");
        moved.created_at = T0;
        let o = Outbox::from_keyed(vec![
            ("second".into(), Ok(moved)),
            (
                "broken".into(),
                Err(r#"{"share_id":"elsewhere","created_at":3}"#.into()),
            ),
            ("first".into(), Ok(first.clone())),
        ]);
        let order: Vec<&str> = o.entries.iter().map(|e| e.share_id.as_str()).collect();
        assert_eq!(order, ["broken", "first", "second"]);
        // The key decides the id: a damaged entry stays under its own key, discardable.
        let broken = o.get("broken").unwrap();
        assert_eq!(broken.last_error, Some(Diagnosis::ShareUnreadable));
        assert!(o.get("elsewhere").is_none());
        assert_eq!(o.get("first"), Some(&first));
        assert_eq!(o.due(T0), vec!["first".to_owned(), "second".to_owned()]);
    }

    #[test]
    fn an_entry_that_keeps_stopping_the_worker_is_set_aside_and_goes_last() {
        let mut o = Outbox::default();
        o.push(entry("poison"));
        let mut later = entry("later");
        later.created_at = T0 + 1;
        o.push(later);
        let mut now = T0;
        // The worker dies holding "poison" (the lease is never settled), again and again.
        for round in 1..MAX_INTERRUPTIONS {
            o.get_mut("poison").unwrap().claim(now, LEASE).unwrap();
            now += LEASE + 1;
            assert_eq!(
                o.due(now).last().map(String::as_str),
                Some("poison"),
                "{round}"
            );
            // The share queued behind it is tried first.
            assert_eq!(o.due(now).first().map(String::as_str), Some("later"));
        }
        o.get_mut("poison").unwrap().claim(now, LEASE).unwrap();
        now += LEASE + 1;
        assert_eq!(
            o.get_mut("poison").unwrap().claim(now, LEASE),
            Err(ClaimError::SetAside)
        );
        let poison = o.get("poison").unwrap();
        assert_eq!(poison.last_error, Some(Diagnosis::ShareInterrupted));
        assert!(!poison.is_due(now));
        assert_eq!(o.due(now), vec!["later".to_owned()]);
        // The user may still retry it; the count starts again and the lookup comes first.
        let poison = o.get_mut("poison").unwrap();
        poison.retry_by_user(now).unwrap();
        assert_eq!(poison.interrupted, 0);
        assert!(poison.claim(now, LEASE).unwrap().check_first);
    }
}
