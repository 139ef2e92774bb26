//! The built-in realtime server as the outbox relay's [`EventSink`]: events go to the hub of
//! this process, with the same rules as the HTTP API, no network in between.

use invoicing::sink::{Cause, EventSink, PublishError, SinkFuture};
use invoicing::store::PendingEvent;

/// Publishes to app `app_id` of the in-process server.
#[derive(Debug, Clone)]
pub struct BuiltInSink {
    publisher: realtime::Publisher,
    app_id: realtime::AppId,
}

impl BuiltInSink {
    /// A sink for `app_id` of the server behind `publisher`.
    pub fn new(publisher: realtime::Publisher, app_id: realtime::AppId) -> Self {
        Self { publisher, app_id }
    }

    async fn trigger(&self, event: &PendingEvent) -> Result<(), PublishError> {
        let channels = [event.channel.clone()];
        let published = self
            .publisher
            .trigger(self.app_id.as_str(), &channels, &event.event, &event.payload)
            .await;
        published.map_err(classify)
    }
}

impl EventSink for BuiltInSink {
    fn publish<'a>(&'a self, event: &'a PendingEvent) -> SinkFuture<'a, Result<(), PublishError>> {
        Box::pin(self.trigger(event))
    }
}

/// An unknown app may be configured again after a restart, so its events are kept; every
/// other refusal is about the event itself.
fn classify(error: realtime::TriggerError) -> PublishError {
    match error {
        realtime::TriggerError::UnknownApp(_) => PublishError::Transient(Cause::from(error)),
        realtime::TriggerError::EventName
        | realtime::TriggerError::ChannelCount { .. }
        | realtime::TriggerError::Channel { .. }
        | realtime::TriggerError::EncryptedWithOthers
        | realtime::TriggerError::SocketId(_)
        | realtime::TriggerError::TooLarge { .. } => PublishError::Permanent(Cause::from(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unknown_app_is_worth_retrying() {
        let unknown = classify(realtime::TriggerError::UnknownApp("x".to_owned()));
        assert!(matches!(unknown, PublishError::Transient(_)));
        let large = classify(realtime::TriggerError::TooLarge { size: 2, max: 1 });
        assert!(matches!(large, PublishError::Permanent(_)));
    }
}
