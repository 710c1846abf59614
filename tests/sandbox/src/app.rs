//! The sandbox's shared state and the request pipeline: sandbox admin paths, injected faults,
//! routing, and the request log.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::faults::{Fault, FaultKind};
use crate::net::{self, Body, ConnCtx};
use crate::oauth::{OAuthState, Session};
use crate::store::Store;
use crate::{admin, batch, change, oauth, pages, seed, stats, table, Config, Error};

/// The ServiceNow release the sandbox behaves as, where releases differ.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Release {
    /// Xanadu and earlier: every Application Registry entry has a client secret (left blank,
    /// the instance generates one), so there are no public clients.
    #[default]
    Xanadu,
    /// Zurich and later: public clients with PKCE (S256) are documented.
    Zurich,
}

/// Whether a REST API other than the Table API can be used.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ApiAccess {
    /// Present and allowed.
    #[default]
    On,
    /// Present, but a REST API ACL refuses the user: 403 "User Not Authorized".
    Forbidden,
    /// Not on the instance (plugin not active): 400 "Requested URI does not represent any
    /// resource", as for any unknown REST path.
    Off,
    /// Present, but a REST API access policy admits other authentication types only (basic
    /// auth, ID tokens…): 401 "User Not Authenticated" to any OAuth token, however fresh, while
    /// the Table API takes the same token.
    Unauthenticated,
}

/// What a user without `admin` gets when reading `sys_choice`.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum ChoiceAccess {
    /// The table's read ACL refuses: 403 "Insufficient rights to query records".
    #[default]
    Forbidden,
    /// Row ACLs filter every row out: 200 with an empty result.
    Empty,
    /// Readable by everyone (an instance whose admin opened it up).
    Readable,
}

fn hour() -> u64 {
    3600
}

/// The settings tests may change while the sandbox runs (`POST /sandbox/config`);
/// `POST /sandbox/reset` puts back the start-up values.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Settings {
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    /// Requests per user per hour on the REST API; `None`: no limit.
    pub rate_limit_per_hour: Option<u32>,
    /// The length of the rate limit's window (3600: an instance's rules are per hour); a test
    /// shortens it, e.g. to 60 for "60 per minute".
    #[serde(default = "hour")]
    pub rate_limit_window_secs: u64,
    pub client_credentials: bool,
    pub release: Release,
    /// The Batch API (`POST /api/now/v1/batch`).
    pub batch_api: ApiAccess,
    /// The Change Management API (`/api/sn_chg_rest/…`).
    pub change_api: ApiAccess,
    pub sys_choice: ChoiceAccess,
    /// The REST API ACL "Table API" is active (inactive on a default instance): the Table API
    /// then needs `snc_platform_rest_api_access` (or admin).
    pub table_api_acl: bool,
}

/// One line of the request log (`GET /sandbox/requests`).
#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    pub index: u64,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    /// The authenticated user (`user_name`), if any.
    pub user: Option<String>,
    /// The `grant_type` of a token request.
    pub grant: Option<String>,
    /// For a Batch API call: the requests it carried, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub batch: Vec<BatchItemLog>,
    /// The kind of the fault injected into this request.
    pub fault: Option<String>,
    /// When the request arrived, Unix time in milliseconds.
    pub time_ms: u64,
    pub duration_ms: u64,
}

/// One request inside a Batch API call, for the request log.
#[derive(Clone, Debug, Serialize)]
pub struct BatchItemLog {
    pub id: String,
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    /// The kind of the fault injected into this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

/// What handlers learn while answering, for the request log.
#[derive(Default)]
pub struct LogInfo {
    pub user: Option<String>,
    pub grant: Option<String>,
    pub batch: Vec<BatchItemLog>,
    /// The rate limit rule the request matched: its `X-RateLimit-*` headers go on the answer.
    pub rate_limit: Option<table::RateLimitInfo>,
}

/// Request log entries kept (the oldest tenth goes when full).
const MAX_LOG: usize = 100_000;

pub struct State {
    pub store: Store,
    pub settings: Settings,
    pub oauth: OAuthState,
    pub faults: Vec<Fault>,
    pub next_fault_id: u64,
    pub log: Vec<LogEntry>,
    pub next_log_index: u64,
    /// How many times the sandbox was reset: a request held across a reset (a delay fault
    /// whose client left) belongs to the test before it, and neither commits nor is logged.
    pub resets: u64,
    /// user → (hour window, requests in it)
    pub rate: HashMap<String, (u64, u32)>,
    /// Unix seconds the rate limit's windows are counted from: 0 (an instance's hours), or
    /// when a test last set the limit, so that a test's first window is a whole one.
    pub rate_epoch: u64,
    pub seed_demo: bool,
    /// The settings at start-up, which a reset restores.
    pub initial_settings: Settings,
}

pub struct App {
    state: Mutex<State>,
    pub data_dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
    /// Bytes the `endless` fault's bodies sent, all of them together (`GET /sandbox/endless`).
    pub endless_sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// A request as the handlers see it: body read, query decoded.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub raw_query: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// `scheme://host[:port]` as the client addressed us: the base of links and `Location`.
    pub base: String,
    /// One of the requests of a Batch API call (counted with the batch, not on its own).
    pub in_batch: bool,
}

impl Req {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> String {
        self.header(CONTENT_TYPE.as_str())
            .unwrap_or("")
            .to_ascii_lowercase()
    }

    pub fn authorization(&self) -> Option<&str> {
        self.header(AUTHORIZATION.as_str())
    }

    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub fn now_secs() -> u64 {
    now_ms() / 1000
}

/// UTC `YYYY-MM-DD HH:MM:SS`, the Table API's date format.
pub fn glide_datetime(unix_secs: u64) -> String {
    let fmt = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::from_unix_timestamp(unix_secs.min(i64::MAX as u64) as i64)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}

pub fn json_response(status: StatusCode, v: &Value) -> Response<Body> {
    net::response(status, "application/json;charset=UTF-8", v.to_string())
}

/// ServiceNow's REST error envelope.
pub fn envelope(status: StatusCode, message: &str, detail: Option<&str>) -> Response<Body> {
    json_response(
        status,
        &json!({"error": {"message": message, "detail": detail}, "status": "failure"}),
    )
}

impl App {
    pub fn open(config: &Config) -> Result<App, Error> {
        let (data_dir, temp) = match &config.data_dir {
            Some(d) => (d.clone(), None),
            None => {
                let t = tempfile::Builder::new().prefix("sn-sandbox-").tempdir()?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        let (mut store, seeded) = Store::open(&data_dir)?;
        if seeded {
            seed::upgrade(&mut store)?;
        } else {
            seed::seed(&mut store, config.seed)?;
        }
        let settings = Settings {
            access_ttl_secs: config.access_ttl_secs,
            refresh_ttl_secs: config.refresh_ttl_secs,
            rate_limit_per_hour: config.rate_limit_per_hour,
            rate_limit_window_secs: hour(),
            client_credentials: config.client_credentials,
            release: config.release,
            batch_api: config.batch_api,
            change_api: config.change_api,
            sys_choice: config.sys_choice,
            table_api_acl: config.table_api_acl,
        };
        let state = State {
            store,
            initial_settings: settings.clone(),
            settings,
            oauth: OAuthState::default(),
            faults: Vec::new(),
            next_fault_id: 1,
            log: Vec::new(),
            next_log_index: 0,
            resets: 0,
            rate: HashMap::new(),
            rate_epoch: 0,
            seed_demo: config.seed,
        };
        Ok(App {
            state: Mutex::new(state),
            data_dir,
            _temp: temp,
            endless_sent: Default::default(),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Back to the seed: records, tokens, sessions, faults, rate counters and log all cleared,
    /// settings as at start-up.
    pub fn reset(&self) -> Result<(), Error> {
        let mut s = self.lock();
        s.settings = s.initial_settings.clone();
        s.store.clear()?;
        let demo = s.seed_demo;
        seed::seed(&mut s.store, demo)?;
        s.oauth = OAuthState::default();
        s.faults.clear();
        s.rate.clear();
        s.rate_epoch = now_secs();
        s.log.clear();
        s.resets += 1;
        self.endless_sent
            .store(0, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

pub async fn handle(app: Arc<App>, req: Request<Incoming>, ctx: ConnCtx) -> Response<Body> {
    let started = Instant::now();
    let time_ms = now_ms();
    let (parts, body) = req.into_parts();
    let body = match net::read_body(body).await {
        Ok(b) => b,
        Err(e) => return net::response(StatusCode::PAYLOAD_TOO_LARGE, "text/plain", e),
    };
    let host = parts
        .headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| {
            parts
                .uri
                .authority()
                .map(|a| a.to_string())
                .unwrap_or_default()
        });
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect(),
        raw_query,
        headers: parts.headers,
        body,
        base: format!("{}://{}", ctx.scheme, host),
        in_batch: false,
    };

    if req.path == "/sandbox" || req.path.starts_with("/sandbox/") {
        return admin::handle(&app, &req).await;
    }

    // A real instance finishes a request it has read even when the client has gone: nothing on
    // its side notices a closed connection before the answer is written, and ServiceNow's quota
    // rules end a Table API transaction after 60 s, not the client's timeout. The answer is made
    // (and committed, and logged) in a task of its own, which a closed connection does not
    // cancel: a create held by a delay fault commits after the client gave up.
    let task = tokio::spawn(async move {
        let resets = app.lock().resets;
        let reset_since = || app.lock().resets != resets;
        let fault = take_fault(&app, &req);
        let mut info = LogInfo::default();
        let mut truncated = false;
        let response = match fault.as_ref().map(|f| &f.kind) {
            Some(FaultKind::Delay { delay_ms }) => {
                tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
                if reset_since() {
                    return gone();
                }
                route(&app, &req, &mut info)
            }
            Some(FaultKind::SlowAnswer { delay_ms }) => {
                let response = route(&app, &req, &mut info);
                tokio::time::sleep(Duration::from_millis(*delay_ms)).await;
                response
            }
            Some(FaultKind::DropAfterCommit) => {
                // Commit, then cut the answer short: the status line and headers go out, the body
                // never completes (a Content-Length the body does not reach), and the connection
                // closes. Closing before any byte instead would let the browser resend the POST
                // by itself on a reused keep-alive connection — a duplicate no client code can
                // see — which is not the failure this fault is for.
                truncated = true;
                let response = route(&app, &req, &mut info);
                let (parts, body) = response.into_parts();
                Response::from_parts(parts, crate::net::Faulty::truncated(body_bytes(body)))
            }
            Some(FaultKind::Endless) => {
                // A 200 whose JSON never closes: what a broken or hostile server could stream.
                let mut response = crate::net::response(StatusCode::OK, "application/json", "");
                *response.body_mut() = crate::net::Faulty::endless(
                    bytes::Bytes::from_static(b"{\"result\":["),
                    bytes::Bytes::from(format!("{{\"padding\":\"{}\"}},", "x".repeat(64 * 1024))),
                    app.endless_sent.clone(),
                );
                response
            }
            Some(FaultKind::Rewrite { from, to }) => {
                let response = route(&app, &req, &mut info);
                let (mut parts, body) = response.into_parts();
                let text = String::from_utf8_lossy(&body_bytes(body)).replace(from.as_str(), to);
                parts.headers.remove(hyper::header::CONTENT_LENGTH);
                Response::from_parts(parts, crate::net::full(text))
            }
            Some(kind) => kind.response(&req),
            None => route(&app, &req, &mut info),
        };
        let mut response = response;
        if let Some(rl) = &info.rate_limit {
            // Like an instance with a rate limit rule: on every answer the rule matched.
            rl.set_headers(&mut response);
        }
        if reset_since() {
            return response;
        }
        {
            let mut s = app.lock();
            let index = s.next_log_index;
            s.next_log_index += 1;
            if s.log.len() >= MAX_LOG {
                // A long demo must not grow without bound; tests read far fewer.
                s.log.drain(..MAX_LOG / 10);
            }
            s.log.push(LogEntry {
                index,
                method: req.method.to_string(),
                path: req.path.clone(),
                query: req.raw_query.clone(),
                status: if truncated {
                    0
                } else {
                    response.status().as_u16()
                },
                user: info.user,
                grant: info.grant,
                batch: info.batch,
                fault: fault.map(|f| f.kind.name().to_string()),
                time_ms,
                duration_ms: started.elapsed().as_millis() as u64,
            });
        }
        response
    });
    task.await.unwrap_or_else(|e| {
        net::response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "text/plain",
            format!("sandbox: the request's task failed: {e}"),
        )
    })
}

/// The answer to a request held across a reset (its client is long gone).
fn gone() -> Response<Body> {
    net::response(
        StatusCode::SERVICE_UNAVAILABLE,
        "text/plain",
        "sandbox: reset while this request was held",
    )
}

fn take_fault(app: &App, req: &Req) -> Option<Fault> {
    // `unserviced` is about a batch's inner requests; a request on its own never takes it.
    take_fault_if(app, req, |k| !matches!(k, FaultKind::Unserviced))
}

/// Takes (counts down) the first queued fault matching the request whose kind `applies`.
pub fn take_fault_if(app: &App, req: &Req, applies: impl Fn(&FaultKind) -> bool) -> Option<Fault> {
    let mut s = app.lock();
    // A fault that hits only every n-th matching request counts the others as it lets them by.
    let i = s.faults.iter_mut().position(|f| {
        if !(f.matches(&req.method, &req.path) && applies(&f.kind)) {
            return false;
        }
        f.seen = f.seen.saturating_add(1);
        f.seen % f.every == 0
    })?;
    let fault = s.faults.get_mut(i)?;
    fault.count = fault.count.saturating_sub(1);
    let taken = fault.clone();
    if fault.count == 0 {
        s.faults.remove(i);
    }
    Some(taken)
}

pub fn route(app: &App, req: &Req, info: &mut LogInfo) -> Response<Body> {
    let path = req.path.as_str();
    let m = &req.method;
    // `/api/now/v1/table/…` and `/api/now/v2/table/…` are the same API, versioned.
    let table_path = [
        "/api/now/table/",
        "/api/now/v1/table/",
        "/api/now/v2/table/",
    ]
    .iter()
    .find_map(|p| path.strip_prefix(p));
    if let Some(rest) = table_path {
        let mut s = app.lock();
        return table::handle(&mut s, req, rest, info);
    }
    if let Some(rest) = path.strip_prefix("/api/sn_chg_rest/") {
        let mut s = app.lock();
        return change::handle(&mut s, req, rest, info);
    }
    if matches!(path, "/api/now/v1/batch" | "/api/now/v2/batch") {
        return batch::handle(app, req, info);
    }
    let stats_path = ["/api/now/stats/", "/api/now/v1/stats/"]
        .iter()
        .find_map(|p| path.strip_prefix(p));
    if let Some(name) = stats_path {
        let mut s = app.lock();
        return stats::handle(&mut s, req, name.trim_end_matches('/'), info);
    }
    let mut s = app.lock();
    match (m.as_str(), path) {
        ("POST", "/oauth_token.do") => oauth::token(&mut s, req, info),
        ("POST", "/oauth_revoke_token.do") => oauth::revoke(&mut s, req),
        ("GET", "/oauth_auth.do") => oauth::authorize_page(&mut s, req, info),
        ("POST", "/oauth_auth.do") => oauth::authorize_decision(&mut s, req, info),
        ("GET", "/login.do") => oauth::login_page(&mut s, req),
        ("POST", "/login.do") => oauth::login(&mut s, req, info),
        ("GET", "/logout.do") => oauth::logout(&mut s, req),
        ("GET", "/") | ("GET", "/index.html") => pages::home(&s, req),
        ("GET", "/nav_to.do") => pages::nav_to(&s, req),
        ("GET", p) if p.ends_with(".do") => pages::form_or_list(&s, req, p.trim_start_matches('/')),
        _ if path.starts_with("/api/") => envelope(
            StatusCode::BAD_REQUEST,
            "Requested URI does not represent any resource",
            None,
        ),
        _ => pages::not_found(),
    }
}

/// The session named by the request's cookie, if any.
pub fn session_id(req: &Req) -> Option<String> {
    req.headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .find_map(|v| {
            v.to_str().ok()?.split(';').find_map(|c| {
                let (k, v) = c.trim().split_once('=')?;
                (k == oauth::SESSION_COOKIE).then(|| v.to_string())
            })
        })
}

pub fn session<'a>(s: &'a State, req: &Req) -> Option<&'a Session> {
    session_id(req).and_then(|id| s.oauth.sessions.get(&id))
}

/// The bytes of a response body built by the handlers (a truncated one has none to give).
pub fn body_bytes(body: Body) -> bytes::Bytes {
    match body {
        http_body_util::Either::Left(full) => futures_bytes(full),
        http_body_util::Either::Right(_) => bytes::Bytes::new(),
    }
}

/// The bytes of a whole body (it is in memory: polling it once yields them).
fn futures_bytes(full: http_body_util::Full<bytes::Bytes>) -> bytes::Bytes {
    use hyper::body::Body as _;
    let mut full = std::pin::pin!(full);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match full.as_mut().poll_frame(&mut cx) {
        std::task::Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => bytes::Bytes::new(),
    }
}
