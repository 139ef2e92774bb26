//! How many connection tasks have been woken for frames and have not yet looked at them:
//! the work fan-outs handed to the scheduler that still waits for a core.
//!
//! A trigger is answered only once this is back under a limit. A publisher faster than the
//! node can write is then slowed at its HTTP response, as a server that writes from the
//! request slows it, instead of growing a run queue whose wait every delivery pays (issue
//! #17 part 4: p99 at 90 % of the sustained rate). Process-wide, because the scheduler it
//! measures is.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Notify;

/// Woken connections above which a trigger is not answered yet: about two fan-outs to 500,
/// enough to keep both cores of a small machine busy between triggers.
const LIMIT: usize = 1024;

/// The longest a trigger waits. A connection whose socket does not drain stays counted
/// until it does or is closed, so the wait is bounded rather than trusting the count.
const MAX_WAIT: Duration = Duration::from_millis(50);

/// The process's backlog.
pub(crate) static BACKLOG: Backlog = Backlog::new();

/// A count of woken connections and a way to wait for it to come down.
#[derive(Debug)]
pub(crate) struct Backlog {
    woken: AtomicUsize,
    drained: Notify,
}

impl Backlog {
    const fn new() -> Self {
        Self { woken: AtomicUsize::new(0), drained: Notify::const_new() }
    }

    /// A connection task was woken for frames.
    pub(crate) fn woken(&self) {
        self.woken.fetch_add(1, Ordering::Relaxed);
    }

    /// A woken connection task looked at its queue, or ended without looking.
    pub(crate) fn looked(&self) {
        if self.woken.fetch_sub(1, Ordering::Relaxed) == LIMIT + 1 {
            self.drained.notify_waiters();
        }
    }

    /// Waits until at most `LIMIT` connections wait to be run, or `MAX_WAIT` has passed.
    pub(crate) async fn drained(&self) {
        self.drained_within(MAX_WAIT).await;
    }

    async fn drained_within(&self, max_wait: Duration) {
        if self.woken.load(Ordering::Relaxed) <= LIMIT {
            return;
        }
        let _ = tokio::time::timeout(max_wait, async {
            loop {
                let notified = self.drained.notified();
                tokio::pin!(notified);
                // Registered before the check, so a drain just after it is not missed.
                notified.as_mut().enable();
                if self.woken.load(Ordering::Relaxed) <= LIMIT {
                    return;
                }
                notified.await;
            }
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn over_limit() -> Backlog {
        let backlog = Backlog::new();
        for _ in 0..=LIMIT {
            backlog.woken();
        }
        backlog
    }

    #[tokio::test]
    async fn under_the_limit_nothing_waits() {
        let backlog = Backlog::new();
        backlog.woken();
        backlog.drained_within(Duration::from_secs(60)).await;
    }

    #[tokio::test]
    async fn a_trigger_waits_until_the_backlog_drains() {
        let backlog = std::sync::Arc::new(over_limit());
        let waiting = backlog.clone();
        let started = std::time::Instant::now();
        let task =
            tokio::spawn(async move { waiting.drained_within(Duration::from_secs(60)).await });
        tokio::task::yield_now().await;
        assert!(!task.is_finished());
        backlog.looked();
        task.await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(30));
    }

    #[tokio::test]
    async fn a_backlog_that_does_not_drain_delays_a_trigger_at_most_max_wait() {
        let backlog = over_limit();
        let started = std::time::Instant::now();
        backlog.drained_within(Duration::from_millis(20)).await;
        assert!(started.elapsed() >= Duration::from_millis(20));
    }
}
