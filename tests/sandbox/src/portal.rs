//! The portal replica server: serves the saved pages of the Microsoft security portal from a
//! directory, as a single-page app (extension-less paths fall back to `index.html`), with a fresh
//! nonce per response in place of `{{NONCE}}` and, optionally, the strict CSP under which the
//! page forbids WebAssembly. Paths under `/compliancemanager` fall back to `compliance/index.html`
//! (the Compliance Manager replica) when the root has one.

use std::net::SocketAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

use crate::net::{self, set_header, Body, ConnCtx, TlsSetup};
use crate::Error;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Csp {
    /// No Content-Security-Policy header.
    None,
    /// `script-src 'self' 'nonce-…'; style-src 'self' 'nonce-…'; object-src 'none'`: no
    /// `wasm-unsafe-eval`, so no WebAssembly, and no inline style without the nonce.
    Strict,
}

#[derive(Clone, Debug)]
pub struct PortalConfig {
    pub listen: SocketAddr,
    pub root: PathBuf,
    pub csp: Csp,
    /// `None`: plain HTTP.
    pub tls: Option<TlsSetup>,
}

pub struct PortalHandle {
    pub addr: SocketAddr,
    pub ca_pem: Option<String>,
    url: String,
    running: net::Running,
}

impl PortalHandle {
    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn shutdown(self) {
        self.running.stopped().await;
    }
}

pub async fn serve(config: PortalConfig) -> Result<PortalHandle, Error> {
    let root = config
        .root
        .canonicalize()
        .map_err(|e| Error::Config(format!("--root {}: {e}", config.root.display())))?;
    if !root.is_dir() {
        return Err(Error::Config(format!(
            "--root {}: not a directory",
            root.display()
        )));
    }
    let tls = config.tls.as_ref().map(net::make_tls).transpose()?;
    let (acceptor, ca_pem) = match tls {
        Some(t) => (Some(t.acceptor), t.ca_pem),
        None => (None, None),
    };
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let site = Arc::new(Site {
        root,
        csp: config.csp,
    });
    let handler: net::AppFn = Arc::new(move |req, ctx| {
        let site = site.clone();
        Box::pin(async move { site.handle(req, ctx).await })
    });
    let running = net::listen(config.listen, acceptor, handler).await?;
    let addr = running.addr;
    Ok(PortalHandle {
        addr,
        ca_pem,
        url: format!("{scheme}://{addr}"),
        running,
    })
}

struct Site {
    root: PathBuf,
    csp: Csp,
}

fn mime(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("wasm") => "application/wasm",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("ico") => "image/x-icon",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Site {
    async fn handle(&self, req: Request<Incoming>, _ctx: ConnCtx) -> Response<Body> {
        let nonce = STANDARD.encode(rand::random::<[u8; 16]>());
        let mut resp = self.answer(&req, &nonce).await;
        if req.method() == Method::HEAD {
            *resp.body_mut() = crate::net::full(bytes::Bytes::new());
        }
        set_header(&mut resp, "cache-control", "no-store");
        if self.csp == Csp::Strict {
            set_header(
                &mut resp,
                "content-security-policy",
                &format!(
                    "script-src 'self' 'nonce-{nonce}'; style-src 'self' 'nonce-{nonce}'; \
                     object-src 'none'"
                ),
            );
        }
        resp
    }

    async fn answer(&self, req: &Request<Incoming>, nonce: &str) -> Response<Body> {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            let mut r = net::response(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain",
                "method not allowed",
            );
            set_header(&mut r, "allow", "GET, HEAD");
            return r;
        }
        let Some(rel) = percent_decode(req.uri().path()) else {
            return not_found();
        };
        let rel = rel.trim_start_matches('/');
        let rel_path = Path::new(rel);
        if rel_path
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
        {
            return not_found();
        }
        let mut file = self.root.join(rel_path);
        if file.is_dir() {
            file = file.join("index.html");
        }
        let last = rel.rsplit('/').next().unwrap_or("");
        if !file.is_file() {
            if last.contains('.') {
                return not_found();
            }
            // Compliance Manager's pages (purview.microsoft.com, compliance.microsoft.com mapped
            // here too) are their own single-page app, in `compliance/` when the root has one.
            let cm = self.root.join("compliance/index.html");
            file = if is_compliance_path(rel) && cm.is_file() {
                cm
            } else {
                self.root.join("index.html")
            };
        }
        // No way out of the root through a symbolic link either.
        match file.canonicalize() {
            Ok(real) if real.starts_with(&self.root) => file = real,
            _ => return not_found(),
        }
        let data = match tokio::fs::read(&file).await {
            Ok(d) => d,
            Err(_) => return not_found(),
        };
        let content_type = mime(&file);
        if content_type.starts_with("text/html") {
            let html = String::from_utf8_lossy(&data).replace("{{NONCE}}", nonce);
            net::response(StatusCode::OK, content_type, html)
        } else {
            net::response(StatusCode::OK, content_type, data)
        }
    }
}

/// `/compliancemanager` and anything under it (case aside).
fn is_compliance_path(rel: &str) -> bool {
    let first = rel.split('/').next().unwrap_or("");
    first.eq_ignore_ascii_case("compliancemanager")
}

fn not_found() -> Response<Body> {
    net::response(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        "404 Not Found",
    )
}
