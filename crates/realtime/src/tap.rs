//! The debug tap: what happens in an app, as JSON records for the Debug Console.
//!
//! Cost is the point. With no console watching, [`Tap::record`] is one relaxed atomic load
//! and returns before anything is built, so the hot path pays nothing measurable. With one
//! watching, records go into a bounded broadcast: a console that cannot keep up misses the
//! oldest and is told how many ([`Recv::Skipped`]); a sender never waits.
//!
//! Records stay on the node that made them (a console sees its own node's log).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use tokio::sync::broadcast;

/// Records held for watchers before the slowest one starts missing the oldest.
pub(crate) const CAPACITY: usize = 1024;

/// The kinds of record, as the console names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Connected,
    Disconnected,
    Subscribed,
    Unsubscribed,
    Occupied,
    Vacated,
    MemberAdded,
    MemberRemoved,
    ApiMessage,
    ClientEvent,
    Webhook,
    Refused,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "connection",
            Self::Disconnected => "disconnection",
            Self::Subscribed => "subscribed",
            Self::Unsubscribed => "unsubscribed",
            Self::Occupied => "occupied",
            Self::Vacated => "vacated",
            Self::MemberAdded => "member_added",
            Self::MemberRemoved => "member_removed",
            Self::ApiMessage => "api_message",
            Self::ClientEvent => "client_event",
            Self::Webhook => "webhook",
            Self::Refused => "refused",
        }
    }
}

/// One app's tap. Shared by the app, its connections and its webhooks.
#[derive(Debug)]
pub(crate) struct Tap {
    watchers: AtomicUsize,
    /// Made when the first console watches: its buffer is tens of kilobytes per app.
    records: OnceLock<broadcast::Sender<Arc<str>>>,
    capacity: usize,
    next_id: AtomicU64,
}

impl Default for Tap {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl Tap {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            watchers: AtomicUsize::new(0),
            records: OnceLock::new(),
            capacity,
            next_id: AtomicU64::new(1),
        }
    }

    /// Whether any console watches. Checked before a record is built.
    #[inline]
    pub(crate) fn on(&self) -> bool {
        self.watchers.load(Ordering::Relaxed) != 0
    }

    /// Records an event of `kind` when a console watches; `fields` builds the rest of the
    /// record (an object) only then.
    #[inline]
    pub(crate) fn record(&self, kind: Kind, fields: impl FnOnce() -> Value) {
        if self.on() {
            self.send(kind, fields());
        }
    }

    #[cold]
    fn send(&self, kind: Kind, fields: Value) {
        let mut record = match fields {
            Value::Object(map) => map,
            other => Map::from_iter([("data".to_owned(), other)]),
        };
        let time = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        record.insert("id".to_owned(), self.next_id.fetch_add(1, Ordering::Relaxed).into());
        record.insert("time".to_owned(), Value::from(u64::try_from(time).unwrap_or(u64::MAX)));
        record.insert("kind".to_owned(), kind.as_str().into());
        // No receiver left between the check and now: nothing to do.
        if let Some(records) = self.records.get() {
            let _ = records.send(Arc::from(Value::Object(record).to_string()));
        }
    }

    /// Starts watching; records flow until the [`Watch`] is dropped.
    pub(crate) fn watch(self: &Arc<Self>) -> Watch {
        let receiver = self.records.get_or_init(|| broadcast::channel(self.capacity).0).subscribe();
        self.watchers.fetch_add(1, Ordering::AcqRel);
        Watch { tap: self.clone(), receiver }
    }
}

/// One console's view of the tap.
#[derive(Debug)]
pub(crate) struct Watch {
    tap: Arc<Tap>,
    receiver: broadcast::Receiver<Arc<str>>,
}

/// What a watcher gets next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Recv {
    /// A record's JSON.
    Record(Arc<str>),
    /// This many records went by while the watcher was behind.
    Skipped(u64),
}

impl Watch {
    /// The next record, or how many were missed; `None` when the tap is gone.
    pub(crate) async fn recv(&mut self) -> Option<Recv> {
        match self.receiver.recv().await {
            Ok(record) => Some(Recv::Record(record)),
            Err(broadcast::error::RecvError::Lagged(n)) => Some(Recv::Skipped(n)),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.tap.watchers.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nothing_is_built_while_no_console_watches() {
        let tap = Tap::default();
        let mut built = false;
        tap.record(Kind::ApiMessage, || {
            built = true;
            json!({})
        });
        assert!(!built, "a record was built with no console open");
        assert!(!tap.on());
    }

    #[tokio::test]
    async fn a_watcher_gets_records_with_kind_time_and_id() {
        let tap = Arc::new(Tap::default());
        let mut watch = tap.watch();
        tap.record(Kind::Subscribed, || json!({ "channel": "a", "socket_id": "1.2" }));
        let Some(Recv::Record(json)) = watch.recv().await else { panic!("no record") };
        let record: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(record["kind"], "subscribed");
        assert_eq!(record["channel"], "a");
        assert_eq!(record["id"], 1);
        assert!(record["time"].as_u64().unwrap() > 1_700_000_000_000);
        drop(watch);
        assert!(!tap.on(), "the last watcher left");
    }

    #[tokio::test]
    async fn a_slow_watcher_is_bounded_and_told_what_it_skipped() {
        let tap = Arc::new(Tap::with_capacity(8));
        let mut watch = tap.watch();
        for i in 0..100 {
            tap.record(Kind::ClientEvent, || json!({ "n": i }));
        }
        assert_eq!(watch.recv().await, Some(Recv::Skipped(92)));
        let mut kept = Vec::new();
        while let Ok(Some(Recv::Record(json))) =
            tokio::time::timeout(std::time::Duration::from_millis(50), watch.recv()).await
        {
            kept.push(serde_json::from_str::<Value>(&json).unwrap()["n"].as_u64().unwrap());
        }
        assert_eq!(kept, (92..100).collect::<Vec<_>>(), "the newest 8 are kept");
    }
}
