//! The Change Management API (`/api/sn_chg_rest/change/…`): normal, emergency and standard
//! changes through their models, the documented answer shape, roles, and the plugin switch.

use serde_json::{json, Value};
use sn_sandbox::{seed_sys_id, ApiAccess, Config, Sandbox, PERSONAL_USER};

use crate::common::{self, assert_envelope, Target};

fn start() -> (Sandbox, Target) {
    let sb = common::sandbox();
    let t = Target::sandbox(sb.url());
    (sb, t)
}

fn post(t: &Target, token: &str, path: &str, body: Option<&Value>) -> common::Resp {
    t.api("POST", path, token, body)
}

fn value_of(result: &Value, field: &str) -> String {
    result[field]["value"]
        .as_str()
        .unwrap_or_else(|| panic!("{field} is not {{value, display_value}}: {result}"))
        .to_string()
}

#[test]
fn a_normal_change_gets_its_model_and_every_field_as_value_and_display_value() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = post(
        &t,
        &token,
        "/api/sn_chg_rest/change/normal?category=Network&short_description=from+the+url",
        Some(&json!({
            "short_description": "Enable MFA for admins",
            "description": "From Secure Score",
            "priority": "2",
            "impact": "2",
            "urgency": "1",
            "assignment_group": seed_sys_id("sys_user_group", "Security Operations"),
            "correlation_id": "snshare:abc",
            "no_such_field": "x",
            "type": "emergency",
            "state": "3",
        })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let result = r.result();
    assert_eq!(
        result["type"],
        json!({"display_value": "Normal", "value": "normal"})
    );
    assert_eq!(
        result["state"],
        json!({"display_value": "New", "value": "-5"})
    );
    assert_eq!(
        result["priority"],
        json!({"display_value": "2 - High", "value": "2"})
    );
    assert_eq!(
        result["category"],
        json!({"display_value": "Network", "value": "Network"})
    );
    assert_eq!(
        result["short_description"]["value"],
        json!("Enable MFA for admins"),
        "the body wins over the URL"
    );
    assert_eq!(
        result["assignment_group"],
        json!({"display_value": "Security Operations", "value": seed_sys_id("sys_user_group", "Security Operations")})
    );
    assert_eq!(
        result["chg_model"],
        json!({"display_value": "Normal", "value": seed_sys_id("chg_model", "normal")})
    );
    let sys_id = value_of(&result, "sys_id");
    assert!(value_of(&result, "number").starts_with("CHG"));
    let mut ignored: Vec<String> = result["__meta"]["ignoredFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    ignored.sort();
    assert_eq!(ignored, ["no_such_field", "state", "type"]);
    let stored = t.record("change_request", &sys_id);
    assert_eq!(
        stored["chg_model"],
        json!(seed_sys_id("chg_model", "normal"))
    );
    assert_eq!(stored["correlation_id"], json!("snshare:abc"));
    assert_eq!(stored["_invalid_choices"], json!([]));
    // Read back through the API and through the Table API alike.
    let back = t.api(
        "GET",
        &format!("/api/sn_chg_rest/change/{sys_id}"),
        &token,
        None,
    );
    assert_eq!(back.result()["number"], result["number"]);
    let typed = t.api(
        "GET",
        &format!("/api/sn_chg_rest/v1/change/emergency/{sys_id}"),
        &token,
        None,
    );
    assert_envelope(&typed, 404, "No Record found");
}

#[test]
fn an_emergency_change_and_the_table_api_contrast() {
    let (_sb, t) = start();
    let token = t.access_token();
    let r = post(
        &t,
        &token,
        "/api/sn_chg_rest/v1/change/emergency",
        Some(&json!({"short_description": "Patch now"})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let result = r.result();
    assert_eq!(value_of(&result, "type"), "emergency");
    assert_eq!(
        value_of(&result, "chg_model"),
        seed_sys_id("chg_model", "emergency")
    );
    assert_eq!(
        value_of(&result, "priority"),
        "4",
        "not computed: the default"
    );
    assert_eq!(result["__meta"]["ignoredFields"], json!([]));
    // The Table API sets the type as sent and no model.
    let table = t.api(
        "POST",
        "/api/now/table/change_request",
        &token,
        Some(&json!({"short_description": "table", "type": "normal"})),
    );
    let id = table.result()["sys_id"].as_str().unwrap().to_string();
    assert_eq!(t.record("change_request", &id)["chg_model"], json!(""));
}

#[test]
fn standard_changes_come_from_a_published_template() {
    let (_sb, t) = start();
    let token = t.access_token();
    let list = t.api(
        "GET",
        "/api/sn_chg_rest/change/standard/template?sysparm_query=active=true^ORDERBYname",
        &token,
        None,
    );
    assert_eq!(list.status, 200, "{}", list.body);
    let templates = list.result();
    let names: Vec<String> = templates
        .as_array()
        .unwrap()
        .iter()
        .map(|x| value_of(x, "name"))
        .collect();
    assert_eq!(
        names,
        [
            "Add a firewall rule",
            "Enable a security policy setting",
            "Rotate service account credentials"
        ]
    );
    let template = seed_sys_id("std_change_record_producer", "2");
    assert_eq!(value_of(&templates[1], "sys_id"), template);
    let one = t.api(
        "GET",
        &format!("/api/sn_chg_rest/change/standard/template/{template}"),
        &token,
        None,
    );
    assert_eq!(
        value_of(&one.result(), "name"),
        "Enable a security policy setting"
    );
    let r = post(
        &t,
        &token,
        &format!("/api/sn_chg_rest/change/standard/{template}"),
        Some(
            &json!({"short_description": "Enable MFA registration", "description": "not allowed here", "correlation_id": "snshare:std"}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let result = r.result();
    assert_eq!(value_of(&result, "type"), "standard");
    assert_eq!(
        value_of(&result, "chg_model"),
        seed_sys_id("chg_model", "standard")
    );
    assert_eq!(
        value_of(&result, "short_description"),
        "Enable MFA registration"
    );
    assert_eq!(
        value_of(&result, "category"),
        "Software",
        "from the template"
    );
    assert_eq!(value_of(&result, "risk"), "4");
    assert_eq!(value_of(&result, "description"), "");
    assert!(value_of(&result, "implementation_plan").starts_with("Apply the setting"));
    assert_eq!(value_of(&result, "std_change_producer_version"), template);
    assert_eq!(result["__meta"]["ignoredFields"], json!(["description"]));
    let missing = post(
        &t,
        &token,
        "/api/sn_chg_rest/change/standard/0123456789abcdef0123456789abcdef",
        None,
    );
    assert_envelope(&missing, 404, "No Record found");
}

#[test]
fn roles_as_documented_and_the_plugin_switch() {
    let (_sb, t) = start();
    t.set_user_fields(PERSONAL_USER.0, json!({"roles": "sn_change_read"}));
    let abel = t.as_user(PERSONAL_USER);
    let token = abel.access_token();
    let create = |who: &Target, token: &str| {
        post(
            who,
            token,
            "/api/sn_chg_rest/change/normal",
            Some(&json!({"short_description": "x"})),
        )
    };
    let r = create(&abel, &token);
    assert_envelope(&r, 403, "User Not Authorized");
    assert_eq!(
        r.json()["error"]["detail"],
        json!("Failed API level ACL Validation")
    );
    let read = abel.api(
        "GET",
        "/api/sn_chg_rest/change?sysparm_limit=2",
        &token,
        None,
    );
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.result().as_array().unwrap().len(), 2);
    t.set_user_fields(PERSONAL_USER.0, json!({"roles": ""}));
    assert_eq!(
        abel.api("GET", "/api/sn_chg_rest/change", &token, None)
            .status,
        403
    );
    t.set_user_fields(PERSONAL_USER.0, json!({"roles": "sn_change_write"}));
    assert_eq!(create(&abel, &token).status, 200);

    let mine = t.access_token();
    assert_eq!(create(&t, &mine).status, 200, "itil alone creates changes");
    t.configure(json!({"change_api": "off"}));
    assert_envelope(
        &create(&t, &mine),
        400,
        "Requested URI does not represent any resource",
    );
    t.configure(json!({"change_api": "forbidden"}));
    assert_envelope(&create(&t, &mine), 403, "User Not Authorized");
    t.configure(json!({"change_api": "unauthenticated"}));
    assert_envelope(&create(&t, &mine), 401, "User Not Authenticated");
    let anonymous = t.http.send(
        "POST",
        &t.url("/api/sn_chg_rest/change/normal"),
        &[("Accept", "application/json")],
        None,
    );
    assert_envelope(&anonymous, 401, "User Not Authenticated");

    let off = common::sandbox_with(Config {
        change_api: ApiAccess::Off,
        ..Config::default()
    });
    let o = Target::sandbox(off.url());
    assert_envelope(
        &create(&o, &o.access_token()),
        400,
        "Requested URI does not represent any resource",
    );
    let log = o.http.get(&o.url("/sandbox/requests"), &[]).result();
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == json!("/api/sn_chg_rest/change/normal")
                && e["status"] == json!(400))
    );
}

#[test]
fn a_change_can_be_created_inside_a_batch() {
    use base64::Engine;
    let (_sb, t) = start();
    let token = t.access_token();
    let b64 = base64::engine::general_purpose::STANDARD;
    let r = t.api(
        "POST",
        "/api/now/v1/batch",
        &token,
        Some(&json!({"batch_request_id": "b", "rest_requests": [{
            "id": "chg", "method": "POST", "url": "/api/sn_chg_rest/change/normal",
            "headers": [{"name": "Content-Type", "value": "application/json"}, {"name": "Accept", "value": "application/json"}],
            "body": b64.encode(json!({"short_description": "batched", "priority": "3"}).to_string()),
        }]})),
    );
    let item = &r.json()["serviced_requests"][0];
    assert_eq!(item["status_code"], json!(200), "{}", r.body);
    let body: Value =
        serde_json::from_slice(&b64.decode(item["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(body["result"]["priority"]["value"], json!("3"));
}
