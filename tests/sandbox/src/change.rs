//! The Change Management API (`/api/sn_chg_rest/[v1/]change/…`): creates change requests
//! through a change model, as integrations are meant to.
//!
//! - `POST change/normal`, `POST change/emergency`: one change of that type, on its model
//!   (`chg_model`), in state New (-5); fields from name-value pairs in the URL and a JSON body
//!   (the body wins). Read-only, unknown and model-set fields (`type`, `chg_model`, `state`,
//!   `number`…) are left out and listed in `__meta.ignoredFields`.
//! - `POST change/standard/{template_sys_id}`: a standard change with the template's values;
//!   as documented, `description`, `backout_plan`, `test_plan` and `implementation_plan` cannot
//!   be given and are ignored too.
//! - `GET change/standard/template[/{sys_id}]`, `GET change[/{type}]/{sys_id}`, `GET change`
//!   (`sysparm_query`, `sysparm_limit`, `sysparm_offset`).
//!
//! Answers are `{"result": …}` with every field as `{"display_value","value"}`; a creation
//! answers 200. Roles (per the documentation): GET needs itil, sn_change_read, change_manager or
//! admin; POST itil, change_manager or admin (sn_change_write too, the ITSM roles plugin's write
//! role); otherwise 403 "User Not Authorized". `change_api: off` removes the API (400 as for any
//! unknown REST path), `forbidden` refuses every caller.

use hyper::{Method, Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::app::{envelope, json_response, now_secs, ApiAccess, LogInfo, Req, State};
use crate::batch::not_a_resource;
use crate::net::Body;
use crate::schema::{self, Table};
use crate::seed::seed_sys_id;
use crate::store::Record;
use crate::table::{
    admit, api_acl_denied, body_object, field_values, has_role, insert_raw, internal, matching,
    no_record, opts_both, render, roles_of, Actor, READ_ONLY,
};

/// Fields the change model sets, which a caller cannot.
const MODEL_FIELDS: &[&str] = &[
    "type",
    "chg_model",
    "state",
    "number",
    "sys_id",
    "std_change_producer_version",
];
/// Fields a standard change takes from its template only.
const TEMPLATE_ONLY: &[&str] = &[
    "description",
    "backout_plan",
    "test_plan",
    "implementation_plan",
];

pub fn handle(s: &mut State, req: &Req, rest: &str, info: &mut LogInfo) -> Response<Body> {
    let access = s.settings.change_api;
    if access == ApiAccess::Off {
        return not_a_resource();
    }
    if access == ApiAccess::Unauthenticated {
        return crate::table::not_authenticated();
    }
    let actor = match admit(s, req, info) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let roles = roles_of(&s.store, &actor.user_name);
    let has = |r: &str| has_role(&roles, r);
    let may_write = has("admin") || has("itil") || has("change_manager") || has("sn_change_write");
    let may_read = may_write || has("sn_change_read");
    let m = &req.method;
    if access == ApiAccess::Forbidden
        || (m == Method::GET && !may_read)
        || (m != Method::GET && !may_write)
    {
        return api_acl_denied();
    }
    let rest = rest.strip_prefix("v1/").unwrap_or(rest);
    let segments: Vec<&str> = rest
        .trim_end_matches('/')
        .split('/')
        .filter(|x| !x.is_empty())
        .collect();
    match (m.as_str(), segments.as_slice()) {
        ("POST", ["change", kind @ ("normal" | "emergency")]) => {
            create(s, req, &actor, &roles, kind, None)
        }
        ("POST", ["change", "standard", template]) if *template != "template" => {
            create(s, req, &actor, &roles, "standard", Some(template))
        }
        ("GET", ["change", "standard", "template"]) => {
            list(s, req, &actor, &roles, &schema::STD_CHANGE_RECORD_PRODUCER)
        }
        ("GET", ["change", "standard", "template", id]) => one(
            s,
            req,
            &roles,
            &schema::STD_CHANGE_RECORD_PRODUCER,
            id,
            None,
        ),
        ("GET", ["change"]) => list(s, req, &actor, &roles, &schema::CHANGE_REQUEST),
        ("GET", ["change", id]) => one(s, req, &roles, &schema::CHANGE_REQUEST, id, None),
        ("GET", ["change", kind @ ("normal" | "emergency" | "standard"), id]) => {
            one(s, req, &roles, &schema::CHANGE_REQUEST, id, Some(kind))
        }
        _ => not_a_resource(),
    }
}

fn create(
    s: &mut State,
    req: &Req,
    actor: &Actor,
    roles: &[String],
    kind: &str,
    template_id: Option<&str>,
) -> Response<Body> {
    let table = &schema::CHANGE_REQUEST;
    // Name-value pairs in the URL, then the JSON body over them.
    let mut given: Map<String, Value> = req
        .query
        .iter()
        .filter(|(k, _)| !k.starts_with("sysparm_"))
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    if !req.body.iter().all(u8::is_ascii_whitespace) {
        match body_object(req) {
            Ok(body) => given.extend(body),
            Err(r) => return r,
        }
    }
    let mut fields = Record::new();
    if let Some(id) = template_id {
        let Some(template) = s.store.get("std_change_record_producer", id) else {
            return envelope(
                StatusCode::NOT_FOUND,
                "No Record found",
                Some("Standard change template not found"),
            );
        };
        if template.get("active").is_some_and(|a| a == "false") {
            return envelope(
                StatusCode::BAD_REQUEST,
                "Invalid standard change template",
                Some("The standard change template is not active"),
            );
        }
        for pair in template
            .get("template_value")
            .map(String::as_str)
            .unwrap_or("")
            .split('^')
        {
            if let Some((k, v)) = pair.split_once('=') {
                if table.field(k).is_some() {
                    fields.insert(k.to_string(), v.to_string());
                }
            }
        }
        fields.insert("std_change_producer_version".into(), id.to_string());
    }
    let ignored: Vec<String> = given
        .keys()
        .filter(|k| {
            table.field(k).is_none()
                || READ_ONLY.contains(&k.as_str())
                || MODEL_FIELDS.contains(&k.as_str())
                || (template_id.is_some() && TEMPLATE_ONLY.contains(&k.as_str()))
        })
        .cloned()
        .collect();
    given.retain(|k, _| !ignored.contains(k));
    match field_values(&s.store, table, &given) {
        Ok(values) => fields.extend(values),
        Err(r) => return r,
    }
    fields.insert("type".into(), kind.to_string());
    fields.insert("chg_model".into(), seed_sys_id("chg_model", kind));
    fields.insert("state".into(), "-5".into());
    match insert_raw(&mut s.store, table.name, fields, actor, now_secs()) {
        Ok(rec) => {
            let mut result = render(&s.store, table, &rec, &opts_both(req, roles));
            result["__meta"] = json!({ "ignoredFields": ignored });
            json_response(StatusCode::OK, &json!({ "result": result }))
        }
        Err(e) => internal(e),
    }
}

fn one(
    s: &State,
    req: &Req,
    roles: &[String],
    table: &'static Table,
    id: &str,
    kind: Option<&str>,
) -> Response<Body> {
    match s.store.get(table.name, id) {
        Some(rec) if kind.is_none_or(|k| rec.get("type").is_some_and(|t| t == k)) => json_response(
            StatusCode::OK,
            &json!({"result": render(&s.store, table, rec, &opts_both(req, roles))}),
        ),
        _ => no_record(),
    }
}

fn list(
    s: &State,
    req: &Req,
    actor: &Actor,
    roles: &[String],
    table: &'static Table,
) -> Response<Body> {
    let number = |k: &str, default: usize| {
        req.param(k)
            .and_then(|v| v.trim().parse::<usize>().ok())
            .unwrap_or(default)
    };
    let o = opts_both(req, roles);
    let rows: Vec<Value> = matching(
        &s.store,
        table,
        req.param("sysparm_query").unwrap_or(""),
        actor,
    )
    .into_iter()
    .skip(number("sysparm_offset", 0))
    .take(number("sysparm_limit", 500))
    .map(|r| render(&s.store, table, r, &o))
    .collect();
    json_response(StatusCode::OK, &json!({ "result": rows }))
}
