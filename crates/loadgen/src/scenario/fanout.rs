//! `fanout`: N subscribers of one channel, one HTTP trigger at a time; trigger → first and
//! → last receipt per run, the API's response time, and whether every subscriber got it.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use super::{Ctx, Findings, Triggerer, aiming, lower, params, start, subscribe_all};
use crate::clock::now_nanos;
use crate::fleet::{Plan, Sink};
use crate::pusher::Subscription;
use crate::report::{Bound, Headline, Outcome, Table, ms, thousands};
use crate::stats::Summary;
use crate::{Error, Result};

/// The `fanout` scenario's parameters (the doc comments are the command line's help).
#[derive(Debug, Clone, clap::Args)]
pub struct Fanout {
    /// Subscribers.
    #[arg(long, default_value_t = 5_000)]
    pub subscribers: usize,
    // One event each, after one warm-up run.
    /// Measured runs.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Milliseconds between runs.
    #[arg(long, default_value_t = 100)]
    pub gap_ms: u64,
    // To reach every subscriber.
    /// Seconds one run may take.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
}

const CHANNEL: &str = "lg-fanout";

/// One run's figures, nanoseconds after the trigger was sent.
#[derive(Debug, Clone, Copy)]
struct Run {
    response: u64,
    first: Option<u64>,
    last: Option<u64>,
    delivered: u64,
}

/// Runs the scenario.
///
/// # Errors
/// When the subscribers cannot all subscribe or a trigger fails.
pub async fn run(ctx: &Ctx, fanout: &Fanout) -> Result<Outcome> {
    ctx.check_fd_budget(fanout.subscribers)?;
    let started = start();
    let n = fanout.subscribers;
    let plan: Plan = Arc::new(|i| vec![Subscription::new(CHANNEL, i)]);
    let sink = Arc::new(Sink::default());
    let fleet = subscribe_all(ctx, n, &plan, &sink).await?;
    let mut triggerer = Triggerer::new(ctx.target.clone(), ctx.payload, n);
    let timeout = Duration::from_secs(fanout.timeout_secs);
    let mut runs = Vec::with_capacity(fanout.runs);
    for seq in 0..=fanout.runs as u64 {
        let run = one_run(&sink, &mut triggerer, seq, n as u64, timeout).await?;
        if seq > 0 {
            runs.push(run);
        }
        tokio::time::sleep(Duration::from_millis(fanout.gap_ms)).await;
    }
    let dropped = sink.dropped.load(Ordering::SeqCst);
    fleet.close().await;
    Ok(report(ctx, fanout, started, &runs, dropped, sink.first_error()))
}

async fn one_run(
    sink: &Sink,
    triggerer: &mut Triggerer,
    seq: u64,
    expected: u64,
    timeout: Duration,
) -> Result<Run> {
    sink.start_run(seq);
    let sent = triggerer.trigger(&[CHANNEL], seq).await?;
    if sent.status != 200 {
        return Err(Error::Refused(format!("trigger answered HTTP {}", sent.status)));
    }
    let deadline = sent.at + u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
    while sink.run().count < expected && now_nanos() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let receipts = sink.run();
    Ok(Run {
        response: sent.response,
        first: receipts.first.map(|t| t.saturating_sub(sent.at)),
        last: receipts.last.map(|t| t.saturating_sub(sent.at)),
        delivered: receipts.count,
    })
}

/// The runs' latencies, nanoseconds.
#[derive(Debug, Clone, Copy)]
struct Latencies {
    first: Option<Summary>,
    last: Option<Summary>,
    response: Option<Summary>,
}

impl Latencies {
    fn of(runs: &[Run]) -> Self {
        let collect = |f: fn(&Run) -> Option<u64>| -> Option<Summary> {
            Summary::of(&runs.iter().filter_map(f).collect::<Vec<_>>())
        };
        Self {
            first: collect(|r| r.first),
            last: collect(|r| r.last),
            response: collect(|r| Some(r.response)),
        }
    }
}

fn report(
    ctx: &Ctx,
    fanout: &Fanout,
    started: (u64, std::time::Instant),
    runs: &[Run],
    dropped: u64,
    first_error: Option<String>,
) -> Outcome {
    let n = fanout.subscribers as u64;
    let latencies = Latencies::of(runs);
    let expected = n * runs.len() as u64;
    let delivered: u64 = runs.iter().map(|r| r.delivered).sum();
    let complete = runs.iter().filter(|r| r.delivered == n).count();
    let title =
        format!("fanout: {} subscribers, {} runs ({})", thousands(n), runs.len(), ctx.label);
    let notes = vec![format!(
        "delivered {} of {} ({complete} of {} runs complete), {dropped} subscribers dropped",
        thousands(delivered),
        thousands(expected),
        runs.len()
    )];
    let mut headlines = latency_headlines(n, latencies);
    let missing = lower("deliveries missing", (expected - delivered.min(expected)) as f64);
    headlines.push(aiming(missing, Bound::AtMost(0.0)));
    headlines.push(aiming(lower("subscribers dropped", dropped as f64), Bound::AtMost(0.0)));
    let params = params([
        ("subscribers", json!(n)),
        ("runs", json!(fanout.runs)),
        ("gap_ms", json!(fanout.gap_ms)),
        ("payload", json!(ctx.payload)),
    ]);
    let findings = Findings::new(headlines, table(title, latencies), notes, first_error);
    ctx.outcome("fanout", format!("fanout-{n}"), started, params, findings)
}

fn table(title: String, latencies: Latencies) -> Table {
    let mut table = Table::new(title, &["figure (ms)", "median", "p99", "min", "max"]);
    for (name, summary) in [
        ("trigger → first receipt", latencies.first),
        ("trigger → last receipt", latencies.last),
        ("HTTP response", latencies.response),
    ] {
        let cells = summary.map_or_else(
            || vec!["?".to_owned(); 4],
            |s| vec![ms(s.p50), ms(s.p99), ms(s.min), ms(s.max)],
        );
        table.row(std::iter::once(name.to_owned()).chain(cells).collect());
    }
    table
}

/// The latency headlines for `n` subscribers; the median's targets hold up to 5,000.
fn latency_headlines(n: u64, latencies: Latencies) -> Vec<Headline> {
    let mut headlines = Vec::new();
    if let Some(last) = latencies.last {
        let mut median = lower("trigger → last receipt, median (ms)", last.p50 as f64 / 1e6);
        if n <= 5_000 {
            median.target = Some(Bound::AtMost(40.0));
            median.floor_ratio_target = Some(1.3);
        }
        headlines.push(median);
        headlines.push(lower("trigger → last receipt, p99 (ms)", last.p99 as f64 / 1e6));
    }
    if let Some(first) = latencies.first {
        headlines.push(lower("trigger → first receipt, median (ms)", first.p50 as f64 / 1e6));
    }
    if let Some(response) = latencies.response {
        headlines.push(lower("HTTP response, median (ms)", response.p50 as f64 / 1e6));
    }
    headlines
}
