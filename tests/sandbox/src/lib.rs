//! The ServiceNow sandbox: a local server that speaks an instance's OAuth and Table API closely
//! enough that a client working against it works against a real instance. It is the ServiceNow
//! of snshare's end-to-end tests and demo. The crate also holds the portal replica server
//! ([`portal`]), the HTTPS static server for the replica of the Microsoft security portal.
//!
//! In-process use (tests), here from synchronous code with [`Sandbox::start`], which brings its
//! own runtime (async code calls [`serve`] and [`Handle::shutdown`]):
//!
//! ```
//! use std::io::{Read, Write};
//! let sandbox = sn_sandbox::Sandbox::start(sn_sandbox::Config { access_ttl_secs: 2, ..Default::default() })?;
//! assert!(sandbox.url().starts_with("http://127.0.0.1:"), "{}", sandbox.url());
//! let mut conn = std::net::TcpStream::connect(sandbox.addr().ok_or("not listening")?)?;
//! conn.write_all(b"GET /sandbox/health HTTP/1.1\r\nHost: sandbox\r\nConnection: close\r\n\r\n")?;
//! let mut answer = String::new();
//! conn.read_to_string(&mut answer)?;
//! assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!

// Handlers return an early HTTP answer as the error of a `Result`: that is the design, not an
// accident of size.
#![allow(clippy::result_large_err)]

mod admin;
mod app;
mod batch;
mod change;
mod error;
mod faults;
pub mod net;
mod oauth;
mod pages;
pub mod portal;
mod query;
pub mod schema;
mod seed;
mod stats;
mod store;
mod table;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use app::{ApiAccess, ChoiceAccess, Release, Settings};
pub use error::Error;
pub use net::TlsSetup;
pub use seed::seed_sys_id;

/// The seeded confidential OAuth client.
pub const CLIENT_ID: &str = "snshare-demo";
pub const CLIENT_SECRET: &str = "snshare-demo-secret";
/// The seeded public client (PKCE S256, no secret).
pub const PUBLIC_CLIENT_ID: &str = "snshare-public";
/// The integration user as documented: role `itil` only, "Web service access only" (so it
/// cannot sign in on the login page: password grant or Basic only).
pub const INTEGRATION_USER: (&str, &str) = ("snshare.integration", "Integration#1");
/// A personal account: role `itil`, signs in on the login page.
pub const PERSONAL_USER: (&str, &str) = ("abel.tuter", "Personal#1");
/// A personal account whose name and e-mail are those of the portal replica's signed-in user
/// (Megan Bowen, MeganB@contoso.onmicrosoft.com): role `itil`.
pub const PORTAL_USER: (&str, &str) = ("megan.bowen", "Personal#2");
/// The administrator: role admin.
pub const ADMIN_USER: (&str, &str) = ("admin", "Admin#1");

/// How to run a sandbox.
#[derive(Clone, Debug)]
pub struct Config {
    /// A loopback address; port 0 picks a free port.
    pub listen: SocketAddr,
    /// `None`: plain HTTP.
    pub tls: Option<TlsSetup>,
    /// Where the SQLite database lives; `None`: a temporary directory removed at shutdown.
    pub data_dir: Option<PathBuf>,
    /// Access token lifetime (an instance's default: 1800).
    pub access_ttl_secs: u64,
    /// Refresh token lifetime (an instance's default: 8,640,000, i.e. 100 days).
    pub refresh_ttl_secs: u64,
    /// REST requests per user per hour; `None`: unlimited (a default instance has no rule).
    pub rate_limit_per_hour: Option<u32>,
    /// Whether the client_credentials grant is enabled (off by default, as on an instance).
    pub client_credentials: bool,
    /// Whether a fresh data directory gets the demo incidents and change requests (users,
    /// groups, choices and OAuth applications are always seeded).
    pub seed: bool,
    /// The release whose OAuth rules apply (default Xanadu: no public clients).
    pub release: Release,
    /// The Batch API (default on, as on a default instance).
    pub batch_api: ApiAccess,
    /// The Change Management API (default on: the sn_chg_rest API ships with Change Management).
    pub change_api: ApiAccess,
    /// `sys_choice` for users without admin (default: 403).
    pub sys_choice: ChoiceAccess,
    /// Whether the "Table API" REST API ACL is active (default: no, as on a default instance).
    pub table_api_acl: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::new(net::LOOPBACK, 0),
            tls: None,
            data_dir: None,
            access_ttl_secs: 1800,
            refresh_ttl_secs: 8_640_000,
            rate_limit_per_hour: None,
            client_credentials: false,
            seed: true,
            release: Release::default(),
            batch_api: ApiAccess::On,
            change_api: ApiAccess::On,
            sys_choice: ChoiceAccess::Forbidden,
            table_api_acl: false,
        }
    }
}

/// A running sandbox.
pub struct Handle {
    /// The bound address (the real port when 0 was asked).
    pub addr: SocketAddr,
    /// The CA certificate (PEM) that signed the generated server certificate, with TLS.
    pub ca_pem: Option<String>,
    /// Where the records are stored.
    pub data_dir: PathBuf,
    url: String,
    running: net::Running,
    _app: Arc<app::App>,
}

impl Handle {
    /// `http://127.0.0.1:PORT` or `https://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Stops accepting, closes open connections, and waits for the server task.
    pub async fn shutdown(self) {
        let Handle { running, _app, .. } = self;
        running.stopped().await;
    }
}

/// Starts a sandbox (seeding a fresh data directory first) and returns once it accepts requests.
pub async fn serve(config: Config) -> Result<Handle, Error> {
    let tls = config.tls.as_ref().map(net::make_tls).transpose()?;
    let app = Arc::new(app::App::open(&config)?);
    let handler_app = app.clone();
    let handler: net::AppFn =
        Arc::new(move |req, ctx| Box::pin(app::handle(handler_app.clone(), req, ctx)));
    let (acceptor, ca_pem) = match tls {
        Some(t) => (Some(t.acceptor), t.ca_pem),
        None => (None, None),
    };
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let running = net::listen(config.listen, acceptor, handler).await?;
    let addr = running.addr;
    Ok(Handle {
        addr,
        ca_pem,
        data_dir: app.data_dir.clone(),
        url: format!("{scheme}://{addr}"),
        running,
        _app: app,
    })
}

/// The seeded credentials as text, as the binary prints them at start-up.
pub fn credentials_text() -> String {
    admin::credentials_text()
}

/// A sandbox for synchronous code (e.g. tests with a blocking HTTP client): owns a small
/// runtime; dropping it shuts the sandbox down.
pub struct Sandbox {
    handle: Option<Handle>,
    runtime: tokio::runtime::Runtime,
}

impl Sandbox {
    pub fn start(config: Config) -> Result<Sandbox, Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sn-sandbox")
            .enable_all()
            .build()?;
        let handle = runtime.block_on(serve(config))?;
        Ok(Sandbox {
            handle: Some(handle),
            runtime,
        })
    }

    pub fn url(&self) -> &str {
        self.handle.as_ref().map(Handle::url).unwrap_or("")
    }

    pub fn addr(&self) -> Option<SocketAddr> {
        self.handle.as_ref().map(|h| h.addr)
    }

    pub fn ca_pem(&self) -> Option<&str> {
        self.handle.as_ref().and_then(|h| h.ca_pem.as_deref())
    }

    pub fn data_dir(&self) -> Option<&std::path::Path> {
        self.handle.as_ref().map(|h| h.data_dir.as_path())
    }

    /// Stops the sandbox now (also done on drop).
    pub fn stop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.runtime.block_on(h.shutdown());
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}
