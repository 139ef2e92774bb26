//! A latency histogram of plain atomics, encoded by `prometheus-client`.
//!
//! The library's own `Histogram` takes a mutex on every observation; these are observed
//! once per event on the publishing path, so they stay lock-free: one add for the bucket,
//! one for the sum. The count is the buckets' total, read at scrape time.
//!
//! [`Histogram::timed_frame`] measures fan-out: the frame's bytes are owned by a guard that
//! records the time since the trigger when the last copy of the frame is dropped, that is
//! once every subscriber's connection has written it (or given up on it). Handing the frame
//! to a queue stays one reference-count increment, as before.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use prometheus_client::encoding::{EncodeMetric, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::{MetricType, TypedMetric};

use crate::conn::Frame;

/// Upper bounds of the buckets, in seconds; one more bucket counts everything above.
pub(crate) const LATENCY_BUCKETS: [f64; 12] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];

/// A latency histogram. Cheap to clone: clones share the figures.
#[derive(Debug, Clone, Default)]
pub(crate) struct Histogram(Arc<Figures>);

#[derive(Debug, Default)]
struct Figures {
    /// Per bucket (not cumulative); the last is `+Inf`.
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

/// What a histogram held at one moment, for encoding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    pub(crate) sum_seconds: f64,
    pub(crate) count: u64,
    /// `(upper bound, observations in this bucket)`, `+Inf` last.
    pub(crate) buckets: Vec<(f64, u64)>,
}

impl Histogram {
    pub(crate) fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let i = LATENCY_BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(LATENCY_BUCKETS.len());
        self.0.buckets[i].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.0.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Snapshot {
        let bounds = LATENCY_BUCKETS.iter().copied().chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> =
            bounds.zip(&self.0.buckets).map(|(b, n)| (b, n.load(Ordering::Relaxed))).collect();
        Snapshot {
            sum_seconds: self.0.sum_micros.load(Ordering::Relaxed) as f64 / 1e6,
            count: buckets.iter().map(|(_, n)| n).sum(),
            buckets,
        }
    }

    /// A frame of `text` that records, when its last copy is dropped, the time since
    /// `received` here.
    pub(crate) fn timed_frame(&self, text: String, received: Instant) -> Frame {
        let bytes = Bytes::from_owner(Timed { text, received, histogram: self.clone() });
        // Always valid: the bytes are a `String`'s. Should that ever change, a lossy copy
        // still delivers the event (untimed) rather than dropping it.
        Frame::try_from(bytes.clone())
            .unwrap_or_else(|_| Frame::from(String::from_utf8_lossy(&bytes).into_owned()))
    }
}

impl Snapshot {
    pub(crate) fn encode(&self, mut encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        encoder.encode_histogram::<NoLabelSet>(self.sum_seconds, self.count, &self.buckets, None)
    }
}

impl TypedMetric for Histogram {
    const TYPE: MetricType = MetricType::Histogram;
}

impl EncodeMetric for Histogram {
    fn encode(&self, encoder: MetricEncoder<'_>) -> Result<(), std::fmt::Error> {
        self.snapshot().encode(encoder)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

/// The owner of a timed frame's bytes.
struct Timed {
    text: String,
    received: Instant,
    histogram: Histogram,
}

impl AsRef<[u8]> for Timed {
    fn as_ref(&self) -> &[u8] {
        self.text.as_bytes()
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        self.histogram.observe(self.received.elapsed());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_bucket_and_the_sum() {
        let histogram = Histogram::default();
        histogram.observe(Duration::from_micros(300));
        histogram.observe(Duration::from_secs(3));
        let snapshot = histogram.snapshot();
        assert_eq!(snapshot.count, 2);
        assert_eq!(snapshot.buckets[2], (0.0005, 1));
        assert_eq!(snapshot.buckets[LATENCY_BUCKETS.len()], (f64::INFINITY, 1));
        assert!((snapshot.sum_seconds - 3.0003).abs() < 1e-9);
    }

    #[test]
    fn a_timed_frame_is_observed_once_its_last_copy_is_gone() {
        let histogram = Histogram::default();
        let frame = histogram.timed_frame("{\"event\":\"e\"}".to_owned(), Instant::now());
        let copy = frame.clone();
        drop(frame);
        assert_eq!(histogram.snapshot().count, 0, "a queue still holds a copy");
        assert_eq!(copy.as_str(), "{\"event\":\"e\"}");
        drop(copy);
        assert_eq!(histogram.snapshot().count, 1);
    }
}
