//! The outbox relay: publishes pending events in order, with retries and back-off.
//!
//! Guarantees: at least once, in outbox order. An event is marked sent only after the
//! publisher accepted it, so a crash between the two publishes it again (same `eventId`, so
//! clients drop the duplicate). A failing event blocks the ones after it, which keeps order;
//! back-off doubles from [`RelayOptions::initial_backoff`] to [`RelayOptions::max_backoff`].
//! Events no server will ever accept are set aside as failed so they cannot block forever.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::Timestamp;
use crate::publisher::{PublishError, Publisher};
use crate::store::{PendingEvent, Store};

/// Rows read per round.
const BATCH: i64 = 100;

/// Timing of the relay.
#[derive(Debug, Clone, Copy)]
pub struct RelayOptions {
    /// Wait after the first failure.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// How often to look for rows written by another process (this process notifies itself).
    pub poll_interval: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            poll_interval: Duration::from_secs(2),
        }
    }
}

/// Runs until `stop` is cancelled. Never returns an error: failures are logged and retried.
pub async fn run(
    store: Store,
    publisher: Publisher,
    options: RelayOptions,
    stop: CancellationToken,
) {
    let written = store.outbox_written();
    let mut backoff = options.initial_backoff;
    loop {
        let wait = match relay_pending(&store, &publisher).await {
            Ok(()) => {
                backoff = options.initial_backoff;
                options.poll_interval
            }
            Err(error) => {
                let wait = backoff;
                tracing::warn!(%error, retry_in_ms = wait.as_millis(), "outbox relay: publish failed; retrying");
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
    tracing::debug!("outbox relay stopped");
}

/// Why a round stopped early.
#[derive(Debug, thiserror::Error)]
enum RoundError {
    #[error("event {seq}: {source}")]
    Publish {
        seq: i64,
        #[source]
        source: PublishError,
    },
    #[error("outbox store: {0}")]
    Store(#[from] crate::store::StoreError),
}

/// Publishes everything pending, in order; stops at the first temporary failure.
async fn relay_pending(store: &Store, publisher: &Publisher) -> Result<(), RoundError> {
    loop {
        let events = store.pending_events(BATCH).await?;
        if events.is_empty() {
            return Ok(());
        }
        for event in events {
            publish_one(store, publisher, &event).await?;
        }
    }
}

async fn publish_one(
    store: &Store,
    publisher: &Publisher,
    event: &PendingEvent,
) -> Result<(), RoundError> {
    match publisher.publish(&event.channel, &event.event, &event.payload).await {
        Ok(()) => {
            store.mark_sent(event.seq, Timestamp::now()).await?;
            Ok(())
        }
        Err(error @ PublishError::Permanent(_)) => {
            tracing::error!(seq = event.seq, event_id = %event.event_id, %error, "outbox relay: event refused for good; set aside");
            store.mark_failed(event.seq, &error.to_string(), Timestamp::now()).await?;
            Ok(())
        }
        Err(error @ PublishError::Transient(_)) => {
            store.mark_attempt_failed(event.seq, &error.to_string()).await?;
            Err(RoundError::Publish { seq: event.seq, source: error })
        }
    }
}
