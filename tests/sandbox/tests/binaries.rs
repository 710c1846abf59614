//! The two programs as the test harness runs them: one `… LISTENING url` line on stdout,
//! loopback only, clean exit on SIGTERM and on end of standard input, TLS with --ca-out.
// Test code: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
#[macro_use]
mod common;

use common::Http;

const SANDBOX: &str = env!("CARGO_BIN_EXE_sn-sandbox");
const REPLICA: &str = env!("CARGO_BIN_EXE_portal-replica");

struct Server {
    child: Child,
    url: String,
    started_in: Duration,
    stdout: BufReader<ChildStdout>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(bin: &str, args: &[&str], prefix: &str) -> Server {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let started_in = started.elapsed();
    let url = line
        .trim_end()
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("first line {line:?} does not start with {prefix:?}"))
        .to_string();
    Server {
        child,
        url,
        started_in,
        stdout,
    }
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':').next().unwrap().parse().unwrap()
}

#[test]
fn sandbox_prints_one_listening_line_starts_fast_and_exits_when_stdin_closes() {
    let mut s = spawn(
        SANDBOX,
        &["--listen", "127.0.0.1:0", "--exit-on-stdin-close"],
        "SANDBOX LISTENING ",
    );
    assert!(
        s.url.starts_with("http://127.0.0.1:") && port_of(&s.url) > 0,
        "{}",
        s.url
    );
    eprintln!("sandbox start-up (debug build): {:?}", s.started_in);
    assert!(s.started_in < Duration::from_secs(2), "{:?}", s.started_in);
    let t = common::Target::sandbox(&s.url);
    assert_eq!(
        t.password_grant()["token_type"],
        serde_json::json!("Bearer")
    );
    drop(s.child.stdin.take());
    let status = wait_exit(&mut s.child, Duration::from_secs(5)).expect("exits when stdin closes");
    assert!(status.success());
    // The listening line was the only one: the harness reads stdout for nothing else.
    let mut rest = String::new();
    s.stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "", "stdout after the listening line");
    let mut err = String::new();
    s.child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    for needle in [
        "snshare-demo",
        "snshare-demo-secret",
        "snshare.integration",
        "Integration#1",
        "abel.tuter",
        "Personal#1",
        "snshare-public",
    ] {
        assert!(
            err.contains(needle),
            "{needle} missing from the start-up banner: {err}"
        );
    }
}

#[test]
fn sandbox_exits_cleanly_on_sigterm() {
    let mut s = spawn(SANDBOX, &["--listen", "127.0.0.1:0"], "SANDBOX LISTENING ");
    let kill = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = wait_exit(&mut s.child, Duration::from_secs(5)).expect("exits on SIGTERM");
    assert!(status.success(), "{status:?}");
}

#[test]
fn sandbox_refuses_non_loopback_addresses() {
    for addr in ["0.0.0.0:0", "[::]:0"] {
        let out = Command::new(SANDBOX)
            .args(["--listen", addr])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{addr}");
        assert!(out.stdout.is_empty());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("loopback"),
            "{addr}"
        );
    }
}

#[test]
fn sandbox_tls_writes_its_ca_and_honours_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let data = dir.path().join("data");
    let s = spawn(
        SANDBOX,
        &[
            "--listen",
            "127.0.0.1:0",
            "--tls",
            "--host",
            "snshare-test.service-now.com",
            "--host",
            "example.service-now.com",
            "--ca-out",
            ca.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--access-ttl",
            "60",
            "--rate-limit",
            "2",
            "--enable-client-credentials",
            "--exit-on-stdin-close",
        ],
        "SANDBOX LISTENING ",
    );
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);
    let pem = std::fs::read_to_string(&ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
    let mut t = common::Target::sandbox(&s.url);
    t.http = Http::new(Some(&pem));
    assert_eq!(t.password_grant()["expires_in"], serde_json::json!(59));
    let cc = t.token_request(&[
        ("grant_type", "client_credentials"),
        ("client_id", &t.client_id),
        ("client_secret", &t.client_secret),
    ]);
    assert_eq!(cc.status, 200);
    assert!(data.join("sandbox.sqlite3").exists());
    // --rate-limit 2: the third Table API call of the hour is refused, with the limit named.
    let token = t.access_token();
    let statuses: Vec<(u16, Option<String>)> = (0..3)
        .map(|_| {
            let r = t.api(
                "GET",
                "/api/now/table/incident?sysparm_limit=1",
                &token,
                None,
            );
            (r.status, r.header("x-ratelimit-limit").map(str::to_string))
        })
        .collect();
    assert_eq!(
        statuses[..2].iter().map(|s| s.0).collect::<Vec<_>>(),
        [200, 200]
    );
    assert_eq!(statuses[2], (429, Some("2".to_string())));
    // Each --host is a name of the certificate; a name not given is not.
    let port = port_of(&s.url);
    assert!(tls_handshake(&pem, port, "snshare-test.service-now.com").is_ok());
    assert!(tls_handshake(&pem, port, "example.service-now.com").is_ok());
    assert!(tls_handshake(&pem, port, "other.service-now.com").is_err());
}

/// A TLS handshake with the server on `port` as host `name`, trusting only the sandbox's CA.
fn tls_handshake(ca_pem: &str, port: u16, name: &str) -> Result<(), std::io::Error> {
    use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
    use std::sync::Arc;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let mut conn = rustls::ClientConnection::new(
        Arc::new(config),
        ServerName::try_from(name.to_string()).unwrap(),
    )
    .unwrap();
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port))?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)?;
    }
    Ok(())
}

#[test]
fn replica_serves_https_with_strict_csp_and_exits_when_stdin_closes() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("index.html"),
        "<script nonce=\"{{NONCE}}\"></script>",
    )
    .unwrap();
    let ca = root.path().join("ca.pem");
    let mut s = spawn(
        REPLICA,
        &[
            "--listen",
            "127.0.0.1:0",
            "--root",
            root.path().to_str().unwrap(),
            "--csp",
            "strict",
            "--host",
            "security.microsoft.com",
            "--ca-out",
            ca.to_str().unwrap(),
            "--exit-on-stdin-close",
        ],
        "REPLICA LISTENING ",
    );
    assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);
    let http = Http::new(Some(&std::fs::read_to_string(&ca).unwrap()));
    let r = http.get(&format!("{}/securescore", s.url), &[]);
    assert_eq!(r.status, 200);
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("script-src 'self' 'nonce-") && csp.ends_with("'; object-src 'none'"),
        "{csp}"
    );
    drop(s.child.stdin.take());
    assert!(wait_exit(&mut s.child, Duration::from_secs(5))
        .expect("exits when stdin closes")
        .success());
}

#[test]
fn replica_without_csp_sends_none_and_refuses_a_missing_root() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("index.html"), "<p>portal</p>").unwrap();
    let s = spawn(
        REPLICA,
        &[
            "--listen",
            "127.0.0.1:0",
            "--root",
            root.path().to_str().unwrap(),
            "--csp",
            "none",
            "--no-tls",
        ],
        "REPLICA LISTENING ",
    );
    assert!(s.url.starts_with("http://127.0.0.1:"));
    let r = Http::default().get(&format!("{}/homepage", s.url), &[]);
    assert_eq!(r.body, "<p>portal</p>");
    assert!(r.header("content-security-policy").is_none());
    let out = Command::new(REPLICA)
        .args(["--listen", "127.0.0.1:0", "--root", "/no/such/dir"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
}

#[test]
fn sandbox_instance_switches_on_the_command_line() {
    let s = spawn(
        SANDBOX,
        &[
            "--listen",
            "127.0.0.1:0",
            "--release",
            "zurich",
            "--batch-api",
            "off",
            "--change-api",
            "forbidden",
            "--sys-choice",
            "empty",
            "--table-api-acl",
        ],
        "SANDBOX LISTENING ",
    );
    let config = Http::default()
        .get(&format!("{}/sandbox/config", s.url), &[])
        .result();
    for (k, v) in [
        ("release", "zurich"),
        ("batch_api", "off"),
        ("change_api", "forbidden"),
        ("sys_choice", "empty"),
    ] {
        assert_eq!(config[k], serde_json::json!(v), "{config}");
    }
    assert_eq!(config["table_api_acl"], serde_json::json!(true));
    let bad = Command::new(SANDBOX)
        .args(["--release", "tokyo"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
}
