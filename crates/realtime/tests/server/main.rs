//! The realtime server over real sockets: WebSocket clients and the signed HTTP API.
#![allow(clippy::unwrap_used)]

/// This build runs every test on the local adapter; `tests/cluster` runs them on Redis.
const ON_REDIS: bool = false;

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
