//! Faults tests inject with `POST /sandbox/faults`: each hits the next `count` matching requests.

use hyper::{Method, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::{envelope, json_response, now_secs, Req};
use crate::net::{self, set_header, Body};

/// The request body of `POST /sandbox/faults`.
#[derive(Clone, Debug, Deserialize)]
pub struct FaultSpec {
    pub kind: String,
    pub status: Option<u16>,
    pub count: Option<u32>,
    /// Hit only every n-th matching request (the n-th, 2n-th, …); the others pass to the next
    /// fault or are answered normally. `count` counts hits.
    pub every: Option<u32>,
    pub retry_after: Option<u64>,
    pub delay_ms: Option<u64>,
    pub path_prefix: Option<String>,
    pub method: Option<String>,
    /// For `cross_scope`: the application scope named in the message.
    pub scope: Option<String>,
    /// For `rewrite`: the text replaced in the answer's body, and its replacement (written as
    /// is, so a test can put into JSON what a broken server would, e.g. `\ud800` alone).
    pub from: Option<String>,
    pub to: Option<String>,
    /// For `rewrite`: `{pad}` in `to` becomes this many `x` (answers larger than a request
    /// may carry), at most 64 MiB.
    pub pad: Option<usize>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with this status (500, 502, 503, …).
    Status { status: u16 },
    /// 429 with `Retry-After` and the rate-limit headers.
    RateLimit { retry_after: u64 },
    /// The IP address access control refusal: 403 with an HTML body, before authentication.
    IpFilter,
    /// The cross-scope access error on reading `oauth_entity`, from the token endpoint.
    CrossScope { status: u16, scope: String },
    /// Wait, then answer normally.
    Delay { delay_ms: u64 },
    /// Answer normally, but only `delay_ms` after doing the request: what it read is as of its
    /// arrival, however much changes before the client gets it.
    SlowAnswer { delay_ms: u64 },
    /// Do the request (commit any write), then close the connection without answering.
    DropAfterCommit,
    /// Answer normally, with every `from` in the body replaced by `to`.
    Rewrite { from: String, to: String },
    /// Answer 200 with a JSON body that does not end, no length announced (at most
    /// `net::ENDLESS_MAX` bytes; what went out is counted, `GET /sandbox/endless`).
    Endless,
    /// Inside a batch only: the batch stops at this inner request, as an instance does when the
    /// batch reaches its time quota or output size; it and every later item are not run and
    /// come back by id in `unserviced_requests`, with HTTP 200.
    Unserviced,
}

#[derive(Clone, Debug, Serialize)]
pub struct Fault {
    pub id: u64,
    #[serde(flatten)]
    pub kind: FaultKind,
    pub count: u32,
    /// See `FaultSpec::every`; 1 = every matching request.
    pub every: u32,
    /// Matching requests seen so far (hit or passed).
    pub seen: u32,
    pub path_prefix: Option<String>,
    pub method: Option<String>,
}

impl FaultSpec {
    pub fn into_fault(self, id: u64) -> Result<Fault, String> {
        let kind = match self.kind.as_str() {
            "status" => {
                let status = self.status.ok_or("kind status needs \"status\"")?;
                if !(400..=599).contains(&status) {
                    return Err(format!("status {status}: use 400..=599"));
                }
                FaultKind::Status { status }
            }
            "rate_limit" => FaultKind::RateLimit { retry_after: self.retry_after.unwrap_or(60) },
            "ip_filter" => FaultKind::IpFilter,
            "cross_scope" => FaultKind::CrossScope {
                status: self.status.unwrap_or(401),
                scope: self.scope.unwrap_or_else(|| "x_snshare".to_string()),
            },
            "delay" => FaultKind::Delay { delay_ms: self.delay_ms.ok_or("kind delay needs \"delay_ms\"")? },
            "slow_answer" => {
                FaultKind::SlowAnswer { delay_ms: self.delay_ms.ok_or("kind slow_answer needs \"delay_ms\"")? }
            }
            "drop_after_commit" => FaultKind::DropAfterCommit,
            "endless" => FaultKind::Endless,
            "unserviced" => FaultKind::Unserviced,
            "rewrite" => match (self.from, self.to) {
                (Some(from), Some(to)) if !from.is_empty() => {
                    let pad = self.pad.unwrap_or(0);
                    if pad > 64 * 1024 * 1024 {
                        return Err("pad: at most 64 MiB".into());
                    }
                    let to = if pad > 0 { to.replacen("{pad}", &"x".repeat(pad), 1) } else { to };
                    FaultKind::Rewrite { from, to }
                }
                _ => return Err("kind rewrite needs a non-empty \"from\" and a \"to\"".into()),
            },
            other => {
                return Err(format!(
                    "unknown kind {other:?}: status, rate_limit, ip_filter, cross_scope, delay, slow_answer, drop_after_commit, endless, rewrite, unserviced"
                ))
            }
        };
        let count = self.count.unwrap_or(1);
        if count == 0 {
            return Err("count must be at least 1".into());
        }
        let path_prefix = self.path_prefix.or_else(|| match kind {
            FaultKind::CrossScope { .. } => Some("/oauth_token.do".to_string()),
            _ => None,
        });
        if let Some(m) = &self.method {
            Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|e| e.to_string())?;
        }
        let every = self.every.unwrap_or(1);
        if every == 0 {
            return Err("every must be at least 1".into());
        }
        Ok(Fault {
            id,
            kind,
            count,
            every,
            seen: 0,
            path_prefix,
            method: self.method.map(|m| m.to_ascii_uppercase()),
        })
    }
}

impl Fault {
    pub fn matches(&self, method: &Method, path: &str) -> bool {
        self.count > 0
            && self.method.as_deref().is_none_or(|m| m == method.as_str())
            && self
                .path_prefix
                .as_deref()
                .is_none_or(|p| path.starts_with(p))
    }
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Status { .. } => "status",
            FaultKind::RateLimit { .. } => "rate_limit",
            FaultKind::IpFilter => "ip_filter",
            FaultKind::CrossScope { .. } => "cross_scope",
            FaultKind::Delay { .. } => "delay",
            FaultKind::SlowAnswer { .. } => "slow_answer",
            FaultKind::DropAfterCommit => "drop_after_commit",
            FaultKind::Rewrite { .. } => "rewrite",
            FaultKind::Endless => "endless",
            FaultKind::Unserviced => "unserviced",
        }
    }

    /// The answer of a fault that replaces the real one.
    pub fn response(&self, req: &Req) -> Response<Body> {
        match self {
            FaultKind::Status { status } => {
                let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let reason = code.canonical_reason().unwrap_or("Error");
                if matches!(status, 502..=504) {
                    // What the load balancer in front of an instance answers.
                    net::response(
                        code,
                        "text/html; charset=UTF-8",
                        format!("<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>"),
                    )
                } else {
                    envelope(code, reason, Some("Injected by the sandbox"))
                }
            }
            FaultKind::RateLimit { retry_after } => rate_limited(*retry_after, 1000, "sandbox fault"),
            FaultKind::IpFilter => net::response(
                StatusCode::FORBIDDEN,
                "text/html; charset=UTF-8",
                "<html><head><title>Access restricted</title></head><body><h1>Access restricted</h1>\
                 <p>Your IP address is not allowed to access this instance \
                 (IP Address Access Control).</p></body></html>",
            ),
            FaultKind::CrossScope { status, scope } => {
                let message = format!(
                    "Read operation against 'oauth_entity' from scope '{scope}' has been refused due to the table's cross-scope access policy"
                );
                let code = StatusCode::from_u16(*status).unwrap_or(StatusCode::UNAUTHORIZED);
                if req.path.starts_with("/api/") {
                    envelope(code, &message, None)
                } else {
                    json_response(code, &json!({"error_description": message, "error": "server_error"}))
                }
            }
            FaultKind::Delay { .. }
            | FaultKind::SlowAnswer { .. }
            | FaultKind::DropAfterCommit
            | FaultKind::Endless
            | FaultKind::Unserviced
            | FaultKind::Rewrite { .. } => {
                envelope(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", None)
            }
        }
    }
}

/// The instance's 429: `Retry-After`, the `X-RateLimit-*` headers and the envelope.
pub fn rate_limited(retry_after: u64, limit: u32, who: &str) -> Response<Body> {
    let reset = now_secs() + retry_after;
    let mut r = envelope(
        StatusCode::TOO_MANY_REQUESTS,
        "Rate limit exceeded",
        Some(&format!(
            "Rate limit of {limit} requests per hour exceeded ({who})"
        )),
    );
    set_header(&mut r, "retry-after", &retry_after.to_string());
    set_header(&mut r, "x-ratelimit-limit", &limit.to_string());
    set_header(&mut r, "x-ratelimit-reset", &reset.to_string());
    set_header(&mut r, "x-ratelimit-rule", RATE_LIMIT_RULE);
    r
}

/// The sys_id of the sandbox's one rate limit rule.
pub const RATE_LIMIT_RULE: &str = "8a0b3c4d5e6f40718293a4b5c6d7e8f9";
