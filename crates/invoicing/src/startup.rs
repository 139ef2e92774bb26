//! Start-up and shutdown: `Application::build` → `port()` → `run_until_stopped(signal)`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;
use url::Url;

use crate::domain::ChannelNames;
use crate::durable::NodeId;
use crate::routes::{self, AppState};
use crate::settings::Settings;
use crate::sink::EventSink;
use crate::store::{Store, StoreError};
use crate::{mail, push, relay, scheduler};

/// Why the application could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The database could not be opened or migrated.
    #[error("database")]
    Store(#[from] StoreError),
    /// The listener failed.
    #[error("web listener")]
    Io(#[from] std::io::Error),
    /// The derived public URL is not a URL.
    #[error("public URL")]
    PublicUrl(#[from] url::ParseError),
}

/// The web API with its store, relay, mail and push workers and periodic passes, bound and ready to run.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    sink: Arc<dyn EventSink>,
    node: NodeId,
    fallback: Option<Router>,
}

impl Application {
    /// Opens and migrates the store and takes a bound listener; the relay publishes to `sink`.
    ///
    /// # Errors
    /// [`StartupError`].
    pub async fn build(
        settings: Settings,
        listener: TcpListener,
        sink: Arc<dyn EventSink>,
    ) -> Result<Self, StartupError> {
        let store = Store::connect(settings.database_url.expose()).await?;
        store.migrate().await?;
        let addr = listener.local_addr()?;
        let public_url = match &settings.public_url {
            Some(url) => url.clone(),
            None => default_public_url(addr)?,
        };
        let state = AppState::new(store, Arc::new(settings), public_url);
        Ok(Self { listener, state, sink, node: NodeId::random(), fallback: None })
    }

    /// Claims durable work (the outbox) as `node`, so that a restart with the same id takes
    /// this node's claims back at once; without it, each run is a node of its own.
    #[must_use]
    pub fn with_node(mut self, node: NodeId) -> Self {
        self.node = node;
        self
    }

    /// Serves `router` for every path the API does not own (the web app).
    #[must_use]
    pub fn with_fallback(mut self, router: Router) -> Self {
        self.fallback = Some(router);
        self
    }

    /// The bound address.
    ///
    /// # Errors
    /// When the socket cannot report it.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.local_addr().map_or(0, |a| a.port())
    }

    /// The store, e.g. to create users before serving.
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The base of payment links.
    pub fn public_url(&self) -> &Url {
        &self.state.public_url
    }

    /// Serves until `signal` completes, then stops the relay and periodic passes, lets requests
    /// finish and closes the store.
    ///
    /// # Errors
    /// When the listener fails.
    pub async fn run_until_stopped(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartupError> {
        let stop = self.state.draining.clone();
        let tasks = TaskTracker::new();
        let store = self.state.store.clone();
        let settings = self.state.settings.clone();
        let channels = ChannelNames { private: settings.private_channels };
        let (sink, node) = (self.sink, self.node);
        let mailer = mail::deliver::run(
            store.clone(),
            settings.mail.clone(),
            node.clone(),
            settings.relay,
            stop.clone(),
        );
        tasks.spawn(mailer);
        let pusher = push::deliver::run(
            store.clone(),
            settings.push.clone(),
            self.state.public_url.clone(),
            node.clone(),
            settings.relay,
            stop.clone(),
        );
        tasks.spawn(pusher);
        let composer =
            Arc::new(mail::Composer::new(self.state.public_url.clone(), &settings.mail.from));
        let reminders =
            mail::reminders::run(store.clone(), composer, settings.reminder_interval, stop.clone());
        tasks.spawn(reminders);
        tasks.spawn(relay::run(store.clone(), sink, node, settings.relay, stop.clone()));
        tasks.spawn(scheduler::run(
            store.clone(),
            channels,
            settings.overdue_interval,
            stop.clone(),
        ));
        tasks.spawn(scheduler::housekeeping::run(
            store.clone(),
            settings.retention,
            settings.clock.clone(),
            settings.housekeeping_interval,
            stop.clone(),
        ));
        if settings.provider.stripe().is_some() {
            let usecases = self.state.usecases.clone();
            tasks.spawn(scheduler::intents::run(
                usecases,
                scheduler::intents::INTERVAL,
                stop.clone(),
            ));
        }
        let state = self.state.clone();
        let mut app = routes::router(self.state);
        if let Some(fallback) = self.fallback {
            app = app.fallback_service(fallback);
        }
        let app = app
            .layer(axum::middleware::from_fn_with_state(state, routes::security_headers))
            .layer(axum::middleware::from_fn(routes::with_request_id));
        let on_signal = stop.clone();
        tokio::spawn(async move {
            signal.await;
            on_signal.cancel();
        });
        let timeouts = settings.http_timeouts;
        http_serve::serve(self.listener, app, timeouts, stop.clone().cancelled_owned()).await;
        stop.cancel();
        tasks.close();
        tasks.wait().await;
        store.close().await;
        Ok(())
    }
}

/// `http://{addr}`, with `localhost` for an unspecified address.
fn default_public_url(addr: SocketAddr) -> Result<Url, url::ParseError> {
    let host =
        if addr.ip().is_unspecified() { "localhost".to_owned() } else { addr.ip().to_string() };
    let host = if host.contains(':') { format!("[{host}]") } else { host };
    Url::parse(&format!("http://{host}:{}", addr.port()))
}
