//! Where the outbox relay publishes: the built-in realtime server in the same process, or any
//! Pusher-compatible HTTP API through `pusher-client` (up to [`MAX_BATCH`] events a call).

use pusher_client::PusherClient;
use pusher_protocol::api::BatchEvent;

use crate::store::PendingEvent;

/// Most events in one call to a remote server (the Pusher HTTP API's batch limit).
pub const MAX_BATCH: usize = 10;

/// A publishing target.
#[derive(Debug, Clone)]
pub enum Publisher {
    /// The realtime server running in this process, app `app_id`.
    BuiltIn {
        /// The in-process handle.
        publisher: realtime::Publisher,
        /// The app the events belong to.
        app_id: String,
    },
    /// A remote server (Pusher Cloud, soketi, a separate `paybell realtime`), signed calls.
    Remote(PusherClient),
}

/// Why one publication failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Worth retrying: the server is unreachable, overloaded or answered 5xx/429.
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Retrying the same event cannot help (the server refuses it as invalid).
    #[error("permanent failure: {0}")]
    Permanent(String),
}

impl Publisher {
    /// Publishes one event.
    ///
    /// # Errors
    /// [`PublishError`], classified so the relay knows whether to retry.
    pub async fn publish(
        &self,
        channel: &str,
        event: &str,
        data: &str,
    ) -> Result<(), PublishError> {
        match self {
            Self::BuiltIn { publisher, app_id } => {
                let channels = [channel.to_owned()];
                publisher.trigger(app_id, &channels, event, data).await.map_err(|error| match error
                {
                    // The app may be configured again after a restart: keep the event.
                    realtime::TriggerError::UnknownApp(_) => {
                        PublishError::Transient(error.to_string())
                    }
                    realtime::TriggerError::EventName
                    | realtime::TriggerError::ChannelCount { .. }
                    | realtime::TriggerError::Channel { .. }
                    | realtime::TriggerError::EncryptedWithOthers
                    | realtime::TriggerError::SocketId(_)
                    | realtime::TriggerError::TooLarge { .. } => {
                        PublishError::Permanent(error.to_string())
                    }
                })
            }
            Self::Remote(client) => match client.trigger(&[channel], event, data, None, None).await
            {
                Ok(_) => Ok(()),
                Err(error) => Err(classify(&error)),
            },
        }
    }
}

/// How far [`Publisher::publish_run`] got.
#[derive(Debug)]
pub struct RunOutcome {
    /// The first `published` events were accepted.
    pub published: usize,
    /// Why the next one was not; `None` when all were.
    pub failure: Option<PublishError>,
}

impl Publisher {
    /// Publishes `events` in order, stopping at the first failure. A remote server gets them
    /// [`MAX_BATCH`] at a time through `batch_events`; a batch it refuses for good is tried
    /// again event by event, so one bad event does not take its neighbours down with it.
    pub async fn publish_run(&self, events: &[PendingEvent]) -> RunOutcome {
        let Self::Remote(client) = self else { return self.one_by_one(events).await };
        let mut published = 0;
        for chunk in events.chunks(MAX_BATCH) {
            let outcome = if chunk.len() == 1 {
                self.one_by_one(chunk).await
            } else {
                match client.trigger_batch(chunk.iter().map(batch_event).collect()).await {
                    Ok(_) => RunOutcome { published: chunk.len(), failure: None },
                    Err(error) => match classify(&error) {
                        // Publishes the others, and finds the one the server refuses.
                        PublishError::Permanent(_) => self.one_by_one(chunk).await,
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

    async fn one_by_one(&self, events: &[PendingEvent]) -> RunOutcome {
        for (published, event) in events.iter().enumerate() {
            if let Err(error) = self.publish(&event.channel, &event.event, &event.payload).await {
                return RunOutcome { published, failure: Some(error) };
            }
        }
        RunOutcome { published: events.len(), failure: None }
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
fn classify(error: &pusher_client::Error) -> PublishError {
    let message = error.to_string();
    match error.status() {
        Some(400 | 413) => PublishError::Permanent(message),
        Some(_) | None => PublishError::Transient(message),
    }
}
