//! The one seam between the client and the network. The platform layer implements it with
//! `fetch` (timeout through AbortController); tests implement it with canned responses.

use std::fmt;

/// HTTP methods the client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Whether repeating the request cannot create a second record.
    pub fn is_idempotent(self) -> bool {
        !matches!(self, Method::Post)
    }

    pub fn is_write(self) -> bool {
        !matches!(self, Method::Get)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request ready to send. Debug hides the Authorization header and the body (token
/// requests carry the client secret, passwords and refresh tokens in the body).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: Method,
    /// Absolute URL, query string included.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// The transport aborts the request after this long and reports `TransportError::Timeout`.
    pub timeout_ms: u32,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                let shown = if k.eq_ignore_ascii_case("authorization") {
                    "[redacted]"
                } else {
                    v.as_str()
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field(
                "body",
                &self.body.as_ref().map(|b| format!("[{} bytes]", b.len())),
            )
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// What came back. Header names are lowercase (the transport lowercases them, `new` too).
/// Debug hides the body: a token response carries tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: impl Into<String>) -> Self {
        let headers = headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        HttpResponse {
            status,
            headers,
            body: body.into(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &format!("[{} bytes]", self.body.len()))
            .finish()
    }
}

/// Failures below HTTP. Which one it is decides whether a create may have happened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// The browser knows it is offline: nothing was sent.
    #[error("offline")]
    Offline,
    /// No answer within `timeout_ms` (the request was aborted; it may have been processed).
    #[error("timed out")]
    Timeout,
    /// Could not connect or read (DNS, TLS, refused, CORS-less network error).
    #[error("network error: {0}")]
    Network(String),
    /// The connection dropped after the request was sent.
    #[error("connection dropped after the request was sent")]
    Aborted,
    /// An answer the transport refuses to read: larger than `MAX_RESPONSE_BYTES`. Something
    /// answered, but not like a ServiceNow instance (whose pages are far smaller).
    #[error("answer of {bytes} bytes is larger than snshare reads")]
    TooLarge { bytes: u64 },
}

/// The largest answer read: a 1000-record page with every field snshare asks for is well under
/// 2 MB; a bigger one (a misbehaving instance or proxy) would only risk the worker's memory,
/// which under `panic = "abort"` ends the worker.
pub const MAX_RESPONSE_BYTES: u64 = 8 * 1024 * 1024;

/// JSON text with every unpaired UTF-16 surrogate escape (`\ud800` alone, as a Java-based
/// server writes a broken string) turned into `\ufffd`: serde_json refuses lone surrogates,
/// and one such field would otherwise make a whole page of records unreadable.
pub fn repair_lone_surrogates(json: &str) -> std::borrow::Cow<'_, str> {
    fn escape_at(b: &[u8], i: usize) -> Option<u16> {
        let hex = b.get(i..i + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        hex[2..]
            .iter()
            .try_fold(0u16, |v, &d| Some(v << 4 | u16::from(crate::hex_value(d)?)))
    }
    let b = json.as_bytes();
    if !json.contains("\\u") {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len());
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        match escape_at(b, i) {
            Some(0xD800..=0xDBFF) if matches!(escape_at(b, i + 6), Some(0xDC00..=0xDFFF)) => {
                i += 12;
            }
            Some(0xD800..=0xDFFF) => {
                out.push_str(&json[copied..i]);
                out.push_str("\\ufffd");
                i += 6;
                copied = i;
            }
            // Any other escape, `\\` included: both characters stay as they are.
            _ => i += 2,
        }
    }
    if copied == 0 {
        return std::borrow::Cow::Borrowed(json);
    }
    out.push_str(&json[copied.min(json.len())..]);
    std::borrow::Cow::Owned(out)
}

/// Refuses an answer whose announced (`Content-Length`) or read length passes the cap.
pub fn check_response_size(bytes: Option<u64>) -> Result<(), TransportError> {
    match bytes {
        Some(bytes) if bytes > MAX_RESPONSE_BYTES => Err(TransportError::TooLarge { bytes }),
        _ => Ok(()),
    }
}

/// Sends one request. Implemented by the wasm fetch transport and by test fakes.
///
/// No `Send` bound: wasm is single-threaded and the futures hold JS values.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &T {
    async fn send(&self, req: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_authorization_and_bodies() {
        let req = HttpRequest {
            method: Method::Post,
            url: "https://x/oauth_token.do".into(),
            headers: vec![
                ("Authorization".into(), "Bearer SECRET".into()),
                ("Accept".into(), "application/json".into()),
            ],
            body: Some("client_secret=SECRET".into()),
            timeout_ms: 1,
        };
        let shown = format!("{req:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("application/json"));
        let resp = HttpResponse::new(
            200,
            vec![("X-Total-Count".into(), "3".into())],
            r#"{"access_token":"SECRET"}"#,
        );
        let shown = format!("{resp:?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert_eq!(resp.header("x-total-count"), Some("3"));
        assert_eq!(resp.headers[0].0, "x-total-count");
        assert_eq!(req.header("accept"), Some("application/json"));
    }

    #[test]
    fn methods() {
        assert!(!Method::Post.is_idempotent());
        assert!(Method::Patch.is_idempotent());
        assert!(Method::Get.is_idempotent());
        assert!(!Method::Get.is_write());
        assert_eq!(Method::Patch.to_string(), "PATCH");
    }

    #[test]
    fn answers_above_the_cap_are_refused_and_read_as_not_servicenow() {
        assert_eq!(check_response_size(None), Ok(()));
        assert_eq!(check_response_size(Some(MAX_RESPONSE_BYTES)), Ok(()));
        assert_eq!(
            check_response_size(Some(10 * 1024 * 1024)),
            Err(TransportError::TooLarge {
                bytes: 10 * 1024 * 1024
            })
        );
        let err: crate::servicenow::ClientError =
            TransportError::TooLarge { bytes: 1 << 30 }.into();
        assert_eq!(
            crate::servicenow::diagnose::diagnose(&err, Default::default()),
            crate::domain::diagnosis::Diagnosis::NotServiceNow
        );
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let cases = [
            (r#"{"a":"x\ud800y"}"#, "x\u{fffd}y"),
            (r#"{"a":"\udc00"}"#, "\u{fffd}"),
            (r#"{"a":"\ud83d\ude00 ok"}"#, "\u{1F600} ok"),
            (r#"{"a":"\\ud800"}"#, "\\ud800"),
            (r#"{"a":"\ud800\ud800\udc00"}"#, "\u{fffd}\u{10000}"),
            (r#"{"a":"end\ud800"}"#, "end\u{fffd}"),
            // Java writes its escapes in uppercase.
            (r#"{"a":"x\uD800y"}"#, "x\u{fffd}y"),
            (r#"{"a":"\uD83D\uDE00"}"#, "\u{1F600}"),
        ];
        for (raw, want) in cases {
            let fixed = repair_lone_surrogates(raw);
            let v: serde_json::Value =
                serde_json::from_str(&fixed).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(v["a"], want, "{raw}");
        }
        assert!(matches!(
            repair_lone_surrogates(r#"{"a":"\u00e9"}"#),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
