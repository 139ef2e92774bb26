//! Where the outbox relay publishes: the built-in realtime server in the same process, or any
//! Pusher-compatible HTTP API through `pusher-client`.

use pusher_client::PusherClient;

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
                publisher.trigger(app_id, &channels, event, data).map_err(|error| match error {
                    // The app may be configured again after a restart: keep the event.
                    realtime::TriggerError::UnknownApp(_) => {
                        PublishError::Transient(error.to_string())
                    }
                    realtime::TriggerError::Invalid(_)
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

/// 400 and 413 mean this event will never be accepted; anything else (network, 401/403 from
/// a misconfiguration being fixed, 404, 429, 5xx) may pass later.
fn classify(error: &pusher_client::Error) -> PublishError {
    let message = error.to_string();
    match error.status() {
        Some(400 | 413) => PublishError::Permanent(message),
        Some(_) | None => PublishError::Transient(message),
    }
}
