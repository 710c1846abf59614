//! The ticket snapshot as the content script holds it: fetched from the worker's cache
//! (`GetTickets`), indexed by action for badges, shared with the cards. One request per page
//! visit, again after a share, and a few polls while the worker says it is refreshing.
//!
//! A list page's badges read one ticket per action: its snapshot is cut to those by the worker
//! ([`SnapshotNeed::Shown`]), so a cache of 1,000 or 10,000 tickets does not cross the messaging
//! while the portal renders its list. The cards read every ticket as well
//! ([`SnapshotNeed::Both`]): once they ask, the store holds the whole snapshot for the rest of
//! the page's life.

use std::cell::RefCell;
use std::rc::Rc;

use crate::domain::correlation::{action_key, action_key_of};
use crate::domain::ticket::{unpack_shown, ShownAction, TicketKind, TicketSummary};
use crate::messages::{SnapshotNeed, StateCount};
use crate::platform::now_ms;

use super::wire;
use super::wire::decode::{self, RawSnapshot};

/// A snapshot older than this is fetched again when a page that shows tickets opens.
const FRESH_MS: u64 = 60_000;
/// Polls while the worker refreshes in the background.
const MAX_POLLS: u32 = 4;
const POLL_MS: i32 = 2_500;

/// The snapshot as received: its tickets stay JS objects, and a ticket is decoded in full only
/// when a card shows it (a cache of 1000 tickets is read as 1 field per ticket, not 13). The
/// badges' tickets come packed in one text, read when the snapshot arrives.
#[derive(Default)]
pub struct TicketStore {
    raw: Option<RawSnapshot>,
    /// The last fetch failed with this text (cards say so).
    pub error: Option<String>,
    /// Bumped on every snapshot that says something new: badges and cards rendered for an
    /// older one are redone. A poll while the worker refreshes answers the same snapshot
    /// again; redrawing for it would replace the cards under the user's focus every poll.
    pub generation: u32,
    /// Each action's shown ticket and count, by key (the worker's packed `shown`).
    by_action: ByAction,
    /// Action keys with a share waiting in the outbox, sorted (a handful: a sorted list, not a
    /// second hash set type in the portal's download).
    queued: Vec<String>,
    in_flight: bool,
    /// A share settled while a fetch was on the way: that fetch may have read the worker before
    /// the ticket existed, so the snapshot is asked for again once its answer is in.
    stale: bool,
    fetched_at: u64,
    polls: u32,
    /// The snapshot held carries every ticket, not only each action's shown one.
    every: bool,
    /// A surface of this page reads every ticket (the cards): fetches ask for all of them.
    wants_every: bool,
    /// Who hears that the snapshot changed (the scheduler, set at its start), so this store
    /// needs to know nothing above it.
    on_change: Option<Rc<dyn Fn()>>,
}

impl TicketStore {
    /// Registers the one listener told when a snapshot is applied (the scheduler, which looks
    /// at the page again).
    pub fn on_change(&mut self, f: impl Fn() + 'static) {
        self.on_change = Some(Rc::new(f));
    }

    /// Whether a snapshot with every ticket arrived (what the cards draw from; a list page's
    /// snapshot of shown tickets does not count).
    pub fn loaded(&self) -> bool {
        self.raw.is_some() && self.every
    }

    /// Some action's tickets (the first by key), if any action has one.
    pub fn any_shown(&self) -> Option<&ShownAction> {
        self.by_action.0.first()
    }

    /// Tickets of an action (by its id), if any.
    pub fn for_action(&self, action_id: &str) -> Option<&ShownAction> {
        if self.by_action.is_empty() {
            return None;
        }
        self.by_action.get(&action_key_of(action_id))
    }

    pub fn is_queued(&self, action_id: &str) -> bool {
        if self.queued.is_empty() {
            return false;
        }
        let key = action_key_of(action_id);
        self.queued
            .binary_search_by(|k| k.as_str().cmp(&key))
            .is_ok()
    }

    /// Whether any badge can show at all (skips per-row work when not).
    pub fn has_badges(&self) -> bool {
        !self.queued.is_empty() || !self.by_action.is_empty()
    }

    /// Counts per state of one kind (the cards).
    pub fn counts(&self, kind: TicketKind) -> Vec<&StateCount> {
        self.raw
            .iter()
            .flat_map(|r| r.counts.iter())
            .filter(|c| c.kind == kind)
            .collect()
    }

    /// The `n` most recently updated tickets of one kind (the cards).
    pub fn latest(&self, kind: TicketKind, n: usize) -> Vec<TicketSummary> {
        let Some(raw) = &self.raw else {
            return Vec::new();
        };
        raw.tickets
            .iter()
            .filter(|t| decode::kind(decode::string(t, "kind")).ok() == Some(kind))
            .take(n)
            .filter_map(|t| decode::ticket(t).ok())
            .collect()
    }

    fn set(&mut self, raw: RawSnapshot, every: bool) {
        let same = self.error.is_none()
            && self.every == every
            && self.raw.as_ref().is_some_and(|old| {
                old.fetched_at == raw.fetched_at
                    && old.tickets.len() == raw.tickets.len()
                    && old.shown == raw.shown
                    && old.counts == raw.counts
                    && old.queued_action_ids == raw.queued_action_ids
            });
        if same {
            // Still the answer's data (`refreshing` may have changed), without a redraw.
            self.raw = Some(raw);
            return;
        }
        // Already sorted by key, as the worker's index was.
        self.by_action = ByAction(unpack_shown(&raw.shown));
        self.queued = raw
            .queued_action_ids
            .iter()
            .map(|id| action_key(id))
            .collect();
        self.queued.sort_unstable();
        self.raw = Some(raw);
        self.every = every;
        self.error = None;
        self.generation = self.generation.wrapping_add(1);
    }
}

/// What badges show, by action key: the worker's packed shown tickets (`ticket::pack_shown`),
/// sorted by key and found by a binary search. No hash map type of its own in the portal's
/// download, and no correlation id parsed or hashed on the page.
#[derive(Debug, Default)]
pub struct ByAction(Vec<ShownAction>);

impl ByAction {
    /// The tickets of the action with this key.
    pub fn get(&self, key: &str) -> Option<&ShownAction> {
        let at = self.0.binary_search_by(|a| a.key.as_str().cmp(key)).ok()?;
        self.0.get(at)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A snapshot from data already decoded (tests).
pub fn store_with(tickets: &[TicketSummary]) -> TicketStore {
    let raw = RawSnapshot {
        tickets: tickets
            .iter()
            .filter_map(|t| crate::platform::to_js(t).ok())
            .collect(),
        shown: crate::domain::ticket::pack_shown(
            tickets,
            &crate::domain::ticket::index_by_action(tickets),
        ),
        ..RawSnapshot::default()
    };
    let mut store = TicketStore::default();
    store.set(raw, true);
    store
}

/// Fetches the snapshot unless a fresh one that has what `need` reads is held or a fetch is
/// running (a fetch for less than every ticket is followed by one for all of them when the
/// cards asked meanwhile). The page's badges always read the shown tickets, so the store asks
/// for [`SnapshotNeed::Shown`], or [`SnapshotNeed::Both`] once any surface needs every ticket.
pub fn ensure(store: &Rc<RefCell<TicketStore>>, need: SnapshotNeed) {
    let should = {
        let mut s = store.borrow_mut();
        s.wants_every |= need.every();
        !s.in_flight
            && (s.raw.is_none()
                || now_ms().saturating_sub(s.fetched_at) > FRESH_MS
                || (s.wants_every && !s.every))
    };
    if should {
        fetch(store);
    }
}

/// Fetches the snapshot now (after a share), or as soon as the fetch on the way is answered.
pub fn refresh(store: &Rc<RefCell<TicketStore>>) {
    let in_flight = {
        let mut s = store.borrow_mut();
        s.polls = 0;
        s.stale |= s.in_flight;
        s.in_flight
    };
    if !in_flight {
        fetch(store);
    }
}

/// What to do once an answer is applied.
enum Next {
    Done,
    /// Fetch again now: the cards asked for every ticket while a list page's fetch was
    /// running, or a share settled while it was.
    Again,
    /// The worker is refreshing: ask again in a moment.
    Poll,
}

fn fetch(store: &Rc<RefCell<TicketStore>>) {
    let every = {
        let mut s = store.borrow_mut();
        s.in_flight = true;
        s.wants_every
    };
    // The answer is applied to the store that asked, if the page still holds it.
    let weak = Rc::downgrade(store);
    wasm_bindgen_futures::spawn_local(async move {
        let answer = wire::tickets_raw(if every {
            SnapshotNeed::Both
        } else {
            SnapshotNeed::Shown
        })
        .await;
        let Some(store) = weak.upgrade() else { return };
        let (next, on_change) = {
            let mut s = store.borrow_mut();
            s.in_flight = false;
            s.fetched_at = now_ms();
            let again = std::mem::take(&mut s.stale);
            let next = match answer {
                Ok(raw) => {
                    let refreshing = raw.refreshing;
                    s.set(raw, every);
                    if again || (s.wants_every && !every) {
                        Next::Again
                    } else if refreshing && s.polls < MAX_POLLS {
                        s.polls += 1;
                        Next::Poll
                    } else {
                        Next::Done
                    }
                }
                Err(e) => {
                    s.error = Some(e);
                    s.generation = s.generation.wrapping_add(1);
                    if again {
                        Next::Again
                    } else {
                        Next::Done
                    }
                }
            };
            (next, s.on_change.clone())
        };
        // Called with the store released: the features read it.
        if let Some(f) = on_change {
            f();
        }
        match next {
            Next::Done => {}
            Next::Again => fetch(&store),
            Next::Poll => {
                let weak = Rc::downgrade(&store);
                super::dom::after(POLL_MS, move || {
                    if let Some(store) = weak.upgrade() {
                        fetch(&store);
                    }
                });
            }
        }
    });
}
