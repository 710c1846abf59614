//! The worker's outbox storage in a real browser, against a `chrome.storage.local` stand-in that
//! logs every call and can fail one: one key per entry, each change writing only what it touched,
//! and the move from the old single-key layout (nothing lost, nothing twice, also when the move
//! is cut short).
#![cfg(target_arch = "wasm32")]
// A test that cannot read what it set up has nothing left to check: it stops there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use snshare_core::domain::diagnosis::Diagnosis;
use snshare_core::domain::draft::TaskDraft;
use snshare_core::domain::outbox::{Outbox, OutboxEntry, OutboxStatus};
use snshare_core::domain::ticket::{Priority, RecommendationSource, TicketKind, TicketSummary};
use snshare_worker::store::{self, RecentTickets, TicketCache};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

#[path = "common/sleep.rs"]
mod sleep;

const INSTANCE: &str = "https://dev1.service-now.com";
const T0: u64 = 1_800_000_000_000;

/// A fresh, empty `chrome.storage.local`, no policy (and an outbox no longer held: as a started
/// worker).
fn stub_storage() {
    let install = js_sys::Function::new_no_args(
        "const c = globalThis.chrome = globalThis.chrome || {};
         c.storage = c.storage || {};
         const data = new Map();
         const log = [];
         const fail = { set: 0, remove: 0 };
         globalThis.__store = { data, log, fail };
         const copy = (v) => JSON.parse(JSON.stringify(v));
         c.storage.local = {
           get: async (keys) => {
             const list = keys == null ? [...data.keys()] : Array.isArray(keys) ? keys : [keys];
             log.push(['get', list]);
             const out = {};
             for (const k of list) if (data.has(k)) out[k] = copy(data.get(k));
             // What was stored when asked, answered a task later (a read still on its way).
             if (globalThis.__store.slowGet) await new Promise((r) => setTimeout(r, 0));
             return out;
           },
           set: async (items) => {
             log.push(['set', Object.keys(items).sort()]);
             if (fail.set > 0) { fail.set -= 1; throw new Error('set refused (test)'); }
             for (const [k, v] of Object.entries(items)) data.set(k, copy(v));
           },
           remove: async (keys) => {
             const list = Array.isArray(keys) ? keys : [keys];
             log.push(['remove', list.slice().sort()]);
             if (fail.remove > 0) { fail.remove -= 1; throw new Error('remove refused (test)'); }
             for (const k of list) data.delete(k);
           },
           getKeys: async () => [...data.keys()],
         };
         // No policy, answered at once (the policy tests stub their own).
         c.storage.managed = { get: async () => ({}) };",
    );
    assert!(install.call0(&JsValue::NULL).is_ok(), "storage stubbed");
    store::forget_held_outbox();
    store::forget_held_tickets();
    snshare_worker::policy::forget_live_reads();
}

fn eval(body: &str) -> JsValue {
    js_sys::Function::new_no_args(body)
        .call0(&JsValue::NULL)
        .unwrap_or(JsValue::UNDEFINED)
}

/// The stored value of `key`, as JSON.
fn stored(key: &str) -> Option<serde_json::Value> {
    let text = eval(&format!(
        "const v = __store.data.get({}); return v === undefined ? null : JSON.stringify(v);",
        serde_json::Value::from(key)
    ));
    serde_json::from_str(&text.as_string()?).ok()
}

fn put(key: &str, value: &serde_json::Value) {
    eval(&format!(
        "__store.data.set({}, {value});",
        serde_json::Value::from(key)
    ));
}

fn keys() -> Vec<String> {
    let text = eval("return JSON.stringify([...__store.data.keys()].sort());");
    serde_json::from_str(&text.as_string().unwrap_or_default()).unwrap_or_default()
}

/// The writes since the last call: `(set|remove, keys)`.
fn writes() -> Vec<(String, Vec<String>)> {
    let text = eval(
        "const w = __store.log.filter((c) => c[0] !== 'get'); __store.log.length = 0;
         return JSON.stringify(w);",
    );
    serde_json::from_str(&text.as_string().unwrap_or_default()).unwrap_or_default()
}

fn entry(id: &str, at: u64) -> OutboxEntry {
    OutboxEntry::new(
        id.into(),
        INSTANCE.into(),
        TaskDraft {
            kind: TicketKind::Incident,
            name: format!("Share {id}"),
            description: "What the user typed".into(),
            priority: Priority::High,
            due_date: "2030-01-01".into(),
            user_id: "admin@contoso.com".into(),
            source: RecommendationSource::Microsoft,
            category: None,
            status: None,
            action_id: Some(format!("Action{id}")),
            action_url: None,
            assignment_group: None,
            compliance: None,
        },
        format!("snshare:Action{id}:{id}"),
        at,
    )
}

/// One entry in each state an outbox of the old layout can hold.
fn every_state() -> Vec<OutboxEntry> {
    let pending = entry("pending1", T0);
    let mut sending = entry("sending1", T0 + 1);
    sending.status = OutboxStatus::Sending {
        lease_until: T0 + 30_000,
    };
    sending.attempts = 1;
    let mut unknown = entry("unknown1", T0 + 2);
    unknown.status = OutboxStatus::Unknown;
    unknown.attempts = 2;
    unknown.not_before = T0 + 8_000;
    unknown.last_error = Some(Diagnosis::Timeout);
    let mut failed = entry("failed1", T0 + 3);
    failed.status = OutboxStatus::Failed {
        diagnosis: Diagnosis::RecordRejected {
            message: "Data policy".into(),
        },
    };
    failed.attempts = 1;
    let mut interrupted = entry("stopped1", T0 + 4);
    interrupted.status = OutboxStatus::Sending { lease_until: 1 };
    interrupted.interrupted = 2;
    interrupted.attempts = 2;
    vec![pending, sending, unknown, failed, interrupted]
}

/// The old layout: the whole list under `outbox`, with an entry that cannot be read.
fn old_layout() -> serde_json::Value {
    let mut list: Vec<serde_json::Value> = every_state()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap_or_default())
        .collect();
    list.insert(
        2,
        serde_json::json!({"share_id": "broken1", "draft": {"name": "Damaged", "due_date": 5}, "created_at": T0 + 5}),
    );
    serde_json::Value::Array(list)
}

/// What the old layout reads as: every entry, the damaged one set aside (failed, discardable).
fn check_moved(o: &Outbox) {
    let mut want = every_state();
    for e in &want {
        assert_eq!(o.get(&e.share_id), Some(e), "{}", e.share_id);
    }
    let broken = o.get("broken1").expect("the damaged entry is kept");
    assert_eq!(broken.last_error, Some(Diagnosis::ShareUnreadable));
    assert_eq!(broken.draft.name, "Damaged");
    assert_eq!(o.entries.len(), want.len() + 1, "nothing twice");
    want.push(broken.clone());
    let mut expected_keys: Vec<String> = want
        .iter()
        .map(|e| format!("outbox:{}", e.share_id))
        .collect();
    expected_keys.sort();
    assert_eq!(keys(), expected_keys, "one key per entry, the old key gone");
    for e in &want {
        let key = format!("outbox:{}", e.share_id);
        assert_eq!(
            stored(&key).and_then(|v| serde_json::from_value::<OutboxEntry>(v).ok()),
            Some(e.clone()),
            "{key}"
        );
    }
}

#[wasm_bindgen_test]
async fn an_outbox_of_the_old_layout_moves_to_one_key_per_entry_with_nothing_lost() {
    stub_storage();
    put("outbox", &old_layout());
    let o = store::outbox_for_update().await.expect("read");
    check_moved(&o);
    // A restarted worker reads the same outbox from the entries' keys, and moves nothing again.
    store::forget_held_outbox();
    writes();
    let again = store::outbox_for_update().await.expect("read again");
    assert_eq!(again, o);
    assert_eq!(writes(), Vec::<(String, Vec<String>)>::new());
}

#[wasm_bindgen_test]
async fn a_move_cut_short_is_done_again_and_nothing_is_lost_or_doubled() {
    // Stopped after the entries were written, before the old key was removed: nothing is sent
    // from that half-moved state, and the next start moves the same entries again.
    stub_storage();
    put("outbox", &old_layout());
    eval("__store.fail.remove = 1;");
    assert!(store::outbox_for_update().await.is_err());
    assert!(
        stored("outbox").is_some(),
        "the old key stays until every entry is stored"
    );
    assert!(stored("outbox:pending1").is_some());
    store::forget_held_outbox();
    let o = store::outbox_for_update()
        .await
        .expect("moved on the next start");
    check_moved(&o);

    // Stopped before the entries were written: the old key is what is left, whole.
    stub_storage();
    put("outbox", &old_layout());
    eval("__store.fail.set = 1;");
    assert!(store::outbox_for_update().await.is_err());
    assert_eq!(stored("outbox"), Some(old_layout()));
    store::forget_held_outbox();
    let o = store::outbox_for_update()
        .await
        .expect("moved on the next start");
    check_moved(&o);
}

#[wasm_bindgen_test]
async fn a_change_writes_only_the_entries_it_touched() {
    stub_storage();
    let mut o = store::outbox_for_update().await.expect("empty outbox");
    for i in 0..50 {
        o.push(entry(&format!("s{i}"), T0 + i));
    }
    writes();
    store::save_outbox(&mut o).await.expect("stored");
    assert_eq!(writes().len(), 1, "fifty new entries, one write");
    store::forget_held_outbox();

    let mut o = store::outbox_for_update().await.expect("read");
    assert_eq!(o.entries.len(), 50);
    writes();
    o.get_mut("s7")
        .and_then(|e| e.claim(T0 + 100, 30_000).ok())
        .expect("claimed");
    store::save_outbox(&mut o).await.expect("claim stored");
    assert_eq!(
        writes(),
        vec![("set".to_owned(), vec!["outbox:s7".to_owned()])]
    );
    o.complete("s7");
    o.get_mut("s9")
        .and_then(|e| e.claim(T0 + 100, 30_000).ok())
        .expect("claimed");
    store::save_outbox(&mut o).await.expect("settle stored");
    assert_eq!(
        writes(),
        vec![
            ("set".to_owned(), vec!["outbox:s9".to_owned()]),
            ("remove".to_owned(), vec!["outbox:s7".to_owned()]),
        ]
    );
    // What a restarted worker reads is what this one holds.
    let held = store::outbox_for_update().await.expect("held");
    store::forget_held_outbox();
    assert_eq!(store::outbox_for_update().await.expect("read"), held);
    assert_eq!(held.entries.len(), 49);
    assert!(stored("outbox:s7").is_none());

    // A refused write is not believed: the next reader sees what storage kept.
    let mut o = store::outbox_for_update().await.expect("read");
    o.complete("s1");
    eval("__store.fail.remove = 1;");
    assert!(store::save_outbox(&mut o).await.is_err());
    assert!(store::outbox_for_update()
        .await
        .expect("read")
        .get("s1")
        .is_some());
}

/// A read of the outbox that one of the worker's writes overlapped may be older than storage: it
/// is answered, but not held (the next reader reads storage again). The write here is refused,
/// so what storage holds is known: the outbox before it.
#[wasm_bindgen_test]
async fn an_outbox_read_that_a_write_overlapped_is_not_held() {
    stub_storage();
    let mut o = store::outbox_for_update().await.expect("empty outbox");
    o.push(entry("s1", T0));
    store::save_outbox(&mut o).await.expect("stored");
    // As a started worker: nothing held, the next reader reads storage while s2 is written.
    store::forget_held_outbox();
    o.push(entry("s2", T0 + 1));
    // The read is on its way (its answers come a task later) when the write starts.
    eval("__store.fail.set = 1; __store.slowGet = true;");
    let (read, saved) = snshare_worker::platform::join(store::outbox_for_update(), async {
        for _ in 0..8 {
            let tick = js_sys::Promise::resolve(&JsValue::NULL);
            let _ = wasm_bindgen_futures::JsFuture::from(tick).await;
        }
        assert!(!reads().is_empty(), "the read started first");
        store::save_outbox(&mut o).await
    })
    .await;
    eval("__store.slowGet = false;");
    assert!(saved.is_err(), "the write was refused");
    let read = read.expect("read");
    assert!(read.get("s1").is_some() && read.get("s2").is_none());
    reads();
    assert_eq!(store::outbox_for_update().await.expect("read again"), read);
    assert!(!reads().is_empty(), "not held: storage read again");
}

fn ticket(sys_id: &str) -> TicketSummary {
    TicketSummary {
        kind: TicketKind::Incident,
        sys_id: sys_id.into(),
        number: format!("INC{sys_id}"),
        short_description: "Enable MFA".into(),
        state: "1".into(),
        state_label: "New".into(),
        open: true,
        priority: Some(Priority::High),
        assigned_to: None,
        updated_on: "2030-01-01 00:00:00".into(),
        correlation_id: format!("snshare:A{sys_id}:s{sys_id}"),
        action_id: Some(format!("A{sys_id}")),
        link: String::new(),
    }
}

#[wasm_bindgen_test]
fn a_created_ticket_is_read_with_the_cache_until_a_fetch_that_saw_it() {
    let cache = TicketCache {
        instance: INSTANCE.into(),
        fetched_at: Some(T0),
        tickets: vec![ticket("1"), ticket("2")],
        ..TicketCache::default()
    };
    let mut recent = RecentTickets::default();
    recent.note(INSTANCE, ticket("3"), T0 + 10);
    recent.note(INSTANCE, ticket("2"), T0 + 20);
    let numbers = |c: TicketCache| c.tickets.into_iter().map(|t| t.number).collect::<Vec<_>>();
    // Newest first, each once.
    assert_eq!(
        numbers(cache.clone().with_recent(recent.clone())),
        ["INC2", "INC3", "INC1"]
    );
    // Another instance's tickets never mix in.
    let mut other = recent.clone();
    other.note("https://other.service-now.com", ticket("9"), T0 + 30);
    assert_eq!(numbers(cache.clone().with_recent(other)), ["INC1", "INC2"]);
    // A fetch started at T0 + 15 saw ticket 3, not ticket 2.
    recent.after_fetch(T0 + 15);
    assert_eq!(
        recent
            .tickets
            .iter()
            .map(|(t, _)| t.number.as_str())
            .collect::<Vec<_>>(),
        ["INC2"]
    );
}

/// The keys read since the last call.
fn reads() -> Vec<String> {
    let text = eval(
        "const r = __store.log.filter((c) => c[0] === 'get').flatMap((c) => c[1]);
         __store.log.length = 0;
         return JSON.stringify(r);",
    );
    serde_json::from_str(&text.as_string().unwrap_or_default()).unwrap_or_default()
}

/// A page's snapshot is answered from the ticket cache the worker holds (issue 17: reading
/// 1,000 tickets from storage took ~30 ms per portal page): read from storage once, again after
/// each of the worker's writes of the cache or the recent tickets (their only writer), never
/// kept from a read that a change overlapped or that failed.
#[wasm_bindgen_test]
async fn the_ticket_cache_is_read_once_and_again_after_each_write() {
    stub_storage();
    let numbers = |c: TicketCache| c.tickets.into_iter().map(|t| t.number).collect::<Vec<_>>();
    let cache = |tickets: Vec<TicketSummary>| TicketCache {
        instance: INSTANCE.into(),
        fetched_at: Some(T0),
        tickets,
        ..TicketCache::default()
    };
    put(
        store::TICKETS,
        &serde_json::to_value(cache(vec![ticket("1")])).unwrap(),
    );
    assert_eq!(numbers(store::ticket_cache().await), ["INC1"]);
    assert_eq!(reads(), [store::TICKETS, store::RECENT]);
    assert_eq!(numbers(store::ticket_cache().await), ["INC1"]);
    assert!(reads().is_empty(), "held: storage not read again");

    // The worker's own write (a ticket just created).
    let mut recent = RecentTickets::default();
    recent.note(INSTANCE, ticket("2"), T0 + 10);
    store::set_tickets(store::RECENT, &recent).await.unwrap();
    reads();
    assert_eq!(numbers(store::ticket_cache().await), ["INC2", "INC1"]);
    assert_eq!(reads(), [store::TICKETS, store::RECENT]);

    // A fetch's write of the cache; another key's write changes nothing held.
    store::set(
        snshare_worker::platform::storage::Area::Local,
        "settings",
        &serde_json::json!({}),
    )
    .await
    .unwrap();
    reads();
    assert_eq!(numbers(store::ticket_cache().await), ["INC2", "INC1"]);
    assert!(reads().is_empty(), "still held");
    store::set_tickets(store::TICKETS, &cache(vec![ticket("3")]))
        .await
        .unwrap();
    assert_eq!(numbers(store::ticket_cache().await), ["INC2", "INC3"]);
    reads();

    // A read overlapped by a change is answered but not held.
    store::forget_held_tickets();
    let (read, ()) = snshare_worker::platform::join(store::ticket_cache(), async {
        store::forget_held_tickets();
    })
    .await;
    assert_eq!(numbers(read), ["INC2", "INC3"]);
    reads();
    store::ticket_cache().await;
    assert_eq!(reads(), [store::TICKETS, store::RECENT], "read again");

    // A read that failed is not held either.
    eval("__store.data.set('tickets.cache', 'not a cache');");
    store::forget_held_tickets();
    reads();
    assert!(store::ticket_cache().await.tickets.len() <= 1);
    store::ticket_cache().await;
    assert_eq!(reads().len(), 4, "read again after a failed read");
}

// A Send is answered before its ticket's bookkeeping is stored (`outbox::settle_after_answer`);
// whatever the worker handles next waits for those writes (`outbox::settled`), but not for ever.

#[wasm_bindgen_test]
async fn what_the_worker_handles_after_a_send_waits_for_its_bookkeeping_in_call_order() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let done = Rc::new(RefCell::new(Vec::new()));
    for (name, ms) in [("first", 150), ("second", 10)] {
        let done = done.clone();
        snshare_worker::outbox::test_settle_after_answer(async move {
            sleep::sleep(ms).await;
            done.borrow_mut().push(name);
        });
    }
    assert!(done.borrow().is_empty());
    snshare_worker::outbox::settled().await;
    // Both stored, each settle after the one before it.
    assert_eq!(*done.borrow(), ["first", "second"]);
    // Nothing left to wait for: at once.
    let t = now();
    snshare_worker::outbox::settled().await;
    assert!(now() - t < 20.0, "{} ms", now() - t);
}

#[wasm_bindgen_test]
async fn bookkeeping_that_storage_never_stores_holds_the_next_messages_five_seconds_at_most() {
    snshare_worker::outbox::test_settle_after_answer(std::future::pending());
    let t = now();
    snshare_worker::outbox::settled().await;
    let waited = now() - t;
    assert!((4_900.0..7_000.0).contains(&waited), "{waited} ms");
    // Given up on: the next message is not held again.
    let t = now();
    snshare_worker::outbox::settled().await;
    assert!(now() - t < 20.0, "{} ms", now() - t);
}

// The administrator's policy (`snshare_worker::policy`): the browser's policy service answers
// `storage.managed.get` only seconds after each start; the settings then go by the policy last
// seen, and the live one replaces it when it lands.

/// `chrome.storage.managed` answering `policy` after `delay_ms` (or rejecting, as Firefox does
/// without a managed storage manifest), and the worker as just started.
fn stub_managed(policy: &str, delay_ms: u32, rejects: bool) {
    stub_managed_reads(policy, delay_ms, delay_ms, rejects);
}

/// As `stub_managed`, the first read answered after `first_ms` and the later ones after
/// `later_ms`; the reads counted in `__managedReads`.
fn stub_managed_reads(policy: &str, first_ms: u32, later_ms: u32, rejects: bool) {
    eval(&format!(
        "globalThis.__managedReads = 0;
         globalThis.chrome.storage.managed = {{ get: () => new Promise((resolve, reject) =>
           setTimeout(() => {rejects} ? reject(new Error('no managed storage (test)')) : resolve({policy}),
                      globalThis.__managedReads++ === 0 ? {first_ms} : {later_ms})) }};"
    ));
    snshare_worker::policy::forget_live_reads();
}

fn policy(json: serde_json::Value) -> snshare_worker::policy::Managed {
    serde_json::from_value(json).unwrap()
}

fn now() -> f64 {
    js_sys::Date::now()
}

#[wasm_bindgen_test]
async fn a_policy_service_not_up_yet_gives_the_policy_last_seen_then_the_live_one_is_kept() {
    stub_storage();
    let old = serde_json::json!({ "instance": "https://old.service-now.com" });
    put(store::POLICY_SEEN, &old);
    stub_managed(
        r#"{ "instance": "https://new.service-now.com", "due_in_days": 5 }"#,
        400,
        false,
    );
    let t = now();
    let shown = snshare_worker::policy::managed().await;
    assert!(
        now() - t < 300.0,
        "not held by the policy service: {} ms",
        now() - t
    );
    assert_eq!(shown, policy(old));
    assert_eq!(shown.locked(), ["instance"]);

    // The live read lands: the copy is the live policy, and the next read is live.
    sleep::sleep(600).await;
    let live = serde_json::json!({ "instance": "https://new.service-now.com", "due_in_days": 5 });
    assert_eq!(stored(store::POLICY_SEEN), Some(live.clone()));
    stub_managed(
        r#"{ "instance": "https://new.service-now.com", "due_in_days": 5 }"#,
        0,
        false,
    );
    assert_eq!(
        snshare_worker::policy::managed().await,
        policy(live.clone())
    );
    // Its comparison with the copy done (no write: the same), before the next test's storage.
    sleep::sleep(50).await;
    assert_eq!(stored(store::POLICY_SEEN), Some(live));
}

#[wasm_bindgen_test]
async fn a_browser_that_has_not_answered_a_live_read_is_not_waited_for_again_until_it_does() {
    stub_storage();
    let old = serde_json::json!({ "instance": "https://old.service-now.com" });
    put(store::POLICY_SEEN, &old);
    // The first live read is answered after 400 ms, the later ones at once; each one counted.
    stub_managed_reads(
        r#"{ "instance": "https://new.service-now.com" }"#,
        400,
        0,
        false,
    );
    let managed_reads = || eval("return __managedReads").as_f64();

    // The first read waits for the live policy, then takes the copy.
    let t = now();
    assert_eq!(snshare_worker::policy::managed().await, policy(old.clone()));
    let waited = now() - t;
    assert!(
        waited >= f64::from(snshare_worker::policy::SHOWN_WAIT_MS) - 5.0,
        "{waited} ms"
    );
    // While that read is on its way, the next ones take the copy at once and ask nothing.
    for _ in 0..3 {
        let t = now();
        assert_eq!(snshare_worker::policy::managed().await, policy(old.clone()));
        assert!(now() - t < 30.0, "waited again: {} ms", now() - t);
    }
    assert_eq!(managed_reads(), Some(1.0));

    // Landed: the next read asks the browser again, and it is live.
    sleep::sleep(500).await;
    let live = serde_json::json!({ "instance": "https://new.service-now.com" });
    assert_eq!(snshare_worker::policy::managed().await, policy(live));
    assert_eq!(managed_reads(), Some(2.0));
    // Its comparison with the copy done, before the next test's storage.
    sleep::sleep(50).await;
}

#[wasm_bindgen_test]
async fn a_late_live_policy_replaces_the_copy_whole_and_a_policy_taken_away_removes_it() {
    stub_storage();
    put(
        store::POLICY_SEEN,
        &serde_json::json!({ "instance": "https://old.service-now.com" }),
    );
    stub_managed(r#"{ "client_id": "from-policy" }"#, 300, false);
    snshare_worker::policy::managed().await;
    // Landed: the copy is the live policy, nothing of the old one is left.
    sleep::sleep(400).await;
    assert_eq!(
        stored(store::POLICY_SEEN),
        Some(serde_json::json!({ "client_id": "from-policy" }))
    );
    // A policy taken away: the copy goes too.
    stub_managed("{}", 0, false);
    assert_eq!(
        snshare_worker::policy::managed().await.locked(),
        Vec::<String>::new()
    );
    sleep::sleep(50).await;
    assert_eq!(stored(store::POLICY_SEEN), None);
}

#[wasm_bindgen_test]
async fn no_policy_writes_nothing_and_a_browser_without_the_area_has_none() {
    stub_storage();
    stub_managed("{}", 0, false);
    assert_eq!(
        snshare_worker::policy::managed().await.locked(),
        Vec::<String>::new()
    );
    sleep::sleep(50).await;
    let log = eval("return JSON.stringify(__store.log.filter(([op]) => op !== 'get'))");
    assert_eq!(
        log.as_string().as_deref(),
        Some("[]"),
        "no copy written for no policy"
    );

    // Firefox without a managed storage manifest rejects: no policy, and no wait.
    stub_managed("{}", 0, true);
    let t = now();
    assert_eq!(
        snshare_worker::policy::managed().await.locked(),
        Vec::<String>::new()
    );
    assert!(now() - t < 40.0, "a rejecting area is no policy, at once");
}

/// A future run once by hand: what a dropped holder has done before it is dropped.
fn poll_once<F: std::future::Future>(f: std::pin::Pin<&mut F>) -> bool {
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    f.poll(&mut cx).is_ready()
}

/// The worker's lock (outbox, tokens, refresh): a holder whose future is dropped in its section
/// lets the next holders in; one dropped while waiting its turn lets them in only once the
/// holder before it is done. Otherwise every later share would wait for the worker's restart.
/// Sections wait on gates the test opens, not on time: what must not have run cannot have.
#[wasm_bindgen_test]
async fn a_lock_holder_dropped_midway_lets_the_next_ones_in_and_in_order() {
    use snshare_worker::store::AsyncLock;
    use std::cell::RefCell;
    use std::rc::Rc;
    let lock = Rc::new(AsyncLock::new());
    let log = Rc::new(RefCell::new(Vec::<&'static str>::new()));
    let section = |name_in: &'static str, name_out: &'static str, gate: Option<js_sys::Promise>| {
        let (lock, log) = (lock.clone(), log.clone());
        async move {
            lock.run(async {
                log.borrow_mut().push(name_in);
                if let Some(gate) = gate {
                    let _ = wasm_bindgen_futures::JsFuture::from(gate).await;
                }
                log.borrow_mut().push(name_out);
            })
            .await
        }
    };
    let gate = || {
        let mut open = None;
        let p = js_sys::Promise::new(&mut |resolve, _| open = Some(resolve));
        (p, open.unwrap())
    };
    let logged = |want: &'static [&'static str]| {
        let log = log.clone();
        async move { sleep::until(&format!("{want:?}"), || *log.borrow() == want).await }
    };
    // Dropped in its section (its gate never opens).
    let (never, _kept) = gate();
    let mut a = Box::pin(section("a in", "a out", Some(never)));
    assert!(!poll_once(a.as_mut()));
    wasm_bindgen_futures::spawn_local(section("b in", "b out", None));
    sleep::sleep(50).await;
    assert_eq!(*log.borrow(), ["a in"], "b waits while a holds the lock");
    drop(a);
    logged(&["a in", "b in", "b out"]).await;

    // Dropped while waiting behind x: z still waits for x.
    log.borrow_mut().clear();
    let (x_gate, open_x) = gate();
    wasm_bindgen_futures::spawn_local(section("x in", "x out", Some(x_gate)));
    logged(&["x in"]).await;
    let mut y = Box::pin(section("y in", "y out", None));
    assert!(!poll_once(y.as_mut()));
    wasm_bindgen_futures::spawn_local(section("z in", "z out", None));
    drop(y);
    sleep::sleep(50).await;
    assert_eq!(
        *log.borrow(),
        ["x in"],
        "z waits for x, though y left the line"
    );
    open_x.call0(&JsValue::UNDEFINED).unwrap();
    logged(&["x in", "x out", "z in", "z out"]).await;
}
