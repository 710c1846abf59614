//! The ticket cache behind cards, badges, the popup and the list page: served from storage at
//! once and revalidated in the background when a surface asks and it is stale (no timer), in
//! one Batch API request where the instance allows it.

use std::cell::Cell;
use std::rc::Rc;

use crate::domain::capabilities::{refresh_minutes, Api};
use crate::domain::settings::DEFAULT_REFRESH_MINUTES;
use crate::domain::state_names::{label_for, merge_all, ChoiceLabel};
use crate::domain::ticket::{self, index_by_action, TicketKind, TicketSummary};
use crate::messages::{
    SnapshotNeed, StateCount, StateName, StateNameOverride, TicketListQuery, TicketPage,
    TicketSnapshot, TicketSort,
};
use crate::platform::storage::Area;
use crate::platform::{i18n_language, now_ms};
use crate::servicenow::cards::{batch_unavailable, CardsRead};
use crate::servicenow::error::ClientError;
use crate::servicenow::ticket::{SortField, TicketFilter};

use super::connection::{self, CallError, Session};
use super::store::{self, AsyncLock, StateNamesRecord, TicketCache};

/// Tickets per kind kept in the cache (one request per kind fetches them).
pub const CACHE_LIMIT: u32 = 1000;
/// The alarm earlier versions refreshed on (cleared at start).
pub const REFRESH_ALARM: &str = "tickets.refresh";

thread_local! {
    static REFRESH_LOCK: Rc<AsyncLock> = Rc::new(AsyncLock::new());
    /// The read-change-write of `store::RECENT` (a create notes a ticket, a fetch lets go).
    static RECENT_LOCK: Rc<AsyncLock> = Rc::new(AsyncLock::new());
    /// Refreshes started and not yet done (a user's refresh can wait behind a running one).
    static REFRESHING: Cell<u32> = const { Cell::new(0) };
    /// Actions found without an open ticket moments ago (the form checks when it opens), so
    /// Send does not ask ServiceNow the same question again. Memory only: after a worker
    /// restart the check simply runs again.
    static NO_OPEN_TICKET: std::cell::RefCell<Vec<(String, u64)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How long "no open ticket for this action" stays believed.
const NO_OPEN_TICKET_TTL_MS: u64 = 60_000;

/// Whether a lookup in the last minute found no open ticket for the action.
pub fn recently_checked_clear(action_id: &str) -> bool {
    let now = now_ms();
    NO_OPEN_TICKET.with(|m| {
        m.borrow()
            .iter()
            .any(|(a, at)| a == action_id && now.saturating_sub(*at) < NO_OPEN_TICKET_TTL_MS)
    })
}

pub(crate) fn note_checked(action_id: &str, clear: bool) {
    let now = now_ms();
    NO_OPEN_TICKET.with(|m| {
        let mut m = m.borrow_mut();
        m.retain(|(a, at)| a != action_id && now.saturating_sub(*at) < NO_OPEN_TICKET_TTL_MS);
        if clear {
            m.push((action_id.to_string(), now));
        }
    });
}

/// Time between refreshes: the setting, stretched so one user's refreshes stay within the
/// instance's request budget (`capabilities::refresh_minutes`).
async fn refresh_interval_ms(minutes: Option<u32>, instance: &str) -> u64 {
    let per_refresh = store::instance_apis(instance)
        .await
        .requests_per_refresh(now_ms());
    let minutes = refresh_minutes(minutes.unwrap_or(DEFAULT_REFRESH_MINUTES), per_refresh);
    u64::from(minutes) * 60_000
}

fn is_fresh(cache: &TicketCache, instance: &str, interval_ms: u64, now: u64) -> bool {
    cache.instance == instance
        && cache
            .fetched_at
            .is_some_and(|t| now.saturating_sub(t) < interval_ms)
}

/// State names for both kinds: the instance's labels with the user's renames.
pub async fn state_names(instance: &str) -> Vec<StateName> {
    let record = store::state_names(instance).await;
    merge_all(
        &record.labels(TicketKind::Incident),
        &record.labels(TicketKind::ChangeRequest),
        &record.overrides,
    )
}

fn relabel(tickets: &mut [TicketSummary], names: &[StateName]) {
    for t in tickets {
        t.state_label = label_for(names, t.kind, &t.state);
    }
}

/// What cards, badges and the popup render, as much of it as `need` names: every ticket with
/// the counts, and each action's shown ticket packed for the badges. Starts a background
/// refresh when the cache is stale (or `force`), never while the connection is not authorized.
pub async fn snapshot(force: bool, need: SnapshotNeed) -> TicketSnapshot {
    let now = now_ms();
    let (settings, _) = connection::effective_settings().await;
    let instance = settings.instance.clone().unwrap_or_default();
    let mut cache = store::ticket_cache().await;
    if cache.instance != instance {
        cache = TicketCache::default();
    }
    let interval = refresh_interval_ms(settings.refresh_minutes, &instance).await;
    let running = REFRESHING.with(Cell::get) > 0;
    // A user's refresh is not satisfied by one already running: that one read the instance
    // before the user asked. It waits behind it (`refresh` runs one at a time) and fetches
    // unless a fetch that started after the ask has filled the cache meanwhile.
    let start = if force {
        true
    } else {
        !running && !is_fresh(&cache, &instance, interval, now)
    };
    let mut refreshing = running;
    if start && connection::session().await.is_ok() {
        refreshing = true;
        REFRESHING.with(|r| r.set(r.get().saturating_add(1)));
        let requested_at = if force { Some(now) } else { None };
        wasm_bindgen_futures::spawn_local(async move {
            let _ = refresh(requested_at).await;
        });
    }
    let names = state_names(&instance).await;
    let mut tickets = cache.tickets;
    relabel(&mut tickets, &names);
    let queued_action_ids = store::with_outbox_read(|o| o.queued_action_ids())
        .await
        .unwrap_or_default();
    let shown = if need.shown() {
        ticket::pack_shown(&tickets, &index_by_action(&tickets))
    } else {
        String::new()
    };
    let counts = if need.every() {
        counts(&tickets, &cache.state_counts, &names)
    } else {
        // A list page reads its badges from `shown` alone.
        tickets = Vec::new();
        Vec::new()
    };
    TicketSnapshot {
        fetched_at: cache.fetched_at,
        counts,
        shown,
        tickets,
        queued_action_ids,
        refreshing,
    }
}

/// Counts per state: the instance's exact counts where it gave them, else counted from the
/// cached tickets.
fn counts(
    tickets: &[TicketSummary],
    exact: &[(TicketKind, Vec<(String, u32)>)],
    names: &[StateName],
) -> Vec<StateCount> {
    let mut out: Vec<StateCount> = Vec::new();
    for (kind, states) in exact {
        for (state, count) in states {
            out.push(StateCount {
                kind: *kind,
                state: state.clone(),
                label: label_for(names, *kind, state),
                count: *count,
            });
        }
    }
    for t in tickets
        .iter()
        .filter(|t| !exact.iter().any(|(k, _)| *k == t.kind))
    {
        match out
            .iter_mut()
            .find(|c| c.kind == t.kind && c.state == t.state)
        {
            Some(c) => c.count += 1,
            None => out.push(StateCount {
                kind: t.kind,
                state: t.state.clone(),
                label: label_for(names, t.kind, &t.state),
                count: 1,
            }),
        }
    }
    out
}

/// Fetches both kinds and their counts into the cache, in one request where the Batch API
/// is allowed. Concurrent callers share one run:
/// whoever waits behind it finds the cache fresh and sends nothing. `forced_at`: a user's
/// explicit refresh, satisfied only by a fetch that started after it was asked for.
pub async fn refresh(forced_at: Option<u64>) -> Result<(), CallError> {
    let lock = REFRESH_LOCK.with(Rc::clone);
    let result = lock
        .run(async {
            let session = connection::session().await?;
            let instance = session.instance.origin();
            let interval = refresh_interval_ms(session.settings.refresh_minutes, &instance).await;
            let started = now_ms();
            let cache = store::fetched_ticket_cache().await;
            let fresh = match forced_at {
                Some(at) => cache.instance == instance && cache.fetched_at.is_some_and(|t| t >= at),
                None => is_fresh(&cache, &instance, interval, started),
            };
            if fresh {
                return Ok(());
            }
            fetch_into_cache(&session).await
        })
        .await;
    REFRESHING.with(|r| r.set(r.get().saturating_sub(1)));
    result
}

async fn fetch_into_cache(session: &Session) -> Result<(), CallError> {
    // The cache is as of when the instance was read: a ticket created after the read started
    // may be missing from it, so a refresh asked for after this moment is not satisfied by it.
    let started = now_ms();
    let instance = session.instance.origin();
    let mut names_record = store::state_names(&instance).await;
    let names = state_names(&instance).await;
    let filter = TicketFilter {
        limit: CACHE_LIMIT,
        ..TicketFilter::default()
    };
    let read = read_cards(session, &instance, &filter, &names).await?;
    let mut tickets = Vec::new();
    let mut totals = Vec::new();
    let mut learned = false;
    for (kind, list) in read.lists {
        totals.push((kind, list.total.unwrap_or(list.tickets.len() as u32)));
        // The display values seen on records stand in for sys_choice, which a
        // least-privilege user usually cannot read.
        let mut known = names_record.labels(kind);
        let seen = list.labels.into_iter().chain(
            read.counts
                .iter()
                .filter(|(k, _)| *k == kind)
                .flat_map(|(_, c)| c.iter().flatten())
                .filter_map(|t| {
                    t.label.clone().map(|label| ChoiceLabel {
                        value: t.state.clone(),
                        label,
                        sequence: None,
                    })
                }),
        );
        for l in seen {
            if !known.iter().any(|k| k.value == l.value) {
                known.push(l);
                learned = true;
            }
        }
        names_record.set_labels(kind, &known);
        tickets.extend(list.tickets);
    }
    if learned {
        // Onto the record as stored now: the options page may have noted its sys_choice read
        // while this refresh was on the network.
        let mut latest = store::state_names(&names_record.instance).await;
        for kind in TicketKind::ALL {
            let mut known = latest.labels(kind);
            for l in names_record.labels(kind) {
                if !known.iter().any(|k| k.value == l.value) {
                    known.push(l);
                }
            }
            latest.set_labels(kind, &known);
        }
        let _ = store::set(Area::Local, store::STATE_NAMES, &latest).await;
    }
    let state_counts = read
        .counts
        .into_iter()
        .filter_map(|(kind, c)| {
            c.map(|c| (kind, c.into_iter().map(|t| (t.state, t.count)).collect()))
        })
        .collect();
    let cache = TicketCache {
        instance,
        fetched_at: Some(started),
        tickets,
        totals,
        state_counts,
    };
    if store::set_tickets(store::TICKETS, &cache).await.is_ok() {
        // The fetch saw every ticket created before it started.
        let lock = RECENT_LOCK.with(Rc::clone);
        lock.run(async {
            let mut recent = store::recent_tickets().await;
            let before = recent.tickets.len();
            recent.after_fetch(started);
            if recent.tickets.len() != before {
                let _ = store::set_tickets(store::RECENT, &recent).await;
            }
        })
        .await;
    }
    Ok(())
}

/// The cards' read in the fewest requests that work on this instance: one batch; else a list
/// and a count per kind; else a list per kind. What failed is remembered for a day.
async fn read_cards(
    session: &Session,
    instance: &str,
    filter: &TicketFilter,
    names: &[StateName],
) -> Result<CardsRead, CallError> {
    let apis = store::instance_apis(instance).await;
    let now = now_ms();
    let with_counts = apis.worth_trying(Api::Aggregate, now);
    if apis.worth_trying(Api::Batch, now) {
        let r = session
            .call_api(|token| async move {
                session
                    .client
                    .read_cards_batch(&token, filter, names, with_counts)
                    .await
            })
            .await;
        match r {
            Ok(read) => {
                store::learn_api(instance, Api::Batch, true).await;
                if with_counts {
                    let counted = read.counts.iter().any(|(_, c)| c.is_some());
                    store::learn_api(instance, Api::Aggregate, counted).await;
                }
                return Ok(read);
            }
            Err(CallError::Client(e)) if batch_unavailable(&e) => {
                store::learn_api(instance, Api::Batch, false).await;
            }
            Err(e) => return Err(e),
        }
    }
    let mut read = CardsRead {
        lists: Vec::new(),
        counts: Vec::new(),
    };
    let mut with_counts = with_counts;
    for kind in TicketKind::ALL {
        let list = session
            .call(|token| async move {
                session
                    .client
                    .list_tickets(&token, kind, filter, names)
                    .await
            })
            .await?;
        read.lists.push((kind, list));
        let mut counts = None;
        if with_counts {
            let r = session
                .call_api(|token| async move { session.client.state_counts(&token, kind).await })
                .await;
            match r {
                Ok(c) => {
                    store::learn_api(instance, Api::Aggregate, true).await;
                    counts = Some(c);
                }
                Err(CallError::Client(ClientError::Http(h)))
                    if h.status != 429 && h.status < 500 =>
                {
                    store::learn_api(instance, Api::Aggregate, false).await;
                    with_counts = false;
                }
                Err(e) => return Err(e),
            }
        }
        read.counts.push((kind, counts));
    }
    Ok(read)
}

/// A ticket just created: into the cache at once, so its badge shows before the next refresh.
/// Into `store::RECENT` (a short list), not the whole cache: neither waits for a refresh on
/// the network nor rewrites every cached ticket.
pub async fn remember(ticket: TicketSummary, instance: &str) {
    if let Some(action) = ticket.action_id.as_deref() {
        note_checked(action, false);
    }
    let lock = RECENT_LOCK.with(Rc::clone);
    lock.run(async {
        let mut recent = store::recent_tickets().await;
        recent.note(instance, ticket, now_ms());
        let _ = store::set_tickets(store::RECENT, &recent).await;
    })
    .await;
}

/// Open tickets of an action, for the duplicate warning.
pub async fn find_open(action_id: &str) -> Result<Vec<TicketSummary>, CallError> {
    let session = connection::session().await?;
    let names = state_names(&session.instance.origin()).await;
    let found = session
        .call(|token| {
            let names = names.clone();
            let session = &session;
            async move {
                session
                    .client
                    .find_open_for_action(&token, action_id, &names)
                    .await
            }
        })
        .await?;
    note_checked(action_id, found.is_empty());
    Ok(found)
}

fn sort_field(s: TicketSort) -> SortField {
    match s {
        TicketSort::Updated => SortField::Updated,
        TicketSort::Number => SortField::Number,
        TicketSort::Priority => SortField::Priority,
        TicketSort::State => SortField::State,
    }
}

/// One page of the full list: from the cache when it is fresh and complete (no request at
/// all), otherwise from ServiceNow, one page at a time.
pub async fn list(query: TicketListQuery) -> Result<TicketPage, CallError> {
    let limit = query.limit.clamp(1, 200);
    let (settings, _) = connection::effective_settings().await;
    let instance = settings.instance.clone().unwrap_or_default();
    let cache = store::ticket_cache().await;
    let names = state_names(&instance).await;
    let complete = TicketKind::ALL.iter().all(|k| {
        let cached = cache.tickets.iter().filter(|t| t.kind == *k).count() as u32;
        cache
            .totals
            .iter()
            .find(|(kk, _)| kk == k)
            .is_some_and(|(_, total)| *total <= cached)
    });
    let fresh = is_fresh(
        &cache,
        &instance,
        refresh_interval_ms(settings.refresh_minutes, &instance).await,
        now_ms(),
    );
    if fresh && complete && query.category.is_none() {
        let mut tickets = cache.tickets;
        relabel(&mut tickets, &names);
        return Ok(TicketPage {
            fetched_at: cache.fetched_at,
            ..page_from(tickets, &query, limit)
        });
    }
    let session = connection::session().await?;
    let fetched_at = Some(now_ms());
    let kinds: Vec<TicketKind> = match query.kind {
        Some(k) => vec![k],
        None => TicketKind::ALL.to_vec(),
    };
    // Two tables merged into one order: each contributes its first offset+limit rows.
    let single = kinds.len() == 1;
    let filter = TicketFilter {
        states: query.states.clone(),
        category: query.category,
        source: query.source,
        search: query.search.clone().filter(|s| !s.trim().is_empty()),
        sort: sort_field(query.sort),
        descending: query.descending,
        offset: if single { query.offset } else { 0 },
        limit: if single {
            limit
        } else {
            query.offset.saturating_add(limit)
        },
        ..TicketFilter::default()
    };
    let mut tickets = Vec::new();
    let mut total = 0u32;
    for kind in kinds {
        let list = session
            .call(|token| {
                let filter = filter.clone();
                let names = names.clone();
                let session = &session;
                async move {
                    session
                        .client
                        .list_tickets(&token, kind, &filter, &names)
                        .await
                }
            })
            .await?;
        total = total.saturating_add(list.total.unwrap_or(list.tickets.len() as u32));
        tickets.extend(list.tickets);
    }
    if single {
        return Ok(TicketPage {
            tickets,
            total,
            offset: query.offset,
            fetched_at,
        });
    }
    sort(&mut tickets, query.sort, query.descending);
    let tickets = tickets
        .into_iter()
        .skip(query.offset as usize)
        .take(limit as usize)
        .collect();
    Ok(TicketPage {
        tickets,
        total,
        offset: query.offset,
        fetched_at,
    })
}

fn sort(tickets: &mut [TicketSummary], by: TicketSort, descending: bool) {
    tickets.sort_by(|a, b| {
        let o = match by {
            TicketSort::Updated => a.updated_on.cmp(&b.updated_on),
            TicketSort::Number => a.number.cmp(&b.number),
            TicketSort::Priority => a
                .priority
                .map(|p| p.value())
                .cmp(&b.priority.map(|p| p.value())),
            TicketSort::State => a.state_label.cmp(&b.state_label),
        }
        .then_with(|| a.sys_id.cmp(&b.sys_id));
        if descending {
            o.reverse()
        } else {
            o
        }
    });
}

fn page_from(tickets: Vec<TicketSummary>, q: &TicketListQuery, limit: u32) -> TicketPage {
    let needle = q
        .search
        .as_deref()
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty());
    let mut rows: Vec<TicketSummary> = tickets
        .into_iter()
        .filter(|t| q.kind.is_none_or(|k| t.kind == k))
        .filter(|t| q.source.is_none_or(|s| t.source() == s))
        .filter(|t| q.states.is_empty() || q.states.iter().any(|s| s.trim() == t.state))
        .filter(|t| {
            needle.as_deref().is_none_or(|n| {
                t.number.to_lowercase().contains(n)
                    || t.short_description.to_lowercase().contains(n)
            })
        })
        .collect();
    sort(&mut rows, q.sort, q.descending);
    let total = rows.len() as u32;
    let tickets = rows
        .into_iter()
        .skip(q.offset as usize)
        .take(limit as usize)
        .collect();
    TicketPage {
        tickets,
        total,
        offset: q.offset,
        fetched_at: None,
    }
}

/// Labels for the options page; reads sys_choice once per instance (the record display values
/// stand in when the table is not readable).
pub async fn state_names_for_options() -> Vec<StateName> {
    let (settings, _) = connection::effective_settings().await;
    let instance = settings.instance.clone().unwrap_or_default();
    let mut record = store::state_names(&instance).await;
    if record.fetched_at.is_none() {
        if let Ok(session) = connection::session().await {
            let lang = i18n_language();
            let mut read = Vec::new();
            for kind in TicketKind::ALL {
                let labels = session
                    .call(|token| {
                        let session = &session;
                        let lang = lang.clone();
                        async move { session.client.state_labels(&token, kind, &lang).await }
                    })
                    .await;
                if let Ok(labels) = labels.map(|l| {
                    l.into_iter()
                        .filter(|c| !c.label.is_empty())
                        .collect::<Vec<_>>()
                }) {
                    if !labels.is_empty() {
                        read.push((kind, labels));
                    }
                }
            }
            // Onto the record as stored now (a refresh may have learned labels meanwhile);
            // tried once, read or refused, so a refusing instance is not asked again.
            record = store::state_names(&instance).await;
            for (kind, labels) in read {
                record.set_labels(kind, &labels);
            }
            record.fetched_at = Some(now_ms());
            let _ = store::set(Area::Local, store::STATE_NAMES, &record).await;
        }
    }
    merge_all(
        &record.labels(TicketKind::Incident),
        &record.labels(TicketKind::ChangeRequest),
        &record.overrides,
    )
}

pub async fn save_state_names(changes: Vec<StateNameOverride>) -> Vec<StateName> {
    let (settings, _) = connection::effective_settings().await;
    let instance = settings.instance.clone().unwrap_or_default();
    let mut record: StateNamesRecord = store::state_names(&instance).await;
    crate::domain::state_names::apply_overrides(&mut record.overrides, &changes);
    let _ = store::set(Area::Local, store::STATE_NAMES, &record).await;
    state_names(&instance).await
}
