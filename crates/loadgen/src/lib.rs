//! A load generator that speaks the Pusher protocol to any Pusher-compatible server, and a
//! floor broadcaster to compare the figures with.
//!
//! # Layout
//! - [`clock`]: one monotonic clock for the whole process, and the time stamp carried in
//!   every event's data, so trigger → receipt is measured on one clock.
//! - [`stats`]: exact percentiles of small samples and a lock-free latency histogram.
//! - [`ws`]: WebSocket framing and the upgrade handshake, client and server side.
//! - [`pusher`]: a lean Pusher client connection (connect, subscribe, read events).
//! - [`http`]: a minimal HTTP/1.1 client for the signed HTTP API.
//! - [`procfs`]: server memory (`/proc/PID/status`), finding a server's PID by its port,
//!   this process's open-file limit.
//! - [`fleet`]: many subscribed connections at once, spread over loopback source addresses.
//! - [`scenario`]: `idle`, `fanout`, `throughput`, `trigger`, `churn`, and `cluster` (several
//!   nodes, from worker processes it starts itself).
//! - [`floor`]: the thinnest tokio WebSocket broadcaster, the machine's best.
//! - [`cli`]: the command line and what each subcommand runs.
//! - [`report`]: tables, JSON results, and the summary against the floor and the targets.
#![deny(missing_docs)]

pub mod cli;
pub mod clock;
pub mod fleet;
pub mod floor;
pub mod http;
pub mod procfs;
pub mod pusher;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod target;
pub mod ws;

pub use target::Target;

/// Everything that can go wrong talking to a server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The peer broke the WebSocket or HTTP protocol, or closed early.
    #[error("protocol: {0}")]
    Protocol(String),
    /// The server refused something (an HTTP status, a `pusher:error`, a close code).
    #[error("refused: {0}")]
    Refused(String),
    /// The server did not answer in time.
    #[error("timed out: {0}")]
    Timeout(&'static str),
}

impl Error {
    pub(crate) fn protocol(message: impl Into<String>) -> Self {
        Self::Protocol(message.into())
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
