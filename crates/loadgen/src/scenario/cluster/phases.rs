//! The three phases of a `cluster` run, each measured over every worker process.

use std::time::Duration;

use tokio::time::Instant;

use super::worker::Report;
use super::workers::Workers;
use super::{ALL, Cluster, group, node_target};
use crate::clock::now_nanos;
use crate::procfs;
use crate::report::thousands;
use crate::scenario::{Ctx, Triggerer, mb, ramp_timeout};
use crate::stats::{Histogram, Summary};
use crate::{Error, Result};

/// Longest wait for a command that does not open connections.
const ASK: Duration = Duration::from_secs(20);

/// Pause after closing a phase's connections.
const SETTLE: Duration = Duration::from_secs(15);

/// A fan-out run may take this long to reach everyone.
const RUN_TIMEOUT: Duration = Duration::from_secs(30);

fn sum(reports: &[Report], f: fn(&Report) -> u64) -> u64 {
    reports.iter().map(f).sum()
}

fn first_error(reports: &[Report]) -> Option<String> {
    reports.iter().find_map(|r| r.error.clone())
}

/// How long opening every worker's share may take.
fn join_timeout(cluster: &Cluster, workers: &Workers) -> Duration {
    ramp_timeout(cluster.connections.div_ceil(workers.len().max(1))) + Duration::from_secs(30)
}

/// Each node's RSS, and their sum when every one is known.
fn nodes_rss(pids: &[u32]) -> (Option<u64>, Vec<Option<u64>>) {
    let each: Vec<Option<u64>> = pids.iter().map(|pid| procfs::rss_bytes(*pid).ok()).collect();
    let total = (!each.is_empty()).then(|| each.iter().copied().sum::<Option<u64>>()).flatten();
    (total, each)
}

/// What the idle phase measured.
#[derive(Debug)]
pub(super) struct Idle {
    pub(super) ready: u64,
    pub(super) failed: u64,
    pub(super) dropped: u64,
    pub(super) ramp_secs: f64,
    /// The nodes' summed RSS before the ramp, once subscribed, after the hold.
    pub(super) rss: [Option<u64>; 3],
    /// Each node's RSS once subscribed.
    pub(super) each: Vec<Option<u64>>,
    pub(super) error: Option<String>,
}

impl Idle {
    /// Connections still open after the hold.
    pub(super) fn held(&self) -> u64 {
        self.ready.saturating_sub(self.dropped)
    }

    /// The nodes' RSS growth per subscribed connection.
    pub(super) fn bytes_per_connection(&self) -> Option<u64> {
        let (Some(before), Some(after)) = (self.rss[0], self.rss[1]) else { return None };
        (self.ready > 0).then(|| after.saturating_sub(before) / self.ready)
    }

    /// The nodes' whole RSS per subscribed connection.
    pub(super) fn total_per_connection(&self) -> Option<u64> {
        self.rss[1].filter(|_| self.ready > 0).map(|rss| rss / self.ready)
    }

    /// Each node's memory, for the notes.
    pub(super) fn notes(&self, pids: &[u32]) -> Vec<String> {
        let each: Vec<String> =
            pids.iter().zip(&self.each).map(|(pid, rss)| format!("{pid}: {}", mb(*rss))).collect();
        if each.is_empty() {
            return vec!["node PIDs not given (--server-pids): no memory figures".to_owned()];
        }
        vec![format!("each node's RSS once subscribed: {}", each.join(", "))]
    }
}

/// Every connection on a channel of its own, held `hold_secs`.
pub(super) async fn idle(cluster: &Cluster, workers: &mut Workers) -> Result<Idle> {
    let (before, _) = nodes_rss(&cluster.server_pids);
    let ramp = Instant::now();
    let timeout = join_timeout(cluster, workers);
    let joined = workers.ask("join own", timeout).await?;
    let ramp_secs = ramp.elapsed().as_secs_f64();
    eprintln!(
        "cluster: {} of {} subscribed in {ramp_secs:.1} s; holding {} s",
        thousands(sum(&joined, |r| r.ready)),
        thousands(cluster.connections as u64),
        cluster.hold_secs
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (subscribed, each) = nodes_rss(&cluster.server_pids);
    tokio::time::sleep(Duration::from_secs(cluster.hold_secs)).await;
    let held = workers.ask("status", ASK).await?;
    let (after, _) = nodes_rss(&cluster.server_pids);
    workers.ask("close", ASK).await?;
    // The nodes give 100,000 subscriptions back to Redis: let that settle before the next ramp.
    tokio::time::sleep(SETTLE).await;
    Ok(Idle {
        ready: sum(&held, |r| r.ready),
        failed: sum(&held, |r| r.failed),
        dropped: sum(&held, |r| r.dropped),
        ramp_secs,
        rss: [before, subscribed, after],
        each,
        error: first_error(&held),
    })
}

/// One fan-out run: nanoseconds after the trigger.
#[derive(Debug, Clone, Copy)]
pub(super) struct Run {
    first: Option<u64>,
    last: Option<u64>,
    delivered: u64,
}

/// What the fan-out phase measured.
#[derive(Debug)]
pub(super) struct Fanout {
    pub(super) subscribers: u64,
    /// Connections that could not subscribe: nothing is expected for them.
    pub(super) failed: u64,
    pub(super) error: Option<String>,
    pub(super) runs: Vec<Run>,
}

impl Fanout {
    pub(super) fn first(&self) -> Option<Summary> {
        Summary::of(&self.runs.iter().filter_map(|r| r.first).collect::<Vec<_>>())
    }

    pub(super) fn last(&self) -> Option<Summary> {
        Summary::of(&self.runs.iter().filter_map(|r| r.last).collect::<Vec<_>>())
    }

    pub(super) fn missing(&self) -> u64 {
        self.runs.iter().map(|r| self.subscribers.saturating_sub(r.delivered)).sum()
    }
}

/// Every connection on `lg-all` (and one group channel, for the steady phase); one trigger
/// to `lg-all` per run, sent to the first node.
pub(super) async fn fanout(ctx: &Ctx, cluster: &Cluster, workers: &mut Workers) -> Result<Fanout> {
    let join = format!("join shared {}", cluster.channels);
    let timeout = join_timeout(cluster, workers);
    let joined = workers.ask(&join, timeout).await?;
    let subscribers = sum(&joined, |r| r.ready);
    if subscribers == 0 {
        let error = first_error(&joined).unwrap_or_default();
        return Err(Error::Refused(format!("none subscribed: {error}")));
    }
    let mut triggerer = Triggerer::new(node_target(ctx, cluster.ports[0]), ctx.payload, 0);
    let mut runs = Vec::with_capacity(cluster.fanout_runs);
    for seq in 0..=cluster.fanout_runs as u64 {
        workers.ask(&format!("run {seq}"), ASK).await?;
        let sent = triggerer.trigger(&[ALL], seq).await?;
        if sent.status != 200 {
            return Err(Error::Refused(format!("trigger answered HTTP {}", sent.status)));
        }
        let deadline = Instant::now() + RUN_TIMEOUT;
        let reports = loop {
            let reports = workers.ask("status", ASK).await?;
            if sum(&reports, |r| r.count) >= subscribers || Instant::now() >= deadline {
                break reports;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let first = reports.iter().filter_map(|r| r.first).min();
        let last = reports.iter().filter_map(|r| r.last).max();
        let run = Run {
            first: first.map(|t| t.saturating_sub(sent.at)),
            last: last.map(|t| t.saturating_sub(sent.at)),
            delivered: sum(&reports, |r| r.count),
        };
        eprintln!(
            "cluster: fan-out run {seq}: {} delivered, last after {:.1} ms",
            thousands(run.delivered),
            run.last.unwrap_or(0) as f64 / 1e6
        );
        // Run 0 warms up.
        if seq > 0 {
            runs.push(run);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let failed = (cluster.connections as u64).saturating_sub(subscribers);
    Ok(Fanout { subscribers, failed, runs, error: first_error(&joined) })
}

/// What the steady phase measured.
#[derive(Debug)]
pub(super) struct Steady {
    pub(super) per_channel: u64,
    pub(super) sent: u64,
    pub(super) trigger_errors: u64,
    pub(super) expected: u64,
    pub(super) delivered: u64,
    pub(super) span_secs: f64,
    /// Every delivery's latency, microseconds.
    pub(super) latency: Option<Summary>,
    pub(super) dropped: u64,
    pub(super) error: Option<String>,
}

impl Steady {
    pub(super) fn rate(&self) -> f64 {
        self.delivered as f64 / self.span_secs.max(1e-9)
    }
}

/// The steady phase's run: after the fan-out runs.
const STEADY_SEQ: u64 = 1_000_000;

/// An event per second to every group channel for `steady_secs`, the channels' triggers
/// spread evenly over each second and over the nodes' HTTP APIs.
pub(super) async fn steady(
    ctx: &Ctx,
    cluster: &Cluster,
    workers: &mut Workers,
    unsubscribed: u64,
) -> Result<Steady> {
    let channels = cluster.channels.max(1);
    let n = cluster.connections;
    let subscribers = move |j: usize| (n / channels + usize::from(j < n % channels)) as u64;
    workers.ask(&format!("run {STEADY_SEQ}"), ASK).await?;
    let start = Instant::now();
    let started_at = now_nanos();
    let nodes = cluster.ports.len();
    let secs = cluster.steady_secs;
    let tasks: Vec<_> = cluster
        .ports
        .iter()
        .enumerate()
        .map(|(k, port)| {
            let mut triggerer = Triggerer::new(node_target(ctx, *port), ctx.payload, k);
            tokio::spawn(async move {
                let (mut sent, mut errors, mut expected) = (0u64, 0u64, 0u64);
                let slack = start + Duration::from_secs(secs + 5);
                for s in 0..secs {
                    for j in (k..channels).step_by(nodes) {
                        let at = Duration::from_secs(s)
                            + Duration::from_secs(1) * j as u32 / channels as u32;
                        tokio::time::sleep_until(start + at).await;
                        if Instant::now() > slack {
                            return (sent, errors, expected);
                        }
                        match triggerer.trigger(&[&group(j)], STEADY_SEQ).await {
                            Ok(done) if done.status == 200 => {
                                sent += 1;
                                expected += subscribers(j);
                            }
                            Ok(_) | Err(_) => errors += 1,
                        }
                    }
                }
                (sent, errors, expected)
            })
        })
        .collect();
    let (mut sent, mut trigger_errors, mut expected) = (0, 0, 0);
    for task in tasks {
        let (s, e, x) = task.await.unwrap_or((0, 0, 0));
        sent += s;
        trigger_errors += e;
        expected += x;
    }
    // A connection that could not subscribe misses its group's events.
    expected = expected.saturating_sub(unsubscribed * (sent / channels as u64));
    let grace = Instant::now() + Duration::from_secs(15);
    loop {
        let reports = workers.ask("status", ASK).await?;
        if sum(&reports, |r| r.count) >= expected || Instant::now() >= grace {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reports = workers.ask("hist", ASK).await?;
    let merged = Histogram::default();
    for report in &reports {
        if let Some((buckets, max)) = &report.buckets {
            merged.merge(buckets, *max);
        }
    }
    let last = reports.iter().filter_map(|r| r.last).max().unwrap_or(started_at);
    workers.ask("close", ASK).await?;
    Ok(Steady {
        per_channel: subscribers(0),
        sent,
        trigger_errors,
        expected,
        delivered: sum(&reports, |r| r.count),
        span_secs: (last.saturating_sub(started_at) as f64 / 1e9).max(secs as f64),
        latency: merged.summary(),
        dropped: sum(&reports, |r| r.dropped),
        error: first_error(&reports),
    })
}
