//! The scenarios. Each is bounded in connections and time, prints a table and returns an
//! [`Outcome`] for the JSON file and the summary.
//!
//! - [`idle`]: N subscribed connections; server memory per connection.
//! - [`fanout`]: N subscribers of one channel; trigger → first and last receipt.
//! - [`throughput`]: M channels × S subscribers at a rising event rate.
//! - [`trigger`]: signed HTTP API triggers per second.
//! - [`churn`]: connections coming and going while events flow; memory afterwards.
//! - [`interest`]: several nodes on Redis; what each receives against its own share.
//! - [`cluster`]: 100,000 connections over several nodes from several processes.

pub mod churn;
pub mod cluster;
pub mod fanout;
pub mod idle;
pub mod interest;
pub mod throughput;
pub mod trigger;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use std::time::Duration;

use crate::clock::{event_data, now_nanos};
use crate::fleet::{Fleet, Plan, Sink};
use crate::http::{HttpConn, signed_post, trigger_body, unix_now};
use crate::procfs;
use crate::report::{Bound, Headline, Outcome, Table};
use crate::{Error, Result, Target};

/// What every scenario needs.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The server and app.
    pub target: Arc<Target>,
    /// The server's process, for its memory.
    pub server_pid: Option<u32>,
    /// Which server this is in the summary (`paybell`, `floor`, `soketi`…).
    pub label: String,
    /// The run's name in the summary; the scenario picks one when absent.
    pub name: Option<String>,
    /// Connections opening at once while ramping up.
    pub concurrency: usize,
    /// Bytes of event data.
    pub payload: usize,
}

impl Ctx {
    /// The server's resident memory now, if its PID is known.
    pub fn server_rss(&self) -> Option<u64> {
        self.server_pid.and_then(|pid| procfs::rss_bytes(pid).ok())
    }

    /// Fails early when this process may not open `connections` sockets.
    ///
    /// # Errors
    /// [`Error::Refused`] naming the limit and how to raise it.
    pub fn check_fd_budget(&self, connections: usize) -> Result<()> {
        let Some(limit) = procfs::open_file_limit() else { return Ok(()) };
        let needed = connections as u64 + 64;
        if limit < needed {
            return Err(Error::Refused(format!(
                "{connections} connections need about {needed} open files but the limit is {limit}; raise it (ulimit -n) or ask for fewer"
            )));
        }
        Ok(())
    }

    pub(crate) fn outcome(
        &self,
        scenario: &str,
        default_name: String,
        started: (u64, Instant),
        params: BTreeMap<String, serde_json::Value>,
        findings: Findings,
    ) -> Outcome {
        let Findings { headlines, table, notes } = findings;
        Outcome {
            scenario: scenario.to_owned(),
            name: self.name.clone().unwrap_or(default_name),
            label: self.label.clone(),
            started_unix: started.0,
            duration_secs: started.1.elapsed().as_secs_f64(),
            params,
            headlines,
            table,
            notes,
        }
    }
}

/// What a scenario found: the summary figures, the detailed table, remarks.
#[derive(Debug)]
pub(crate) struct Findings {
    pub(crate) headlines: Vec<Headline>,
    pub(crate) table: Table,
    pub(crate) notes: Vec<String>,
}

impl Findings {
    /// Findings with `table` and `notes`, the first error seen (if any) appended to them.
    pub(crate) fn new(
        headlines: Vec<Headline>,
        table: Table,
        mut notes: Vec<String>,
        first_error: Option<String>,
    ) -> Self {
        if let Some(error) = first_error {
            notes.push(format!("first error: {error}"));
        }
        Self { headlines, table, notes }
    }
}

/// Opens `n` connections subscribed as `plan` says, or fails when not all could subscribe
/// within a minute plus a second per 500.
pub(crate) async fn subscribe_all(
    ctx: &Ctx,
    n: usize,
    plan: &Plan,
    sink: &Arc<Sink>,
) -> Result<Fleet> {
    let fleet = Fleet::spawn(&ctx.target, 0, n, ctx.concurrency, plan, sink.clone());
    let ready = fleet.wait_ready(ramp_timeout(n)).await;
    if ready < n as u64 {
        let error = sink.first_error().unwrap_or_default();
        fleet.close().await;
        return Err(Error::Refused(format!("only {ready} of {n} subscribed: {error}")));
    }
    Ok(fleet)
}

/// How long `n` connections may take to subscribe.
pub(crate) fn ramp_timeout(n: usize) -> Duration {
    Duration::from_secs(60 + n as u64 / 500)
}

/// A two-column `figure | value` table.
pub(crate) fn figures<'a>(
    title: String,
    rows: impl IntoIterator<Item = (&'a str, String)>,
) -> Table {
    let mut table = Table::new(title, &["figure", "value"]);
    for (figure, value) in rows {
        table.row(vec![figure.to_owned(), value]);
    }
    table
}

/// Bytes as megabytes with one decimal, `?` when unknown.
pub(crate) fn mb(bytes: Option<u64>) -> String {
    bytes.map_or("?".to_owned(), |b| format!("{:.1} MB", b as f64 / 1e6))
}

/// The wall-clock and monotonic start of a run.
pub(crate) fn start() -> (u64, Instant) {
    (unix_now(), Instant::now())
}

/// A headline where lower is better.
pub(crate) fn lower(label: &str, value: f64) -> Headline {
    Headline {
        label: label.to_owned(),
        value,
        lower_is_better: true,
        target: None,
        floor_ratio_target: None,
    }
}

/// A headline where higher is better.
pub(crate) fn higher(label: &str, value: f64) -> Headline {
    Headline { lower_is_better: false, ..lower(label, value) }
}

/// `headline` with an absolute target.
pub(crate) fn aiming(headline: Headline, target: Bound) -> Headline {
    Headline { target: Some(target), ..headline }
}

/// Sends stamped events through the HTTP API on one keep-alive connection.
#[derive(Debug)]
pub struct Triggerer {
    target: Arc<Target>,
    conn: Option<HttpConn>,
    payload: usize,
    index: usize,
}

/// One trigger: when it was sent and how the API answered.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// Send time, clock nanos (the stamp in the event).
    pub at: u64,
    /// Request → complete response, nanos.
    pub response: u64,
    /// HTTP status.
    pub status: u16,
}

impl Triggerer {
    /// A triggerer using source address number `index`.
    pub fn new(target: Arc<Target>, payload: usize, index: usize) -> Self {
        Self { target, conn: None, payload, index }
    }

    /// Triggers one event of run `seq` on `channels`, reconnecting if the server closed the
    /// previous connection.
    ///
    /// # Errors
    /// [`Error`] when the request fails.
    pub async fn trigger(&mut self, channels: &[&str], seq: u64) -> Result<Sent> {
        let conn = match &mut self.conn {
            Some(conn) if !conn.is_closed() => conn,
            slot => slot.insert(
                HttpConn::connect(self.target.api_addr, self.target.source(self.index)).await?,
            ),
        };
        let at = now_nanos();
        let data = event_data(seq, at, self.payload);
        let body = trigger_body(channels, "lg-event", &data);
        let request = signed_post(&self.target, "events", &body, unix_now());
        let response = conn.send(&request).await;
        let response = match response {
            Ok(response) => response,
            Err(error) => {
                self.conn = None;
                return Err(error);
            }
        };
        Ok(Sent { at, response: now_nanos().saturating_sub(at), status: response.status })
    }
}

/// `params` from `(name, value)` pairs.
pub(crate) fn params<const N: usize>(
    pairs: [(&str, serde_json::Value); N],
) -> BTreeMap<String, serde_json::Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}
