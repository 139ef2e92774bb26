//! The realtime server on the Redis adapter: the whole `tests/server` suite, each server a
//! one-node cluster (the conformance run), plus tests with several nodes on one Redis.
//! Needs Redis at `PAYBELL_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`).
#![allow(clippy::unwrap_used)]

/// Every server in the shared suite gets the Redis adapter.
const ON_REDIS: bool = true;

#[path = "../server/api.rs"]
mod api;
#[path = "../server/channels.rs"]
mod channels;
#[path = "../server/connection.rs"]
mod connection;
#[path = "../server/helpers.rs"]
mod helpers;
#[path = "../server/ops.rs"]
mod ops;
#[path = "../server/presence.rs"]
mod presence;
#[path = "../server/publisher.rs"]
mod publisher;
#[path = "../server/sink.rs"]
mod sink;
#[path = "../server/tls.rs"]
mod tls;
#[path = "../server/users.rs"]
mod users;
#[path = "../server/webhooks.rs"]
mod webhooks;

mod nodes;
