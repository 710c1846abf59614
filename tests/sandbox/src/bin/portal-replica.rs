//! `portal-replica`: HTTPS static server for the replica of the Microsoft security portal.
//!
//! `portal-replica --listen 127.0.0.1:0 --root tests/fixtures/portal [--csp none|strict]
//! [--cert F --key F]` prints `REPLICA LISTENING https://127.0.0.1:PORT` once it accepts
//! requests and runs until SIGINT/SIGTERM (or end of standard input with
//! `--exit-on-stdin-close`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use sn_sandbox::net;
use sn_sandbox::portal::{Csp, PortalConfig};
use sn_sandbox::TlsSetup;

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CspArg {
    None,
    Strict,
}

#[derive(Parser, Debug)]
#[command(
    name = "portal-replica",
    about = "Static server for the security portal replica"
)]
struct Args {
    /// Loopback address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Directory of the replica's files.
    #[arg(long)]
    root: PathBuf,
    /// `strict`: a CSP whose script-src lacks 'wasm-unsafe-eval' (forbids WebAssembly).
    #[arg(long, value_enum, default_value = "none")]
    csp: CspArg,
    /// PEM certificate chain to serve instead of a generated one.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key for --cert.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Extra name for the generated certificate (e.g. security.microsoft.com); repeatable.
    #[arg(long = "host")]
    hosts: Vec<String>,
    /// Write the generated CA certificate (PEM) here.
    #[arg(long)]
    ca_out: Option<PathBuf>,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    no_tls: bool,
    /// Exit when standard input reaches end of file.
    #[arg(long)]
    exit_on_stdin_close: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("portal-replica: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("portal-replica: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), sn_sandbox::Error> {
    let listen = net::loopback_addr(&args.listen)?;
    let tls = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some(TlsSetup::Files {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ if args.no_tls => None,
        _ => Some(TlsSetup::Generate {
            hosts: args.hosts.clone(),
        }),
    };
    let csp = match args.csp {
        CspArg::None => Csp::None,
        CspArg::Strict => Csp::Strict,
    };
    let handle = sn_sandbox::portal::serve(PortalConfig {
        listen,
        root: args.root.clone(),
        csp,
        tls,
    })
    .await?;
    if let (Some(path), Some(pem)) = (&args.ca_out, &handle.ca_pem) {
        std::fs::write(path, pem)?;
    }
    let stop = net::stop_signal(args.exit_on_stdin_close);
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "REPLICA LISTENING {}", handle.url())?;
        out.flush()?;
    }
    eprintln!(
        "portal-replica: serving {} (csp {:?})",
        args.root.display(),
        csp
    );
    stop.await;
    handle.shutdown().await;
    Ok(())
}
