//! What the contract tests share: a small HTTP client, the target (the sandbox or a live
//! instance), and the client-facing checks that must hold on both.
#![allow(dead_code)]

pub mod checks;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use sn_sandbox::{Config, Sandbox};

/// One HTTP exchange, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {}: {}", self.status, self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn result(&self) -> Value {
        self.json()["result"].clone()
    }
}

/// A blocking client that reports every status (no error for 4xx/5xx) and follows no redirect.
#[derive(Clone)]
pub struct Http {
    agent: ureq::Agent,
}

impl Default for Http {
    fn default() -> Self {
        Self::new(None)
    }
}

impl Http {
    pub fn new(ca_pem: Option<&str>) -> Http {
        Self::with_timeout(ca_pem, Duration::from_secs(20))
    }

    /// A client that gives up on a request after `timeout` (the answer's wait included).
    pub fn with_timeout(ca_pem: Option<&str>, timeout: Duration) -> Http {
        let mut cfg = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout));
        if let Some(pem) = ca_pem {
            let cert = ureq::tls::Certificate::from_pem(pem.as_bytes())
                .unwrap()
                .to_owned();
            cfg = cfg.tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::new_with_certs(&[cert]))
                    .build(),
            );
        }
        Http {
            agent: cfg.build().into(),
        }
    }

    pub fn try_send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Result<Resp, ureq::Error> {
        let mut b = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let mut resp = match body {
            Some(text) => self.agent.run(b.body(text.to_string()).unwrap())?,
            None => self.agent.run(b.body(()).unwrap())?,
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.body_mut().read_to_string()?;
        Ok(Resp {
            status,
            headers,
            body,
        })
    }

    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Resp {
        self.try_send(method, url, headers, body)
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"))
    }

    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Resp {
        self.send("GET", url, headers, None)
    }

    /// POST `application/x-www-form-urlencoded`.
    pub fn post_form(&self, url: &str, form: &[(&str, &str)], headers: &[(&str, &str)]) -> Resp {
        let body = encode_form(form);
        let mut h = vec![("Content-Type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        self.send("POST", url, &h, Some(&body))
    }

    pub fn post_json(&self, url: &str, body: &Value) -> Resp {
        self.send(
            "POST",
            url,
            &[("Content-Type", "application/json")],
            Some(&body.to_string()),
        )
    }
}

pub fn encode_form(form: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Where the client-facing checks run: the sandbox, or a real instance (live run).
pub struct Target {
    pub base: String,
    pub client_id: String,
    pub client_secret: String,
    pub user: String,
    pub password: String,
    pub http: Http,
    /// A real instance: checks leave sandbox-only expectations out and clean up after themselves.
    pub live: bool,
}

/// The environment variables of the live contract run.
pub const LIVE_VARS: [&str; 5] = [
    "SN_INSTANCE",
    "SN_CLIENT_ID",
    "SN_CLIENT_SECRET",
    "SN_USER",
    "SN_PASSWORD",
];

impl Target {
    pub fn sandbox(url: &str) -> Target {
        Target {
            base: url.trim_end_matches('/').to_string(),
            client_id: sn_sandbox::CLIENT_ID.into(),
            client_secret: sn_sandbox::CLIENT_SECRET.into(),
            user: sn_sandbox::INTEGRATION_USER.0.into(),
            password: sn_sandbox::INTEGRATION_USER.1.into(),
            http: Http::default(),
            live: false,
        }
    }

    /// The live instance named by `SN_*`, if all of them are set.
    pub fn from_env() -> Option<Target> {
        let vars: Vec<String> = LIVE_VARS
            .iter()
            .map(|v| std::env::var(v).ok().filter(|x| !x.is_empty()))
            .collect::<Option<_>>()?;
        let instance = vars[0].trim().trim_end_matches('/');
        let base = if instance.starts_with("https://") || instance.starts_with("http://") {
            instance.to_string()
        } else if instance.contains('.') {
            format!("https://{instance}")
        } else {
            format!("https://{instance}.service-now.com")
        };
        Some(Target {
            base,
            client_id: vars[1].clone(),
            client_secret: vars[2].clone(),
            user: vars[3].clone(),
            password: vars[4].clone(),
            http: Http::default(),
            live: true,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The same sandbox, signed in as another seeded user.
    pub fn as_user(&self, user: (&str, &str)) -> Target {
        let mut other = Target::sandbox(&self.base);
        other.user = user.0.into();
        other.password = user.1.into();
        other
    }

    /// Sandbox only: sets fields of a seeded user as stored, without rules (the ACLs read the
    /// user's `roles`).
    pub fn set_user_fields(&self, user_name: &str, fields: Value) {
        let r = self.http.post_json(
            &self.url(&format!(
                "/sandbox/records/sys_user/{}",
                sn_sandbox::seed_sys_id("sys_user", user_name)
            )),
            &fields,
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Sandbox only: `POST /sandbox/config`, returning the settings now in force.
    pub fn configure(&self, settings: Value) -> Value {
        let r = self.http.post_json(&self.url("/sandbox/config"), &settings);
        assert_eq!(r.status, 200, "{}", r.body);
        r.result()
    }

    /// Sandbox only: the stored rows of a table with their `_invalid_choices` and
    /// `_invalid_references`.
    pub fn records(&self, table: &str) -> Vec<Value> {
        let r = self
            .http
            .get(&self.url(&format!("/sandbox/records/{table}")), &[]);
        assert_eq!(r.status, 200, "{}", r.body);
        r.result().as_array().cloned().unwrap_or_default()
    }

    /// Sandbox only: the stored row with this sys_id.
    pub fn record(&self, table: &str, sys_id: &str) -> Value {
        self.records(table)
            .into_iter()
            .find(|r| r["sys_id"] == json!(sys_id))
            .unwrap_or_else(|| panic!("no {table} {sys_id}"))
    }

    pub fn token_request(&self, form: &[(&str, &str)]) -> Resp {
        self.http.post_form(
            &self.url("/oauth_token.do"),
            form,
            &[("Accept", "application/json")],
        )
    }

    pub fn password_form(&self) -> Vec<(&str, &str)> {
        vec![
            ("grant_type", "password"),
            ("client_id", &self.client_id),
            ("client_secret", &self.client_secret),
            ("username", &self.user),
            ("password", &self.password),
        ]
    }

    /// The token JSON of a password grant (asserting it succeeded).
    pub fn password_grant(&self) -> Value {
        let r = self.token_request(&self.password_form());
        assert_eq!(r.status, 200, "password grant: {}", r.body);
        r.json()
    }

    pub fn access_token(&self) -> String {
        self.password_grant()["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A Table API (or any REST) request with a bearer token.
    pub fn api(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Resp {
        let auth = format!("Bearer {token}");
        let mut h = vec![
            ("Accept", "application/json"),
            ("Authorization", auth.as_str()),
        ];
        let text = body.map(Value::to_string);
        if text.is_some() {
            h.push(("Content-Type", "application/json"));
        }
        self.http.send(method, &self.url(path), &h, text.as_deref())
    }

    /// Creates an incident (asserting 201) and returns its result object.
    pub fn create_incident(&self, token: &str, fields: Value) -> Value {
        let r = self.api("POST", "/api/now/table/incident", token, Some(&fields));
        assert_eq!(r.status, 201, "create incident: {}", r.body);
        r.result()
    }

    /// Best effort: a live instance's user may lack the delete right.
    pub fn cleanup(&self, token: &str, table: &str, sys_id: &str) {
        if self.live {
            let _ = self.http.try_send(
                "DELETE",
                &self.url(&format!("/api/now/table/{table}/{sys_id}")),
                &[
                    ("Authorization", &format!("Bearer {token}")),
                    ("Accept", "application/json"),
                ],
                None,
            );
        }
    }
}

/// A unique marker for the records one check creates.
pub fn run_id(check: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("snshare-contract:{check}:{nanos:x}")
}

/// A sandbox on a free port with its own temporary data directory.
pub fn sandbox() -> Sandbox {
    sandbox_with(Config::default())
}

pub fn sandbox_with(config: Config) -> Sandbox {
    Sandbox::start(config).unwrap()
}

pub fn is_sys_id(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// ServiceNow's REST error envelope, with the message asserted.
pub fn assert_envelope(r: &Resp, status: u16, message: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], json!("failure"), "{}", r.body);
    assert_eq!(v["error"]["message"], json!(message), "{}", r.body);
    assert!(
        v["error"].get("detail").is_some(),
        "envelope without detail: {}",
        r.body
    );
}

/// The token endpoint's one failure answer.
pub fn assert_opaque_401(r: &Resp) {
    assert_eq!(r.status, 401, "{}", r.body);
    assert_eq!(
        r.json(),
        json!({"error_description": "access_denied", "error": "server_error"})
    );
}

pub fn assert_all_strings(record: &Value) {
    let obj = record
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {record}"));
    for (k, v) in obj {
        match v {
            Value::String(_) => {}
            Value::Object(o) => {
                for (kk, vv) in o {
                    assert!(vv.is_string(), "{k}.{kk} is not a string: {vv}");
                }
            }
            other => panic!("{k} is not a string: {other}"),
        }
    }
}
