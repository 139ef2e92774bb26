//! The outbox relay: the outbox's durable worker ([`crate::durable`]), publishing claimed
//! events to an [`EventSink`] and marking them sent.
//!
//! Guarantees are the durable component's: at least once (an event published but not yet
//! marked sent when a node crashes goes out again, with the same `eventId` so clients drop the
//! duplicate), in order per invoice across nodes sharing one database, give-back and back-off
//! on a temporary failure, takeover of a dead node's events within a short lease. Events no
//! server will ever accept are set aside as failed so they cannot block their invoice.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::durable::{self, NodeId, Performed, Work, WorkerOptions};
use crate::sink::{EventSink, MAX_BATCH, PublishError};
use crate::store::{OUTBOX, PendingEvent, Store, WorkTable};

/// Timing of the relay: a durable worker's.
pub type RelayOptions = WorkerOptions;

/// Runs until `stop` is cancelled, claiming as `node`. Never returns an error: failures are
/// logged and retried.
pub async fn run(
    store: Store,
    sink: Arc<dyn EventSink>,
    node: NodeId,
    options: RelayOptions,
    stop: CancellationToken,
) {
    let wake = store.outbox_written();
    durable::run(store, Relay { sink }, node, options, wake, stop).await;
}

/// Publishing outbox events.
struct Relay {
    sink: Arc<dyn EventSink>,
}

impl Work for Relay {
    type Item = PendingEvent;
    type Error = PublishError;
    const TABLE: &'static WorkTable = &OUTBOX;
    const NAME: &'static str = "outbox relay";
    /// A remote server takes this many events in one call.
    const STEP: usize = MAX_BATCH;
    const KEYS: i64 = 10;

    async fn perform(&self, items: &[PendingEvent]) -> Performed<PublishError> {
        let outcome = self.sink.publish_run(items).await;
        Performed { done: outcome.published, failure: outcome.failure }
    }

    fn is_permanent(error: &PublishError) -> bool {
        match error {
            PublishError::Permanent(_) => true,
            PublishError::Transient(_) => false,
        }
    }
}
