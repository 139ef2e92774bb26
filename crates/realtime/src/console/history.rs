//! The Overview's last hour: each app's connections and delivered messages per second,
//! sampled on this node every 10 s whether or not a console is open, so a reloaded page
//! still has its graphs. 360 samples per app, a few kilobytes.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::apps::Apps;

/// Time between samples.
pub(crate) const EVERY: Duration = Duration::from_secs(10);
/// Samples kept: one hour.
const KEPT: usize = 360;

/// One moment of one app.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
    /// `messages_out` at the previous sample.
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

    /// Adds one sample per app: `total` is its `messages_out` now, `elapsed` the time since
    /// the previous sample.
    pub(crate) fn add(
        &self,
        app_id: &str,
        time: u64,
        connections: usize,
        total: u64,
        elapsed: Duration,
    ) {
        let mut series = self.series.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let series = series.entry(app_id.to_owned()).or_default();
        let sent = series.last_total.map_or(0, |last| total.saturating_sub(last));
        series.last_total = Some(total);
        let seconds = elapsed.as_secs_f64().max(0.001);
        let messages_per_second = (sent as f64 / seconds * 10.0).round() / 10.0;
        series.samples.push_back(Sample { time, connections, messages_per_second });
        while series.samples.len() > KEPT {
            series.samples.pop_front();
        }
    }
}

/// Samples every app every [`EVERY`] until `stop`.
pub(crate) async fn sample(apps: Apps, history: std::sync::Arc<History>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut previous = tokio::time::Instant::now();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            now = tick.tick() => {
                let time = super::session::now_secs() * 1000;
                for app in apps.all() {
                    let total = app.usage().messages_out.load(Ordering::Relaxed);
                    let id = app.id().as_str();
                    history.add(id, time, app.connection_count(), total, now - previous);
                }
                previous = now;
            }
        }
    }
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
}
