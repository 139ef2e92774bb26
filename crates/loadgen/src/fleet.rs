//! Many subscribed connections at once: one small task per connection, a bounded number
//! connecting at a time, every receipt counted into a shared [`Sink`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::{Stamp, now_nanos};
use crate::pusher::{Conn, Kind, Subscription, classify};
use crate::stats::Histogram;
use crate::{Error, Target};

/// What every connection reports into. Counters are cumulative; the "run" fields follow the
/// events of one sequence number (one fan-out run, one throughput step).
#[derive(Debug, Default)]
pub struct Sink {
    /// Connections subscribed and reading.
    pub ready: AtomicU64,
    /// Connections that could not connect or subscribe.
    pub failed: AtomicU64,
    /// Connections that broke or were closed by the server after subscribing.
    pub dropped: AtomicU64,
    /// `pusher:error` frames received after subscribing.
    pub errors: AtomicU64,
    /// Stamped events received, any run.
    pub received: AtomicU64,
    current: AtomicU64,
    run_count: AtomicU64,
    run_first: AtomicU64,
    run_last: AtomicU64,
    /// Trigger → receipt latency of the current run's events, in microseconds.
    pub latency: Histogram,
    first_error: Mutex<Option<String>>,
}

/// The receipts of one run so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunReceipts {
    /// Events of the run received.
    pub count: u64,
    /// The earliest receipt, in clock nanos (`None` before any).
    pub first: Option<u64>,
    /// The latest receipt, in clock nanos.
    pub last: Option<u64>,
}

impl Sink {
    /// Starts following the events of `seq`, forgetting the previous run.
    pub fn start_run(&self, seq: u64) {
        self.current.store(u64::MAX, Ordering::SeqCst);
        self.run_count.store(0, Ordering::SeqCst);
        self.run_first.store(u64::MAX, Ordering::SeqCst);
        self.run_last.store(0, Ordering::SeqCst);
        self.latency.reset();
        self.current.store(seq, Ordering::SeqCst);
    }

    /// The current run's receipts.
    pub fn run(&self) -> RunReceipts {
        let count = self.run_count.load(Ordering::SeqCst);
        let first = self.run_first.load(Ordering::SeqCst);
        let last = self.run_last.load(Ordering::SeqCst);
        RunReceipts {
            count,
            first: (first != u64::MAX).then_some(first),
            last: (count > 0).then_some(last),
        }
    }

    /// Counts one text frame received at `now` (clock nanos).
    pub fn on_frame(&self, text: &[u8], now: u64) {
        match classify(text) {
            Kind::Event(stamp) => self.on_event(stamp, now),
            Kind::Error => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                self.note_error(&String::from_utf8_lossy(text));
            }
            Kind::Other => {}
        }
    }

    fn on_event(&self, stamp: Stamp, now: u64) {
        self.received.fetch_add(1, Ordering::Relaxed);
        if stamp.seq != self.current.load(Ordering::Relaxed) {
            return;
        }
        self.latency.record(now.saturating_sub(stamp.sent) / 1_000);
        self.run_first.fetch_min(now, Ordering::Relaxed);
        self.run_last.fetch_max(now, Ordering::Relaxed);
        self.run_count.fetch_add(1, Ordering::Relaxed);
    }

    /// Keeps the first error message, for the report.
    pub fn note_error(&self, message: &str) {
        let mut first = self.first_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if first.is_none() {
            *first = Some(message.chars().take(300).collect());
        }
    }

    /// The first error noted.
    pub fn first_error(&self) -> Option<String> {
        self.first_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// Which channels the `index`-th connection subscribes to.
pub type Plan = Arc<dyn Fn(usize) -> Vec<Subscription> + Send + Sync>;

/// A set of connections, each subscribed and reading until the fleet is closed.
#[derive(Debug)]
pub struct Fleet {
    cancel: CancellationToken,
    tasks: TaskTracker,
    size: usize,
    /// Where the fleet's connections report.
    pub sink: Arc<Sink>,
}

/// How long one connection may take to connect and subscribe.
const JOIN_TIMEOUT: Duration = Duration::from_secs(30);

impl Fleet {
    /// Starts `size` connections (indices `first..first + size`), at most `concurrency`
    /// connecting at once.
    pub fn spawn(
        target: &Arc<Target>,
        first: usize,
        size: usize,
        concurrency: usize,
        plan: &Plan,
        sink: Arc<Sink>,
    ) -> Self {
        let cancel = CancellationToken::new();
        let tasks = TaskTracker::new();
        let gate = Arc::new(Semaphore::new(concurrency.max(1)));
        for index in first..first + size {
            let member = Member {
                target: target.clone(),
                index,
                subscriptions: plan(index),
                sink: sink.clone(),
                cancel: cancel.clone(),
            };
            let gate = gate.clone();
            tasks.spawn(async move {
                let Ok(permit) = gate.acquire_owned().await else { return };
                member.run(permit).await;
            });
        }
        tasks.close();
        Self { cancel, tasks, size, sink }
    }

    /// Waits until every connection is subscribed or failed, or `timeout` passes; returns
    /// how many are subscribed.
    pub async fn wait_ready(&self, timeout: Duration) -> u64 {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let ready = self.sink.ready.load(Ordering::SeqCst);
            let failed = self.sink.failed.load(Ordering::SeqCst);
            if ready + failed >= self.size as u64 || tokio::time::Instant::now() >= deadline {
                return ready;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Closes every connection and waits (up to 10 s) for the tasks to end.
    pub async fn close(self) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.tasks.wait()).await;
    }
}

struct Member {
    target: Arc<Target>,
    index: usize,
    subscriptions: Vec<Subscription>,
    sink: Arc<Sink>,
    cancel: CancellationToken,
}

impl Member {
    async fn run(self, permit: tokio::sync::OwnedSemaphorePermit) {
        let join = async {
            let mut conn = Conn::connect(&self.target, self.index).await?;
            conn.subscribe(&self.target, &self.subscriptions, JOIN_TIMEOUT).await?;
            Ok::<_, Error>(conn)
        };
        let joined = tokio::select! {
            () = self.cancel.cancelled() => return,
            joined = tokio::time::timeout(JOIN_TIMEOUT, join) => joined,
        };
        drop(permit);
        let mut conn = match joined {
            Ok(Ok(conn)) => conn,
            Ok(Err(error)) => return self.failed(&error.to_string()),
            Err(_) => return self.failed("connect and subscribe timed out"),
        };
        self.sink.ready.fetch_add(1, Ordering::SeqCst);
        let cancelled = self.cancel.cancelled();
        tokio::pin!(cancelled);
        loop {
            tokio::select! {
                biased;
                () = &mut cancelled => break,
                text = conn.next_text() => match text {
                    Ok(text) => self.sink.on_frame(text, now_nanos()),
                    Err(error) => {
                        self.sink.dropped.fetch_add(1, Ordering::SeqCst);
                        self.sink.note_error(&error.to_string());
                        return;
                    }
                },
            }
        }
    }

    fn failed(&self, message: &str) {
        self.sink.failed.fetch_add(1, Ordering::SeqCst);
        self.sink.note_error(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_counts_only_its_own_events() {
        let sink = Sink::default();
        sink.start_run(2);
        sink.on_frame(br#"{"data":"lg1 1 100 "}"#, 5_000);
        sink.on_frame(br#"{"data":"lg1 2 1000 "}"#, 3_000_000);
        sink.on_frame(br#"{"data":"lg1 2 1000 "}"#, 2_001_000);
        let run = sink.run();
        assert_eq!(run, RunReceipts { count: 2, first: Some(2_001_000), last: Some(3_000_000) });
        assert_eq!(sink.received.load(Ordering::SeqCst), 3);
        assert_eq!(sink.latency.percentile(100.0), Some(2_999));
        sink.on_frame(br#"{"event":"pusher:error","data":{"message":"no"}}"#, 0);
        assert_eq!(sink.errors.load(Ordering::SeqCst), 1);
        assert!(sink.first_error().unwrap().contains("no"));
        sink.start_run(3);
        assert_eq!(sink.run(), RunReceipts { count: 0, first: None, last: None });
    }
}
