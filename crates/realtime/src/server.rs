//! Start-up and shutdown: `Server::build` → `port()` → `run_until_stopped(signal)`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::apps::Apps;
use crate::cluster::{Backend, ClusterError};
use crate::config::RealtimeConfig;
use crate::console::{Console, ConsoleAssets};
use crate::limits::COUNT_INTERVAL;
use crate::metrics::Metrics;
use crate::state::AppState;
use crate::tls::{self, TlsListener};
use crate::webhooks::{Dispatcher, Job, Webhooks};
use crate::wheel::Wheel;
use crate::{http_api, ops, ws};

/// How long open connections get to close after the signal before the server stops anyway.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The TLS certificate or key cannot be used.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The listener failed.
    #[error("realtime listener: {0}")]
    Io(#[from] std::io::Error),
    /// The Redis backend could not be set up (a bad `redis_url`).
    #[error("realtime.redis_url: {0}")]
    Redis(#[from] ClusterError),
}

/// The realtime server, bound and ready to run.
pub struct Server {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    state: AppState,
    /// Shared by every app; `None` on a node alone.
    cluster: Option<Arc<Backend>>,
    webhook_jobs: mpsc::Receiver<Job>,
    console_assets: Option<ConsoleAssets>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("listener", &self.listener)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Server {
    /// Takes the configuration and a bound listener.
    ///
    /// # Errors
    /// [`ServerError::Tls`] when the certificate files cannot be read or do not match,
    /// [`ServerError::Redis`] when the Redis client cannot be set up.
    pub fn build(mut config: RealtimeConfig, listener: TcpListener) -> Result<Self, ServerError> {
        if config.max_connections.is_none() {
            let limit = crate::limits::default_max_connections();
            tracing::info!(limit, "max_connections not set: derived from the open-file limit");
            config.max_connections = Some(limit);
        }
        let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
        let metrics = Metrics::default();
        let (webhooks, webhook_jobs) = Webhooks::new(metrics.clone());
        let cluster = match &config.redis {
            None => None,
            Some(redis) => Some(Arc::new(Backend::new(redis, metrics.clone())?)),
        };
        let wheel = Wheel::new();
        let state = AppState {
            apps: Apps::new(&config.apps, &webhooks, cluster.as_ref(), &wheel),
            config: Arc::new(config),
            metrics,
            shutdown: CancellationToken::new(),
            connections: TaskTracker::new(),
            node_connections: Arc::new(AtomicUsize::new(0)),
            wheel,
        };
        Ok(Self { listener, tls, state, cluster, webhook_jobs, console_assets: None })
    }

    /// Gives the Debug Console its web page (the binary embeds it).
    #[must_use]
    pub fn with_console_assets(mut self, assets: ConsoleAssets) -> Self {
        self.console_assets = Some(assets);
        self
    }

    /// The apps it serves, to change them while it runs.
    pub fn apps(&self) -> crate::AppRegistry {
        crate::AppRegistry(self.state.apps.clone())
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

    /// Serves until `signal` completes, then stops in order: `/ready` turns 503 and no new
    /// connection is accepted; every client is told to reconnect elsewhere (4200, spread over
    /// `shutdown_jitter`); HTTP requests finish; connections get up to 10 s to close;
    /// webhooks still held back are sent and given 5 s to be delivered.
    ///
    /// Connections are served by `http_serve` with `config.timeouts`: a socket that has not
    /// sent its first request head (or WebSocket upgrade) in time is closed.
    ///
    /// # Errors
    /// When the TLS listener cannot start.
    pub async fn run_until_stopped(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let Self { listener, tls, state, cluster, webhook_jobs, console_assets } = self;
        let cluster_stop = CancellationToken::new();
        if let Some(cluster) = &cluster {
            cluster.start(Arc::new(state.apps.clone()), cluster_stop.clone()).await;
        }
        let flush_webhooks = CancellationToken::new();
        let dispatcher = tokio::spawn(
            Dispatcher::new(webhook_jobs, state.metrics.clone()).run(flush_webhooks.clone()),
        );
        tokio::spawn(send_changed_counts(state.apps.clone(), state.shutdown.clone()));
        let wheel = Arc::downgrade(&state.wheel);
        tokio::spawn(Wheel::run(wheel, state.shutdown.clone(), crate::conn::SHUTDOWN));
        let draining = state.shutdown.clone();
        let stop_accepting = CancellationToken::new();
        let jitter = state.config.shutdown_jitter;
        let stop = stop_accepting.clone();
        tokio::spawn(async move {
            signal.await;
            draining.cancel();
            // Until the window ends new arrivals are still served (and told 4200 like the
            // others: refusing them before `connection_established` would cost pusher-js a
            // transport life), and `/ready` says 503 so load balancers stop sending traffic.
            tokio::time::sleep(jitter).await;
            stop.cancel();
        });
        let console = state
            .config
            .console
            .then(|| Console::new(state.clone(), console_assets, cluster.clone()));
        if let Some(console) = &console {
            console.spawn_sampler(state.shutdown.clone());
        }
        let app = router(state.clone(), console);
        let timeouts = state.config.timeouts;
        let stopped = stop_accepting.clone().cancelled_owned();
        match tls {
            None => http_serve::serve(listener, app, timeouts, stopped).await,
            Some(acceptor) => {
                let listener = TlsListener::spawn(listener, acceptor, stop_accepting)?;
                http_serve::serve(listener, app, timeouts, stopped).await;
            }
        }
        state.shutdown.cancel();
        state.connections.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, state.connections.wait()).await.is_err() {
            tracing::warn!("connections still open after the drain timeout");
        }
        cluster_stop.cancel();
        if let Some(cluster) = &cluster {
            cluster.stop(&state.apps).await;
        }
        flush_webhooks.cancel();
        if let Err(error) = dispatcher.await {
            tracing::error!(%error, "webhook dispatcher failed");
        }
        Ok(())
    }
}

/// Sends busy channels their coalesced subscription counts every few seconds.
async fn send_changed_counts(apps: Apps, shutdown: CancellationToken) {
    let mut tick = tokio::time::interval(COUNT_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => {
                for app in apps.all() {
                    app.send_changed_counts().await;
                }
            }
        }
    }
}

fn router(state: AppState, console: Option<Console>) -> Router {
    let router = Router::new()
        .merge(ws::routes())
        .merge(http_api::routes(state.clone()))
        .merge(ops::routes())
        .with_state(state);
    match console {
        Some(console) => router.merge(console.routes()),
        None => router.merge(Console::switched_off()),
    }
}
