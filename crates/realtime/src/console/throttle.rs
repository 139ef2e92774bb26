//! Sign-in throttling for the console, with the owner login's policy (`limits::SIGN_IN_*`):
//! 5 failures in a row (each within 15 minutes of the last) start a 1-minute wait that
//! doubles with each further failure, up to 15 minutes. Counted per app and per client
//! address: in Redis when the node is in a cluster, so every node counts the same failures,
//! and in this node's memory otherwise (the realtime server has no database), or while
//! Redis does not answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::cluster::{Backend, Cluster, Consoles};
use crate::limits::{SIGN_IN_FIRST_WAIT, SIGN_IN_MAX_FAILURES, SIGN_IN_MAX_WAIT, SIGN_IN_WINDOW};

/// Keys held in memory at most, whatever the input: past it the forgotten ones are swept,
/// then the longest idle half (counts in a wait are idle least: their `last` is its end).
const MAX_KEYS: usize = 10_000;
/// Longest key kept: an app id is the client's text, cut so a key's size is bounded too.
const MAX_KEY_LEN: usize = 128;

/// The throttle keys of a sign-in to `app_id` from `address`.
pub(crate) fn keys(app_id: &str, address: &str) -> [String; 2] {
    [bounded(format!("app:{app_id}")), bounded(format!("addr:{address}"))]
}

fn bounded(mut key: String) -> String {
    if key.len() > MAX_KEY_LEN {
        let mut end = MAX_KEY_LEN;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    key
}

/// Failure counts: shared through the cluster when there is one.
#[derive(Debug)]
pub(crate) struct Throttle {
    memory: Memory,
    cluster: Option<Arc<Backend>>,
}

impl Throttle {
    pub(crate) fn new(cluster: Option<Arc<Backend>>) -> Self {
        Self { memory: Memory::default(), cluster }
    }

    /// How long `keys` must wait before trying again; `None` when they may try now.
    pub(crate) async fn wait(&self, keys: &[String]) -> Option<Duration> {
        let here = self.memory.wait(keys, Instant::now());
        let Some(cluster) = &self.cluster else { return here };
        match cluster.throttle_wait(keys).await {
            Ok(shared) => shared.max(here),
            Err(error) => {
                cluster.failed("console sign-in throttle", &error);
                here
            }
        }
    }

    /// Counts a failed sign-in against every key.
    pub(crate) async fn failed(&self, keys: &[String]) {
        if let Some(cluster) = &self.cluster {
            match cluster.throttle_failed(keys).await {
                Ok(()) => return,
                Err(error) => cluster.failed("console sign-in throttle", &error),
            }
        }
        self.memory.failed(keys, Instant::now());
    }

    /// Forgets the keys' failures after a successful sign-in.
    pub(crate) async fn succeeded(&self, keys: &[String]) {
        self.memory.succeeded(keys);
        if let Some(cluster) = &self.cluster
            && let Err(error) = cluster.throttle_succeeded(keys).await
        {
            cluster.failed("console sign-in throttle", &error);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    /// The last failure, or the end of the wait it started.
    last: Instant,
    blocked_until: Option<Instant>,
}

/// Failure counts by key in this node's memory, at most [`MAX_KEYS`].
#[derive(Debug, Default)]
struct Memory {
    counts: Mutex<HashMap<String, Count>>,
}

impl Memory {
    fn wait(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.iter()
            .filter_map(|key| counts.get(key)?.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    fn failed(&self, keys: &[String], now: Instant) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in keys {
            if !counts.contains_key(key) {
                make_room(&mut counts, now);
            }
            let count = counts.entry(key.clone()).or_insert(Count {
                failures: 0,
                last: now,
                blocked_until: None,
            });
            if now.saturating_duration_since(count.last) >= SIGN_IN_WINDOW {
                *count = Count { failures: 0, last: now, blocked_until: None };
            }
            count.failures += 1;
            count.last = now;
            if count.failures >= SIGN_IN_MAX_FAILURES {
                let doublings = (count.failures - SIGN_IN_MAX_FAILURES).min(10);
                let wait = (SIGN_IN_FIRST_WAIT * 2u32.pow(doublings)).min(SIGN_IN_MAX_WAIT);
                count.blocked_until = Some(now + wait);
                count.last = now + wait;
            }
        }
    }

    fn succeeded(&self, keys: &[String]) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in keys {
            counts.remove(key);
        }
    }
}

/// Makes room for one more key: sweeps the forgotten counts, and when the map is still full
/// (a flood of fresh addresses) forgets the longest idle half. Amortised O(1) per key.
fn make_room(counts: &mut HashMap<String, Count>, now: Instant) {
    if counts.len() < MAX_KEYS {
        return;
    }
    counts.retain(|_, c| now.saturating_duration_since(c.last) < SIGN_IN_WINDOW);
    if counts.len() < MAX_KEYS {
        return;
    }
    let mut lasts: Vec<Instant> = counts.values().map(|c| c.last).collect();
    let middle = lasts.len() / 2;
    let cut = *lasts.select_nth_unstable(middle).1;
    counts.retain(|_, c| c.last > cut);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_start_a_wait_that_doubles() {
        let throttle = Memory::default();
        let keys = keys("1", "127.0.0.1");
        let start = Instant::now();
        for i in 0..4 {
            throttle.failed(&keys, start + Duration::from_secs(i));
            assert_eq!(throttle.wait(&keys, start + Duration::from_secs(i)), None);
        }
        throttle.failed(&keys, start + Duration::from_secs(4));
        let at = start + Duration::from_secs(5);
        assert_eq!(throttle.wait(&keys, at), Some(Duration::from_secs(59)));
        assert_eq!(throttle.wait(&["addr:10.0.0.1".to_owned()], at), None, "others may try");
        let after = start + Duration::from_secs(65);
        assert_eq!(throttle.wait(&keys, after), None);
        throttle.failed(&keys, after);
        assert_eq!(throttle.wait(&keys, after), Some(Duration::from_secs(120)));
        throttle.succeeded(&keys);
        assert_eq!(throttle.wait(&keys, after), None);
    }

    #[test]
    fn a_flood_of_addresses_stays_under_the_cap_and_keeps_the_waits() {
        let throttle = Memory::default();
        let start = Instant::now();
        let app = ["app:1".to_owned()];
        for i in 0..5 {
            throttle.failed(&app, start + Duration::from_millis(i));
        }
        let long_id = "é".repeat(10_000);
        for i in 0..(3 * MAX_KEYS) {
            let at = start + Duration::from_millis(10 + i as u64 / 100);
            let address = format!("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
            let app_id = if i % 2 == 0 { format!("{long_id}{i}") } else { i.to_string() };
            throttle.failed(&keys(&app_id, &address), at);
            let counts = throttle.counts.lock().unwrap();
            assert!(counts.len() <= MAX_KEYS, "{} keys after {i}", counts.len());
            if i % 1000 == 0 {
                assert!(counts.keys().all(|k| k.len() <= MAX_KEY_LEN));
            }
        }
        let at = start + Duration::from_secs(1);
        assert!(throttle.wait(&app, at).is_some(), "the app's wait survived the flood");
    }
}
