//! The realtime server over real sockets: WebSocket clients and the signed HTTP API.
//!
//! Every test of the shared suite runs on both cluster backends through [`helpers::on_both`]
//! (`…::local` and `…::redis`); `nodes` starts several nodes on one Redis. Needs Redis at
//! `PAYBELL_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`).
#![allow(clippy::unwrap_used)]

mod api;
mod channels;
mod connection;
mod console;
mod console_cluster;
mod frames;
mod helpers;
mod limits;
mod nodes;
mod ops;
mod presence;
mod publisher;
mod quota_cluster;
mod registry;
mod routing;
mod sink;
mod timeouts;
mod tls;
mod users;
mod webhooks;
