//! Client-facing checks that hold on a default ServiceNow instance and so must hold on the
//! sandbox: run against the sandbox by `contract`, and against a real instance by `live`.
//! Each asserts ServiceNow's documented behaviour, not the sandbox's code.

use serde_json::{json, Value};

use super::{assert_all_strings, assert_envelope, assert_opaque_401, is_sys_id, run_id, Target};

/// Password grant: `{"scope":"useraccount","token_type":"Bearer","expires_in":N,"refresh_token":…,"access_token":…}`.
pub fn password_grant_returns_the_documented_token_json(t: &Target) {
    let r = t.token_request(&t.password_form());
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r
        .header("content-type")
        .unwrap_or("")
        .starts_with("application/json"));
    let v = r.json();
    assert_eq!(v["token_type"], json!("Bearer"));
    assert_eq!(v["scope"], json!("useraccount"));
    let expires_in = v["expires_in"]
        .as_u64()
        .unwrap_or_else(|| panic!("expires_in is not a number: {v}"));
    assert!(expires_in > 0);
    assert!(
        v["access_token"].as_str().is_some_and(|s| s.len() >= 20),
        "{v}"
    );
    assert!(
        v["refresh_token"].as_str().is_some_and(|s| s.len() >= 20),
        "{v}"
    );
    assert_ne!(v["access_token"], v["refresh_token"]);
}

/// The token endpoint takes a form body only.
pub fn token_request_with_a_json_body_fails(t: &Target) {
    let body: serde_json::Map<String, Value> = t
        .password_form()
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let r = t
        .http
        .post_json(&t.url("/oauth_token.do"), &Value::Object(body));
    assert!(
        (400..500).contains(&r.status),
        "status {}: {}",
        r.status,
        r.body
    );
    assert!(!r.body.contains("access_token"), "{}", r.body);
}

pub fn wrong_password_gets_the_opaque_401(t: &Target) {
    let mut form = t.password_form();
    form.retain(|(k, _)| *k != "password");
    form.push(("password", "not-the-password"));
    assert_opaque_401(&t.token_request(&form));
}

pub fn wrong_client_secret_gets_the_opaque_401(t: &Target) {
    let mut form = t.password_form();
    form.retain(|(k, _)| *k != "client_secret");
    form.push(("client_secret", "not-the-secret"));
    assert_opaque_401(&t.token_request(&form));
}

/// A refresh_token grant returns a new, working access token.
pub fn refresh_grant_returns_a_new_working_access_token(t: &Target) {
    let first = t.password_grant();
    let refresh = first["refresh_token"].as_str().unwrap();
    let r = t.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", &t.client_id),
        ("client_secret", &t.client_secret),
        ("refresh_token", refresh),
    ]);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["token_type"], json!("Bearer"));
    let access = v["access_token"].as_str().unwrap();
    assert_ne!(access, first["access_token"].as_str().unwrap());
    let me = t.api("GET", "/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()&sysparm_fields=user_name", access, None);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.result()[0]["user_name"], json!(t.user));
}

/// Revocation as snshare sends it first: `POST /oauth_revoke_token.do` with the token and the
/// client's credentials in the form. The refresh token no longer works after it.
pub fn refresh_token_revoked_by_a_form(t: &Target) {
    let refresh = t.password_grant()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t.http.post_form(
        &t.url("/oauth_revoke_token.do"),
        &[
            ("token", &refresh),
            ("client_id", &t.client_id),
            ("client_secret", &t.client_secret),
        ],
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_refresh_refused(t, &refresh);
}

/// Revocation as ServiceNow documents it, `oauth_revoke_token.do?token=…` (snshare's second try
/// when an instance refused the form), the client's credentials in the form.
pub fn refresh_token_revoked_in_the_query_string(t: &Target) {
    let refresh = t.password_grant()["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let query: String = form_urlencoded::byte_serialize(refresh.as_bytes()).collect();
    let r = t.http.post_form(
        &t.url(&format!("/oauth_revoke_token.do?token={query}")),
        &[
            ("client_id", &t.client_id),
            ("client_secret", &t.client_secret),
        ],
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_refresh_refused(t, &refresh);
}

/// The refresh grant with `refresh` gets the opaque 401 (it was revoked).
fn assert_refresh_refused(t: &Target, refresh: &str) {
    assert_opaque_401(&t.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", &t.client_id),
        ("client_secret", &t.client_secret),
        ("refresh_token", refresh),
    ]));
}

pub fn table_api_without_credentials_is_401_user_not_authenticated(t: &Target) {
    let r = t.http.get(
        &t.url("/api/now/table/incident?sysparm_limit=1"),
        &[("Accept", "application/json")],
    );
    assert_envelope(&r, 401, "User Not Authenticated");
    assert_eq!(
        r.json()["error"]["detail"],
        json!("Required to provide Auth information")
    );
}

pub fn table_api_with_an_unknown_token_is_401(t: &Target) {
    let r = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        "not-a-token-0123456789",
        None,
    );
    assert_envelope(&r, 401, "User Not Authenticated");
}

pub fn unknown_table_is_400_invalid_table(t: &Target) {
    let token = t.access_token();
    let r = t.api("GET", "/api/now/table/no_such_table_snshare", &token, None);
    assert_envelope(&r, 400, "Invalid table no_such_table_snshare");
}

pub fn unknown_sys_id_is_404_no_record_found(t: &Target) {
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/incident/0123456789abcdef0123456789abcdef",
        &token,
        None,
    );
    assert_envelope(&r, 404, "No Record found");
}

/// Who the token belongs to, the way servicenow.md says snshare asks.
pub fn current_user_via_gs_get_user_id(t: &Target) {
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()&sysparm_fields=user_name,name,email,sys_id",
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.result();
    assert_eq!(rows.as_array().unwrap().len(), 1, "{}", r.body);
    let me = &rows[0];
    assert_eq!(me["user_name"], json!(t.user));
    assert!(is_sys_id(&me["sys_id"]), "{me}");
    let mut keys: Vec<_> = me.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["email", "name", "sys_id", "user_name"]);
    assert_all_strings(me);
}

/// The state labels query of servicenow.md: `sys_choice` is usually admin-only. A user without
/// admin gets 403 "Insufficient rights to query records" (the sandbox's default) or an empty
/// list; whatever rows come back carry the default labels.
pub fn sys_choice_state_labels_may_be_refused(t: &Target) {
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/sys_choice?sysparm_query=name=incident^element=state^language=en^inactive=false&sysparm_fields=value,label,sequence",
        &token,
        None,
    );
    if r.status == 403 {
        assert_envelope(&r, 403, "Insufficient rights to query records");
        return;
    }
    assert!(
        t.live,
        "the sandbox's integration user is refused sys_choice: {}",
        r.body
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.result();
    let pairs: Vec<(String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["value"].as_str().unwrap().to_string(),
                c["label"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    if pairs.is_empty() {
        return;
    }
    for (value, label) in [
        ("1", "New"),
        ("2", "In Progress"),
        ("3", "On Hold"),
        ("6", "Resolved"),
        ("7", "Closed"),
        ("8", "Canceled"),
    ] {
        assert!(
            pairs.contains(&(value.to_string(), label.to_string())),
            "{value} {label} missing from {pairs:?}"
        );
    }
}

/// Where the labels come from instead: `sysparm_display_value=all` on the records, each field
/// `{"display_value","value"}`, the state's label included.
pub fn state_labels_via_display_value_all(t: &Target) {
    let token = t.access_token();
    let rec = t.create_incident(&token, json!({"short_description": "snshare contract check: labels", "correlation_id": run_id("labels")}));
    let id = rec["sys_id"].as_str().unwrap();
    let r = t.api(
        "GET",
        &format!("/api/now/table/incident?sysparm_query=sys_id={id}&sysparm_fields=number,state,priority&sysparm_display_value=all&sysparm_exclude_reference_link=true"),
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let row = &r.result()[0];
    assert_eq!(
        row["state"],
        json!({"display_value": "New", "value": "1"}),
        "{row}"
    );
    assert_eq!(
        row["priority"],
        json!({"display_value": "5 - Planning", "value": "5"}),
        "{row}"
    );
    assert_eq!(row["number"]["value"], rec["number"]);
    t.cleanup(&token, "incident", id);
}

/// The token user's own record says whether it is meant for integrations:
/// `web_service_access_only` ("true"/"false"), and on recent releases `internal_integration_user`.
pub fn own_user_record_has_the_web_service_flags(t: &Target) {
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()&sysparm_fields=user_name,name,email,sys_id,web_service_access_only,internal_integration_user&sysparm_limit=1",
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let me = &r.result()[0];
    assert_eq!(me["user_name"], json!(t.user));
    let flag = |k: &str| me.get(k).and_then(Value::as_str).map(str::to_string);
    assert!(
        matches!(
            flag("web_service_access_only").as_deref(),
            Some("true" | "false")
        ),
        "{me}"
    );
    if !t.live {
        assert_eq!(
            flag("web_service_access_only").as_deref(),
            Some("true"),
            "{me}"
        );
    }
    assert!(
        matches!(
            flag("internal_integration_user").as_deref(),
            None | Some("true" | "false")
        ),
        "{me}"
    );
}

/// Assignment groups, searched by name as the options page does.
pub fn assignment_group_search(t: &Target) {
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/sys_user_group?sysparm_query=active=true^ORDERBYname&sysparm_fields=sys_id,name,active&sysparm_limit=20",
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rows = r.result();
    let rows = rows.as_array().unwrap();
    assert!(!rows.is_empty(), "no active group is readable: {}", r.body);
    let first = rows[0]["name"].as_str().unwrap().to_string();
    for row in rows {
        assert!(is_sys_id(&row["sys_id"]), "{row}");
        assert_eq!(row["active"], json!("true"), "{row}");
    }
    let prefix: String = first.chars().take(3).collect();
    let r = t.api(
        "GET",
        &format!(
            "/api/now/table/sys_user_group?sysparm_query={}&sysparm_fields=sys_id,name&sysparm_limit=20",
            encode(&format!("active=true^nameSTARTSWITH{prefix}"))
        ),
        &token,
        None,
    );
    assert!(
        r.result()
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["name"] == json!(first)),
        "{}",
        r.body
    );
}

/// A change request's priority is not computed from impact and urgency: unset it is 4 - Low,
/// sent it is stored as sent.
pub fn change_priority_is_not_computed(t: &Target) {
    let token = t.access_token();
    let create = |body: Value| -> Value {
        let r = t.api("POST", "/api/now/table/change_request", &token, Some(&body));
        assert_eq!(r.status, 201, "{}", r.body);
        r.result()
    };
    let unset = create(
        json!({"short_description": "snshare contract check: no priority", "type": "normal", "impact": "1", "urgency": "1", "correlation_id": run_id("chg-priority")}),
    );
    assert_eq!(unset["priority"], json!("4"), "{unset}");
    let sent = create(
        json!({"short_description": "snshare contract check: priority 2", "type": "normal", "impact": "3", "urgency": "3", "priority": "2", "correlation_id": run_id("chg-priority")}),
    );
    assert_eq!(sent["priority"], json!("2"), "{sent}");
    for rec in [unset, sent] {
        t.cleanup(&token, "change_request", rec["sys_id"].as_str().unwrap());
    }
}

/// POST → 201, `Location`, every value a string, number INC…, sys_id 32 hex, priority from the
/// lookup rules, opened_by and caller_id the token's user.
pub fn create_incident_returns_201_location_and_string_values(t: &Target) {
    let token = t.access_token();
    let me = t.api("GET", "/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()&sysparm_fields=sys_id", &token, None);
    let my_id = me.result()[0]["sys_id"].as_str().unwrap().to_string();
    let marker = run_id("create");
    let r = t.api(
        "POST",
        "/api/now/table/incident",
        &token,
        Some(&json!({"short_description": "snshare contract check: create", "impact": "2", "urgency": "1", "correlation_id": marker, "correlation_display": "snshare"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let rec = r.result();
    let sys_id = rec["sys_id"].as_str().unwrap().to_string();
    assert!(is_sys_id(&rec["sys_id"]));
    let location = r
        .header("location")
        .unwrap_or_else(|| panic!("no Location header"));
    assert!(
        location.ends_with(&format!("/api/now/table/incident/{sys_id}")),
        "{location}"
    );
    assert_all_strings(&rec);
    let number = rec["number"].as_str().unwrap();
    assert!(
        number.starts_with("INC")
            && number.len() == 10
            && number[3..].bytes().all(|b| b.is_ascii_digit()),
        "{number}"
    );
    assert_eq!(rec["impact"], json!("2"));
    assert_eq!(rec["urgency"], json!("1"));
    assert_eq!(
        rec["priority"],
        json!("2"),
        "impact 2 × urgency 1 is 2 High"
    );
    assert_eq!(rec["state"], json!("1"));
    assert_eq!(rec["correlation_id"], json!(marker));
    assert_eq!(rec["opened_by"]["value"], json!(my_id));
    assert_eq!(rec["caller_id"]["value"], json!(my_id));
    assert!(rec["opened_by"]["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/api/now/table/sys_user/{my_id}")));
    let created = rec["sys_created_on"].as_str().unwrap();
    assert!(is_glide_datetime(created), "{created}");
    t.cleanup(&token, "incident", &sys_id);
}

pub fn is_glide_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// PATCH changes fields and the lookup rules recompute priority.
pub fn patch_incident_updates_and_recomputes_priority(t: &Target) {
    let token = t.access_token();
    let rec = t.create_incident(&token, json!({"short_description": "snshare contract check: patch", "correlation_id": run_id("patch")}));
    let id = rec["sys_id"].as_str().unwrap();
    assert_eq!(
        rec["priority"],
        json!("5"),
        "impact 3 × urgency 3 by default: {rec}"
    );
    let r = t.api(
        "PATCH",
        &format!("/api/now/table/incident/{id}"),
        &token,
        Some(&json!({"impact": "1", "urgency": "1", "state": "2"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.result();
    assert_eq!(v["priority"], json!("1"));
    assert_eq!(v["state"], json!("2"));
    assert_eq!(v["sys_id"], json!(id));
    let got = t.api(
        "GET",
        &format!("/api/now/table/incident/{id}?sysparm_fields=state,priority"),
        &token,
        None,
    );
    assert_eq!(got.result(), json!({"state": "2", "priority": "1"}));
    t.cleanup(&token, "incident", id);
}

/// `X-Total-Count` and `Link` (first/prev/next/last) on a paged list.
pub fn list_paging_headers(t: &Target) {
    let token = t.access_token();
    let marker = run_id("paging");
    let ids: Vec<String> = (0..3)
        .map(|i| {
            t.create_incident(&token, json!({"short_description": format!("snshare contract check: page {i}"), "correlation_id": format!("{marker}:{i}")}))
                ["sys_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let q = format!("/api/now/table/incident?sysparm_query=correlation_idSTARTSWITH{marker}^ORDERBYcorrelation_id&sysparm_fields=correlation_id&sysparm_limit=2");
    let r = t.api("GET", &q, &token, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("x-total-count"), Some("3"));
    assert_eq!(
        r.result(),
        json!([{"correlation_id": format!("{marker}:0")}, {"correlation_id": format!("{marker}:1")}])
    );
    let link = r.header("link").unwrap_or_else(|| panic!("no Link header"));
    for rel in ["rel=\"first\"", "rel=\"next\"", "rel=\"last\""] {
        assert!(link.contains(rel), "{rel} missing: {link}");
    }
    assert!(!link.contains("rel=\"prev\""), "{link}");
    let next = link_target(link, "next").unwrap();
    assert!(next.contains("sysparm_offset=2"), "{next}");
    let r2 = t.http.get(
        &next,
        &[
            ("Accept", "application/json"),
            ("Authorization", &format!("Bearer {token}")),
        ],
    );
    assert_eq!(
        r2.result(),
        json!([{"correlation_id": format!("{marker}:2")}])
    );
    let link2 = r2.header("link").unwrap();
    assert!(
        link2.contains("rel=\"prev\"") && !link2.contains("rel=\"next\""),
        "{link2}"
    );
    for id in &ids {
        t.cleanup(&token, "incident", id);
    }
}

/// The URL of `rel` in a Link header.
pub fn link_target(link: &str, rel: &str) -> Option<String> {
    link.split(',')
        .find(|p| p.contains(&format!("rel=\"{rel}\"")))
        .and_then(|p| {
            let start = p.find('<')? + 1;
            let end = p.find('>')?;
            Some(p[start..end].to_string())
        })
}

/// `sysparm_display_value` false / true / all and `sysparm_exclude_reference_link` shapes.
pub fn display_values_and_reference_shapes(t: &Target) {
    let token = t.access_token();
    let rec = t.create_incident(&token, json!({"short_description": "snshare contract check: display", "correlation_id": run_id("display")}));
    let id = rec["sys_id"].as_str().unwrap();
    let path =
        |extra: &str| format!("/api/now/table/incident/{id}?sysparm_fields=state,caller_id{extra}");
    let plain = t.api("GET", &path(""), &token, None).result();
    assert_eq!(plain["state"], json!("1"));
    let caller = plain["caller_id"].as_object().unwrap();
    assert!(
        caller.contains_key("link") && caller.contains_key("value") && caller.len() == 2,
        "{plain}"
    );

    let all = t
        .api("GET", &path("&sysparm_display_value=all"), &token, None)
        .result();
    assert_eq!(all["state"], json!({"display_value": "New", "value": "1"}));
    let c = all["caller_id"].as_object().unwrap();
    assert!(
        c.contains_key("display_value") && c.contains_key("value") && c.contains_key("link"),
        "{all}"
    );

    let shown = t
        .api("GET", &path("&sysparm_display_value=true"), &token, None)
        .result();
    assert_eq!(shown["state"], json!("New"));
    let c = shown["caller_id"].as_object().unwrap();
    assert!(
        c.contains_key("display_value") && c.contains_key("link") && !c.contains_key("value"),
        "{shown}"
    );

    let no_link = t
        .api(
            "GET",
            &path("&sysparm_exclude_reference_link=true"),
            &token,
            None,
        )
        .result();
    assert!(is_sys_id(&no_link["caller_id"]), "{no_link}");
    let no_link_all = t
        .api(
            "GET",
            &path("&sysparm_exclude_reference_link=true&sysparm_display_value=all"),
            &token,
            None,
        )
        .result();
    let c = no_link_all["caller_id"].as_object().unwrap();
    assert!(
        c.contains_key("display_value") && c.contains_key("value") && !c.contains_key("link"),
        "{no_link_all}"
    );
    t.cleanup(&token, "incident", id);
}

pub fn post_without_json_content_type_is_400(t: &Target) {
    let token = t.access_token();
    let r = t.http.send(
        "POST",
        &t.url("/api/now/table/incident"),
        &[
            ("Accept", "application/json"),
            ("Authorization", &format!("Bearer {token}")),
        ],
        Some(r#"{"short_description":"snshare contract check: no content type"}"#),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["status"], json!("failure"));
}

/// `=`, `!=`, `IN`, `LIKE`, `STARTSWITH`, `^`, `^OR`, `ORDERBYDESC`.
pub fn encoded_query_operators(t: &Target) {
    let token = t.access_token();
    let marker = run_id("query");
    let specs = [
        ("a", "Alpha firewall rule", "1"),
        ("b", "Beta MFA policy", "2"),
        ("c", "Gamma firewall audit", "3"),
    ];
    let ids: Vec<String> = specs
        .iter()
        .map(|(k, sd, urgency)| {
            t.create_incident(&token, json!({"short_description": sd, "urgency": urgency, "correlation_id": format!("{marker}:{k}")}))["sys_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let run = |q: &str| -> Vec<String> {
        let path = format!(
            "/api/now/table/incident?sysparm_fields=correlation_id&sysparm_query=correlation_idSTARTSWITH{marker}^{}",
            encode(q)
        );
        let r = t.api("GET", &path, &token, None);
        assert_eq!(r.status, 200, "{q}: {}", r.body);
        r.result()
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                x["correlation_id"]
                    .as_str()
                    .unwrap()
                    .rsplit(':')
                    .next()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(sorted(run(&format!("correlation_id={marker}:b"))), ["b"]);
    assert_eq!(
        sorted(run(&format!("correlation_id!={marker}:b"))),
        ["a", "c"]
    );
    assert_eq!(
        sorted(run(&format!("correlation_idIN{marker}:a,{marker}:c"))),
        ["a", "c"]
    );
    assert_eq!(sorted(run("short_descriptionLIKEfirewall")), ["a", "c"]);
    assert_eq!(sorted(run("short_descriptionSTARTSWITHBeta")), ["b"]);
    assert_eq!(sorted(run("urgency=1^ORurgency=3")), ["a", "c"]);
    assert_eq!(
        sorted(run("short_descriptionLIKEfirewall^urgency=3")),
        ["c"]
    );
    assert_eq!(run("ORDERBYDESCnumber"), ["c", "b", "a"]);
    assert_eq!(run("ORDERBYurgency"), ["a", "b", "c"]);
    for id in &ids {
        t.cleanup(&token, "incident", id);
    }
}

fn encode(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// An unknown field in the query is ignored, not refused.
pub fn unknown_query_terms_are_ignored(t: &Target) {
    let token = t.access_token();
    let marker = run_id("unknown-term");
    let rec = t.create_incident(&token, json!({"short_description": "snshare contract check: unknown term", "correlation_id": marker}));
    let path = format!(
        "/api/now/table/incident?sysparm_fields=sys_id&sysparm_query={}",
        encode(&format!(
            "correlation_id={marker}^u_no_such_field_snshare=1"
        ))
    );
    let r = t.api("GET", &path, &token, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.result(), json!([{"sys_id": rec["sys_id"]}]));
    t.cleanup(&token, "incident", rec["sys_id"].as_str().unwrap());
}

/// The integration user creates change requests through the Table API.
pub fn create_change_request(t: &Target) {
    let token = t.access_token();
    let r = t.api(
        "POST",
        "/api/now/table/change_request",
        &token,
        Some(&json!({"short_description": "snshare contract check: change", "type": "normal", "correlation_id": run_id("change")})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let rec = r.result();
    assert_all_strings(&rec);
    let number = rec["number"].as_str().unwrap();
    assert!(number.starts_with("CHG") && number.len() == 10, "{number}");
    assert_eq!(rec["type"], json!("normal"));
    assert_eq!(
        rec["priority"],
        json!("4"),
        "not computed, not sent: the default"
    );
    assert!(r.header("location").unwrap().ends_with(&format!(
        "/api/now/table/change_request/{}",
        rec["sys_id"].as_str().unwrap()
    )));
    t.cleanup(&token, "change_request", rec["sys_id"].as_str().unwrap());
}

/// The token user's active roles as snshare asks for them: its own `sys_user_has_role` rows,
/// dot-walked to the role's name (each `role.name` a plain string). Row ACLs usually hide them
/// from a user without admin: 200 with an empty list, never an error (the sandbox's integration
/// user reads none).
pub fn own_roles_via_sys_user_has_role(t: &Target) {
    let token = t.access_token();
    let me = t.api(
        "GET",
        "/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()&sysparm_fields=sys_id",
        &token,
        None,
    );
    assert_eq!(me.status, 200, "{}", me.body);
    let user = me.result()[0]["sys_id"].as_str().unwrap().to_string();
    let path = format!(
        "/api/now/table/sys_user_has_role?sysparm_query={}&sysparm_fields=role.name&sysparm_limit=500&sysparm_no_count=true",
        encode(&format!("user={user}^state=active"))
    );
    let r = t.api("GET", &path, &token, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.header("x-total-count").is_none());
    let rows = r.result();
    let rows = rows.as_array().unwrap();
    if !t.live {
        assert!(
            rows.is_empty(),
            "a user without admin reads no role rows: {}",
            r.body
        );
    }
    for row in rows {
        let keys: Vec<_> = row.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["role.name"], "{row}");
        assert!(
            row["role.name"].as_str().is_some_and(|n| !n.is_empty()),
            "{row}"
        );
    }
}

/// The Aggregate API: exact counts per state in one call, `groupby_fields` naming each group.
pub fn aggregate_counts_per_state(t: &Target) {
    let token = t.access_token();
    let marker = run_id("stats");
    let ids: Vec<String> = (0..3)
        .map(|i| {
            t.create_incident(&token, json!({"short_description": format!("snshare contract check: stats {i}"), "correlation_id": format!("{marker}:{i}")}))["sys_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let r = t.api(
        "PATCH",
        &format!("/api/now/table/incident/{}", ids[0]),
        &token,
        Some(&json!({"state": "2"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t.api(
        "GET",
        &format!(
            "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state&sysparm_query={}",
            encode(&format!("correlation_idSTARTSWITH{marker}"))
        ),
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mut groups: Vec<Value> = r.result().as_array().unwrap().clone();
    groups.sort_by_key(|g| {
        g["groupby_fields"][0]["value"]
            .as_str()
            .unwrap_or("")
            .to_string()
    });
    assert_eq!(
        Value::Array(groups),
        json!([
            {"stats": {"count": "2"}, "groupby_fields": [{"field": "state", "value": "1"}]},
            {"stats": {"count": "1"}, "groupby_fields": [{"field": "state", "value": "2"}]},
        ])
    );
    for id in &ids {
        t.cleanup(&token, "incident", id);
    }
}

/// The Batch API: a list read and an aggregate in one call, each answered in
/// `serviced_requests` with its status and a base64 body.
pub fn batch_carries_several_requests(t: &Target) {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let token = t.access_token();
    let headers = json!([{"name": "Accept", "value": "application/json"}]);
    let r = t.api(
        "POST",
        "/api/now/v1/batch",
        &token,
        Some(&json!({"batch_request_id": run_id("batch"), "rest_requests": [
            {"id": "list", "method": "GET", "headers": headers, "url": "/api/now/table/incident?sysparm_fields=sys_id,state&sysparm_display_value=all&sysparm_limit=1&sysparm_query=ORDERBYDESCsys_updated_on"},
            {"id": "count", "method": "GET", "headers": headers, "url": "/api/now/stats/incident?sysparm_count=true&sysparm_group_by=state"},
        ]})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let serviced = v["serviced_requests"].as_array().unwrap();
    assert_eq!(serviced.len(), 2, "{v}");
    for s in serviced {
        assert_eq!(s["status_code"], json!(200), "{s}");
        let body: Value =
            serde_json::from_slice(&b64.decode(s["body"].as_str().unwrap()).unwrap()).unwrap();
        assert!(body["result"].is_array(), "{body}");
    }
    assert_eq!(serviced[0]["id"], json!("list"));
    assert!(
        v["unserviced_requests"]
            .as_array()
            .is_some_and(|u| u.is_empty()),
        "{v}"
    );
}

/// The Change Management API creates a normal change: 200, every field
/// `{"display_value","value"}`, type normal, state New, the priority as sent.
pub fn change_api_creates_a_normal_change(t: &Target) {
    let token = t.access_token();
    let marker = run_id("chg-api");
    let r = t.api(
        "POST",
        "/api/sn_chg_rest/change/normal",
        &token,
        Some(&json!({"short_description": "snshare contract check: change API", "priority": "3", "correlation_id": marker})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let result = r.result();
    assert_eq!(result["type"]["value"], json!("normal"), "{result}");
    assert_eq!(result["state"]["value"], json!("-5"), "{result}");
    assert_eq!(result["priority"]["value"], json!("3"), "{result}");
    assert_eq!(result["correlation_id"]["value"], json!(marker), "{result}");
    let number = result["number"]["value"].as_str().unwrap_or("");
    assert!(number.starts_with("CHG"), "{result}");
    let sys_id = result["sys_id"]["value"]
        .as_str()
        .or_else(|| result["sys_id"].as_str())
        .unwrap()
        .to_string();
    t.cleanup(&token, "change_request", &sys_id);
}

/// Published standard change templates, listed through the Change Management API.
pub fn change_api_lists_standard_change_templates(t: &Target) {
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/sn_chg_rest/change/standard/template?sysparm_query=active=true&sysparm_limit=5",
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    for template in r.result().as_array().unwrap() {
        let id = template["sys_id"]["value"]
            .as_str()
            .or_else(|| template["sys_id"].as_str());
        assert!(id.is_some_and(|i| i.len() == 32), "{template}");
    }
}

/// Calls `$m!(check, check, …)` with every check above: the one list both runners expand.
#[macro_export]
macro_rules! for_each_check {
    ($m:ident) => {
        $m!(
            password_grant_returns_the_documented_token_json,
            token_request_with_a_json_body_fails,
            wrong_password_gets_the_opaque_401,
            wrong_client_secret_gets_the_opaque_401,
            refresh_grant_returns_a_new_working_access_token,
            refresh_token_revoked_by_a_form,
            refresh_token_revoked_in_the_query_string,
            table_api_without_credentials_is_401_user_not_authenticated,
            table_api_with_an_unknown_token_is_401,
            unknown_table_is_400_invalid_table,
            unknown_sys_id_is_404_no_record_found,
            current_user_via_gs_get_user_id,
            sys_choice_state_labels_may_be_refused,
            state_labels_via_display_value_all,
            own_user_record_has_the_web_service_flags,
            assignment_group_search,
            change_priority_is_not_computed,
            aggregate_counts_per_state,
            batch_carries_several_requests,
            change_api_creates_a_normal_change,
            change_api_lists_standard_change_templates,
            create_incident_returns_201_location_and_string_values,
            patch_incident_updates_and_recomputes_priority,
            list_paging_headers,
            display_values_and_reference_shapes,
            post_without_json_content_type_is_400,
            encoded_query_operators,
            unknown_query_terms_are_ignored,
            create_change_request,
            own_roles_via_sys_user_has_role
        );
    };
}
