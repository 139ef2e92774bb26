//! `idle`: ramp to N subscribed connections, hold them, and report the server's memory per
//! connection (RSS growth / N).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Ctx, Findings, aiming, figures, higher, lower, mb, params, ramp_timeout, start};
use crate::Result;
use crate::fleet::{Fleet, Plan, Sink};
use crate::procfs;
use crate::pusher::Subscription;
use crate::report::{Bound, Outcome, thousands};

/// The `idle` scenario's parameters (the doc comments are the command line's help).
#[derive(Debug, Clone, clap::Args)]
pub struct Idle {
    /// Connections.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    // Connection `i` is on channel `i % channels`; one per connection is every payer
    // watching their own invoice.
    /// Distinct channels (0: one per connection).
    #[arg(long, default_value_t = 0)]
    pub channels: usize,
    /// Seconds between the ramp and the measurement.
    #[arg(long, default_value_t = 2)]
    pub settle_secs: u64,
    // Meanwhile the fleet checks that none is dropped.
    /// Seconds to hold the connections afterwards.
    #[arg(long, default_value_t = 2)]
    pub hold_secs: u64,
}

/// What the ramp and the hold measured.
#[derive(Debug)]
struct Measured {
    ready: u64,
    ramp_secs: f64,
    /// Server RSS before the ramp, once subscribed, after the hold.
    rss: [Option<u64>; 3],
    dropped: u64,
    failed: u64,
    client_rss: u64,
    first_error: Option<String>,
}

/// Runs the scenario.
///
/// # Errors
/// When this process may not open that many sockets.
pub async fn run(ctx: &Ctx, idle: &Idle) -> Result<Outcome> {
    ctx.check_fd_budget(idle.connections)?;
    let started = start();
    let measured = measure(ctx, idle).await;
    Ok(report(ctx, idle, started, &measured))
}

async fn measure(ctx: &Ctx, idle: &Idle) -> Measured {
    let n = idle.connections;
    let channels = channels(idle);
    let before = ctx.server_rss();
    let plan: Plan =
        Arc::new(move |i| vec![Subscription::new(format!("lg-idle-{}", i % channels), i)]);
    let ramp = Instant::now();
    let sink = Arc::new(Sink::default());
    let fleet = Fleet::spawn(&ctx.target, 0, n, ctx.concurrency, &plan, sink.clone());
    let ready = fleet.wait_ready(ramp_timeout(n)).await;
    let ramp_secs = ramp.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(idle.settle_secs)).await;
    let after = ctx.server_rss();
    tokio::time::sleep(Duration::from_secs(idle.hold_secs)).await;
    let held = ctx.server_rss();
    let measured = Measured {
        ready,
        ramp_secs,
        rss: [before, after, held],
        dropped: sink.dropped.load(Ordering::SeqCst),
        failed: sink.failed.load(Ordering::SeqCst),
        client_rss: procfs::own_rss_bytes(),
        first_error: sink.first_error(),
    };
    fleet.close().await;
    measured
}

fn channels(idle: &Idle) -> usize {
    if idle.channels == 0 { idle.connections } else { idle.channels }
}

fn report(ctx: &Ctx, idle: &Idle, started: (u64, Instant), m: &Measured) -> Outcome {
    let n = idle.connections;
    let [before, after, held] = m.rss;
    let per_conn = match (before, after) {
        (Some(before), Some(after)) if m.ready > 0 => Some(after.saturating_sub(before) / m.ready),
        _ => None,
    };
    let table = figures(
        format!("idle: {} connections ({})", thousands(n as u64), ctx.label),
        [
            ("connections asked", thousands(n as u64)),
            ("subscribed", thousands(m.ready)),
            ("failed to connect or subscribe", thousands(m.failed)),
            ("dropped while held", thousands(m.dropped)),
            ("ramp (s)", format!("{:.2}", m.ramp_secs)),
            ("ramp (connections/s)", thousands((m.ready as f64 / m.ramp_secs.max(1e-9)) as u64)),
            ("server RSS before", mb(before)),
            ("server RSS subscribed", mb(after)),
            ("server RSS after hold", mb(held)),
            ("server bytes per connection", per_conn.map_or("?".to_owned(), thousands)),
            ("client RSS", mb(Some(m.client_rss))),
        ],
    );
    let mut notes = Vec::new();
    if ctx.server_pid.is_none() {
        notes.push("server PID unknown: no memory figures (give --server-pid)".to_owned());
    }
    let mut headlines = Vec::new();
    if let Some(per_conn) = per_conn {
        let memory = lower("server bytes per connection", per_conn as f64);
        headlines.push(if n >= 10_000 { aiming(memory, Bound::AtMost(4096.0)) } else { memory });
    }
    let still_open = m.ready.saturating_sub(m.dropped);
    headlines.push(aiming(higher("connections held", still_open as f64), Bound::AtLeast(n as f64)));
    let params = params([
        ("connections", json!(n)),
        ("channels", json!(channels(idle))),
        ("settle_secs", json!(idle.settle_secs)),
        ("hold_secs", json!(idle.hold_secs)),
    ]);
    let findings = Findings::new(headlines, table, notes, m.first_error.clone());
    ctx.outcome("idle", format!("idle-{n}"), started, params, findings)
}
