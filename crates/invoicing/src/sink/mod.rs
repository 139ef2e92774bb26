//! Where the outbox relay publishes: the [`EventSink`] seam. This crate implements the remote
//! one ([`PusherSink`]: any Pusher-compatible HTTP API through `pusher-client`); the binary
//! wires in the built-in server, so this library does not depend on it.

mod pusher;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use pusher::{MAX_BATCH, PusherSink};

use crate::store::PendingEvent;

/// The future an [`EventSink`] returns.
pub type SinkFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What made a publication fail, kept whole for the logs and the outbox's `last_error`.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// A publishing target for outbox events.
///
/// What an implementation promises, per call:
/// - `Ok(())` means the target accepted the event: it will go out to the channel's current
///   subscribers and the relay marks the row sent. The call itself does not retry.
/// - [`PublishError::Transient`] means it may pass later (target unreachable, overloaded,
///   misconfigured, or the app unknown for now): the relay keeps the row in its place and
///   retries it, with back-off, before any later event of the same invoice.
/// - [`PublishError::Permanent`] means this event will never be accepted (invalid name or
///   channel, too large): the relay sets it aside so it cannot block its invoice.
///
/// A failed call may still have delivered the event (an answer lost on the way back); the
/// retry then delivers it twice, which clients tolerate through `eventId`.
pub trait EventSink: fmt::Debug + Send + Sync {
    /// Publishes one event.
    fn publish<'a>(&'a self, event: &'a PendingEvent) -> SinkFuture<'a, Result<(), PublishError>>;

    /// Publishes `events` in order, stopping at the first failure. The default publishes them
    /// one by one; a target with a batch call can do better.
    fn publish_run<'a>(&'a self, events: &'a [PendingEvent]) -> SinkFuture<'a, RunOutcome> {
        Box::pin(one_by_one(self, events))
    }
}

/// How far [`EventSink::publish_run`] got.
#[derive(Debug)]
pub struct RunOutcome {
    /// The first `published` events were accepted.
    pub published: usize,
    /// Why the next one was not; `None` when all were.
    pub failure: Option<PublishError>,
}

/// Why one publication failed, with its cause.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// Worth retrying: the target is unreachable, overloaded or answered 5xx/429.
    #[error("temporary failure")]
    Transient(#[source] Cause),
    /// Retrying the same event cannot help (the target refuses it as invalid).
    #[error("permanent failure")]
    Permanent(#[source] Cause),
}

/// Publishes `events` one at a time, stopping at the first failure.
pub async fn one_by_one<S: EventSink + ?Sized>(sink: &S, events: &[PendingEvent]) -> RunOutcome {
    for (published, event) in events.iter().enumerate() {
        if let Err(error) = sink.publish(event).await {
            return RunOutcome { published, failure: Some(error) };
        }
    }
    RunOutcome { published: events.len(), failure: None }
}
