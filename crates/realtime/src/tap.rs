//! The debug tap: what happens in an app, as JSON records for the Debug Console.
//!
//! Cost is the point. With no console watching, [`Tap::record`] is one relaxed atomic load
//! and returns before anything is built, so the hot path pays nothing measurable. With one
//! watching, at most [`BUILD_RATE`] records a second are built (a console shows 200; the
//! rest are only counted), so a busy app is not slowed by being watched either. They go
//! into a bounded broadcast: a console that cannot keep up misses the oldest and is told how
//! many ([`Recv::Skipped`]); a sender never waits.
//!
//! In a cluster a console on any node sees every node's records: while a console elsewhere
//! watches the app (the cluster says so, [`Tap::set_watched_elsewhere`]), records are also
//! handed to the [`Relay`] (what it drops is counted as skipped), and the other nodes'
//! records arrive through [`Tap::heard`]. Records then name their node.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::rate::RateLimiter;

/// Records held for watchers before the slowest one starts missing the oldest.
pub(crate) const CAPACITY: usize = 1024;

/// Records built a second at most, per app: five times what a console shows (it samples at
/// 200 a second), few enough to cost a busy app little and to cross the bus.
pub(crate) const BUILD_RATE: u32 = 1000;

/// The state bit set while a console on another node watches; local watchers count in 2s.
const ELSEWHERE: usize = 1;
const ONE_WATCHER: usize = 2;

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

/// What goes through the tap to watchers, and between nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Item {
    /// A record's JSON.
    Record(Arc<str>),
    /// This many records were left out before reaching the watchers.
    Skipped(u64),
}

/// Hands an item to the other nodes; `false` when it was dropped (the bus was busy).
pub(crate) type Relay = Box<dyn Fn(&Item) -> bool + Send + Sync>;

/// How this node's records reach the other nodes' consoles.
struct Cluster {
    node: Arc<str>,
    relay: Relay,
    /// Records the relay dropped since the last report.
    unrelayed: AtomicU64,
}

/// One app's tap. Shared by the app, its connections and its webhooks.
pub(crate) struct Tap {
    /// Local watchers times [`ONE_WATCHER`], plus [`ELSEWHERE`]: zero when nobody watches.
    state: AtomicUsize,
    /// Made when the first console watches: its buffer is tens of kilobytes per app.
    records: OnceLock<broadcast::Sender<Item>>,
    capacity: usize,
    next_id: AtomicU64,
    /// At most [`BUILD_RATE`] records a second; the others are counted in `unbuilt`.
    limit: RateLimiter,
    unbuilt: AtomicU64,
    /// Set once when the app runs in a cluster.
    cluster: OnceLock<Cluster>,
}

impl std::fmt::Debug for Tap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tap").field("state", &self.state).finish_non_exhaustive()
    }
}

impl Default for Tap {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl Tap {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            state: AtomicUsize::new(0),
            records: OnceLock::new(),
            capacity,
            next_id: AtomicU64::new(1),
            limit: RateLimiter::per_second(BUILD_RATE),
            unbuilt: AtomicU64::new(0),
            cluster: OnceLock::new(),
        }
    }

    /// Joins a cluster as `node`: records name it, and go through `relay` while a console
    /// elsewhere watches. Only the first call counts.
    pub(crate) fn join_cluster(&self, node: &str, relay: Relay) {
        let cluster = Cluster { node: Arc::from(node), relay, unrelayed: AtomicU64::new(0) };
        let _ = self.cluster.set(cluster);
    }

    /// Whether any console watches, here or elsewhere. Checked before a record is built.
    #[inline]
    pub(crate) fn on(&self) -> bool {
        self.state.load(Ordering::Relaxed) != 0
    }

    /// Whether a console on this node watches.
    pub(crate) fn watched_here(&self) -> bool {
        self.state.load(Ordering::Relaxed) >= ONE_WATCHER
    }

    /// Whether a console on another node watches, as the cluster last said; when it stops,
    /// the records skipped meanwhile are reported to it first.
    pub(crate) fn set_watched_elsewhere(&self, watched: bool) {
        if watched {
            self.state.fetch_or(ELSEWHERE, Ordering::AcqRel);
            self.flush();
        } else {
            self.flush();
            self.state.fetch_and(!ELSEWHERE, Ordering::AcqRel);
        }
    }

    /// Records an event of `kind` when a console watches; `fields` builds the rest of the
    /// record (an object) only then.
    #[inline]
    pub(crate) fn record(&self, kind: Kind, fields: impl FnOnce() -> Value) {
        if self.on() {
            self.send(kind, fields);
        }
    }

    #[cold]
    fn send(&self, kind: Kind, fields: impl FnOnce() -> Value) {
        if !self.limit.allow() {
            self.unbuilt.fetch_add(1, Ordering::Relaxed);
            return;
        }
        self.flush();
        let mut record = match fields() {
            Value::Object(map) => map,
            other => Map::from_iter([("data".to_owned(), other)]),
        };
        let time = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        record.insert("id".to_owned(), self.next_id.fetch_add(1, Ordering::Relaxed).into());
        record.insert("time".to_owned(), Value::from(u64::try_from(time).unwrap_or(u64::MAX)));
        record.insert("kind".to_owned(), kind.as_str().into());
        if let Some(cluster) = self.cluster.get() {
            record.insert("node".to_owned(), Value::from(&*cluster.node));
        }
        let item = Item::Record(Arc::from(Value::Object(record).to_string()));
        let state = self.state.load(Ordering::Relaxed);
        if state & ELSEWHERE != 0 {
            self.relay(&item);
        }
        if state >= ONE_WATCHER {
            self.deliver(item);
        }
    }

    /// Hands a record to the other nodes; what the relay drops is counted.
    fn relay(&self, item: &Item) {
        let Some(cluster) = self.cluster.get() else { return };
        if !(cluster.relay)(item) {
            cluster.unrelayed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Tells the watchers, here and elsewhere, how many records they did not get since the
    /// last report: not built (over [`BUILD_RATE`]) or dropped by the relay.
    pub(crate) fn flush(&self) {
        let unbuilt = self.unbuilt.swap(0, Ordering::Relaxed);
        let state = self.state.load(Ordering::Relaxed);
        if unbuilt > 0 && state >= ONE_WATCHER {
            self.deliver(Item::Skipped(unbuilt));
        }
        let Some(cluster) = self.cluster.get() else { return };
        let unrelayed = cluster.unrelayed.swap(0, Ordering::Relaxed);
        let missed = unrelayed + if state & ELSEWHERE != 0 { unbuilt } else { 0 };
        if missed > 0 && state & ELSEWHERE != 0 && !(cluster.relay)(&Item::Skipped(missed)) {
            cluster.unrelayed.fetch_add(missed, Ordering::Relaxed);
        }
    }

    /// What another node's tap relayed, for this node's watchers.
    pub(crate) fn heard(&self, item: Item) {
        if self.watched_here() {
            self.deliver(item);
        }
    }

    fn deliver(&self, item: Item) {
        // No receiver left between the check and now: nothing to do.
        if let Some(records) = self.records.get() {
            let _ = records.send(item);
        }
    }

    /// Starts watching; records flow until the [`Watch`] is dropped.
    pub(crate) fn watch(self: &Arc<Self>) -> Watch {
        let receiver = self.records.get_or_init(|| broadcast::channel(self.capacity).0).subscribe();
        self.state.fetch_add(ONE_WATCHER, Ordering::AcqRel);
        Watch { tap: self.clone(), receiver }
    }
}

/// One console's view of the tap.
#[derive(Debug)]
pub(crate) struct Watch {
    tap: Arc<Tap>,
    receiver: broadcast::Receiver<Item>,
}

/// What a watcher gets next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Recv {
    /// A record's JSON.
    Record(Arc<str>),
    /// This many records went by while the watcher was behind, or were not relayed.
    Skipped(u64),
}

impl Watch {
    /// Reports the records not built since the last report (they come as
    /// [`Recv::Skipped`]): called now and then, so a burst's tail is told once it ends.
    pub(crate) fn flush(&self) {
        self.tap.flush();
    }

    /// The next record, or how many were missed; `None` when the tap is gone.
    pub(crate) async fn recv(&mut self) -> Option<Recv> {
        match self.receiver.recv().await {
            Ok(Item::Record(record)) => Some(Recv::Record(record)),
            Ok(Item::Skipped(n)) | Err(broadcast::error::RecvError::Lagged(n)) => {
                Some(Recv::Skipped(n))
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.tap.state.fetch_sub(ONE_WATCHER, Ordering::AcqRel);
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

    fn relayed_into(tap: &Tap) -> Arc<std::sync::Mutex<Vec<Item>>> {
        let relayed = Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = relayed.clone();
        tap.join_cluster(
            "node-a",
            Box::new(move |item| {
                into.lock().unwrap().push(item.clone());
                true
            }),
        );
        relayed
    }

    #[test]
    fn records_cross_to_other_nodes_only_while_a_console_there_watches() {
        let tap = Tap::default();
        let relayed = relayed_into(&tap);
        tap.record(Kind::ApiMessage, || panic!("built with no console anywhere"));
        tap.set_watched_elsewhere(true);
        assert!(tap.on() && !tap.watched_here());
        tap.record(Kind::ApiMessage, || json!({ "event": "e" }));
        let Some(Item::Record(json)) = relayed.lock().unwrap().first().cloned() else {
            panic!("nothing relayed")
        };
        let record: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (record["node"].as_str(), record["event"].as_str()),
            (Some("node-a"), Some("e"))
        );
        tap.set_watched_elsewhere(false);
        assert!(!tap.on());
        tap.record(Kind::ApiMessage, || panic!("built after the console elsewhere closed"));
        assert_eq!(relayed.lock().unwrap().len(), 1);
    }

    #[test]
    fn the_relay_is_bounded_and_reports_what_it_left_out() {
        // Past the build rate records are only counted, and the count crosses too.
        let tap = Tap::default();
        let relayed = relayed_into(&tap);
        tap.set_watched_elsewhere(true);
        let sent = BUILD_RATE as usize + 500;
        for i in 0..sent {
            tap.record(Kind::ClientEvent, || json!({ "n": i }));
        }
        tap.flush();
        let relayed = relayed.lock().unwrap();
        let records = relayed.iter().filter(|i| matches!(i, Item::Record(_))).count();
        let skipped: u64 =
            relayed.iter().map(|i| if let Item::Skipped(n) = i { *n } else { 0 }).sum();
        assert!((BUILD_RATE as usize..BUILD_RATE as usize + 100).contains(&records), "{records}");
        assert_eq!(records as u64 + skipped, sent as u64, "every record relayed or counted");
        assert!(matches!(relayed.last(), Some(Item::Skipped(_))), "the report comes last");
    }

    #[tokio::test]
    async fn records_from_other_nodes_reach_this_node_s_watchers() {
        let tap = Arc::new(Tap::default());
        tap.heard(Item::Record(Arc::from("{\"kind\":\"x\"}")));
        let mut watch = tap.watch();
        tap.heard(Item::Skipped(3));
        tap.heard(Item::Record(Arc::from("{\"kind\":\"y\"}")));
        assert_eq!(watch.recv().await, Some(Recv::Skipped(3)));
        assert_eq!(watch.recv().await, Some(Recv::Record(Arc::from("{\"kind\":\"y\"}"))));
    }

    #[tokio::test]
    async fn past_the_build_rate_records_are_counted_not_built() {
        // Room for every item, so none is lost to lag: a lagged `Skipped(n)` would count as 1.
        let tap = Arc::new(Tap::with_capacity(BUILD_RATE as usize * 3));
        let mut watch = tap.watch();
        let mut built = 0;
        for _ in 0..(BUILD_RATE as usize * 3) {
            tap.record(Kind::ApiMessage, || {
                built += 1;
                json!({})
            });
        }
        assert!((BUILD_RATE as usize..BUILD_RATE as usize + 100).contains(&built), "{built}");
        watch.flush();
        let (mut received, mut skipped) = (0, 0);
        while let Ok(Some(got)) =
            tokio::time::timeout(std::time::Duration::from_millis(50), watch.recv()).await
        {
            match got {
                Recv::Record(_) => received += 1,
                Recv::Skipped(n) => skipped += n,
            }
        }
        assert_eq!(received, built, "every built record reaches the watcher");
        assert_eq!(skipped as usize + built, BUILD_RATE as usize * 3, "{skipped} skipped");
    }
}
