//! The one place that reads a `ClientError`: into a `Diagnosis` for the person (what went
//! wrong, what to do) and into a retry `Failure` for the outbox. Every arm is unit-tested.
//!
//! | failure | diagnosis |
//! | --- | --- |
//! | any answer mentioning the cross-scope access policy / `oauth_entity` refused | CrossScopeRefused |
//! | transport Offline | Offline |
//! | transport Timeout, or connection dropped after send | Timeout |
//! | transport Network (DNS, TLS, refused) | InstanceUnreachable |
//! | token endpoint `invalid_client` / `unauthorized_client` | ClientRejected |
//! | token endpoint refuses refresh_token grant | RefreshTokenExpired |
//! | token endpoint refuses password grant (opaque 401) | CredentialsRejected |
//! | token endpoint refuses authorization_code grant (opaque 401) | ClientRejected |
//! | redirect `error=access_denied` | AccessDenied |
//! | redirect `state` not ours | StateMismatch |
//! | web-auth window closed | AuthorizationCancelled |
//! | web-auth page could not be loaded | InstanceUnreachable |
//! | redirect `invalid_client`, `unauthorized_client`, `unsupported_response_type` | ClientRejected |
//! | other redirect / web-auth error, redirect without code | Unexpected |
//! | 429 | RateLimited (Retry-After, else X-RateLimit-Reset, else 60 s) |
//! | 5xx | ServerError |
//! | 403 whose body is not JSON (HTML/plain) | IpFiltered |
//! | 401 from the Table API (after the refresh, or when none is possible) | AuthorizationLost |
//! | 403 envelope "Insufficient rights"/ACL/security constraint, or any 403 on a read | MissingRoles { table } |
//! | 404 from the standard change endpoint, or a 400 there about its template | ChangeTemplateUnusable |
//! | 403 or 400 envelope on a create/update | RecordRejected { message } |
//! | 404, 3xx or any other non-JSON error answer | NotServiceNow |
//! | 2xx that is not JSON, or JSON without `result`/token | NotServiceNow |
//! | 2xx with a missing/ill-typed field | Unexpected (names the field) |
//! | anything else (400 on a read, 409, …) | Unexpected (ServiceNow's message) |
//! | query that cannot be built | Unexpected |
//!
//! `PersonalAccount` comes from `domain::diagnosis::integration_user_check`; `PermissionDenied`
//! and `NotConfigured` are decided by the background before any call; `SingleSignOn` is
//! guidance the options page offers with `PersonalAccount` (no answer reveals it).

use crate::domain::diagnosis::Diagnosis;
use crate::domain::retry::{parse_retry_after, Failure};

use super::error::{AuthError, ClientError, DecodeKind, Endpoint, Grant, HttpError};
use super::transport::TransportError;

/// Used when a 429 says neither Retry-After nor X-RateLimit-Reset.
pub const DEFAULT_RATE_LIMIT_WAIT_SECS: u64 = 60;

/// What the caller knows beyond the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiagnoseContext {
    /// Unix ms, to read HTTP-date Retry-After and X-RateLimit-Reset.
    pub now_ms: u64,
}

/// The diagnosis of a failed call. The server's words in it are bounded (`Diagnosis::bounded`):
/// they are stored with the share and shown on every surface.
pub fn diagnose(err: &ClientError, ctx: DiagnoseContext) -> Diagnosis {
    diagnose_unbounded(err, ctx).bounded()
}

fn diagnose_unbounded(err: &ClientError, ctx: DiagnoseContext) -> Diagnosis {
    if mentions_cross_scope(err) {
        return Diagnosis::CrossScopeRefused;
    }
    match err {
        ClientError::Transport(t) => match t {
            TransportError::Offline => Diagnosis::Offline,
            TransportError::Timeout | TransportError::Aborted => Diagnosis::Timeout,
            TransportError::Network(_) => Diagnosis::InstanceUnreachable,
            TransportError::TooLarge { .. } => Diagnosis::NotServiceNow,
        },
        ClientError::Auth(a) => diagnose_auth(a),
        ClientError::Http(h) => diagnose_http(h, ctx),
        ClientError::Decode {
            kind: DecodeKind::NotJson | DecodeKind::NoResult,
            ..
        } => Diagnosis::NotServiceNow,
        ClientError::Decode {
            context, detail, ..
        } => Diagnosis::Unexpected {
            message: format!("unreadable {context} in ServiceNow's answer ({detail})"),
        },
        ClientError::Query(q) => Diagnosis::Unexpected {
            message: q.to_string(),
        },
    }
}

fn diagnose_auth(a: &AuthError) -> Diagnosis {
    match a {
        AuthError::TokenRejected { grant, error, .. } => {
            if matches!(error.as_str(), "invalid_client" | "unauthorized_client") {
                return Diagnosis::ClientRejected;
            }
            match grant {
                Grant::RefreshToken => Diagnosis::RefreshTokenExpired,
                Grant::Password => Diagnosis::CredentialsRejected,
                Grant::AuthorizationCode => Diagnosis::ClientRejected,
            }
        }
        AuthError::AccessDenied => Diagnosis::AccessDenied,
        AuthError::StateMismatch => Diagnosis::StateMismatch,
        AuthError::Cancelled => Diagnosis::AuthorizationCancelled,
        AuthError::PageNotLoaded => Diagnosis::InstanceUnreachable,
        AuthError::MissingCode => Diagnosis::Unexpected {
            message: "the authorization page returned no code".to_owned(),
        },
        AuthError::Redirect { error, description } => match error.as_str() {
            "invalid_client" | "unauthorized_client" | "unsupported_response_type" => {
                Diagnosis::ClientRejected
            }
            _ => Diagnosis::Unexpected {
                message: description.clone().unwrap_or_else(|| error.clone()),
            },
        },
        AuthError::WebAuth(m) => Diagnosis::Unexpected { message: m.clone() },
    }
}

fn diagnose_http(h: &HttpError, ctx: DiagnoseContext) -> Diagnosis {
    let envelope_text = h.envelope.as_ref().map(|e| e.text());
    let message = || {
        envelope_text
            .clone()
            .unwrap_or_else(|| format!("HTTP {}", h.status))
    };
    let table = || h.endpoint.table().unwrap_or_default().to_owned();
    match h.status {
        429 => Diagnosis::RateLimited {
            retry_after_secs: rate_limit_wait_secs(h, ctx.now_ms),
        },
        500..=599 => Diagnosis::ServerError { status: h.status },
        // IP address access control answers before authentication, with a page, not JSON.
        403 if !h.json_body => Diagnosis::IpFiltered,
        401 => match h.endpoint {
            Endpoint::Token(Grant::RefreshToken) => Diagnosis::RefreshTokenExpired,
            Endpoint::Token(Grant::Password) => Diagnosis::CredentialsRejected,
            Endpoint::Token(Grant::AuthorizationCode) => Diagnosis::ClientRejected,
            Endpoint::Revoke | Endpoint::Table(_) | Endpoint::StandardChange => {
                Diagnosis::AuthorizationLost
            }
        },
        // The template is gone (404), or refused as retired or invalid (400 that says so).
        404 if h.endpoint == Endpoint::StandardChange && h.json_body => {
            Diagnosis::ChangeTemplateUnusable
        }
        400 if h.endpoint == Endpoint::StandardChange
            && envelope_text
                .as_deref()
                .is_some_and(|t| t.to_ascii_lowercase().contains("template")) =>
        {
            Diagnosis::ChangeTemplateUnusable
        }
        403 => {
            let lower = envelope_text
                .as_deref()
                .unwrap_or_default()
                .to_ascii_lowercase();
            let rights = [
                "insufficient rights",
                "acl",
                "security constraint",
                "not authorized",
                "access denied",
            ]
            .iter()
            .any(|w| lower.contains(w));
            if h.method.is_write() && !rights && envelope_text.is_some() {
                Diagnosis::RecordRejected { message: message() }
            } else {
                Diagnosis::MissingRoles { table: table() }
            }
        }
        400 if h.method.is_write() && h.envelope.is_some() => {
            Diagnosis::RecordRejected { message: message() }
        }
        _ if !h.json_body
            || (h.status == 404 && h.envelope.is_none())
            || (300..400).contains(&h.status) =>
        {
            Diagnosis::NotServiceNow
        }
        _ => Diagnosis::Unexpected { message: message() },
    }
}

/// Seconds to wait after a 429.
fn rate_limit_wait_secs(h: &HttpError, now_ms: u64) -> u64 {
    if let Some(ms) = h
        .retry_after
        .as_deref()
        .and_then(|v| parse_retry_after(v, now_ms))
    {
        return ms.div_ceil(1000);
    }
    if let Some(reset) = h.rate_limit_reset {
        let now_secs = now_ms / 1000;
        if reset > now_secs {
            return (reset - now_secs).min(crate::domain::retry::MAX_RETRY_AFTER_MS / 1000);
        }
    }
    DEFAULT_RATE_LIMIT_WAIT_SECS
}

/// "Read operation against 'oauth_entity' from scope '…' has been refused due to the table's
/// cross-scope access policy", wherever it shows up (envelope, token error, page).
fn mentions_cross_scope(err: &ClientError) -> bool {
    let texts: Vec<&str> = match err {
        ClientError::Http(h) => {
            let mut t = vec![h.body_snippet.as_str()];
            if let Some(e) = &h.envelope {
                t.push(&e.message);
                t.extend(e.detail.as_deref());
            }
            t
        }
        ClientError::Auth(AuthError::TokenRejected {
            error, description, ..
        }) => {
            let mut t = vec![error.as_str()];
            t.extend(description.as_deref());
            t
        }
        _ => Vec::new(),
    };
    texts.iter().any(|t| {
        let l = t.to_ascii_lowercase();
        l.contains("cross-scope access policy")
            || l.contains("cross scope access policy")
            || (l.contains("oauth_entity") && l.contains("refused"))
    })
}

/// The facts retrying depends on (`retry::classify`).
pub fn failure(err: &ClientError, now_ms: u64) -> Failure {
    match err {
        ClientError::Transport(TransportError::Offline) => Failure::Offline,
        ClientError::Transport(TransportError::Timeout) => Failure::Timeout,
        ClientError::Transport(TransportError::Aborted) => Failure::DroppedAfterSend,
        ClientError::Transport(TransportError::Network(_)) => Failure::Network,
        // Something answered in full: for a create, the record may exist.
        ClientError::Transport(TransportError::TooLarge { .. }) => Failure::UnreadableSuccess,
        ClientError::Http(h) => {
            let retry_after_ms = h
                .retry_after
                .as_deref()
                .and_then(|v| parse_retry_after(v, now_ms))
                .or_else(|| {
                    (h.status == 429)
                        .then_some(h.rate_limit_reset)
                        .flatten()
                        .map(|reset| {
                            reset
                                .saturating_mul(1000)
                                .saturating_sub(now_ms)
                                .min(crate::domain::retry::MAX_RETRY_AFTER_MS)
                        })
                });
            Failure::Status {
                status: h.status,
                retry_after_ms,
            }
        }
        ClientError::Decode { .. } => Failure::UnreadableSuccess,
        ClientError::Auth(AuthError::TokenRejected { .. }) => Failure::AuthRejected,
        ClientError::Auth(_) | ClientError::Query(_) => Failure::Other,
    }
}

impl ClientError {
    /// Shorthand for `diagnose`.
    pub fn diagnosis(&self, now_ms: u64) -> Diagnosis {
        diagnose(self, DiagnoseContext { now_ms })
    }

    /// Shorthand for `failure`.
    pub fn failure(&self, now_ms: u64) -> Failure {
        failure(self, now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::http_error;
    use super::super::oauth::{decode_token, parse_redirect, web_auth_error};
    use super::super::transport::{HttpResponse, Method};
    use super::*;
    use crate::domain::query::QueryError;
    use crate::domain::retry::{classify, Attempt, RetryDecision};

    const NOW: u64 = 1_700_000_000_000;

    fn d(err: &ClientError) -> Diagnosis {
        diagnose(err, DiagnoseContext { now_ms: NOW })
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse::new(
            status,
            headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body,
        )
    }

    fn table(status: u16, method: Method, body: &str) -> ClientError {
        http_error(
            Endpoint::Table("incident".into()),
            method,
            &resp(status, &[], body),
        )
    }

    fn envelope(message: &str) -> String {
        format!(r#"{{"error":{{"message":"{message}","detail":null}},"status":"failure"}}"#)
    }

    const CROSS_SCOPE: &str = "Read operation against 'oauth_entity' from scope 'x_snc_app' has been refused due to the table's cross-scope access policy";

    #[test]
    fn cross_scope_refusal_wherever_it_appears() {
        assert_eq!(
            d(&table(403, Method::Get, &envelope(CROSS_SCOPE))),
            Diagnosis::CrossScopeRefused
        );
        assert_eq!(
            d(&table(500, Method::Get, &envelope(CROSS_SCOPE))),
            Diagnosis::CrossScopeRefused
        );
        assert_eq!(
            d(&table(
                400,
                Method::Post,
                &format!("<html>{CROSS_SCOPE}</html>")
            )),
            Diagnosis::CrossScopeRefused
        );
        let token = decode_token(
            Grant::AuthorizationCode,
            &resp(
                401,
                &[],
                &format!(r#"{{"error":"server_error","error_description":"{CROSS_SCOPE}"}}"#),
            ),
            NOW,
        )
        .unwrap_err();
        assert_eq!(d(&token), Diagnosis::CrossScopeRefused);
    }

    #[test]
    fn transport_failures() {
        assert_eq!(d(&TransportError::Offline.into()), Diagnosis::Offline);
        assert_eq!(d(&TransportError::Timeout.into()), Diagnosis::Timeout);
        assert_eq!(d(&TransportError::Aborted.into()), Diagnosis::Timeout);
        assert_eq!(
            d(&TransportError::Network("dns".into()).into()),
            Diagnosis::InstanceUnreachable
        );
    }

    #[test]
    fn the_opaque_token_401_depends_on_the_grant() {
        let opaque = r#"{"error_description":"access_denied","error":"server_error"}"#;
        let token = |g| d(&decode_token(g, &resp(401, &[], opaque), NOW).unwrap_err());
        assert_eq!(token(Grant::AuthorizationCode), Diagnosis::ClientRejected);
        assert_eq!(token(Grant::Password), Diagnosis::CredentialsRejected);
        assert_eq!(token(Grant::RefreshToken), Diagnosis::RefreshTokenExpired);
        let invalid_client = r#"{"error":"invalid_client"}"#;
        assert_eq!(
            d(&decode_token(Grant::Password, &resp(400, &[], invalid_client), NOW).unwrap_err()),
            Diagnosis::ClientRejected
        );
        assert_eq!(
            d(&decode_token(Grant::RefreshToken, &resp(401, &[], "<html/>"), NOW).unwrap_err()),
            Diagnosis::RefreshTokenExpired
        );
    }

    #[test]
    fn authorization_flow_failures() {
        let redirect = |u: &str| d(&parse_redirect(u, "s1").unwrap_err().into());
        assert_eq!(
            redirect("https://x.chromiumapp.org/?error=access_denied&state=s1"),
            Diagnosis::AccessDenied
        );
        assert_eq!(
            redirect("https://x.chromiumapp.org/?code=c&state=s2"),
            Diagnosis::StateMismatch
        );
        assert_eq!(
            redirect("https://x.chromiumapp.org/?error=unauthorized_client&state=s1"),
            Diagnosis::ClientRejected
        );
        assert_eq!(
            redirect("https://x.chromiumapp.org/?error=invalid_request&error_description=Missing+State+parameter+in+request"),
            Diagnosis::Unexpected { message: "invalid_request".into() }
        );
        // With our state, the instance's own description is shown.
        assert_eq!(
            redirect("https://x.chromiumapp.org/?error=invalid_request&state=s1&error_description=Missing+scope"),
            Diagnosis::Unexpected { message: "Missing scope".into() }
        );
        assert!(matches!(
            redirect("https://x.chromiumapp.org/?state=s1"),
            Diagnosis::Unexpected { .. }
        ));
        assert_eq!(
            d(&web_auth_error("The user did not approve access.").into()),
            Diagnosis::AuthorizationCancelled
        );
        assert_eq!(
            d(&web_auth_error("Authorization page could not be loaded.").into()),
            Diagnosis::InstanceUnreachable
        );
        assert!(matches!(
            d(&web_auth_error("boom").into()),
            Diagnosis::Unexpected { .. }
        ));
    }

    #[test]
    fn table_api_401_is_authorization_lost() {
        let e = table(401, Method::Get, &envelope("User Not Authenticated"));
        assert_eq!(d(&e), Diagnosis::AuthorizationLost);
        assert_eq!(
            d(&table(401, Method::Post, "")),
            Diagnosis::AuthorizationLost
        );
        let revoke = http_error(Endpoint::Revoke, Method::Post, &resp(401, &[], ""));
        assert_eq!(d(&revoke), Diagnosis::AuthorizationLost);
    }

    #[test]
    fn ip_filtering_is_a_non_json_403() {
        assert_eq!(
            d(&table(
                403,
                Method::Get,
                "<html><body>Access denied: IP address not allowed</body></html>"
            )),
            Diagnosis::IpFiltered
        );
        assert_eq!(
            d(&table(403, Method::Get, "Forbidden")),
            Diagnosis::IpFiltered
        );
        let token = decode_token(
            Grant::Password,
            &resp(403, &[("content-type", "text/html")], "<html/>"),
            NOW,
        )
        .unwrap_err();
        assert_eq!(d(&token), Diagnosis::IpFiltered);
    }

    #[test]
    fn a_403_envelope_is_missing_roles_on_the_table() {
        let m = Diagnosis::MissingRoles {
            table: "incident".into(),
        };
        assert_eq!(
            d(&table(
                403,
                Method::Get,
                &envelope("Insufficient rights to query records")
            )),
            m
        );
        assert_eq!(
            d(&table(
                403,
                Method::Post,
                &envelope("Insufficient rights to insert records")
            )),
            m
        );
        assert_eq!(
            d(&table(
                403,
                Method::Get,
                &envelope("Operation against file 'incident' was aborted by Business Rule")
            )),
            m
        );
        assert_eq!(d(&table(403, Method::Get, "{}")), m);
    }

    #[test]
    fn refused_writes_are_record_rejected_with_servicenow_words() {
        let body = r#"{"error":{"message":"Operation Failed","detail":"Data Policy Exception: Category is mandatory"},"status":"failure"}"#;
        let expected = Diagnosis::RecordRejected {
            message: "Operation Failed (Data Policy Exception: Category is mandatory)".into(),
        };
        assert_eq!(d(&table(403, Method::Post, body)), expected);
        assert_eq!(d(&table(400, Method::Post, body)), expected);
        assert_eq!(
            d(&table(400, Method::Patch, &envelope("Invalid field"))),
            Diagnosis::RecordRejected {
                message: "Invalid field".into()
            }
        );
        // A 400 on a read is not a refused record.
        assert_eq!(
            d(&table(400, Method::Get, &envelope("Invalid table x"))),
            Diagnosis::Unexpected {
                message: "Invalid table x".into()
            }
        );
    }

    #[test]
    fn rate_limits_carry_the_wait() {
        let rl = |headers: &[(&str, &str)]| {
            d(&http_error(
                Endpoint::Table("incident".into()),
                Method::Post,
                &resp(429, headers, &envelope("Rate limit exceeded")),
            ))
        };
        assert_eq!(
            rl(&[("Retry-After", "5")]),
            Diagnosis::RateLimited {
                retry_after_secs: 5
            }
        );
        assert_eq!(
            rl(&[("Retry-After", "Tue, 14 Nov 2023 22:13:50 GMT")]),
            Diagnosis::RateLimited {
                retry_after_secs: 30
            }
        );
        assert_eq!(
            rl(&[("X-RateLimit-Reset", &(NOW / 1000 + 90).to_string())]),
            Diagnosis::RateLimited {
                retry_after_secs: 90
            }
        );
        assert_eq!(
            rl(&[]),
            Diagnosis::RateLimited {
                retry_after_secs: DEFAULT_RATE_LIMIT_WAIT_SECS
            }
        );
    }

    #[test]
    fn server_errors() {
        for s in [500, 502, 503, 504] {
            assert_eq!(
                d(&table(s, Method::Post, "<html>Bad gateway</html>")),
                Diagnosis::ServerError { status: s }
            );
        }
    }

    #[test]
    fn answers_that_are_not_servicenow() {
        assert_eq!(
            d(&table(404, Method::Get, "<html>Not found</html>")),
            Diagnosis::NotServiceNow
        );
        assert_eq!(d(&table(302, Method::Get, "")), Diagnosis::NotServiceNow);
        assert_eq!(
            d(&table(405, Method::Get, "nope")),
            Diagnosis::NotServiceNow
        );
        assert_eq!(
            d(&ClientError::decode(
                "incident",
                DecodeKind::NotJson,
                "html"
            )),
            Diagnosis::NotServiceNow
        );
        assert_eq!(
            d(&ClientError::decode("incident", DecodeKind::NoResult, "x")),
            Diagnosis::NotServiceNow
        );
        let hibernating = decode_token(
            Grant::AuthorizationCode,
            &resp(
                200,
                &[("content-type", "text/html")],
                "<html>hibernating</html>",
            ),
            NOW,
        )
        .unwrap_err();
        assert_eq!(d(&hibernating), Diagnosis::NotServiceNow);
    }

    #[test]
    fn everything_else_is_unexpected_with_words() {
        assert_eq!(
            d(&table(404, Method::Get, &envelope("No Record found"))),
            Diagnosis::Unexpected {
                message: "No Record found".into()
            }
        );
        assert_eq!(
            d(&table(409, Method::Post, "{}")),
            Diagnosis::Unexpected {
                message: "HTTP 409".into()
            }
        );
        let field = ClientError::decode("incident.number", DecodeKind::Field, "missing or empty");
        assert_eq!(
            d(&field),
            Diagnosis::Unexpected {
                message: "unreadable incident.number in ServiceNow's answer (missing or empty)"
                    .into()
            }
        );
        let q = ClientError::Query(QueryError::Caret {
            field: "state".into(),
        });
        assert!(matches!(d(&q), Diagnosis::Unexpected { .. }));
    }

    #[test]
    fn failures_feed_the_retry_policy() {
        let post = Attempt {
            idempotent: false,
            refreshed: false,
        };
        let get = Attempt {
            idempotent: true,
            refreshed: false,
        };
        let decide = |e: &ClientError, a| classify(&e.failure(NOW), a);
        assert_eq!(
            decide(&TransportError::Offline.into(), post),
            RetryDecision::Retry
        );
        assert_eq!(
            decide(&TransportError::Timeout.into(), post),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(
            decide(&TransportError::Aborted.into(), post),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(
            decide(&TransportError::Network("x".into()).into(), get),
            RetryDecision::Retry
        );
        assert_eq!(
            decide(&table(503, Method::Post, ""), post),
            RetryDecision::CheckThenRetry
        );
        assert_eq!(
            decide(&table(503, Method::Get, ""), get),
            RetryDecision::Retry
        );
        assert_eq!(
            decide(&table(401, Method::Post, ""), post),
            RetryDecision::RefreshThenRetry
        );
        assert_eq!(
            decide(
                &table(401, Method::Post, ""),
                Attempt {
                    idempotent: false,
                    refreshed: true
                }
            ),
            RetryDecision::Permanent
        );
        assert_eq!(
            decide(&table(400, Method::Post, &envelope("bad")), post),
            RetryDecision::Permanent
        );
        let rl = http_error(
            Endpoint::Table("incident".into()),
            Method::Post,
            &resp(429, &[("Retry-After", "5")], ""),
        );
        assert_eq!(decide(&rl, post), RetryDecision::RetryAfter(5_000));
        let reset = http_error(
            Endpoint::Table("incident".into()),
            Method::Post,
            &resp(
                429,
                &[("X-RateLimit-Reset", &(NOW / 1000 + 7).to_string())],
                "",
            ),
        );
        assert_eq!(decide(&reset, post), RetryDecision::RetryAfter(7_000));
        assert_eq!(
            decide(
                &ClientError::decode("incident", DecodeKind::NotJson, ""),
                post
            ),
            RetryDecision::CheckThenRetry
        );
        let rejected = decode_token(
            Grant::RefreshToken,
            &resp(401, &[], r#"{"error":"server_error"}"#),
            NOW,
        )
        .unwrap_err();
        assert_eq!(decide(&rejected, post), RetryDecision::Permanent);
        assert_eq!(
            decide(&AuthError::Cancelled.into(), get),
            RetryDecision::Permanent
        );
        // The diagnosis of a retried failure is transient; of a permanent one, not.
        assert!(table(503, Method::Post, "").diagnosis(NOW).is_transient());
        assert!(!table(400, Method::Post, &envelope("bad"))
            .diagnosis(NOW)
            .is_transient());
    }
}
