//! Shares: written to the outbox first, then sent; each becomes exactly one ticket.
//!
//! The entry leaves the outbox only when ServiceNow confirmed the record. An attempt whose
//! outcome is unknown (timeout, dropped connection, 5xx) is followed by a lookup of its own
//! correlation id before anything is sent again; while a create that got no answer may still
//! commit on the instance (`domain::outbox::COMMIT_WINDOW_MS`), a lookup that finds nothing is
//! repeated rather than followed by a resend. A lease on each entry keeps two runs (two
//! wake-ups, a stopped and restarted worker) from sending the same entry twice.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::domain::capabilities::Api;
use crate::domain::correlation::correlation_id;
use crate::domain::diagnosis::Diagnosis;
use crate::domain::outbox::{ClaimError, Lease, OutboxEntry, OutboxStatus};
use crate::domain::pacing::{RateLimitHeaders, RateMeter};
use crate::domain::retry::{classify, may_still_commit, unanswered, Attempt, RetryDecision};
use crate::domain::ticket::{TicketKind, TicketSummary};
use crate::messages::{CreateApi, OutboxView, ShareOutcome, ShareRequest};
use crate::platform::fetch::sleep;
use crate::platform::{join, now_ms, random_unit, today, worker};
use crate::servicenow::change::means_unavailable;
use crate::servicenow::client::AnswerObserver;
use crate::servicenow::ticket::NewTicket;

use super::connection::{self, CallError};
use super::store::{self, AsyncLock};
use super::tickets;

pub const OUTBOX_ALARM: &str = "outbox";
/// Longer than one attempt can take (lookup + create, each bounded by the request timeout).
const LEASE_MS: u64 = 3 * connection::REQUEST_TIMEOUT_MS as u64 + 5_000;
/// Below this the worker waits itself instead of relying on an alarm (which Chrome may delay
/// to 30 s); the alarm is set too, in case the worker is stopped meanwhile.
const SHORT_WAIT_MS: u64 = 25_000;

thread_local! {
    static OUTBOX_LOCK: Rc<AsyncLock> = Rc::new(AsyncLock::new());
    /// Per instance origin: what its answers said about its rate limit (issue 18). In memory:
    /// a restarted worker knows nothing until the next answer, and a 429 still pauses.
    static METERS: RefCell<HashMap<String, RateMeter>> = RefCell::default();
}

/// What the connection's clients show every answer to: the instance's rate meter reads its
/// `X-RateLimit-*` headers (cards, lookups and creates alike spend the same user's limit).
pub fn rate_observer(instance: &str) -> AnswerObserver {
    let instance = instance.to_owned();
    AnswerObserver::new(move |resp| {
        if let Some(h) = RateLimitHeaders::read(|n| resp.header(n), resp.status, now_ms()) {
            METERS.with(|m| {
                m.borrow_mut()
                    .entry(instance.clone())
                    .or_default()
                    .observe(h)
            });
        }
    })
}

/// Spaces the instance's next creates when its rate limit's window cannot take all that is
/// queued for it (`RateMeter::create_delay_ms`): the entries wait like after a 429, stored.
fn pace(o: &mut crate::domain::outbox::Outbox, instance: &str, now: u64) {
    let queued = o
        .entries
        .iter()
        .filter(|e| e.instance == instance)
        .filter(|e| matches!(e.status, OutboxStatus::Pending | OutboxStatus::Unknown))
        .count();
    let delay = METERS.with(|m| {
        m.borrow()
            .get(instance)
            .map_or(0, |m| m.create_delay_ms(now, queued))
    });
    if delay > 0 {
        o.pause_instance(instance, now.saturating_add(delay));
    }
}

/// Reads, changes and saves the outbox under its lock. A failed read or write is an error, never
/// an empty outbox saved back or a change believed stored.
async fn try_with_outbox<T>(
    f: impl FnOnce(&mut crate::domain::outbox::Outbox) -> T,
) -> Result<T, crate::platform::storage::StorageError> {
    let lock = OUTBOX_LOCK.with(Rc::clone);
    lock.run(async {
        let mut outbox = store::outbox_for_update().await?;
        let out = f(&mut outbox);
        store::save_outbox(&mut outbox).await?;
        Ok(out)
    })
    .await
}

/// `try_with_outbox` where the caller has nothing better to do on failure than what the
/// outbox's rules already give: a claim that was not stored is not claimed (`None`), a
/// settle that was not stored leaves the lease to expire and the lookup to decide.
async fn with_outbox<T: Default>(f: impl FnOnce(&mut crate::domain::outbox::Outbox) -> T) -> T {
    try_with_outbox(f).await.unwrap_or_default()
}

fn utc_offset_minutes() -> i32 {
    // getTimezoneOffset is minutes west of UTC.
    -(js_sys::Date::new_0().get_timezone_offset() as i32)
}

/// The form's Send: validate, check for an open ticket of the same action, write the share to
/// the outbox, then try to send it now.
pub async fn share(req: ShareRequest) -> ShareOutcome {
    let errors = req.draft.validate(today());
    if !errors.is_empty() {
        return ShareOutcome::Invalid { errors };
    }
    // The access token is read beside the settings and the connection: the create then
    // waits for the share's write alone.
    let session = match connection::session_with_token().await {
        Ok(s) => s,
        Err(CallError::NotConnected) => return ShareOutcome::NotConnected,
        // Authorization needed: keep the share queued; it goes once the user authorizes.
        Err(_) => {
            let queued = enqueue(
                &req,
                &connection::configured()
                    .await
                    .map(|s| s.instance.origin())
                    .unwrap_or_default(),
                false,
            )
            .await;
            return match queued {
                Ok((share_id, _)) => ShareOutcome::Queued {
                    share_id,
                    reason: Diagnosis::RefreshTokenExpired,
                },
                Err(_) => not_stored(&req),
            };
        }
    };
    let already_queued = store::with_outbox_read(|o| o.get(&req.share_id).is_some())
        .await
        .unwrap_or(false);
    if !req.allow_duplicate && !already_queued {
        if let Some(action) = req
            .draft
            .action_id
            .as_deref()
            .filter(|a| !tickets::recently_checked_clear(a))
        {
            // A failed lookup does not block the share; it is only a courtesy warning.
            if let Ok(existing) = tickets::find_open(action).await {
                if !existing.is_empty() {
                    return ShareOutcome::Duplicate { existing };
                }
            }
        }
    }
    let origin = session.instance.origin();
    // The state names the answer is read with do not depend on the write: read beside it.
    let (queued, names) = join(enqueue(&req, &origin, true), tickets::state_names(&origin)).await;
    let Ok((share_id, claimed)) = queued else {
        return not_stored(&req);
    };
    match attempt_claimed(
        &share_id,
        claimed,
        Some((session, names)),
        Settle::AfterAnswer,
    )
    .await
    {
        Attempted::Created(ticket, api) => ShareOutcome::Created { ticket, api },
        Attempted::Failed(diagnosis) => ShareOutcome::Failed {
            share_id,
            diagnosis,
        },
        Attempted::Queued(reason) | Attempted::Paused(reason) => {
            ShareOutcome::Queued { share_id, reason }
        }
    }
}

/// A sender's share id as the outbox keeps it: letters and digits, at most 32; a random one
/// when nothing is left.
pub fn clean_share_id(raw: &str) -> String {
    let id: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(32)
        .collect();
    if id.is_empty() {
        crate::platform::random_hex(8)
    } else {
        id
    }
}

/// A bulk's shares, in one write (a share id already queued stays as it is).
pub async fn enqueue_many(
    entries: impl Iterator<Item = OutboxEntry>,
) -> Result<(), crate::platform::storage::StorageError> {
    let entries: Vec<OutboxEntry> = entries.collect();
    try_with_outbox(|o| {
        for e in entries {
            o.push(e);
        }
    })
    .await
}

/// The user's Retry of several failed shares, then one run of the outbox.
pub async fn retry_many(share_ids: &[String]) {
    let now = now_ms();
    let _ = try_with_outbox(|o| {
        for id in share_ids {
            if let Some(e) = o.get_mut(id) {
                let _ = e.retry_by_user(now);
            }
        }
    })
    .await;
    wasm_bindgen_futures::spawn_local(drive());
}

/// Writes the share to the outbox and, with `claim`, takes it for the attempt that follows in
/// the same write: stored as being sent, with its lease, before any request leaves.
async fn enqueue(
    req: &ShareRequest,
    instance: &str,
    claim: bool,
) -> Result<(String, Claimed), crate::platform::storage::StorageError> {
    let share_id = clean_share_id(&req.share_id);
    let cid = correlation_id(req.draft.action_id.as_deref(), &share_id);
    let now = now_ms();
    let entry = OutboxEntry::new(
        share_id.clone(),
        instance.to_string(),
        req.draft.clone(),
        cid,
        now,
    );
    let claimed = try_with_outbox(|o| {
        // The same share sent again (double click, Retry from the form): the queued entry
        // stands; a permanently failed one becomes due again with the user's edits.
        if let Some(existing) = o.get_mut(&share_id) {
            if matches!(existing.status, OutboxStatus::Failed { .. }) {
                existing.draft = req.draft.clone();
                let _ = existing.retry_by_user(now);
            }
        } else {
            o.push(entry);
        }
        if claim {
            claim_in(o, &share_id, now)
        } else {
            None
        }
    })
    .await?;
    Ok((share_id, claimed))
}

/// An entry taken for one attempt (with its lease), why it could not be (with its last
/// error), or `None`: no such entry, or the claim was not stored.
type Claimed = Option<Result<(OutboxEntry, Lease), (ClaimError, Option<Diagnosis>)>>;

fn claim_in(o: &mut crate::domain::outbox::Outbox, share_id: &str, now: u64) -> Claimed {
    let entry = o.get_mut(share_id)?;
    Some(match entry.claim(now, LEASE_MS) {
        Ok(lease) => Ok((entry.clone(), lease)),
        Err(e) => Err((e, entry.last_error.clone())),
    })
}

/// The share could not be written to the outbox: it is not queued, and saying "queued" would
/// lose it; the form keeps the draft and offers Retry.
fn not_stored(req: &ShareRequest) -> ShareOutcome {
    ShareOutcome::Failed {
        share_id: req.share_id.clone(),
        diagnosis: Diagnosis::StorageFailed,
    }
}

enum Attempted {
    Created(TicketSummary, CreateApi),
    Failed(Diagnosis),
    Queued(Diagnosis),
    /// Not due any more (the instance was paused or paced meanwhile): neither are the ones
    /// after it, so a run stops here and waits for the wake-up.
    Paused(Diagnosis),
}

/// One attempt at one entry: claim, (look up,) create, settle.
async fn attempt(share_id: &str) -> Attempted {
    let now = now_ms();
    let claimed = with_outbox(|o| claim_in(o, share_id, now)).await;
    attempt_claimed(share_id, claimed, None, Settle::BeforeAnswer).await
}

/// When a created ticket's bookkeeping (its bulk's record, the outbox letting go of the entry,
/// the recent tickets) is stored: before the attempt returns (the outbox's own runs: the next
/// entry is claimed after the pacing is stored), or after it, for the user's Send (issue 17:
/// the number is shown without waiting for those writes; every message the worker handles next
/// waits for them, see [`settled`]).
#[derive(Clone, Copy)]
enum Settle {
    BeforeAnswer,
    AfterAnswer,
}

thread_local! {
    /// The settles still being stored after their Send was answered, as one promise: each
    /// settle starts after the one before it, so the last one stands for all.
    static SETTLING: RefCell<Option<js_sys::Promise>> = const { RefCell::new(None) };
}

/// [`settle_after_answer`], for the tests of that wait (`test-seams`: not in what ships).
#[cfg(feature = "test-seams")]
pub fn test_settle_after_answer(settle: impl std::future::Future<Output = ()> + 'static) {
    settle_after_answer(settle);
}

/// Stores `settle` after the answer: started now, awaited by [`settled`].
fn settle_after_answer(settle: impl std::future::Future<Output = ()> + 'static) {
    let before = SETTLING.with(|s| s.borrow_mut().take());
    let promise = wasm_bindgen_futures::future_to_promise(async move {
        if let Some(before) = before {
            let _ = wasm_bindgen_futures::JsFuture::from(before).await;
        }
        settle.await;
        Ok(wasm_bindgen::JsValue::UNDEFINED)
    });
    SETTLING.with(|s| *s.borrow_mut() = Some(promise));
}

/// How long a message waits for the settles still being stored: storage that stopped
/// answering must not hold every later message (the share's number is already shown; a read
/// made after this sees the share as still being sent, until its writes land).
const SETTLED_WAIT_MS: u32 = 5_000;

/// Waits until every created ticket answered before its bookkeeping was stored has it stored:
/// what the worker reads or answers next (the form's refresh of the cards, the popup, the
/// outbox's next run) sees the ticket and no queued share, as when the answer waited. At most
/// `SETTLED_WAIT_MS`.
pub async fn settled() {
    let Some(promise) = SETTLING.with(|s| s.borrow().clone()) else {
        return;
    };
    let bounded = js_sys::Promise::race(&js_sys::Array::of2(
        &promise,
        &crate::platform::fetch::timer(SETTLED_WAIT_MS),
    ));
    let _ = wasm_bindgen_futures::JsFuture::from(bounded).await;
    SETTLING.with(|s| {
        let mut s = s.borrow_mut();
        // The same promise: no settle began while this one was awaited.
        if s.as_ref().is_some_and(|p| js_sys::Object::is(p, &promise)) {
            *s = None;
        }
    });
}

/// The attempt after the claim: (look up,) create, settle. `held`: the session the caller
/// already holds, with the state names of its instance, used when it is still for the entry's
/// instance.
async fn attempt_claimed(
    share_id: &str,
    claimed: Claimed,
    held: Option<(connection::Session, Vec<crate::messages::StateName>)>,
    when: Settle,
) -> Attempted {
    let now = now_ms();
    let (entry, mut lease) = match claimed {
        Some(Ok(claimed)) => claimed,
        Some(Err((ClaimError::NotDue { .. }, last))) => {
            return Attempted::Paused(last.unwrap_or(Diagnosis::Timeout))
        }
        _ => {
            let status = store::with_outbox_read(|o| {
                o.get(share_id)
                    .map(|e| (e.status.clone(), e.last_error.clone()))
            })
            .await
            .flatten();
            return match status {
                Some((OutboxStatus::Failed { diagnosis }, _)) => Attempted::Failed(diagnosis),
                Some((_, last)) => Attempted::Queued(last.unwrap_or(Diagnosis::Timeout)),
                None => Attempted::Queued(Diagnosis::Timeout),
            };
        }
    };
    let (session, names) = match held {
        Some((s, names)) => (Ok(s), Some(names)),
        None => (connection::session().await, None),
    };
    let session = match session {
        Ok(s) if s.instance.origin() == entry.instance => s,
        other => {
            // Not authorized (or another instance now): hold the share, burn no attempt.
            let reason = match other {
                Err(e) => e.diagnosis(now),
                Ok(_) => Diagnosis::NotConfigured,
            };
            with_outbox(|o| o.get_mut(share_id).map(|e| e.release(&lease, now_ms()))).await;
            return Attempted::Queued(reason);
        }
    };
    let names = match names {
        Some(names) if session.instance.origin() == entry.instance => names,
        _ => tickets::state_names(&entry.instance).await,
    };
    // Whether this attempt's create left (a failure before it, in the lookup, says nothing
    // about the instance still working on a create).
    let mut create_sent = false;
    // `None`: the lookup found nothing while an earlier create may still commit.
    let result: Result<Option<(TicketSummary, CreateApi)>, CallError> = async {
        if lease.check_first {
            let found = session
                .call(|token| {
                    let names = names.clone();
                    let session = &session;
                    let cid = entry.correlation_id.clone();
                    let kind = entry.draft.kind;
                    async move {
                        session
                            .client
                            .find_by_correlation(&token, kind, &cid, &names)
                            .await
                    }
                })
                .await?;
            if let Some(ticket) = found {
                return Ok(Some((ticket, CreateApi::TableApi)));
            }
            if !entry.absence_is_final(now_ms()) {
                return Ok(None);
            }
            lease.mark_checked_absent();
        }
        let ticket = NewTicket::from_draft(
            &entry.draft,
            &entry.correlation_id,
            utc_offset_minutes(),
            &session.settings.mapping,
        );
        create_sent = true;
        create(&session, &entry.instance, &ticket, &names)
            .await
            .map(Some)
    }
    .await;

    match result {
        Ok(None) => {
            // Nothing found yet, and the instance may still commit the create that got no
            // answer: look again later rather than send a second one.
            with_outbox(|o| {
                o.get_mut(share_id)
                    .map(|x| x.recheck_later(&lease, now_ms()))
            })
            .await;
            schedule().await;
            Attempted::Queued(entry.last_error.clone().unwrap_or(Diagnosis::Timeout))
        }
        Ok(Some((ticket, api))) => {
            let (share_id, created, instance) =
                (share_id.to_owned(), ticket.clone(), entry.instance.clone());
            let settle = async move {
                let outbox = async {
                    // Into its bulk's record first: if the worker stops before the outbox lets
                    // go of the entry, the lookup of the next attempt adopts the record and
                    // notes it again.
                    super::bulk::note_created(&share_id, &created).await;
                    with_outbox(|o| {
                        // Only the lease holder completes; a stale result (lease expired and
                        // taken over) is dropped and the new holder's lookup adopts the record.
                        if o.get(&share_id).is_some_and(|e| {
                            e.status
                                == OutboxStatus::Sending {
                                    lease_until: lease.until,
                                }
                        }) {
                            o.complete(&share_id);
                        }
                        pace(o, &instance, now_ms());
                    })
                    .await;
                };
                // The ticket cache does not depend on the outbox: its write goes beside the
                // outbox's, not after it. Stored before the answer, or before anything the
                // worker handles after it: the cards the form refreshes next have the ticket
                // and no queued share. A worker stopped before the writes leaves the entry
                // leased: the lookup of its next attempt finds the record and adopts it, so no
                // second ticket is made.
                join(outbox, tickets::remember(created.clone(), &instance)).await;
            };
            match when {
                Settle::BeforeAnswer => settle.await,
                Settle::AfterAnswer => settle_after_answer(settle),
            }
            // The draft goes after the answer: the form forgets it too, and one left behind by
            // a stopped worker is only a draft the user can discard, never a second ticket.
            if let Some(key) = entry.draft.action_id.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    super::drafts::delete(&key).await;
                });
            }
            Attempted::Created(ticket, api)
        }
        Err(e) => {
            let now = now_ms();
            let diagnosis = e.diagnosis(now);
            let failure = e.failure(now);
            let decision = match &e {
                CallError::NeedsAuthorization(_) | CallError::NotConnected => {
                    with_outbox(|o| o.get_mut(share_id).map(|x| x.release(&lease, now))).await;
                    return Attempted::Queued(diagnosis);
                }
                CallError::Client(_) => classify(
                    &failure,
                    Attempt {
                        idempotent: false,
                        refreshed: true,
                    },
                ),
            };
            let instance = entry.instance.clone();
            // No answer to this attempt's create (`classify` makes every such failure of a
            // create `CheckThenRetry`).
            let create_unanswered = create_sent && unanswered(&failure);
            with_outbox(|o| {
                if let Some(x) = o.get_mut(share_id) {
                    if create_unanswered && may_still_commit(&failure) {
                        x.unanswered_create(now);
                    }
                    let _ =
                        x.record_failure(&lease, now, decision, diagnosis.clone(), random_unit());
                    if create_unanswered {
                        // The instance may still be working on the create we gave up on: give
                        // it as long again before the first lookup. After an answer (a 5xx)
                        // it is done: the backoff alone.
                        x.not_before = x
                            .not_before
                            .max(now.saturating_add(u64::from(connection::REQUEST_TIMEOUT_MS)));
                    }
                }
                if let RetryDecision::RetryAfter(ms) = decision {
                    // 429: nothing goes to this instance until Retry-After has passed.
                    o.pause_instance(&instance, now.saturating_add(ms));
                }
                pace(o, &instance, now);
            })
            .await;
            schedule().await;
            if decision == RetryDecision::Permanent {
                Attempted::Failed(diagnosis)
            } else {
                Attempted::Queued(diagnosis)
            }
        }
    }
}

/// Creates the record: a change request through the Change Management API when the instance
/// has it (a standard change when the options name a template), else, like an incident,
/// through the Table API. An answer saying the API is not there created nothing, so the Table
/// API insert follows at once; what was learned is kept for a day.
async fn create(
    session: &connection::Session,
    instance: &str,
    ticket: &NewTicket,
    names: &[crate::messages::StateName],
) -> Result<(TicketSummary, CreateApi), CallError> {
    let change_api = ticket.kind == TicketKind::ChangeRequest
        && store::instance_apis(instance)
            .await
            .worth_trying(Api::Change, now_ms());
    if change_api {
        let template = session
            .settings
            .mapping
            .standard_change_template
            .as_ref()
            .map(|t| t.sys_id.clone());
        let r = session
            .call_api(|token| {
                let template = template.clone();
                async move {
                    session
                        .client
                        .create_change(&token, ticket, template.as_deref(), names)
                        .await
                }
            })
            .await;
        match r {
            Ok(t) => {
                store::learn_api(instance, Api::Change, true).await;
                return Ok((t, CreateApi::ChangeManagementApi));
            }
            Err(CallError::Client(e)) if means_unavailable(&e) => {
                store::learn_api(instance, Api::Change, false).await;
            }
            Err(e) => return Err(e),
        }
    }
    session
        .call(|token| async move { session.client.create_ticket(&token, ticket, names).await })
        .await
        .map(|t| (t, CreateApi::TableApi))
}

/// Sends every due entry, one at a time. Called on worker start, on the alarm, after a user's
/// Retry and after authorization.
pub async fn drive() {
    settled().await;
    let now = now_ms();
    let due = store::with_outbox_read(|o| o.due(now))
        .await
        .unwrap_or_default();
    run(due).await;
    schedule().await;
}

/// Attempts the entries in turn until one is no longer due (paused or paced meanwhile).
async fn run(due: Vec<String>) {
    for id in due {
        if let Attempted::Paused(_) = attempt(&id).await {
            break;
        }
    }
}

/// Wakes the outbox when the next entry is due: an alarm (survives the worker), plus a timer
/// of our own for short waits.
async fn schedule() {
    let Some(at) = store::with_outbox_read(|o| o.next_wake_at())
        .await
        .flatten()
    else {
        worker::clear_alarm(OUTBOX_ALARM).await;
        return;
    };
    let wait = at.saturating_sub(now_ms());
    worker::set_alarm(OUTBOX_ALARM, wait as f64, None).await;
    if wait < SHORT_WAIT_MS {
        wasm_bindgen_futures::spawn_local(async move {
            sleep(wait as u32 + 50).await;
            drive_once_due().await;
        });
    }
}

/// Like `drive`, without rescheduling when nothing was due (keeps timers from multiplying).
async fn drive_once_due() {
    settled().await;
    let now = now_ms();
    let due = store::with_outbox_read(|o| o.due(now))
        .await
        .unwrap_or_default();
    if due.is_empty() {
        return;
    }
    run(due).await;
    schedule().await;
}

pub async fn views() -> Vec<OutboxView> {
    store::with_outbox_read(|o| o.entries.iter().map(OutboxEntry::view).collect())
        .await
        .unwrap_or_default()
}

pub async fn retry(share_id: &str) -> Result<(), String> {
    let now = now_ms();
    let r = try_with_outbox(|o| match o.get_mut(share_id) {
        Some(e) => e.retry_by_user(now).map_err(|e| e.to_string()),
        None => Err("no such share".to_string()),
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r);
    if r.is_ok() {
        wasm_bindgen_futures::spawn_local(drive());
    }
    r
}

pub async fn discard(share_id: &str) -> Result<(), String> {
    let now = now_ms();
    try_with_outbox(|o| {
        o.discard(share_id, now)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r)
}
