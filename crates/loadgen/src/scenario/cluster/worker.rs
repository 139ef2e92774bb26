//! One load-generator process of a `cluster` run (`paybell-loadgen cluster-worker`, started
//! by the coordinator, never by hand): it holds its share of the connections, spread over
//! the nodes, and answers one line of JSON ([`Report`]) per command line read from stdin.
//! It stops at `quit`, at the end of stdin (the coordinator is gone) or after `--max-secs`.

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::Result;
use crate::clock;
use crate::fleet::{Fleet, Plan, Sink};
use crate::pusher::Subscription;
use crate::scenario::{Ctx, ramp_timeout};

/// The `cluster-worker` parameters, given by the coordinator.
#[derive(Debug, Clone, clap::Args)]
pub struct Worker {
    /// The nodes' ports, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub ports: Vec<u16>,
    /// Index of this worker's first connection (channels and source addresses follow it).
    #[arg(long)]
    pub first: usize,
    /// Connections this worker holds.
    #[arg(long)]
    pub count: usize,
    /// The coordinator's clock epoch (Unix nanoseconds), so receipts are on its clock.
    #[arg(long)]
    pub epoch: u64,
    /// Stop by itself after this many seconds.
    #[arg(long, default_value_t = 1_800)]
    pub max_secs: u64,
}

/// What a worker answers to every command: its connections and the current run's receipts.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Report {
    pub(crate) ready: u64,
    pub(crate) failed: u64,
    pub(crate) dropped: u64,
    pub(crate) errors: u64,
    /// Receipts of the current run, and its first and last (coordinator clock nanos).
    pub(crate) count: u64,
    pub(crate) first: Option<u64>,
    pub(crate) last: Option<u64>,
    /// The current run's latency histogram (`hist` only): non-empty buckets and maximum.
    pub(crate) buckets: Option<(Vec<(usize, u64)>, u64)>,
    pub(crate) error: Option<String>,
}

/// The connections one worker holds, one fleet per node.
struct Held {
    fleets: Vec<Fleet>,
    sink: Arc<Sink>,
}

/// Serves commands until `quit`, the end of stdin, or `--max-secs`.
///
/// # Errors
/// When this process may not open that many sockets.
pub async fn serve(ctx: &Ctx, worker: &Worker) -> Result<()> {
    ctx.check_fd_budget(worker.count)?;
    clock::align_to(worker.epoch);
    let mut commands = stdin_lines();
    let stop = tokio::time::sleep(Duration::from_secs(worker.max_secs));
    tokio::pin!(stop);
    let mut held = Held { fleets: Vec::new(), sink: Arc::new(Sink::default()) };
    loop {
        let line = tokio::select! {
            line = commands.recv() => line,
            () = &mut stop => None,
        };
        let Some(line) = line else { break };
        let mut words = line.split_whitespace();
        let report = match (words.next(), words.next(), words.next()) {
            (Some("quit"), ..) => break,
            (Some("join"), Some(kind), channels) => {
                held.close().await;
                held = join(ctx, worker, kind, channels.and_then(|c| c.parse().ok())).await;
                held.report(false)
            }
            (Some("run"), Some(seq), _) => {
                held.sink.start_run(seq.parse().unwrap_or(u64::MAX));
                held.report(false)
            }
            (Some("status"), ..) => held.report(false),
            (Some("hist"), ..) => held.report(true),
            (Some("close"), ..) => {
                held.close().await;
                held.report(false)
            }
            _ => Report { error: Some(format!("unknown command {line:?}")), ..Report::default() },
        };
        if !answer(&report) {
            break;
        }
    }
    held.close().await;
    Ok(())
}

/// The connection plans: `own`, one channel per connection (payers on their own invoice);
/// `shared N`, every connection on `lg-all` and on one of N group channels.
fn plan(kind: &str, channels: Option<usize>) -> Plan {
    match (kind, channels) {
        ("shared", Some(groups)) => {
            let groups = groups.max(1);
            Arc::new(move |i| {
                vec![
                    Subscription::new(super::ALL, i),
                    Subscription::new(super::group(i % groups), i),
                ]
            })
        }
        _ => Arc::new(|i| vec![Subscription::new(format!("lg-own-{i}"), i)]),
    }
}

/// Opens this worker's connections, a contiguous share on each node, and waits until every
/// one is subscribed or failed.
async fn join(ctx: &Ctx, worker: &Worker, kind: &str, channels: Option<usize>) -> Held {
    let plan = plan(kind, channels);
    let sink = Arc::new(Sink::default());
    let nodes = worker.ports.len().max(1);
    let concurrency = (ctx.concurrency / nodes).max(1);
    let mut fleets = Vec::with_capacity(nodes);
    let mut first = worker.first;
    for (k, port) in worker.ports.iter().enumerate() {
        let size = worker.count / nodes + usize::from(k < worker.count % nodes);
        let target = super::node_target(ctx, *port);
        fleets.push(Fleet::spawn(&target, first, size, concurrency, &plan, sink.clone()));
        first += size;
    }
    // The fleets share one sink: wait for all of them, not for any one's size.
    let deadline = tokio::time::Instant::now() + ramp_timeout(worker.count);
    while tokio::time::Instant::now() < deadline {
        let done = sink.ready.load(Ordering::SeqCst) + sink.failed.load(Ordering::SeqCst);
        if done >= worker.count as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Held { fleets, sink }
}

impl Held {
    fn report(&self, histogram: bool) -> Report {
        let sink = &self.sink;
        let run = sink.run();
        Report {
            ready: sink.ready.load(Ordering::SeqCst),
            failed: sink.failed.load(Ordering::SeqCst),
            dropped: sink.dropped.load(Ordering::SeqCst),
            errors: sink.errors.load(Ordering::SeqCst),
            count: run.count,
            first: run.first,
            last: run.last,
            buckets: histogram.then(|| sink.latency.snapshot()),
            error: sink.first_error(),
        }
    }

    async fn close(&mut self) {
        for fleet in self.fleets.drain(..) {
            fleet.close().await;
        }
    }
}

/// Writes one report line; `false` when stdout is gone (the coordinator ended).
fn answer(report: &Report) -> bool {
    let Ok(line) = serde_json::to_string(report) else { return false };
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").and_then(|()| out.flush()).is_ok()
}

/// Stdin's lines, read on a thread of their own (stdin is blocking); the channel closes at
/// the end of stdin.
fn stdin_lines() -> mpsc::Receiver<String> {
    let (lines, receiver) = mpsc::channel(16);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines.blocking_send(line).is_err() {
                break;
            }
        }
    });
    receiver
}
