//! What both servers share: loopback-only listening, TLS with a certificate made at start-up,
//! the connection loop (which can drop one connection without answering), and shutdown.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use crate::Error;

pub type Body = http_body_util::Either<Full<Bytes>, Faulty>;

/// A whole body.
pub fn full(bytes: impl Into<Bytes>) -> Body {
    http_body_util::Either::Left(Full::new(bytes.into()))
}

/// A body a fault makes: one that stops half-way (`drop_after_commit`), or one that does not
/// end (`endless`).
pub struct Faulty {
    first: Option<Bytes>,
    then: Then,
}

enum Then {
    /// Fails once hyper had time to flush the head and the first half.
    Cut(Option<std::pin::Pin<Box<tokio::time::Sleep>>>),
    /// The same chunk again, counted into the total, until the client goes or `left` is spent.
    Repeat {
        chunk: Bytes,
        left: u64,
        sent: Arc<std::sync::atomic::AtomicU64>,
    },
}

/// How much an endless body sends at most (the client should stop reading long before).
pub const ENDLESS_MAX: u64 = 256 * 1024 * 1024;

impl Faulty {
    /// The first half of `whole`, then the connection closes mid-answer: the client has seen
    /// the status line and headers.
    pub fn truncated(whole: Bytes) -> Body {
        let half = whole.slice(..whole.len() / 2);
        http_body_util::Either::Right(Faulty {
            first: Some(half),
            then: Then::Cut(None),
        })
    }

    /// `head`, then `chunk` over and over with no length announced (chunked encoding), up to
    /// [`ENDLESS_MAX`] bytes; what went out is added to `sent`.
    pub fn endless(head: Bytes, chunk: Bytes, sent: Arc<std::sync::atomic::AtomicU64>) -> Body {
        http_body_util::Either::Right(Faulty {
            first: Some(head),
            then: Then::Repeat {
                chunk,
                left: ENDLESS_MAX,
                sent,
            },
        })
    }
}

impl hyper::body::Body for Faulty {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        use std::future::Future as _;
        use std::sync::atomic::Ordering;
        use std::task::Poll;
        if let Some(b) = self.first.take() {
            return Poll::Ready(Some(Ok(hyper::body::Frame::data(b))));
        }
        match &mut self.then {
            Then::Cut(cut) => {
                let cut = cut.get_or_insert_with(|| {
                    Box::pin(tokio::time::sleep(std::time::Duration::from_millis(100)))
                });
                match cut.as_mut().poll(cx) {
                    Poll::Pending => Poll::Pending,
                    Poll::Ready(()) => Poll::Ready(Some(Err(std::io::Error::other(
                        "connection dropped after commit",
                    )))),
                }
            }
            Then::Repeat { chunk, left, sent } => {
                let n = chunk.len() as u64;
                if *left < n {
                    return Poll::Ready(None);
                }
                *left -= n;
                sent.fetch_add(n, Ordering::Relaxed);
                Poll::Ready(Some(Ok(hyper::body::Frame::data(chunk.clone()))))
            }
        }
    }
}

pub type BoxFuture = Pin<Box<dyn Future<Output = Response<Body>> + Send>>;
/// A server's request handler: the request and what is known of its connection.
pub type AppFn = Arc<dyn Fn(Request<Incoming>, ConnCtx) -> BoxFuture + Send + Sync>;

/// Largest request body either server reads.
const MAX_BODY: usize = 8 * 1024 * 1024;

/// What a handler knows of the connection a request came on.
#[derive(Clone)]
pub struct ConnCtx {
    pub peer: SocketAddr,
    /// `https` or `http`: the scheme of links the server writes into its answers.
    pub scheme: &'static str,
}

/// How a server gets its certificate.
#[derive(Clone, Debug)]
pub enum TlsSetup {
    /// A CA and a leaf certificate made at start-up, for `localhost`, `127.0.0.1` and these names.
    Generate { hosts: Vec<String> },
    /// A PEM certificate chain and PEM private key from files.
    Files { cert: PathBuf, key: PathBuf },
}

/// A ready TLS acceptor and, when the certificate was generated, the CA that signed it.
pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub ca_pem: Option<String>,
}

pub fn make_tls(setup: &TlsSetup) -> Result<Tls, Error> {
    let (chain, key, ca_pem) = match setup {
        TlsSetup::Generate { hosts } => {
            let (chain, key, ca) = generate_certificate(hosts)?;
            (chain, key, Some(ca))
        }
        TlsSetup::Files { cert, key } => {
            let chain = CertificateDer::pem_file_iter(cert)
                .map_err(|e| Error::Tls(format!("{}: {e}", cert.display())))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| Error::Tls(format!("{}: {e}", cert.display())))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| Error::Tls(format!("{}: {e}", key.display())))?;
            (chain, key, None)
        }
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca_pem,
    })
}

type GeneratedCert = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>, String);

fn generate_certificate(hosts: &[String]) -> Result<GeneratedCert, Error> {
    let now = time::OffsetDateTime::now_utc();
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "snshare test CA (generated per start)");
    ca_params.distinguished_name = dn;
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = now - time::Duration::days(1);
    ca_params.not_after = now + time::Duration::days(365);
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca_pem = ca_cert.pem();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate()?;
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    for h in hosts {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(h)) {
            names.push(h.clone());
        }
    }
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    for n in &names {
        params.subject_alt_names.push(match n.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(n.clone().try_into()?),
        });
    }
    let mut dn = DistinguishedName::new();
    dn.push(
        DnType::CommonName,
        names.get(2).unwrap_or(&names[0]).clone(),
    );
    params.distinguished_name = dn;
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(90);
    let leaf = params.signed_by(&leaf_key, &issuer)?;
    let chain = vec![leaf.der().clone(), ca_cert.der().clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    Ok((chain, key, ca_pem))
}

/// Resolves a `--listen` value, refusing anything that is not a loopback address: these servers
/// hold test credentials and have unauthenticated admin endpoints.
pub fn loopback_addr(listen: &str) -> Result<SocketAddr, Error> {
    let addrs: Vec<SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| Error::Config(format!("--listen {listen}: {e}")))?
        .collect();
    let first = addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| Error::Config(format!("--listen {listen}: no address")))?;
    if addrs.iter().all(|a| a.ip().is_loopback()) {
        Ok(first)
    } else {
        Err(Error::Config(format!(
            "--listen {listen}: only loopback addresses (127.0.0.0/8, ::1, localhost) are allowed"
        )))
    }
}

/// A running server: its address, and the way to stop it.
pub struct Running {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }

    pub async fn stopped(mut self) {
        self.stop();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Binds `addr` (loopback only) and serves `app` on every connection until stopped.
pub async fn listen(
    addr: SocketAddr,
    tls: Option<TlsAcceptor>,
    app: AppFn,
) -> Result<Running, Error> {
    if !addr.ip().is_loopback() {
        return Err(Error::Config(format!(
            "{addr}: only loopback addresses are allowed"
        )));
    }
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = stopped.changed() => break,
                accepted = listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let app = app.clone();
                    let stop = stopped.clone();
                    let tls = tls.clone();
                    tokio::spawn(async move {
                        match tls {
                            Some(acceptor) => {
                                let handshake = tokio::time::timeout(
                                    Duration::from_secs(10), acceptor.accept(stream)).await;
                                if let Ok(Ok(stream)) = handshake {
                                    connection(stream, peer, "https", app, stop).await;
                                }
                            }
                            None => connection(stream, peer, "http", app, stop).await,
                        }
                    });
                }
            }
        }
    });
    Ok(Running {
        addr,
        stop,
        task: Some(task),
    })
}

async fn connection<I>(
    io: I,
    peer: SocketAddr,
    scheme: &'static str,
    app: AppFn,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let ctx = ConnCtx { peer, scheme };
    let service = hyper::service::service_fn(move |req| {
        let fut = app(req, ctx.clone());
        async move { Ok::<_, Infallible>(fut.await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    // Dropping the connection future closes the socket, whatever it was doing.
    tokio::select! {
        _ = conn => {}
        _ = stop.changed() => {}
    }
}

/// Reads a request body whole (up to 8 MiB).
pub async fn read_body(body: Incoming) -> Result<Bytes, String> {
    Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map(|b| b.to_bytes())
        .map_err(|e| e.to_string())
}

/// Builds a response; header values that are not valid in HTTP are left out rather than failing.
pub fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(full(body));
    *r.status_mut() = status;
    if !content_type.is_empty() {
        set_header(&mut r, "content-type", content_type);
    }
    r
}

pub fn set_header(r: &mut Response<Body>, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        r.headers_mut().insert(n, v);
    }
}

pub fn append_header(r: &mut Response<Body>, name: &str, value: &str) {
    if let (Ok(n), Ok(v)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        r.headers_mut().append(n, v);
    }
}

/// A future that resolves on SIGINT, SIGTERM or (when asked) end of standard input: what stops
/// the binaries. The signal handlers are installed by this call, not on first poll, so call it
/// before announcing the server: a harness may signal as soon as it reads the announcement.
/// Must be called within the runtime.
pub fn stop_signal(exit_on_stdin_close: bool) -> impl Future<Output = ()> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<&'static str>(4);
    if exit_on_stdin_close {
        let tx = tx.clone();
        // A plain thread: a blocked read must not keep the runtime from shutting down.
        std::thread::spawn(move || {
            let mut buf = [0u8; 1024];
            loop {
                match std::io::Read::read(&mut std::io::stdin(), &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            let _ = tx.blocking_send("stdin closed");
        });
    }
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        for (kind, name) in [
            (SignalKind::terminate(), "SIGTERM"),
            (SignalKind::interrupt(), "SIGINT"),
        ] {
            if let Ok(mut sig) = signal(kind) {
                let tx = tx.clone();
                tokio::spawn(async move {
                    sig.recv().await;
                    let _ = tx.send(name).await;
                });
            }
        }
    }
    #[cfg(not(unix))]
    {
        let tx = tx.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = tx.send("SIGINT").await;
            }
        });
    }
    drop(tx);
    async move {
        let _ = rx.recv().await;
    }
}

/// The loopback default address.
pub const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
