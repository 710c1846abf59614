//! What makes the sandbox a default instance rather than a convenient one: a least-privilege
//! integration user, row ACLs, `sys_choice` for admins, change priority not computed, invalid
//! choices stored as sent (and flagged by `/sandbox/records`), display values, and the switches
//! tests use to model other instances.

use serde_json::{json, Value};
use sn_sandbox::{
    seed_sys_id, ChoiceAccess, Config, Sandbox, ADMIN_USER, INTEGRATION_USER, PERSONAL_USER,
    PORTAL_USER,
};

use crate::common::{self, assert_envelope, Http, Target};

fn start() -> (Sandbox, Target) {
    let sb = common::sandbox();
    let t = Target::sandbox(sb.url());
    (sb, t)
}

const STATE_CHOICES: &str = "/api/now/table/sys_choice?sysparm_query=name=incident^element=state^language=en^inactive=false&sysparm_fields=value,label";

#[test]
fn seeded_users_are_a_least_privilege_integration_user_personal_accounts_and_an_admin() {
    let (_sb, t) = start();
    let admin = t.as_user(ADMIN_USER);
    let r = admin.api(
        "GET",
        "/api/now/table/sys_user?sysparm_query=user_nameINsnshare.integration,abel.tuter,megan.bowen,admin^ORDERBYuser_name&sysparm_fields=user_name,name,email,roles,web_service_access_only,internal_integration_user",
        &admin.access_token(),
        None,
    );
    assert_eq!(
        r.result(),
        json!([
            {"user_name": "abel.tuter", "name": "Abel Tuter", "email": "abel.tuter@example.com", "roles": "itil", "web_service_access_only": "false", "internal_integration_user": "false"},
            {"user_name": "admin", "name": "System Administrator", "email": "admin@example.com", "roles": "admin", "web_service_access_only": "false", "internal_integration_user": "false"},
            {"user_name": "megan.bowen", "name": "Megan Bowen", "email": "MeganB@contoso.onmicrosoft.com", "roles": "itil", "web_service_access_only": "false", "internal_integration_user": "false"},
            {"user_name": "snshare.integration", "name": "snshare Integration", "email": "snshare.integration@example.com", "roles": "itil", "web_service_access_only": "true", "internal_integration_user": "false"},
        ])
    );
}

#[test]
fn each_user_reads_their_own_web_service_flags() {
    let (_sb, t) = start();
    for (who, wsao) in [
        (INTEGRATION_USER, "true"),
        (PERSONAL_USER, "false"),
        (PORTAL_USER, "false"),
    ] {
        let u = t.as_user(who);
        let r = u.api(
            "GET",
            "/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()&sysparm_fields=user_name,email,web_service_access_only,internal_integration_user",
            &u.access_token(),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let me = &r.result()[0];
        assert_eq!(me["user_name"], json!(who.0));
        assert_eq!(me["web_service_access_only"], json!(wsao), "{me}");
        assert_eq!(me["internal_integration_user"], json!("false"), "{me}");
    }
}

#[test]
fn a_web_service_only_user_cannot_sign_in_on_the_login_page() {
    let (_sb, t) = start();
    let http = Http::default();
    let login = |user: (&str, &str)| {
        http.post_form(
            &t.url("/login.do"),
            &[
                ("user_name", user.0),
                ("user_password", user.1),
                ("sysparm_goto", "/"),
            ],
            &[],
        )
    };
    let r = login(INTEGRATION_USER);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("User name or password invalid"),
        "{}",
        r.body
    );
    assert!(r.header("set-cookie").is_none());
    // The same account gets tokens by the password grant, and a personal account signs in.
    assert!(!t.access_token().is_empty());
    assert_eq!(login(PERSONAL_USER).status, 302);
    // Unticking "Web service access only" lets it sign in.
    t.set_user_fields(
        INTEGRATION_USER.0,
        json!({"web_service_access_only": "false"}),
    );
    assert_eq!(login(INTEGRATION_USER).status, 302);
}

#[test]
fn sys_choice_is_refused_to_non_admins_by_default_and_the_switch_models_other_instances() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = t.api("GET", STATE_CHOICES, &token, None);
    assert_envelope(&r, 403, "Insufficient rights to query records");
    let admin = t.as_user(ADMIN_USER);
    let labels = admin.api("GET", STATE_CHOICES, &admin.access_token(), None);
    assert_eq!(labels.status, 200);
    assert_eq!(
        labels.result().as_array().unwrap().len(),
        6,
        "{}",
        labels.body
    );

    assert_eq!(
        t.configure(json!({"sys_choice": "empty"}))["sys_choice"],
        json!("empty")
    );
    let r = t.api("GET", STATE_CHOICES, &token, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.result(), json!([]));

    t.configure(json!({"sys_choice": "readable"}));
    let r = t.api("GET", STATE_CHOICES, &token, None);
    assert_eq!(r.result().as_array().unwrap().len(), 6, "{}", r.body);

    // A reset puts back the start-up settings.
    let reset = t.http.post_json(&t.url("/sandbox/reset"), &json!({}));
    assert_eq!(reset.status, 200);
    let r = t.api("GET", STATE_CHOICES, &t.access_token(), None);
    assert_eq!(r.status, 403);
}

#[test]
fn sys_choice_start_up_setting_is_kept_across_resets() {
    let sb = common::sandbox_with(Config {
        sys_choice: ChoiceAccess::Empty,
        ..Config::default()
    });
    let t = Target::sandbox(sb.url());
    t.configure(json!({"sys_choice": "forbidden"}));
    t.http.post_json(&t.url("/sandbox/reset"), &json!({}));
    let r = t.api("GET", STATE_CHOICES, &t.access_token(), None);
    assert_eq!((r.status, r.result()), (200, json!([])), "{}", r.body);
}

#[test]
fn assignment_groups_are_searchable_by_every_user() {
    let (_sb, t) = start();
    let r = t.api(
        "GET",
        "/api/now/table/sys_user_group?sysparm_query=active=true^nameLIKEsec^ORDERBYname&sysparm_fields=sys_id,name,active&sysparm_limit=20",
        &t.access_token(),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.result(),
        json!([{"sys_id": seed_sys_id("sys_user_group", "Security Operations"), "name": "Security Operations", "active": "true"}])
    );
}

#[test]
fn change_priority_is_stored_as_sent_and_defaults_to_4_while_incident_priority_is_computed() {
    let (_sb, t) = start();
    let token = t.access_token();
    let create = |table: &str, body: Value| -> Value {
        let r = t.api(
            "POST",
            &format!("/api/now/table/{table}"),
            &token,
            Some(&body),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.result()
    };
    let unset = create(
        "change_request",
        json!({"short_description": "no priority", "impact": "1", "urgency": "1"}),
    );
    assert_eq!(
        unset["priority"],
        json!("4"),
        "nothing computes a change's priority"
    );
    let sent = create(
        "change_request",
        json!({"short_description": "priority 2", "impact": "3", "urgency": "3", "priority": "2"}),
    );
    assert_eq!(sent["priority"], json!("2"));
    let incident = create(
        "incident",
        json!({"short_description": "computed", "impact": "1", "urgency": "1", "priority": "5"}),
    );
    assert_eq!(
        incident["priority"],
        json!("1"),
        "the lookup rules win over what was sent"
    );
}

#[test]
fn invented_choice_values_are_stored_as_sent_and_flagged() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = t.api(
        "POST",
        "/api/now/table/incident?sysparm_display_value=all",
        &token,
        Some(&json!({"short_description": "invented", "category": "identity", "urgency": "2"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let rec = r.result();
    assert_eq!(
        rec["category"],
        json!({"display_value": "identity", "value": "identity"}),
        "an invalid choice shows its raw value"
    );
    let id = rec["sys_id"]["value"].as_str().unwrap().to_string();
    let stored = t.record("incident", &id);
    assert_eq!(stored["category"], json!("identity"));
    assert_eq!(stored["_invalid_choices"], json!(["category"]));
    assert_eq!(stored["_invalid_references"], json!([]));

    let valid = t.create_incident(
        &token,
        json!({"short_description": "valid", "category": "network"}),
    );
    let stored = t.record("incident", valid["sys_id"].as_str().unwrap());
    assert_eq!(stored["_invalid_choices"], json!([]));

    let chg = t.api(
        "POST",
        "/api/now/table/change_request",
        &token,
        Some(&json!({"short_description": "lowercase", "category": "software", "type": "normal"})),
    );
    let stored = t.record("change_request", chg.result()["sys_id"].as_str().unwrap());
    assert_eq!(
        stored["_invalid_choices"],
        json!(["category"]),
        "change categories are capitalised"
    );

    // An admin adding the choice makes the value valid.
    let admin = t.as_user(ADMIN_USER);
    let add = admin.api(
        "POST",
        "/api/now/table/sys_choice",
        &admin.access_token(),
        Some(&json!({"name": "incident", "element": "category", "value": "identity", "label": "Identity", "sequence": "70"})),
    );
    assert_eq!(add.status, 201, "{}", add.body);
    assert_eq!(t.record("incident", &id)["_invalid_choices"], json!([]));
    let shown = t.api(
        "GET",
        &format!("/api/now/table/incident/{id}?sysparm_display_value=all&sysparm_fields=category"),
        &token,
        None,
    );
    assert_eq!(
        shown.result(),
        json!({"category": {"display_value": "Identity", "value": "identity"}})
    );
}

#[test]
fn seeded_records_hold_only_valid_choices_and_references() {
    let (_sb, t) = start();
    for table in [
        "incident",
        "change_request",
        "sys_user",
        "sys_user_has_role",
    ] {
        for rec in t.records(table) {
            assert_eq!(rec["_invalid_choices"], json!([]), "{table}: {rec}");
            assert_eq!(rec["_invalid_references"], json!([]), "{table}: {rec}");
        }
    }
}

#[test]
fn references_are_displayed_and_dangling_ones_flagged() {
    let (_sb, t) = start();
    let token = t.access_token();
    let group = seed_sys_id("sys_user_group", "Network");
    let r = t.api(
        "POST",
        "/api/now/table/incident?sysparm_display_value=all&sysparm_exclude_reference_link=true&sysparm_fields=sys_id,assignment_group,caller_id",
        &token,
        Some(&json!({"short_description": "routed", "assignment_group": group, "caller_id": "abel.tuter"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let rec = r.result();
    assert_eq!(
        rec["assignment_group"],
        json!({"display_value": "Network", "value": group})
    );
    assert_eq!(
        rec["caller_id"],
        json!({"display_value": "Abel Tuter", "value": seed_sys_id("sys_user", "abel.tuter")})
    );
    let stored = t.record("incident", rec["sys_id"]["value"].as_str().unwrap());
    assert_eq!(stored["_invalid_references"], json!([]));

    let dangling = t.api(
        "POST",
        "/api/now/table/incident?sysparm_display_value=all&sysparm_exclude_reference_link=true",
        &token,
        Some(&json!({"short_description": "nowhere", "assignment_group": "No Such Group"})),
    );
    let rec = dangling.result();
    assert_eq!(
        rec["assignment_group"],
        json!({"display_value": "", "value": "No Such Group"})
    );
    let stored = t.record("incident", rec["sys_id"]["value"].as_str().unwrap());
    assert_eq!(stored["_invalid_references"], json!(["assignment_group"]));
}

#[test]
fn display_value_all_gives_state_labels_on_the_records_themselves() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/change_request?sysparm_query=ORDERBYnumber&sysparm_fields=number,state,priority,type&sysparm_display_value=all&sysparm_limit=2",
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.result(),
        json!([
            {"number": {"display_value": "CHG0030001", "value": "CHG0030001"}, "state": {"display_value": "New", "value": "-5"}, "priority": {"display_value": "4 - Low", "value": "4"}, "type": {"display_value": "Normal", "value": "normal"}},
            {"number": {"display_value": "CHG0030002", "value": "CHG0030002"}, "state": {"display_value": "Assess", "value": "-4"}, "priority": {"display_value": "4 - Low", "value": "4"}, "type": {"display_value": "Normal", "value": "normal"}},
        ])
    );
}

#[test]
fn the_table_api_acl_switch_requires_snc_platform_rest_api_access() {
    let (_sb, t) = start();
    let token = t.access_token();
    t.configure(json!({"table_api_acl": true}));
    let r = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        &token,
        None,
    );
    assert_envelope(&r, 403, "User Not Authorized");
    assert_eq!(
        r.json()["error"]["detail"],
        json!("Failed API level ACL Validation")
    );
    t.set_user_fields(
        INTEGRATION_USER.0,
        json!({"roles": "itil,snc_platform_rest_api_access"}),
    );
    let r = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let admin = t.as_user(ADMIN_USER);
    let r = admin.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        &admin.access_token(),
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn config_reports_every_switch() {
    let (_sb, t) = start();
    let r = t.http.get(&t.url("/sandbox/config"), &[]);
    let c = r.result();
    for (k, v) in [
        ("release", "xanadu"),
        ("batch_api", "on"),
        ("change_api", "on"),
        ("sys_choice", "forbidden"),
    ] {
        assert_eq!(c[k], json!(v), "{c}");
    }
    assert_eq!(c["table_api_acl"], json!(false));
    let bad = t
        .http
        .post_json(&t.url("/sandbox/config"), &json!({"release": "tokyo"}));
    assert_eq!(bad.status, 400, "{}", bad.body);
}
