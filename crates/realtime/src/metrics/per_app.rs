//! Each app's usage: plain atomics beside the app, read into a [`Collector`] at scrape time
//! so that apps added or removed while the server runs need no registration.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use super::histogram::{Histogram, Snapshot};
use crate::conn::Sent;

/// One app's usage.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    pub(crate) connections_total: AtomicU64,
    pub(crate) messages_in: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    /// Frames and bytes written to clients, shared with the app's connections, which count
    /// what they write (senders writing straight into a socket among them).
    pub(crate) sent: Arc<Sent>,
    pub(crate) slow_client_closes: AtomicU64,
    pub(crate) api_events: AtomicU64,
    /// Handing one event to every subscriber (socket or queue) of this node.
    pub(crate) publish_latency: Histogram,
    /// From the trigger (or, with Redis, the frame's arrival from the bus) until every
    /// subscriber's connection has written the frame.
    pub(crate) fanout: Histogram,
}

/// Picks one counter out of a [`Usage`].
type UsageField = fn(&Usage) -> &AtomicU64;

/// Picks one histogram out of an app's figures.
type HistogramField = fn(&AppFigures) -> &Snapshot;

/// The counters, as `(name without _total, help, field)`.
const COUNTERS: [(&str, &str, UsageField); 7] = [
    ("paybell_connections_opened", "WebSocket connections opened.", |u| &u.connections_total),
    ("paybell_ws_messages_received", "Messages received from clients.", |u| &u.messages_in),
    ("paybell_ws_messages_sent", "Messages sent to clients.", |u| &u.sent.messages),
    ("paybell_ws_bytes_received", "Bytes received from clients.", |u| &u.bytes_in),
    ("paybell_ws_bytes_sent", "Bytes sent to clients.", |u| &u.sent.bytes),
    (
        "paybell_slow_client_closes",
        "Connections closed with 4100 because their queue was full.",
        |u| &u.slow_client_closes,
    ),
    ("paybell_api_events", "Events triggered through the HTTP API or in-process.", |u| {
        &u.api_events
    }),
];

/// One app's figures at scrape time.
#[derive(Debug)]
struct AppFigures {
    labels: [(&'static str, String); 1],
    connections: i64,
    counters: [u64; COUNTERS.len()],
    publish: Snapshot,
    fanout: Snapshot,
}

/// Every app's figures at one scrape.
#[derive(Debug)]
pub(crate) struct AppsCollector(Vec<AppFigures>);

impl AppsCollector {
    /// Reads each app's `(id, connections, usage)`.
    pub(crate) fn read<'a>(apps: impl Iterator<Item = (&'a str, usize, &'a Usage)>) -> Self {
        let figures = apps
            .map(|(id, connections, usage)| AppFigures {
                labels: [("app_id", id.to_owned())],
                connections: i64::try_from(connections).unwrap_or(i64::MAX),
                counters: COUNTERS.map(|(_, _, field)| field(usage).load(Ordering::Relaxed)),
                publish: usage.publish_latency.snapshot(),
                fanout: usage.fanout.snapshot(),
            })
            .collect();
        Self(figures)
    }
}

impl Collector for AppsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let help = "Open WebSocket connections.";
        let mut family =
            encoder.encode_descriptor("paybell_connections", help, None, MetricType::Gauge)?;
        for app in &self.0 {
            ConstGauge::new(app.connections).encode(family.encode_family(&app.labels)?)?;
        }
        for (i, (name, help, _)) in COUNTERS.iter().enumerate() {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for app in &self.0 {
                ConstCounter::new(app.counters[i]).encode(family.encode_family(&app.labels)?)?;
            }
        }
        let histograms: [(&str, &str, HistogramField); 2] = [
            (
                "paybell_publish_seconds",
                "Time to hand one event to every subscriber socket or queue.",
                |a| &a.publish,
            ),
            (
                "paybell_fanout_seconds",
                "Time from a trigger until every subscriber's connection wrote its frame.",
                |a| &a.fanout,
            ),
        ];
        for (name, help, snapshot) in histograms {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Histogram)?;
            for app in &self.0 {
                snapshot(app).encode(family.encode_family(&app.labels)?)?;
            }
        }
        Ok(())
    }
}
