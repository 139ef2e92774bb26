//! Sign-in throttling for the console, with the owner login's policy: 5 failures in a row
//! (each within 15 minutes of the last) start a 1-minute wait that doubles with each further
//! failure, up to 15 minutes. Counted per app and per client address, in this node's memory
//! (the realtime server has no database).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);
const FIRST_WAIT: Duration = Duration::from_secs(60);
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// Keys kept before the forgotten ones are swept, so a flood of addresses stays bounded.
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    /// The last failure, or the end of the wait it started.
    last: Instant,
    blocked_until: Option<Instant>,
}

/// Failure counts by key (`app:{id}` and `addr:{ip}`).
#[derive(Debug, Default)]
pub(crate) struct Throttle {
    counts: Mutex<HashMap<String, Count>>,
}

impl Throttle {
    /// How long `keys` must wait before trying again; `None` when they may try now.
    pub(crate) fn wait(&self, keys: &[String], now: Instant) -> Option<Duration> {
        let counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.iter()
            .filter_map(|key| counts.get(key)?.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max()
    }

    /// Counts a failed sign-in against every key.
    pub(crate) fn failed(&self, keys: &[String], now: Instant) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if counts.len() >= SWEEP_AT {
            counts.retain(|_, c| now.saturating_duration_since(c.last) < WINDOW);
        }
        for key in keys {
            let count = counts.entry(key.clone()).or_insert(Count {
                failures: 0,
                last: now,
                blocked_until: None,
            });
            if now.saturating_duration_since(count.last) >= WINDOW {
                *count = Count { failures: 0, last: now, blocked_until: None };
            }
            count.failures += 1;
            count.last = now;
            if count.failures >= MAX_FAILURES {
                let doublings = (count.failures - MAX_FAILURES).min(10);
                let wait = (FIRST_WAIT * 2u32.pow(doublings)).min(MAX_WAIT);
                count.blocked_until = Some(now + wait);
                count.last = now + wait;
            }
        }
    }

    /// Forgets the keys' failures after a successful sign-in.
    pub(crate) fn succeeded(&self, keys: &[String]) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for key in keys {
            counts.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_start_a_wait_that_doubles() {
        let throttle = Throttle::default();
        let keys = vec!["app:1".to_owned(), "addr:127.0.0.1".to_owned()];
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
}
