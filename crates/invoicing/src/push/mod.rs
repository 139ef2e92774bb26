//! Web Push: payment notifications for the owner's browsers while no Paybell tab is open.
//!
//! - [`vapid`]: the application server's key and the `Authorization: vapid` header (RFC 8292).
//! - [`ece`]: message encryption, `aes128gcm` (RFC 8291).
//! - [`subscription`]: a browser's subscription, checked at the edge.

pub mod ece;
pub mod subscription;
pub mod vapid;

pub use ece::SubscriptionKeys;
pub use subscription::{Subscription, SubscriptionError};
pub use vapid::{Subject, VapidKey, VapidKeyError};
