//! Bulk share (issue 18): several improvement actions, one ticket each, all through the outbox.
//!
//! A bulk is a list of ordinary shares (each its own share id, draft and correlation id), so
//! every rule of the outbox holds for each of them: nothing lost when the tab or the browser
//! closes, nothing twice after a dropped answer, a 429 pauses the instance. What a bulk adds is
//! kept here: which actions are skipped because they already have an open ticket (unless the
//! user ticked them), and the record the progress and the summary are read from.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::action_status::ActionStatus;
use super::correlation::{action_key, parse};
use super::diagnosis::Diagnosis;
use super::draft::{FieldError, TaskDraft};
use super::outbox::{Outbox, OutboxStatus};
use super::ticket::TicketSummary;

/// The most actions one bulk may carry: a page of the Recommended actions list holds fewer.
pub const MAX_BULK_ITEMS: usize = 200;
/// Bulk records kept for their summaries (the oldest go first).
pub const MAX_BULK_RECORDS: usize = 10;

/// One action of a bulk, as the content script sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkItem {
    /// Chosen by the sender, so a resend of the same bulk is the same shares.
    pub share_id: String,
    pub draft: TaskDraft,
    /// The user ticked it although it has an open ticket.
    pub allow_duplicate: bool,
}

/// Where one action of a bulk stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BulkItemState {
    /// In the outbox, waiting its turn (or a Retry-After, or a backoff).
    Queued,
    /// Being sent now.
    Sending,
    /// ServiceNow confirmed the record.
    Created { ticket: Box<TicketSummary> },
    /// Not sent: the action has an open ticket and the user did not tick it.
    Skipped { existing: Vec<TicketSummary> },
    /// Not sent: the draft did not validate.
    Invalid { errors: Vec<FieldError> },
    /// A permanent failure; Retry sends it again.
    Failed { diagnosis: Diagnosis },
}

impl BulkItemState {
    /// Whether nothing more will happen to it without the user.
    pub fn settled(&self) -> bool {
        !matches!(self, BulkItemState::Queued | BulkItemState::Sending)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkItemView {
    pub share_id: String,
    pub action_id: Option<String>,
    pub name: String,
    #[serde(flatten)]
    pub state: BulkItemState,
}

/// A bulk's progress and, once every item settled, its summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkView {
    pub bulk_id: String,
    pub items: Vec<BulkItemView>,
}

/// How many items of a bulk are in each state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkCounts {
    pub total: usize,
    pub created: usize,
    pub skipped: usize,
    pub failed: usize,
    pub pending: usize,
}

impl BulkView {
    pub fn counts(&self) -> BulkCounts {
        let mut c = BulkCounts {
            total: self.items.len(),
            ..BulkCounts::default()
        };
        for i in &self.items {
            match i.state {
                BulkItemState::Created { .. } => c.created += 1,
                BulkItemState::Skipped { .. } => c.skipped += 1,
                BulkItemState::Invalid { .. } | BulkItemState::Failed { .. } => c.failed += 1,
                BulkItemState::Queued | BulkItemState::Sending => c.pending += 1,
            }
        }
        c
    }

    /// Every item settled: the summary is final until the user retries.
    pub fn finished(&self) -> bool {
        self.items.iter().all(|i| i.state.settled())
    }
}

/// One item as the worker stores it: the outcomes the outbox does not keep (a created record
/// leaves the outbox; a skipped or invalid item never enters it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRecordItem {
    pub share_id: String,
    pub action_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub outcome: Option<BulkItemState>,
}

/// A bulk as stored in `chrome.storage.local` (with the last few others).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkRecord {
    pub bulk_id: String,
    pub created_at: u64,
    pub items: Vec<BulkRecordItem>,
}

impl BulkRecord {
    /// The record's items merged with the outbox: a stored outcome wins; otherwise the outbox
    /// entry says queued, sending or failed. An item in neither is being completed (its record
    /// exists and the outbox is letting go of it): shown as sending until the outcome is stored.
    pub fn view(&self, outbox: &Outbox) -> BulkView {
        let items = self
            .items
            .iter()
            .map(|i| {
                let state = match (&i.outcome, outbox.get(&i.share_id)) {
                    (Some(o), _) => o.clone(),
                    (None, Some(e)) => match &e.status {
                        OutboxStatus::Failed { diagnosis } => BulkItemState::Failed {
                            diagnosis: diagnosis.clone(),
                        },
                        OutboxStatus::Sending { .. } => BulkItemState::Sending,
                        OutboxStatus::Pending | OutboxStatus::Unknown => BulkItemState::Queued,
                    },
                    (None, None) => BulkItemState::Sending,
                };
                BulkItemView {
                    share_id: i.share_id.clone(),
                    action_id: i.action_id.clone(),
                    name: i.name.clone(),
                    state,
                }
            })
            .collect();
        BulkView {
            bulk_id: self.bulk_id.clone(),
            items,
        }
    }

    /// The outbox confirmed `share_id`'s record. Returns whether the item is one of this bulk.
    pub fn created(&mut self, share_id: &str, ticket: &TicketSummary) -> bool {
        match self.items.iter_mut().find(|i| i.share_id == share_id) {
            Some(i) => {
                i.outcome = Some(BulkItemState::Created {
                    ticket: Box::new(ticket.clone()),
                });
                true
            }
            None => false,
        }
    }

    /// Share ids of the items that failed permanently, for Retry.
    pub fn failed_share_ids(&self, outbox: &Outbox) -> Vec<String> {
        self.view(outbox)
            .items
            .into_iter()
            .filter(|i| matches!(i.state, BulkItemState::Failed { .. }))
            .map(|i| i.share_id)
            .collect()
    }
}

/// What to do with a bulk the user sent.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkPlan {
    /// Into the outbox, in the order the user saw them.
    pub send: Vec<BulkItem>,
    pub record: BulkRecord,
}

/// Splits a bulk into what is sent and what is not: an item whose draft does not validate is
/// `Invalid`; one whose action has an open ticket (`open`: action id → its open tickets) is
/// `Skipped` unless the user ticked it and the worker honours that (`may_duplicate`); an item
/// resent with a share id already in `previous` keeps its earlier outcome when that was a
/// record (a resend never makes a second ticket). Items with the same share id count once.
pub fn plan(
    bulk_id: &str,
    items: Vec<BulkItem>,
    previous: Option<&BulkRecord>,
    validate: impl Fn(&TaskDraft) -> Vec<FieldError>,
    open: &HashMap<String, Vec<TicketSummary>>,
    may_duplicate: impl Fn(&BulkItem) -> bool,
    now_ms: u64,
) -> BulkPlan {
    let mut seen = HashSet::new();
    let mut send = Vec::new();
    let mut record_items = Vec::new();
    for item in items.into_iter().take(MAX_BULK_ITEMS) {
        if !seen.insert(item.share_id.clone()) {
            continue;
        }
        let before = previous
            .and_then(|p| p.items.iter().find(|i| i.share_id == item.share_id))
            .and_then(|i| i.outcome.clone())
            .filter(|o| matches!(o, BulkItemState::Created { .. }));
        let outcome = if before.is_some() {
            before
        } else {
            let errors = validate(&item.draft);
            let existing = item
                .draft
                .action_id
                .as_deref()
                .and_then(|a| open.get(a))
                .filter(|t| !t.is_empty());
            if !errors.is_empty() {
                Some(BulkItemState::Invalid { errors })
            } else {
                existing
                    .filter(|_| !may_duplicate(&item))
                    .map(|existing| BulkItemState::Skipped {
                        existing: existing.clone(),
                    })
            }
        };
        record_items.push(BulkRecordItem {
            share_id: item.share_id.clone(),
            action_id: item.draft.action_id.clone(),
            name: item.draft.name.clone(),
            outcome: outcome.clone(),
        });
        if outcome.is_none() {
            send.push(item);
        }
    }
    BulkPlan {
        send,
        record: BulkRecord {
            bulk_id: bulk_id.to_owned(),
            created_at: previous.map_or(now_ms, |p| p.created_at),
            items: record_items,
        },
    }
}

/// Keeps `record` among the stored ones (replacing the same bulk), at most `MAX_BULK_RECORDS`.
pub fn keep(records: &mut Vec<BulkRecord>, record: BulkRecord) {
    records.retain(|r| r.bulk_id != record.bulk_id);
    records.push(record);
    records.sort_by_key(|r| r.created_at);
    let extra = records.len().saturating_sub(MAX_BULK_RECORDS);
    records.drain(..extra);
}

/// The description of one ticket of a bulk: the header the user wrote for all of them, then
/// what the action itself says (its title and link, as a single share's form prefills).
pub fn description(header: &str, own: &str) -> String {
    let header = header.trim();
    if header.is_empty() {
        own.to_owned()
    } else {
        format!("{header}\n\n{own}")
    }
}

/// Per ticket state: how many of the actions behind the tickets in that state the portal last
/// showed as "To address" (the cards, issue 18). `status_of` gives an action's status by its
/// key where a list row showed it; a state appears only when the status of at least one of its
/// actions is known (else the page never showed it, and the cards say nothing). Each action
/// counts once per state.
pub fn to_address_by_state<'a>(
    tickets: impl IntoIterator<Item = &'a TicketSummary>,
    status_of: impl Fn(&str) -> Option<ActionStatus>,
) -> Vec<(String, u32)> {
    // Sorted (state, action key) pairs already counted: a snapshot's tickets, not a hash set
    // type of its own in the content script's download.
    let mut seen: Vec<(&str, String)> = Vec::new();
    let mut out: Vec<(String, u32)> = Vec::new();
    for t in tickets {
        let key = parse(&t.correlation_id)
            .and_then(|c| c.action_key)
            .or_else(|| t.action_id.as_deref().map(action_key));
        let Some(key) = key else { continue };
        let Some(status) = status_of(&key) else {
            continue;
        };
        let pair = (t.state.as_str(), key);
        match seen.binary_search(&pair) {
            Ok(_) => continue,
            Err(at) => seen.insert(at, pair),
        }
        let add = u32::from(status == ActionStatus::ToAddress);
        match out.iter_mut().find(|(s, _)| *s == t.state) {
            Some((_, n)) => *n += add,
            None => out.push((t.state.clone(), add)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::draft::DraftField;
    use crate::domain::outbox::OutboxEntry;
    use crate::domain::ticket::TicketKind;

    fn draft(action: &str) -> TaskDraft {
        let mut d = crate::servicenow::ticket::tests::draft(TicketKind::Incident);
        d.action_id = Some(action.to_owned());
        d.name = format!("Title of {action}");
        d
    }

    fn item(action: &str, allow: bool) -> BulkItem {
        BulkItem {
            share_id: format!("s{action}"),
            draft: draft(action),
            allow_duplicate: allow,
        }
    }

    fn ticket(action: &str, number: &str) -> TicketSummary {
        TicketSummary {
            kind: TicketKind::Incident,
            sys_id: format!("id{number}"),
            number: number.to_owned(),
            short_description: String::new(),
            state: "1".into(),
            state_label: "New".into(),
            open: true,
            priority: None,
            assigned_to: None,
            updated_on: String::new(),
            correlation_id: format!("snshare:{action}:x"),
            action_id: Some(action.to_owned()),
            link: String::new(),
        }
    }

    fn valid(_: &TaskDraft) -> Vec<FieldError> {
        Vec::new()
    }

    #[test]
    fn twenty_five_with_five_open_tickets_send_twenty() {
        let items: Vec<BulkItem> = (0..25).map(|i| item(&format!("a{i}"), false)).collect();
        let open: HashMap<String, Vec<TicketSummary>> = (0..5)
            .map(|i| (format!("a{i}"), vec![ticket(&format!("a{i}"), "INC1")]))
            .collect();
        let p = plan("b", items, None, valid, &open, |i| i.allow_duplicate, 7);
        assert_eq!(p.send.len(), 20);
        assert_eq!(p.record.items.len(), 25);
        let skipped = p
            .record
            .items
            .iter()
            .filter(|i| matches!(i.outcome, Some(BulkItemState::Skipped { .. })))
            .count();
        assert_eq!(skipped, 5);
        assert_eq!(p.send[0].share_id, "sa5");
        assert_eq!(p.record.created_at, 7);
    }

    #[test]
    fn a_ticked_action_is_sent_only_when_the_worker_honours_the_tick() {
        let open: HashMap<String, Vec<TicketSummary>> =
            [("a".to_owned(), vec![ticket("a", "INC1")])].into();
        let p = plan("b", vec![item("a", true)], None, valid, &open, |_| true, 0);
        assert_eq!(p.send.len(), 1);
        // A tick the worker does not honour (the tab was never shown the tickets): skipped.
        let p = plan("b", vec![item("a", true)], None, valid, &open, |_| false, 0);
        assert!(p.send.is_empty());
    }

    #[test]
    fn invalid_drafts_and_repeated_share_ids_are_not_sent() {
        let mut bad = item("x", false);
        bad.draft.name.clear();
        let validate = |d: &TaskDraft| {
            if d.name.is_empty() {
                vec![FieldError {
                    field: DraftField::Name,
                    message_key: "field_error_name_required".into(),
                }]
            } else {
                vec![]
            }
        };
        let p = plan(
            "b",
            vec![bad, item("y", false), item("y", false)],
            None,
            validate,
            &HashMap::new(),
            |_| false,
            0,
        );
        assert_eq!(p.send.len(), 1);
        assert_eq!(p.record.items.len(), 2);
        assert!(matches!(
            p.record.items[0].outcome,
            Some(BulkItemState::Invalid { .. })
        ));
    }

    #[test]
    fn a_resent_bulk_never_sends_an_item_that_has_its_record() {
        let mut first = plan(
            "b",
            vec![item("a", false), item("b", false)],
            None,
            valid,
            &HashMap::new(),
            |_| false,
            5,
        );
        assert!(first.record.created("sa", &ticket("a", "INC9")));
        assert!(!first.record.created("nope", &ticket("a", "INC9")));
        let again = plan(
            "b",
            vec![item("a", false), item("b", false)],
            Some(&first.record),
            valid,
            &HashMap::new(),
            |_| false,
            99,
        );
        assert_eq!(again.send.len(), 1);
        assert_eq!(again.send[0].share_id, "sb");
        assert_eq!(again.record.created_at, 5);
    }

    #[test]
    fn the_view_reads_the_outbox_for_items_without_an_outcome() {
        let mut p = plan(
            "b",
            vec![item("a", false), item("b", false), item("c", false)],
            None,
            valid,
            &HashMap::new(),
            |_| false,
            0,
        );
        let mut outbox = Outbox::default();
        for i in &p.send {
            outbox.push(OutboxEntry::new(
                i.share_id.clone(),
                "https://x".into(),
                i.draft.clone(),
                "cid".into(),
                0,
            ));
        }
        let v = p.record.view(&outbox);
        assert!(v.items.iter().all(|i| i.state == BulkItemState::Queued));
        assert!(!v.finished());
        // One created (left the outbox), one failed for good, one still queued.
        p.record.created("sa", &ticket("a", "INC1"));
        outbox.complete("sa");
        outbox.get_mut("sb").unwrap().status = OutboxStatus::Failed {
            diagnosis: Diagnosis::Timeout,
        };
        let v = p.record.view(&outbox);
        let c = v.counts();
        assert_eq!((c.created, c.failed, c.pending, c.total), (1, 1, 1, 3));
        assert_eq!(p.record.failed_share_ids(&outbox), vec!["sb".to_owned()]);
        outbox.complete("sc");
        p.record.created("sc", &ticket("c", "INC2"));
        assert!(p.record.view(&outbox).finished() || outbox.get("sb").is_some());
    }

    #[test]
    fn records_are_bounded_and_replaced_by_id() {
        let mut records = Vec::new();
        for i in 0..(MAX_BULK_RECORDS as u64 + 3) {
            keep(
                &mut records,
                BulkRecord {
                    bulk_id: format!("b{i}"),
                    created_at: i,
                    items: vec![],
                },
            );
        }
        assert_eq!(records.len(), MAX_BULK_RECORDS);
        assert_eq!(records[0].bulk_id, "b3");
        keep(
            &mut records,
            BulkRecord {
                bulk_id: "b5".into(),
                created_at: 5,
                items: vec![],
            },
        );
        assert_eq!(records.len(), MAX_BULK_RECORDS);
    }

    #[test]
    fn the_header_goes_before_each_actions_own_text() {
        assert_eq!(
            description("Sprint 4", "MFA\n\nlink"),
            "Sprint 4\n\nMFA\n\nlink"
        );
        assert_eq!(description("  ", "MFA"), "MFA");
    }

    #[test]
    fn to_address_counts_each_seen_action_once_per_state() {
        let mut resolved = ticket("ScoreA", "INC3");
        resolved.state = "6".into();
        let mut second = ticket("AdminMFAV2", "INC4");
        second.correlation_id = "snshare:AdminMFAV2:y".into();
        let mut legacy = ticket("BlockLegacyAuth", "INC5");
        legacy.correlation_id = "someone else's".into();
        let tickets = [
            ticket("AdminMFAV2", "INC1"),
            second,
            ticket("ScoreB", "INC2"),
            legacy,
            ticket("NeverShown", "INC6"),
            resolved,
        ];
        let status = |key: &str| match key {
            "AdminMFAV2" | "BlockLegacyAuth" => Some(ActionStatus::ToAddress),
            "ScoreB" => Some(ActionStatus::Planned),
            "ScoreA" => Some(ActionStatus::Completed),
            _ => None,
        };
        // New: AdminMFAV2 (two tickets, once) and BlockLegacyAuth (by its action id) are
        // still To address, ScoreB is planned, NeverShown's status is unknown. Resolved: its
        // one action is completed: 0, still said.
        assert_eq!(
            to_address_by_state(&tickets, status),
            vec![("1".to_owned(), 2), ("6".to_owned(), 0)]
        );
        assert_eq!(to_address_by_state(&tickets, |_| None), vec![]);
    }
}
