//! Table API behaviour only the sandbox can be asked to show on demand: seeded numbering, ACLs
//! per role, the data policy, rate limits, and the finer points of reading and writing.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sn_sandbox::{seed_sys_id, Config, Sandbox, ADMIN_USER, PERSONAL_USER};

use crate::common::{self, assert_all_strings, assert_envelope, is_sys_id, Target};

fn start() -> (Sandbox, Target) {
    let sb = common::sandbox();
    let t = Target::sandbox(sb.url());
    (sb, t)
}

fn as_user(t: &Target, user: (&str, &str)) -> Target {
    let mut other = Target::sandbox(&t.base);
    other.user = user.0.into();
    other.password = user.1.into();
    other
}

#[test]
fn seeded_numbers_start_at_inc0010001_and_chg0030001_and_continue() {
    let (_sb, t) = start();
    let token = t.access_token();
    let first = t.api(
        "GET",
        "/api/now/table/incident?sysparm_query=ORDERBYnumber&sysparm_limit=1&sysparm_fields=number",
        &token,
        None,
    );
    assert_eq!(first.result(), json!([{"number": "INC0010001"}]));
    let total: usize = first.header("x-total-count").unwrap().parse().unwrap();
    let chg = t.api("GET", "/api/now/table/change_request?sysparm_query=ORDERBYnumber&sysparm_limit=1&sysparm_fields=number", &token, None);
    assert_eq!(chg.result(), json!([{"number": "CHG0030001"}]));
    let a = t.create_incident(&token, json!({"short_description": "next number"}));
    let b = t.create_incident(&token, json!({"short_description": "and the one after"}));
    assert_eq!(a["number"], json!(format!("INC{:07}", 10001 + total)));
    assert_eq!(b["number"], json!(format!("INC{:07}", 10002 + total)));
}

#[test]
fn seeded_records_cover_several_states_groups_and_choice_lists() {
    let (_sb, t) = start();
    let token = t.access_token();
    let states = |table: &str| -> Vec<String> {
        let mut v: Vec<String> = t
            .api(
                "GET",
                &format!("/api/now/table/{table}?sysparm_fields=state"),
                &token,
                None,
            )
            .result()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["state"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    assert!(states("incident").len() >= 4, "{:?}", states("incident"));
    assert!(
        states("change_request").len() >= 4,
        "{:?}",
        states("change_request")
    );
    let groups = t.api(
        "GET",
        "/api/now/table/sys_user_group?sysparm_fields=name",
        &token,
        None,
    );
    assert!(groups.result().as_array().unwrap().len() >= 3);
    let admin = as_user(&t, ADMIN_USER);
    let chg_states = admin.api(
        "GET",
        "/api/now/table/sys_choice?sysparm_query=name=change_request^element=state^language=en^inactive=false^ORDERBYsequence&sysparm_fields=value,label",
        &admin.access_token(),
        None,
    );
    let labels: Vec<(String, String)> = chg_states
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["value"].as_str().unwrap().into(),
                c["label"].as_str().unwrap().into(),
            )
        })
        .collect();
    let expected = [
        ("-5", "New"),
        ("-4", "Assess"),
        ("-3", "Authorize"),
        ("-2", "Scheduled"),
        ("-1", "Implement"),
        ("0", "Review"),
        ("3", "Closed"),
        ("4", "Canceled"),
    ];
    assert_eq!(
        labels,
        expected.map(|(v, l)| (v.to_string(), l.to_string()))
    );
}

#[test]
fn itil_creates_incidents_and_change_requests_and_without_it_a_user_cannot() {
    let (_sb, t) = start();
    let abel = as_user(&t, PERSONAL_USER);
    let token = abel.access_token();
    for table in ["incident", "change_request"] {
        let r = abel.api(
            "POST",
            &format!("/api/now/table/{table}"),
            &token,
            Some(&json!({"short_description": "mine"})),
        );
        assert_eq!(r.status, 201, "itil creates {table}: {}", r.body);
    }
    // Only the ITSM roles plugin's read role: may read change requests, not create them.
    t.set_user_fields("abel.tuter", json!({"roles": "sn_change_read"}));
    let r = abel.api(
        "POST",
        "/api/now/table/change_request",
        &token,
        Some(&json!({"short_description": "not allowed"})),
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json(),
        json!({"error": {"message": "Operation Failed", "detail": "ACL Exception Insert Failed due to security constraints"}, "status": "failure"})
    );
    let existing = seed_sys_id("change_request", "0");
    let read = abel.api(
        "GET",
        &format!("/api/now/table/change_request/{existing}"),
        &token,
        None,
    );
    assert_eq!(read.status, 200, "sn_change_read reads change requests");
    let patch = abel.api(
        "PATCH",
        &format!("/api/now/table/change_request/{existing}"),
        &token,
        Some(&json!({"state": "-4"})),
    );
    assert_eq!(patch.status, 403);
    assert_eq!(
        patch.json()["error"]["detail"],
        json!("ACL Exception Update Failed due to security constraints")
    );
    // sn_change_write alone creates change requests.
    t.set_user_fields("abel.tuter", json!({"roles": "sn_change_write"}));
    let r = abel.api(
        "POST",
        "/api/now/table/change_request",
        &token,
        Some(&json!({"short_description": "allowed"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let user = abel.api(
        "PATCH",
        &format!(
            "/api/now/table/sys_user/{}",
            seed_sys_id("sys_user", "abel.tuter")
        ),
        &token,
        Some(&json!({"title": "Boss"})),
    );
    assert_eq!(user.status, 403, "only admin writes sys_user");
}

#[test]
fn only_admin_deletes_and_delete_answers_204() {
    let (_sb, t) = start();
    let token = t.access_token();
    let rec = t.create_incident(&token, json!({"short_description": "to delete"}));
    let path = format!(
        "/api/now/table/incident/{}",
        rec["sys_id"].as_str().unwrap()
    );
    let denied = t.api("DELETE", &path, &token, None);
    assert_eq!(denied.status, 403);
    assert_eq!(
        denied.json()["error"]["detail"],
        json!("ACL Exception Delete Failed due to security constraints")
    );
    let admin = as_user(&t, ADMIN_USER);
    let admin_token = admin.access_token();
    let r = admin.api("DELETE", &path, &admin_token, None);
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert_envelope(
        &admin.api("GET", &path, &admin_token, None),
        404,
        "No Record found",
    );
    assert_envelope(
        &admin.api("DELETE", &path, &admin_token, None),
        404,
        "No Record found",
    );
}

#[test]
fn short_description_over_160_characters_is_refused_like_a_data_policy() {
    let (_sb, t) = start();
    let token = t.access_token();
    let ok = "x".repeat(160);
    assert_eq!(
        t.api(
            "POST",
            "/api/now/table/incident",
            &token,
            Some(&json!({"short_description": ok}))
        )
        .status,
        201
    );
    let r = t.api(
        "POST",
        "/api/now/table/incident",
        &token,
        Some(&json!({"short_description": "é".repeat(161)})),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["status"], json!("failure"));
    assert!(r.json()["error"]["detail"]
        .as_str()
        .unwrap()
        .contains("Data Policy"));
    let rec = t.create_incident(&token, json!({"short_description": "fine"}));
    let patch = t.api(
        "PATCH",
        &format!(
            "/api/now/table/incident/{}",
            rec["sys_id"].as_str().unwrap()
        ),
        &token,
        Some(&json!({"short_description": "y".repeat(200)})),
    );
    assert_eq!(patch.status, 400);
    let chg = t.api(
        "POST",
        "/api/now/table/change_request",
        &token,
        Some(&json!({"short_description": "z".repeat(161)})),
    );
    assert_eq!(chg.status, 400);
}

#[test]
fn priority_follows_the_lookup_rules_and_cannot_be_set() {
    let (_sb, t) = start();
    let token = t.access_token();
    let expected = [["1", "2", "3"], ["2", "3", "4"], ["3", "4", "5"]];
    for impact in 1..=3 {
        for urgency in 1..=3 {
            let rec = t.create_incident(
                &token,
                json!({"short_description": "matrix", "impact": impact, "urgency": urgency.to_string(), "priority": "1"}),
            );
            assert_eq!(
                rec["impact"],
                json!(impact.to_string()),
                "numbers are stored as strings"
            );
            assert_eq!(
                rec["priority"],
                json!(expected[impact - 1][urgency - 1]),
                "impact {impact} urgency {urgency}"
            );
        }
    }
}

#[test]
fn unknown_and_system_fields_in_a_body_are_ignored() {
    let (_sb, t) = start();
    let token = t.access_token();
    let rec = t.create_incident(
        &token,
        json!({"short_description": "ignore", "u_not_a_field": "x", "sys_created_by": "mallory", "opened_by": seed_sys_id("sys_user", "admin")}),
    );
    assert!(rec.get("u_not_a_field").is_none());
    assert_eq!(rec["sys_created_by"], json!("snshare.integration"));
    assert_eq!(
        rec["opened_by"]["value"],
        json!(seed_sys_id("sys_user", "snshare.integration"))
    );
    assert_eq!(rec["sys_mod_count"], json!("0"));
}

#[test]
fn references_may_be_given_by_display_value() {
    let (_sb, t) = start();
    let token = t.access_token();
    let rec = t.create_incident(
        &token,
        json!({"short_description": "routed", "assignment_group": "Security Operations"}),
    );
    assert_eq!(
        rec["assignment_group"]["value"],
        json!(seed_sys_id("sys_user_group", "Security Operations"))
    );
    let shown = t.api(
        "GET",
        &format!(
            "/api/now/table/incident/{}?sysparm_display_value=true&sysparm_fields=assignment_group",
            rec["sys_id"].as_str().unwrap()
        ),
        &token,
        None,
    );
    assert_eq!(
        shown.result()["assignment_group"]["display_value"],
        json!("Security Operations")
    );
}

#[test]
fn caller_may_be_set_and_defaults_to_the_token_user() {
    let (_sb, t) = start();
    let token = t.access_token();
    let abel = seed_sys_id("sys_user", "abel.tuter");
    let rec = t.create_incident(
        &token,
        json!({"short_description": "for abel", "caller_id": abel}),
    );
    assert_eq!(rec["caller_id"]["value"], json!(abel));
    assert_eq!(
        rec["opened_by"]["value"],
        json!(seed_sys_id("sys_user", "snshare.integration"))
    );
    let chg = t
        .api(
            "POST",
            "/api/now/table/change_request",
            &token,
            Some(&json!({"short_description": "c"})),
        )
        .result();
    assert_eq!(
        chg["requested_by"]["value"],
        json!(seed_sys_id("sys_user", "snshare.integration"))
    );
    assert_eq!(chg["state"], json!("-5"));
}

#[test]
fn put_updates_like_patch_and_counts_updates() {
    let (_sb, t) = start();
    let token = t.access_token();
    let rec = t.create_incident(&token, json!({"short_description": "before"}));
    let path = format!(
        "/api/now/table/incident/{}",
        rec["sys_id"].as_str().unwrap()
    );
    let r = t.api(
        "PUT",
        &path,
        &token,
        Some(&json!({"short_description": "after", "state": 7})),
    );
    assert_eq!(r.status, 200);
    let v = r.result();
    assert_eq!(v["short_description"], json!("after"));
    assert_eq!(v["state"], json!("7"));
    assert_eq!(v["active"], json!("false"), "a closed incident is inactive");
    assert_eq!(v["sys_mod_count"], json!("1"));
    assert!(!v["closed_at"].as_str().unwrap().is_empty());
    assert_eq!(v["number"], rec["number"]);
}

#[test]
fn wrong_method_and_paths_get_the_envelope() {
    let (_sb, t) = start();
    let token = t.access_token();
    let id = seed_sys_id("incident", "0");
    let r = t.api(
        "POST",
        &format!("/api/now/table/incident/{id}"),
        &token,
        Some(&json!({"short_description": "x"})),
    );
    assert_eq!(r.status, 405);
    assert_eq!(r.json()["status"], json!("failure"));
    let r = t.api(
        "PATCH",
        "/api/now/table/incident/0123456789abcdef0123456789abcdef",
        &token,
        Some(&json!({"state": "2"})),
    );
    assert_envelope(&r, 404, "No Record found");
    let r = t.api("GET", "/api/now/no_such_api", &token, None);
    assert_envelope(&r, 400, "Requested URI does not represent any resource");
}

#[test]
fn invalid_json_body_is_400() {
    let (_sb, t) = start();
    let token = t.access_token();
    let auth = format!("Bearer {token}");
    for body in ["{not json", "[1,2]", ""] {
        let r = t.http.send(
            "POST",
            &t.url("/api/now/table/incident"),
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            Some(body),
        );
        assert_envelope(&r, 400, "Exception while reading request");
    }
}

#[test]
fn basic_authentication_is_accepted_like_on_an_instance() {
    let (_sb, t) = start();
    use base64::Engine;
    let good = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("abel.tuter:Personal#1")
    );
    let bad = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("abel.tuter:nope")
    );
    assert_eq!(
        t.http
            .get(
                &t.url("/api/now/table/incident?sysparm_limit=1"),
                &[("Authorization", &good)]
            )
            .status,
        200
    );
    assert_envelope(
        &t.http.get(
            &t.url("/api/now/table/incident?sysparm_limit=1"),
            &[("Authorization", &bad)],
        ),
        401,
        "User Not Authenticated",
    );
}

#[test]
fn offset_no_count_and_default_limit() {
    let (_sb, t) = start();
    let token = t.access_token();
    let all = t.api(
        "GET",
        "/api/now/table/incident?sysparm_fields=number",
        &token,
        None,
    );
    let total: usize = all.header("x-total-count").unwrap().parse().unwrap();
    assert_eq!(
        all.result().as_array().unwrap().len(),
        total,
        "no sysparm_limit: everything (default 10000)"
    );
    let beyond = t.api(
        "GET",
        &format!("/api/now/table/incident?sysparm_offset={}", total + 5),
        &token,
        None,
    );
    assert_eq!(beyond.result(), json!([]));
    assert_eq!(
        beyond.header("x-total-count"),
        Some(total.to_string().as_str())
    );
    let no_count = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1&sysparm_no_count=true",
        &token,
        None,
    );
    assert!(no_count.header("x-total-count").is_none());
    let page = t.api("GET", "/api/now/table/incident?sysparm_query=ORDERBYnumber&sysparm_limit=2&sysparm_offset=2&sysparm_fields=number", &token, None);
    assert_eq!(
        page.result(),
        json!([{"number": "INC0010003"}, {"number": "INC0010004"}])
    );
}

#[test]
fn dot_walked_queries_and_fields() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/incident?sysparm_query=assignment_group.name=Security%20Operations&sysparm_fields=number,assignment_group.name",
        &token,
        None,
    );
    let rows = r.result();
    assert!(!rows.as_array().unwrap().is_empty());
    for row in rows.as_array().unwrap() {
        assert_eq!(row["assignment_group.name"], json!("Security Operations"));
    }
}

#[test]
fn get_single_record_with_every_field_as_strings() {
    let (_sb, t) = start();
    let token = t.access_token();
    let id = seed_sys_id("incident", "1");
    let r = t.api(
        "GET",
        &format!("/api/now/table/incident/{id}"),
        &token,
        None,
    );
    assert_eq!(r.status, 200);
    let rec = r.result();
    assert_all_strings(&rec);
    assert!(is_sys_id(&rec["sys_id"]));
    for f in [
        "number",
        "short_description",
        "description",
        "state",
        "impact",
        "urgency",
        "priority",
        "category",
        "caller_id",
        "opened_by",
        "assigned_to",
        "assignment_group",
        "due_date",
        "correlation_id",
        "correlation_display",
        "sys_updated_on",
    ] {
        assert!(rec.get(f).is_some(), "{f} missing");
    }
    assert_eq!(
        rec["assigned_to"]["value"],
        json!(seed_sys_id("sys_user", "david.loo"))
    );
    assert_eq!(rec["due_date"], json!(""), "empty fields are empty strings");
    assert!(common::checks::is_glide_datetime(
        rec["sys_updated_on"].as_str().unwrap()
    ));
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
}

#[test]
fn a_shorter_rate_limit_window_resets_sooner() {
    let sb = common::sandbox();
    let t = Target::sandbox(sb.url());
    let cfg = t.http.post_json(
        &t.url("/sandbox/config"),
        &serde_json::json!({"rate_limit_per_hour": 2, "rate_limit_window_secs": 60}),
    );
    assert_eq!(cfg.result()["rate_limit_window_secs"], 60);
    let token = t.access_token();
    let list = "/api/now/table/incident?sysparm_limit=1";
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(t.api("GET", list, &token, None));
    }
    let last = statuses.pop().unwrap();
    // The token request does not count (it is not the REST API). The windows are counted from
    // when the limit was set, so the first is a whole minute and the third request is refused.
    assert_eq!(last.status, 429);
    let retry: u64 = last.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(statuses.iter().all(|r| r.status == 200));
    // Every answer the rule matched says so, like an instance's: limit, reset, rule (and no
    // Remaining, which ServiceNow does not send).
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let resets: Vec<u64> = statuses
        .iter()
        .chain([&last])
        .map(|r| {
            assert_eq!(r.header("x-ratelimit-limit"), Some("2"));
            assert!(r.header("x-ratelimit-rule").is_some_and(|v| !v.is_empty()));
            assert_eq!(r.header("x-ratelimit-remaining"), None);
            r.header("x-ratelimit-reset").unwrap().parse().unwrap()
        })
        .collect();
    assert!(resets.iter().all(|&r| r == resets[0]), "{resets:?}");
    assert!(
        resets[0] > now && resets[0] <= now + 60,
        "reset {} now {now}",
        resets[0]
    );
    // The 429's Retry-After ends at the reset (a second may have passed since).
    assert!(
        resets[0].abs_diff(now + retry) <= 1,
        "reset {} retry {retry} now {now}",
        resets[0]
    );
    // Without a rule, no header.
    t.http.post_json(
        &t.url("/sandbox/config"),
        &serde_json::json!({"rate_limit_per_hour": null}),
    );
    let free = t.api("GET", list, &token, None);
    assert_eq!(free.status, 200);
    assert_eq!(free.header("x-ratelimit-limit"), None);
    assert_eq!(free.header("x-ratelimit-reset"), None);
}

#[test]
fn rate_limit_per_user_per_hour_answers_429_with_the_headers() {
    let (_sb, t) = {
        let sb = common::sandbox_with(Config {
            rate_limit_per_hour: Some(3),
            ..Config::default()
        });
        let t = Target::sandbox(sb.url());
        (sb, t)
    };
    let token = t.access_token();
    for _ in 0..3 {
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
    }
    let r = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        &token,
        None,
    );
    assert_envelope(&r, 429, "Rate limit exceeded");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry), "{retry}");
    assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
    let reset: u64 = r.header("x-ratelimit-reset").unwrap().parse().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        reset > now && reset <= now + 3600,
        "reset {reset} now {now}"
    );
    assert!(r.header("x-ratelimit-rule").is_some_and(|v| !v.is_empty()));
    let abel = as_user(&t, PERSONAL_USER);
    let other = abel.access_token();
    assert_eq!(
        abel.api(
            "GET",
            "/api/now/table/incident?sysparm_limit=1",
            &other,
            None
        )
        .status,
        200,
        "the limit is per user"
    );
    assert_eq!(
        t.token_request(&t.password_form()).status,
        200,
        "the token endpoint is not rate limited"
    );
}

#[test]
fn a_thousand_sequential_gets_take_under_two_seconds_optimized_or_eight_unoptimized() {
    let (_sb, t) = start();
    let token = t.access_token();
    let id = seed_sys_id("incident", "0");
    let started = Instant::now();
    for i in 0..1000 {
        let path = if i % 2 == 0 {
            format!("/api/now/table/incident/{id}")
        } else {
            "/api/now/table/incident?sysparm_query=active=true^ORDERBYDESCnumber&sysparm_limit=5"
                .to_string()
        };
        let r = t.api("GET", &path, &token, None);
        assert_eq!(r.status, 200);
    }
    let took = started.elapsed();
    // The requirement (2 s) is for an optimized build, where this takes ~0.2 s. An unoptimized
    // build (client and server, sharing two cores with the rest of the suite) gets 4× slack so
    // that load elsewhere on the machine cannot fail it; it still catches a slow path.
    let budget = Duration::from_secs(if cfg!(debug_assertions) { 8 } else { 2 });
    eprintln!("1000 Table API GETs: {took:?} (budget {budget:?})");
    assert!(took < budget, "{took:?}");
}

#[test]
fn nav_to_and_list_pages_show_the_records_snshare_links_to() {
    let (_sb, t) = start();
    let token = t.access_token();
    let rec = t.create_incident(
        &token,
        json!({"short_description": "Visible <b>as text</b>"}),
    );
    let id = rec["sys_id"].as_str().unwrap();
    let page = t.http.get(
        &t.url(&format!("/nav_to.do?uri=incident.do?sys_id={id}")),
        &[],
    );
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Visible &lt;b&gt;as text&lt;/b&gt;"));
    assert!(page.body.contains(rec["number"].as_str().unwrap()));
    let list = t
        .http
        .get(&t.url("/incident_list.do?sysparm_query=active%3Dtrue"), &[]);
    assert_eq!(list.status, 200);
    assert!(list.body.contains(rec["number"].as_str().unwrap()));
}

#[test]
fn create_answers_with_the_requested_fields_and_display_values() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = t.api(
        "POST",
        "/api/now/table/incident?sysparm_fields=number,state,sys_id&sysparm_display_value=all",
        &token,
        Some(&json!({"short_description": "shape"})),
    );
    assert_eq!(r.status, 201);
    let v: Value = r.result();
    assert_eq!(v["state"], json!({"display_value": "New", "value": "1"}));
    assert_eq!(v.as_object().unwrap().len(), 3);
}

#[test]
fn versioned_paths_and_absurd_paging_parameters() {
    let (_sb, t) = start();
    let token = t.access_token();
    let id = seed_sys_id("incident", "0");
    for prefix in ["/api/now/v1/table", "/api/now/v2/table"] {
        let r = t.api(
            "GET",
            &format!("{prefix}/incident/{id}?sysparm_fields=number"),
            &token,
            None,
        );
        assert_eq!(r.result(), json!({"number": "INC0010001"}), "{prefix}");
    }
    let r = t.api(
        "GET",
        &format!(
            "/api/now/table/incident?sysparm_offset={}&sysparm_limit={}",
            u64::MAX,
            u64::MAX
        ),
        &token,
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.result(), json!([]));
    let r = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=abc&sysparm_offset=-1&sysparm_fields=number",
        &token,
        None,
    );
    assert_eq!(
        r.header("x-total-count").unwrap().parse::<usize>().unwrap(),
        r.result().as_array().unwrap().len(),
        "unparsable values fall back to the defaults"
    );
}
