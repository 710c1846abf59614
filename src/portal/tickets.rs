//! The ticket snapshot as the content script holds it: fetched from the worker's cache
//! (`GetTickets`), indexed by action for badges, shared with the cards. One request per page
//! visit, again after a share, and a few polls while the worker says it is refreshing.

use std::collections::{HashMap, HashSet};

use crate::domain::correlation::{action_key, parse};
use crate::domain::ticket::TicketSummary;
use crate::messages::TicketSnapshot;
use crate::platform::now_ms;

use super::{scheduler, wire};

/// A snapshot older than this is fetched again when a page that shows tickets opens.
const FRESH_MS: u64 = 60_000;
/// Polls while the worker refreshes in the background.
const MAX_POLLS: u32 = 4;
const POLL_MS: i32 = 2_500;

/// What a badge shows for one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionTickets {
    /// The most recent open ticket, else the most recent one.
    pub shown: TicketSummary,
    /// All tickets of the action.
    pub count: usize,
}

#[derive(Default)]
pub struct TicketStore {
    pub snapshot: Option<TicketSnapshot>,
    /// The last fetch failed with this text (cards say so).
    pub error: Option<String>,
    /// Bumped on every new snapshot: badges rendered for an older one are redone.
    pub generation: u32,
    by_action: HashMap<String, ActionTickets>,
    queued: HashSet<String>,
    in_flight: bool,
    fetched_at: u64,
    polls: u32,
}

impl TicketStore {
    /// Tickets of an action (by its id), if any.
    pub fn for_action(&self, action_id: &str) -> Option<&ActionTickets> {
        if self.by_action.is_empty() {
            return None;
        }
        self.by_action.get(&action_key(action_id))
    }

    pub fn is_queued(&self, action_id: &str) -> bool {
        !self.queued.is_empty() && self.queued.contains(&action_key(action_id))
    }

    /// Whether any badge can show at all (skips per-row work when not).
    pub fn has_badges(&self) -> bool {
        !self.by_action.is_empty() || !self.queued.is_empty()
    }

    fn set(&mut self, snapshot: TicketSnapshot) {
        self.by_action = index(&snapshot.tickets);
        self.queued = snapshot.queued_action_ids.iter().map(|id| action_key(id)).collect();
        self.snapshot = Some(snapshot);
        self.error = None;
        self.generation = self.generation.wrapping_add(1);
    }
}

/// Groups tickets by action key. `tickets` is most recently updated first.
pub fn index(tickets: &[TicketSummary]) -> HashMap<String, ActionTickets> {
    let mut out: HashMap<String, ActionTickets> = HashMap::new();
    for t in tickets {
        let key = parse(&t.correlation_id)
            .and_then(|c| c.action_key)
            .or_else(|| t.action_id.as_deref().map(action_key));
        let Some(key) = key else { continue };
        match out.get_mut(&key) {
            Some(entry) => {
                entry.count += 1;
                if !entry.shown.open && t.open {
                    entry.shown = t.clone();
                }
            }
            None => {
                out.insert(key, ActionTickets { shown: t.clone(), count: 1 });
            }
        }
    }
    out
}

/// Fetches the snapshot unless a fresh one is held or a fetch is running.
pub fn ensure(store: &std::cell::RefCell<TicketStore>) {
    let should = {
        let s = store.borrow();
        !s.in_flight && (s.snapshot.is_none() || now_ms().saturating_sub(s.fetched_at) > FRESH_MS)
    };
    if should {
        fetch(store);
    }
}

/// Fetches the snapshot now (after a share).
pub fn refresh(store: &std::cell::RefCell<TicketStore>) {
    if !store.borrow().in_flight {
        store.borrow_mut().polls = 0;
        fetch(store);
    }
}

fn fetch(store: &std::cell::RefCell<TicketStore>) {
    store.borrow_mut().in_flight = true;
    // The answer is applied to the page's store (the one `Ctx`), found again when it arrives.
    wasm_bindgen_futures::spawn_local(async move {
        let answer = wire::tickets(false).await;
        let poll = with_store(|store| {
            let mut s = store.borrow_mut();
            s.in_flight = false;
            s.fetched_at = now_ms();
            let poll = match answer {
                Ok(snapshot) => {
                    let refreshing = snapshot.refreshing;
                    s.set(snapshot);
                    refreshing && s.polls < MAX_POLLS
                }
                Err(e) => {
                    s.error = Some(e);
                    s.generation = s.generation.wrapping_add(1);
                    false
                }
            };
            if poll {
                s.polls += 1;
            }
            poll
        });
        let Some(poll) = poll else { return };
        scheduler::tickets_changed();
        if poll {
            super::dom::after(POLL_MS, || {
                with_store(fetch);
            });
        }
    });
}

/// Runs `f` on the page's ticket store.
fn with_store<R>(f: impl FnOnce(&std::cell::RefCell<TicketStore>) -> R) -> Option<R> {
    super::CTX.with(|c| c.borrow().as_ref().map(|ctx| f(&ctx.tickets)))
}
