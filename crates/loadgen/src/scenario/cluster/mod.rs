//! `cluster`: 100,000 connections over several nodes of one cluster, from several
//! load-generator processes (`worker`, started through `workers`: one process may hold at
//! most ~20,000 sockets here). Three phases on the same nodes:
//!
//! 1. **idle**: every connection on its own channel, held `--hold-secs`; none may drop; the
//!    nodes' summed RSS growth per connection.
//! 2. **fan-out**: every connection on one channel; one trigger per run; trigger → first and
//!    → last receipt over all processes, and nothing missing.
//! 3. **steady**: the same connections also in `--channels` groups; an event per second to
//!    every group for `--steady-secs`; every delivery's latency, merged over the processes.
//!
//! The workers' clocks are aligned with this process's ([`crate::clock::align_to`]), so
//! every receipt is compared with the trigger's stamp on one clock.

mod phases;
pub mod worker;
mod workers;

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use super::{Ctx, Findings, aiming, higher, lower, mb, params, start};
use crate::report::{Bound, Outcome, Table, thousands};
use crate::stats::Summary;
use crate::{Error, Result, Target, procfs};
use phases::{Fanout, Idle, Steady};
use workers::{Workers, shares};

/// The channel every connection of the fan-out phase is on.
pub(crate) const ALL: &str = "lg-all";

/// The same app on the node listening on `port`.
pub(crate) fn node_target(ctx: &Ctx, port: u16) -> Arc<Target> {
    let addr = std::net::SocketAddr::new(ctx.target.addr.ip(), port);
    Arc::new(Target { addr, api_addr: addr, ..(*ctx.target).clone() })
}

/// The `index`-th group channel of the steady phase.
pub(crate) fn group(index: usize) -> String {
    format!("lg-group-{index}")
}

/// The `cluster` scenario's parameters (the doc comments are the command line's help).
#[derive(Debug, Clone, clap::Args)]
pub struct Cluster {
    /// The nodes' ports (WebSocket and HTTP API), comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub ports: Vec<u16>,
    /// The nodes' PIDs, comma-separated, for their memory.
    #[arg(long, value_delimiter = ',')]
    pub server_pids: Vec<u32>,
    /// Connections in all, spread evenly over the nodes.
    #[arg(long, default_value_t = 100_000)]
    pub connections: usize,
    /// Most connections per load-generator process (fewer when the open-file limit is lower).
    #[arg(long, default_value_t = 17_000)]
    pub per_worker: usize,
    /// Seconds the idle connections are held.
    #[arg(long, default_value_t = 60)]
    pub hold_secs: u64,
    /// Measured fan-out runs (after one warm-up run).
    #[arg(long, default_value_t = 5)]
    pub fanout_runs: usize,
    /// Group channels of the steady phase (connections / channels subscribers each).
    #[arg(long, default_value_t = 1_000)]
    pub channels: usize,
    /// Seconds of the steady phase (one event per group channel per second).
    #[arg(long, default_value_t = 60)]
    pub steady_secs: u64,
    /// The workers stop by themselves after this many seconds.
    #[arg(long, default_value_t = 1_800)]
    pub max_secs: u64,
}

/// Runs the three phases.
///
/// # Errors
/// When the workers cannot start or stop answering.
pub async fn run(ctx: &Ctx, cluster: &Cluster) -> Result<Outcome> {
    if cluster.ports.is_empty() {
        return Err(Error::Refused("no node ports given".to_owned()));
    }
    let started = start();
    let fd_cap = procfs::open_file_limit()
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX).saturating_sub(1_000));
    let per_worker = cluster.per_worker.min(fd_cap).max(1);
    let cut = shares(cluster.connections, cluster.connections.div_ceil(per_worker));
    let mut notes = vec![format!(
        "{} nodes, {} load-generator processes of up to {} connections each",
        cluster.ports.len(),
        cut.len(),
        thousands(per_worker as u64)
    )];
    let mut workers = Workers::start(ctx, &cluster.ports, &cut, cluster.max_secs)?;
    let measured = measure(ctx, cluster, &mut workers).await;
    workers.quit().await;
    let (idle, fanout, steady) = measured?;
    notes.extend(idle.notes(&cluster.server_pids));
    Ok(report(ctx, cluster, started, &idle, &fanout, &steady, notes))
}

async fn measure(
    ctx: &Ctx,
    cluster: &Cluster,
    workers: &mut Workers,
) -> Result<(Idle, Fanout, Steady)> {
    let idle = phases::idle(cluster, workers).await?;
    eprintln!("cluster: idle phase done: {} held", thousands(idle.held()));
    let fanout = phases::fanout(ctx, cluster, workers).await?;
    eprintln!("cluster: fan-out phase done");
    let steady = phases::steady(ctx, cluster, workers, fanout.failed).await?;
    eprintln!("cluster: steady phase done");
    Ok((idle, fanout, steady))
}

fn ms_of(summary: Option<Summary>, f: fn(&Summary) -> u64, unit: f64) -> String {
    summary.map_or("?".to_owned(), |s| format!("{:.1}", f(&s) as f64 / unit))
}

fn report(
    ctx: &Ctx,
    cluster: &Cluster,
    started: (u64, Instant),
    idle: &Idle,
    fanout: &Fanout,
    steady: &Steady,
    notes: Vec<String>,
) -> Outcome {
    let n = cluster.connections as u64;
    let per_conn = idle.bytes_per_connection();
    let (first, last) = (fanout.first(), fanout.last());
    let mut table = Table::new(
        format!(
            "cluster: {} connections over {} nodes ({})",
            thousands(n),
            cluster.ports.len(),
            ctx.label
        ),
        &["phase", "figure", "value"],
    );
    let mut row = |phase: &str, figure: &str, value: String| {
        table.row(vec![phase.to_owned(), figure.to_owned(), value]);
    };
    row(
        "idle",
        "subscribed (one channel each)",
        format!("{} of {}", thousands(idle.ready), thousands(n)),
    );
    row("idle", "failed to connect or subscribe", thousands(idle.failed));
    row("idle", "ramp (s)", format!("{:.1}", idle.ramp_secs));
    row("idle", &format!("dropped while held {} s", cluster.hold_secs), thousands(idle.dropped));
    row(
        "idle",
        "nodes' RSS before / subscribed / after hold",
        format!("{} / {} / {}", mb(idle.rss[0]), mb(idle.rss[1]), mb(idle.rss[2])),
    );
    row("idle", "nodes' RSS growth per connection (B)", per_conn.map_or("?".to_owned(), thousands));
    row(
        "idle",
        "nodes' RSS per connection, all of it (B)",
        idle.total_per_connection().map_or("?".to_owned(), thousands),
    );
    row("fan-out", "subscribers of one channel", thousands(fanout.subscribers));
    row("fan-out", "failed to connect or subscribe", thousands(fanout.failed));
    row("fan-out", "runs (after a warm-up)", thousands(fanout.runs.len() as u64));
    row(
        "fan-out",
        "trigger → first receipt, median / max (ms)",
        format!("{} / {}", ms_of(first, |s| s.p50, 1e6), ms_of(first, |s| s.max, 1e6)),
    );
    row(
        "fan-out",
        "trigger → last receipt, median / max (ms)",
        format!("{} / {}", ms_of(last, |s| s.p50, 1e6), ms_of(last, |s| s.max, 1e6)),
    );
    row("fan-out", "deliveries missing", thousands(fanout.missing()));
    row(
        "steady",
        "channels × subscribers",
        format!("{} × {}", thousands(cluster.channels as u64), thousands(steady.per_channel)),
    );
    row(
        "steady",
        "triggers sent / failed",
        format!("{} / {}", thousands(steady.sent), thousands(steady.trigger_errors)),
    );
    row(
        "steady",
        "delivered / expected",
        format!("{} / {}", thousands(steady.delivered), thousands(steady.expected)),
    );
    row("steady", "deliveries/s", thousands(steady.rate() as u64));
    let latency = steady.latency;
    row(
        "steady",
        "latency p50 / p90 / p99 / max (ms)",
        format!(
            "{} / {} / {} / {}",
            ms_of(latency, |s| s.p50, 1e3),
            ms_of(latency, |s| s.p90, 1e3),
            ms_of(latency, |s| s.p99, 1e3),
            ms_of(latency, |s| s.max, 1e3)
        ),
    );
    row("all", "subscribers dropped (fan-out and steady)", thousands(steady.dropped));
    let mut headlines = Vec::new();
    if let Some(per_conn) = per_conn {
        headlines.push(aiming(
            lower("nodes' bytes per idle connection", per_conn as f64),
            Bound::AtMost(2048.0),
        ));
    }
    headlines
        .push(aiming(higher("connections held", idle.held() as f64), Bound::AtLeast(n as f64)));
    if let Some(last) = last {
        headlines.push(lower(
            "fan-out to all: trigger → last receipt, median (ms)",
            last.p50 as f64 / 1e6,
        ));
    }
    if let Some(first) = first {
        headlines.push(lower(
            "fan-out to all: trigger → first receipt, median (ms)",
            first.p50 as f64 / 1e6,
        ));
    }
    headlines.push(aiming(
        lower("fan-out to all: deliveries missing", fanout.missing() as f64),
        Bound::AtMost(0.0),
    ));
    if let Some(latency) = latency {
        headlines.push(lower("steady: latency p99 (ms)", latency.p99 as f64 / 1e3));
    }
    let missing = steady.expected.saturating_sub(steady.delivered);
    headlines.push(aiming(lower("steady: deliveries missing", missing as f64), Bound::AtMost(0.0)));
    let params = params([
        ("nodes", json!(cluster.ports.len())),
        ("connections", json!(n)),
        ("per_worker", json!(cluster.per_worker)),
        ("hold_secs", json!(cluster.hold_secs)),
        ("fanout_runs", json!(cluster.fanout_runs)),
        ("channels", json!(cluster.channels)),
        ("steady_secs", json!(cluster.steady_secs)),
        ("payload", json!(ctx.payload)),
    ]);
    let findings = Findings::new(
        headlines,
        table,
        notes,
        idle.error.clone().or_else(|| fanout.error.clone()).or_else(|| steady.error.clone()),
    );
    ctx.outcome("cluster", format!("cluster-{n}"), started, params, findings)
}
