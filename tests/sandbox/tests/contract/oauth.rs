//! OAuth: the authorization page flow, PKCE, grants, token lifetimes and revocation.

use std::thread::sleep;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};
use sn_sandbox::{
    Config, Release, Sandbox, CLIENT_ID, CLIENT_SECRET, PERSONAL_USER, PUBLIC_CLIENT_ID,
};

use crate::common::{self, assert_envelope, assert_opaque_401, encode_form, Http, Resp, Target};

const REDIRECT: &str = "https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/snshare";

/// Zurich, where the public client exists; confidential clients behave alike on both
/// releases (Xanadu's differences: `xanadu_*` below).
fn start() -> (Sandbox, Target) {
    start_with(Config {
        release: Release::Zurich,
        ..Config::default()
    })
}

fn start_with(config: Config) -> (Sandbox, Target) {
    let sb = common::sandbox_with(config);
    let t = Target::sandbox(sb.url());
    (sb, t)
}

fn authorize_url(t: &Target, pairs: &[(&str, &str)]) -> String {
    t.url(&format!("/oauth_auth.do?{}", encode_form(pairs)))
}

fn confidential_params(state: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", CLIENT_ID.into()),
        ("redirect_uri", REDIRECT.into()),
        ("state", state.into()),
    ]
}

fn as_refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn hidden(html: &str, name: &str) -> Option<String> {
    let key = format!("name=\"{name}\" value=\"");
    let start = html.find(&key)? + key.len();
    let end = html[start..].find('"')? + start;
    Some(unescape(&html[start..end]))
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn cookie_of(r: &Resp) -> String {
    let set = r
        .header("set-cookie")
        .unwrap_or_else(|| panic!("no Set-Cookie: {:?}", r.headers));
    set.split(';').next().unwrap().to_string()
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let q = location.split_once('?').map(|x| x.1).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn param(pairs: &[(String, String)], k: &str) -> Option<String> {
    pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
}

/// Logs in through the form the authorization page shows; returns the session cookie and the
/// consent page.
fn log_in(t: &Target, auth_url: &str, user: (&str, &str)) -> (String, Resp) {
    let http = Http::default();
    let login = http.get(auth_url, &[]);
    assert_eq!(login.status, 200, "{}", login.body);
    let goto = hidden(&login.body, "sysparm_goto").expect("login form carries the way back");
    let r = http.post_form(
        &t.url("/login.do"),
        &[
            ("user_name", user.0),
            ("user_password", user.1),
            ("sysparm_goto", &goto),
        ],
        &[],
    );
    assert_eq!(r.status, 302, "{}", r.body);
    let cookie = cookie_of(&r);
    let back = t.url(r.header("location").unwrap());
    let consent = http.get(&back, &[("Cookie", &cookie)]);
    assert_eq!(consent.status, 200, "{}", consent.body);
    (cookie, consent)
}

/// Submits the consent form with `action`; returns the redirect's Location.
fn decide(t: &Target, cookie: &str, consent: &Resp, action: &str) -> String {
    let mut form: Vec<(String, String)> = [
        "response_type",
        "client_id",
        "redirect_uri",
        "state",
        "scope",
        "code_challenge",
        "code_challenge_method",
        "sysparm_ck",
    ]
    .iter()
    .filter_map(|k| hidden(&consent.body, k).map(|v| (k.to_string(), v)))
    .collect();
    form.push(("action".into(), action.into()));
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = t
        .http
        .post_form(&t.url("/oauth_auth.do"), &refs, &[("Cookie", cookie)]);
    assert_eq!(r.status, 302, "{}", r.body);
    r.header("location").unwrap().to_string()
}

#[test]
fn authorization_page_is_a_login_form_with_labelled_inputs() {
    let (_sb, t) = start();
    let r = t.http.get(
        &authorize_url(&t, &as_refs(&confidential_params("s1"))),
        &[],
    );
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    for needle in [
        "<label for=\"user_name\">User name</label>",
        "id=\"user_name\" name=\"user_name\" type=\"text\"",
        "<label for=\"user_password\">Password</label>",
        "type=\"password\"",
        ">Log in</button>",
    ] {
        assert!(
            r.body.contains(needle),
            "{needle} missing from the login page"
        );
    }
}

#[test]
fn login_consent_allow_redirects_with_code_and_state_and_the_code_buys_tokens() {
    let (_sb, t) = start();
    let url = authorize_url(&t, &as_refs(&confidential_params("xyz-123")));
    let (cookie, consent) = log_in(&t, &url, PERSONAL_USER);
    for needle in [
        "snshare demo",
        ">Allow</button>",
        ">Deny</button>",
        ">Not You</a>",
        "Abel Tuter",
    ] {
        assert!(
            consent.body.contains(needle),
            "{needle} missing from the consent page"
        );
    }
    let location = decide(&t, &cookie, &consent, "allow");
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    let q = query_of(&location);
    assert_eq!(param(&q, "state").as_deref(), Some("xyz-123"));
    let code = param(&q, "code").expect("code in the redirect");

    let exchange = |code: &str| {
        t.token_request(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
    };
    let r = exchange(&code);
    assert_eq!(r.status, 200, "{}", r.body);
    let tok = r.json();
    assert_eq!(tok["token_type"], json!("Bearer"));
    assert!(tok["refresh_token"].is_string());
    let me = t.api("GET", "/api/now/table/sys_user?sysparm_query=sys_id=javascript:gs.getUserID()&sysparm_fields=user_name", tok["access_token"].as_str().unwrap(), None);
    assert_eq!(
        me.result(),
        json!([{"user_name": "abel.tuter"}]),
        "the token is the consenting user's"
    );
    assert_opaque_401(&exchange(&code));
}

#[test]
fn consent_is_asked_again_on_the_next_authorization_while_the_login_is_remembered() {
    let (_sb, t) = start();
    let url = authorize_url(&t, &as_refs(&confidential_params("one")));
    let (cookie, consent) = log_in(&t, &url, PERSONAL_USER);
    decide(&t, &cookie, &consent, "allow");
    let again = t.http.get(
        &authorize_url(&t, &as_refs(&confidential_params("two"))),
        &[("Cookie", &cookie)],
    );
    assert_eq!(again.status, 200);
    assert!(again.body.contains(">Allow</button>") && !again.body.contains("type=\"password\""));
    assert_eq!(hidden(&again.body, "state").as_deref(), Some("two"));
}

#[test]
fn deny_redirects_with_access_denied_and_state() {
    let (_sb, t) = start();
    let url = authorize_url(&t, &as_refs(&confidential_params("deny-state")));
    let (cookie, consent) = log_in(&t, &url, PERSONAL_USER);
    let location = decide(&t, &cookie, &consent, "deny");
    let q = query_of(&location);
    assert!(location.starts_with(REDIRECT));
    assert_eq!(param(&q, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&q, "state").as_deref(), Some("deny-state"));
    assert_eq!(param(&q, "code"), None);
}

#[test]
fn not_you_logs_out_and_returns_to_the_login_form() {
    let (_sb, t) = start();
    let url = authorize_url(&t, &as_refs(&confidential_params("nu")));
    let (cookie, consent) = log_in(&t, &url, PERSONAL_USER);
    let end = consent.body.find(">Not You</a>").unwrap();
    let start = consent.body[..end].rfind("href=\"").unwrap() + 6;
    let href = unescape(&consent.body[start..end - 1]);
    let r = t.http.get(&t.url(&href), &[("Cookie", &cookie)]);
    assert_eq!(r.status, 302);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    let back = t.http.get(
        &t.url(r.header("location").unwrap()),
        &[("Cookie", &cookie)],
    );
    assert!(
        back.body.contains("type=\"password\""),
        "the old session no longer counts"
    );
    assert_eq!(
        query_of(&hidden(&back.body, "sysparm_goto").unwrap())
            .iter()
            .find(|(k, _)| k == "state")
            .map(|x| x.1.as_str()),
        Some("nu")
    );
}

#[test]
fn wrong_password_on_the_login_form_is_refused() {
    let (_sb, t) = start();
    let r = t.http.post_form(
        &t.url("/login.do"),
        &[
            ("user_name", "abel.tuter"),
            ("user_password", "wrong"),
            ("sysparm_goto", "/"),
        ],
        &[],
    );
    assert_eq!(r.status, 200);
    assert!(r.body.contains("User name or password invalid"));
    assert!(r.header("set-cookie").is_none());
}

#[test]
fn missing_state_is_refused_with_the_instance_message() {
    let (_sb, t) = start();
    let mut p = confidential_params("");
    p.retain(|(k, _)| *k != "state");
    let r = t.http.get(&authorize_url(&t, &as_refs(&p)), &[]);
    assert_eq!(r.status, 400);
    assert!(
        r.body.contains("Missing State parameter in request"),
        "{}",
        r.body
    );
}

#[test]
fn unregistered_redirect_uri_and_unknown_client_are_refused() {
    let (_sb, t) = start();
    for (k, v) in [
        ("redirect_uri", "https://evil.example/cb"),
        ("redirect_uri", "https://evil.example/.chromiumapp.org/"),
        ("client_id", "nobody"),
    ] {
        let mut p = confidential_params("s");
        p.retain(|(n, _)| *n != k);
        p.push((k, v.into()));
        let r = t.http.get(&authorize_url(&t, &as_refs(&p)), &[]);
        assert_eq!(r.status, 400, "{k}={v}");
        assert!(r.header("location").is_none());
    }
}

#[test]
fn consent_post_needs_the_session_form_token() {
    let (_sb, t) = start();
    let url = authorize_url(&t, &as_refs(&confidential_params("ck")));
    let (cookie, _) = log_in(&t, &url, PERSONAL_USER);
    let params = confidential_params("ck");
    let mut form = as_refs(&params);
    form.push(("action", "allow"));
    form.push(("sysparm_ck", "forged"));
    let r = t
        .http
        .post_form(&t.url("/oauth_auth.do"), &form, &[("Cookie", &cookie)]);
    assert_eq!(r.status, 403);
    assert!(r.header("location").is_none());
}

fn pkce_pair() -> (String, String) {
    let verifier = "snshare-verifier-0123456789-abcdefghijklmnopqrstuvwxyz".to_string();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

#[test]
fn public_client_must_use_pkce_s256() {
    let (_sb, t) = start();
    let base = [
        ("response_type", "code"),
        ("client_id", PUBLIC_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", "p"),
    ];
    let r = t.http.get(&authorize_url(&t, &base), &[]);
    assert_eq!(r.status, 400, "no code_challenge");
    let mut plain = base.to_vec();
    plain.extend([
        ("code_challenge", "abc"),
        ("code_challenge_method", "plain"),
    ]);
    assert_eq!(
        t.http.get(&authorize_url(&t, &plain), &[]).status,
        400,
        "plain is not S256"
    );
}

#[test]
fn public_client_exchanges_the_code_with_the_right_verifier_only() {
    let (_sb, t) = start();
    let (verifier, challenge) = pkce_pair();
    let params = [
        ("response_type", "code"),
        ("client_id", PUBLIC_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", "pk"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let code = |t: &Target| {
        let (cookie, consent) = log_in(t, &authorize_url(t, &params), PERSONAL_USER);
        param(&query_of(&decide(t, &cookie, &consent, "allow")), "code").unwrap()
    };
    let exchange = |code: &str, verifier: Option<&str>| {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", PUBLIC_CLIENT_ID),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        t.token_request(&form)
    };
    assert_opaque_401(&exchange(&code(&t), None));
    assert_opaque_401(&exchange(
        &code(&t),
        Some("a-different-verifier-0123456789-abcdefghijklmnop"),
    ));
    let ok = exchange(&code(&t), Some(&verifier));
    assert_eq!(ok.status, 200, "{}", ok.body);
    let refresh = ok.json()["refresh_token"].as_str().unwrap().to_string();
    let r = t.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", PUBLIC_CLIENT_ID),
        ("refresh_token", &refresh),
    ]);
    assert_eq!(
        r.status, 200,
        "a public client refreshes without a secret: {}",
        r.body
    );
}

#[test]
fn confidential_client_with_pkce_must_send_the_verifier_too() {
    let (_sb, t) = start();
    let (verifier, challenge) = pkce_pair();
    let mut p = confidential_params("cp");
    p.push(("code_challenge", challenge));
    p.push(("code_challenge_method", "S256".into()));
    let get_code = || {
        let (cookie, consent) = log_in(&t, &authorize_url(&t, &as_refs(&p)), PERSONAL_USER);
        param(&query_of(&decide(&t, &cookie, &consent, "allow")), "code").unwrap()
    };
    fn base(code: &str) -> Vec<(&str, &str)> {
        vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ]
    }
    let c1 = get_code();
    assert_opaque_401(&t.token_request(&base(&c1)));
    let c2 = get_code();
    let mut form = base(&c2);
    form.push(("code_verifier", &verifier));
    assert_eq!(t.token_request(&form).status, 200);
}

#[test]
fn token_endpoint_json_body_gets_the_exact_opaque_401() {
    let (_sb, t) = start();
    let body: serde_json::Map<String, serde_json::Value> = t
        .password_form()
        .into_iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    assert_opaque_401(
        &t.http
            .post_json(&t.url("/oauth_token.do"), &serde_json::Value::Object(body)),
    );
}

#[test]
fn every_token_failure_is_the_same_opaque_401() {
    let (_sb, t) = start();
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("username", "nobody"),
            ("password", "x"),
        ],
        vec![
            ("grant_type", "password"),
            ("client_id", "unknown"),
            ("client_secret", CLIENT_SECRET),
            ("username", "admin"),
            ("password", "Admin#1"),
        ],
        vec![
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("username", "admin"),
            ("password", "Admin#1"),
        ],
        vec![
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("username", "admin"),
            ("password", "Admin#1"),
            ("scope", "admin"),
        ],
        vec![
            ("grant_type", "password"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("username", "admin"),
            ("password", "Admin#1"),
        ],
        vec![
            ("grant_type", "implicit"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ],
        vec![
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", "nope"),
        ],
        vec![
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", "nope"),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ],
        vec![],
    ];
    for form in cases {
        assert_opaque_401(&t.token_request(&form));
    }
}

#[test]
fn client_credentials_works_only_when_enabled() {
    let (_sb, t) = start_with(Config {
        client_credentials: true,
        ..Config::default()
    });
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ];
    let r = t.token_request(&form);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["token_type"], json!("Bearer"));
    assert!(
        v.get("refresh_token").is_none(),
        "no refresh token for client_credentials: {v}"
    );
    let me = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        v["access_token"].as_str().unwrap(),
        None,
    );
    assert_eq!(me.status, 200);
    let bad = [
        ("grant_type", "client_credentials"),
        ("client_id", CLIENT_ID),
        ("client_secret", "wrong"),
    ];
    assert_opaque_401(&t.token_request(&bad));
    t.http.post_json(
        &t.url("/sandbox/config"),
        &json!({"client_credentials": false}),
    );
    assert_opaque_401(&t.token_request(&form));
}

#[test]
fn client_may_authenticate_with_http_basic() {
    let (_sb, t) = start();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    let r = t.http.post_form(
        &t.url("/oauth_token.do"),
        &[
            ("grant_type", "password"),
            ("username", "snshare.integration"),
            ("password", "Integration#1"),
        ],
        &[("Authorization", &basic)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

#[test]
fn access_tokens_expire_with_their_lifetime() {
    let (_sb, t) = start_with(Config {
        access_ttl_secs: 2,
        ..Config::default()
    });
    let issued = Instant::now();
    let tok = t.password_grant();
    assert_eq!(
        tok["expires_in"],
        json!(1),
        "lifetime − 1, as instances report it"
    );
    let access = tok["access_token"].as_str().unwrap();
    assert_eq!(
        t.api(
            "GET",
            "/api/now/table/incident?sysparm_limit=1",
            access,
            None
        )
        .status,
        200
    );
    sleep(Duration::from_millis(2100).saturating_sub(issued.elapsed()));
    let r = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        access,
        None,
    );
    assert_envelope(&r, 401, "User Not Authenticated");
    let refreshed = t.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", tok["refresh_token"].as_str().unwrap()),
    ]);
    assert_eq!(refreshed.status, 200);
    assert_eq!(
        refreshed.json()["refresh_token"],
        tok["refresh_token"],
        "the refresh token is not rotated"
    );
    assert_eq!(
        t.api(
            "GET",
            "/api/now/table/incident?sysparm_limit=1",
            refreshed.json()["access_token"].as_str().unwrap(),
            None
        )
        .status,
        200
    );
}

#[test]
fn refresh_tokens_expire_with_their_lifetime() {
    let (_sb, t) = start_with(Config {
        refresh_ttl_secs: 2,
        ..Config::default()
    });
    let issued = Instant::now();
    let tok = t.password_grant();
    let form = |r: &str| {
        t.token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("refresh_token", r),
        ])
    };
    let refresh = tok["refresh_token"].as_str().unwrap();
    assert_eq!(form(refresh).status, 200);
    sleep(Duration::from_millis(2100).saturating_sub(issued.elapsed()));
    assert_opaque_401(&form(refresh));
}

#[test]
fn refresh_token_belongs_to_its_client() {
    let (_sb, t) = start();
    let tok = t.password_grant();
    let r = t.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", PUBLIC_CLIENT_ID),
        ("refresh_token", tok["refresh_token"].as_str().unwrap()),
    ]);
    assert_opaque_401(&r);
}

#[test]
fn revoked_refresh_token_fails_and_takes_its_access_tokens_along() {
    let (_sb, t) = start();
    let tok = t.password_grant();
    let refresh = tok["refresh_token"].as_str().unwrap();
    let r = t
        .http
        .post_form(&t.url("/oauth_revoke_token.do"), &[("token", refresh)], &[]);
    assert_eq!(r.status, 200);
    assert_opaque_401(&t.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", refresh),
    ]));
    let api = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        tok["access_token"].as_str().unwrap(),
        None,
    );
    assert_envelope(&api, 401, "User Not Authenticated");
    let again = t.http.post_form(
        &t.url("/oauth_revoke_token.do"),
        &[("token", "unknown-token")],
        &[],
    );
    assert_eq!(
        again.status, 200,
        "revoking an unknown token is not an error"
    );
}

#[test]
fn revoking_an_access_token_leaves_the_refresh_token() {
    let (_sb, t) = start();
    let tok = t.password_grant();
    t.http.post_form(
        &t.url("/oauth_revoke_token.do"),
        &[("token", tok["access_token"].as_str().unwrap())],
        &[],
    );
    assert_eq!(
        t.api(
            "GET",
            "/api/now/table/incident?sysparm_limit=1",
            tok["access_token"].as_str().unwrap(),
            None
        )
        .status,
        401
    );
    let r = t.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("refresh_token", tok["refresh_token"].as_str().unwrap()),
    ]);
    assert_eq!(r.status, 200);
}

/// On Xanadu every registry entry has a secret (a blank one is generated): the "public" entry
/// is confidential, asks for no PKCE, and a code exchanged without its secret gets the opaque
/// 401, verifier or not. The confidential client works as on Zurich.
#[test]
fn xanadu_has_no_public_clients() {
    let (_sb, t) = start_with(Config::default());
    let (verifier, challenge) = pkce_pair();
    let without_pkce = [
        ("response_type", "code"),
        ("client_id", PUBLIC_CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("state", "x"),
    ];
    let r = t.http.get(&authorize_url(&t, &without_pkce), &[]);
    assert_eq!(r.status, 200, "no PKCE demanded: {}", r.body);
    let mut with_pkce = without_pkce.to_vec();
    with_pkce.extend([
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]);
    let (cookie, consent) = log_in(&t, &authorize_url(&t, &with_pkce), PERSONAL_USER);
    let code = param(&query_of(&decide(&t, &cookie, &consent, "allow")), "code").unwrap();
    assert_opaque_401(&t.token_request(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("client_id", PUBLIC_CLIENT_ID),
        ("code_verifier", &verifier),
    ]));
    let p = confidential_params("xc");
    let (cookie, consent) = log_in(&t, &authorize_url(&t, &as_refs(&p)), PERSONAL_USER);
    let code = param(&query_of(&decide(&t, &cookie, &consent, "allow")), "code").unwrap();
    let ok = t.token_request(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
    ]);
    assert_eq!(ok.status, 200, "{}", ok.body);
    // The release can be switched while the sandbox runs.
    assert_eq!(
        t.configure(json!({"release": "zurich"}))["release"],
        json!("zurich")
    );
    assert_eq!(
        t.http.get(&authorize_url(&t, &without_pkce), &[]).status,
        400
    );
}
