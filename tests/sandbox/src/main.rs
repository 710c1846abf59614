//! `sn-sandbox`: the ServiceNow sandbox as a program.
//!
//! `sn-sandbox --listen 127.0.0.1:0 [--tls] [--data DIR]` prints one line,
//! `SANDBOX LISTENING http(s)://127.0.0.1:PORT`, on standard output once it accepts requests,
//! then the seeded credentials on standard error, and runs until SIGINT/SIGTERM (or until
//! standard input closes, with `--exit-on-stdin-close`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use sn_sandbox::{net, ApiAccess, ChoiceAccess, Config, Release, TlsSetup};

#[derive(Parser, Debug)]
#[command(
    name = "sn-sandbox",
    about = "A local ServiceNow instance for snshare's tests and demo"
)]
struct Args {
    /// Loopback address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// Serve HTTPS with a certificate generated at start-up (CA + leaf).
    #[arg(long)]
    tls: bool,
    /// PEM certificate chain to serve instead of a generated one (implies --tls).
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// PEM private key for --cert.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Extra name for the generated certificate (besides localhost and 127.0.0.1); repeatable.
    #[arg(long = "host")]
    hosts: Vec<String>,
    /// Write the generated CA certificate (PEM) here.
    #[arg(long)]
    ca_out: Option<PathBuf>,
    /// Data directory (SQLite); a temporary one, removed on exit, when absent.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Access token lifetime in seconds.
    #[arg(long, default_value_t = 1800)]
    access_ttl: u64,
    /// Refresh token lifetime in seconds.
    #[arg(long, default_value_t = 8_640_000)]
    refresh_ttl: u64,
    /// REST requests per user per hour (429 beyond); unlimited when absent.
    #[arg(long)]
    rate_limit: Option<u32>,
    /// Accept the client_credentials grant (off by default, as on an instance).
    #[arg(long)]
    enable_client_credentials: bool,
    /// Do not seed demo incidents and change requests into a fresh data directory.
    #[arg(long)]
    no_demo_records: bool,
    /// The release whose rules apply: xanadu (every OAuth client has a secret) or zurich
    /// (public clients with PKCE S256).
    #[arg(long, value_enum, default_value_t = Release::Xanadu)]
    release: Release,
    /// The Batch API: on, forbidden (403 by a REST API ACL) or off (not on the instance).
    #[arg(long, value_enum, default_value_t = ApiAccess::On)]
    batch_api: ApiAccess,
    /// The Change Management API (sn_chg_rest): on, forbidden or off (plugin not active).
    #[arg(long, value_enum, default_value_t = ApiAccess::On)]
    change_api: ApiAccess,
    /// sys_choice for users without admin: forbidden (403), empty (200, no rows) or readable.
    #[arg(long, value_enum, default_value_t = ChoiceAccess::Forbidden)]
    sys_choice: ChoiceAccess,
    /// Activate the "Table API" REST API ACL: the Table API then needs
    /// snc_platform_rest_api_access.
    #[arg(long)]
    table_api_acl: bool,
    /// Exit when standard input reaches end of file (so a test harness's servers never outlive it).
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
            eprintln!("sn-sandbox: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sn-sandbox: {e}");
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
        _ if args.tls => Some(TlsSetup::Generate {
            hosts: args.hosts.clone(),
        }),
        _ => None,
    };
    let config = Config {
        listen,
        tls,
        data_dir: args.data.clone(),
        access_ttl_secs: args.access_ttl,
        refresh_ttl_secs: args.refresh_ttl,
        rate_limit_per_hour: args.rate_limit.filter(|n| *n > 0),
        client_credentials: args.enable_client_credentials,
        seed: !args.no_demo_records,
        release: args.release,
        batch_api: args.batch_api,
        change_api: args.change_api,
        sys_choice: args.sys_choice,
        table_api_acl: args.table_api_acl,
    };
    let handle = sn_sandbox::serve(config).await?;
    if let (Some(path), Some(pem)) = (&args.ca_out, &handle.ca_pem) {
        std::fs::write(path, pem)?;
    }
    let stop = net::stop_signal(args.exit_on_stdin_close);
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "SANDBOX LISTENING {}", handle.url())?;
        out.flush()?;
    }
    eprint!(
        "sn-sandbox: release {:?}, batch API {:?}, change API {:?}, sys_choice {:?}; data in {}; access token {} s, refresh token {} s{}{}\n{}",
        args.release,
        args.batch_api,
        args.change_api,
        args.sys_choice,
        handle.data_dir.display(),
        args.access_ttl,
        args.refresh_ttl,
        args.rate_limit
            .map(|n| format!(", rate limit {n}/user/hour"))
            .unwrap_or_default(),
        if args.enable_client_credentials {
            ", client_credentials enabled"
        } else {
            ""
        },
        sn_sandbox::credentials_text(),
    );
    stop.await;
    handle.shutdown().await;
    Ok(())
}
