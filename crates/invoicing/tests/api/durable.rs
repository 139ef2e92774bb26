//! The durable-work worker on the outbox table, part of the store's conformance suite: a
//! restarted node takes its own claims back at once, another node takes a dead node's claims
//! after their short lease, and a live worker's lease is renewed so nobody takes its rows.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use invoicing::Store;
use invoicing::domain::Timestamp;
use invoicing::durable::{self, NodeId, Performed, Work, WorkerOptions};
use invoicing::store::{OUTBOX, PendingEvent, WorkTable};
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::claims::{second_handle, sent_invoice};
use crate::helpers::{Db, on_both};
use crate::store::store;

on_both!(
    a_restarted_node_takes_its_own_claims_back_at_once,
    another_node_takes_a_dead_nodes_claims_after_their_lease,
    a_live_workers_lease_is_renewed_so_nobody_takes_its_rows,
);

/// Who performed which row, in order.
type Log = Arc<Mutex<Vec<(&'static str, i64)>>>;

/// Work that records the rows it performs, taking `delay` for each.
struct Recorder {
    name: &'static str,
    delay: Duration,
    log: Log,
}

impl Work for Recorder {
    type Item = PendingEvent;
    type Error = std::io::Error;
    const TABLE: &'static WorkTable = &OUTBOX;
    const NAME: &'static str = "recorder";
    const STEP: usize = 1;
    const KEYS: i64 = 10;

    async fn perform(&self, items: &[PendingEvent]) -> Performed<std::io::Error> {
        tokio::time::sleep(self.delay).await;
        self.log.lock().unwrap().extend(items.iter().map(|item| (self.name, item.seq)));
        Performed { done: items.len(), failure: None }
    }

    fn is_permanent(_: &std::io::Error) -> bool {
        false
    }
}

/// A worker named `name` running as node `node`, stopped when the guard drops.
fn worker(
    store: &Store,
    name: &'static str,
    node: &str,
    lease: Duration,
    delay: Duration,
    log: &Log,
) -> DropGuard {
    let options = WorkerOptions {
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        poll_interval: Duration::from_millis(20),
        lease,
        step_timeout: Duration::from_secs(5),
    };
    let work = Recorder { name, delay, log: log.clone() };
    let (node, stop) = (NodeId::parse(node).unwrap(), CancellationToken::new());
    let wake = Arc::new(Notify::new());
    tokio::spawn(durable::run(store.clone(), work, node, options, wake, stop.clone()));
    stop.drop_guard()
}

/// Waits until `count` rows are logged; returns how long that took.
async fn logged(log: &Log, count: usize, within: Duration) -> Duration {
    let start = Instant::now();
    while log.lock().unwrap().len() < count {
        assert!(start.elapsed() < within, "only {:?} after {within:?}", log.lock().unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    start.elapsed()
}

fn seqs(log: &Log) -> Vec<i64> {
    log.lock().unwrap().iter().map(|(_, seq)| *seq).collect()
}

async fn a_restarted_node_takes_its_own_claims_back_at_once(db: Db) {
    let (a, db) = store(db).await;
    let b = second_handle(&a, &db).await;
    sent_invoice(&a).await;
    // The previous run of node-1 claimed rows 1 to 3 for 30 s, then died.
    let lease = Duration::from_secs(30);
    assert_eq!(a.claim_events("node-1", Timestamp::now(), lease, 10).await.unwrap().len(), 3);
    assert!(b.claim_events("node-2", Timestamp::now(), lease, 10).await.unwrap().is_empty());
    let log = Log::default();
    let _restarted = worker(&a, "restarted", "node-1", lease, Duration::ZERO, &log);
    logged(&log, 3, Duration::from_secs(3)).await;
    assert_eq!(seqs(&log), [1, 2, 3], "at once, not after the 30 s lease");
}

async fn another_node_takes_a_dead_nodes_claims_after_their_lease(db: Db) {
    let (a, db) = store(db).await;
    let b = second_handle(&a, &db).await;
    sent_invoice(&a).await;
    let lease = Duration::from_millis(500);
    assert_eq!(a.claim_events("dead", Timestamp::now(), lease, 10).await.unwrap().len(), 3);
    let log = Log::default();
    let _survivor = worker(&b, "survivor", "node-2", lease, Duration::ZERO, &log);
    let took = logged(&log, 3, Duration::from_secs(5)).await;
    assert!(took >= lease - Duration::from_millis(100), "the lease held: {took:?}");
    assert_eq!(seqs(&log), [1, 2, 3]);
}

async fn a_live_workers_lease_is_renewed_so_nobody_takes_its_rows(db: Db) {
    let (a, db) = store(db).await;
    let b = second_handle(&a, &db).await;
    sent_invoice(&a).await;
    sent_invoice(&a).await;
    // Six rows at 250 ms each: two and a half leases of work.
    let (lease, delay) = (Duration::from_millis(600), Duration::from_millis(250));
    let log = Log::default();
    let _slow = worker(&a, "slow", "node-a", lease, delay, &log);
    logged(&log, 1, Duration::from_secs(3)).await;
    let _eager = worker(&b, "eager", "node-b", lease, Duration::ZERO, &log);
    logged(&log, 6, Duration::from_secs(10)).await;
    let log = log.lock().unwrap().clone();
    assert!(log.iter().all(|(name, _)| *name == "slow"), "rows taken from a live worker: {log:?}");
    assert_eq!(log.iter().map(|(_, seq)| *seq).collect::<Vec<_>>(), [1, 2, 3, 4, 5, 6]);
}
