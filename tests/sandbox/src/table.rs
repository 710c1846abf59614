//! The Table API: `/api/now/table/{table}[/{sys_id}]`.

use hyper::{Method, Response, StatusCode};
use serde_json::{json, Map, Value};

use crate::app::{
    envelope, glide_datetime, json_response, now_ms, now_secs, ChoiceAccess, LogInfo, Req,
    Settings, State,
};
use crate::faults::rate_limited;
use crate::net::{set_header, Body};
use crate::query::{self, Query, Vars};
use crate::schema::{self, Field, Kind, Table};
use crate::seed::password_of;
use crate::store::{Record, Store, TokenKind};
use crate::{oauth, Error};

/// Who a request runs as.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_name: String,
    pub sys_id: String,
}

const DEFAULT_LIMIT: usize = 10_000;
/// Fields a client cannot set: the system fields and what business rules compute.
pub const READ_ONLY: &[&str] = &[
    "sys_created_on",
    "sys_created_by",
    "sys_updated_on",
    "sys_updated_by",
    "sys_mod_count",
    "sys_class_name",
    "opened_by",
];

pub fn not_authenticated() -> Response<Body> {
    envelope(
        StatusCode::UNAUTHORIZED,
        "User Not Authenticated",
        Some("Required to provide Auth information"),
    )
}

pub fn no_record() -> Response<Body> {
    envelope(
        StatusCode::NOT_FOUND,
        "No Record found",
        Some("Record doesn't exist or ACL restricts the record retrieval"),
    )
}

fn acl_denied(what: &str) -> Response<Body> {
    envelope(
        StatusCode::FORBIDDEN,
        "Operation Failed",
        Some(&format!(
            "ACL Exception {what} Failed due to security constraints"
        )),
    )
}

pub fn internal(e: Error) -> Response<Body> {
    envelope(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Internal error",
        Some(&e.to_string()),
    )
}

/// The user a `user_name` names, if it exists and is active.
pub fn actor_of(store: &Store, user_name: &str) -> Option<Actor> {
    store
        .rows("sys_user")
        .find(|u| {
            u.get("user_name").is_some_and(|n| n == user_name)
                && u.get("active").is_none_or(|a| a != "false")
        })
        .map(|u| Actor {
            user_name: user_name.to_string(),
            sys_id: u.get("sys_id").cloned().unwrap_or_default(),
        })
}

pub fn roles_of(store: &Store, user_name: &str) -> Vec<String> {
    store
        .rows("sys_user")
        .find(|u| u.get("user_name").is_some_and(|n| n == user_name))
        .and_then(|u| u.get("roles"))
        .map(|r| {
            r.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Bearer access token, or Basic user name and password (which instances also accept).
pub fn authenticate(s: &State, req: &Req) -> Option<Actor> {
    let auth = req.authorization()?.trim();
    let (scheme, value) = auth.split_once(' ')?;
    let value = value.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        let t = s.store.tokens.get(value)?;
        if t.kind != TokenKind::Access || t.revoked || now_ms() >= t.expires_at_ms {
            return None;
        }
        actor_of(&s.store, &t.user)
    } else if scheme.eq_ignore_ascii_case("basic") {
        let (user, password) = oauth::decode_basic(value)?;
        (password_of(&user) == Some(password.as_str()))
            .then(|| actor_of(&s.store, &user))
            .flatten()
    } else {
        None
    }
}

/// Who a REST request runs as, counted against their hourly limit (a request inside a batch is
/// counted with its batch); the 401 or 429 otherwise.
pub fn admit(s: &mut State, req: &Req, info: &mut LogInfo) -> Result<Actor, Response<Body>> {
    let Some(actor) = authenticate(s, req) else {
        return Err(not_authenticated());
    };
    info.user = Some(actor.user_name.clone());
    if !req.in_batch {
        rate_limit(s, &actor.user_name, info)?;
    }
    Ok(actor)
}

/// The rate limit rule a request matched, as its answer's headers say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitInfo {
    pub limit: u32,
    /// Unix seconds when the window's count starts again.
    pub reset: u64,
}

impl RateLimitInfo {
    /// `X-RateLimit-Limit`, `X-RateLimit-Reset` and `X-RateLimit-Rule`, which an instance
    /// puts on every answer a rule matches (ServiceNow sends no `X-RateLimit-Remaining`).
    pub fn set_headers(&self, r: &mut Response<Body>) {
        crate::net::set_header(r, "x-ratelimit-limit", &self.limit.to_string());
        crate::net::set_header(r, "x-ratelimit-reset", &self.reset.to_string());
        crate::net::set_header(r, "x-ratelimit-rule", crate::faults::RATE_LIMIT_RULE);
    }
}

/// Counts the request against the user's limit (fixed windows of `rate_limit_window_secs`
/// from `rate_epoch`); the 429 when it is spent. Either way the answer carries the rule's
/// headers (`info.rate_limit`).
fn rate_limit(s: &mut State, user: &str, info: &mut LogInfo) -> Result<(), Response<Body>> {
    let Some(limit) = s.settings.rate_limit_per_hour else {
        return Ok(());
    };
    let now = now_secs();
    let length = s.settings.rate_limit_window_secs.max(1);
    let epoch = s.rate_epoch.min(now);
    let window = (now - epoch) / length;
    let reset = epoch + (window + 1) * length;
    info.rate_limit = Some(RateLimitInfo { limit, reset });
    let entry = s.rate.entry(user.to_string()).or_insert((window, 0));
    if entry.0 != window {
        *entry = (window, 0);
    }
    if entry.1 >= limit {
        return Err(rate_limited(
            (reset - now).max(1),
            limit,
            &format!("user {user}"),
        ));
    }
    entry.1 += 1;
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Insert,
    Write,
    Delete,
}

pub fn has_role(roles: &[String], role: &str) -> bool {
    roles.iter().any(|r| r == role)
}

/// Table-level ACLs of a default instance (with the ITSM roles plugin): `itil` works incidents
/// and change requests alike ("Role required: itil, admin, or sn_change_write").
pub fn allowed(settings: &Settings, roles: &[String], table: &str, access: Access) -> bool {
    let has = |r: &str| has_role(roles, r);
    if has("admin") {
        return true;
    }
    let change_reader = has("itil") || has("sn_change_read") || has("sn_change_write");
    match (table, access) {
        ("incident", Access::Read | Access::Insert | Access::Write) => has("itil"),
        ("change_request", Access::Read) => change_reader,
        ("change_request", Access::Insert | Access::Write) => has("itil") || has("sn_change_write"),
        ("chg_model" | "std_change_record_producer", Access::Read) => change_reader,
        ("sys_user" | "sys_user_group" | "sys_user_role", Access::Read) => true,
        ("sys_choice", Access::Read) => settings.sys_choice != ChoiceAccess::Forbidden,
        // Row by row: see `row_readable`.
        ("sys_user_has_role", Access::Read) => true,
        _ => false,
    }
}

/// Row-level read ACLs, applied after the table-level one. As on a default instance, a user
/// without admin reads no `sys_user_has_role` row, not even their own (an empty answer, not an
/// error), and with `sys_choice: empty` no choice row either.
pub fn row_readable(settings: &Settings, roles: &[String], table: &Table) -> bool {
    if has_role(roles, "admin") {
        return true;
    }
    match table.name {
        "sys_user_has_role" => false,
        "sys_choice" => settings.sys_choice == ChoiceAccess::Readable,
        _ => true,
    }
}

/// Field-level read ACLs: a user's `roles` list is for admins only.
fn field_readable(roles: &[String], table: &Table, field: &str) -> bool {
    !(table.name == "sys_user" && field == "roles" && !has_role(roles, "admin"))
}

pub fn invalid_table(name: &str) -> Response<Body> {
    envelope(
        StatusCode::BAD_REQUEST,
        &format!("Invalid table {name}"),
        None,
    )
}

pub fn method_not_allowed() -> Response<Body> {
    envelope(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method not Supported",
        Some("Method not supported for the requested resource"),
    )
}

/// The 403 of a REST API ACL (an API the user's roles do not open).
pub fn api_acl_denied() -> Response<Body> {
    envelope(
        StatusCode::FORBIDDEN,
        "User Not Authorized",
        Some("Failed API level ACL Validation"),
    )
}

pub fn handle(s: &mut State, req: &Req, rest: &str, info: &mut LogInfo) -> Response<Body> {
    let actor = match admit(s, req, info) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut segments = rest.split('/');
    let name = segments.next().unwrap_or("");
    let sys_id = segments.next().filter(|x| !x.is_empty());
    if segments.next().is_some_and(|x| !x.is_empty()) {
        return envelope(
            StatusCode::BAD_REQUEST,
            "Requested URI does not represent any resource",
            None,
        );
    }
    let Some(table) = schema::table(name) else {
        return invalid_table(name);
    };
    let roles = roles_of(&s.store, &actor.user_name);
    if s.settings.table_api_acl
        && !has_role(&roles, "admin")
        && !has_role(&roles, "snc_platform_rest_api_access")
    {
        return api_acl_denied();
    }
    let settings = s.settings.clone();
    let m = &req.method;
    match sys_id {
        None if m == Method::GET => {
            if !allowed(&settings, &roles, table.name, Access::Read) {
                return envelope(
                    StatusCode::FORBIDDEN,
                    "Insufficient rights to query records",
                    Some("Field(s) present in the query do not have permission to be read"),
                );
            }
            list(&s.store, &settings, table, req, &actor, &roles)
        }
        Some(id) if m == Method::GET => {
            if !allowed(&settings, &roles, table.name, Access::Read) {
                return no_record();
            }
            match s.store.get(table.name, id) {
                Some(rec) if row_readable(&settings, &roles, table) => json_response(
                    StatusCode::OK,
                    &json!({"result": render(&s.store, table, rec, &opts(req, &roles))}),
                ),
                _ => no_record(),
            }
        }
        None if m == Method::POST => {
            if !allowed(&settings, &roles, table.name, Access::Insert) {
                return acl_denied("Insert");
            }
            create(&mut s.store, table, req, &actor, &roles)
        }
        Some(id) if m == Method::PUT || m == Method::PATCH => {
            if !s.store.contains(table.name, id) {
                return no_record();
            }
            if !allowed(&settings, &roles, table.name, Access::Write) {
                return acl_denied("Update");
            }
            update(&mut s.store, table, id, req, &actor, &roles)
        }
        Some(id) if m == Method::DELETE => {
            if !s.store.contains(table.name, id) {
                return no_record();
            }
            if !allowed(&settings, &roles, table.name, Access::Delete) {
                return acl_denied("Delete");
            }
            match s.store.delete(table.name, id) {
                Ok(_) => crate::net::response(StatusCode::NO_CONTENT, "", ""),
                Err(e) => internal(e),
            }
        }
        _ => method_not_allowed(),
    }
}

// ----------------------------------------------------------------------------------------------
// Reading

#[derive(Clone, Copy, PartialEq, Eq)]
enum Display {
    Value,
    Label,
    Both,
}

pub struct Opts {
    fields: Option<Vec<String>>,
    display: Display,
    exclude_link: bool,
    base: String,
    /// The reader's roles, for field-level ACLs.
    roles: Vec<String>,
}

fn opts(req: &Req, roles: &[String]) -> Opts {
    let fields = req
        .param("sysparm_fields")
        .map(|f| {
            f.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|f| !f.is_empty());
    let display = match req
        .param("sysparm_display_value")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("true") => Display::Label,
        Some("all") => Display::Both,
        _ => Display::Value,
    };
    Opts {
        fields,
        display,
        exclude_link: req
            .param("sysparm_exclude_reference_link")
            .is_some_and(|v| v.eq_ignore_ascii_case("true")),
        base: req.base.clone(),
        roles: roles.to_vec(),
    }
}

/// Every field as `{"display_value","value"}`, references without link: the Change Management
/// API's shape.
pub fn opts_both(req: &Req, roles: &[String]) -> Opts {
    Opts {
        fields: None,
        display: Display::Both,
        exclude_link: true,
        base: req.base.clone(),
        roles: roles.to_vec(),
    }
}

/// The table and field a (possibly dot-walked) path ends at.
pub fn field_at(table: &'static Table, path: &str) -> Option<(&'static Table, &'static Field)> {
    match path.split_once('.') {
        None => table.field(path).map(|f| (table, f)),
        Some((first, rest)) => match table.field(first)?.kind {
            Kind::Reference(t) => field_at(schema::table(t)?, rest),
            _ => None,
        },
    }
}

/// A field's raw value, following references for dot-walked paths.
pub fn resolve(store: &Store, table: &Table, rec: &Record, path: &str) -> String {
    match path.split_once('.') {
        None => rec.get(path).cloned().unwrap_or_default(),
        Some((first, rest)) => {
            let Some(Kind::Reference(t)) = table.field(first).map(|f| f.kind) else {
                return String::new();
            };
            let (Some(rt), Some(id)) = (schema::table(t), rec.get(first)) else {
                return String::new();
            };
            store
                .get(t, id)
                .map(|r| resolve(store, rt, r, rest))
                .unwrap_or_default()
        }
    }
}

/// The active English choices of `table.element` in `sys_choice` (value, label), in sequence
/// order; empty when the field has no choice list.
pub fn choices<'a>(store: &'a Store, table: &str, element: &str) -> Vec<(&'a str, &'a str)> {
    let mut list: Vec<(i64, &str, &str)> = store
        .rows("sys_choice")
        .filter(|c| {
            c.get("name").is_some_and(|n| n == table)
                && c.get("element").is_some_and(|e| e == element)
                && c.get("language").is_none_or(|l| l == "en")
                && c.get("inactive").is_none_or(|i| i != "true")
        })
        .map(|c| {
            let get = |k: &str| c.get(k).map(String::as_str).unwrap_or("");
            (
                get("sequence").parse().unwrap_or(0),
                get("value"),
                get("label"),
            )
        })
        .collect();
    list.sort_by_key(|(seq, _, _)| *seq);
    list.into_iter().map(|(_, v, l)| (v, l)).collect()
}

pub fn choice_label(store: &Store, table: &str, element: &str, value: &str) -> Option<String> {
    choices(store, table, element)
        .into_iter()
        .find(|(v, _)| *v == value)
        .map(|(_, l)| l.to_string())
}

/// Choice fields holding a value that is not one of their choices: what an instance shows as
/// an invalid choice (the value is stored as sent). Fields without a choice list are not judged.
pub fn invalid_choices(store: &Store, table: &Table, rec: &Record) -> Vec<String> {
    table
        .fields
        .iter()
        .filter(|f| matches!(f.kind, Kind::IntChoice | Kind::TextChoice))
        .filter_map(|f| {
            let value = rec.get(f.name).filter(|v| !v.is_empty())?;
            let list = choices(store, table.name, f.name);
            (!list.is_empty() && !list.iter().any(|(v, _)| v == value)).then(|| f.name.to_string())
        })
        .collect()
}

/// Reference fields naming no record of the referenced table (an instance stores the value and
/// shows an empty reference).
pub fn invalid_references(store: &Store, table: &Table, rec: &Record) -> Vec<String> {
    table
        .fields
        .iter()
        .filter_map(|f| match f.kind {
            Kind::Reference(t) => {
                let value = rec.get(f.name).filter(|v| !v.is_empty())?;
                (!store.contains(t, value)).then(|| f.name.to_string())
            }
            _ => None,
        })
        .collect()
}

pub fn display_of(store: &Store, table: &Table, field: &Field, value: &str) -> String {
    match field.kind {
        Kind::Reference(t) => match (schema::table(t), store.get(t, value)) {
            (Some(rt), Some(r)) => r.get(rt.display_field).cloned().unwrap_or_default(),
            _ => String::new(),
        },
        Kind::IntChoice | Kind::TextChoice => {
            choice_label(store, table.name, field.name, value).unwrap_or_else(|| value.to_string())
        }
        _ => value.to_string(),
    }
}

pub fn render(store: &Store, table: &'static Table, rec: &Record, o: &Opts) -> Value {
    let mut out = Map::new();
    let all: Vec<String>;
    let paths: &[String] = match &o.fields {
        Some(f) => f,
        None => {
            all = table.fields.iter().map(|f| f.name.to_string()).collect();
            &all
        }
    };
    for path in paths {
        let Some((ft, field)) = field_at(table, path) else {
            continue;
        };
        let value = if field_readable(&o.roles, ft, field.name) {
            resolve(store, table, rec, path)
        } else {
            String::new()
        };
        let v = match field.kind {
            Kind::Reference(rt) if !value.is_empty() => {
                let link = format!("{}/api/now/table/{rt}/{value}", o.base);
                let label = display_of(store, ft, field, &value);
                match (o.display, o.exclude_link) {
                    (Display::Value, true) => json!(value),
                    (Display::Label, true) => json!(label),
                    (Display::Both, true) => json!({"display_value": label, "value": value}),
                    (Display::Value, false) => json!({"link": link, "value": value}),
                    (Display::Label, false) => json!({"display_value": label, "link": link}),
                    (Display::Both, false) => {
                        json!({"display_value": label, "link": link, "value": value})
                    }
                }
            }
            _ => match o.display {
                Display::Value => json!(value),
                Display::Label => json!(display_of(store, ft, field, &value)),
                Display::Both => {
                    json!({"display_value": display_of(store, ft, field, &value), "value": value})
                }
            },
        };
        out.insert(path.clone(), v);
    }
    Value::Object(out)
}

struct TableSchema(&'static Table);

impl query::Schema for TableSchema {
    fn known(&self, path: &str) -> bool {
        field_at(self.0, path).is_some()
    }
    fn numeric(&self, path: &str) -> bool {
        field_at(self.0, path).is_some_and(|(_, f)| f.kind.numeric())
    }
}

/// The rows an encoded query selects, in its order (`javascript:` functions as `actor`).
pub fn matching<'a>(
    store: &'a Store,
    table: &'static Table,
    query: &str,
    actor: &Actor,
) -> Vec<&'a Record> {
    let ts = TableSchema(table);
    let vars = Vars {
        user_sys_id: &actor.sys_id,
        user_name: &actor.user_name,
    };
    let q = Query::parse(query, &ts, &vars);
    let get = |r: &Record, f: &str| resolve(store, table, r, f);
    let mut rows: Vec<&Record> = store
        .rows(table.name)
        .filter(|r| q.matches(&ts, &|f| get(r, f)))
        .collect();
    q.sort(&ts, &mut rows, &|r, f| get(r, f));
    rows
}

/// As on an instance, row ACLs run after the query and the paging: a page may hold fewer rows
/// than `sysparm_limit`, and `X-Total-Count` counts the rows the query matched.
fn list(
    store: &Store,
    settings: &Settings,
    table: &'static Table,
    req: &Req,
    actor: &Actor,
    roles: &[String],
) -> Response<Body> {
    let rows = matching(
        store,
        table,
        req.param("sysparm_query").unwrap_or(""),
        actor,
    );
    let total = rows.len();
    let limit = req
        .param("sysparm_limit")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(DEFAULT_LIMIT);
    let offset = req
        .param("sysparm_offset")
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let o = opts(req, roles);
    let readable = row_readable(settings, roles, table);
    let page: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(limit)
        .filter(|_| readable)
        .map(|r| render(store, table, r, &o))
        .collect();
    let mut resp = json_response(StatusCode::OK, &json!({"result": page}));
    if !req
        .param("sysparm_no_count")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    {
        set_header(&mut resp, "x-total-count", &total.to_string());
    }
    set_header(
        &mut resp,
        "link",
        &link_header(req, table, total, limit, offset),
    );
    resp
}

/// `Link: <…>;rel="first",<…>;rel="prev",<…>;rel="next",<…>;rel="last"`
fn link_header(req: &Req, table: &Table, total: usize, limit: usize, offset: usize) -> String {
    let step = limit.max(1);
    let url = |off: usize| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &req.query {
            if k != "sysparm_offset" && k != "sysparm_limit" {
                q.append_pair(k, v);
            }
        }
        q.append_pair("sysparm_limit", &limit.to_string());
        q.append_pair("sysparm_offset", &off.to_string());
        format!("<{}/api/now/table/{}?{}>", req.base, table.name, q.finish())
    };
    let last = if total == 0 {
        0
    } else {
        (total - 1) / step * step
    };
    let mut parts = vec![format!("{};rel=\"first\"", url(0))];
    if offset > 0 {
        parts.push(format!("{};rel=\"prev\"", url(offset.saturating_sub(step))));
    }
    if offset.saturating_add(step) < total {
        parts.push(format!("{};rel=\"next\"", url(offset.saturating_add(step))));
    }
    parts.push(format!("{};rel=\"last\"", url(last)));
    parts.join(",")
}

// ----------------------------------------------------------------------------------------------
// Writing

/// The JSON object of a POST/PUT/PATCH body, or the 400 an instance answers.
pub fn body_object(req: &Req) -> Result<Map<String, Value>, Response<Body>> {
    let ct = req.content_type();
    if !ct.starts_with("application/json") {
        return Err(envelope(
            StatusCode::BAD_REQUEST,
            "Exception while reading request",
            Some(&format!(
                "Content-Type '{ct}' is not supported: use application/json"
            )),
        ));
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(envelope(
            StatusCode::BAD_REQUEST,
            "Exception while reading request",
            Some("The payload is not valid JSON."),
        )),
    }
}

fn as_field_value(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Object(o) => o.get("value").and_then(as_field_value),
        Value::Array(_) => None,
    }
}

/// Turns a request body into field values: unknown and read-only fields are dropped (as an
/// instance does), references given by display value are resolved, and the data policy on
/// `short_description` is applied.
pub fn field_values(
    store: &Store,
    table: &'static Table,
    body: &Map<String, Value>,
) -> Result<Record, Response<Body>> {
    let mut out = Record::new();
    for (k, v) in body {
        let Some(field) = table.field(k) else {
            continue;
        };
        if READ_ONLY.contains(&k.as_str()) || (table.name == "incident" && k == "priority") {
            continue;
        }
        let Some(mut value) = as_field_value(v) else {
            continue;
        };
        if k == "short_description" && value.chars().count() > 160 {
            return Err(envelope(
                StatusCode::BAD_REQUEST,
                "Operation Failed",
                Some("Data Policy Exception: Short description must be at most 160 characters"),
            ));
        }
        if let Kind::Reference(rt) = field.kind {
            value = resolve_reference(store, rt, &value);
        }
        out.insert(k.clone(), value);
    }
    Ok(out)
}

fn resolve_reference(store: &Store, table: &str, value: &str) -> String {
    if value.is_empty() || store.contains(table, value) {
        return value.to_string();
    }
    let Some(t) = schema::table(table) else {
        return value.to_string();
    };
    store
        .rows(table)
        .find(|r| {
            r.get(t.display_field)
                .is_some_and(|d| d.eq_ignore_ascii_case(value))
                || (table == "sys_user" && r.get("user_name").is_some_and(|d| d == value))
        })
        .and_then(|r| r.get("sys_id").cloned())
        .unwrap_or_else(|| value.to_string())
}

fn is_sys_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn new_sys_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn truncate(table: &Table, rec: &mut Record) {
    for (k, v) in rec.iter_mut() {
        if let Some(Field {
            kind: Kind::Text(max),
            ..
        }) = table.field(k)
        {
            if v.chars().count() > *max {
                *v = v.chars().take(*max).collect();
            }
        }
    }
}

/// Business rules of a default instance that the sandbox mimics.
fn business_rules(table: &Table, rec: &mut Record, now: u64) {
    let get = |r: &Record, k: &str| r.get(k).cloned().unwrap_or_default();
    match table.name {
        "incident" => {
            let p = schema::priority(&get(rec, "impact"), &get(rec, "urgency"));
            rec.insert("priority".into(), p.into());
            let state = get(rec, "state");
            rec.insert("incident_state".into(), state.clone());
            rec.insert(
                "active".into(),
                (!matches!(state.as_str(), "7" | "8")).to_string(),
            );
            if (state == "6" || state == "7") && get(rec, "resolved_at").is_empty() {
                rec.insert("resolved_at".into(), glide_datetime(now));
            }
            if state == "7" && get(rec, "closed_at").is_empty() {
                rec.insert("closed_at".into(), glide_datetime(now));
            }
        }
        "change_request" => {
            let state = get(rec, "state");
            rec.insert(
                "active".into(),
                (!matches!(state.as_str(), "3" | "4")).to_string(),
            );
            if state == "3" && get(rec, "closed_at").is_empty() {
                rec.insert("closed_at".into(), glide_datetime(now));
            }
        }
        _ => {}
    }
}

/// Inserts a record as `actor` at `now`: defaults, numbering, system fields and business rules,
/// but no access or data-policy checks (those belong to the API path).
pub fn insert_raw(
    store: &mut Store,
    table_name: &str,
    fields: Record,
    actor: &Actor,
    now: u64,
) -> Result<Record, Error> {
    let table =
        schema::table(table_name).ok_or_else(|| Error::Config(format!("no table {table_name}")))?;
    let mut rec: Record = table
        .fields
        .iter()
        .map(|f| (f.name.to_string(), String::new()))
        .collect();
    let ts = glide_datetime(now);
    let defaults: &[(&str, &str)] = match table.name {
        "incident" => &[
            ("state", "1"),
            ("impact", "3"),
            ("urgency", "3"),
            ("sys_class_name", "incident"),
        ],
        "change_request" => &[
            ("type", "normal"),
            ("state", "-5"),
            ("impact", "3"),
            ("urgency", "3"),
            ("priority", "4"),
            ("risk", "3"),
            ("sys_class_name", "change_request"),
        ],
        "sys_user" => &[
            ("active", "true"),
            ("locked_out", "false"),
            ("web_service_access_only", "false"),
        ],
        "sys_user_group" => &[("active", "true")],
        "sys_choice" => &[("language", "en"), ("inactive", "false"), ("sequence", "0")],
        "sys_user_has_role" => &[("state", "active"), ("inherited", "false")],
        _ => &[],
    };
    for (k, v) in defaults {
        rec.insert((*k).into(), (*v).into());
    }
    if table.numbering.is_some() {
        rec.insert("opened_at".into(), ts.clone());
    }
    for (k, v) in fields {
        if table.field(&k).is_some() {
            rec.insert(k, v);
        }
    }
    if table.numbering.is_some() {
        rec.insert("opened_by".into(), actor.sys_id.clone());
        let who = if table.name == "incident" {
            "caller_id"
        } else {
            "requested_by"
        };
        if rec.get(who).is_none_or(|v| v.is_empty()) {
            rec.insert(who.into(), actor.sys_id.clone());
        }
        if rec.get("number").is_none_or(|v| v.is_empty()) {
            if let Some(n) = store.next_number(table.name)? {
                rec.insert("number".into(), n);
            }
        }
    }
    let id = rec.get("sys_id").cloned().unwrap_or_default();
    if !is_sys_id(&id) || store.contains(table.name, &id) {
        rec.insert("sys_id".into(), new_sys_id());
    }
    for (k, v) in [
        ("sys_created_on", ts.clone()),
        ("sys_created_by", actor.user_name.clone()),
        ("sys_updated_on", ts),
        ("sys_updated_by", actor.user_name.clone()),
        ("sys_mod_count", "0".to_string()),
    ] {
        rec.insert(k.into(), v);
    }
    business_rules(table, &mut rec, now);
    truncate(table, &mut rec);
    store.put(table.name, rec.clone())?;
    Ok(rec)
}

fn create(
    store: &mut Store,
    table: &'static Table,
    req: &Req,
    actor: &Actor,
    roles: &[String],
) -> Response<Body> {
    let body = match body_object(req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let mut fields = match field_values(store, table, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Some(id) = body.get("sys_id").and_then(Value::as_str) {
        fields.insert("sys_id".into(), id.to_string());
    }
    match insert_raw(store, table.name, fields, actor, now_secs()) {
        Ok(rec) => {
            let id = rec.get("sys_id").cloned().unwrap_or_default();
            let mut resp = json_response(
                StatusCode::CREATED,
                &json!({"result": render(store, table, &rec, &opts(req, roles))}),
            );
            set_header(
                &mut resp,
                "location",
                &format!("{}/api/now/table/{}/{id}", req.base, table.name),
            );
            resp
        }
        Err(e) => internal(e),
    }
}

fn update(
    store: &mut Store,
    table: &'static Table,
    id: &str,
    req: &Req,
    actor: &Actor,
    roles: &[String],
) -> Response<Body> {
    let body = match body_object(req) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let fields = match field_values(store, table, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let Some(mut rec) = store.get(table.name, id).cloned() else {
        return no_record();
    };
    let now = now_secs();
    for (k, v) in fields {
        if k != "sys_id" {
            rec.insert(k, v);
        }
    }
    let count = rec
        .get("sys_mod_count")
        .and_then(|c| c.parse::<u64>().ok())
        .unwrap_or(0)
        + 1;
    rec.insert("sys_mod_count".into(), count.to_string());
    rec.insert("sys_updated_on".into(), glide_datetime(now));
    rec.insert("sys_updated_by".into(), actor.user_name.clone());
    business_rules(table, &mut rec, now);
    truncate(table, &mut rec);
    if let Err(e) = store.put(table.name, rec.clone()) {
        return internal(e);
    }
    json_response(
        StatusCode::OK,
        &json!({"result": render(store, table, &rec, &opts(req, roles))}),
    )
}

/// `POST /sandbox/records/{table}/{sys_id}`: sets fields as given, no rules.
pub fn set_raw(
    store: &mut Store,
    table: &'static Table,
    id: &str,
    body: &Map<String, Value>,
) -> Result<Option<Record>, Error> {
    let Some(mut rec) = store.get(table.name, id).cloned() else {
        return Ok(None);
    };
    for (k, v) in body {
        if table.field(k).is_some() && k != "sys_id" {
            if let Some(v) = as_field_value(v) {
                rec.insert(k.clone(), v);
            }
        }
    }
    store.put(table.name, rec.clone())?;
    Ok(Some(rec))
}

/// `POST /sandbox/seed`: inserts `count` records through the business rules; record `i`
/// (from 0) takes the `i mod n`-th of each `cycle` field's n values.
pub fn bulk_insert(
    store: &mut Store,
    table: &'static Table,
    count: usize,
    correlation_prefix: Option<&str>,
    fields: &Map<String, Value>,
    cycle: &[(String, Vec<String>)],
    actor: &Actor,
) -> Result<Vec<Record>, Error> {
    let base: Record = fields
        .iter()
        .filter(|(k, _)| table.field(k).is_some())
        .filter_map(|(k, v)| as_field_value(v).map(|v| (k.clone(), v)))
        .collect();
    let now = now_secs();
    store.batch(|store| {
        let mut out = Vec::with_capacity(count);
        for i in 1..=count {
            let mut f = base.clone();
            for (k, values) in cycle {
                if let Some(v) = values.get((i - 1) % values.len().max(1)) {
                    if table.field(k).is_some() {
                        f.insert(k.clone(), v.clone());
                    }
                }
            }
            if let Some(p) = correlation_prefix {
                f.insert("correlation_id".into(), format!("{p}{i}"));
            }
            if !f.contains_key("short_description") && table.field("short_description").is_some() {
                f.insert(
                    "short_description".into(),
                    format!("Seeded {} {i}", table.name),
                );
            }
            for (k, v) in f.iter_mut() {
                if let Some(Field {
                    kind: Kind::Reference(rt),
                    ..
                }) = table.field(k)
                {
                    *v = resolve_reference(store, rt, v);
                }
            }
            out.push(insert_raw(store, table.name, f, actor, now)?);
        }
        Ok(out)
    })
}
