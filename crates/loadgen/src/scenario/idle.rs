//! `idle`: ramp to N subscribed connections, hold them, and report the server's memory per
//! connection (RSS growth / N).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{Ctx, Findings, higher, lower, params, start};
use crate::Result;
use crate::fleet::{Fleet, Plan, Sink};
use crate::procfs;
use crate::pusher::Subscription;
use crate::report::{Bound, Outcome, Table, thousands};

/// The `idle` scenario's parameters.
#[derive(Debug, Clone)]
pub struct Idle {
    /// Connections to open.
    pub connections: usize,
    /// Distinct channels, connection `i` on channel `i % channels`; 0 means one per
    /// connection (every payer watching their own invoice).
    pub channels: usize,
    /// Seconds to wait after the ramp before measuring.
    pub settle_secs: u64,
    /// Seconds to hold the connections after measuring, checking none is dropped.
    pub hold_secs: u64,
}

/// Runs the scenario.
///
/// # Errors
/// When this process may not open that many sockets.
pub async fn run(ctx: &Ctx, idle: &Idle) -> Result<Outcome> {
    ctx.check_fd_budget(idle.connections)?;
    let started = start();
    let n = idle.connections;
    let channels = if idle.channels == 0 { n } else { idle.channels };
    let before = ctx.server_rss();
    let plan: Plan =
        Arc::new(move |i| vec![Subscription::new(format!("lg-idle-{}", i % channels), i)]);
    let ramp = Instant::now();
    let sink = Arc::new(Sink::default());
    let fleet = Fleet::spawn(&ctx.target, 0, n, ctx.concurrency, &plan, sink.clone());
    let ramp_timeout = Duration::from_secs(60 + n as u64 / 500);
    let ready = fleet.wait_ready(ramp_timeout).await;
    let ramp_secs = ramp.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(idle.settle_secs)).await;
    let after = ctx.server_rss();
    tokio::time::sleep(Duration::from_secs(idle.hold_secs)).await;
    let held = ctx.server_rss();
    let dropped = sink.dropped.load(Ordering::SeqCst);
    let failed = sink.failed.load(Ordering::SeqCst);
    let client_rss = procfs::own_rss_bytes();
    fleet.close().await;

    let per_conn = match (before, after) {
        (Some(before), Some(after)) if ready > 0 => Some(after.saturating_sub(before) / ready),
        _ => None,
    };
    let still_open = ready.saturating_sub(dropped);
    let mut table = Table::new(
        format!("idle: {} connections ({})", thousands(n as u64), ctx.label),
        &["figure", "value"],
    );
    let mb = |b: Option<u64>| b.map_or("?".to_owned(), |b| format!("{:.1} MB", b as f64 / 1e6));
    for (figure, value) in [
        ("connections asked", thousands(n as u64)),
        ("subscribed", thousands(ready)),
        ("failed to connect or subscribe", thousands(failed)),
        ("dropped while held", thousands(dropped)),
        ("ramp (s)", format!("{ramp_secs:.2}")),
        ("ramp (connections/s)", thousands((ready as f64 / ramp_secs.max(1e-9)) as u64)),
        ("server RSS before", mb(before)),
        ("server RSS subscribed", mb(after)),
        ("server RSS after hold", mb(held)),
        ("server bytes per connection", per_conn.map_or("?".to_owned(), thousands)),
        ("client RSS", mb(Some(client_rss))),
    ] {
        table.row(vec![figure.to_owned(), value]);
    }
    let mut notes = Vec::new();
    if ctx.server_pid.is_none() {
        notes.push("server PID unknown: no memory figures (give --server-pid)".to_owned());
    }
    if let Some(error) = sink.first_error() {
        notes.push(format!("first error: {error}"));
    }
    let mut headlines = Vec::new();
    if let Some(per_conn) = per_conn {
        let mut memory = lower("server bytes per connection", per_conn as f64);
        if n >= 10_000 {
            memory.target = Some(Bound::AtMost(4096.0));
        }
        headlines.push(memory);
    }
    let mut held_line = higher("connections held", still_open as f64);
    held_line.target = Some(Bound::AtLeast(n as f64));
    headlines.push(held_line);
    let params = params([
        ("connections", json!(n)),
        ("channels", json!(channels)),
        ("settle_secs", json!(idle.settle_secs)),
        ("hold_secs", json!(idle.hold_secs)),
    ]);
    Ok(ctx.outcome(
        "idle",
        format!("idle-{n}"),
        started,
        params,
        Findings { headlines, table, notes },
    ))
}
