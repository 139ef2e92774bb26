//! The Pusher Channels protocol as types. No I/O.
//!
//! # Layout
//! - [`app`]: [`AppId`] and [`AppKey`], the names an app is found by.
//! - [`channel`]: [`ChannelName`] and [`ChannelKind`], the one place prefixes are interpreted.
//! - [`client`]: frames from clients, decoded once into [`ClientMessage`].
//! - [`server`]: frames to clients, [`ServerMessage`], with golden tests of their exact JSON.
//! - [`codes`]: [`ErrorCode`], the close and error codes.
//! - [`limits`]: the protocol's default limits.
//! - [`sign`]: every signature (channel, user, HTTP API request, webhook, encrypted secret).
//! - [`secret`]: [`Secret`], app secrets that never print.
//! - [`api`]: HTTP API request and response bodies, and the `info` attributes they ask for.
//! - [`auth_data`]: [`UserData`] and [`PresenceData`], what a backend's signature vouches for.
//! - [`refusal`]: [`SubscribeRefused`], why a subscription was refused, with golden tests of
//!   its `pusher:error`.
//! - [`socket_id`]: the connection id type [`SocketId`].
#![deny(missing_docs)]

pub mod api;
pub mod app;
pub mod auth_data;
pub mod channel;
pub mod client;
pub mod codes;
pub mod limits;
pub mod refusal;
pub mod secret;
pub mod server;
pub mod sign;
pub mod socket_id;

pub use app::{AppCredentialError, AppId, AppKey};
pub use auth_data::{PresenceData, PresenceDataError, UserData, UserDataError};
pub use channel::{ChannelKind, ChannelName, ChannelNameError};
pub use client::{ClientMessage, DecodeError, Subscribe};
pub use codes::ErrorCode;
pub use refusal::SubscribeRefused;
pub use secret::Secret;
pub use server::{Member, ServerMessage, WatchlistChange, WatchlistEvent};
pub use socket_id::{SocketId, SocketIdError};

/// The only protocol version spoken.
pub const PROTOCOL_VERSION: u32 = 7;
