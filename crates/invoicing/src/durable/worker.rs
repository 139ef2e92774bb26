//! The one worker loop of durable work ([`super`] states its guarantees).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{NodeId, Performed, Work, WorkerOptions, error_chain};
use crate::domain::Timestamp;
use crate::store::{Claimed, Store, StoreError, WorkQueue};

/// Runs `work` as node `node` until `stop` is cancelled, woken early by `wake`. First takes
/// back the claims an earlier process of this node left. Never returns an error: failures
/// are logged and retried.
pub async fn run<W: Work>(
    store: Store,
    work: W,
    node: NodeId,
    options: WorkerOptions,
    wake: Arc<Notify>,
    stop: CancellationToken,
) {
    let worker = Worker { store, work, node, options };
    match worker.queue().release(worker.node.as_str()).await {
        Ok(0) => {}
        Ok(count) => tracing::info!(worker = W::NAME, count, "took back claims of a previous run"),
        Err(error) => {
            tracing::warn!(worker = W::NAME, error = %error_chain(&error), "could not take back claims of a previous run; they will expire");
        }
    }
    let mut backoff = options.initial_backoff;
    loop {
        let wait = match worker.round().await {
            Ok(()) => {
                backoff = options.initial_backoff;
                options.poll_interval
            }
            Err(error) => {
                let wait = backoff;
                tracing::warn!(worker = W::NAME, error = %error_chain(&error), retry_in_ms = wait.as_millis(), "failed; retrying");
                worker.release().await;
                backoff = (backoff * 2).min(options.max_backoff);
                wait
            }
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = wake.notified(), if wait == options.poll_interval => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    worker.release().await;
    tracing::debug!(worker = W::NAME, "stopped");
}

/// Why a round stopped early.
#[derive(Debug, thiserror::Error)]
enum RoundError<E: std::error::Error + 'static> {
    #[error("row {seq}")]
    Perform {
        seq: i64,
        #[source]
        source: StepError<E>,
    },
    #[error("another worker took over some claimed rows (lease renewed too late)")]
    LeaseLost,
    #[error("store")]
    Store(#[from] StoreError),
}

/// Why a [`Work::perform`] call failed.
#[derive(Debug, thiserror::Error)]
enum StepError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Failed(E),
    #[error("no answer within {} ms", .0.as_millis())]
    TimedOut(Duration),
}

struct Worker<W> {
    store: Store,
    work: W,
    node: NodeId,
    options: WorkerOptions,
}

impl<W: Work> Worker<W> {
    fn queue(&self) -> WorkQueue<'_> {
        self.store.work(W::TABLE)
    }

    /// Claims and performs until nothing is left that this worker may take.
    async fn round(&self) -> Result<(), RoundError<W::Error>> {
        loop {
            let (now, lease) = (Timestamp::now(), self.options.lease);
            let items: Vec<W::Item> =
                self.queue().claim(self.node.as_str(), now, lease, W::KEYS).await?;
            if items.is_empty() {
                return Ok(());
            }
            self.perform_claimed(&items).await?;
        }
    }

    /// Performs claimed rows in order, step by step, renewing their lease meanwhile.
    async fn perform_claimed(&self, items: &[W::Item]) -> Result<(), RoundError<W::Error>> {
        let mut renew_at = Instant::now() + self.options.lease / 3;
        let mut rest = items;
        while !rest.is_empty() {
            let step = &rest[..rest.len().min(W::STEP)];
            let performed = self.perform_step(step, rest.len(), &mut renew_at).await?;
            for item in &step[..performed.done] {
                self.queue().mark_done(item.seq(), Timestamp::now()).await?;
            }
            rest = &rest[performed.done..];
            let Some(error) = performed.failure else { continue };
            let Some(item) = rest.first() else { continue };
            let (seq, text) = (item.seq(), error_chain(&error));
            if matches!(&error, StepError::Failed(e) if W::is_permanent(e)) {
                tracing::error!(worker = W::NAME, seq, error = %text, "refused for good; set aside");
                self.queue().mark_failed(seq, &text, Timestamp::now()).await?;
                rest = &rest[1..];
            } else {
                self.queue().mark_attempt_failed(seq, &text).await?;
                return Err(RoundError::Perform { seq, source: error });
            }
        }
        Ok(())
    }

    /// One [`Work::perform`] call, bounded in time, renewing the lease on the `held` rows
    /// whenever `renew_at` comes.
    async fn perform_step(
        &self,
        step: &[W::Item],
        held: usize,
        renew_at: &mut Instant,
    ) -> Result<Performed<StepError<W::Error>>, RoundError<W::Error>> {
        let limit = self.options.step_timeout;
        let performed = tokio::time::timeout(limit, self.work.perform(step));
        tokio::pin!(performed);
        loop {
            tokio::select! {
                biased;
                () = tokio::time::sleep_until(*renew_at) => {
                    self.renew(held).await?;
                    *renew_at = Instant::now() + self.options.lease / 3;
                }
                result = &mut performed => {
                    return Ok(match result {
                        Ok(Performed { done, failure }) => {
                            Performed { done, failure: failure.map(StepError::Failed) }
                        }
                        Err(_) => Performed { done: 0, failure: Some(StepError::TimedOut(limit)) },
                    });
                }
            }
        }
    }

    /// Extends the lease on the rows this worker holds, `held` of them.
    async fn renew(&self, held: usize) -> Result<(), RoundError<W::Error>> {
        let until = Timestamp::now().plus(self.options.lease);
        let renewed = self.queue().renew(self.node.as_str(), until).await?;
        if usize::try_from(renewed).unwrap_or(usize::MAX) < held {
            return Err(RoundError::LeaseLost);
        }
        Ok(())
    }

    /// Gives back this worker's claims; on failure they run out with their lease instead.
    async fn release(&self) {
        if let Err(error) = self.queue().release(self.node.as_str()).await {
            tracing::warn!(worker = W::NAME, error = %error_chain(&error), "could not release claims; they will expire");
        }
    }
}
