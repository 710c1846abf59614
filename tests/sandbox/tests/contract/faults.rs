//! Fault injection: `POST /sandbox/faults`, each kind doing what it says for the next N
//! matching requests.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sn_sandbox::Sandbox;

use crate::common::{self, assert_envelope, Target};

fn start() -> (Sandbox, Target, String) {
    let sb = common::sandbox();
    let t = Target::sandbox(sb.url());
    let token = t.access_token();
    (sb, t, token)
}

fn inject(t: &Target, fault: Value) -> Value {
    let r = t.http.post_json(&t.url("/sandbox/faults"), &fault);
    assert_eq!(r.status, 201, "{}", r.body);
    r.result()
}

const LIST: &str = "/api/now/table/incident?sysparm_limit=1";

/// How many incidents the sandbox holds whose `field` is `value`.
fn incidents_with(t: &Target, field: &str, value: &str) -> usize {
    t.http
        .get(&t.url("/sandbox/records/incident"), &[])
        .result()
        .as_array()
        .map_or(0, |records| {
            records.iter().filter(|r| r[field] == json!(value)).count()
        })
}

/// POSTs an incident with a client that stops waiting for the answer after `ms`.
fn create_giving_up_after(
    t: &Target,
    token: &str,
    body: &Value,
    ms: u64,
) -> Result<common::Resp, ureq::Error> {
    let auth = format!("Bearer {token}");
    common::Http::with_timeout(None, Duration::from_millis(ms)).try_send(
        "POST",
        &t.url("/api/now/table/incident"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(&body.to_string()),
    )
}

#[test]
fn status_fault_hits_count_requests_then_stops() {
    let (_sb, t, token) = start();
    inject(&t, json!({"kind": "status", "status": 503, "count": 2}));
    for _ in 0..2 {
        let r = t.api("GET", LIST, &token, None);
        assert_eq!(r.status, 503);
        assert!(
            r.header("content-type").unwrap().starts_with("text/html"),
            "a 503 comes from the load balancer"
        );
    }
    assert_eq!(t.api("GET", LIST, &token, None).status, 200);
}

#[test]
fn status_500_carries_the_envelope_and_502_is_html() {
    let (_sb, t, token) = start();
    inject(&t, json!({"kind": "status", "status": 500}));
    inject(&t, json!({"kind": "status", "status": 502}));
    let first = t.api("GET", LIST, &token, None);
    assert_eq!(first.status, 500);
    assert_eq!(first.json()["status"], json!("failure"));
    let second = t.api("GET", LIST, &token, None);
    assert_eq!(second.status, 502, "faults queue up in order");
    assert!(serde_json::from_str::<Value>(&second.body).is_err());
    assert_eq!(t.api("GET", LIST, &token, None).status, 200);
}

#[test]
fn faults_match_method_and_path_prefix() {
    let (_sb, t, token) = start();
    inject(
        &t,
        json!({"kind": "status", "status": 500, "method": "post", "path_prefix": "/api/now/table/incident"}),
    );
    assert_eq!(
        t.api("GET", LIST, &token, None).status,
        200,
        "GET does not match"
    );
    assert_eq!(
        t.api(
            "POST",
            "/api/now/table/change_request",
            &token,
            Some(&json!({"short_description": "c"}))
        )
        .status,
        201,
        "other path"
    );
    assert_eq!(
        t.api(
            "POST",
            "/api/now/table/incident",
            &token,
            Some(&json!({"short_description": "i"}))
        )
        .status,
        500
    );
    assert_eq!(
        t.api(
            "POST",
            "/api/now/table/incident",
            &token,
            Some(&json!({"short_description": "i"}))
        )
        .status,
        201
    );
}

#[test]
fn rate_limit_fault_answers_429_with_retry_after() {
    let (_sb, t, token) = start();
    inject(&t, json!({"kind": "rate_limit", "retry_after": 7}));
    let r = t.api("GET", LIST, &token, None);
    assert_envelope(&r, 429, "Rate limit exceeded");
    assert_eq!(r.header("retry-after"), Some("7"));
    assert!(
        r.header("x-ratelimit-limit").is_some()
            && r.header("x-ratelimit-reset").is_some()
            && r.header("x-ratelimit-rule").is_some()
    );
}

#[test]
fn a_fault_with_every_hits_each_nth_matching_request() {
    let (_sb, t, token) = start();
    inject(
        &t,
        json!({"kind": "rate_limit", "retry_after": 1, "every": 3, "count": 2}),
    );
    let statuses: Vec<u16> = (0..8)
        .map(|_| t.api("GET", LIST, &token, None).status)
        .collect();
    assert_eq!(statuses, [200, 200, 429, 200, 200, 429, 200, 200]);
    let r = t.http.post_json(
        &t.url("/sandbox/faults"),
        &json!({"kind": "status", "status": 500, "every": 0}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
}

#[test]
fn ip_filter_refuses_with_html_before_authentication() {
    let (_sb, t, _token) = start();
    inject(&t, json!({"kind": "ip_filter", "count": 2}));
    let r = t.http.get(&t.url(LIST), &[]);
    assert_eq!(
        r.status, 403,
        "refused before the missing credentials are noticed"
    );
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(
        serde_json::from_str::<Value>(&r.body).is_err(),
        "not the JSON envelope"
    );
    let token_req = t.token_request(&t.password_form());
    assert_eq!(
        token_req.status, 403,
        "the token endpoint is behind the same filter"
    );
}

#[test]
fn cross_scope_fault_fails_the_token_endpoint_with_the_oauth_entity_message() {
    let (_sb, t, token) = start();
    inject(&t, json!({"kind": "cross_scope"}));
    assert_eq!(
        t.api("GET", LIST, &token, None).status,
        200,
        "the Table API is not concerned"
    );
    let r = t.token_request(&t.password_form());
    assert_eq!(r.status, 401);
    let msg = r.json()["error_description"].as_str().unwrap().to_string();
    assert!(
        msg.starts_with("Read operation against 'oauth_entity' from scope '"),
        "{msg}"
    );
    assert!(
        msg.ends_with("has been refused due to the table's cross-scope access policy"),
        "{msg}"
    );
    assert_eq!(t.token_request(&t.password_form()).status, 200);
}

#[test]
fn delay_fault_delays_then_answers() {
    let (_sb, t, token) = start();
    inject(&t, json!({"kind": "delay", "delay_ms": 400}));
    let started = Instant::now();
    assert_eq!(t.api("GET", LIST, &token, None).status, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    let started = Instant::now();
    t.api("GET", LIST, &token, None);
    assert!(started.elapsed() < Duration::from_millis(400));
}

/// Like a real instance, which finishes what it has read whether or not anyone waits for the
/// answer: a create held by a delay commits after the client gave up (the duplicate a client's
/// too early lookup would make, issue 7).
#[test]
fn a_create_held_by_a_delay_commits_after_the_client_gave_up() {
    let (_sb, t, token) = start();
    inject(
        &t,
        json!({"kind": "delay", "delay_ms": 1_500, "method": "POST", "path_prefix": "/api/now/table/incident"}),
    );
    let marker = common::run_id("late");
    let committed = || incidents_with(&t, "correlation_id", &marker);
    let body = json!({"short_description": "committed late", "correlation_id": marker});
    let result = create_giving_up_after(&t, &token, &body, 300);
    assert!(result.is_err(), "the client gives up first: {result:?}");
    assert_eq!(committed(), 0, "still held when the client gave up");
    let deadline = Instant::now() + Duration::from_secs(10);
    while committed() == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(committed(), 1, "committed once the delay was over");
    let log = t.http.get(&t.url("/sandbox/requests"), &[]).result();
    let create = log
        .as_array()
        .and_then(|l| {
            l.iter()
                .rev()
                .find(|e| e["method"] == json!("POST"))
                .cloned()
        })
        .unwrap_or_default();
    assert_eq!(
        (create["status"].clone(), create["fault"].clone()),
        (json!(201), json!("delay"))
    );
}

/// A create still held when the sandbox is reset belonged to the test before: it neither
/// commits nor shows in the next test's log.
#[test]
fn a_create_held_across_a_reset_neither_commits_nor_is_logged() {
    let (_sb, t, token) = start();
    inject(
        &t,
        json!({"kind": "delay", "delay_ms": 1_000, "method": "POST", "path_prefix": "/api/now/table/incident"}),
    );
    let body = json!({"short_description": "held across a reset"});
    let result = create_giving_up_after(&t, &token, &body, 200);
    assert!(result.is_err(), "the client gives up first: {result:?}");
    let reset = t.http.post_json(&t.url("/sandbox/reset"), &json!({}));
    assert_eq!(reset.status, 200, "{}", reset.body);
    std::thread::sleep(Duration::from_millis(1_500));
    let log = t.http.get(&t.url("/sandbox/requests"), &[]).result();
    assert_eq!(log, json!([]), "nothing logged after the reset");
    assert_eq!(
        incidents_with(&t, "short_description", "held across a reset"),
        0
    );
}

#[test]
fn slow_answer_reads_on_arrival_and_answers_late() {
    let (_sb, t, token) = start();
    let marker = common::run_id("slow");
    let query = format!("/api/now/table/incident?sysparm_query=correlation_id={marker}");
    inject(
        &t,
        json!({"kind": "slow_answer", "delay_ms": 800, "method": "GET"}),
    );
    let started = Instant::now();
    let late = std::thread::scope(|scope| {
        let read = scope.spawn(|| t.api("GET", &query, &token, None));
        // Created while the read is on its way back: not in what it read.
        std::thread::sleep(Duration::from_millis(300));
        let body = json!({"short_description": "after the read", "correlation_id": marker});
        assert_eq!(
            t.api("POST", "/api/now/table/incident", &token, Some(&body))
                .status,
            201
        );
        read.join().expect("the read's thread")
    });
    assert!(started.elapsed() >= Duration::from_millis(800));
    assert_eq!(late.status, 200);
    assert_eq!(
        late.result(),
        json!([]),
        "the answer is what was there on arrival"
    );
    assert_eq!(
        t.api("GET", &query, &token, None)
            .result()
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[test]
fn drop_after_commit_stores_the_record_and_answers_nothing() {
    let (_sb, t, token) = start();
    inject(
        &t,
        json!({"kind": "drop_after_commit", "method": "POST", "path_prefix": "/api/now/table/incident"}),
    );
    let marker = common::run_id("drop");
    let auth = format!("Bearer {token}");
    let body = json!({"short_description": "committed, never answered", "correlation_id": marker})
        .to_string();
    let result = t.http.try_send(
        "POST",
        &t.url("/api/now/table/incident"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(&body),
    );
    assert!(
        result.is_err(),
        "the client must see the connection close without an answer: {result:?}"
    );
    assert_eq!(
        incidents_with(&t, "correlation_id", &marker),
        1,
        "the write was committed"
    );
    let log = t.http.get(&t.url("/sandbox/requests"), &[]).result();
    let entry = log
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .find(|e| e["method"] == json!("POST"))
        .unwrap()
        .clone();
    assert_eq!(entry["fault"], json!("drop_after_commit"));
    assert_eq!(
        t.api(
            "POST",
            "/api/now/table/incident",
            &token,
            Some(&json!({"short_description": "answered"}))
        )
        .status,
        201
    );
}

#[test]
fn faults_are_listed_and_cleared() {
    let (_sb, t, token) = start();
    inject(&t, json!({"kind": "status", "status": 503, "count": 5}));
    inject(
        &t,
        json!({"kind": "delay", "delay_ms": 10, "path_prefix": "/oauth_token.do"}),
    );
    let listed = t.http.get(&t.url("/sandbox/faults"), &[]).result();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[0]["kind"], json!("status"));
    assert_eq!(listed[0]["count"], json!(5));
    t.api("GET", LIST, &token, None);
    assert_eq!(
        t.http.get(&t.url("/sandbox/faults"), &[]).result()[0]["count"],
        json!(4),
        "count goes down as it hits"
    );
    assert_eq!(
        t.http
            .send("DELETE", &t.url("/sandbox/faults"), &[], None)
            .status,
        204
    );
    assert_eq!(
        t.http.get(&t.url("/sandbox/faults"), &[]).result(),
        json!([])
    );
    assert_eq!(t.api("GET", LIST, &token, None).status, 200);
}

#[test]
fn bad_fault_specs_are_refused() {
    let (_sb, t, _token) = start();
    for bad in [
        json!({"kind": "meteor"}),
        json!({"kind": "status"}),
        json!({"kind": "status", "status": 200}),
        json!({"kind": "delay"}),
        json!({"kind": "status", "status": 500, "count": 0}),
    ] {
        let r = t.http.post_json(&t.url("/sandbox/faults"), &bad);
        assert_eq!(r.status, 400, "{bad}");
    }
}

#[test]
fn faults_never_hit_the_sandbox_admin_paths() {
    let (_sb, t, _token) = start();
    inject(&t, json!({"kind": "status", "status": 503, "count": 3}));
    assert_eq!(t.http.get(&t.url("/sandbox/health"), &[]).status, 200);
    assert_eq!(
        t.http.get(&t.url("/sandbox/faults"), &[]).result()[0]["count"],
        json!(3)
    );
}

#[test]
fn rewrite_fault_puts_a_broken_server_text_into_the_next_answer() {
    let (_sb, t, token) = start();
    let seeded = t.http.post_json(
        &t.url("/sandbox/seed"),
        &json!({"table": "incident", "count": 1, "fields": {"short_description": "LONE-SURROGATE"}}),
    );
    assert_eq!(seeded.status, 200, "{}", seeded.body);
    inject(
        &t,
        json!({"kind": "rewrite", "from": "LONE-SURROGATE", "to": "a\\ud800b", "path_prefix": "/api/now/table/incident"}),
    );
    let q = "/api/now/table/incident?sysparm_query=short_descriptionSTARTSWITHLONE&sysparm_fields=short_description";
    let r = t.api("GET", q, &token, None);
    assert_eq!(r.status, 200);
    assert!(r.body.contains(r#""a\ud800b""#), "{}", r.body);
    // Written as a broken server would: strict JSON readers refuse it.
    assert!(serde_json::from_str::<Value>(&r.body).is_err());
    // One request only.
    assert!(t
        .api("GET", q, &token, None)
        .body
        .contains("LONE-SURROGATE"));
    // `{pad}`: an answer larger than any request could carry.
    inject(
        &t,
        json!({"kind": "rewrite", "from": "\"result\"", "to": "\"p\":\"{pad}\",\"result\"", "pad": 9_000_000, "path_prefix": "/api/now/table/incident"}),
    );
    let big = t.api("GET", q, &token, None);
    assert!(big.body.len() > 9_000_000 && big.json()["result"].is_array());
    let bad = t.http.post_json(
        &t.url("/sandbox/faults"),
        &json!({"kind": "rewrite", "to": "x"}),
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
}
