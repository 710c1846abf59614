//! The Aggregate API (`GET /api/now/stats/{table}`): exact counts per state in one call, with
//! the documented answer shapes and the table's read ACLs.

use std::time::Instant;

use serde_json::{json, Value};
use sn_sandbox::{Sandbox, ADMIN_USER, PERSONAL_USER};

use crate::common::{self, assert_envelope, Target};

fn start() -> (Sandbox, Target) {
    let sb = common::sandbox_with(sn_sandbox::Config {
        seed: false,
        ..Default::default()
    });
    let t = Target::sandbox(sb.url());
    (sb, t)
}

fn seed(t: &Target, body: Value) -> Value {
    let r = t.http.post_json(&t.url("/sandbox/seed"), &body);
    assert_eq!(r.status, 200, "{}", r.body);
    r.result()
}

fn stats(t: &Target, token: &str, path: &str) -> common::Resp {
    t.api("GET", path, token, None)
}

#[test]
fn counts_per_state_in_one_call_with_the_documented_shape() {
    let (_sb, t) = start();
    seed(
        &t,
        json!({"table": "incident", "count": 7, "correlation_prefix": "snshare:", "cycle": {"state": ["1", "2", "2", "7", "1", "1", "3"]}}),
    );
    seed(
        &t,
        json!({"table": "incident", "count": 4, "correlation_prefix": "other:"}),
    );
    let token = t.access_token();
    let r = stats(
        &t,
        &token,
        "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state&sysparm_query=correlation_idSTARTSWITHsnshare:",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(
        r.json(),
        json!({"result": [
            {"stats": {"count": "3"}, "groupby_fields": [{"field": "state", "value": "1"}]},
            {"stats": {"count": "2"}, "groupby_fields": [{"field": "state", "value": "2"}]},
            {"stats": {"count": "1"}, "groupby_fields": [{"field": "state", "value": "3"}]},
            {"stats": {"count": "1"}, "groupby_fields": [{"field": "state", "value": "7"}]},
        ]})
    );
    // Without a group: one object, not a list.
    let r = stats(&t, &token, "/api/now/v1/stats/incident?sysparm_count=true");
    assert_eq!(r.json(), json!({"result": {"stats": {"count": "11"}}}));
    // Nothing matched: no groups; no aggregate asked: empty stats.
    let r = stats(
        &t,
        &token,
        "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state&sysparm_query=correlation_id=none",
    );
    assert_eq!(r.json(), json!({"result": []}));
    let r = stats(&t, &token, "/api/now/stats/incident");
    assert_eq!(r.json(), json!({"result": {"stats": {}}}));
}

#[test]
fn counts_are_exact_with_thousands_of_records_of_one_kind() {
    let (_sb, t) = start();
    let started = Instant::now();
    seed(
        &t,
        json!({"table": "change_request", "count": 6000, "correlation_prefix": "snshare:", "cycle": {"state": ["-5", "-4", "-1", "3", "4", "0"]}}),
    );
    let seeded = started.elapsed();
    let token = t.access_token();
    let started = Instant::now();
    let r = stats(
        &t,
        &token,
        "/api/now/stats/change_request?sysparm_count=true&sysparm_group_by=state&sysparm_query=correlation_idSTARTSWITHsnshare:",
    );
    let counted = started.elapsed();
    let groups = r.result();
    let counts: Vec<(String, String)> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["groupby_fields"][0]["value"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                g["stats"]["count"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = ["-5", "-4", "-1", "0", "3", "4"]
        .iter()
        .map(|s| (s.to_string(), "1000".to_string()))
        .collect();
    assert_eq!(counts, expected, "numeric order of the group values");
    eprintln!("seeding 6000 change requests: {seeded:?}; one grouped count: {counted:?}");
    // The Table API's default page is 10000 rows; the count does not depend on paging at all.
    let r = stats(
        &t,
        &token,
        "/api/now/stats/change_request?sysparm_count=true&sysparm_query=state=-5^ORstate=3",
    );
    assert_eq!(r.result()["stats"]["count"], json!("2000"));
}

#[test]
fn display_values_name_value_pairs_and_other_aggregates() {
    let (_sb, t) = start();
    seed(
        &t,
        json!({"table": "incident", "count": 4, "cycle": {"state": ["1", "7"], "impact": ["1", "3"], "urgency": ["2", "2", "3", "3"]}}),
    );
    let token = t.access_token();
    let r = stats(
        &t,
        &token,
        "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state&sysparm_display_value=true",
    );
    assert_eq!(
        r.result(),
        json!([
            {"stats": {"count": "2"}, "groupby_fields": [{"field": "state", "value": "New"}]},
            {"stats": {"count": "2"}, "groupby_fields": [{"field": "state", "value": "Closed"}]},
        ])
    );
    let r = stats(
        &t,
        &token,
        "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state&sysparm_display_value=all",
    );
    assert_eq!(
        r.result()[1]["groupby_fields"],
        json!([{"field": "state", "value": "7", "display_value": "Closed"}])
    );
    // `&state=Closed` (a label) and `&state=7` filter like sysparm_query=state=7.
    for pair in ["state=Closed", "state=7"] {
        let r = stats(
            &t,
            &token,
            &format!("/api/now/stats/incident?sysparm_count=true&{pair}"),
        );
        assert_eq!(r.result(), json!({"stats": {"count": "2"}}), "{pair}");
    }
    let r = stats(
        &t,
        &token,
        "/api/now/stats/incident?sysparm_count=true&sysparm_min_fields=priority&sysparm_max_fields=priority&sysparm_avg_fields=urgency&sysparm_sum_fields=impact",
    );
    // impact 1,3,1,3 × urgency 2,2,3,3: priorities 2,4,3,5
    assert_eq!(
        r.result(),
        json!({"stats": {"count": "4", "min": {"priority": "2"}, "max": {"priority": "5"}, "avg": {"urgency": "2.5000"}, "sum": {"impact": "8"}}})
    );
    // sysparm_order_by: by count, then by the state, descending.
    seed(
        &t,
        json!({"table": "incident", "count": 1, "fields": {"state": "2"}}),
    );
    let order = |spec: &str| -> Vec<String> {
        stats(
            &t,
            &token,
            &format!("/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state&sysparm_order_by={spec}"),
        )
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["groupby_fields"][0]["value"].as_str().unwrap().to_string())
        .collect()
    };
    assert_eq!(order("state%5EDESC"), ["7", "2", "1"]);
    assert_eq!(order("COUNT,state%5EDESC"), ["2", "7", "1"]);
    assert_eq!(order("COUNT%5EDESC,state"), ["1", "7", "2"]);
    // Average urgency: state 2 has 3 (the default), states 1 and 7 have 2.5 and keep their order.
    assert_eq!(order("AVG%5Eurgency%5EDESC"), ["2", "1", "7"]);
    let r = stats(
        &t,
        &token,
        "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state,impact&sysparm_query=state!=2",
    );
    assert_eq!(
        r.result()[0],
        json!({"stats": {"count": "2"}, "groupby_fields": [{"field": "state", "value": "1"}, {"field": "impact", "value": "1"}]})
    );
}

#[test]
fn it_needs_read_access_to_every_record_of_the_table() {
    let (_sb, t) = start();
    let token = t.access_token();
    for table in ["sys_choice", "sys_user_has_role"] {
        let r = stats(
            &t,
            &token,
            &format!("/api/now/stats/{table}?sysparm_count=true"),
        );
        assert_envelope(&r, 403, "Insufficient rights to query records");
    }
    let admin = t.as_user(ADMIN_USER);
    let r = stats(
        &admin,
        &admin.access_token(),
        "/api/now/stats/sys_user_has_role?sysparm_count=true",
    );
    assert_eq!(r.result(), json!({"stats": {"count": "6"}}));
    t.set_user_fields(PERSONAL_USER.0, json!({"roles": "sn_change_read"}));
    let abel = t.as_user(PERSONAL_USER);
    let abel_token = abel.access_token();
    let r = stats(
        &abel,
        &abel_token,
        "/api/now/stats/incident?sysparm_count=true",
    );
    assert_envelope(&r, 403, "Insufficient rights to query records");
    let r = stats(
        &abel,
        &abel_token,
        "/api/now/stats/change_request?sysparm_count=true",
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn errors_use_the_envelope_and_requests_are_logged() {
    let (_sb, t) = start();
    let r = t.http.get(
        &t.url("/api/now/stats/incident?sysparm_count=true"),
        &[("Accept", "application/json")],
    );
    assert_envelope(&r, 401, "User Not Authenticated");
    let token = t.access_token();
    assert_envelope(
        &stats(
            &t,
            &token,
            "/api/now/stats/no_such_table?sysparm_count=true",
        ),
        400,
        "Invalid table no_such_table",
    );
    let post = t.api("POST", "/api/now/stats/incident", &token, Some(&json!({})));
    assert_envelope(&post, 405, "Method not Supported");
    let log = t.http.get(&t.url("/sandbox/requests"), &[]).result();
    let paths: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["path"].as_str())
        .filter(|p| p.starts_with("/api/now/stats/"))
        .collect();
    assert_eq!(
        paths,
        [
            "/api/now/stats/incident",
            "/api/now/stats/no_such_table",
            "/api/now/stats/incident"
        ]
    );
}
