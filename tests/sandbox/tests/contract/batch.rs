//! The Batch API (`POST /api/now/v1/batch`): several REST requests in one HTTP call, each
//! answered as the outer request's user, with the documented request and answer shapes, and
//! the switch that removes or forbids it.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use sn_sandbox::{Config, Sandbox, PERSONAL_USER};

use crate::common::{self, assert_envelope, Target};

fn start() -> (Sandbox, Target) {
    let sb = common::sandbox();
    let t = Target::sandbox(sb.url());
    (sb, t)
}

fn item(id: &str, method: &str, url: &str, body: Option<&Value>) -> Value {
    let mut v = json!({
        "id": id,
        "method": method,
        "url": url,
        "headers": [
            {"name": "Accept", "value": "application/json"},
            {"name": "Content-Type", "value": "application/json"},
        ],
    });
    if let Some(b) = body {
        v["body"] = json!(STANDARD.encode(b.to_string()));
    }
    v
}

/// A sandbox with `fault` queued, and an access token.
fn with_fault(fault: Value) -> (Sandbox, Target, String) {
    let (sb, t) = start();
    let token = t.access_token();
    let f = t.http.post_json(&t.url("/sandbox/faults"), &fault);
    assert_eq!(f.status, 201, "{}", f.body);
    (sb, t, token)
}

/// A GET item without a body.
fn get(id: &str, url: &str) -> Value {
    item(id, "GET", url, None)
}

fn batch(t: &Target, token: &str, items: Vec<Value>) -> common::Resp {
    t.api(
        "POST",
        "/api/now/v1/batch",
        token,
        Some(&json!({"batch_request_id": "refresh-1", "rest_requests": items})),
    )
}

fn body_of(serviced: &Value) -> Value {
    let raw = STANDARD.decode(serviced["body"].as_str().unwrap()).unwrap();
    serde_json::from_slice(&raw).unwrap()
}

/// The status codes of the serviced requests, in order.
fn codes_of(serviced: &[Value]) -> Vec<u64> {
    serviced
        .iter()
        .map(|s| s["status_code"].as_u64().unwrap())
        .collect()
}

fn log(t: &Target) -> Vec<Value> {
    t.http
        .get(&t.url("/sandbox/requests"), &[])
        .result()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn one_call_carries_table_stats_and_insert_requests() {
    let (_sb, t) = start();
    let token = t.access_token();
    t.http
        .send("DELETE", &t.url("/sandbox/requests"), &[], None);
    let mut quiet = item(
        "3",
        "POST",
        "/api/now/table/incident?sysparm_fields=number,priority",
        Some(&json!({"short_description": "from a batch", "impact": "1", "urgency": "2"})),
    );
    quiet["exclude_response_headers"] = json!(true);
    let r = batch(
        &t,
        &token,
        vec![
            item(
                "1",
                "GET",
                "/api/now/table/change_request?sysparm_fields=number,state&sysparm_display_value=all&sysparm_limit=2&sysparm_query=ORDERBYnumber",
                None,
            ),
            item(
                "2",
                "GET",
                "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state",
                None,
            ),
            quiet,
        ],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["batch_request_id"], json!("refresh-1"));
    assert_eq!(v["unserviced_requests"], json!([]));
    let serviced = v["serviced_requests"].as_array().unwrap();
    let ids: Vec<&str> = serviced.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    let codes = codes_of(serviced);
    assert_eq!(codes, [200, 200, 201]);
    assert_eq!(serviced[2]["status_text"], json!("Created"));
    for s in serviced {
        assert!(s["execution_time"].is_u64(), "{s}");
    }
    assert_eq!(
        body_of(&serviced[0])["result"][0]["state"],
        json!({"display_value": "New", "value": "-5"})
    );
    let headers = serviced[0]["headers"].as_array().unwrap();
    assert!(
        headers.iter().any(|h| h["name"] == json!("X-Total-Count")),
        "{headers:?}"
    );
    assert!(body_of(&serviced[1])["result"].as_array().unwrap().len() >= 4);
    assert_eq!(
        serviced[2]["headers"],
        json!([]),
        "exclude_response_headers"
    );
    let created = body_of(&serviced[2])["result"].clone();
    assert_eq!(created["priority"], json!("2"));
    // One HTTP request in the log, the batch, which lists what it carried.
    let entries = log(&t);
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0]["path"], json!("/api/now/v1/batch"));
    assert_eq!(entries[0]["user"], json!("snshare.integration"));
    let carried: Vec<(String, String, u64)> = entries[0]["batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["method"].as_str().unwrap().to_string(),
                b["path"].as_str().unwrap().to_string(),
                b["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        carried,
        [
            ("GET".into(), "/api/now/table/change_request".into(), 200),
            ("GET".into(), "/api/now/stats/incident".into(), 200),
            ("POST".into(), "/api/now/table/incident".into(), 201),
        ]
    );
}

#[test]
fn each_request_runs_as_the_outer_user_with_its_acls() {
    let (_sb, t) = start();
    t.set_user_fields(PERSONAL_USER.0, json!({"roles": "sn_change_read"}));
    let abel = t.as_user(PERSONAL_USER);
    let token = abel.access_token();
    let mut spoofed = item("mine", "GET", "/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()&sysparm_fields=user_name", None);
    spoofed["headers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "Authorization", "value": "Basic YWRtaW46QWRtaW4jMQ=="}));
    let r = batch(
        &abel,
        &token,
        vec![
            item(
                "inc",
                "GET",
                "/api/now/stats/incident?sysparm_count=true",
                None,
            ),
            item(
                "chg",
                "GET",
                "/api/now/stats/change_request?sysparm_count=true",
                None,
            ),
            spoofed,
            item(
                "roles",
                "GET",
                "/api/now/table/sys_user_has_role?sysparm_fields=role.name",
                None,
            ),
        ],
    );
    let serviced = r.json()["serviced_requests"].as_array().unwrap().clone();
    let codes = codes_of(&serviced);
    assert_eq!(codes, [403, 200, 200, 200]);
    assert_eq!(
        body_of(&serviced[0])["error"]["message"],
        json!("Insufficient rights to query records")
    );
    assert_eq!(
        body_of(&serviced[2])["result"],
        json!([{"user_name": "abel.tuter"}]),
        "an Authorization inside the batch is ignored"
    );
    assert_eq!(body_of(&serviced[3])["result"], json!([]));
}

#[test]
fn it_needs_credentials_and_the_switch_forbids_or_removes_it() {
    let (_sb, t) = start();
    let anonymous = t.http.send(
        "POST",
        &t.url("/api/now/v1/batch"),
        &[
            ("Content-Type", "application/json"),
            ("Accept", "application/json"),
        ],
        Some(r#"{"rest_requests":[]}"#),
    );
    assert_envelope(&anonymous, 401, "User Not Authenticated");
    let token = t.access_token();
    let one = || {
        batch(
            &t,
            &token,
            vec![item(
                "1",
                "GET",
                "/api/now/table/incident?sysparm_limit=1",
                None,
            )],
        )
    };
    assert_eq!(one().status, 200);
    t.configure(json!({"batch_api": "forbidden"}));
    let r = one();
    assert_envelope(&r, 403, "User Not Authorized");
    assert_eq!(
        r.json()["error"]["detail"],
        json!("Failed API level ACL Validation")
    );
    t.configure(json!({"batch_api": "off"}));
    assert_envelope(&one(), 400, "Requested URI does not represent any resource");
    // A REST API access policy that admits other authentication types: 401 to the token the
    // Table API still takes.
    t.configure(json!({"batch_api": "unauthenticated"}));
    assert_envelope(&one(), 401, "User Not Authenticated");
    let table = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        &token,
        None,
    );
    assert_eq!(table.status, 200, "{}", table.body);
    t.http.post_json(&t.url("/sandbox/reset"), &json!({}));
    let token = t.access_token();
    let r = batch(&t, &token, vec![]);
    assert_eq!(r.status, 200, "a reset turns it back on: {}", r.body);
    assert_eq!(r.json()["serviced_requests"], json!([]));
    // Switched off from the start.
    let off = common::sandbox_with(Config {
        batch_api: sn_sandbox::ApiAccess::Off,
        ..Config::default()
    });
    let o = Target::sandbox(off.url());
    let r = batch(&o, &o.access_token(), vec![]);
    assert_envelope(&r, 400, "Requested URI does not represent any resource");
}

#[test]
fn a_batch_counts_once_against_the_rate_limit() {
    let (_sb, t) = start();
    let token = t.access_token();
    t.configure(json!({"rate_limit_per_hour": 2}));
    let items: Vec<Value> = (0..5)
        .map(|i| {
            item(
                &i.to_string(),
                "GET",
                "/api/now/table/incident?sysparm_limit=1",
                None,
            )
        })
        .collect();
    let r = batch(&t, &token, items);
    assert_eq!(r.status, 200);
    assert!(r.json()["serviced_requests"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status_code"] == json!(200)));
    assert_eq!(
        t.api(
            "GET",
            "/api/now/table/incident?sysparm_limit=1",
            &token,
            None
        )
        .status,
        200
    );
    assert_eq!(batch(&t, &token, vec![]).status, 429);
}

#[test]
fn malformed_batches_and_items_are_refused() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = t.api(
        "POST",
        "/api/now/v1/batch",
        &token,
        Some(&json!({"batch_request_id": "x"})),
    );
    assert_envelope(&r, 400, "Exception while reading request");
    let bad_body = json!({"id": "b", "method": "POST", "url": "/api/now/table/incident", "headers": [{"name": "Content-Type", "value": "application/json"}], "body": "%%% not base64"});
    let nested = item(
        "n",
        "POST",
        "/api/now/v1/batch",
        Some(&json!({"rest_requests": []})),
    );
    let no_type = json!({"id": "t", "method": "POST", "url": "/api/now/table/incident", "body": STANDARD.encode(r#"{"short_description":"x"}"#)});
    let unknown = item("u", "GET", "/api/now/no_such_api", None);
    let r = batch(&t, &token, vec![bad_body, nested, no_type, unknown]);
    let codes = codes_of(r.json()["serviced_requests"].as_array().unwrap());
    assert_eq!(codes, [400, 400, 400, 400], "{}", r.body);
    // Nothing was created by the refused inserts.
    let mine: Vec<Value> = t
        .records("incident")
        .into_iter()
        .filter(|r| r["sys_created_by"] == json!("snshare.integration"))
        .collect();
    assert!(mine.is_empty(), "{mine:?}");
}

#[test]
fn a_status_fault_answers_the_matching_request_inside_a_batch() {
    let (_sb, t, token) =
        with_fault(json!({"kind": "status", "status": 500, "path_prefix": "/api/now/stats/"}));
    let r = batch(
        &t,
        &token,
        vec![
            get("list", "/api/now/table/incident?sysparm_limit=1"),
            get("count", "/api/now/stats/incident?sysparm_count=true"),
            get("again", "/api/now/stats/incident?sysparm_count=true"),
        ],
    );
    assert_eq!(r.status, 200, "the batch itself answers: {}", r.body);
    let codes = codes_of(r.json()["serviced_requests"].as_array().unwrap());
    assert_eq!(codes, [200, 500, 200], "the fault hits one request");
    let entry = log(&t).into_iter().last().unwrap();
    assert_eq!(entry["fault"], Value::Null);
    assert_eq!(entry["batch"][1]["fault"], json!("status"));
}

#[test]
fn an_unserviced_fault_stops_the_batch_at_its_request() {
    let (_sb, t, token) =
        with_fault(json!({"kind": "unserviced", "path_prefix": "/api/now/stats/"}));
    // On its own, a matching request does not take the fault.
    let alone = t.api(
        "GET",
        "/api/now/stats/incident?sysparm_count=true",
        &token,
        None,
    );
    assert_eq!(alone.status, 200, "{}", alone.body);
    let r = batch(
        &t,
        &token,
        vec![
            get("list", "/api/now/table/incident?sysparm_limit=1"),
            get("count", "/api/now/stats/incident?sysparm_count=true"),
            get("later", "/api/now/table/change_request?sysparm_limit=1"),
        ],
    );
    assert_eq!(r.status, 200, "the batch itself answers: {}", r.body);
    let serviced = r.json()["serviced_requests"].as_array().unwrap().clone();
    assert_eq!(codes_of(&serviced), [200]);
    assert_eq!(serviced[0]["id"], json!("list"));
    assert_eq!(r.json()["unserviced_requests"], json!(["count", "later"]));
    let entry = log(&t).into_iter().last().unwrap();
    let faults: Vec<Value> = entry["batch"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["fault"].clone())
        .collect();
    assert_eq!(
        faults,
        [Value::Null, json!("unserviced"), json!("unserviced")]
    );
    // Taken once: the next batch is served whole.
    let again = batch(
        &t,
        &token,
        vec![get("count", "/api/now/stats/incident?sysparm_count=true")],
    );
    assert_eq!(again.json()["unserviced_requests"], json!([]));
}
