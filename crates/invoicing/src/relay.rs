//! The outbox relay: claims pending events, publishes them, marks them sent; retries with
//! back-off.
//!
//! Guarantees: at least once, in order per invoice. Each relay claims rows under a lease
//! ([`crate::store::outbox`] explains how), so relays on several nodes sharing one database
//! publish each row once, and an invoice's rows go out in the order written; rows of
//! different invoices may go out in parallel. An event is marked sent only after the publisher
//! accepted it, so a crash between the two publishes it again (same `eventId`, so clients drop
//! the duplicate) once the crashed node's lease has run out.
//!
//! A temporary failure ends the round: the failed row keeps its place, this relay gives back
//! everything it holds (so a healthy node can take it at once) and waits before claiming
//! again; the wait doubles from [`RelayOptions::initial_backoff`] to
//! [`RelayOptions::max_backoff`]. Events no server will ever accept are set aside as failed so
//! they cannot block their invoice.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::domain::Timestamp;
use crate::sink::{EventSink, MAX_BATCH, PublishError};
use crate::store::{PendingEvent, Store};

/// Invoices claimed per round.
const CLAIM_INVOICES: i64 = 10;

/// Timing of the relay.
#[derive(Debug, Clone, Copy)]
pub struct RelayOptions {
    /// Wait after the first failure.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// How often to look for rows written by another process (this process notifies itself).
    pub poll_interval: Duration,
    /// How long claimed rows stay this relay's: after a crash, other nodes wait this long
    /// before publishing them. Publishing stops halfway through the lease, and one call may
    /// take a quarter of it, so claims do not run out while in use.
    pub claim_lease: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            poll_interval: Duration::from_secs(2),
            claim_lease: Duration::from_secs(30),
        }
    }
}

/// Runs until `stop` is cancelled. Never returns an error: failures are logged and retried.
pub async fn run(
    store: Store,
    sink: Arc<dyn EventSink>,
    options: RelayOptions,
    stop: CancellationToken,
) {
    let relay = Relay { store, sink, options, claimer: uuid::Uuid::new_v4().to_string() };
    let written = relay.store.outbox_written();
    let mut backoff = options.initial_backoff;
    loop {
        let wait = match relay.round().await {
            Ok(()) => {
                backoff = options.initial_backoff;
                options.poll_interval
            }
            Err(error) => {
                let wait = backoff;
                tracing::warn!(error = %chain(&error), retry_in_ms = wait.as_millis(), "outbox relay: publish failed; retrying");
                relay.release().await;
                backoff = (backoff * 2).min(options.max_backoff);
                wait
            }
        };
        tokio::select! {
            () = stop.cancelled() => break,
            () = written.notified(), if wait == options.poll_interval => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
    relay.release().await;
    tracing::debug!("outbox relay stopped");
}

/// Why a round stopped early.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error("event {seq}")]
    Publish {
        seq: i64,
        #[source]
        source: PublishError,
    },
    #[error("outbox store")]
    Store(#[from] crate::store::StoreError),
}

struct Relay {
    store: Store,
    sink: Arc<dyn EventSink>,
    options: RelayOptions,
    /// This relay's name in `claimed_by`: unique per run, so a restarted node does not
    /// mistake its predecessor's claims for its own.
    claimer: String,
}

impl Relay {
    /// Claims and publishes until nothing is left that this relay may take.
    async fn round(&self) -> Result<(), RoundError> {
        let lease = self.options.claim_lease;
        loop {
            let deadline = Instant::now() + lease / 2;
            let events =
                self.store.claim_events(&self.claimer, Timestamp::now(), lease, CLAIM_INVOICES);
            let events = events.await?;
            if events.is_empty() {
                return Ok(());
            }
            if !self.publish_claimed(&events, deadline).await? {
                // The lease is half gone: give the rest back and claim afresh.
                self.release().await;
            }
        }
    }

    /// Publishes claimed rows in order; `Ok(false)` when `deadline` came first.
    async fn publish_claimed(
        &self,
        events: &[PendingEvent],
        deadline: Instant,
    ) -> Result<bool, RoundError> {
        let mut rest = events;
        while !rest.is_empty() {
            if Instant::now() >= deadline {
                return Ok(false);
            }
            let chunk = &rest[..rest.len().min(MAX_BATCH)];
            let (published, failure) = self.publish_chunk(chunk).await;
            for event in &chunk[..published] {
                self.store.mark_sent(event.seq, Timestamp::now()).await?;
            }
            rest = &rest[published..];
            let Some(error) = failure else { continue };
            let Some(event) = rest.first() else { continue };
            match error {
                PublishError::Permanent(_) => {
                    tracing::error!(seq = event.seq, event_id = %event.event_id, error = %chain(&error), "outbox relay: event refused for good; set aside");
                    self.store.mark_failed(event.seq, &chain(&error), Timestamp::now()).await?;
                    rest = &rest[1..];
                }
                PublishError::Transient(_) => {
                    self.store.mark_attempt_failed(event.seq, &chain(&error)).await?;
                    return Err(RoundError::Publish { seq: event.seq, source: error });
                }
            }
        }
        Ok(true)
    }

    /// Publishes `chunk`, bounded in time so a hanging server cannot outlast the lease.
    async fn publish_chunk(&self, chunk: &[PendingEvent]) -> (usize, Option<PublishError>) {
        let limit = self.options.claim_lease / 4;
        match tokio::time::timeout(limit, self.sink.publish_run(chunk)).await {
            Ok(outcome) => (outcome.published, outcome.failure),
            Err(_) => (0, Some(PublishError::Transient(Box::new(TimedOut(limit))))),
        }
    }

    /// Gives back this relay's claims; on failure they run out with their lease instead.
    async fn release(&self) {
        if let Err(error) = self.store.release_claims(&self.claimer).await {
            tracing::warn!(%error, "outbox relay: could not release claims; they will expire");
        }
    }
}

/// A publication that outlasted its time limit.
#[derive(Debug, thiserror::Error)]
#[error("no answer within {} ms", .0.as_millis())]
struct TimedOut(Duration);

/// `error` and its sources, `: `-separated.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}
