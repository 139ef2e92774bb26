//! The Overview's last hour: each app's connections and delivered messages per second,
//! sampled on this node every 10 s whether or not a console is open, so a reloaded page
//! still has its graphs. 360 samples per app, a few kilobytes. In a cluster each sample is
//! also kept in Redis for an hour, and [`cluster`] adds the nodes' series up.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::apps::Apps;
use crate::cluster::{Backend, Cluster, Consoles, NodeSamples};

/// Time between samples.
pub(crate) const EVERY: Duration = Duration::from_secs(10);
/// Samples kept: one hour.
const KEPT: usize = 360;

/// One moment of one app.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct Sample {
    /// Unix milliseconds.
    pub(crate) time: u64,
    pub(crate) connections: usize,
    /// Frames written to clients per second since the previous sample.
    pub(crate) messages_per_second: f64,
}

#[derive(Debug, Default)]
struct Series {
    samples: VecDeque<Sample>,
    /// Messages sent at the previous sample.
    last_total: Option<u64>,
}

/// Every app's samples.
#[derive(Debug, Default)]
pub(crate) struct History {
    series: Mutex<HashMap<String, Series>>,
}

impl History {
    /// An app's samples, oldest first.
    pub(crate) fn of(&self, app_id: &str) -> Vec<Sample> {
        let series = self.series.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        series.get(app_id).map(|s| s.samples.iter().copied().collect()).unwrap_or_default()
    }

    /// Adds one sample per app: `total` is its count of messages sent now, `elapsed` the time since
    /// the previous sample.
    pub(crate) fn add(
        &self,
        app_id: &str,
        time: u64,
        connections: usize,
        total: u64,
        elapsed: Duration,
    ) -> Sample {
        let mut series = self.series.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let series = series.entry(app_id.to_owned()).or_default();
        let sent = series.last_total.map_or(0, |last| total.saturating_sub(last));
        series.last_total = Some(total);
        let seconds = elapsed.as_secs_f64().max(0.001);
        let messages_per_second = (sent as f64 / seconds * 10.0).round() / 10.0;
        let sample = Sample { time, connections, messages_per_second };
        series.samples.push_back(sample);
        while series.samples.len() > KEPT {
            series.samples.pop_front();
        }
        sample
    }
}

/// Samples every app every [`EVERY`] until `stop`; in a cluster, keeps them in Redis too.
pub(crate) async fn sample(
    apps: Apps,
    history: Arc<History>,
    cluster: Option<Arc<Backend>>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut previous = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            now = tick.tick() => {
                let time = super::session::now_secs() * 1000;
                let mut shared = Vec::new();
                for app in apps.all().iter().filter(|app| app.config().console) {
                    let total = app.usage().sent.messages.load(Ordering::Relaxed);
                    let id = app.id().as_str();
                    let sample =
                        history.add(id, time, app.connection_count(), total, now - previous);
                    if let Ok(json) = serde_json::to_string(&sample) {
                        shared.push((id.to_owned(), json));
                    }
                }
                previous = now;
                if let Some(cluster) = &cluster
                    && let Err(error) = cluster.store_samples(&shared).await {
                        cluster.failed("console samples", &error);
                    }
            }
        }
    }
}

/// A node whose newest sample is older than this is not counted in "connections now".
const STALE: u64 = 3 * EVERY.as_millis() as u64;
/// Samples older than this are left out.
const HOUR_MS: u64 = 60 * 60 * 1000;

/// The cluster's Overview of an app: each node's series (this one's `connections` live) and
/// their sum, bucketed by [`EVERY`] (a node's last sample in each bucket).
pub(crate) fn cluster(this: &str, live: usize, nodes: Vec<NodeSamples>, now: u64) -> Value {
    let every = EVERY.as_millis() as u64;
    let mut sum: BTreeMap<u64, Sample> = BTreeMap::new();
    let mut listed = Vec::new();
    let mut connections = 0;
    for NodeSamples { node, samples } in nodes {
        let samples: Vec<Sample> = samples
            .iter()
            .filter_map(|s| serde_json::from_str::<Sample>(s).ok())
            .filter(|s| s.time + HOUR_MS >= now)
            .collect();
        let mut buckets = BTreeMap::new();
        for sample in &samples {
            buckets.insert(sample.time / every, *sample);
        }
        for (bucket, sample) in buckets {
            let total = sum.entry(bucket).or_insert(Sample {
                time: bucket * every,
                connections: 0,
                messages_per_second: 0.0,
            });
            total.connections += sample.connections;
            total.messages_per_second =
                ((total.messages_per_second + sample.messages_per_second) * 10.0).round() / 10.0;
        }
        let own = node == this;
        let now_here = match samples.last() {
            _ if own => live,
            Some(last) if last.time + STALE >= now => last.connections,
            _ => 0,
        };
        connections += now_here;
        listed.push(
            json!({ "node": node, "this": own, "connections": now_here, "history": samples }),
        );
    }
    let history: Vec<Sample> = sum.into_values().collect();
    json!({ "nodes": listed, "cluster": { "connections": connections, "history": history } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_from_the_difference_and_an_hour_is_kept() {
        let history = History::default();
        history.add("a", 0, 1, 100, EVERY);
        history.add("a", 10_000, 2, 150, EVERY);
        let samples = history.of("a");
        assert_eq!(samples[0].messages_per_second, 0.0, "no rate before a difference");
        assert_eq!(samples[1], Sample { time: 10_000, connections: 2, messages_per_second: 5.0 });
        for i in 0..400 {
            history.add("a", i, 0, 150, EVERY);
        }
        assert_eq!(history.of("a").len(), KEPT);
        assert!(history.of("b").is_empty());
    }

    #[test]
    fn the_cluster_sums_its_nodes_by_bucket() {
        let sample = |time: u64, connections: usize, rate: f64| {
            serde_json::to_string(&Sample { time, connections, messages_per_second: rate }).unwrap()
        };
        let now = 1_000_000_000;
        let nodes = vec![
            NodeSamples {
                node: "a".into(),
                samples: vec![sample(now - 20_000, 1, 1.5), sample(now - 10_000, 2, 2.0)],
            },
            NodeSamples {
                node: "b".into(),
                samples: vec![
                    sample(now - HOUR_MS - 1, 50, 50.0),
                    sample(now - 18_000, 3, 0.5),
                    sample(now - 8_000, 4, 1.0),
                ],
            },
            NodeSamples { node: "gone".into(), samples: vec![sample(now - 600_000, 9, 0.0)] },
        ];
        let view = cluster("a", 7, nodes, now);
        assert_eq!(view["nodes"][0]["connections"], 7, "this node's count is live");
        assert_eq!(view["nodes"][1]["connections"], 4);
        assert_eq!(view["nodes"][1]["history"].as_array().unwrap().len(), 2, "an hour only");
        assert_eq!(view["nodes"][2]["connections"], 0, "a silent node counts no one now");
        assert_eq!(view["cluster"]["connections"], 11);
        let history = view["cluster"]["history"].as_array().unwrap();
        let totals: Vec<(u64, f64)> = history
            .iter()
            .map(|s| {
                (s["connections"].as_u64().unwrap(), s["messages_per_second"].as_f64().unwrap())
            })
            .collect();
        assert_eq!(totals, vec![(9, 0.0), (4, 2.0), (6, 3.0)]);
    }
}
