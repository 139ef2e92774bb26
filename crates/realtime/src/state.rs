//! What every request handler shares: the apps, the configuration, the metrics and the
//! server's lifecycle. Built by the server; the handlers depend on this module, never on
//! the server.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::RealtimeConfig;
use crate::metrics::Metrics;
use crate::wheel::Wheel;

/// What every handler shares. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) apps: Apps,
    pub(crate) config: Arc<RealtimeConfig>,
    pub(crate) metrics: Metrics,
    /// Cancelled when the server starts stopping: no new work, clients told to reconnect.
    pub(crate) shutdown: CancellationToken,
    pub(crate) connections: TaskTracker,
    /// Connections open on this node, all apps together.
    pub(crate) node_connections: Arc<AtomicUsize>,
    /// Every connection's timer, and the list of them.
    pub(crate) wheel: Arc<Wheel>,
}
