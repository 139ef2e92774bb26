//! The command line: one subcommand per scenario, the floor server, and the summary.
//! Raw values are checked in a second stage ([`Cli::context`]): the server must be on
//! loopback unless `--allow-remote` is given.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::floor::{self, FloorApp};
use crate::report::{self, Outcome};
use crate::scenario::Ctx;
use crate::scenario::churn::{self, Churn};
use crate::scenario::cluster::{self, Cluster, worker};
use crate::scenario::fanout::{self, Fanout};
use crate::scenario::idle::{self, Idle};
use crate::scenario::interest::{self, Interest};
use crate::scenario::throughput::{self, Throughput};
use crate::scenario::trigger::{self, Trigger};
use crate::target::loopback_sources;
use crate::{Error, Result, Target, procfs};

/// Load generator for Pusher-compatible servers (Paybell, soketi, sockudo, Pusher itself).
#[derive(Debug, Parser)]
#[command(name = "paybell-loadgen", version)]
pub struct Cli {
    /// Where the server is and how to talk to it.
    #[command(flatten)]
    pub common: Common,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every scenario shares.
#[derive(Debug, Args)]
#[command(next_help_heading = "Server and run options (any subcommand)")]
pub struct Common {
    /// Server host (an IP or a name).
    #[arg(long, global = true, default_value = "127.0.0.1")]
    pub host: String,
    /// Server port (WebSocket and HTTP API).
    #[arg(long, global = true, default_value_t = 6001)]
    pub port: u16,
    /// Port of the HTTP API triggers go to, when not `--port`: another node of the same
    /// cluster, to measure delivery across nodes.
    #[arg(long, global = true)]
    pub api_port: Option<u16>,
    /// App id (`/apps/{id}`). The defaults are the development app of `paybell realtime
    /// --dev-credentials` (loopback only); `scripts/bench.sh` passes its own.
    #[arg(long, global = true, default_value = "app-id")]
    pub app_id: String,
    /// App key (`/app/{key}`).
    #[arg(long, global = true, default_value = "app-key")]
    pub key: String,
    /// App secret (signs API requests and channel auth).
    #[arg(long, global = true, default_value = "app-secret")]
    pub secret: String,
    /// The server's PID, for its memory; found through the listening port when absent.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Loopback source addresses to spread client sockets over (127.0.0.1 … 127.0.0.N);
    /// each has its own ~28,000 ephemeral ports.
    #[arg(long, global = true, default_value_t = 8)]
    pub sources: u8,
    /// The server's name in tables and the summary (`paybell`, `floor`, `soketi`…).
    #[arg(long, global = true, default_value = "server")]
    pub label: String,
    /// This run's name in the summary (default: scenario and size, e.g. `fanout-5000`).
    #[arg(long, global = true)]
    pub name: Option<String>,
    /// Write the outcome as JSON to this file.
    #[arg(long, global = true)]
    pub json: Option<PathBuf>,
    /// Connections opening at once while ramping up.
    #[arg(long, global = true, default_value_t = 256)]
    pub connect_concurrency: usize,
    /// Bytes of event data (an invoice event is about 200).
    #[arg(long, global = true, default_value_t = 200)]
    pub payload: usize,
    /// Allow a server that is not on 127.0.0.0/8 or ::1.
    #[arg(long, global = true)]
    pub allow_remote: bool,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ramp to N subscribed connections; server memory per connection.
    Idle(Idle),
    /// N subscribers of one channel; trigger → first/last receipt over several runs.
    Fanout(Fanout),
    /// M channels × S subscribers at a rising event rate.
    Throughput(Throughput),
    /// Signed HTTP API triggers per second.
    Trigger(Trigger),
    /// Connections joining and leaving while events flow; errors and memory afterwards.
    Churn(Churn),
    /// Several nodes, each channel's subscribers on one: what each node gets from Redis.
    Interest(Interest),
    /// Connections over several nodes from several processes: idle, fan-out, steady events.
    Cluster(Cluster),
    /// One process of a `cluster` run (started by `cluster`).
    #[command(hide = true)]
    ClusterWorker(worker::Worker),
    /// Serve the floor broadcaster (prints `paybell-loadgen floor listening on ADDR`).
    Floor {
        /// Address to bind (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:0")]
        addr: SocketAddr,
        /// Stop by itself after this many seconds.
        #[arg(long, default_value_t = 1_800)]
        max_secs: u64,
    },
    /// Print the summary of a directory of JSON outcomes, against the floor's.
    Report {
        /// The directory.
        dir: PathBuf,
        /// The server's label.
        #[arg(long, default_value = "paybell")]
        server: String,
        /// The floor's label.
        #[arg(long, default_value = "floor")]
        floor: String,
    },
}

impl Cli {
    /// Checks the common options and resolves the server.
    ///
    /// # Errors
    /// [`Error::Refused`] for a non-loopback server without `--allow-remote`, or a host that
    /// does not resolve.
    pub async fn context(&self) -> Result<Ctx> {
        let common = &self.common;
        let ip = match common.host.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) => tokio::net::lookup_host((common.host.as_str(), common.port))
                .await?
                .next()
                .map(|a| a.ip())
                .ok_or_else(|| Error::Refused(format!("{} does not resolve", common.host)))?,
        };
        if !ip.is_loopback() && !common.allow_remote {
            return Err(Error::Refused(format!(
                "{ip} is not a loopback address; pass --allow-remote to load a remote server"
            )));
        }
        let sources = if ip.is_ipv4() && ip.is_loopback() {
            loopback_sources(common.sources)
        } else {
            Vec::new()
        };
        let target = Target {
            addr: SocketAddr::new(ip, common.port),
            api_addr: SocketAddr::new(ip, common.api_port.unwrap_or(common.port)),
            app_id: common.app_id.clone(),
            key: common.key.clone(),
            secret: common.secret.clone(),
            sources,
        };
        let server_pid = common
            .server_pid
            .or_else(|| ip.is_loopback().then(|| procfs::find_listener_pid(common.port)).flatten());
        Ok(Ctx {
            target: Arc::new(target),
            server_pid,
            label: common.label.clone(),
            name: common.name.clone(),
            concurrency: common.connect_concurrency,
            payload: common.payload,
        })
    }
}

/// Runs a command to the end.
///
/// # Errors
/// [`Error`] from the scenario, the floor or the report.
pub async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Floor { addr, max_secs } => {
            return serve_floor(&cli.common, *addr, *max_secs).await;
        }
        Command::ClusterWorker(params) => {
            return worker::serve(&cli.context().await?, params).await;
        }
        Command::Report { dir, server, floor } => {
            let outcomes = report::read_outcomes(dir)?;
            for outcome in outcomes.iter().filter(|o| o.label == *server) {
                println!("{}", outcome.render());
            }
            print!("{}", report::summary(&outcomes, server, floor).render());
            return Ok(());
        }
        _ => {}
    }
    let ctx = cli.context().await?;
    let outcome = scenario(&ctx, &cli.command).await?;
    print!("{}", outcome.render());
    if let Some(path) = &cli.common.json {
        outcome.write(path)?;
    }
    Ok(())
}

async fn scenario(ctx: &Ctx, command: &Command) -> Result<Outcome> {
    match command {
        Command::Idle(params) => idle::run(ctx, params).await,
        Command::Fanout(params) => fanout::run(ctx, params).await,
        Command::Throughput(params) => throughput::run(ctx, params).await,
        Command::Trigger(params) => trigger::run(ctx, params).await,
        Command::Churn(params) => churn::run(ctx, params).await,
        Command::Interest(params) => interest::run(ctx, params).await,
        Command::Cluster(params) => cluster::run(ctx, params).await,
        Command::Floor { .. } | Command::Report { .. } | Command::ClusterWorker(_) => {
            Err(Error::Refused("not a scenario".to_owned()))
        }
    }
}

async fn serve_floor(common: &Common, addr: SocketAddr, max_secs: u64) -> Result<()> {
    if !addr.ip().is_loopback() && !common.allow_remote {
        return Err(Error::Refused(format!("{addr} is not loopback; pass --allow-remote")));
    }
    let listener = TcpListener::bind(addr).await?;
    println!("paybell-loadgen floor listening on {}", listener.local_addr()?);
    let app = FloorApp {
        app_id: common.app_id.clone(),
        key: common.key.clone(),
        secret: common.secret.clone(),
    };
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        tokio::select! {
            () = shutdown_signal() => {}
            () = tokio::time::sleep(Duration::from_secs(max_secs)) => {}
        }
        stopper.cancel();
    });
    floor::serve(listener, app, stop).await?;
    Ok(())
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}
