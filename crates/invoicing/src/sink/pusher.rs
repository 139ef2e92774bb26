//! [`PusherSink`]: publishing to any Pusher-compatible HTTP API (Pusher Cloud, soketi, a
//! separate `paybell realtime`) through `pusher-client`, up to [`MAX_BATCH`] events a call.

use pusher_client::PusherClient;
use pusher_protocol::api::BatchEvent;

use super::{EventSink, PublishError, RunOutcome, SinkFuture, one_by_one};
use crate::store::PendingEvent;

/// Most events in one call to a remote server (the Pusher HTTP API's batch limit).
pub const MAX_BATCH: usize = 10;

/// A remote server, called with signed requests.
#[derive(Debug, Clone)]
pub struct PusherSink {
    client: PusherClient,
}

impl PusherSink {
    /// Publishes through `client`.
    pub fn new(client: PusherClient) -> Self {
        Self { client }
    }

    async fn trigger(&self, event: &PendingEvent) -> Result<(), PublishError> {
        let channels = [event.channel.as_str()];
        match self.client.trigger(&channels, &event.event, &event.payload, None, None).await {
            Ok(_) => Ok(()),
            Err(error) => Err(classify(error)),
        }
    }

    /// Sends `events` [`MAX_BATCH`] at a time through `batch_events`; a batch refused for
    /// good is tried again event by event, so one bad event does not take its neighbours
    /// down with it.
    async fn batches(&self, events: &[PendingEvent]) -> RunOutcome {
        let mut published = 0;
        for chunk in events.chunks(MAX_BATCH) {
            let outcome = if chunk.len() == 1 {
                one_by_one(self, chunk).await
            } else {
                match self.client.trigger_batch(chunk.iter().map(batch_event).collect()).await {
                    Ok(_) => RunOutcome { published: chunk.len(), failure: None },
                    Err(error) => match classify(error) {
                        // Publishes the others, and finds the one the server refuses.
                        PublishError::Permanent(_) => one_by_one(self, chunk).await,
                        transient @ PublishError::Transient(_) => {
                            RunOutcome { published: 0, failure: Some(transient) }
                        }
                    },
                }
            };
            published += outcome.published;
            if outcome.failure.is_some() {
                return RunOutcome { published, failure: outcome.failure };
            }
        }
        RunOutcome { published, failure: None }
    }
}

impl EventSink for PusherSink {
    fn publish<'a>(&'a self, event: &'a PendingEvent) -> SinkFuture<'a, Result<(), PublishError>> {
        Box::pin(self.trigger(event))
    }

    fn publish_run<'a>(&'a self, events: &'a [PendingEvent]) -> SinkFuture<'a, RunOutcome> {
        Box::pin(self.batches(events))
    }
}

fn batch_event(event: &PendingEvent) -> BatchEvent {
    BatchEvent {
        name: event.event.clone(),
        data: event.payload.clone(),
        channel: event.channel.clone(),
        socket_id: None,
        info: None,
    }
}

/// 400 and 413 mean this event will never be accepted; anything else (network, 401/403 from
/// a misconfiguration being fixed, 404, 429, 5xx) may pass later.
fn classify(error: pusher_client::Error) -> PublishError {
    match error.status() {
        Some(400 | 413) => PublishError::Permanent(Box::new(error)),
        Some(_) | None => PublishError::Transient(Box::new(error)),
    }
}
