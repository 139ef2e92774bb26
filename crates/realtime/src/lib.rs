//! The Pusher-compatible realtime server as a library.
//!
//! # Layout
//! From the bottom up; a module uses only modules listed before it.
//! - [`config`]: apps, limits and switches as typed values; `limits`: the fixed ones.
//! - `small_map`, `rate`: a map that is a short vector while small; a token bucket.
//! - `backlog`: how many connection tasks woken for frames wait for a core; triggers wait
//!   on it.
//! - `conn`: the handle to a connection: a bounded queue of pre-serialised frames and a kick.
//! - `metrics`: the figures of `/metrics` (atomics), encoded by `prometheus-client`; `tap`: debug
//!   records for the console, free while none watches.
//! - `hub`: one app's channels, presence members, signed-in users and cache on this node.
//! - `webhooks`: signed webhook delivery with delays, batching and retries.
//! - `tls`: the TLS listener.
//! - `cluster`: the seam to the other nodes: the traits an app calls (pub/sub, presence,
//!   users, cache) with their guarantees, and the handler the backend tells this node
//!   through; `cluster::redis` implements them. It knows nothing of apps.
//! - `app`: one app and its policy: join, leave, sign in, broadcast, counts, cache; on one
//!   node or through the cluster, falling back on this node's view while the cluster is away.
//! - `apps`: the apps served, by key and id; the cluster's handler on this node.
//! - [`trigger`]: the rules of publishing, shared by the HTTP API and the in-process [`Publisher`].
//! - `state`: what every request handler shares.
//! - `ws`: the WebSocket endpoint; one task per connection, one handler per client message.
//! - `http_api`: the signed HTTP API; `ops`: `/health`, `/ready`, `/metrics`.
//! - `console`: the Debug Console under `/console` (sign-in, live log, Event Creator).
//! - [`server`]: wires it all: `Server::build` → `port()` → `run_until_stopped`.
#![deny(missing_docs)]

mod app;
mod apps;
mod backlog;
mod cluster;
pub mod config;
mod conn;
mod console;
mod http_api;
mod hub;
mod limits;
mod metrics;
mod ops;
mod rate;
pub mod server;
mod small_map;
mod state;
mod tap;
mod tls;
pub mod trigger;
mod webhooks;
mod wheel;
mod ws;

pub use apps::AppRegistry;
pub use cluster::ClusterError;
pub use config::{
    AppConfig, AppCredentialError, AppId, AppKey, PreviousSecret, RealtimeConfig, RedisConfig,
    Secret, TlsFiles, WebhookConfig, WebhookKind,
};
pub use console::ConsoleAssets;
pub use http_serve::Timeouts;
pub use server::{Server, ServerError};
pub use tls::TlsError;
pub use trigger::{Publisher, TriggerError};
