//! The Batch API: `POST /api/now/v1/batch` carries several REST requests in one HTTP call.
//!
//! Request: `{"batch_request_id", "rest_requests": [{"id", "method", "url", "headers":
//! [{"name","value"}], "body" (base64), "exclude_response_headers"}]}`. Each request is answered
//! by the sandbox's own router as the outer request's user, with the outer `Authorization` (an
//! inner one is ignored), and the ACLs of each API apply. Answer (200):
//! `{"batch_request_id", "serviced_requests": [{"id", "status_code", "status_text", "headers",
//! "body" (base64), "execution_time" (ms)}], "unserviced_requests": []}`. The batch counts once
//! against the rate limit. With `batch_api: forbidden` a REST API ACL refuses the call (403),
//! with `off` the path does not exist (400, as any unknown REST path). A queued `status` fault
//! whose path matches a request inside the batch answers that request.

use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use bytes::Bytes;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};
use hyper::{Method, Response, StatusCode};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::{
    body_bytes, envelope, json_response, route, take_fault_if, ApiAccess, App, BatchItemLog,
    LogInfo, Req,
};
use crate::faults::{Fault, FaultKind};
use crate::net::Body;
use crate::table::{admit, api_acl_denied, method_not_allowed};

#[derive(Deserialize)]
struct BatchRequest {
    batch_request_id: Option<Value>,
    rest_requests: Vec<RestRequest>,
}

#[derive(Deserialize)]
struct RestRequest {
    id: Value,
    method: String,
    url: String,
    #[serde(default)]
    headers: Vec<Header>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    exclude_response_headers: bool,
}

#[derive(Deserialize)]
struct Header {
    name: String,
    value: String,
}

pub fn not_a_resource() -> Response<Body> {
    envelope(
        StatusCode::BAD_REQUEST,
        "Requested URI does not represent any resource",
        None,
    )
}

fn unreadable(detail: &str) -> Response<Body> {
    envelope(
        StatusCode::BAD_REQUEST,
        "Exception while reading request",
        Some(detail),
    )
}

/// An id as the client gave it: a string stays a string, anything else its JSON text.
fn id_text(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn handle(app: &App, req: &Req, info: &mut LogInfo) -> Response<Body> {
    let access = {
        let mut s = app.lock();
        let access = s.settings.batch_api;
        if access == ApiAccess::Off {
            return not_a_resource();
        }
        if access == ApiAccess::Unauthenticated {
            return crate::table::not_authenticated();
        }
        if let Err(r) = admit(&mut s, req, info) {
            return r;
        }
        access
    };
    if access == ApiAccess::Forbidden {
        return api_acl_denied();
    }
    if req.method != Method::POST {
        return method_not_allowed();
    }
    if !req.content_type().starts_with("application/json") {
        return unreadable("The Batch API takes application/json only");
    }
    let batch: BatchRequest = match serde_json::from_slice(&req.body) {
        Ok(b) => b,
        Err(e) => return unreadable(&format!("Invalid batch request: {e}")),
    };
    // An `unserviced` fault stops the batch at its request: that one and every later one come
    // back by id, not run (a batch that reached its time quota or output size).
    let mut unserviced: Vec<Value> = Vec::new();
    let serviced: Vec<Value> = batch
        .rest_requests
        .iter()
        .filter_map(|item| {
            let started = Instant::now();
            let id = id_text(&item.id);
            let parsed = inner_request(req, item);
            let stop = |inner: &Req| {
                take_fault_if(app, inner, |k| matches!(k, FaultKind::Unserviced)).is_some()
            };
            if !unserviced.is_empty() || parsed.as_ref().is_ok_and(stop) {
                info.batch.push(BatchItemLog {
                    id: id.clone(),
                    method: item.method.to_ascii_uppercase(),
                    path: parsed.as_ref().map(|r| r.path.clone()).unwrap_or_default(),
                    query: parsed
                        .as_ref()
                        .map(|r| r.raw_query.clone())
                        .unwrap_or_default(),
                    status: 0,
                    fault: Some(FaultKind::Unserviced.name().to_string()),
                });
                unserviced.push(Value::String(id));
                return None;
            }
            let mut fault = None;
            let (status, headers, body, path, query) = match parsed {
                Ok(inner) => {
                    let mut inner_info = LogInfo::default();
                    // A queued status fault for this request's path answers in its place,
                    // as a failing API would inside a batch (other kinds are about the HTTP
                    // exchange, which the batch call as a whole makes).
                    // A rewrite applies to the inner answer's body, as a broken server
                    // would write it (before base64).
                    fault = take_fault_if(app, &inner, |k| {
                        matches!(k, FaultKind::Status { .. } | FaultKind::Rewrite { .. })
                    });
                    let response = if inner.path.ends_with("/batch") {
                        unreadable("A batch cannot hold a batch")
                    } else if let Some(
                        f @ Fault {
                            kind: FaultKind::Status { .. },
                            ..
                        },
                    ) = &fault
                    {
                        f.kind.response(&inner)
                    } else {
                        route(app, &inner, &mut inner_info)
                    };
                    let (parts, body) = response.into_parts();
                    let mut body = body_bytes(body);
                    if let Some(Fault {
                        kind: FaultKind::Rewrite { from, to },
                        ..
                    }) = &fault
                    {
                        body = String::from_utf8_lossy(&body)
                            .replace(from.as_str(), to)
                            .into_bytes()
                            .into();
                    }
                    (
                        parts.status,
                        parts.headers,
                        body,
                        inner.path,
                        inner.raw_query,
                    )
                }
                Err(detail) => {
                    let (parts, body) = unreadable(&detail).into_parts();
                    (
                        parts.status,
                        parts.headers,
                        body_bytes(body),
                        item.url.clone(),
                        String::new(),
                    )
                }
            };
            info.batch.push(BatchItemLog {
                id: id.clone(),
                method: item.method.to_ascii_uppercase(),
                path,
                query,
                status: status.as_u16(),
                fault: fault.map(|f| f.kind.name().to_string()),
            });
            let headers: Vec<Value> = if item.exclude_response_headers {
                Vec::new()
            } else {
                headers
                    .iter()
                    .map(|(k, v)| {
                        json!({"name": header_case(k.as_str()), "value": v.to_str().unwrap_or("")})
                    })
                    .collect()
            };
            Some(json!({
                "id": id,
                "status_code": status.as_u16(),
                "status_text": status.canonical_reason().unwrap_or(""),
                "headers": headers,
                "body": STANDARD.encode(&body),
                "execution_time": started.elapsed().as_millis() as u64,
            }))
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({
            "batch_request_id": batch.batch_request_id.as_ref().map(id_text),
            "serviced_requests": serviced,
            "unserviced_requests": unserviced,
        }),
    )
}

/// The request a batch item describes, as the router sees requests: the outer request's
/// credentials and base, the item's method, URL, headers and decoded body.
fn inner_request(outer: &Req, item: &RestRequest) -> Result<Req, String> {
    let method = Method::from_bytes(item.method.trim().to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("Invalid method {}", item.method))?;
    // A relative URL as documented; an absolute one is read for its path and query.
    let url = item.url.trim();
    let relative = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| &rest[i..]).unwrap_or("/"),
        None => url,
    };
    if !relative.starts_with('/') {
        return Err(format!(
            "Invalid url {url}: use a path such as /api/now/table/incident"
        ));
    }
    let (path, raw_query) = relative.split_once('?').unwrap_or((relative, ""));
    let mut headers = HeaderMap::new();
    for h in &item.headers {
        if h.name.eq_ignore_ascii_case("authorization") {
            continue;
        }
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.name.trim().as_bytes()),
            HeaderValue::from_str(h.value.trim()),
        ) else {
            return Err(format!("Invalid header {}", h.name));
        };
        headers.append(name, value);
    }
    if let Some(auth) = outer.headers.get(AUTHORIZATION) {
        headers.insert(AUTHORIZATION, auth.clone());
    }
    let body = match item
        .body
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
    {
        Some(b) => {
            let compact: String = b.chars().filter(|c| !c.is_whitespace()).collect();
            STANDARD
                .decode(compact.as_bytes())
                .map_err(|e| format!("The body is not base64: {e}"))?
        }
        None => Vec::new(),
    };
    Ok(Req {
        method,
        path: path.to_string(),
        query: form_urlencoded::parse(raw_query.as_bytes())
            .into_owned()
            .collect(),
        raw_query: raw_query.to_string(),
        headers,
        body: Bytes::from(body),
        base: outer.base.clone(),
        in_batch: true,
    })
}

/// A header name as an instance spells it (`X-Total-Count`, `Content-Type`): a client must
/// compare names without regard to case, and the sandbox must not let it get away with less.
fn header_case(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
