//! Webhooks (PROTOCOL.md §7): events about channels and members, signed and POSTed to each
//! app's URLs.
//!
//! Guarantees: emitting never blocks a connection (a full queue drops the event and counts
//! it); `channel_vacated` and `member_removed` wait 3 s and are dropped, with the
//! `channel_occupied`/`member_added` that undoes them, when the channel or member comes back;
//! a failed delivery is retried with exponential back-off for 5 minutes. Delivery is at
//! least once per webhook.

mod deliver;
mod dispatch;

use std::sync::Arc;

use pusher_protocol::{ChannelName, SocketId};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::config::{AppConfig, WebhookKind};
use crate::metrics::Metrics;
use crate::tap::Tap;
pub(crate) use dispatch::Dispatcher;

/// Events waiting for the dispatcher before new ones are dropped.
const QUEUE: usize = 16 * 1024;

/// One webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WebhookEvent {
    ChannelOccupied {
        channel: ChannelName,
    },
    ChannelVacated {
        channel: ChannelName,
    },
    MemberAdded {
        channel: ChannelName,
        user_id: Arc<str>,
    },
    MemberRemoved {
        channel: ChannelName,
        user_id: Arc<str>,
    },
    ClientEvent {
        channel: ChannelName,
        event: String,
        data: String,
        socket_id: SocketId,
        user_id: Option<Arc<str>>,
    },
    CacheMiss {
        channel: ChannelName,
    },
    SubscriptionCount {
        channel: ChannelName,
        count: usize,
    },
}

impl WebhookEvent {
    pub(crate) fn kind(&self) -> WebhookKind {
        match self {
            Self::ChannelOccupied { .. } => WebhookKind::ChannelOccupied,
            Self::ChannelVacated { .. } => WebhookKind::ChannelVacated,
            Self::MemberAdded { .. } => WebhookKind::MemberAdded,
            Self::MemberRemoved { .. } => WebhookKind::MemberRemoved,
            Self::ClientEvent { .. } => WebhookKind::ClientEvent,
            Self::CacheMiss { .. } => WebhookKind::CacheMiss,
            Self::SubscriptionCount { .. } => WebhookKind::SubscriptionCount,
        }
    }

    pub(crate) fn channel(&self) -> &ChannelName {
        match self {
            Self::ChannelOccupied { channel }
            | Self::ChannelVacated { channel }
            | Self::MemberAdded { channel, .. }
            | Self::MemberRemoved { channel, .. }
            | Self::ClientEvent { channel, .. }
            | Self::CacheMiss { channel }
            | Self::SubscriptionCount { channel, .. } => channel,
        }
    }

    /// The event as it appears in the webhook body's `events` array.
    pub(crate) fn to_json(&self) -> Value {
        let name = self.kind();
        let channel = self.channel().as_str();
        match self {
            Self::ChannelOccupied { .. } | Self::ChannelVacated { .. } | Self::CacheMiss { .. } => {
                json!({ "name": name, "channel": channel })
            }
            Self::MemberAdded { user_id, .. } | Self::MemberRemoved { user_id, .. } => {
                json!({ "name": name, "channel": channel, "user_id": &**user_id })
            }
            Self::ClientEvent { event, data, socket_id, user_id, .. } => {
                let mut value = json!({
                    "name": name, "channel": channel, "event": event, "data": data,
                    "socket_id": socket_id.to_string(),
                });
                if let Some(user_id) = user_id {
                    value["user_id"] = json!(&**user_id);
                }
                value
            }
            Self::SubscriptionCount { count, .. } => {
                json!({ "name": name, "channel": channel, "subscription_count": count })
            }
        }
    }
}

/// An event for one app, on its way to the dispatcher.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) app: Arc<AppConfig>,
    pub(crate) tap: Arc<Tap>,
    pub(crate) event: WebhookEvent,
}

/// The sending side, held by every app. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Webhooks {
    queue: mpsc::Sender<Job>,
    metrics: Metrics,
}

impl Webhooks {
    /// A sender and the dispatcher that will drain it.
    pub(crate) fn new(metrics: Metrics) -> (Self, mpsc::Receiver<Job>) {
        let (queue, jobs) = mpsc::channel(QUEUE);
        (Self { queue, metrics }, jobs)
    }

    /// Queues `event` if any of the app's webhooks wants it. Never waits.
    pub(crate) fn emit(&self, app: &Arc<AppConfig>, tap: &Arc<Tap>, event: WebhookEvent) {
        let kind = event.kind();
        if !app.webhooks.iter().any(|w| w.wants(kind, event.channel().as_str())) {
            return;
        }
        if self.queue.try_send(Job { app: app.clone(), tap: tap.clone(), event }).is_err() {
            self.metrics.webhook_dropped();
            tracing::warn!(app = %app.id, ?kind, "webhook queue full: event dropped");
        }
    }
}
