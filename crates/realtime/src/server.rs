//! Start-up and shutdown: `Server::build` → `port()` → `run_until_stopped(signal)`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::config::{ConfigError, RealtimeConfig};
use crate::{http_api, ws};

/// How long open connections get to close after the signal before the server stops anyway.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// What every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) apps: Apps,
    pub(crate) config: Arc<RealtimeConfig>,
    pub(crate) shutdown: CancellationToken,
    pub(crate) connections: TaskTracker,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The listener failed.
    #[error("realtime listener: {0}")]
    Io(#[from] std::io::Error),
}

/// The realtime server, bound and ready to run.
#[derive(Debug)]
pub struct Server {
    listener: TcpListener,
    state: AppState,
}

impl Server {
    /// Validates the configuration and takes a bound listener.
    ///
    /// # Errors
    /// [`ServerError::Config`] naming the bad key.
    pub fn build(config: RealtimeConfig, listener: TcpListener) -> Result<Self, ServerError> {
        config.validate()?;
        let state = AppState {
            apps: Apps::new(&config.apps),
            config: Arc::new(config),
            shutdown: CancellationToken::new(),
            connections: TaskTracker::new(),
        };
        Ok(Self { listener, state })
    }

    /// The address it listens on.
    ///
    /// # Errors
    /// When the socket cannot report it.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Publishes events in-process, for the backend running in the same binary.
    pub fn publisher(&self) -> crate::Publisher {
        crate::Publisher::new(self.state.apps.clone())
    }

    /// The port it listens on (useful after binding port 0).
    pub fn port(&self) -> u16 {
        self.local_addr().map_or(0, |a| a.port())
    }

    /// Serves until `signal` completes, then tells every client to reconnect elsewhere
    /// (4200), lets HTTP requests finish and waits up to 10 s for connections to close.
    ///
    /// # Errors
    /// When accepting connections fails.
    pub async fn run_until_stopped(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let state = self.state.clone();
        let shutdown = state.shutdown.clone();
        let app = router(state.clone());
        let stop = shutdown.clone();
        tokio::spawn(async move {
            signal.await;
            stop.cancel();
        });
        axum::serve(self.listener, app).with_graceful_shutdown(shutdown.cancelled_owned()).await?;
        state.connections.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, state.connections.wait()).await.is_err() {
            tracing::warn!("connections still open after the drain timeout");
        }
        Ok(())
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/app/{key}", get(ws::upgrade))
        .route("/{*prefixed}", get(ws::prefixed_upgrade))
        .merge(http_api::routes())
        .with_state(state)
}
