//! OAuth tokens: a type that never prints them, the token endpoint's answer, and expiry math.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A token or password. Debug and Display print `[redacted]`, so neither logs nor error
/// messages can leak one; `expose` is the single, greppable way to read it.
///
/// Serialize writes the real value, because tokens must be stored (chrome.storage); no message
/// type in `messages.rs` holds a `Secret`, which keeps them out of pages and content scripts.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

/// ServiceNow's default access-token lifetime, used when a response omits `expires_in`.
pub const DEFAULT_LIFETIME_SECS: u64 = 1800;

/// Refresh this long before expiry (but see `needs_refresh` for short lifetimes).
pub const REFRESH_SKEW_MS: u64 = 60_000;

/// Tokens as stored by the background worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Unix ms when the access token stops working.
    pub expires_at_ms: u64,
    /// Unix ms when it was issued; with `expires_at_ms` gives the lifetime for the skew.
    #[serde(default)]
    pub issued_at_ms: u64,
    pub scope: Option<String>,
}

/// Why a token endpoint answer could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenParseError {
    #[error("token response is not JSON")]
    NotJson,
    #[error("token response has no {0}")]
    Missing(&'static str),
    #[error("token response field {0} has the wrong type")]
    WrongType(&'static str),
    #[error("token type {0:?} is not Bearer")]
    NotBearer(String),
}

impl TokenParseError {
    /// The response field at fault, for `ClientError::Decode`.
    pub fn field(&self) -> &'static str {
        match self {
            TokenParseError::NotJson => "token response",
            TokenParseError::Missing(f) | TokenParseError::WrongType(f) => f,
            TokenParseError::NotBearer(_) => "token_type",
        }
    }
}

/// The longest access-token lifetime believed.
pub const MAX_LIFETIME_SECS: u64 = 365 * 24 * 60 * 60;

impl TokenSet {
    /// Parses `{"access_token":…,"refresh_token":…,"expires_in":1799,"scope":…,
    /// "token_type":"Bearer"}`. `expires_in` may be a number or a string (both are seen).
    pub fn from_token_response(body: &str, now_ms: u64) -> Result<TokenSet, TokenParseError> {
        let v: serde_json::Value =
            serde_json::from_str(body).map_err(|_| TokenParseError::NotJson)?;
        let obj = v.as_object().ok_or(TokenParseError::NotJson)?;
        // A token goes into an `Authorization` header or a form: visible ASCII only. Anything
        // else would make `Headers.append` throw, far from the cause (security review I4).
        let visible = |s: &str| s.bytes().all(|b| (0x21..=0x7e).contains(&b));
        let access = match obj.get("access_token") {
            Some(serde_json::Value::String(s)) if !s.is_empty() && !visible(s) => {
                return Err(TokenParseError::WrongType("access_token"))
            }
            Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
            Some(serde_json::Value::String(_)) | None | Some(serde_json::Value::Null) => {
                return Err(TokenParseError::Missing("access_token"))
            }
            Some(_) => return Err(TokenParseError::WrongType("access_token")),
        };
        let refresh = match obj.get("refresh_token") {
            Some(serde_json::Value::String(s)) if !s.is_empty() && !visible(s) => {
                return Err(TokenParseError::WrongType("refresh_token"))
            }
            Some(serde_json::Value::String(s)) if !s.is_empty() => Some(Secret::new(s.clone())),
            Some(serde_json::Value::String(_)) | None | Some(serde_json::Value::Null) => None,
            Some(_) => return Err(TokenParseError::WrongType("refresh_token")),
        };
        if let Some(t) = obj.get("token_type") {
            let t = t.as_str().ok_or(TokenParseError::WrongType("token_type"))?;
            if !t.eq_ignore_ascii_case("bearer") {
                return Err(TokenParseError::NotBearer(t.to_owned()));
            }
        }
        let expires_in_secs = match obj.get("expires_in") {
            None | Some(serde_json::Value::Null) => DEFAULT_LIFETIME_SECS,
            Some(serde_json::Value::Number(n)) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.is_finite() && *f >= 0.0)
                        .map(|f| f as u64)
                })
                .ok_or(TokenParseError::WrongType("expires_in"))?,
            Some(serde_json::Value::String(s)) => {
                parse_seconds(s).ok_or(TokenParseError::WrongType("expires_in"))?
            }
            Some(_) => return Err(TokenParseError::WrongType("expires_in")),
        }
        // `1e300` would put the expiry past what storage can hold (2^53 ms): a year is more
        // than any instance grants.
        .min(MAX_LIFETIME_SECS);
        let scope = obj
            .get("scope")
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        Ok(TokenSet {
            access_token: Secret::new(access),
            refresh_token: refresh,
            expires_at_ms: now_ms.saturating_add(expires_in_secs.saturating_mul(1000)),
            issued_at_ms: now_ms,
            scope,
        })
    }

    /// A refresh_token grant may omit the refresh token (ServiceNow does not rotate it): keep
    /// the one we had.
    pub fn keep_refresh_token_from(mut self, previous: &TokenSet) -> TokenSet {
        if self.refresh_token.is_none() {
            self.refresh_token = previous.refresh_token.clone();
        }
        self
    }

    pub fn lifetime_ms(&self) -> u64 {
        self.expires_at_ms.saturating_sub(self.issued_at_ms)
    }

    /// How long before expiry to refresh: 60 s, or a tenth of the lifetime when that is
    /// shorter, so 3-second test tokens are used for 2.7 s instead of never.
    pub fn refresh_skew_ms(&self) -> u64 {
        REFRESH_SKEW_MS.min(self.lifetime_ms() / 10)
    }

    /// Unix ms from which `needs_refresh` is true (for scheduling an alarm).
    pub fn refresh_at_ms(&self) -> u64 {
        self.expires_at_ms.saturating_sub(self.refresh_skew_ms())
    }

    pub fn needs_refresh(&self, now_ms: u64) -> bool {
        now_ms >= self.refresh_at_ms()
    }

    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms >= self.expires_at_ms
    }
}

/// "1799" or "1799.0" (seen from proxies that re-encode JSON).
fn parse_seconds(s: &str) -> Option<u64> {
    let s = s.trim();
    s.parse::<u64>().ok().or_else(|| {
        s.parse::<f64>()
            .ok()
            .filter(|f| f.is_finite() && *f >= 0.0)
            .map(|f| f as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_000_000;

    #[test]
    fn parses_servicenow_token_response() {
        let body = r#"{"scope":"useraccount","token_type":"Bearer","expires_in":1799,"refresh_token":"r-tok","access_token":"a-tok"}"#;
        let t = TokenSet::from_token_response(body, NOW).unwrap();
        assert_eq!(t.access_token.expose(), "a-tok");
        assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some("r-tok"));
        assert_eq!(t.expires_at_ms, NOW + 1_799_000);
        assert_eq!(t.issued_at_ms, NOW);
        assert_eq!(t.scope.as_deref(), Some("useraccount"));
    }

    #[test]
    fn expires_in_may_be_a_string_or_missing() {
        let t = TokenSet::from_token_response(r#"{"access_token":"a","expires_in":"1800"}"#, NOW)
            .unwrap();
        assert_eq!(t.expires_at_ms, NOW + 1_800_000);
        let t = TokenSet::from_token_response(r#"{"access_token":"a","expires_in":"3.0"}"#, NOW)
            .unwrap();
        assert_eq!(t.expires_at_ms, NOW + 3_000);
        let t =
            TokenSet::from_token_response(r#"{"access_token":"a","expires_in":3.5}"#, NOW).unwrap();
        assert_eq!(t.expires_at_ms, NOW + 3_000);
        let t = TokenSet::from_token_response(r#"{"access_token":"a"}"#, NOW).unwrap();
        assert_eq!(t.expires_at_ms, NOW + DEFAULT_LIFETIME_SECS * 1000);
        assert!(t.refresh_token.is_none());
    }

    #[test]
    fn token_strings_are_visible_ascii_and_lifetimes_bounded() {
        for (body, field) in [
            (r#"{"access_token":"a\r\nX: y"}"#, "access_token"),
            (r#"{"access_token":"é"}"#, "access_token"),
            (r#"{"access_token":"a b"}"#, "access_token"),
            (
                r#"{"access_token":"a","refresh_token":"r\u0000"}"#,
                "refresh_token",
            ),
        ] {
            assert_eq!(
                TokenSet::from_token_response(body, 0),
                Err(TokenParseError::WrongType(field)),
                "{body}"
            );
        }
        let t = TokenSet::from_token_response(r#"{"access_token":"a","expires_in":1e300}"#, 1_000)
            .unwrap();
        assert_eq!(t.expires_at_ms, 1_000 + MAX_LIFETIME_SECS * 1000);
        assert!(t.expires_at_ms < 1 << 53);
    }

    #[test]
    fn refuses_unusable_responses() {
        use TokenParseError::*;
        assert_eq!(TokenSet::from_token_response("<html>", NOW), Err(NotJson));
        assert_eq!(TokenSet::from_token_response("[]", NOW), Err(NotJson));
        assert_eq!(
            TokenSet::from_token_response(r#"{"error":"server_error"}"#, NOW),
            Err(Missing("access_token"))
        );
        assert_eq!(
            TokenSet::from_token_response(r#"{"access_token":""}"#, NOW),
            Err(Missing("access_token"))
        );
        assert_eq!(
            TokenSet::from_token_response(r#"{"access_token":5}"#, NOW),
            Err(WrongType("access_token"))
        );
        assert_eq!(
            TokenSet::from_token_response(r#"{"access_token":"a","expires_in":"soon"}"#, NOW),
            Err(WrongType("expires_in"))
        );
        assert_eq!(
            TokenSet::from_token_response(r#"{"access_token":"a","expires_in":-5}"#, NOW),
            Err(WrongType("expires_in"))
        );
        assert_eq!(
            TokenSet::from_token_response(r#"{"access_token":"a","token_type":"mac"}"#, NOW),
            Err(NotBearer("mac".into()))
        );
        assert_eq!(WrongType("expires_in").field(), "expires_in");
    }

    #[test]
    fn refreshes_a_minute_early_for_normal_tokens() {
        let t = TokenSet::from_token_response(r#"{"access_token":"a","expires_in":1800}"#, NOW)
            .unwrap();
        assert_eq!(t.refresh_skew_ms(), 60_000);
        assert!(!t.needs_refresh(NOW));
        assert!(!t.needs_refresh(NOW + 1_739_999));
        assert!(t.needs_refresh(NOW + 1_740_000));
        assert!(!t.is_expired(NOW + 1_799_999));
        assert!(t.is_expired(NOW + 1_800_000));
    }

    #[test]
    fn short_lived_tokens_refresh_at_ninety_percent() {
        let t =
            TokenSet::from_token_response(r#"{"access_token":"a","expires_in":3}"#, NOW).unwrap();
        assert_eq!(t.refresh_skew_ms(), 300);
        assert!(!t.needs_refresh(NOW + 2_699));
        assert!(t.needs_refresh(NOW + 2_700));
        assert_eq!(t.refresh_at_ms(), NOW + 2_700);
        // A zero lifetime needs a refresh at once.
        let z =
            TokenSet::from_token_response(r#"{"access_token":"a","expires_in":0}"#, NOW).unwrap();
        assert!(z.needs_refresh(NOW));
    }

    #[test]
    fn refresh_grant_keeps_the_old_refresh_token() {
        let old = TokenSet::from_token_response(r#"{"access_token":"a","refresh_token":"r"}"#, NOW)
            .unwrap();
        let new = TokenSet::from_token_response(r#"{"access_token":"b"}"#, NOW + 5)
            .unwrap()
            .keep_refresh_token_from(&old);
        assert_eq!(new.refresh_token.as_ref().map(Secret::expose), Some("r"));
        let rotated =
            TokenSet::from_token_response(r#"{"access_token":"b","refresh_token":"r2"}"#, NOW)
                .unwrap()
                .keep_refresh_token_from(&old);
        assert_eq!(
            rotated.refresh_token.as_ref().map(Secret::expose),
            Some("r2")
        );
    }

    #[test]
    fn debug_and_display_redact() {
        let t = TokenSet::from_token_response(
            r#"{"access_token":"SECRET-A","refresh_token":"SECRET-R"}"#,
            NOW,
        )
        .unwrap();
        let shown = format!("{t:?} {}", t.access_token);
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn round_trips_through_storage_json() {
        let t = TokenSet::from_token_response(
            r#"{"access_token":"a","refresh_token":"r","scope":"useraccount"}"#,
            NOW,
        )
        .unwrap();
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("\"access_token\":\"a\""));
        assert_eq!(serde_json::from_str::<TokenSet>(&json).unwrap(), t);
        // Stored before issued_at_ms existed.
        let old: TokenSet = serde_json::from_str(
            r#"{"access_token":"a","refresh_token":null,"expires_at_ms":5,"scope":null}"#,
        )
        .unwrap();
        assert_eq!(old.issued_at_ms, 0);
    }
}
