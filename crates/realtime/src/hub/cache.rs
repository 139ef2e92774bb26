//! The last event of each cache channel, and which channels already reported a miss.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use pusher_protocol::ChannelName;
use pusher_protocol::api::CachedEvent;

/// Inserts between sweeps of expired entries, so a sweep's cost is spread thin.
const SWEEP_EVERY: usize = 1024;

/// One app's cache channels.
#[derive(Debug, Default)]
pub(crate) struct Cache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<ChannelName, Entry>,
    inserts: usize,
}

#[derive(Debug)]
struct Entry {
    /// `(event, data)`, or `None` when only a miss was reported.
    event: Option<(String, String)>,
    expires: Instant,
}

impl Cache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps the last event of a cache channel for `ttl`.
    pub(crate) fn store(&self, channel: &ChannelName, event: &str, data: &str, ttl: Duration) {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.inserts += 1;
        if inner.inserts.is_multiple_of(SWEEP_EVERY) {
            inner.entries.retain(|_, entry| entry.expires > now);
        }
        let entry = Entry { event: Some((event.to_owned(), data.to_owned())), expires: now + ttl };
        inner.entries.insert(channel.clone(), entry);
    }

    /// The cached event, if one has not expired.
    pub(crate) fn get(&self, channel: &ChannelName) -> Option<CachedEvent> {
        let now = Instant::now();
        let inner = self.lock();
        let entry = inner.entries.get(channel).filter(|e| e.expires > now)?;
        let (event, data) = entry.event.clone()?;
        let ttl = entry.expires.saturating_duration_since(now).as_secs();
        Some(CachedEvent { event, data, ttl })
    }

    /// Records a miss; `true` the first time since the channel last had an event (so the
    /// `cache_miss` webhook is sent once, not once per subscriber).
    pub(crate) fn first_miss(&self, channel: &ChannelName, ttl: Duration) -> bool {
        let now = Instant::now();
        let mut inner = self.lock();
        if inner.entries.get(channel).is_some_and(|e| e.expires > now) {
            return false;
        }
        inner.entries.insert(channel.clone(), Entry { event: None, expires: now + ttl });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_replays_and_reports_a_miss_once() {
        let cache = Cache::default();
        let channel = ChannelName::parse("cache-a").unwrap();
        let ttl = Duration::from_secs(60);
        assert!(cache.get(&channel).is_none());
        assert!(cache.first_miss(&channel, ttl));
        assert!(!cache.first_miss(&channel, ttl));
        cache.store(&channel, "e", "{}", ttl);
        assert_eq!(cache.get(&channel).map(|c| c.event), Some("e".to_owned()));
        assert!(!cache.first_miss(&channel, ttl));
    }

    #[test]
    fn expired_entries_are_gone() {
        let cache = Cache::default();
        let channel = ChannelName::parse("cache-a").unwrap();
        cache.store(&channel, "e", "{}", Duration::ZERO);
        assert!(cache.get(&channel).is_none());
        assert!(cache.first_miss(&channel, Duration::from_secs(1)));
    }
}
