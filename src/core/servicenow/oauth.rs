//! OAuth 2.0 against `/oauth_auth.do`, `/oauth_token.do` and `/oauth_revoke_token.do`.
//!
//! Token requests are form-encoded (ServiceNow refuses JSON there) and put the client
//! credentials in the body. Every secret travels as a `Secret`, so no Debug output shows one.

use crate::domain::instance::InstanceUrl;
use crate::domain::pkce::{state_matches, PkceVerifier, CHALLENGE_METHOD};
use crate::domain::query::{parse_query_string, query_param, QueryString};
use crate::domain::token::{Secret, TokenParseError, TokenSet};

use super::client::{http_error, Client};
use super::error::{AuthError, ClientError, DecodeKind, Endpoint, Grant};
use super::transport::{HttpRequest, HttpResponse, Method, Transport};

/// The Application Registry record's credentials. The secret is absent for a public (PKCE)
/// client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: Option<Secret>,
}

impl OAuthClient {
    pub fn new(client_id: impl Into<String>, client_secret: Option<Secret>) -> Self {
        // An empty secret (cleared in the options page) means a public client.
        let client_secret = client_secret.filter(|s| !s.is_empty());
        OAuthClient {
            client_id: client_id.into().trim().to_owned(),
            client_secret,
        }
    }

    fn push_credentials(&self, form: &mut QueryString) {
        form.push("client_id", &self.client_id);
        if let Some(secret) = &self.client_secret {
            form.push("client_secret", secret.expose());
        }
    }
}

/// The authorization page to open with the browser's web-auth flow: code flow, `state` and
/// PKCE S256 always, and a `state` (new instances refuse an authorization request without one).
pub fn authorize_url(
    instance: &InstanceUrl,
    client_id: &str,
    redirect_uri: &str,
    state: &str,
    verifier: &PkceVerifier,
) -> String {
    let qs = QueryString::new()
        .param("response_type", "code")
        .param("client_id", client_id.trim())
        .param("redirect_uri", redirect_uri)
        .param("state", state)
        .param("code_challenge", &verifier.challenge())
        .param("code_challenge_method", CHALLENGE_METHOD)
        .finish();
    format!("{}?{qs}", instance.url("/oauth_auth.do"))
}

/// How much of an authorization error's description is shown.
pub const REDIRECT_DESCRIPTION_MAX: usize = 200;

/// Reads the URL the web-auth flow resolved with: the authorization code, or why there is
/// none. The `state` is checked before anything else is believed.
pub fn parse_redirect(redirect_url: &str, expected_state: &str) -> Result<Secret, AuthError> {
    let without_fragment = redirect_url.split('#').next().unwrap_or("");
    let query = without_fragment
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or("");
    let pairs = parse_query_string(query);
    let state = query_param(&pairs, "state");
    let error = query_param(&pairs, "error").filter(|e| !e.is_empty());
    if let Some(s) = state {
        if !state_matches(expected_state, s) {
            return Err(AuthError::StateMismatch);
        }
    }
    if let Some(error) = error {
        // An error without state can only make us show a message, so it is believed, but any
        // page in the sign-in window can make one: without our state only a well-formed error
        // code is kept, never the free text (security review L9).
        if error == "access_denied" {
            return Err(AuthError::AccessDenied);
        }
        let code_ok =
            error.len() <= 64 && error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        let description = query_param(&pairs, "error_description")
            .filter(|_| state.is_some())
            .map(|d| {
                d.chars()
                    .filter(|c| !c.is_control())
                    .take(REDIRECT_DESCRIPTION_MAX)
                    .collect::<String>()
            })
            .filter(|d| !d.trim().is_empty());
        return Err(AuthError::Redirect {
            error: if code_ok { error } else { "invalid_request" }.to_owned(),
            description,
        });
    }
    if state.is_none() {
        return Err(AuthError::StateMismatch);
    }
    match query_param(&pairs, "code").filter(|c| !c.is_empty()) {
        Some(code) => Ok(Secret::new(code)),
        None => Err(AuthError::MissingCode),
    }
}

/// Reads a rejection of `chrome.identity.launchWebAuthFlow` (its messages are fixed English
/// strings, checked in headless Chromium; see ARCHITECTURE.md).
pub fn web_auth_error(message: &str) -> AuthError {
    let m = message.to_ascii_lowercase();
    if m.contains("did not approve") || m.contains("user interaction required") {
        AuthError::Cancelled
    } else if m.contains("could not be loaded") {
        AuthError::PageNotLoaded
    } else {
        AuthError::WebAuth(message.chars().take(200).collect())
    }
}

/// What to exchange for tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenGrant {
    /// The code from `parse_redirect`, the same redirect URI, and the PKCE verifier.
    AuthorizationCode {
        code: Secret,
        redirect_uri: String,
        verifier: PkceVerifier,
    },
    /// The fallback for instances that cannot use the redirect.
    Password {
        username: String,
        password: Secret,
    },
    RefreshToken {
        refresh_token: Secret,
    },
}

impl TokenGrant {
    pub fn grant(&self) -> Grant {
        match self {
            TokenGrant::AuthorizationCode { .. } => Grant::AuthorizationCode,
            TokenGrant::Password { .. } => Grant::Password,
            TokenGrant::RefreshToken { .. } => Grant::RefreshToken,
        }
    }
}

fn form_request(url: String, form: QueryString, timeout_ms: u32) -> HttpRequest {
    HttpRequest {
        method: Method::Post,
        url,
        headers: vec![
            ("Accept".to_owned(), "application/json".to_owned()),
            (
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            ),
        ],
        body: Some(form.finish()),
        timeout_ms,
    }
}

/// `POST /oauth_token.do` for a grant.
pub fn token_request(
    instance: &InstanceUrl,
    client: &OAuthClient,
    grant: &TokenGrant,
    timeout_ms: u32,
) -> HttpRequest {
    let mut form = QueryString::new().param("grant_type", grant.grant().as_str());
    match grant {
        TokenGrant::AuthorizationCode {
            code,
            redirect_uri,
            verifier,
        } => {
            form.push("code", code.expose());
            form.push("redirect_uri", redirect_uri);
            form.push("code_verifier", verifier.as_str());
        }
        TokenGrant::Password { username, password } => {
            form.push("username", username.trim());
            form.push("password", password.expose());
        }
        TokenGrant::RefreshToken { refresh_token } => {
            form.push("refresh_token", refresh_token.expose())
        }
    }
    client.push_credentials(&mut form);
    form_request(instance.url("/oauth_token.do"), form, timeout_ms)
}

/// `POST /oauth_revoke_token.do` with the token in the form, kept out of the URL and the logs
/// that keep URLs (unverified on every release: a failure must not block removing the tokens
/// locally).
pub fn revoke_request(
    instance: &InstanceUrl,
    client: &OAuthClient,
    token: &Secret,
    timeout_ms: u32,
) -> HttpRequest {
    let mut form = QueryString::new().param("token", token.expose());
    client.push_credentials(&mut form);
    form_request(instance.url("/oauth_revoke_token.do"), form, timeout_ms)
}

/// The same call with the token in the query string, the shape ServiceNow documents
/// (`oauth_revoke_token.do?token=…`; the client's credentials stay in the form). Sent only when
/// an instance answered the form with a refusal ([`Client::revoke`]).
pub fn revoke_request_in_query(
    instance: &InstanceUrl,
    client: &OAuthClient,
    token: &Secret,
    timeout_ms: u32,
) -> HttpRequest {
    let query = QueryString::new().param("token", token.expose()).finish();
    let url = [instance.url("/oauth_revoke_token.do"), query].join("?");
    let mut form = QueryString::new();
    client.push_credentials(&mut form);
    form_request(url, form, timeout_ms)
}

/// Reads the token endpoint's answer.
pub fn decode_token(
    grant: Grant,
    resp: &HttpResponse,
    now_ms: u64,
) -> Result<TokenSet, ClientError> {
    const CONTEXT: &str = "oauth_token.do";
    if resp.is_success() {
        return TokenSet::from_token_response(&resp.body, now_ms).map_err(|e| {
            let kind = match e {
                TokenParseError::NotJson => DecodeKind::NotJson,
                TokenParseError::Missing("access_token") => DecodeKind::NoResult,
                _ => DecodeKind::Field,
            };
            let context = if kind == DecodeKind::Field {
                format!("{CONTEXT}.{}", e.field())
            } else {
                CONTEXT.to_owned()
            };
            ClientError::decode(context, kind, e.to_string())
        });
    }
    if matches!(resp.status, 400 | 401) {
        let json: Option<serde_json::Value> = serde_json::from_str(&resp.body).ok();
        let field = |k: &str| {
            json.as_ref()
                .and_then(|j| j.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        };
        if let Some(error) = field("error") {
            return Err(AuthError::TokenRejected {
                grant,
                status: resp.status,
                error,
                description: field("error_description"),
            }
            .into());
        }
        if resp.status == 401 {
            return Err(AuthError::TokenRejected {
                grant,
                status: 401,
                error: String::new(),
                description: None,
            }
            .into());
        }
    }
    Err(http_error(Endpoint::Token(grant), Method::Post, resp))
}

impl<T: Transport> Client<T> {
    /// Exchanges a grant for tokens; `now_ms` dates their expiry.
    pub async fn token(
        &self,
        client: &OAuthClient,
        grant: &TokenGrant,
        now_ms: u64,
    ) -> Result<TokenSet, ClientError> {
        let req = token_request(self.instance(), client, grant, self.timeout_ms());
        let resp = self.transport().send(req).await?;
        decode_token(grant.grant(), &resp, now_ms)
    }

    /// A new access token from the refresh token, keeping the refresh token when the answer
    /// omits it. Without a refresh token this is `RefreshTokenExpired` territory.
    pub async fn refresh(
        &self,
        client: &OAuthClient,
        current: &TokenSet,
        now_ms: u64,
    ) -> Result<TokenSet, ClientError> {
        let Some(refresh_token) = current.refresh_token.clone() else {
            return Err(AuthError::TokenRejected {
                grant: Grant::RefreshToken,
                status: 0,
                error: "no_refresh_token".to_owned(),
                description: None,
            }
            .into());
        };
        let fresh = self
            .token(client, &TokenGrant::RefreshToken { refresh_token }, now_ms)
            .await?;
        Ok(fresh.keep_refresh_token_from(current))
    }

    /// Revokes `token`: as a form, then, if the instance refused that (a 4xx other than 429),
    /// once more in the documented query form. A timeout, a network failure, a rate limit or a
    /// server error is not asked again.
    pub async fn revoke(&self, client: &OAuthClient, token: &Secret) -> Result<(), ClientError> {
        let req = revoke_request(self.instance(), client, token, self.timeout_ms());
        match self.execute(req, &Endpoint::Revoke).await {
            Err(ClientError::Http(h)) if (400..500).contains(&h.status) && h.status != 429 => {
                let req =
                    revoke_request_in_query(self.instance(), client, token, self.timeout_ms());
                self.execute(req, &Endpoint::Revoke).await.map(|_| ())
            }
            answer => answer.map(|_| ()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::client::fake::{block_on, FakeTransport};
    use super::super::transport::TransportError;
    use super::*;
    use crate::domain::query::percent_decode;

    const RFC_BYTES: [u8; 32] = [
        116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212, 37,
        77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
    ];
    const REDIRECT: &str = "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/";
    const NOW: u64 = 1_700_000_000_000;

    fn instance() -> InstanceUrl {
        InstanceUrl::parse("dev1").unwrap()
    }

    fn confidential() -> OAuthClient {
        OAuthClient::new(" cid ", Some(Secret::new("csecret")))
    }

    fn form(req: &HttpRequest) -> Vec<(String, String)> {
        parse_query_string(req.body.as_deref().unwrap())
    }

    #[test]
    fn authorize_url_sends_state_and_s256() {
        let v = PkceVerifier::from_random_bytes(RFC_BYTES);
        let url = authorize_url(&instance(), "cid", REDIRECT, "st4te", &v);
        assert_eq!(
            url,
            "https://dev1.service-now.com/oauth_auth.do?response_type=code&client_id=cid&redirect_uri=https%3A%2F%2Fabcdefghijklmnopabcdefghijklmnop.chromiumapp.org%2F&state=st4te&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
        assert!(!url.contains(v.as_str()), "the verifier never leaves");
    }

    #[test]
    fn redirect_errors_without_our_state_carry_no_text_and_are_bounded() {
        let long = "A".repeat(4096);
        // Any page in the sign-in window can navigate to the redirect URL.
        assert_eq!(
            parse_redirect(
                &format!("{REDIRECT}?error=x&error_description=Call+0800+now+{long}"),
                "s1"
            ),
            Err(AuthError::Redirect {
                error: "x".into(),
                description: None
            })
        );
        assert_eq!(
            parse_redirect(&format!("{REDIRECT}?error=%3Cb%3EPay%3C%2Fb%3E"), "s1"),
            Err(AuthError::Redirect {
                error: "invalid_request".into(),
                description: None
            })
        );
        let Err(AuthError::Redirect {
            description: Some(d),
            ..
        }) = parse_redirect(
            &format!("{REDIRECT}?state=s1&error=server_error&error_description=a%0Ab{long}"),
            "s1",
        )
        else {
            panic!("the instance's own error keeps its text");
        };
        assert_eq!(d.chars().count(), REDIRECT_DESCRIPTION_MAX);
        assert!(d.starts_with("abAAA"), "{d}");
    }

    #[test]
    fn redirect_gives_the_code_only_with_our_state() {
        assert_eq!(
            parse_redirect(&format!("{REDIRECT}?code=abc%2B1&state=s1"), "s1")
                .map(|c| c.expose().to_owned()),
            Ok("abc+1".into())
        );
        assert_eq!(
            parse_redirect(&format!("{REDIRECT}?code=abc&state=evil"), "s1"),
            Err(AuthError::StateMismatch)
        );
        assert_eq!(
            parse_redirect(&format!("{REDIRECT}?code=abc"), "s1"),
            Err(AuthError::StateMismatch)
        );
        assert_eq!(
            parse_redirect(&format!("{REDIRECT}?error=access_denied&state=s1"), "s1"),
            Err(AuthError::AccessDenied)
        );
        assert_eq!(
            parse_redirect(&format!("{REDIRECT}?error=access_denied&state=x"), "s1"),
            Err(AuthError::StateMismatch)
        );
        assert_eq!(
            parse_redirect(&format!("{REDIRECT}?error=invalid_request&error_description=Missing+State+parameter+in+request"), "s1"),
            Err(AuthError::Redirect { error: "invalid_request".into(), description: None })
        );
        assert_eq!(
            parse_redirect(
                &format!("{REDIRECT}?error=server_error&state=s1&error_description=Try+later"),
                "s1"
            ),
            Err(AuthError::Redirect {
                error: "server_error".into(),
                description: Some("Try later".into())
            })
        );
        assert_eq!(
            parse_redirect(&format!("{REDIRECT}?state=s1"), "s1"),
            Err(AuthError::MissingCode)
        );
        assert_eq!(
            parse_redirect(&format!("{REDIRECT}?state=s1&code=#code=x"), "s1"),
            Err(AuthError::MissingCode)
        );
        assert_eq!(
            parse_redirect(REDIRECT, "s1"),
            Err(AuthError::StateMismatch)
        );
    }

    #[test]
    fn web_auth_rejections() {
        assert_eq!(
            web_auth_error("The user did not approve access."),
            AuthError::Cancelled
        );
        assert_eq!(
            web_auth_error("Authorization page could not be loaded."),
            AuthError::PageNotLoaded
        );
        assert_eq!(
            web_auth_error("Something else"),
            AuthError::WebAuth("Something else".into())
        );
    }

    #[test]
    fn token_requests_are_forms_with_client_credentials() {
        let v = PkceVerifier::from_random_bytes(RFC_BYTES);
        let code = TokenGrant::AuthorizationCode {
            code: Secret::new("c0de"),
            redirect_uri: REDIRECT.into(),
            verifier: v,
        };
        let req = token_request(&instance(), &confidential(), &code, 5);
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.url, "https://dev1.service-now.com/oauth_token.do");
        assert_eq!(
            req.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(req.header("authorization"), None);
        assert_eq!(
            form(&req),
            [
                ("grant_type", "authorization_code"),
                ("code", "c0de"),
                ("redirect_uri", REDIRECT),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
                ),
                ("client_id", "cid"),
                ("client_secret", "csecret"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );

        let pw = TokenGrant::Password {
            username: "snshare.integration".into(),
            password: Secret::new("p&ss=word"),
        };
        let public = OAuthClient::new("cid", Some(Secret::new("")));
        let req = token_request(&instance(), &public, &pw, 5);
        assert!(req
            .body
            .as_deref()
            .unwrap()
            .contains("password=p%26ss%3Dword"));
        let f = form(&req);
        assert_eq!(query_param(&f, "grant_type"), Some("password"));
        assert_eq!(
            query_param(&f, "client_secret"),
            None,
            "public client sends no secret"
        );

        let rt = TokenGrant::RefreshToken {
            refresh_token: Secret::new("R"),
        };
        let f = form(&token_request(&instance(), &confidential(), &rt, 5));
        assert_eq!(
            (
                query_param(&f, "grant_type"),
                query_param(&f, "refresh_token")
            ),
            (Some("refresh_token"), Some("R"))
        );

        let shown = format!(
            "{:?} {:?}",
            token_request(&instance(), &confidential(), &pw, 5),
            pw
        );
        assert!(
            !shown.contains("p&ss") && !shown.contains("csecret"),
            "{shown}"
        );
    }

    #[test]
    fn exchanges_a_code_for_tokens() {
        let fake = FakeTransport::new().json(
            200,
            r#"{"scope":"useraccount","token_type":"Bearer","expires_in":1799,"refresh_token":"RT","access_token":"AT"}"#,
        );
        let client = Client::new(&fake, instance());
        let grant = TokenGrant::AuthorizationCode {
            code: Secret::new("c"),
            redirect_uri: REDIRECT.into(),
            verifier: PkceVerifier::from_random_bytes(RFC_BYTES),
        };
        let t = block_on(client.token(&confidential(), &grant, NOW)).unwrap();
        assert_eq!(t.access_token.expose(), "AT");
        assert_eq!(t.expires_at_ms, NOW + 1_799_000);
    }

    #[test]
    fn the_opaque_401_is_an_auth_error_with_its_grant() {
        let fake = FakeTransport::new().json(
            401,
            r#"{"error_description":"access_denied","error":"server_error"}"#,
        );
        let client = Client::new(&fake, instance());
        let pw = TokenGrant::Password {
            username: "u".into(),
            password: Secret::new("p"),
        };
        assert_eq!(
            block_on(client.token(&confidential(), &pw, NOW)),
            Err(ClientError::Auth(AuthError::TokenRejected {
                grant: Grant::Password,
                status: 401,
                error: "server_error".into(),
                description: Some("access_denied".into())
            }))
        );
    }

    #[test]
    fn refresh_keeps_the_refresh_token() {
        let fake = FakeTransport::new().json(200, r#"{"access_token":"AT2","expires_in":"3"}"#);
        let client = Client::new(&fake, instance());
        let current =
            TokenSet::from_token_response(r#"{"access_token":"AT","refresh_token":"RT"}"#, NOW)
                .unwrap();
        let t = block_on(client.refresh(&confidential(), &current, NOW + 10)).unwrap();
        assert_eq!(t.access_token.expose(), "AT2");
        assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some("RT"));
        assert_eq!(t.expires_at_ms, NOW + 10 + 3_000);
        assert!(percent_decode(&fake.last().body.unwrap()).contains("refresh_token=RT"));

        let no_rt = TokenSet::from_token_response(r#"{"access_token":"AT"}"#, NOW).unwrap();
        assert!(matches!(
            block_on(client.refresh(&confidential(), &no_rt, NOW)),
            Err(ClientError::Auth(AuthError::TokenRejected {
                grant: Grant::RefreshToken,
                ..
            }))
        ));
    }

    #[test]
    fn token_endpoint_odd_answers() {
        let html = |status| {
            HttpResponse::new(
                status,
                vec![("content-type".into(), "text/html".into())],
                "<html>nope</html>",
            )
        };
        assert!(matches!(
            decode_token(Grant::AuthorizationCode, &html(200), NOW),
            Err(ClientError::Decode {
                kind: DecodeKind::NotJson,
                ..
            })
        ));
        assert!(matches!(
            decode_token(
                Grant::AuthorizationCode,
                &HttpResponse::new(200, vec![], r#"{"foo":1}"#),
                NOW
            ),
            Err(ClientError::Decode {
                kind: DecodeKind::NoResult,
                ..
            })
        ));
        assert!(matches!(
            decode_token(Grant::AuthorizationCode, &HttpResponse::new(200, vec![], r#"{"access_token":"a","expires_in":"x"}"#), NOW),
            Err(ClientError::Decode { kind: DecodeKind::Field, ref context, .. }) if context == "oauth_token.do.expires_in"
        ));
        assert!(matches!(
            decode_token(Grant::Password, &html(401), NOW),
            Err(ClientError::Auth(AuthError::TokenRejected {
                status: 401,
                ..
            }))
        ));
        assert!(
            matches!(decode_token(Grant::Password, &html(403), NOW), Err(ClientError::Http(h)) if h.status == 403 && !h.json_body)
        );
        assert!(
            matches!(decode_token(Grant::Password, &html(400), NOW), Err(ClientError::Http(h)) if h.status == 400)
        );
        assert!(
            matches!(decode_token(Grant::Password, &html(503), NOW), Err(ClientError::Http(h)) if h.endpoint == Endpoint::Token(Grant::Password))
        );
    }

    #[test]
    fn revoke_posts_the_token() {
        let fake = FakeTransport::new()
            .reply(200, &[], "")
            .reply(404, &[], "<html/>")
            .reply(404, &[], "<html/>");
        let client = Client::new(&fake, instance());
        assert_eq!(
            block_on(client.revoke(&confidential(), &Secret::new("RT"))),
            Ok(())
        );
        let req = fake.last();
        assert_eq!(
            req.url,
            "https://dev1.service-now.com/oauth_revoke_token.do"
        );
        assert_eq!(query_param(&form(&req), "token"), Some("RT"));
        assert!(
            matches!(block_on(client.revoke(&confidential(), &Secret::new("RT"))), Err(ClientError::Http(h)) if h.endpoint == Endpoint::Revoke)
        );
    }

    #[test]
    fn a_refused_revocation_is_asked_once_more_in_the_documented_query_form() {
        let fake = FakeTransport::new()
            .reply(400, &[], "<html/>")
            .reply(200, &[], "");
        let client = Client::new(&fake, instance());
        assert_eq!(
            block_on(client.revoke(&confidential(), &Secret::new("R T+/"))),
            Ok(())
        );
        let sent = fake.sent.borrow().clone();
        assert_eq!(sent.len(), 2);
        assert_eq!(query_param(&form(&sent[0]), "token"), Some("R T+/"));
        let (path, query) = sent[1].url.split_once('?').unwrap();
        assert_eq!(path, "https://dev1.service-now.com/oauth_revoke_token.do");
        assert_eq!(
            query_param(&parse_query_string(query), "token"),
            Some("R T+/")
        );
        // The client still authenticates in the form; the token is not in it twice.
        let body = form(&sent[1]);
        assert_eq!(query_param(&body, "client_id"), Some("cid"));
        assert_eq!(query_param(&body, "token"), None);

        // Not asked again: no answer, a rate limit, a server error.
        for fake in [
            FakeTransport::new().fail(TransportError::Timeout),
            FakeTransport::new().reply(429, &[], ""),
            FakeTransport::new().reply(503, &[], ""),
        ] {
            let client = Client::new(&fake, instance());
            assert!(block_on(client.revoke(&confidential(), &Secret::new("RT"))).is_err());
            assert_eq!(fake.sent.borrow().len(), 1);
        }
    }
}
