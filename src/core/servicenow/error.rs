//! One error type for every client call, keeping apart what failed: the network, an HTTP
//! status (with ServiceNow's own error envelope when there is one), the shape of an answer, or
//! the authorization itself. `diagnose` turns it into words for the user.

use super::transport::{Method, TransportError};

/// Which endpoint a request went to, so a status can be read in context (a 401 from the token
/// endpoint is not a 401 from the Table API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `/oauth_token.do` with this grant.
    Token(Grant),
    /// `/oauth_revoke_token.do`
    Revoke,
    /// `/api/now/table/<table>`
    Table(String),
    /// `/api/sn_chg_rest/change/standard/<template>`: a change request made from a standard
    /// change template, whose 404 is about the template, not the API.
    StandardChange,
}

impl Endpoint {
    pub fn table(&self) -> Option<&str> {
        match self {
            Endpoint::Table(t) => Some(t),
            Endpoint::StandardChange => Some("change_request"),
            _ => None,
        }
    }
}

/// OAuth grant types snshare uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    AuthorizationCode,
    Password,
    RefreshToken,
}

impl Grant {
    pub fn as_str(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::Password => "password",
            Grant::RefreshToken => "refresh_token",
        }
    }
}

/// ServiceNow's error envelope: `{"error":{"message":…,"detail":…},"status":"failure"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceNowError {
    pub message: String,
    pub detail: Option<String>,
}

impl ServiceNowError {
    /// Reads the envelope from a body; `None` when the body is not one.
    pub fn from_body(body: &str) -> Option<ServiceNowError> {
        let v: serde_json::Value = serde_json::from_str(body).ok()?;
        let err = v.get("error")?;
        let message = match err.get("message") {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => return None,
        };
        let detail = err
            .get("detail")
            .and_then(|d| d.as_str())
            .filter(|d| !d.is_empty())
            .map(str::to_owned);
        Some(ServiceNowError { message, detail })
    }

    /// Message and detail in one line, for `RecordRejected`/`Unexpected`.
    pub fn text(&self) -> String {
        match &self.detail {
            Some(d) if d != &self.message => format!("{} ({d})", self.message),
            _ => self.message.clone(),
        }
    }
}

/// A non-2xx answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpError {
    pub endpoint: Endpoint,
    pub method: Method,
    pub status: u16,
    /// ServiceNow's error envelope, when the body was one.
    pub envelope: Option<ServiceNowError>,
    /// Whether the body parsed as JSON at all (a non-JSON 403 is IP filtering).
    pub json_body: bool,
    /// The raw Retry-After header (seconds or an HTTP-date; read with `retry::parse_retry_after`).
    pub retry_after: Option<String>,
    /// `X-RateLimit-Reset`: unix seconds when the rate limit window resets.
    pub rate_limit_reset: Option<u64>,
    /// The start of the body, for diagnostics (never a token: error bodies carry none).
    pub body_snippet: String,
}

/// What was wrong with an answer's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeKind {
    /// The body is not JSON (an HTML page: not ServiceNow's API, or a hibernating instance).
    NotJson,
    /// JSON without ServiceNow's `result` (or without an OAuth token).
    NoResult,
    /// A field is missing or has the wrong type.
    Field,
}

/// Why an OAuth step failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// `/oauth_token.do` refused the grant (ServiceNow's opaque `server_error`/`access_denied`
    /// for a bad secret, bad credentials, disabled grant and bad scope alike).
    #[error("token endpoint refused the {} grant: HTTP {status} {error}", grant.as_str())]
    TokenRejected {
        grant: Grant,
        status: u16,
        error: String,
        description: Option<String>,
    },
    /// The user chose Deny (`?error=access_denied` on the redirect).
    #[error("access denied on the consent page")]
    AccessDenied,
    /// The redirect's `state` is not ours.
    #[error("state mismatch on the authorization redirect")]
    StateMismatch,
    /// The redirect carried neither a code nor an error.
    #[error("authorization redirect without a code")]
    MissingCode,
    /// Another OAuth error on the redirect.
    #[error("authorization error {error}")]
    Redirect {
        error: String,
        description: Option<String>,
    },
    /// The user closed the authorization window.
    #[error("authorization window closed")]
    Cancelled,
    /// The authorization page could not be loaded (instance unreachable).
    #[error("authorization page could not be loaded")]
    PageNotLoaded,
    /// Any other failure of the browser's web-auth flow, with its message.
    #[error("web auth flow failed: {0}")]
    WebAuth(String),
}

/// Every failure of a client call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    #[error("HTTP {} from {:?}", .0.status, .0.endpoint)]
    Http(Box<HttpError>),
    /// `context` names what failed to decode, e.g. `incident.number`.
    #[error("could not decode {context}: {detail}")]
    Decode {
        context: String,
        kind: DecodeKind,
        detail: String,
    },
    #[error("authorization: {0}")]
    Auth(#[from] AuthError),
    /// A request could not be built (a filter value an encoded query cannot express); nothing
    /// was sent.
    #[error("invalid query: {0}")]
    Query(#[from] crate::domain::query::QueryError),
}

impl ClientError {
    pub fn decode(context: impl Into<String>, kind: DecodeKind, detail: impl Into<String>) -> Self {
        ClientError::Decode {
            context: context.into(),
            kind,
            detail: detail.into(),
        }
    }

    /// The HTTP status, when there was an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Http(h) => Some(h.status),
            ClientError::Auth(AuthError::TokenRejected { status, .. }) => Some(*status),
            _ => None,
        }
    }
}

/// At most `max` characters of `s`, cut on a character boundary.
pub(crate) fn snippet(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_error_envelope() {
        let e = ServiceNowError::from_body(r#"{"error":{"message":"Insufficient rights to query records","detail":"Field(s) present in the query do not have permission to be read"},"status":"failure"}"#).unwrap();
        assert_eq!(e.message, "Insufficient rights to query records");
        assert_eq!(
            e.detail.as_deref(),
            Some("Field(s) present in the query do not have permission to be read")
        );
        let e = ServiceNowError::from_body(
            r#"{"error":{"message":"User Not Authenticated","detail":null},"status":"failure"}"#,
        )
        .unwrap();
        assert_eq!(e.detail, None);
        assert_eq!(e.text(), "User Not Authenticated");
        assert_eq!(
            ServiceNowError {
                message: "a".into(),
                detail: Some("b".into())
            }
            .text(),
            "a (b)"
        );
        assert_eq!(ServiceNowError::from_body("<html>"), None);
        assert_eq!(ServiceNowError::from_body(r#"{"result":[]}"#), None);
        assert_eq!(
            ServiceNowError::from_body(r#"{"error":"server_error"}"#),
            None
        );
    }

    #[test]
    fn snippets_cut_on_characters() {
        assert_eq!(snippet("ééé", 2), "éé");
    }
}
