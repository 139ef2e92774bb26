//! Publishing an event: the rules every trigger obeys (names, sizes, channel counts), shared
//! by the HTTP API and in-process callers such as the invoicing backend.

use std::net::SocketAddr;
use std::time::Instant;

use pusher_protocol::limits::MAX_EVENT_NAME_LEN;
use pusher_protocol::{ChannelName, ChannelNameError, ServerMessage, SocketId, SocketIdError};

use serde_json::json;

use crate::app::App;
use crate::apps::Apps;
use crate::tap::Kind;

/// Why an event was not published.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerError {
    /// No app has this id.
    #[error("Unknown app id {0}")]
    UnknownApp(String),
    /// The event name is empty or too long.
    #[error("Event name must be 1 to {MAX_EVENT_NAME_LEN} characters")]
    EventName,
    /// No channel, or more than the app allows in one event.
    #[error("An event needs 1 to {max} channels, got {got}")]
    ChannelCount {
        /// The channels named.
        got: usize,
        /// The app's limit.
        max: usize,
    },
    /// A channel name is invalid.
    #[error("Invalid channel {name:?}: {reason}")]
    Channel {
        /// The name as given.
        name: String,
        /// Why it is invalid.
        reason: ChannelNameError,
    },
    /// An encrypted channel named with others: its payload is encrypted for it alone.
    #[error("Encrypted channels cannot be triggered with other channels")]
    EncryptedWithOthers,
    /// The socket id to exclude is not `digits.digits`.
    #[error(transparent)]
    SocketId(#[from] SocketIdError),
    /// The event's data is over the app's size limit.
    #[error("Event data is {size} bytes; at most {max} are allowed")]
    TooLarge {
        /// The data's size.
        size: usize,
        /// The app's limit.
        max: usize,
    },
}

/// Who published an event, as the console shows it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Source {
    /// The HTTP API, from this peer address.
    Api(Option<SocketAddr>),
    /// The console's Event Creator, from this peer address.
    Console(Option<SocketAddr>),
    /// A caller in the same process ([`Publisher`]).
    InProcess,
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Api(Some(peer)) => write!(f, "HTTP API from {}", peer.ip()),
            Self::Api(None) => f.write_str("HTTP API"),
            Self::Console(Some(peer)) => write!(f, "Debug Console from {}", peer.ip()),
            Self::Console(None) => f.write_str("Debug Console"),
            Self::InProcess => f.write_str("in-process publisher"),
        }
    }
}

/// One event, checked and ready to publish.
#[derive(Debug)]
pub(crate) struct Event {
    pub(crate) name: String,
    pub(crate) data: String,
    pub(crate) channels: Vec<ChannelName>,
    pub(crate) except: Option<SocketId>,
    /// When the trigger arrived, for the fan-out histogram.
    pub(crate) received: Instant,
}

impl Event {
    /// Checks an event against the app's limits.
    pub(crate) fn check(
        app: &App,
        name: String,
        data: String,
        channels: &[String],
        socket_id: Option<&str>,
    ) -> Result<Self, TriggerError> {
        let received = Instant::now();
        let config = app.config();
        if name.is_empty() || name.len() > MAX_EVENT_NAME_LEN {
            return Err(TriggerError::EventName);
        }
        if data.len() > config.max_event_bytes {
            return Err(TriggerError::TooLarge { size: data.len(), max: config.max_event_bytes });
        }
        if channels.is_empty() || channels.len() > config.max_channels_per_event {
            let max = config.max_channels_per_event;
            return Err(TriggerError::ChannelCount { got: channels.len(), max });
        }
        let channels = channels
            .iter()
            .map(|name| {
                ChannelName::parse(name)
                    .map_err(|reason| TriggerError::Channel { name: name.clone(), reason })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if channels.len() > 1 && channels.iter().any(|c| c.kind().is_encrypted()) {
            return Err(TriggerError::EncryptedWithOthers);
        }
        let except = socket_id.map(SocketId::parse).transpose()?;
        Ok(Self { name, data, channels, except, received })
    }

    /// Hands the event to every subscriber, one serialisation per channel, and keeps it
    /// on cache channels. `from` says who sent it, for the console.
    pub(crate) fn publish(&self, app: &App, from: Source) {
        app.tap().record(Kind::ApiMessage, || {
            let channels: Vec<&str> = self.channels.iter().map(ChannelName::as_str).collect();
            json!({
                "channels": channels, "channel": channels.first(), "event": self.name,
                "data": self.data, "size": self.data.len(), "from": from.to_string(),
                "socket_id": self.except.map(|s| s.to_string()),
            })
        });
        let started = Instant::now();
        app.usage().api_events.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for channel in &self.channels {
            let message = ServerMessage::Event {
                event: &self.name,
                channel,
                data: &self.data,
                user_id: None,
            };
            app.broadcast(channel, &app.event_frame(&message, self.received), self.except);
            if channel.kind().is_cache() {
                app.store_cached(channel, &self.name, &self.data);
            }
        }
        app.usage().publish_latency.observe(started.elapsed());
    }
}

/// Publishes events in-process, with the same rules as the HTTP API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Publisher {
    apps: Apps,
}

impl Publisher {
    pub(crate) fn new(apps: Apps) -> Self {
        Self { apps }
    }

    /// Triggers `event` with the payload string `data` on `channels` of the app `app_id`.
    /// Returns once the event is in the cluster's order (at once on one node): what anyone
    /// publishes after reaches every subscriber after it.
    /// While the node has more deliveries waiting for a core than it can write soon, it
    /// returns up to 50 ms later, so a fast publisher is slowed (see `backlog`).
    ///
    /// # Errors
    /// [`TriggerError`] when the app is unknown or the event breaks a rule.
    pub async fn trigger(
        &self,
        app_id: &str,
        channels: &[String],
        event: &str,
        data: &str,
    ) -> Result<(), TriggerError> {
        let app =
            self.apps.by_id(app_id).ok_or_else(|| TriggerError::UnknownApp(app_id.to_owned()))?;
        Event::check(&app, event.to_owned(), data.to_owned(), channels, None)?
            .publish(&app, Source::InProcess);
        app.published().await;
        crate::backlog::BACKLOG.drained().await;
        Ok(())
    }
}
