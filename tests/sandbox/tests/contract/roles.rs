//! `sys_user_has_role` and `sys_user_role`: who holds which role, read the way snshare asks
//! ("who is connected, and can they create change requests"), with the row ACL that lets a user
//! read only their own role rows.

use serde_json::{json, Value};
use sn_sandbox::{seed_sys_id, Config, Sandbox, ADMIN_USER, INTEGRATION_USER, PERSONAL_USER};

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
fn integration_user_reads_its_three_roles_by_name() {
    let (_sb, t) = start();
    let token = t.access_token();
    assert_eq!(
        role_names(&t, &token, &user_id(INTEGRATION_USER)),
        ["itil", "rest_service", "sn_change_writer"]
    );
}

#[test]
fn personal_user_reads_only_itil() {
    let (_sb, t) = start();
    let abel = as_user(&t, PERSONAL_USER);
    let token = abel.access_token();
    assert_eq!(role_names(&abel, &token, &user_id(PERSONAL_USER)), ["itil"]);
    // No filter at all: still only abel's own row.
    let all = list(&abel, &token, "", "&sysparm_fields=user,role.name");
    assert_eq!(
        all.result(),
        json!([{
            "user": {
                "link": format!("{}/api/now/table/sys_user/{}", t.base, user_id(PERSONAL_USER)),
                "value": user_id(PERSONAL_USER),
            },
            "role.name": "itil",
        }])
    );
}

#[test]
fn personal_user_cannot_see_the_integration_users_rows() {
    let (_sb, t) = start();
    let abel = as_user(&t, PERSONAL_USER);
    let token = abel.access_token();
    // A list read is filtered, not refused.
    assert!(role_names(&abel, &token, &user_id(INTEGRATION_USER)).is_empty());
    let r = list(
        &abel,
        &token,
        "role.name=sn_change_writer",
        "&sysparm_fields=sys_id",
    );
    assert_eq!(r.result(), json!([]));
    // One record by sys_id: 404, as for a record that does not exist.
    let theirs = seed_sys_id("sys_user_has_role", "snshare.integration:itil");
    let r = abel.api(
        "GET",
        &format!("/api/now/table/sys_user_has_role/{theirs}"),
        &token,
        None,
    );
    assert_envelope(&r, 404, "No Record found");
    let mine = seed_sys_id("sys_user_has_role", "abel.tuter:itil");
    let r = abel.api(
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
fn admin_reads_every_users_rows() {
    let (_sb, t) = start();
    let admin = as_user(&t, ADMIN_USER);
    let token = admin.access_token();
    let all = list(&admin, &token, "", "&sysparm_fields=sys_id");
    // snshare.integration 3, abel.tuter 1, admin 1, beth.anglin 1, david.loo 1
    assert_eq!(all.header("x-total-count"), Some("7"));
    assert_eq!(sys_ids(&all).len(), 7);
    assert_eq!(
        role_names(&admin, &token, &user_id(INTEGRATION_USER)),
        ["itil", "rest_service", "sn_change_writer"]
    );
    assert_eq!(role_names(&admin, &token, &user_id(ADMIN_USER)), ["admin"]);
}

#[test]
fn query_filters_by_user_and_state() {
    let (_sb, t) = start();
    let admin = as_user(&t, ADMIN_USER);
    let admin_token = admin.access_token();
    // Deactivate one of the integration user's grants.
    let rest = seed_sys_id("sys_user_has_role", "snshare.integration:rest_service");
    let r = admin.api(
        "PATCH",
        &format!("/api/now/table/sys_user_has_role/{rest}"),
        &admin_token,
        Some(&json!({"state": "inactive"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let token = t.access_token();
    let me = user_id(INTEGRATION_USER);
    assert_eq!(
        role_names(&t, &token, &me),
        ["itil", "sn_change_writer"],
        "state=active leaves the inactive grant out"
    );
    let inactive = list(
        &t,
        &token,
        &format!("user={me}^state=inactive"),
        "&sysparm_fields=sys_id",
    );
    assert_eq!(sys_ids(&inactive), [rest]);
    // By user, for everyone (admin): itil is held by four users.
    let itil = list(
        &admin,
        &admin_token,
        "role.name=itil",
        "&sysparm_fields=user.user_name",
    );
    let mut users: Vec<String> = itil
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
            "snshare.integration"
        ]
    );
    let one = list(
        &admin,
        &admin_token,
        &format!("user={}^ORuser={me}", user_id(PERSONAL_USER)),
        "&sysparm_fields=sys_id",
    );
    assert_eq!(sys_ids(&one).len(), 4);
}

#[test]
fn dot_walked_role_name_follows_display_value_and_reference_link_options() {
    let (_sb, t) = start();
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
fn sys_user_role_holds_every_seeded_role_and_only_admin_writes_grants() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/sys_user_role?sysparm_fields=sys_id,name&sysparm_query=ORDERBYname",
        &token,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let expected: Vec<Value> = ["admin", "itil", "rest_service", "sn_change_writer"]
        .iter()
        .map(|n| json!({"sys_id": seed_sys_id("sys_user_role", n), "name": n}))
        .collect();
    assert_eq!(r.result(), Value::Array(expected));
    let grant = json!({"user": user_id(PERSONAL_USER), "role": "sn_change_writer"});
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
        json!({"role.name": "sn_change_writer", "state": "active", "inherited": "false"}),
        "a role given by name; state and inherited default"
    );
}

#[test]
fn row_acls_apply_after_the_query_and_paging_as_on_an_instance() {
    let (_sb, t) = start();
    let abel = as_user(&t, PERSONAL_USER);
    let token = abel.access_token();
    // The first two rows (in creation order) are the integration user's: the page comes back
    // empty, and the count is the query's.
    let r = list(&abel, &token, "", "&sysparm_fields=sys_id&sysparm_limit=2");
    assert_eq!(r.result(), json!([]));
    assert_eq!(r.header("x-total-count"), Some("7"));
    let r = list(
        &abel,
        &token,
        "",
        "&sysparm_fields=sys_id&sysparm_limit=500",
    );
    assert_eq!(
        sys_ids(&r),
        [seed_sys_id("sys_user_has_role", "abel.tuter:itil")]
    );
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
        for role in ["admin", "itil", "rest_service", "sn_change_writer"] {
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
    assert_eq!(sys_ids(&all).len(), 7, "no duplicates: {}", all.body);
    let abel = as_user(&t, PERSONAL_USER);
    assert_eq!(
        role_names(&abel, &abel.access_token(), &user_id(PERSONAL_USER)),
        ["itil"]
    );
}
