//! `/sandbox/*`: what tests use to look inside and steer the sandbox. No authentication; these
//! paths exist only here, never on an instance.

use hyper::{Method, Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::app::{json_response, now_ms, App, Req};
use crate::faults::FaultSpec;
use crate::net::Body;
use crate::schema;
use crate::seed::{self, seed_sys_id, APPS, USERS};
use crate::store::TokenKind;
use crate::table;

fn bad(message: impl Into<String>) -> Response<Body> {
    json_response(StatusCode::BAD_REQUEST, &json!({"error": message.into()}))
}

fn ok(v: Value) -> Response<Body> {
    json_response(StatusCode::OK, &json!({ "result": v }))
}

fn no_content() -> Response<Body> {
    crate::net::response(StatusCode::NO_CONTENT, "", "")
}

fn body_json<T: for<'de> Deserialize<'de>>(req: &Req) -> Result<T, Response<Body>> {
    let body: &[u8] = if req.body.is_empty() {
        b"{}"
    } else {
        &req.body
    };
    serde_json::from_slice(body).map_err(|e| bad(format!("invalid JSON body: {e}")))
}

#[derive(Deserialize)]
struct RevokeBody {
    user: Option<String>,
}

#[derive(Deserialize)]
struct ConfigBody {
    access_ttl_secs: Option<u64>,
    refresh_ttl_secs: Option<u64>,
    /// `0` or `null` turns the limit off.
    #[serde(default, deserialize_with = "some_option")]
    rate_limit_per_hour: Option<Option<u32>>,
    /// The rate limit's window in seconds (at least 1).
    rate_limit_window_secs: Option<u64>,
    client_credentials: Option<bool>,
    release: Option<crate::app::Release>,
    batch_api: Option<crate::app::ApiAccess>,
    change_api: Option<crate::app::ApiAccess>,
    sys_choice: Option<crate::app::ChoiceAccess>,
    table_api_acl: Option<bool>,
}

fn some_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(d).map(Some)
}

#[derive(Deserialize)]
struct SeedBody {
    table: String,
    count: usize,
    correlation_prefix: Option<String>,
    #[serde(default)]
    fields: Map<String, Value>,
    /// Who the records are opened by (default `snshare.integration`).
    user: Option<String>,
    /// Field → values taken in turn, record by record (`{"state": ["1", "2", "7"]}`).
    #[serde(default)]
    cycle: std::collections::BTreeMap<String, Vec<String>>,
}

pub async fn handle(app: &App, req: &Req) -> Response<Body> {
    let path = req.path.trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').skip(2).collect();
    let m = req.method.clone();
    match (m, segments.as_slice()) {
        (Method::GET, ["health"]) => ok(json!("ok")),
        (Method::GET, ["credentials"]) => ok(credentials()),
        (Method::POST, ["faults"]) => {
            let spec: FaultSpec = match body_json(req) {
                Ok(s) => s,
                Err(r) => return r,
            };
            let mut s = app.lock();
            let id = s.next_fault_id;
            match spec.into_fault(id) {
                Ok(f) => {
                    s.next_fault_id += 1;
                    let v = serde_json::to_value(&f).unwrap_or(Value::Null);
                    s.faults.push(f);
                    json_response(StatusCode::CREATED, &json!({ "result": v }))
                }
                Err(e) => bad(e),
            }
        }
        (Method::GET, ["faults"]) => {
            ok(serde_json::to_value(&app.lock().faults).unwrap_or(Value::Null))
        }
        (Method::GET, ["endless"]) => ok(json!({
            "sent": app.endless_sent.load(std::sync::atomic::Ordering::Relaxed)
        })),
        (Method::DELETE, ["faults"]) => {
            app.lock().faults.clear();
            no_content()
        }
        (Method::GET, ["records", name]) => {
            let Some(t) = schema::table(name) else {
                return bad(format!("unknown table {name}"));
            };
            let s = app.lock();
            let rows: Vec<Value> = s
                .store
                .rows(t.name)
                .map(|r| annotated(&s.store, t, r))
                .collect();
            ok(Value::Array(rows))
        }
        (Method::POST, ["records", name, id]) => {
            let Some(t) = schema::table(name) else {
                return bad(format!("unknown table {name}"));
            };
            let body: Map<String, Value> = match body_json(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let mut s = app.lock();
            match table::set_raw(&mut s.store, t, id, &body) {
                Ok(Some(rec)) => ok(json!(rec)),
                Ok(None) => {
                    json_response(StatusCode::NOT_FOUND, &json!({"error": "no such record"}))
                }
                Err(e) => json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({"error": e.to_string()}),
                ),
            }
        }
        (Method::DELETE, ["records", name, id]) => {
            let Some(t) = schema::table(name) else {
                return bad(format!("unknown table {name}"));
            };
            match app.lock().store.delete(t.name, id) {
                Ok(true) => no_content(),
                Ok(false) => {
                    json_response(StatusCode::NOT_FOUND, &json!({"error": "no such record"}))
                }
                Err(e) => json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({"error": e.to_string()}),
                ),
            }
        }
        (Method::POST, ["reset"]) => match app.reset() {
            Ok(()) => ok(json!("reset")),
            Err(e) => json_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({"error": e.to_string()}),
            ),
        },
        (Method::GET, ["requests"]) => {
            let since: u64 = req.param("since").and_then(|v| v.parse().ok()).unwrap_or(0);
            let s = app.lock();
            let entries: Vec<Value> = s
                .log
                .iter()
                .filter(|e| e.index >= since)
                .map(|e| serde_json::to_value(e).unwrap_or(Value::Null))
                .collect();
            json_response(
                StatusCode::OK,
                &json!({"result": entries, "next": s.next_log_index}),
            )
        }
        (Method::GET, ["requests", "counts"]) => {
            // HTTP requests per "METHOD path" since an index: what a test or the bench counts
            // per endpoint (a batch is one request, whatever it carries).
            let since: u64 = req.param("since").and_then(|v| v.parse().ok()).unwrap_or(0);
            let s = app.lock();
            let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
            let mut total = 0u64;
            for e in s.log.iter().filter(|e| e.index >= since) {
                *counts
                    .entry(format!("{} {}", e.method, e.path))
                    .or_default() += 1;
                total += 1;
            }
            json_response(
                StatusCode::OK,
                &json!({"result": {"total": total, "by_endpoint": counts}, "next": s.next_log_index}),
            )
        }
        (Method::DELETE, ["requests"]) => {
            app.lock().log.clear();
            no_content()
        }
        (Method::POST, ["tokens", "revoke"]) => {
            let body: RevokeBody = match body_json(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let mut s = app.lock();
            let res = s.store.update_tokens(|_, t| {
                let hit = t.kind == TokenKind::Refresh
                    && !t.revoked
                    && body.user.as_deref().is_none_or(|u| u == t.user);
                if hit {
                    t.revoked = true;
                }
                hit
            });
            match res {
                Ok(n) => ok(json!({ "revoked": n })),
                Err(e) => json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({"error": e.to_string()}),
                ),
            }
        }
        (Method::POST, ["tokens", "expire"]) => {
            let now = now_ms();
            let mut s = app.lock();
            let res = s.store.update_tokens(|_, t| {
                let hit = t.kind == TokenKind::Access && t.expires_at_ms > now;
                if hit {
                    t.expires_at_ms = now;
                }
                hit
            });
            match res {
                Ok(n) => ok(json!({ "expired": n })),
                Err(e) => json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({"error": e.to_string()}),
                ),
            }
        }
        (Method::GET, ["config"]) => {
            ok(serde_json::to_value(&app.lock().settings).unwrap_or(Value::Null))
        }
        (Method::POST, ["config"]) => {
            let body: ConfigBody = match body_json(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let mut s = app.lock();
            if let Some(v) = body.access_ttl_secs {
                s.settings.access_ttl_secs = v;
            }
            if let Some(v) = body.refresh_ttl_secs {
                s.settings.refresh_ttl_secs = v;
            }
            if let Some(v) = body.rate_limit_per_hour {
                s.settings.rate_limit_per_hour = v.filter(|n| *n > 0);
                s.rate.clear();
                s.rate_epoch = crate::app::now_secs();
            }
            if let Some(v) = body.rate_limit_window_secs {
                s.settings.rate_limit_window_secs = v.max(1);
                s.rate.clear();
                s.rate_epoch = crate::app::now_secs();
            }
            if let Some(v) = body.client_credentials {
                s.settings.client_credentials = v;
            }
            if let Some(v) = body.release {
                s.settings.release = v;
            }
            if let Some(v) = body.batch_api {
                s.settings.batch_api = v;
            }
            if let Some(v) = body.change_api {
                s.settings.change_api = v;
            }
            if let Some(v) = body.sys_choice {
                s.settings.sys_choice = v;
            }
            if let Some(v) = body.table_api_acl {
                s.settings.table_api_acl = v;
            }
            ok(serde_json::to_value(&s.settings).unwrap_or(Value::Null))
        }
        (Method::POST, ["seed"]) => {
            let body: SeedBody = match body_json(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            let Some(t) = schema::table(&body.table) else {
                return bad(format!("unknown table {}", body.table));
            };
            if body.count > 100_000 {
                return bad("count: at most 100000");
            }
            let user = body.user.unwrap_or_else(|| "snshare.integration".into());
            let mut s = app.lock();
            let Some(actor) = table::actor_of(&s.store, &user) else {
                return bad(format!("unknown user {user}"));
            };
            match table::bulk_insert(
                &mut s.store,
                t,
                body.count,
                body.correlation_prefix.as_deref(),
                &body.fields,
                &body.cycle.into_iter().collect::<Vec<_>>(),
                &actor,
            ) {
                Ok(recs) => {
                    let ids: Vec<&str> = recs
                        .iter()
                        .filter_map(|r| r.get("sys_id").map(String::as_str))
                        .collect();
                    let numbers: Vec<&str> = recs
                        .iter()
                        .filter_map(|r| r.get("number").map(String::as_str))
                        .collect();
                    ok(json!({"count": recs.len(), "sys_ids": ids, "numbers": numbers}))
                }
                Err(e) => json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({"error": e.to_string()}),
                ),
            }
        }
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({"error": format!("no sandbox endpoint {} {}", req.method, req.path)}),
        ),
    }
}

/// A stored row as it is, plus what an instance would show as wrong with it:
/// `_invalid_choices` (choice fields holding a value outside their choice list) and
/// `_invalid_references` (references to no record).
fn annotated(store: &crate::store::Store, t: &schema::Table, r: &crate::store::Record) -> Value {
    let mut v = json!(r);
    v["_invalid_choices"] = json!(table::invalid_choices(store, t, r));
    v["_invalid_references"] = json!(table::invalid_references(store, t, r));
    v
}

/// The seeded credentials, as printed at start-up.
pub fn credentials() -> Value {
    json!({
        "oauth_apps": APPS.iter().map(|a| json!({
            "client_id": a.client_id,
            "client_secret": a.client_secret,
            "name": a.name,
            "redirect_urls": a.redirect_patterns,
            "pkce_required": a.client_secret.is_none(),
        })).collect::<Vec<_>>(),
        "users": USERS.iter().filter(|u| u.password.is_some()).map(|u| json!({
            "user_name": u.user_name,
            "password": u.password,
            "roles": u.roles,
            "web_service_access_only": u.web_service_only,
            "sys_id": seed_sys_id("sys_user", u.user_name),
        })).collect::<Vec<_>>(),
    })
}

/// The seeded credentials as text lines, for the binary's start-up banner.
pub fn credentials_text() -> String {
    let mut out = String::from("Seeded credentials:\n");
    for a in &seed::APPS {
        match a.client_secret {
            Some(s) => out.push_str(&format!(
                "  OAuth client {} (\"{}\"): client_id={} client_secret={} redirect={}\n",
                "confidential",
                a.name,
                a.client_id,
                s,
                a.redirect_patterns.join(" ")
            )),
            None => out.push_str(&format!(
                "  OAuth client public, PKCE S256 (\"{}\"): client_id={} redirect={}\n",
                a.name,
                a.client_id,
                a.redirect_patterns.join(" ")
            )),
        }
    }
    for u in USERS.iter().filter(|u| u.password.is_some()) {
        out.push_str(&format!(
            "  user {} / {}  roles: {}{}\n",
            u.user_name,
            u.password.unwrap_or(""),
            u.roles,
            if u.web_service_only {
                " (web service access only: password grant, no login page)"
            } else {
                ""
            }
        ));
    }
    out
}
