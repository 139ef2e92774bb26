//! Percentiles: exact ones over small samples (one value per run), and a lock-free
//! log-linear histogram for the millions of deliveries of a throughput step.

use std::sync::atomic::{AtomicU64, Ordering};

/// The nearest-rank percentile `p` (0–100) of `sorted`, or `None` when it is empty.
pub fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = rank_of(p, sorted.len() as u64);
    sorted.get(usize::try_from(rank - 1).ok()?).copied()
}

/// The 1-based nearest rank of percentile `p` among `count` values.
fn rank_of(p: f64, count: u64) -> u64 {
    let p = p.clamp(0.0, 100.0);
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let rank = (p / 100.0 * count as f64).ceil() as u64;
    rank.clamp(1, count)
}

/// Median and tail of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// How many values.
    pub count: u64,
    /// The smallest.
    pub min: u64,
    /// The median.
    pub p50: u64,
    /// The 90th percentile.
    pub p90: u64,
    /// The 99th percentile.
    pub p99: u64,
    /// The largest.
    pub max: u64,
}

impl Summary {
    /// Summarises `values` (any order); `None` when empty.
    pub fn of(values: &[u64]) -> Option<Self> {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        Some(Self {
            count: sorted.len() as u64,
            min: *sorted.first()?,
            p50: percentile(&sorted, 50.0)?,
            p90: percentile(&sorted, 90.0)?,
            p99: percentile(&sorted, 99.0)?,
            max: *sorted.last()?,
        })
    }
}

/// Values below this are counted exactly; above, each power of two is cut in this many
/// buckets (at most 1/32 ≈ 3 % error).
const SUB_BUCKETS: u64 = 32;
const SUB_BITS: u32 = 5;
const BUCKETS: usize = (SUB_BUCKETS + (64 - SUB_BITS as u64) * SUB_BUCKETS) as usize;

/// A histogram of microsecond values, safe to record into from every thread at once.
#[derive(Debug)]
pub struct Histogram {
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            max: AtomicU64::new(0),
        }
    }
}

fn bucket_of(value: u64) -> usize {
    if value < SUB_BUCKETS {
        return usize::try_from(value).unwrap_or(0);
    }
    let exp = 63 - value.leading_zeros();
    let sub = (value >> (exp - SUB_BITS)) - SUB_BUCKETS;
    let index = SUB_BUCKETS + u64::from(exp - SUB_BITS) * SUB_BUCKETS + sub;
    usize::try_from(index).unwrap_or(BUCKETS - 1).min(BUCKETS - 1)
}

/// The largest value that falls in bucket `index`.
fn bucket_high(index: usize) -> u64 {
    let index = index as u64;
    if index < SUB_BUCKETS {
        return index;
    }
    let k = index - SUB_BUCKETS;
    let shift = u32::try_from(k / SUB_BUCKETS).unwrap_or(0);
    let low = (SUB_BUCKETS + k % SUB_BUCKETS) << shift;
    low + ((1u64 << shift) - 1)
}

impl Histogram {
    /// Counts one value.
    pub fn record(&self, value: u64) {
        self.buckets[bucket_of(value)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.max.fetch_max(value, Ordering::Relaxed);
    }

    /// Values counted so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// Forgets everything counted.
    pub fn reset(&self) {
        for bucket in &*self.buckets {
            bucket.store(0, Ordering::Relaxed);
        }
        self.count.store(0, Ordering::Relaxed);
        self.max.store(0, Ordering::Relaxed);
    }

    /// Percentile `p` (0–100), rounded up to its bucket's top (never above the maximum seen);
    /// `None` when empty.
    pub fn percentile(&self, p: f64) -> Option<u64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = rank_of(p, count);
        let max = self.max.load(Ordering::Relaxed);
        let mut seen = 0;
        for (index, bucket) in self.buckets.iter().enumerate() {
            seen += bucket.load(Ordering::Relaxed);
            if seen >= rank {
                return Some(bucket_high(index).min(max));
            }
        }
        Some(max)
    }

    /// The non-empty buckets `(index, count)` and the maximum, to merge into another
    /// process's histogram ([`Histogram::merge`]).
    pub fn snapshot(&self) -> (Vec<(usize, u64)>, u64) {
        let buckets = self
            .buckets
            .iter()
            .enumerate()
            .map(|(index, bucket)| (index, bucket.load(Ordering::Relaxed)))
            .filter(|(_, count)| *count > 0)
            .collect();
        (buckets, self.max.load(Ordering::Relaxed))
    }

    /// Adds a [`Histogram::snapshot`]; buckets out of range are ignored.
    pub fn merge(&self, buckets: &[(usize, u64)], max: u64) {
        for &(index, count) in buckets {
            if let Some(bucket) = self.buckets.get(index) {
                bucket.fetch_add(count, Ordering::Relaxed);
                self.count.fetch_add(count, Ordering::Relaxed);
            }
        }
        self.max.fetch_max(max, Ordering::Relaxed);
    }

    /// The median, 90th, 99th percentiles and the extremes; `None` when empty.
    pub fn summary(&self) -> Option<Summary> {
        let min_index = self.buckets.iter().position(|b| b.load(Ordering::Relaxed) > 0)?;
        Some(Summary {
            count: self.count(),
            min: bucket_high(min_index),
            p50: self.percentile(50.0)?,
            p90: self.percentile(90.0)?,
            p99: self.percentile(99.0)?,
            max: self.max.load(Ordering::Relaxed),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 50.0), Some(50));
        assert_eq!(percentile(&values, 99.0), Some(99));
        assert_eq!(percentile(&values, 100.0), Some(100));
        assert_eq!(percentile(&values, 0.0), Some(1));
        assert_eq!(percentile(&[7], 99.0), Some(7));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn summary_sorts_first() {
        let summary = Summary::of(&[5, 1, 3]).unwrap();
        assert_eq!((summary.min, summary.p50, summary.max, summary.count), (1, 3, 5, 3));
        assert_eq!(Summary::of(&[]), None);
    }

    #[test]
    fn buckets_cover_every_value_in_order() {
        let mut previous = 0;
        for value in (0..100_000).chain([u64::MAX / 2, u64::MAX]) {
            let index = bucket_of(value);
            assert!(index >= previous, "bucket order at {value}");
            assert!(bucket_high(index) >= value, "bucket {index} top below {value}");
            previous = index;
        }
    }

    #[test]
    fn histogram_percentiles_are_within_three_percent() {
        let histogram = Histogram::default();
        for value in 1..=10_000 {
            histogram.record(value);
        }
        let p50 = histogram.percentile(50.0).unwrap();
        let p99 = histogram.percentile(99.0).unwrap();
        assert!((5_000..=5_160).contains(&p50), "p50 {p50}");
        assert!((9_900..=10_000).contains(&p99), "p99 {p99}");
        assert_eq!(histogram.summary().unwrap().max, 10_000);
        histogram.reset();
        assert_eq!(histogram.percentile(50.0), None);
    }

    #[test]
    fn small_values_are_exact() {
        let histogram = Histogram::default();
        histogram.record(3);
        histogram.record(3);
        histogram.record(30);
        assert_eq!(histogram.percentile(50.0), Some(3));
        assert_eq!(histogram.summary().unwrap().min, 3);
        assert_eq!(histogram.percentile(100.0), Some(30));
    }

    #[test]
    fn merged_snapshots_give_the_percentiles_of_the_union() {
        let (a, b, all) = (Histogram::default(), Histogram::default(), Histogram::default());
        for value in 1..=6_000 {
            a.record(value);
            all.record(value);
        }
        for value in 6_001..=10_000 {
            b.record(value);
            all.record(value);
        }
        let merged = Histogram::default();
        for part in [&a, &b] {
            let (buckets, max) = part.snapshot();
            merged.merge(&buckets, max);
        }
        merged.merge(&[(usize::MAX, 5)], 0);
        assert_eq!(merged.summary(), all.summary());
    }
}
