//! The portal replica server: SPA fallback, per-response nonces, the strict CSP, MIME types,
//! and no way out of its root.

use sn_sandbox::portal::{self, Csp, PortalConfig, PortalHandle};
use sn_sandbox::TlsSetup;

use crate::common::Http;

const INDEX: &str =
    "<!DOCTYPE html><html><head><script nonce=\"{{NONCE}}\" src=\"/app.js\"></script></head>\
<body><script nonce=\"{{NONCE}}\">window.portal = true;</script>Secure score</body></html>";

struct Replica {
    handle: Option<PortalHandle>,
    runtime: tokio::runtime::Runtime,
    _root: tempfile::TempDir,
}

impl Replica {
    fn start(csp: Csp, tls: bool) -> Replica {
        // The served root inside a directory of our own, whose secret file beside the root
        // is what `no_way_out_of_the_root` must never get.
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("root");
        let write = |p: &str, data: &[u8]| {
            let path = root.join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, data).unwrap();
        };
        write("index.html", INDEX.as_bytes());
        write("app.js", b"console.log('app');");
        write("module.wasm", b"\0asm\x01\0\0\0");
        write("styles/site.css", b"body{}");
        write("other.html", b"<p nonce=\"{{NONCE}}\">other</p>");
        std::fs::write(outer.path().join("outside-the-root.txt"), b"secret").unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let config = PortalConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            root: root.clone(),
            csp,
            tls: tls.then(|| TlsSetup::Generate {
                hosts: vec!["security.microsoft.com".into()],
            }),
        };
        let handle = runtime.block_on(portal::serve(config)).unwrap();
        Replica {
            handle: Some(handle),
            runtime,
            _root: outer,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.as_ref().unwrap().url())
    }

    fn http(&self) -> Http {
        Http::new(self.handle.as_ref().unwrap().ca_pem.as_deref())
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.shutdown());
        }
    }
}

fn nonces(html: &str) -> Vec<String> {
    html.split("nonce=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[test]
fn spa_paths_fall_back_to_index_with_a_fresh_nonce_each_time() {
    let r = Replica::start(Csp::None, false);
    let http = r.http();
    let a = http.get(&r.url("/securescore"), &[]);
    let b = http.get(&r.url("/homepage?tid=1"), &[]);
    let root = http.get(&r.url("/"), &[]);
    for resp in [&a, &b, &root] {
        assert_eq!(resp.status, 200);
        assert!(resp.body.contains("Secure score"));
        assert!(!resp.body.contains("{{NONCE}}"));
        assert_eq!(resp.header("cache-control"), Some("no-store"));
        assert!(
            resp.header("content-security-policy").is_none(),
            "--csp none"
        );
        assert!(resp
            .header("content-type")
            .unwrap()
            .starts_with("text/html"));
    }
    let (na, nb) = (nonces(&a.body), nonces(&b.body));
    assert_eq!(na.len(), 2);
    assert_eq!(na[0], na[1], "one nonce per response");
    assert_ne!(na[0], nb[0], "a fresh nonce per response");
    assert!(na[0].len() >= 16);
}

#[test]
fn strict_csp_names_the_nonce_and_leaves_out_wasm_unsafe_eval() {
    let r = Replica::start(Csp::Strict, false);
    let resp = r.http().get(&r.url("/securescore/improvementactions"), &[]);
    let csp = resp.header("content-security-policy").unwrap().to_string();
    let nonce = &nonces(&resp.body)[0];
    assert_eq!(
        csp,
        format!(
            "script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; object-src 'none'"
        )
    );
    assert!(!csp.contains("wasm-unsafe-eval") && !csp.contains("unsafe-eval"));
    let other = r.http().get(&r.url("/other.html"), &[]);
    let n2 = &nonces(&other.body)[0];
    assert!(other
        .header("content-security-policy")
        .unwrap()
        .contains(&format!("'nonce-{n2}'")));
}

#[test]
fn files_are_served_with_their_types_and_missing_files_are_404() {
    let r = Replica::start(Csp::None, false);
    let http = r.http();
    let js = http.get(&r.url("/app.js"), &[]);
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(js.body, "console.log('app');");
    assert_eq!(
        http.get(&r.url("/module.wasm"), &[]).header("content-type"),
        Some("application/wasm")
    );
    assert_eq!(
        http.get(&r.url("/styles/site.css"), &[])
            .header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(
        http.get(&r.url("/missing.js"), &[]).status,
        404,
        "a path with an extension does not fall back"
    );
    assert_eq!(http.send("POST", &r.url("/"), &[], Some("x")).status, 405);
}

#[test]
fn no_way_out_of_the_root() {
    let r = Replica::start(Csp::None, false);
    let http = r.http();
    // A file inside the root is served, so the 404s below are the root's edge at work.
    assert_eq!(http.get(&r.url("/styles/site.css"), &[]).status, 200);
    for path in [
        "/%2e%2e/outside-the-root.txt",
        "/..%2foutside-the-root.txt",
        "/styles/%2e%2e/%2e%2e/outside-the-root.txt",
    ] {
        let resp = http.get(&r.url(path), &[]);
        assert_ne!(resp.body, "secret", "{path}");
        assert_eq!(resp.status, 404, "{path}");
    }
}

#[test]
fn https_with_the_generated_ca() {
    let r = Replica::start(Csp::Strict, true);
    assert!(r.url("/").starts_with("https://127.0.0.1:"));
    let resp = r.http().get(&r.url("/securescore"), &[]);
    assert_eq!(resp.status, 200);
    assert!(resp.header("content-security-policy").is_some());
}
