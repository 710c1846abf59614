//! `sys_user_has_role` and `sys_user_role`: who holds which role, with the row ACL of a default
//! instance: a user without admin reads no role row at all, not even their own (200, empty).

use serde_json::{json, Value};
use sn_sandbox::{
    seed_sys_id, Config, Sandbox, ADMIN_USER, INTEGRATION_USER, PERSONAL_USER, PORTAL_USER,
};

use crate::common::{self, assert_all_strings, assert_envelope, Target};

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

fn user_id(user: (&str, &str)) -> String {
    seed_sys_id("sys_user", user.0)
}

fn encode(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

fn list(t: &Target, token: &str, query: &str, params: &str) -> common::Resp {
    let r = t.api(
        "GET",
        &format!(
            "/api/now/table/sys_user_has_role?sysparm_query={}{params}",
            encode(query)
        ),
        token,
        None,
    );
    assert_eq!(r.status, 200, "{query}: {}", r.body);
    r
}

/// The request of `src/servicenow/user.rs`: the role names, sorted.
fn role_names(t: &Target, token: &str, user_sys_id: &str) -> Vec<String> {
    let r = list(
        t,
        token,
        &format!("user={user_sys_id}^state=active"),
        "&sysparm_fields=role.name&sysparm_limit=500&sysparm_no_count=true",
    );
    assert!(r.header("x-total-count").is_none());
    let mut names: Vec<String> = r
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            assert_eq!(row.as_object().unwrap().len(), 1, "only role.name: {row}");
            row["role.name"]
                .as_str()
                .unwrap_or_else(|| panic!("role.name is not a string: {row}"))
                .to_string()
        })
        .collect();
    names.sort();
    names
}

fn sys_ids(r: &common::Resp) -> Vec<String> {
    r.result()
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["sys_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn non_admins_read_no_role_rows_not_even_their_own() {
    let (_sb, t) = start();
    for who in [INTEGRATION_USER, PERSONAL_USER, PORTAL_USER] {
        let u = as_user(&t, who);
        let token = u.access_token();
        // 200 with nothing in it: "unknown", not "no roles".
        assert!(
            role_names(&u, &token, &user_id(who)).is_empty(),
            "{} read role rows",
            who.0
        );
        let all = list(&u, &token, "", "&sysparm_fields=user,role.name");
        assert_eq!(all.result(), json!([]), "{}", who.0);
        // One record by sys_id: 404, as for a record that does not exist.
        let mine = seed_sys_id("sys_user_has_role", &format!("{}:itil", who.0));
        let r = u.api(
            "GET",
            &format!("/api/now/table/sys_user_has_role/{mine}"),
            &token,
            None,
        );
        assert_envelope(&r, 404, "No Record found");
    }
}

#[test]
fn admin_reads_every_users_rows() {
    let (_sb, t) = start();
    let admin = as_user(&t, ADMIN_USER);
    let token = admin.access_token();
    let all = list(&admin, &token, "", "&sysparm_fields=sys_id");
    // itil for snshare.integration, abel.tuter, megan.bowen, beth.anglin, david.loo; admin
    assert_eq!(all.header("x-total-count"), Some("6"));
    assert_eq!(sys_ids(&all).len(), 6);
    assert_eq!(
        role_names(&admin, &token, &user_id(INTEGRATION_USER)),
        ["itil"],
        "the documented least-privilege integration user"
    );
    assert_eq!(role_names(&admin, &token, &user_id(ADMIN_USER)), ["admin"]);
    let mine = seed_sys_id("sys_user_has_role", "snshare.integration:itil");
    let r = admin.api(
        "GET",
        &format!("/api/now/table/sys_user_has_role/{mine}"),
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let rec = r.result();
    assert_all_strings(&rec);
    assert_eq!(rec["state"], json!("active"));
    assert_eq!(rec["inherited"], json!("false"));
}

#[test]
fn query_filters_by_user_and_state() {
    let (_sb, t) = start();
    let admin = as_user(&t, ADMIN_USER);
    let token = admin.access_token();
    let me = user_id(INTEGRATION_USER);
    let r = admin.api(
        "POST",
        "/api/now/table/sys_user_has_role?sysparm_fields=sys_id",
        &token,
        Some(&json!({"user": me, "role": "sn_change_read"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // Deactivate the integration user's itil grant.
    let itil = seed_sys_id("sys_user_has_role", "snshare.integration:itil");
    let r = admin.api(
        "PATCH",
        &format!("/api/now/table/sys_user_has_role/{itil}"),
        &token,
        Some(&json!({"state": "inactive"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        role_names(&admin, &token, &me),
        ["sn_change_read"],
        "state=active leaves the inactive grant out"
    );
    let inactive = list(
        &admin,
        &token,
        &format!("user={me}^state=inactive"),
        "&sysparm_fields=sys_id",
    );
    assert_eq!(sys_ids(&inactive), [itil]);
    // By role, for everyone: itil is held by five users.
    let holders = list(
        &admin,
        &token,
        "role.name=itil",
        "&sysparm_fields=user.user_name",
    );
    let mut users: Vec<String> = holders
        .result()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user.user_name"].as_str().unwrap().to_string())
        .collect();
    users.sort();
    assert_eq!(
        users,
        [
            "abel.tuter",
            "beth.anglin",
            "david.loo",
            "megan.bowen",
            "snshare.integration"
        ]
    );
    let two = list(
        &admin,
        &token,
        &format!("user={}^ORuser={me}", user_id(PERSONAL_USER)),
        "&sysparm_fields=sys_id",
    );
    assert_eq!(sys_ids(&two).len(), 3);
}

#[test]
fn dot_walked_role_name_follows_display_value_and_reference_link_options() {
    let (_sb, t) = start();
    let t = as_user(&t, ADMIN_USER);
    let token = t.access_token();
    let itil_role = seed_sys_id("sys_user_role", "itil");
    let get = |params: &str| -> Value {
        list(
            &t,
            &token,
            &format!("user={}^role.name=itil", user_id(INTEGRATION_USER)),
            &format!("&sysparm_fields=role,role.name{params}"),
        )
        .result()[0]
            .clone()
    };
    let link = format!("{}/api/now/table/sys_user_role/{itil_role}", t.base);
    assert_eq!(
        get(""),
        json!({"role": {"link": link, "value": itil_role}, "role.name": "itil"})
    );
    assert_eq!(
        get("&sysparm_exclude_reference_link=true"),
        json!({"role": itil_role, "role.name": "itil"})
    );
    assert_eq!(
        get("&sysparm_display_value=true"),
        json!({"role": {"display_value": "itil", "link": link}, "role.name": "itil"})
    );
    assert_eq!(
        get("&sysparm_display_value=true&sysparm_exclude_reference_link=true"),
        json!({"role": "itil", "role.name": "itil"})
    );
    assert_eq!(
        get("&sysparm_display_value=all&sysparm_exclude_reference_link=true"),
        json!({
            "role": {"display_value": "itil", "value": itil_role},
            "role.name": {"display_value": "itil", "value": "itil"},
        })
    );
}

#[test]
fn sys_user_role_holds_the_real_role_names_and_only_admin_writes_grants() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/sys_user_role?sysparm_fields=sys_id,name&sysparm_query=ORDERBYname",
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let expected: Vec<Value> = [
        "admin",
        "change_manager",
        "itil",
        "sn_change_read",
        "sn_change_write",
        "snc_platform_rest_api_access",
        "user_admin",
    ]
    .iter()
    .map(|n| json!({"sys_id": seed_sys_id("sys_user_role", n), "name": n}))
    .collect();
    assert_eq!(r.result(), Value::Array(expected));
    let grant = json!({"user": user_id(PERSONAL_USER), "role": "sn_change_write"});
    for who in [INTEGRATION_USER, PERSONAL_USER] {
        let u = as_user(&t, who);
        let r = u.api(
            "POST",
            "/api/now/table/sys_user_has_role",
            &u.access_token(),
            Some(&grant),
        );
        assert_envelope(&r, 403, "Operation Failed");
    }
    let admin = as_user(&t, ADMIN_USER);
    let r = admin.api(
        "POST",
        "/api/now/table/sys_user_has_role?sysparm_fields=role.name,state,inherited",
        &admin.access_token(),
        Some(&grant),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        r.result(),
        json!({"role.name": "sn_change_write", "state": "active", "inherited": "false"}),
        "a role given by name; state and inherited default"
    );
}

#[test]
fn row_acls_apply_after_the_query_and_paging_as_on_an_instance() {
    let (_sb, t) = start();
    let abel = as_user(&t, PERSONAL_USER);
    let token = abel.access_token();
    // Every row is filtered out after the query: an empty page, and the count is the query's.
    let r = list(&abel, &token, "", "&sysparm_fields=sys_id&sysparm_limit=2");
    assert_eq!(r.result(), json!([]));
    assert_eq!(r.header("x-total-count"), Some("6"));
}

#[test]
fn a_users_roles_field_is_for_admins_only() {
    let (_sb, t) = start();
    let q = "/api/now/table/sys_user?sysparm_query=user_name=snshare.integration&sysparm_fields=user_name,roles,web_service_access_only,internal_integration_user";
    let r = t.api("GET", q, &t.access_token(), None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.result(),
        json!([{"user_name": "snshare.integration", "roles": "", "web_service_access_only": "true", "internal_integration_user": "false"}])
    );
    let admin = as_user(&t, ADMIN_USER);
    let r = admin.api("GET", q, &admin.access_token(), None);
    assert_eq!(r.result()[0]["roles"], json!("itil"));
}

#[test]
fn a_data_dir_seeded_without_the_role_tables_gets_them_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: Some(dir.path().to_path_buf()),
        ..Config::default()
    };
    {
        // What an older sandbox left: no sys_user_role rows (and here, one grant missing too).
        let sb = common::sandbox_with(config.clone());
        let t = Target::sandbox(sb.url());
        let admin = as_user(&t, ADMIN_USER);
        let token = admin.access_token();
        for role in ["admin", "itil", "sn_change_write", "user_admin"] {
            let id = seed_sys_id("sys_user_role", role);
            let r = admin.api(
                "DELETE",
                &format!("/api/now/table/sys_user_role/{id}"),
                &token,
                None,
            );
            assert_eq!(r.status, 204, "{}", r.body);
        }
        let id = seed_sys_id("sys_user_has_role", "abel.tuter:itil");
        let r = admin.api(
            "DELETE",
            &format!("/api/now/table/sys_user_has_role/{id}"),
            &token,
            None,
        );
        assert_eq!(r.status, 204, "{}", r.body);
    }
    let sb = common::sandbox_with(config);
    let t = Target::sandbox(sb.url());
    let admin = as_user(&t, ADMIN_USER);
    let token = admin.access_token();
    let all = list(&admin, &token, "", "&sysparm_fields=sys_id");
    assert_eq!(sys_ids(&all).len(), 6, "no duplicates: {}", all.body);
    assert_eq!(
        role_names(&admin, &token, &user_id(PERSONAL_USER)),
        ["itil"]
    );
    let roles = admin.api(
        "GET",
        "/api/now/table/sys_user_role?sysparm_fields=name",
        &token,
        None,
    );
    assert_eq!(
        roles.result().as_array().unwrap().len(),
        7,
        "{}",
        roles.body
    );
}
