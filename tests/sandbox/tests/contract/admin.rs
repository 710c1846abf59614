//! The sandbox's admin endpoints, persistence across restarts, and TLS.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use serde_json::{json, Value};
use sn_sandbox::{seed_sys_id, Config, Sandbox, TlsSetup, PERSONAL_USER};

use crate::common::{self, assert_envelope, Http, Target};

fn start() -> (Sandbox, Target) {
    let sb = common::sandbox();
    let t = Target::sandbox(sb.url());
    (sb, t)
}

#[test]
fn records_endpoint_shows_raw_stored_rows() {
    let (_sb, t) = start();
    let token = t.access_token();
    let rec = t.create_incident(
        &token,
        json!({"short_description": "raw", "correlation_id": "snshare:raw"}),
    );
    let rows = t
        .http
        .get(&t.url("/sandbox/records/incident"), &[])
        .result();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sys_id"] == rec["sys_id"])
        .unwrap()
        .clone();
    assert_eq!(row["correlation_id"], json!("snshare:raw"));
    assert_eq!(
        row["caller_id"],
        json!(seed_sys_id("sys_user", "snshare.integration")),
        "raw values, not reference objects"
    );
    let users = t
        .http
        .get(&t.url("/sandbox/records/sys_user"), &[])
        .result();
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_name"].as_str().unwrap())
        .collect();
    for n in ["snshare.integration", "abel.tuter", "admin"] {
        assert!(names.contains(&n), "{n}");
    }
    assert!(
        !users.to_string().contains("Integration#1"),
        "passwords are not records"
    );
    assert_eq!(t.http.get(&t.url("/sandbox/records/nope"), &[]).status, 400);
}

#[test]
fn records_can_be_set_raw_without_business_rules() {
    let (_sb, t) = start();
    let token = t.access_token();
    let rec = t.create_incident(&token, json!({"short_description": "raw set"}));
    let id = rec["sys_id"].as_str().unwrap();
    let r = t.http.post_json(
        &t.url(&format!("/sandbox/records/incident/{id}")),
        &json!({"state": "6", "priority": "1"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let got = t
        .api(
            "GET",
            &format!("/api/now/table/incident/{id}?sysparm_fields=state,priority"),
            &token,
            None,
        )
        .result();
    assert_eq!(got, json!({"state": "6", "priority": "1"}));
    assert_eq!(
        t.http
            .post_json(
                &t.url("/sandbox/records/incident/0123456789abcdef0123456789abcdef"),
                &json!({})
            )
            .status,
        404
    );
}

#[test]
fn records_can_be_deleted_as_an_administrator_would() {
    let (_sb, t) = start();
    let token = t.access_token();
    let template = seed_sys_id("std_change_record_producer", "2");
    let path = format!("/sandbox/records/std_change_record_producer/{template}");
    let read = || {
        t.api(
            "GET",
            &format!("/api/now/table/std_change_record_producer/{template}"),
            &token,
            None,
        )
    };
    assert_eq!(read().status, 200);
    let r = t.http.send("DELETE", &t.url(&path), &[], None);
    assert_eq!(r.status, 204, "{}", r.body);
    let gone = read();
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert_eq!(t.http.send("DELETE", &t.url(&path), &[], None).status, 404);
    assert_eq!(
        t.http
            .send("DELETE", &t.url("/sandbox/records/nope/x"), &[], None)
            .status,
        400
    );
}

#[test]
fn reset_goes_back_to_the_seed() {
    let (_sb, t) = start();
    let token = t.access_token();
    let before = t
        .http
        .get(&t.url("/sandbox/records/incident"), &[])
        .result()
        .as_array()
        .unwrap()
        .len();
    let first = t.create_incident(&token, json!({"short_description": "gone after reset"}));
    t.http.post_json(
        &t.url("/sandbox/faults"),
        &json!({"kind": "status", "status": 500, "count": 9}),
    );
    assert_eq!(
        t.http
            .post_json(&t.url("/sandbox/reset"), &json!({}))
            .status,
        200
    );
    assert_eq!(
        t.http
            .get(&t.url("/sandbox/records/incident"), &[])
            .result()
            .as_array()
            .unwrap()
            .len(),
        before
    );
    assert_eq!(
        t.http.get(&t.url("/sandbox/faults"), &[]).result(),
        json!([])
    );
    assert_envelope(
        &t.api(
            "GET",
            "/api/now/table/incident?sysparm_limit=1",
            &token,
            None,
        ),
        401,
        "User Not Authenticated",
    );
    let token = t.access_token();
    let again = t.create_incident(&token, json!({"short_description": "numbering restarts"}));
    assert_eq!(again["number"], first["number"]);
}

#[test]
fn request_log_records_method_path_status_user_and_grant() {
    let (_sb, t) = start();
    let token = t.access_token();
    t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        &token,
        None,
    );
    t.http.get(&t.url("/api/now/table/incident"), &[]);
    let log = t.http.get(&t.url("/sandbox/requests"), &[]).json();
    let entries = log["result"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "admin calls are not logged: {log}");
    assert_eq!(entries[0]["path"], json!("/oauth_token.do"));
    assert_eq!(entries[0]["grant"], json!("password"));
    assert_eq!(entries[0]["user"], json!("snshare.integration"));
    assert_eq!(entries[0]["status"], json!(200));
    assert_eq!(entries[1]["method"], json!("GET"));
    assert_eq!(entries[1]["query"], json!("sysparm_limit=1"));
    assert_eq!(entries[1]["user"], json!("snshare.integration"));
    assert_eq!(entries[2]["status"], json!(401));
    assert_eq!(entries[2]["user"], Value::Null);
    assert!(entries[2]["time_ms"].as_u64().unwrap() >= entries[0]["time_ms"].as_u64().unwrap());
    assert_eq!(log["next"], json!(3));
    let since = t
        .http
        .get(&t.url("/sandbox/requests?since=2"), &[])
        .result();
    assert_eq!(since.as_array().unwrap().len(), 1);
    assert_eq!(
        t.http
            .send("DELETE", &t.url("/sandbox/requests"), &[], None)
            .status,
        204
    );
    t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        &token,
        None,
    );
    let after = t.http.get(&t.url("/sandbox/requests"), &[]).result();
    assert_eq!(after.as_array().unwrap().len(), 1);
    assert_eq!(
        after[0]["index"],
        json!(3),
        "indexes keep counting after a clear"
    );
}

#[test]
fn token_refreshes_are_counted_in_the_log() {
    let (_sb, t) = start();
    let tok = t.password_grant();
    for _ in 0..2 {
        t.token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", &t.client_id),
            ("client_secret", &t.client_secret),
            ("refresh_token", tok["refresh_token"].as_str().unwrap()),
        ]);
    }
    let log = t.http.get(&t.url("/sandbox/requests"), &[]).result();
    let refreshes = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["grant"] == json!("refresh_token") && e["status"] == json!(200))
        .count();
    assert_eq!(refreshes, 2);
}

#[test]
fn admin_revokes_a_users_refresh_tokens_only() {
    let (_sb, t) = start();
    let mine = t.password_grant();
    let mut abel = Target::sandbox(&t.base);
    abel.user = PERSONAL_USER.0.into();
    abel.password = PERSONAL_USER.1.into();
    let theirs = abel.password_grant();
    let r = t.http.post_json(
        &t.url("/sandbox/tokens/revoke"),
        &json!({"user": "snshare.integration"}),
    );
    assert_eq!(r.result(), json!({"revoked": 1}));
    let refresh = |tok: &Value| {
        t.token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", &t.client_id),
            ("client_secret", &t.client_secret),
            ("refresh_token", tok["refresh_token"].as_str().unwrap()),
        ])
        .status
    };
    assert_eq!(refresh(&mine), 401);
    assert_eq!(refresh(&theirs), 200);
    assert_eq!(
        t.api(
            "GET",
            "/api/now/table/incident?sysparm_limit=1",
            mine["access_token"].as_str().unwrap(),
            None
        )
        .status,
        200,
        "access tokens live on"
    );
}

#[test]
fn admin_expires_access_tokens_and_changes_lifetimes() {
    let (_sb, t) = start();
    let tok = t.password_grant();
    let access = tok["access_token"].as_str().unwrap();
    assert_eq!(
        t.http
            .post_json(&t.url("/sandbox/tokens/expire"), &json!({}))
            .result(),
        json!({"expired": 1})
    );
    assert_envelope(
        &t.api(
            "GET",
            "/api/now/table/incident?sysparm_limit=1",
            access,
            None,
        ),
        401,
        "User Not Authenticated",
    );
    let cfg = t.http.post_json(
        &t.url("/sandbox/config"),
        &json!({"access_ttl_secs": 3, "rate_limit_per_hour": 100}),
    );
    assert_eq!(
        cfg.result(),
        json!({"access_ttl_secs": 3, "refresh_ttl_secs": 8_640_000, "rate_limit_per_hour": 100, "rate_limit_window_secs": 3600, "client_credentials": false,
            "release": "xanadu", "batch_api": "on", "change_api": "on", "sys_choice": "forbidden", "table_api_acl": false})
    );
    assert_eq!(t.password_grant()["expires_in"], json!(2));
    let off = t.http.post_json(
        &t.url("/sandbox/config"),
        &json!({"rate_limit_per_hour": null}),
    );
    assert_eq!(off.result()["rate_limit_per_hour"], Value::Null);
    assert_eq!(
        t.http.get(&t.url("/sandbox/config"), &[]).result()["access_ttl_secs"],
        json!(3)
    );
}

#[test]
fn seed_endpoint_bulk_inserts_through_the_business_rules() {
    let (_sb, t) = start();
    let r = t.http.post_json(
        &t.url("/sandbox/seed"),
        &json!({"table": "incident", "count": 300, "correlation_prefix": "snshare:bulk:", "fields": {"impact": "1", "urgency": "2", "assignment_group": "Network"}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.result();
    assert_eq!(v["count"], json!(300));
    let mut numbers: Vec<&str> = v["numbers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    numbers.dedup();
    assert_eq!(numbers.len(), 300);
    let token = t.access_token();
    let q = t.api("GET", "/api/now/table/incident?sysparm_query=correlation_idSTARTSWITHsnshare:bulk:^priority=2&sysparm_limit=10&sysparm_fields=correlation_id,assignment_group", &token, None);
    assert_eq!(q.header("x-total-count"), Some("300"));
    assert_eq!(
        q.result()[0]["assignment_group"]["value"],
        json!(seed_sys_id("sys_user_group", "Network"))
    );
    assert_eq!(q.result()[0]["correlation_id"], json!("snshare:bulk:1"));
    assert_eq!(
        t.http
            .post_json(
                &t.url("/sandbox/seed"),
                &json!({"table": "nope", "count": 1})
            )
            .status,
        400
    );
}

#[test]
fn credentials_and_health_endpoints() {
    let (_sb, t) = start();
    assert_eq!(
        t.http.get(&t.url("/sandbox/health"), &[]).result(),
        json!("ok")
    );
    let c = t.http.get(&t.url("/sandbox/credentials"), &[]).result();
    assert_eq!(c["oauth_apps"][0]["client_id"], json!("snshare-demo"));
    assert_eq!(
        c["oauth_apps"][0]["client_secret"],
        json!("snshare-demo-secret")
    );
    assert_eq!(c["oauth_apps"][1]["pkce_required"], json!(true));
    assert_eq!(t.http.get(&t.url("/sandbox/nothing-here"), &[]).status, 404);
}

#[test]
fn records_and_tokens_survive_a_restart_with_the_same_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: Some(dir.path().to_path_buf()),
        ..Config::default()
    };
    let (id, number, tok) = {
        let sb = common::sandbox_with(config.clone());
        let t = Target::sandbox(sb.url());
        let tok = t.password_grant();
        let rec = t.create_incident(
            tok["access_token"].as_str().unwrap(),
            json!({"short_description": "durable"}),
        );
        (
            rec["sys_id"].as_str().unwrap().to_string(),
            rec["number"].as_str().unwrap().to_string(),
            tok,
        )
    };
    let sb = common::sandbox_with(config);
    let t = Target::sandbox(sb.url());
    let access = tok["access_token"].as_str().unwrap();
    let got = t.api(
        "GET",
        &format!("/api/now/table/incident/{id}?sysparm_fields=number,short_description"),
        access,
        None,
    );
    assert_eq!(
        got.status, 200,
        "the access token survived too: {}",
        got.body
    );
    assert_eq!(
        got.result(),
        json!({"number": number, "short_description": "durable"})
    );
    let r = t.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", &t.client_id),
        ("client_secret", &t.client_secret),
        ("refresh_token", tok["refresh_token"].as_str().unwrap()),
    ]);
    assert_eq!(r.status, 200);
    let users = t
        .http
        .get(&t.url("/sandbox/records/sys_user"), &[])
        .result();
    assert_eq!(
        users
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["user_name"] == json!("admin"))
            .count(),
        1,
        "not seeded twice"
    );
    let next = t.create_incident(access, json!({"short_description": "after restart"}));
    let n = |s: &str| s[3..].parse::<u64>().unwrap();
    assert_eq!(n(next["number"].as_str().unwrap()), n(&number) + 1);
}

#[test]
fn without_demo_records_only_users_groups_and_choices_are_seeded() {
    let sb = common::sandbox_with(Config {
        seed: false,
        ..Config::default()
    });
    let t = Target::sandbox(sb.url());
    assert_eq!(
        t.http
            .get(&t.url("/sandbox/records/incident"), &[])
            .result(),
        json!([])
    );
    let token = t.access_token();
    assert_eq!(
        t.create_incident(&token, json!({"short_description": "first"}))["number"],
        json!("INC0010001")
    );
}

fn tls_sandbox() -> Sandbox {
    common::sandbox_with(Config {
        tls: Some(TlsSetup::Generate {
            hosts: vec!["snshare-test.service-now.com".into()],
        }),
        ..Config::default()
    })
}

#[test]
fn tls_serves_https_with_a_certificate_from_the_generated_ca() {
    let sb = tls_sandbox();
    assert!(sb.url().starts_with("https://127.0.0.1:"));
    let mut t = Target::sandbox(sb.url());
    t.http = Http::new(sb.ca_pem());
    let token = t.access_token();
    let r = t.api(
        "GET",
        "/api/now/table/incident?sysparm_limit=1&sysparm_fields=caller_id",
        &token,
        None,
    );
    assert_eq!(r.status, 200);
    assert!(
        r.result()[0]["caller_id"]["link"]
            .as_str()
            .unwrap()
            .starts_with("https://"),
        "links use the scheme of the request"
    );
    assert!(
        Http::default()
            .try_send("GET", &t.url("/sandbox/health"), &[], None)
            .is_err(),
        "not trusted without the CA"
    );
}

/// A TLS handshake for `name` against the sandbox, trusting only its CA; then one GET.
fn handshake(sb: &Sandbox, name: &str) -> Result<String, String> {
    let mut roots = rustls::RootCertStore::empty();
    let pem = sb.ca_pem().unwrap();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let server = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), server).unwrap();
    let mut sock = TcpStream::connect(sb.addr().unwrap()).unwrap();
    let mut tls = rustls::Stream::new(&mut conn, &mut sock);
    tls.write_all(
        format!("GET /sandbox/health HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    let mut out = String::new();
    match tls.read_to_string(&mut out) {
        Ok(_) => Ok(out),
        Err(e) if !out.is_empty() => Ok(format!("{out}\n(closed: {e})")),
        Err(e) => Err(e.to_string()),
    }
}

#[test]
fn generated_certificate_names_localhost_and_the_given_hosts() {
    let sb = tls_sandbox();
    for name in ["snshare-test.service-now.com", "localhost", "127.0.0.1"] {
        let out = handshake(&sb, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(out.starts_with("HTTP/1.1 200"), "{name}: {out}");
    }
    assert!(handshake(&sb, "other.service-now.com").is_err());
}

#[test]
fn request_counts_per_endpoint_since_an_index() {
    let (_sb, t) = start();
    let token = t.access_token();
    let next = t.http.get(&t.url("/sandbox/requests/counts"), &[]).json()["next"]
        .as_u64()
        .unwrap();
    for _ in 0..2 {
        t.api(
            "GET",
            "/api/now/stats/incident?sysparm_count=true",
            &token,
            None,
        );
    }
    t.api(
        "POST",
        "/api/now/v1/batch",
        &token,
        Some(&json!({"rest_requests": [{"id": "1", "method": "GET", "url": "/api/now/table/incident?sysparm_limit=1"}]})),
    );
    let r = t.http.get(
        &t.url(&format!("/sandbox/requests/counts?since={next}")),
        &[],
    );
    assert_eq!(
        r.result(),
        json!({"total": 3, "by_endpoint": {"GET /api/now/stats/incident": 2, "POST /api/now/v1/batch": 1}})
    );
}
