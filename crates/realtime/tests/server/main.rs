//! The realtime server over real sockets: WebSocket clients and the signed HTTP API.
#![allow(clippy::unwrap_used)]

mod api;
mod channels;
mod connection;
mod helpers;
mod ops;
mod presence;
mod publisher;
mod sink;
mod tls;
mod users;
mod webhooks;
