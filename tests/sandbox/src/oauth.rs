//! OAuth 2.0 as an instance does it: `/oauth_auth.do` (login, consent, redirect with a code),
//! `/oauth_token.do` (form body only; one opaque 401 for every failure) and
//! `/oauth_revoke_token.do`, plus the login session behind the consent page.

use std::collections::HashMap;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use hyper::{Response, StatusCode};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::app::{
    envelope, json_response, now_ms, session, session_id, LogInfo, Release, Req, State,
};
use crate::net::{self, append_header, set_header, Body};
use crate::pages;
use crate::seed::{self, password_of, OAuthApp};
use crate::store::{Token, TokenKind};
use crate::table::actor_of;

pub const SESSION_COOKIE: &str = "JSESSIONID";
/// How long an authorization code can be exchanged.
const CODE_TTL_MS: u64 = 60_000;

#[derive(Clone, Debug)]
pub struct Session {
    /// The logged-in user (`user_name`).
    pub user: Option<String>,
    /// The form token the consent page must post back (`sysparm_ck`).
    pub ck: String,
}

#[derive(Clone, Debug)]
pub struct AuthCode {
    pub client_id: String,
    pub user: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at_ms: u64,
}

#[derive(Default)]
pub struct OAuthState {
    pub sessions: HashMap<String, Session>,
    pub codes: HashMap<String, AuthCode>,
}

/// A random opaque token in the shape of an instance's (86 URL-safe characters).
pub fn random_token() -> String {
    let bytes: [u8; 64] = rand::random();
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode_basic(value: &str) -> Option<(String, String)> {
    let raw = STANDARD.decode(value.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

fn denied() -> Response<Body> {
    let mut r = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({"error_description": "access_denied", "error": "server_error"}),
    );
    set_header(&mut r, "cache-control", "no-store");
    r
}

/// Whether the registry entry is a public client: one without a secret, on a release that has
/// public clients (Zurich on). On Xanadu and earlier every entry is confidential.
fn is_public(app: &OAuthApp, release: Release) -> bool {
    app.client_secret.is_none() && release == Release::Zurich
}

fn pkce_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

// ----------------------------------------------------------------------------------------------
// Token endpoint

pub fn token(s: &mut State, req: &Req, info: &mut LogInfo) -> Response<Body> {
    if !req
        .content_type()
        .starts_with("application/x-www-form-urlencoded")
    {
        return denied();
    }
    let form = req.form();
    let p = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let grant = p("grant_type").unwrap_or("").to_string();
    info.grant = Some(grant.clone()).filter(|g| !g.is_empty());
    let basic = req
        .authorization()
        .and_then(|a| {
            a.strip_prefix("Basic ")
                .or_else(|| a.strip_prefix("basic "))
        })
        .and_then(decode_basic);
    let (client_id, secret) = match (&basic, p("client_id")) {
        (Some((id, secret)), _) => (id.clone(), Some(secret.clone())),
        (None, Some(id)) => (id.to_string(), p("client_secret").map(str::to_string)),
        (None, None) => return denied(),
    };
    let Some(app) = seed::app(&client_id) else {
        return denied();
    };
    let secret_ok = match app.client_secret {
        Some(expected) => secret.as_deref() == Some(expected),
        // Before Zurich the registry generated a secret for this entry, which the client does
        // not know: no secret it sends can be right.
        None if !is_public(app, s.settings.release) => false,
        None => secret.as_deref().is_none_or(str::is_empty),
    };
    if p("scope").is_some_and(|sc| sc != "useraccount") {
        return denied();
    }
    match grant.as_str() {
        "password" => {
            let (Some(user), Some(password)) = (p("username"), p("password")) else {
                return denied();
            };
            info.user = Some(user.to_string());
            if app.client_secret.is_none()
                || !secret_ok
                || password_of(user) != Some(password)
                || actor_of(&s.store, user).is_none()
            {
                return denied();
            }
            issue(s, app, user, true, None)
        }
        "authorization_code" => {
            let Some(code) = p("code").and_then(|c| s.oauth.codes.remove(c)) else {
                return denied();
            };
            info.user = Some(code.user.clone());
            if code.client_id != app.client_id || now_ms() >= code.expires_at_ms {
                return denied();
            }
            if p("redirect_uri").is_some_and(|r| r != code.redirect_uri) {
                return denied();
            }
            let pkce_ok = match (&code.code_challenge, p("code_verifier")) {
                (Some(challenge), Some(verifier)) => pkce_s256(verifier) == *challenge,
                (Some(_), None) => false,
                (None, _) => app.client_secret.is_some(),
            };
            if !secret_ok || !pkce_ok {
                return denied();
            }
            issue(s, app, &code.user, true, None)
        }
        "refresh_token" => {
            let Some(refresh) = p("refresh_token") else {
                return denied();
            };
            let Some(t) = s.store.tokens.get(refresh).cloned() else {
                return denied();
            };
            info.user = Some(t.user.clone());
            if !secret_ok
                || t.kind != TokenKind::Refresh
                || t.revoked
                || now_ms() >= t.expires_at_ms
                || t.client_id != app.client_id
                || actor_of(&s.store, &t.user).is_none()
            {
                return denied();
            }
            issue(s, app, &t.user, false, Some(refresh.to_string()))
        }
        "client_credentials" => {
            if !s.settings.client_credentials || app.client_secret.is_none() || !secret_ok {
                return denied();
            }
            // The OAuth Application User of the registry entry.
            info.user = Some("snshare.integration".into());
            issue(s, app, "snshare.integration", false, None)
        }
        _ => denied(),
    }
}

/// Issues an access token (and a new refresh token, or echoes the one being used).
fn issue(
    s: &mut State,
    app: &OAuthApp,
    user: &str,
    new_refresh: bool,
    used_refresh: Option<String>,
) -> Response<Body> {
    let now = now_ms();
    let access_ttl = s.settings.access_ttl_secs;
    let refresh = if new_refresh {
        let r = random_token();
        let t = Token {
            kind: TokenKind::Refresh,
            user: user.to_string(),
            client_id: app.client_id.to_string(),
            expires_at_ms: now.saturating_add(s.settings.refresh_ttl_secs.saturating_mul(1000)),
            revoked: false,
            refresh: None,
        };
        if let Err(e) = s.store.put_token(r.clone(), t) {
            return envelope(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                Some(&e.to_string()),
            );
        }
        Some(r)
    } else {
        used_refresh
    };
    let access = random_token();
    let t = Token {
        kind: TokenKind::Access,
        user: user.to_string(),
        client_id: app.client_id.to_string(),
        expires_at_ms: now.saturating_add(access_ttl.saturating_mul(1000)),
        revoked: false,
        refresh: refresh.clone(),
    };
    if let Err(e) = s.store.put_token(access.clone(), t) {
        return envelope(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            Some(&e.to_string()),
        );
    }
    let mut body = json!({
        "access_token": access,
        "scope": "useraccount",
        "token_type": "Bearer",
        "expires_in": access_ttl.saturating_sub(1).max(1),
    });
    if let Some(r) = refresh {
        body["refresh_token"] = json!(r);
    }
    let mut r = json_response(StatusCode::OK, &body);
    set_header(&mut r, "cache-control", "no-store");
    set_header(&mut r, "pragma", "no-cache");
    r
}

/// `POST /oauth_revoke_token.do` (`token=…` in the form, or in the query string as ServiceNow
/// documents the call): revokes an access token, or a refresh token and the access tokens
/// issued with it. Unknown tokens are not an error (RFC 7009).
pub fn revoke(s: &mut State, req: &Req) -> Response<Body> {
    let form = req.form();
    let Some(token) = form
        .iter()
        .chain(req.query.iter())
        .find(|(k, v)| k == "token" && !v.is_empty())
        .map(|(_, v)| v.clone())
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": "invalid_request", "error_description": "token is required"}),
        );
    };
    let result = s.store.update_tokens(|k, t| {
        let hit = k == token || t.refresh.as_deref() == Some(token.as_str());
        if hit && !t.revoked {
            t.revoked = true;
            true
        } else {
            false
        }
    });
    match result {
        Ok(_) => json_response(StatusCode::OK, &json!({})),
        Err(e) => envelope(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal error",
            Some(&e.to_string()),
        ),
    }
}

// ----------------------------------------------------------------------------------------------
// Authorization: login, consent, redirect

#[derive(Clone, Debug, Default)]
struct AuthParams {
    response_type: String,
    client_id: String,
    redirect_uri: String,
    state: String,
    scope: String,
    code_challenge: String,
    code_challenge_method: String,
}

impl AuthParams {
    fn from_pairs(pairs: &[(String, String)]) -> AuthParams {
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        AuthParams {
            response_type: get("response_type"),
            client_id: get("client_id"),
            redirect_uri: get("redirect_uri"),
            state: get("state"),
            scope: get("scope"),
            code_challenge: get("code_challenge"),
            code_challenge_method: get("code_challenge_method"),
        }
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("response_type", self.response_type.as_str()),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("state", &self.state),
            ("scope", &self.scope),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// `/oauth_auth.do?…` with these parameters: where login and "Not You" come back to.
    fn url(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.pairs() {
            q.append_pair(k, v);
        }
        format!("/oauth_auth.do?{}", q.finish())
    }

    /// The registry entry, or the error page an instance shows.
    fn validate(&self, release: Release) -> Result<&'static OAuthApp, Response<Body>> {
        let bad = |m: &str| pages::error_page(StatusCode::BAD_REQUEST, "OAuth error", m);
        let Some(app) = seed::app(&self.client_id) else {
            return Err(bad("Invalid client_id"));
        };
        if !app
            .redirect_patterns
            .iter()
            .any(|p| glob(p, &self.redirect_uri))
        {
            return Err(bad("Invalid redirect_uri"));
        }
        if self.response_type != "code" {
            return Err(bad("Invalid response_type: only code is supported"));
        }
        if self.state.is_empty() {
            return Err(bad("Missing State parameter in request"));
        }
        if is_public(app, release)
            && (self.code_challenge.is_empty() || self.code_challenge_method != "S256")
        {
            return Err(bad(
                "PKCE (code_challenge with code_challenge_method S256) is required for this client",
            ));
        }
        if !self.code_challenge.is_empty() && self.code_challenge_method != "S256" {
            return Err(bad("Unsupported code_challenge_method: use S256"));
        }
        Ok(app)
    }

    fn redirect(&self, pairs: &[(&str, &str)]) -> Response<Body> {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
        let sep = if self.redirect_uri.contains('?') {
            '&'
        } else {
            '?'
        };
        redirect(&format!("{}{sep}{}", self.redirect_uri, q.finish()))
    }
}

/// `*` matches any run of characters except `/ ? # @ \`, or anything when it ends the pattern.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', [])) => true,
            Some((b'*', rest)) => {
                let mut i = 0;
                loop {
                    if go(rest, &t[i..]) {
                        return true;
                    }
                    match t.get(i) {
                        Some(c) if !b"/?#@\\".contains(c) => i += 1,
                        _ => return false,
                    }
                }
            }
            Some((c, rest)) => {
                t.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && go(rest, &t[1..])
            }
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

pub fn redirect(location: &str) -> Response<Body> {
    let mut r = net::response(StatusCode::FOUND, "text/html; charset=UTF-8", "");
    set_header(&mut r, "location", location);
    set_header(&mut r, "cache-control", "no-store");
    r
}

/// Only same-site paths: no open redirect through `sysparm_goto`.
fn safe_goto(goto: Option<&str>) -> String {
    match goto {
        Some(g) if g.starts_with('/') && !g.starts_with("//") && !g.contains('\\') => g.to_string(),
        _ => "/".to_string(),
    }
}

fn session_cookie(id: &str, req: &Req, clear: bool) -> String {
    let secure = if req.base.starts_with("https:") {
        "; Secure"
    } else {
        ""
    };
    if clear {
        format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
    } else {
        format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}")
    }
}

fn web_service_only(s: &State, user: &str) -> bool {
    s.store
        .rows("sys_user")
        .find(|u| u.get("user_name").is_some_and(|n| n == user))
        .and_then(|u| u.get("web_service_access_only"))
        .is_some_and(|v| v == "true")
}

fn display_name(s: &State, user: &str) -> String {
    s.store
        .rows("sys_user")
        .find(|u| u.get("user_name").is_some_and(|n| n == user))
        .and_then(|u| u.get("name").cloned())
        .unwrap_or_else(|| user.to_string())
}

/// `GET /oauth_auth.do`: the login form, or for a logged-in user the consent page.
pub fn authorize_page(s: &mut State, req: &Req, info: &mut LogInfo) -> Response<Body> {
    let params = AuthParams::from_pairs(&req.query);
    let app = match params.validate(s.settings.release) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some((user, ck)) = session(s, req).and_then(|x| Some((x.user.clone()?, x.ck.clone())))
    else {
        return pages::login(&params.url(), None);
    };
    info.user = Some(user.clone());
    let hidden = params.pairs();
    let not_you = format!(
        "/logout.do?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("sysparm_goto", &params.url())
            .finish()
    );
    pages::consent(
        app.name,
        &display_name(s, &user),
        &user,
        &hidden,
        &ck,
        &not_you,
    )
}

/// `POST /oauth_auth.do`: the consent page's Allow or Deny.
pub fn authorize_decision(s: &mut State, req: &Req, info: &mut LogInfo) -> Response<Body> {
    let form = req.form();
    let params = AuthParams::from_pairs(&form);
    let app = match params.validate(s.settings.release) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let Some((user, ck)) = session(s, req).and_then(|x| Some((x.user.clone()?, x.ck.clone())))
    else {
        return pages::login(
            &params.url(),
            Some("Your session has expired: log in again"),
        );
    };
    if get("sysparm_ck") != ck {
        return pages::error_page(
            StatusCode::FORBIDDEN,
            "OAuth error",
            "Invalid form token: reload the page",
        );
    }
    info.user = Some(user.clone());
    match get("action") {
        "allow" => {
            let code = random_token();
            let now = now_ms();
            s.oauth.codes.retain(|_, c| c.expires_at_ms > now);
            s.oauth.codes.insert(
                code.clone(),
                AuthCode {
                    client_id: app.client_id.to_string(),
                    user,
                    redirect_uri: params.redirect_uri.clone(),
                    code_challenge: Some(params.code_challenge.clone()).filter(|c| !c.is_empty()),
                    expires_at_ms: now_ms() + CODE_TTL_MS,
                },
            );
            params.redirect(&[("code", &code), ("state", &params.state)])
        }
        _ => params.redirect(&[("error", "access_denied"), ("state", &params.state)]),
    }
}

/// `GET /login.do`
pub fn login_page(_s: &mut State, req: &Req) -> Response<Body> {
    pages::login(&safe_goto(req.param("sysparm_goto")), None)
}

/// `POST /login.do`: checks the credentials, starts a session, goes back to `sysparm_goto`.
pub fn login(s: &mut State, req: &Req, info: &mut LogInfo) -> Response<Body> {
    let form = req.form();
    let get = |k: &str| {
        form.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let goto = safe_goto(Some(get("sysparm_goto")));
    let user = get("user_name").trim();
    // "Web service access only" accounts cannot sign in to the UI, the login page included.
    if user.is_empty()
        || password_of(user) != Some(get("user_password"))
        || actor_of(&s.store, user).is_none()
        || web_service_only(s, user)
    {
        return pages::login(&goto, Some("User name or password invalid"));
    }
    info.user = Some(user.to_string());
    if let Some(old) = session_id(req) {
        s.oauth.sessions.remove(&old);
    }
    let id = random_token();
    s.oauth.sessions.insert(
        id.clone(),
        Session {
            user: Some(user.to_string()),
            ck: random_token(),
        },
    );
    let mut r = redirect(&goto);
    append_header(&mut r, "set-cookie", &session_cookie(&id, req, false));
    r
}

/// `GET /logout.do`: ends the session (the consent page's "Not You").
pub fn logout(s: &mut State, req: &Req) -> Response<Body> {
    if let Some(id) = session_id(req) {
        s.oauth.sessions.remove(&id);
    }
    let goto = req
        .param("sysparm_goto")
        .map(|g| safe_goto(Some(g)))
        .unwrap_or_else(|| "/login.do".into());
    let mut r = redirect(&goto);
    append_header(&mut r, "set-cookie", &session_cookie("", req, true));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_patterns() {
        let p = "https://*.chromiumapp.org/*";
        assert!(glob(
            p,
            "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/"
        ));
        assert!(glob(p, "https://abc.chromiumapp.org/cb?x=1"));
        assert!(!glob(p, "https://evil.example/.chromiumapp.org/"));
        assert!(!glob(p, "https://abc.chromiumapp.org.evil.example/"));
        assert!(!glob(p, "https://user@abc.chromiumapp.org/"));
        assert!(!glob(p, "http://abc.chromiumapp.org/"));
        assert!(!glob(p, ""));
    }

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            pkce_s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn tokens_look_like_an_instances() {
        let t = random_token();
        assert_eq!(t.len(), 86);
        assert!(t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    }
}
