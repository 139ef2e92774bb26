//! A client for any Pusher-compatible server: Pusher Cloud, soketi, or Paybell's own.
//!
//! The protocol itself (signatures, bodies, channel kinds) lives in `pusher-protocol`; this
//! crate adds the I/O.
//!
//! # Layout
//! - [`target`]: [`Target`] (app id, key, wrapped secret) and [`Endpoint`] (a Pusher Cloud
//!   cluster or an explicit host, port and TLS switch).
//! - [`client`]: [`PusherClient`], signed HTTP API calls: trigger, batch, channel queries,
//!   user termination, `send_to_user`, and the lower-level [`PusherClient::signed_url_at`] /
//!   [`PusherClient::send_raw`] for tests that forge requests.
//! - [`auth`]: what a backend returns to authorise channels ([`ChannelAuth`]) and users
//!   ([`UserAuth`]).
//! - `ws` (feature `ws`, on by default) and [`frame`]: `Connection`, a small WebSocket client
//!   that answers pings and decodes each [`Frame`]'s `data` once.
//! - [`error`]: [`Error`], why an HTTP API call failed.
//!
//! # Example
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use pusher_client::{PusherClient, Secret, Target};
//!
//! // The app's credentials (`paybell app show` prints a Paybell server's).
//! let secret = Secret::new(std::env::var("PUSHER_SECRET")?);
//! let target = Target::new("12345", "my-key", secret)?;
//! let client = PusherClient::new(target)?;
//! client
//!     .trigger(&["invoice.123"], "payment.received", r#"{"amount":500}"#, None, None)
//!     .await?;
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod auth;
pub mod client;
pub mod error;
pub mod frame;
pub mod target;
#[cfg(feature = "ws")]
pub mod ws;

pub use auth::{AuthorizeError, ChannelAuth, UserAuth, presence_channel_data};
pub use client::{PusherClient, RawResponse};
pub use error::Error;
pub use frame::Frame;
pub use reqwest::Method;
pub use target::{EncryptionMasterKey, Endpoint, Secret, Target, TargetError};
#[cfg(feature = "ws")]
pub use ws::{CloseInfo, Connection, WsError};
