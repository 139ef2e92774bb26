//! `churn`: while events flow, connections keep joining (public, private and presence
//! channels), living a short while, unsubscribing and leaving. Reports errors and the
//! server's memory before, at the peak and after: it should come back near where it started.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{
    Ctx, Findings, Triggerer, aiming, figures, higher, lower, mb, params, start, subscribe_all,
};
use crate::clock::now_nanos;
use crate::fleet::{Plan, Sink};
use crate::pusher::{Conn, Subscription};
use crate::report::{Bound, Outcome, Table, thousands};
use crate::{Error, Result, Target};

/// The `churn` scenario's parameters (the doc comments are the command line's help).
#[derive(Debug, Clone, clap::Args)]
pub struct Churn {
    // They hear the events too.
    /// Connections staying the whole time.
    #[arg(long, default_value_t = 1_000)]
    pub base: usize,
    /// Joins per second.
    #[arg(long, default_value_t = 200.0)]
    pub rate: f64,
    /// Seconds of each churn cycle.
    #[arg(long, default_value_t = 10.0)]
    pub secs: f64,
    // Growth only in the first cycle is the allocator keeping its peak.
    /// Churn cycles (memory is read after each: continued growth is a leak).
    #[arg(long, default_value_t = 2)]
    pub cycles: usize,
    /// Shortest life of a joining connection (ms).
    #[arg(long, default_value_t = 200)]
    pub min_life_ms: u64,
    /// Longest life (ms).
    #[arg(long, default_value_t = 2_000)]
    pub max_life_ms: u64,
    /// Events per second meanwhile.
    #[arg(long, default_value_t = 50.0)]
    pub events_per_sec: f64,
    /// Seconds to wait before the last memory reading.
    #[arg(long, default_value_t = 3)]
    pub settle_secs: u64,
    // `lg-churn-{g}`, `private-lg-churn-{g}`, `presence-lg-churn-{g}`; presence channels
    // hold at most 100 members.
    /// Channel groups.
    #[arg(long, default_value_t = 16)]
    pub groups: usize,
}

#[derive(Debug, Default)]
struct Counts {
    started: AtomicU64,
    joined: AtomicU64,
    failed: AtomicU64,
    broken: AtomicU64,
    triggers: AtomicU64,
    trigger_errors: AtomicU64,
}

impl Churn {
    fn joins_per_cycle(&self) -> usize {
        (self.rate * self.secs).ceil() as usize + 1
    }
}

/// Runs the scenario.
///
/// # Errors
/// When the base connections cannot subscribe.
pub async fn run(ctx: &Ctx, churn: &Churn) -> Result<Outcome> {
    let in_flight = (churn.rate * churn.max_life_ms as f64 / 1e3).ceil() as usize;
    ctx.check_fd_budget(churn.base + in_flight * 2)?;
    let started = start();
    let groups = churn.groups.max(1);
    let sink = Arc::new(Sink::default());
    let plan: Plan =
        Arc::new(move |i| vec![Subscription::new(format!("lg-churn-{}", i % groups), i)]);
    let fleet = subscribe_all(ctx, churn.base, &plan, &sink).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let rss_start = ctx.server_rss();
    let counts = Arc::new(Counts::default());
    let stop_events = CancellationToken::new();
    let events = tokio::spawn(trigger_events(
        ctx.clone(),
        churn.clone(),
        counts.clone(),
        stop_events.clone(),
    ));
    let mut peak = rss_start.unwrap_or(0);
    let mut after = Vec::new();
    for cycle in 0..churn.cycles.max(1) {
        let first = churn.base + cycle * churn.joins_per_cycle();
        peak = peak.max(one_cycle(ctx, churn, first, &counts, &sink).await);
        tokio::time::sleep(Duration::from_secs(churn.settle_secs)).await;
        after.push(ctx.server_rss());
    }
    stop_events.cancel();
    let _ = events.await;
    let dropped = sink.dropped.load(Ordering::SeqCst);
    fleet.close().await;
    let memory = Memory { start: rss_start, peak, after };
    Ok(report(ctx, churn, started, &counts, &sink, dropped, memory))
}

/// Starts `rate` joins per second for `secs`, waits for them to leave, and returns the
/// highest server RSS seen meanwhile.
async fn one_cycle(
    ctx: &Ctx,
    churn: &Churn,
    first: usize,
    counts: &Arc<Counts>,
    sink: &Arc<Sink>,
) -> u64 {
    let mut peak = 0;
    let churners = TaskTracker::new();
    let interval = Duration::from_secs_f64(1.0 / churn.rate.max(0.1));
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(churn.secs);
    let mut next = t0;
    let mut next_sample = t0;
    let mut k = 0usize;
    while next < end {
        tokio::time::sleep_until(next).await;
        if Instant::now() >= next_sample {
            peak = peak.max(ctx.server_rss().unwrap_or(0));
            next_sample += Duration::from_millis(250);
        }
        let life = Duration::from_millis(rand::random_range(
            churn.min_life_ms..=churn.max_life_ms.max(churn.min_life_ms),
        ));
        let group = k % churn.groups.max(1);
        let churner =
            churner(ctx.target.clone(), first + k, group, life, counts.clone(), sink.clone());
        churners.spawn(churner);
        counts.started.fetch_add(1, Ordering::Relaxed);
        k += 1;
        next += interval;
    }
    churners.close();
    let give_up =
        Instant::now() + Duration::from_millis(churn.max_life_ms) + Duration::from_secs(15);
    while tokio::time::timeout(Duration::from_millis(250), churners.wait()).await.is_err() {
        peak = peak.max(ctx.server_rss().unwrap_or(0));
        if Instant::now() > give_up {
            break;
        }
    }
    peak
}

async fn trigger_events(ctx: Ctx, churn: Churn, counts: Arc<Counts>, stop: CancellationToken) {
    let mut triggerer = Triggerer::new(ctx.target.clone(), ctx.payload, 0);
    let interval = Duration::from_secs_f64(1.0 / churn.events_per_sec.max(0.1));
    let mut next = Instant::now();
    let mut k = 0;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep_until(next) => {}
        }
        let group = k % churn.groups.max(1);
        let public = format!("lg-churn-{group}");
        let presence = format!("presence-lg-churn-{group}");
        match triggerer.trigger(&[&public, &presence], 1).await {
            Ok(sent) if sent.status == 200 => counts.triggers.fetch_add(1, Ordering::Relaxed),
            Ok(_) | Err(_) => counts.trigger_errors.fetch_add(1, Ordering::Relaxed),
        };
        k += 1;
        next += interval;
    }
}

async fn churner(
    target: Arc<Target>,
    index: usize,
    group: usize,
    life: Duration,
    counts: Arc<Counts>,
    sink: Arc<Sink>,
) {
    let public = format!("lg-churn-{group}");
    let subscriptions = [
        Subscription::new(public.clone(), index),
        Subscription::new(format!("private-lg-churn-{group}"), index),
        Subscription::new(format!("presence-lg-churn-{group}"), index),
    ];
    let join = async {
        let mut conn = Conn::connect(&target, index).await?;
        conn.subscribe(&target, &subscriptions, Duration::from_secs(10)).await?;
        Ok::<_, Error>(conn)
    };
    let mut conn = match tokio::time::timeout(Duration::from_secs(10), join).await {
        Ok(Ok(conn)) => conn,
        Ok(Err(error)) => {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            return sink.note_error(&error.to_string());
        }
        Err(_) => {
            counts.failed.fetch_add(1, Ordering::Relaxed);
            return sink.note_error("churner: connect and subscribe timed out");
        }
    };
    counts.joined.fetch_add(1, Ordering::Relaxed);
    let until = Instant::now() + life;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(until) => break,
            text = conn.next_text() => match text {
                Ok(text) => sink.on_frame(text, now_nanos()),
                Err(error) => {
                    counts.broken.fetch_add(1, Ordering::Relaxed);
                    return sink.note_error(&error.to_string());
                }
            },
        }
    }
    if conn.unsubscribe(&public).await.is_err() {
        counts.broken.fetch_add(1, Ordering::Relaxed);
    }
    conn.close().await;
}

#[derive(Debug, Clone)]
struct Memory {
    start: Option<u64>,
    peak: u64,
    /// After each cycle.
    after: Vec<Option<u64>>,
}

/// `to` relative to `from`, in percent.
fn change(from: Option<u64>, to: Option<u64>) -> Option<f64> {
    match (from, to) {
        (Some(from), Some(to)) if from > 0 => Some((to as f64 - from as f64) / from as f64 * 100.0),
        _ => None,
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or("?".to_owned(), |v| format!("{v:+.1} %"))
}

impl Memory {
    /// After the last cycle vs before, the first cycle vs before, the last cycle vs the one
    /// before it.
    fn changes(&self) -> [Option<f64>; 3] {
        let end = self.after.last().copied().flatten();
        let first_cycle = change(self.start, self.after.first().copied().flatten());
        let last_cycle = match self.after.as_slice() {
            [.., before, last] => change(*before, *last),
            _ => None,
        };
        [change(self.start, end), first_cycle, last_cycle]
    }
}

fn report(
    ctx: &Ctx,
    churn: &Churn,
    started: (u64, std::time::Instant),
    counts: &Counts,
    sink: &Sink,
    dropped: u64,
    memory: Memory,
) -> Outcome {
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let errors = load(&counts.failed)
        + load(&counts.broken)
        + load(&sink.errors)
        + dropped
        + load(&counts.trigger_errors);
    let [total, _, last_cycle] = memory.changes();
    let mut headlines = Vec::new();
    if let Some(total) = total {
        let line = lower("RSS after churn vs before (%)", (total * 10.0).round() / 10.0);
        headlines.push(aiming(line, Bound::AtMost(10.0)));
    }
    if let Some(last) = last_cycle {
        headlines.push(lower("RSS growth in the last cycle (%)", (last * 10.0).round() / 10.0));
    }
    headlines.push(aiming(lower("churn errors", errors as f64), Bound::AtMost(0.0)));
    headlines.push(higher("joins completed", load(&counts.joined) as f64));
    let params = params([
        ("base", json!(churn.base)),
        ("rate", json!(churn.rate)),
        ("secs", json!(churn.secs)),
        ("cycles", json!(churn.cycles)),
        ("min_life_ms", json!(churn.min_life_ms)),
        ("max_life_ms", json!(churn.max_life_ms)),
        ("events_per_sec", json!(churn.events_per_sec)),
        ("settle_secs", json!(churn.settle_secs)),
        ("groups", json!(churn.groups)),
    ]);
    let table = table(ctx, churn, counts, sink, dropped, &memory);
    let findings = Findings::new(headlines, table, Vec::new(), sink.first_error());
    ctx.outcome("churn", "churn".to_owned(), started, params, findings)
}

fn table(
    ctx: &Ctx,
    churn: &Churn,
    counts: &Counts,
    sink: &Sink,
    dropped: u64,
    memory: &Memory,
) -> Table {
    let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
    let [total, first_cycle, last_cycle] = memory.changes();
    let title = format!(
        "churn: {} base + {}/s joining, {} × {:.0} s ({})",
        churn.base, churn.rate, churn.cycles, churn.secs, ctx.label
    );
    figures(
        title,
        [
            ("joins started", thousands(load(&counts.started))),
            ("joined (3 channels each)", thousands(load(&counts.joined))),
            ("failed to join", thousands(load(&counts.failed))),
            ("broken before leaving", thousands(load(&counts.broken))),
            ("pusher:error frames", thousands(load(&sink.errors))),
            ("base connections dropped", thousands(dropped)),
            ("events triggered", thousands(load(&counts.triggers))),
            ("trigger errors", thousands(load(&counts.trigger_errors))),
            ("events received", thousands(load(&sink.received))),
            ("server RSS before", mb(memory.start)),
            ("server RSS peak", mb(Some(memory.peak))),
            (
                "server RSS after each cycle",
                memory.after.iter().map(|b| mb(*b)).collect::<Vec<_>>().join(", "),
            ),
            ("after vs before", percent(total)),
            ("first cycle vs before", percent(first_cycle)),
            ("last cycle vs the one before", percent(last_cycle)),
        ],
    )
}
