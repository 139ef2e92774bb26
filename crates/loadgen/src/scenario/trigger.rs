//! `trigger`: signed `POST /apps/{id}/events` as fast as K keep-alive connections can go,
//! each request signed afresh (MD5 of the body, HMAC-SHA256 of the request).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::{Ctx, Findings, Triggerer, aiming, figures, higher, lower, params, start};
use crate::Result;
use crate::report::{Bound, Outcome, thousands, us_as_ms};
use crate::stats::Histogram;

/// The `trigger` scenario's parameters (the doc comments are the command line's help).
#[derive(Debug, Clone, clap::Args)]
pub struct Trigger {
    // One request in flight on each.
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 10.0)]
    pub secs: f64,
    // Nobody subscribes: this measures the API alone.
    /// Channel triggered (nobody listens).
    #[arg(long, default_value = "lg-trigger")]
    pub channel: String,
}

#[derive(Debug, Default)]
struct Counts {
    ok: AtomicU64,
    failed: AtomicU64,
    latency: Histogram,
}

/// Runs the scenario.
///
/// # Errors
/// When this process may not open that many sockets.
pub async fn run(ctx: &Ctx, trigger: &Trigger) -> Result<Outcome> {
    ctx.check_fd_budget(trigger.concurrency)?;
    let started = start();
    let counts = Arc::new(Counts::default());
    let t0 = Instant::now();
    load(ctx, trigger, &counts, t0 + Duration::from_secs_f64(trigger.secs)).await;
    let elapsed = t0.elapsed().as_secs_f64();
    Ok(report(ctx, trigger, started, &counts, elapsed))
}

/// Triggers on every connection, one request after the other, until `end`.
async fn load(ctx: &Ctx, trigger: &Trigger, counts: &Arc<Counts>, end: Instant) {
    let tasks: Vec<_> = (0..trigger.concurrency)
        .map(|i| {
            let mut triggerer = Triggerer::new(ctx.target.clone(), ctx.payload, i);
            let counts = counts.clone();
            let channel = trigger.channel.clone();
            tokio::spawn(async move {
                while Instant::now() < end {
                    match triggerer.trigger(&[&channel], 0).await {
                        Ok(sent) if sent.status == 200 => {
                            counts.ok.fetch_add(1, Ordering::Relaxed);
                            counts.latency.record(sent.response / 1_000);
                        }
                        Ok(_) | Err(_) => {
                            counts.failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
}

fn report(
    ctx: &Ctx,
    trigger: &Trigger,
    started: (u64, std::time::Instant),
    counts: &Counts,
    elapsed: f64,
) -> Outcome {
    let ok = counts.ok.load(Ordering::Relaxed);
    let failed = counts.failed.load(Ordering::Relaxed);
    let per_sec = ok as f64 / elapsed;
    let latency = counts.latency.summary();
    let title = format!(
        "trigger: {} connections for {:.0} s ({})",
        trigger.concurrency, trigger.secs, ctx.label
    );
    let ms = |f: fn(&crate::stats::Summary) -> u64| {
        latency.as_ref().map_or("?".to_owned(), |l| us_as_ms(f(l)))
    };
    let table = figures(
        title,
        [
            ("triggers accepted (200)", thousands(ok)),
            ("failed", thousands(failed)),
            ("triggers/s", thousands(per_sec as u64)),
            ("latency p50 (ms)", ms(|l| l.p50)),
            ("latency p99 (ms)", ms(|l| l.p99)),
            ("latency max (ms)", ms(|l| l.max)),
        ],
    );
    let mut headlines =
        vec![aiming(higher("signed triggers/s", per_sec.round()), Bound::AtLeast(20_000.0))];
    if let Some(latency) = latency {
        headlines.push(lower("trigger latency p99 (ms)", latency.p99 as f64 / 1e3));
    }
    headlines.push(aiming(lower("failed triggers", failed as f64), Bound::AtMost(0.0)));
    let params = params([
        ("concurrency", json!(trigger.concurrency)),
        ("secs", json!(trigger.secs)),
        ("channel", json!(trigger.channel)),
        ("payload", json!(ctx.payload)),
    ]);
    let name = format!("trigger-c{}", trigger.concurrency);
    let findings = Findings::new(headlines, table, Vec::new(), None);
    ctx.outcome("trigger", name, started, params, findings)
}
