//! `interest`: several nodes of one cluster, channels whose subscribers all sit on one node
//! each, events spread evenly over the channels at a fixed rate through every node's HTTP
//! API. Reports what each node received from Redis (its `/metrics`, when a token is given)
//! against its own share: the events of its channels. Routing by interest keeps the ratio
//! near 1; a node that hears every frame of the deployment has ratio = number of nodes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::{Ctx, Findings, Triggerer, aiming, lower, params, start};
use crate::fleet::{Fleet, Plan, Sink};
use crate::http::HttpConn;
use crate::pusher::Subscription;
use crate::report::{Bound, Outcome, Table, thousands, us_as_ms};
use crate::{Error, Result, Target};

/// The `interest` scenario's parameters (the doc comments are the command line's help).
#[derive(Debug, Clone, clap::Args)]
pub struct Interest {
    /// Every node's port, comma-separated (WebSocket and HTTP API; `--port` is ignored).
    #[arg(long, value_delimiter = ',', required = true)]
    pub nodes: Vec<u16>,
    /// Channels; channel i's subscribers are all on node i mod nodes.
    #[arg(long, default_value_t = 1_000)]
    pub channels: usize,
    /// Subscribers per channel.
    #[arg(long, default_value_t = 1)]
    pub subscribers: usize,
    /// Events per second, over all channels in turn.
    #[arg(long, default_value_t = 5_000.0)]
    pub rate: f64,
    /// Seconds of sending.
    #[arg(long, default_value_t = 20.0)]
    pub secs: f64,
    /// HTTP connections sending triggers, spread over the nodes.
    #[arg(long, default_value_t = 8)]
    pub http_connections: usize,
    /// Bearer token of the nodes' `/metrics`, to read what each received from Redis.
    #[arg(long)]
    pub metrics_token: Option<String>,
}

fn channel(i: usize) -> String {
    format!("lg-interest-{i}")
}

/// What one node received from Redis during the run, from its `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
struct Received {
    frames: u64,
    bytes: u64,
}

/// Runs the scenario.
///
/// # Errors
/// When the subscribers cannot all subscribe.
pub async fn run(ctx: &Ctx, it: &Interest) -> Result<Outcome> {
    let n = it.nodes.len();
    if n == 0 || it.channels < n {
        return Err(Error::Refused("need at least one node and a channel per node".to_owned()));
    }
    ctx.check_fd_budget(it.channels * it.subscribers + it.http_connections)?;
    let started = start();
    let targets: Vec<Arc<Target>> = it.nodes.iter().map(|port| node(ctx, *port)).collect();
    let sink = Arc::new(Sink::default());
    let mut fleets = Vec::new();
    for (k, target) in targets.iter().enumerate() {
        // Node k holds channels k, k + n, k + 2n, …
        let mine = (it.channels - k).div_ceil(n);
        let plan: Plan = Arc::new(move |i| vec![Subscription::new(channel(k + (i % mine) * n), i)]);
        let size = mine * it.subscribers;
        fleets.push(Fleet::spawn(target, 0, size, ctx.concurrency, &plan, sink.clone()));
    }
    let total = it.channels * it.subscribers;
    let deadline = Instant::now() + super::ramp_timeout(total);
    while sink.ready.load(std::sync::atomic::Ordering::SeqCst) < total as u64 {
        if Instant::now() > deadline || sink.failed.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            for fleet in fleets {
                fleet.close().await;
            }
            let error = sink.first_error().unwrap_or_default();
            return Err(Error::Refused(format!("not every subscriber subscribed: {error}")));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let token = it.metrics_token.as_deref();
    let before = read_all(&targets, token).await;
    sink.start_run(1);
    let sending = Instant::now();
    let sent = send(ctx, it, &targets).await;
    let took = sending.elapsed().as_secs_f64();
    let events = sent.iter().sum::<u64>();
    let expected = events * it.subscribers as u64;
    let grace = Instant::now() + Duration::from_secs(5);
    while sink.run().count < expected && Instant::now() < grace {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = read_all(&targets, token).await;
    let delivered = sink.run().count;
    let latency = sink.latency.summary();
    for fleet in fleets {
        fleet.close().await;
    }
    let rows: Vec<Row> = (0..n)
        .map(|k| Row {
            port: it.nodes[k],
            own: sent[k],
            received: match (before[k], after[k]) {
                (Some(b), Some(a)) => Some(Received {
                    frames: a.frames.saturating_sub(b.frames),
                    bytes: a.bytes.saturating_sub(b.bytes),
                }),
                _ => None,
            },
        })
        .collect();
    let mut notes = vec![format!(
        "sent {} events in {took:.1} s ({:.0}/s); delivered {} of {} (p50 {}, p99 {} ms)",
        thousands(events),
        events as f64 / took.max(1e-9),
        thousands(delivered),
        thousands(expected),
        latency.map_or("?".to_owned(), |l| us_as_ms(l.p50)),
        latency.map_or("?".to_owned(), |l| us_as_ms(l.p99)),
    )];
    if token.is_none() {
        notes.push("no --metrics-token: what the nodes received is not read".to_owned());
    }
    Ok(report(ctx, it, started, &rows, notes, sink.first_error()))
}

/// The target of the node on `port` (same host and app).
fn node(ctx: &Ctx, port: u16) -> Arc<Target> {
    let mut target = (*ctx.target).clone();
    target.addr = SocketAddr::new(target.addr.ip(), port);
    target.api_addr = target.addr;
    Arc::new(target)
}

/// Triggers `rate` events a second for `secs`, channel after channel, each worker through
/// one node's API; returns the events accepted per node whose channels they were for.
async fn send(ctx: &Ctx, it: &Interest, targets: &[Arc<Target>]) -> Vec<u64> {
    let n = targets.len();
    let workers = it.http_connections.max(1);
    let interval = Duration::from_secs_f64(workers as f64 / it.rate);
    let t0 = Instant::now();
    let end = t0 + Duration::from_secs_f64(it.secs);
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let mut triggerer = Triggerer::new(targets[w % n].clone(), ctx.payload, w);
            let channels = it.channels;
            tokio::spawn(async move {
                let mut sent = vec![0u64; n];
                let mut next = t0 + interval.mul_f64(w as f64 / workers as f64);
                let mut k = w;
                while next < end {
                    tokio::time::sleep_until(next).await;
                    let c = k % channels;
                    if let Ok(s) = triggerer.trigger(&[&channel(c)], 1).await
                        && s.status == 200
                    {
                        sent[c % n] += 1;
                    }
                    k += workers;
                    next += interval;
                }
                sent
            })
        })
        .collect();
    let mut sent = vec![0u64; n];
    for task in tasks {
        for (total, s) in sent.iter_mut().zip(task.await.unwrap_or_default()) {
            *total += s;
        }
    }
    sent
}

async fn read_all(targets: &[Arc<Target>], token: Option<&str>) -> Vec<Option<Received>> {
    let mut all = Vec::new();
    for target in targets {
        let read = match token {
            Some(token) => read(target.addr, token).await.ok().flatten(),
            None => None,
        };
        all.push(read);
    }
    all
}

/// The node's Redis receive counters; `None` when it does not report them.
async fn read(addr: SocketAddr, token: &str) -> Result<Option<Received>> {
    let mut conn = HttpConn::connect(addr, None).await?;
    let request = format!(
        "GET /metrics HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {token}\r\nconnection: close\r\n\r\n"
    );
    let response = conn.send(request.as_bytes()).await?;
    let text = String::from_utf8_lossy(&response.body);
    let figure = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .map(|value| value as u64)
    };
    Ok(figure("paybell_redis_frames_received_total")
        .zip(figure("paybell_redis_bytes_received_total"))
        .map(|(frames, bytes)| Received { frames, bytes }))
}

#[derive(Debug)]
struct Row {
    port: u16,
    /// Events for the node's own channels.
    own: u64,
    received: Option<Received>,
}

fn report(
    ctx: &Ctx,
    it: &Interest,
    started: (u64, std::time::Instant),
    rows: &[Row],
    notes: Vec<String>,
    first_error: Option<String>,
) -> Outcome {
    let title = format!(
        "interest: {} nodes, {} channels × {} subscribers, {} events/s for {} s ({})",
        rows.len(),
        it.channels,
        it.subscribers,
        it.rate,
        it.secs,
        ctx.label
    );
    let headers = ["node port", "own events", "frames from Redis", "× own", "bytes from Redis"];
    let mut table = Table::new(title, &headers);
    let mut worst: Option<f64> = None;
    for row in rows {
        let ratio = row.received.map(|r| r.frames as f64 / row.own.max(1) as f64);
        if let Some(ratio) = ratio {
            worst = Some(worst.map_or(ratio, |w| w.max(ratio)));
        }
        table.row(vec![
            row.port.to_string(),
            thousands(row.own),
            row.received.map_or("?".to_owned(), |r| thousands(r.frames)),
            ratio.map_or("?".to_owned(), |r| format!("{r:.2}")),
            row.received.map_or("?".to_owned(), |r| thousands(r.bytes)),
        ]);
    }
    let headlines = worst
        .map(|w| {
            vec![aiming(lower("frames from Redis, worst node × own share", w), Bound::AtMost(1.5))]
        })
        .unwrap_or_default();
    let findings = Findings::new(headlines, table, notes, first_error);
    let name = format!("interest-{}x{}", rows.len(), it.channels);
    let params = params([
        ("nodes", json!(it.nodes)),
        ("channels", json!(it.channels)),
        ("subscribers", json!(it.subscribers)),
        ("rate", json!(it.rate)),
        ("secs", json!(it.secs)),
        ("http_connections", json!(it.http_connections)),
        ("payload", json!(ctx.payload)),
    ]);
    ctx.outcome("interest", name, started, params, findings)
}
