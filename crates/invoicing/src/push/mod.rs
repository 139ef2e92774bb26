//! Web Push: payment notifications for the owner's browsers while no Paybell tab is open.
//!
//! - [`vapid`]: the application server's key and the `Authorization: vapid` header (RFC 8292).
//! - [`ece`]: message encryption, `aes128gcm` (RFC 8291).
//! - [`subscription`]: a browser's subscription, checked at the edge.
//! - [`deliver`]: the push worker ([`crate::durable::Work`]) sending rows to push services.
//!
//! # Guarantees
//! Push rows are written in the change's transaction, one per subscription of the owner
//! (payments and refunds, `store::push`), and delivered by the durable-work component: at
//! least once, each row on one node at a time, takeover after a crash. The payload is the
//! event's, so its `eventId` lets a browser drop a repeat. Nothing here is on the realtime
//! path: the relay publishes the same change's events independently.

pub mod deliver;
pub mod ece;
pub mod subscription;
pub mod vapid;

use std::time::Duration;

pub use ece::SubscriptionKeys;
pub use subscription::{Subscription, SubscriptionError};
pub use vapid::{Subject, VapidKey, VapidKeyError};

/// How long a push service keeps an undelivered push (the `TTL` header); the worker gives a
/// row up after as long.
pub const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);

/// Subscriptions one owner may register (a few browsers and devices).
pub const MAX_SUBSCRIPTIONS: i64 = 10;

/// What Web Push needs.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// The application server key.
    pub key: VapidKey,
    /// The contact push services see; `None`: the public URL when https, otherwise the first
    /// owner's address.
    pub subject: Option<Subject>,
    /// The `TTL` of each push.
    pub ttl: Duration,
}

impl PushSettings {
    /// `key` with the default contact and TTL.
    pub fn new(key: VapidKey) -> Self {
        Self { key, subject: None, ttl: DEFAULT_TTL }
    }
}
