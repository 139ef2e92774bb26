//! The Pusher-compatible realtime server as a library.
//!
//! # Layout
//! - [`config`]: apps, limits and switches, validated at start-up.
//! - `adapter`: the seam to shared state: this node alone, or several nodes through Redis.
//! - `apps`: the apps served, by key and id, each with its hub.
//! - `hub`: one app's channels, presence members, signed-in users and cache.
//! - `conn`: the handle to a connection: a bounded queue of pre-serialised frames and a kick.
//! - `ws`: the WebSocket endpoint; one task per connection, one handler per client message.
//! - `http_api`: the signed HTTP API.
//! - [`trigger`]: the rules of publishing, shared by the HTTP API and the in-process [`Publisher`].
//! - `webhooks`: signed webhook delivery with delays, batching and retries.
//! - `metrics`, `ops`: Prometheus counters, `/health`, `/ready`, `/metrics`.
//! - [`server`]: `Server::build` → `port()` → `run_until_stopped`.
#![deny(missing_docs)]

mod adapter;
mod apps;
pub mod config;
mod conn;
mod http_api;
mod hub;
mod metrics;
mod ops;
mod rate;
pub mod server;
mod small_map;
mod tls;
pub mod trigger;
mod webhooks;
mod ws;

pub use adapter::ClusterError;
pub use config::{AppConfig, ConfigError, RealtimeConfig, Secret, WebhookConfig, WebhookKind};
pub use server::{Server, ServerError};
pub use trigger::{Publisher, TriggerError};
