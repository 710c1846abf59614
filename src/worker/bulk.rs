//! Bulk share (issue 18): one duplicate check for all the actions, one outbox entry per action,
//! and the bulk's record the progress and the summary are read from.
//!
//! The shares go through the outbox like any other (`outbox::attempt`), one at a time: a 429
//! pauses the instance until its Retry-After / `X-RateLimit-Reset`, an unknown outcome (a
//! dropped connection after the commit) is looked up by correlation id before anything is sent
//! again, and a closed tab or browser loses nothing (the worker resumes the outbox on start).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::domain::bulk::{self, BulkRecord, BulkView, MAX_BULK_ITEMS};
use crate::domain::correlation::{correlation_id, matches_action};
use crate::domain::diagnosis::Diagnosis;
use crate::domain::outbox::OutboxEntry;
use crate::domain::ticket::TicketSummary;
use crate::messages::{BulkShareRequest, ErrorCode, ProtocolError, RequestBody, ResponseBody};
use crate::platform::storage::Area;
use crate::platform::{now_ms, present, today};

use super::connection::{self, CallError};
use super::store::{self, AsyncLock};
use super::{outbox, tickets};

/// The last few bulks (`bulk::MAX_BULK_RECORDS`), for their progress and summaries.
pub const BULKS: &str = "bulk.records";

thread_local! {
    static BULK_LOCK: Rc<AsyncLock> = Rc::new(AsyncLock::new());
    /// The bulk records as this worker last read or wrote them (it is their only writer): a
    /// share's settle looks for its bulk without a storage read (issue 17). `None` until the
    /// first read, and again after a write that failed.
    static KNOWN: RefCell<Option<Vec<BulkRecord>>> = const { RefCell::new(None) };
}

async fn records() -> Vec<BulkRecord> {
    if let Some(known) = KNOWN.with(|k| k.borrow().clone()) {
        return known;
    }
    match store::get(Area::Local, BULKS).await {
        Ok(stored) => {
            let all: Vec<BulkRecord> = stored.unwrap_or_default();
            KNOWN.with(|k| *k.borrow_mut() = Some(all.clone()));
            all
        }
        Err(_) => Vec::new(),
    }
}

/// Stores the bulk records, and keeps them as known only when the write took.
async fn save(all: &[BulkRecord]) {
    let stored = store::set(Area::Local, BULKS, &all).await.is_ok();
    KNOWN.with(|k| *k.borrow_mut() = stored.then(|| all.to_vec()));
}

/// Reads, changes and saves the bulk records under their lock.
async fn with_records<T>(f: impl FnOnce(&mut Vec<BulkRecord>) -> T) -> T {
    let lock = BULK_LOCK.with(Rc::clone);
    lock.run(async {
        let mut all = records().await;
        let out = f(&mut all);
        save(&all).await;
        out
    })
    .await
}

/// Open tickets of several actions: one lookup (one request per kind) for all of them.
pub async fn find_open(action_ids: &[String]) -> Result<Vec<TicketSummary>, CallError> {
    let ids: Vec<String> = action_ids.iter().take(MAX_BULK_ITEMS).cloned().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let session = connection::session().await?;
    let names = tickets::state_names(&session.instance.origin()).await;
    let found = session
        .call(|token| {
            let (names, ids, session) = (names.clone(), ids.clone(), &session);
            async move {
                session
                    .client
                    .find_open_for_actions(&token, &ids, &names)
                    .await
            }
        })
        .await?;
    for a in &ids {
        let clear = !found.iter().any(|t| matches_action(&t.correlation_id, a));
        tickets::note_checked(a, clear);
    }
    Ok(found)
}

/// Open tickets per requested action id.
fn by_action(ids: &[String], found: &[TicketSummary]) -> HashMap<String, Vec<TicketSummary>> {
    ids.iter()
        .map(|a| {
            let mine = found
                .iter()
                .filter(|t| matches_action(&t.correlation_id, a))
                .cloned()
                .collect();
            (a.clone(), mine)
        })
        .collect()
}

/// Starts (or resends) a bulk: the duplicate check for the actions not checked in the last
/// minute, the plan, every share into the outbox in one write, then the outbox is driven.
/// `allow_duplicate` on an item is honoured as it comes: the dispatcher already cleared it for
/// a content script whose tab was not shown that action's open tickets.
pub async fn share(req: BulkShareRequest) -> Result<BulkView, Diagnosis> {
    let now = now_ms();
    let session = match connection::session().await {
        Ok(s) => Some(s),
        Err(CallError::NotConnected) => return Err(Diagnosis::NotConfigured),
        // Authorization needed: the shares wait in the outbox until the user authorizes.
        Err(_) => None,
    };
    let instance = match &session {
        Some(s) => s.instance.origin(),
        None => connection::configured()
            .await
            .map_err(|e| e.diagnosis(now))?
            .instance
            .origin(),
    };
    let bulk_id = outbox::clean_share_id(&req.bulk_id);
    let mut items = req.items;
    items.truncate(MAX_BULK_ITEMS);
    for i in &mut items {
        i.share_id = outbox::clean_share_id(&i.share_id);
    }
    let to_check: Vec<String> = items
        .iter()
        .filter(|i| !i.allow_duplicate)
        .filter_map(|i| i.draft.action_id.clone())
        .filter(|a| !tickets::recently_checked_clear(a))
        .collect();
    let open = if to_check.is_empty() || session.is_none() {
        HashMap::new()
    } else {
        // A failed lookup does not block the shares; it is only a courtesy warning.
        find_open(&to_check)
            .await
            .map(|found| by_action(&to_check, &found))
            .unwrap_or_default()
    };
    let previous = records().await.into_iter().find(|r| r.bulk_id == bulk_id);
    let plan = bulk::plan(
        &bulk_id,
        items,
        previous.as_ref(),
        |d| d.validate(today()),
        &open,
        |i| i.allow_duplicate,
        now_ms(),
    );
    outbox::enqueue_many(plan.send.iter().map(|i| {
        OutboxEntry::new(
            i.share_id.clone(),
            instance.clone(),
            i.draft.clone(),
            correlation_id(i.draft.action_id.as_deref(), &i.share_id),
            now,
        )
    }))
    .await
    .map_err(|_| Diagnosis::StorageFailed)?;
    let record = plan.record;
    with_records(|all| bulk::keep(all, record)).await;
    wasm_bindgen_futures::spawn_local(outbox::drive());
    view(&bulk_id).await.ok_or(Diagnosis::StorageFailed)
}

/// A bulk's progress: its record merged with the outbox.
pub async fn view(bulk_id: &str) -> Option<BulkView> {
    let record = records().await.into_iter().find(|r| r.bulk_id == bulk_id)?;
    Some(record.view(&store::outbox().await))
}

/// Sends the bulk's failed items again (the user's Retry).
pub async fn retry(bulk_id: &str) -> Option<BulkView> {
    let record = records().await.into_iter().find(|r| r.bulk_id == bulk_id)?;
    let failed = record.failed_share_ids(&store::outbox().await);
    outbox::retry_many(&failed).await;
    view(bulk_id).await
}

/// The outbox's hook: the record of `share_id` exists. Marks it in the bulk it belongs to.
pub async fn note_created(share_id: &str, ticket: &TicketSummary) {
    let ticket = ticket.clone();
    let share_id = share_id.to_owned();
    let lock = BULK_LOCK.with(Rc::clone);
    lock.run(async move {
        let mut all = records().await;
        if all.iter_mut().any(|r| r.created(&share_id, &ticket)) {
            save(&all).await;
        }
    })
    .await;
}

/// The dispatcher's check of a content script's bulk: each ticked item keeps its tick only
/// when the tab was shown that action's open tickets (`confirm` spends the confirmation).
pub fn guard_request(body: &mut RequestBody, mut confirm: impl FnMut(&str) -> bool) {
    if let RequestBody::ShareBulk(req) = body {
        for i in &mut req.items {
            if i.allow_duplicate {
                i.allow_duplicate = i.draft.action_id.as_deref().is_some_and(&mut confirm);
            }
        }
    }
}

/// The actions whose open tickets an answer showed the tab (so the user may tick them).
pub fn shown_actions(body: &RequestBody, answer: &ResponseBody) -> Vec<String> {
    match (body, answer) {
        (RequestBody::FindOpenTicketsBulk { action_ids }, ResponseBody::Tickets(found)) => {
            action_ids
                .iter()
                .filter(|a| found.iter().any(|t| matches_action(&t.correlation_id, a)))
                .cloned()
                .collect()
        }
        (RequestBody::ShareBulk(_), ResponseBody::Bulk(view)) => view
            .items
            .iter()
            .filter(|i| matches!(i.state, bulk::BulkItemState::Skipped { .. }))
            .filter_map(|i| i.action_id.clone())
            .collect(),
        _ => Vec::new(),
    }
}

/// The worker's answer to the bulk requests (`dispatch` routes them here).
pub async fn answer(body: RequestBody) -> ResponseBody {
    let result = match body {
        RequestBody::FindOpenTicketsBulk { action_ids } => {
            return match find_open(&action_ids).await {
                Ok(t) => ResponseBody::Tickets(t),
                Err(e) => error(&e.diagnosis(now_ms())),
            }
        }
        RequestBody::ShareBulk(req) => share(req).await,
        RequestBody::GetBulk { bulk_id } => view(&bulk_id).await.ok_or(Diagnosis::ShareUnreadable),
        RequestBody::RetryBulk { bulk_id } => {
            retry(&bulk_id).await.ok_or(Diagnosis::ShareUnreadable)
        }
        _ => return error(&Diagnosis::ShareUnreadable),
    };
    match result {
        Ok(view) => ResponseBody::Bulk(view),
        Err(d) => error(&d),
    }
}

fn error(d: &Diagnosis) -> ResponseBody {
    let code = match d {
        Diagnosis::NotConfigured => ErrorCode::Connection,
        _ => ErrorCode::Failed,
    };
    ResponseBody::Error(ProtocolError {
        code,
        message: present::diagnosis_text(d).0,
    })
}
