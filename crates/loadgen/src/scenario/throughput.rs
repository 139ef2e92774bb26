//! `throughput`: M channels × S subscribers; events at a rising rate until deliveries stop
//! keeping up; then latency at 50 % and 90 % of the best sustained rate.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::{Ctx, Findings, Triggerer, aiming, higher, lower, params, start, subscribe_all};
use crate::Result;
use crate::clock::now_nanos;
use crate::fleet::{Plan, Sink};
use crate::pusher::Subscription;
use crate::report::{Bound, Headline, Outcome, Table, thousands, us_as_ms};
use crate::stats::Summary;

/// The `throughput` scenario's parameters (the doc comments are the command line's help).
#[derive(Debug, Clone, clap::Args)]
pub struct Throughput {
    /// Channels.
    #[arg(long, default_value_t = 100)]
    pub channels: usize,
    /// Subscribers per channel.
    #[arg(long, default_value_t = 500)]
    pub subscribers: usize,
    /// Deliveries/s of the first step.
    #[arg(long, default_value_t = 25_000.0)]
    pub start_rate: f64,
    /// Rate factor from one step to the next.
    #[arg(long, default_value_t = 1.3)]
    pub growth: f64,
    /// Seconds per step.
    #[arg(long, default_value_t = 3.0)]
    pub step_secs: f64,
    /// Most steps.
    #[arg(long, default_value_t = 14)]
    pub max_steps: usize,
    /// Seconds of the runs at 50 % and 90 % of the sustained rate.
    #[arg(long, default_value_t = 5.0)]
    pub measure_secs: f64,
    /// HTTP connections sending triggers.
    #[arg(long, default_value_t = 4)]
    pub http_connections: usize,
    /// A step with a p99 above this many ms is not keeping up.
    #[arg(long, default_value_t = 500.0)]
    pub max_p99_ms: f64,
    /// Steps between the last rate that kept up and the first that did not.
    #[arg(long, default_value_t = 2)]
    pub refine_steps: usize,
}

/// A step keeps up when this share of the asked delivery rate was achieved: below it, a
/// backlog is building.
const KEEP_UP_SHARE: f64 = 0.97;

/// What one step measured.
#[derive(Debug, Clone, Copy)]
struct Step {
    rate: f64,
    sent: u64,
    trigger_errors: u64,
    expected: u64,
    delivered: u64,
    achieved: f64,
    latency: Option<Summary>,
    kept_up: bool,
}

/// How late after the step's end a trigger may still be sent.
const SEND_SLACK: Duration = Duration::from_millis(50);

fn channel(i: usize) -> String {
    format!("lg-tp-{i}")
}

/// Runs the scenario.
///
/// # Errors
/// When the subscribers cannot all subscribe.
pub async fn run(ctx: &Ctx, tp: &Throughput) -> Result<Outcome> {
    let n = tp.channels * tp.subscribers;
    ctx.check_fd_budget(n + tp.http_connections)?;
    let started = start();
    let channels = tp.channels.max(1);
    let plan: Plan = Arc::new(move |i| vec![Subscription::new(channel(i % channels), i)]);
    let sink = Arc::new(Sink::default());
    let fleet = subscribe_all(ctx, n, &plan, &sink).await?;
    let mut seq = 0;
    let mut ramp = Vec::new();
    let mut rate = tp.start_rate;
    for _ in 0..tp.max_steps {
        seq += 1;
        let step = step(ctx, tp, &sink, seq, rate, tp.step_secs).await;
        ramp.push(step);
        if !step.kept_up {
            break;
        }
        rate *= tp.growth;
    }
    // Between the last step that kept up and the first that did not, look closer.
    if let (Some(good), Some(bad)) = (
        ramp.iter().rev().find(|s| s.kept_up).map(|s| s.rate),
        ramp.last().filter(|s| !s.kept_up).map(|s| s.rate),
    ) {
        let (mut good, mut bad) = (good, bad);
        for _ in 0..tp.refine_steps {
            seq += 1;
            let rate = (good * bad).sqrt();
            let step = step(ctx, tp, &sink, seq, rate, tp.step_secs).await;
            ramp.push(step);
            if step.kept_up { good = rate } else { bad = rate }
        }
    }
    let sustained = ramp.iter().filter(|s| s.kept_up).map(|s| s.achieved).fold(0.0, f64::max);
    let mut at = Vec::new();
    if sustained > 0.0 {
        for share in [0.5, 0.9] {
            seq += 1;
            at.push((share, step(ctx, tp, &sink, seq, sustained * share, tp.measure_secs).await));
        }
    }
    let measured = Measured {
        ramp,
        sustained,
        at,
        dropped: sink.dropped.load(Ordering::SeqCst),
        first_error: sink.first_error(),
    };
    fleet.close().await;
    Ok(report(ctx, tp, started, &measured))
}

/// What the whole run measured.
#[derive(Debug)]
struct Measured {
    ramp: Vec<Step>,
    /// The best delivery rate of a step that kept up.
    sustained: f64,
    /// The runs at a share of `sustained`.
    at: Vec<(f64, Step)>,
    dropped: u64,
    first_error: Option<String>,
}

/// Sends events for `secs` at `rate` deliveries per second, then waits for the stragglers.
async fn step(
    ctx: &Ctx,
    tp: &Throughput,
    sink: &Arc<Sink>,
    seq: u64,
    rate: f64,
    secs: f64,
) -> Step {
    sink.start_run(seq);
    let dropped_before = sink.dropped.load(Ordering::SeqCst);
    let triggers_per_sec = rate / tp.subscribers as f64;
    let started_at = now_nanos();
    let (sent, trigger_errors) = send(ctx, tp, seq, triggers_per_sec, secs).await;
    let expected = sent * tp.subscribers as u64;
    let grace = Instant::now()
        + Duration::from_secs(3).max(Duration::from_secs_f64(tp.max_p99_ms / 1e3 * 2.0));
    while sink.run().count < expected && Instant::now() < grace {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let receipts = sink.run();
    let span =
        receipts.last.map_or(secs, |last| (last.saturating_sub(started_at) as f64 / 1e9).max(secs));
    let latency = sink.latency.summary();
    let planned = triggers_per_sec * secs;
    let achieved = receipts.count as f64 / span;
    let kept_up = receipts.count >= expected
        && achieved >= rate * KEEP_UP_SHARE
        && sent as f64 >= planned * 0.95
        && trigger_errors == 0
        && sink.dropped.load(Ordering::SeqCst) == dropped_before
        && latency.is_some_and(|l| l.p99 as f64 <= tp.max_p99_ms * 1e3);
    Step {
        rate,
        sent,
        trigger_errors,
        expected,
        delivered: receipts.count,
        achieved,
        latency,
        kept_up,
    }
}

/// Triggers `triggers_per_sec` for `secs` over the HTTP connections, the channels in turn;
/// returns the triggers accepted and those that failed.
async fn send(
    ctx: &Ctx,
    tp: &Throughput,
    seq: u64,
    triggers_per_sec: f64,
    secs: f64,
) -> (u64, u64) {
    let workers = tp.http_connections.max(1);
    let interval = Duration::from_secs_f64(workers as f64 / triggers_per_sec);
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(secs);
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let mut triggerer = Triggerer::new(ctx.target.clone(), ctx.payload, w);
            let channels = tp.channels;
            tokio::spawn(async move {
                let (mut sent, mut errors) = (0u64, 0u64);
                let mut next = t0 + interval.mul_f64(w as f64 / workers as f64);
                let mut k = w;
                // A worker that falls behind stops at the end of the step anyway: fewer
                // triggers than planned then marks the step as not keeping up.
                while next < end && Instant::now() < end + SEND_SLACK {
                    tokio::time::sleep_until(next).await;
                    let channel = channel(k % channels);
                    match triggerer.trigger(&[&channel], seq).await {
                        Ok(s) if s.status == 200 => sent += 1,
                        Ok(_) | Err(_) => errors += 1,
                    }
                    k += workers;
                    next += interval;
                }
                (sent, errors)
            })
        })
        .collect();
    let (mut sent, mut errors) = (0, 0);
    for task in tasks {
        let (s, e) = task.await.unwrap_or((0, 0));
        sent += s;
        errors += e;
    }
    (sent, errors)
}

fn step_row(name: String, step: &Step) -> Vec<String> {
    let latency =
        |f: fn(&Summary) -> u64| step.latency.as_ref().map_or("?".to_owned(), |l| us_as_ms(f(l)));
    vec![
        name,
        thousands(step.rate as u64),
        thousands(step.sent),
        format!("{}/{}", thousands(step.delivered), thousands(step.expected)),
        thousands(step.achieved as u64),
        latency(|l| l.p50),
        latency(|l| l.p90),
        latency(|l| l.p99),
        latency(|l| l.max),
        if step.kept_up { "yes" } else { "no" }.to_owned(),
    ]
}

fn report(ctx: &Ctx, tp: &Throughput, started: (u64, std::time::Instant), m: &Measured) -> Outcome {
    let title = format!(
        "throughput: {} channels × {} subscribers ({})",
        tp.channels, tp.subscribers, ctx.label
    );
    let headers = [
        "step",
        "rate asked/s",
        "triggers",
        "delivered/expected",
        "deliveries/s",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "max ms",
        "kept up",
    ];
    let mut table = Table::new(title, &headers);
    for (i, step) in m.ramp.iter().enumerate() {
        table.row(step_row(format!("ramp {}", i + 1), step));
    }
    for (share, step) in &m.at {
        table.row(step_row(format!("at {:.0}%", share * 100.0), step));
    }
    let mut notes = vec![format!("sustained: {} deliveries/s", thousands(m.sustained as u64))];
    let steps = m.ramp.iter().chain(m.at.iter().map(|(_, s)| s));
    let errors: u64 = steps.map(|s| s.trigger_errors).sum();
    if errors > 0 || m.dropped > 0 {
        notes.push(format!("{errors} trigger errors, {} subscribers dropped", m.dropped));
    }
    let findings = Findings::new(headlines(m), table, notes, m.first_error.clone());
    let name = format!("throughput-{}x{}", tp.channels, tp.subscribers);
    ctx.outcome("throughput", name, started, report_params(ctx, tp), findings)
}

fn headlines(m: &Measured) -> Vec<Headline> {
    let best = higher("sustained deliveries/s", m.sustained.round());
    let mut headlines = vec![aiming(best, Bound::AtLeast(300_000.0))];
    for (share, step) in &m.at {
        let Some(latency) = step.latency else { continue };
        let pct = share * 100.0;
        let mut p99 = lower(&format!("p99 at {pct:.0}% (ms)"), latency.p99 as f64 / 1e3);
        if *share > 0.85 {
            p99.target = Some(Bound::AtMost(50.0));
        }
        headlines.push(lower(&format!("p50 at {pct:.0}% (ms)"), latency.p50 as f64 / 1e3));
        headlines.push(p99);
    }
    headlines
}

fn report_params(
    ctx: &Ctx,
    tp: &Throughput,
) -> std::collections::BTreeMap<String, serde_json::Value> {
    params([
        ("channels", json!(tp.channels)),
        ("subscribers", json!(tp.subscribers)),
        ("start_rate", json!(tp.start_rate)),
        ("growth", json!(tp.growth)),
        ("step_secs", json!(tp.step_secs)),
        ("measure_secs", json!(tp.measure_secs)),
        ("http_connections", json!(tp.http_connections)),
        ("max_p99_ms", json!(tp.max_p99_ms)),
        ("refine_steps", json!(tp.refine_steps)),
        ("payload", json!(ctx.payload)),
    ])
}
