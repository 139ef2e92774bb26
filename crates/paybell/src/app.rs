//! The realtime apps `paybell serve` and `paybell realtime` start with: the configured ones,
//! then the apps store's (see [`crate::app_store`]), which a watcher keeps in step while the
//! server runs.
//!
//! No server ever starts with a secret someone else knows: without a configured app and with
//! an empty store, the data directory's own app (created on the first start, see
//! [`crate::app_file`]) is moved into the store; the
//! published development credentials only with `--dev-credentials`, and only when every
//! listening address is loopback.

use std::net::SocketAddr;
use std::path::PathBuf;

use realtime::{AppConfig, AppCredentialError, AppId, AppKey};

use tokio_util::sync::CancellationToken;

use crate::app_file::{self, AppFileError};
use crate::app_store::watch::{self, Watcher};
use crate::app_store::{AppRecord, AppStore, AppStoreError};
use crate::config::{Config, DEV_APP};

/// Where the app in use came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSource {
    /// The configuration file or `PAYBELL_APP_*`.
    Configured,
    /// The data directory's app file.
    Stored {
        /// The file.
        path: PathBuf,
        /// Whether this start created it.
        created: bool,
    },
    /// The development app (`--dev-credentials`).
    Development,
    /// The apps store (`paybell app add`, or the generated app moved there).
    Store,
}

/// Why no app could be set up.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The development secret is public, so it stays on this machine.
    #[error(
        "--dev-credentials (PAYBELL_DEV_CREDENTIALS) uses the published secret {secret:?} and is \
         refused on {addr}, which is not a loopback address; listen on 127.0.0.1, or drop the \
         flag to use this data directory's own app"
    )]
    DevCredentialsNotLoopback {
        /// The first address that is not loopback.
        addr: SocketAddr,
        /// The published secret, named so the reason is plain.
        secret: &'static str,
    },
    /// The development app's constants do not parse (a bug, reported rather than hidden).
    #[error("the development app: {0}")]
    Dev(#[from] AppCredentialError),
    /// The data directory's app file.
    #[error("the realtime app file: {0}")]
    File(#[from] AppFileError),
    /// The apps store.
    #[error("the apps store: {0}")]
    Store(#[from] AppStoreError),
}

/// The apps a server starts with, and where later changes come from.
#[derive(Debug)]
pub struct Started {
    /// Where the first app came from.
    pub source: AppSource,
    /// The apps store.
    pub store: AppStore,
    /// The apps from the configuration (or the development app), never changed at run time.
    pub fixed: Vec<AppConfig>,
}

impl Started {
    /// Keeps `registry` in step with the store (through Redis when `config` has it) until
    /// `stop`.
    /// For `paybell serve`, `serve_signer` is the signer of its app's channel auth, kept on
    /// that app's current secret; its app's client events stay as the file says.
    pub fn watch(
        self,
        config: &Config,
        registry: realtime::AppRegistry,
        serve_signer: Option<invoicing::Signer>,
        stop: CancellationToken,
    ) {
        let watcher = Watcher {
            store: self.store,
            fixed: self.fixed,
            registry,
            redis: config.realtime().redis.clone(),
            serve_app_client_events: serve_signer
                .is_some()
                .then(|| config.serve_app_client_events()),
            serve_signer,
        };
        tokio::spawn(watcher.run(stop));
    }
}

/// Sets up the apps a server starts with: the configured ones (or the development app, see
/// `--dev-credentials`) first, then the store's. Without a configured app and with an empty store,
/// the data directory's generated app (`app.toml`, created when missing) is moved into the
/// store and becomes its first app.
///
/// # Errors
/// [`AppError`]: the development app off loopback, an app file or a store that cannot be used.
pub async fn start(config: &mut Config, listening: &[SocketAddr]) -> Result<Started, AppError> {
    let (fixed, mut source) = if config.has_app() {
        (config.realtime().apps.clone(), AppSource::Configured)
    } else if config.dev_credentials() {
        let source = development(config, listening)?;
        (config.realtime().apps.clone(), source)
    } else {
        (Vec::new(), AppSource::Store)
    };
    let store = AppStore::open(config.serve().database_url().expose()).await?;
    if fixed.is_empty() && store.list().await?.is_empty() {
        let data_dir = config.serve().data_dir().to_owned();
        let (stored, created) = app_file::load_or_create(&data_dir)?;
        let name = "generated".to_owned();
        match store.insert(&AppRecord::new(stored.id, stored.key, name, stored.secret)).await {
            Ok(()) | Err(AppStoreError::Duplicate(_)) => {}
            Err(error) => return Err(error.into()),
        }
        source = AppSource::Stored { path: app_file::path(&data_dir), created };
    }
    let apps = watch::load(&store, &fixed).await?;
    config.set_apps(apps);
    Ok(Started { source, store, fixed })
}

/// Adds the development app, refused unless every address in `listening` is loopback.
fn development(config: &mut Config, listening: &[SocketAddr]) -> Result<AppSource, AppError> {
    if let Some(addr) = listening.iter().find(|addr| !addr.ip().is_loopback()) {
        return Err(AppError::DevCredentialsNotLoopback { addr: *addr, secret: DEV_APP.2 });
    }
    let (id, key, secret) = DEV_APP;
    config.add_app(AppConfig::new(AppId::parse(id)?, AppKey::parse(key)?, secret));
    Ok(AppSource::Development)
}

/// Prints the app's key and where its credentials are (never the secret), and warns where
/// that is unsafe or unshared.
pub fn announce(config: &Config, source: &AppSource) {
    let Some(app) = config.realtime().apps.first() else { return };
    let (id, key) = (app.id.as_str(), app.key.as_str());
    match source {
        AppSource::Configured => println!("paybell realtime app: key {key} (id {id}), configured"),
        AppSource::Stored { path, created } => {
            let made = if *created { "generated" } else { "stored" };
            println!(
                "paybell realtime app: key {key} (id {id}), {made} in {} and kept in the apps \
                 store (`paybell app show` prints the secret)",
                path.display()
            );
            if config.realtime().redis.is_some() {
                tracing::warn!(
                    app_file = %path.display(),
                    "REDIS_URL is set but no app is configured: this node uses the app its own \
                     data directory generated, and every other node has a different one unless \
                     they share one PostgreSQL apps store (DATABASE_URL), so \
                     clients and API calls of one node are refused by the others; configure one \
                     shared app on every node (PAYBELL_APP_ID, PAYBELL_APP_KEY, \
                     PAYBELL_APP_SECRET or [[realtime.apps]]), for example this node's \
                     (`paybell app show`)"
                );
            }
        }
        AppSource::Store => {
            println!("paybell realtime app: key {key} (id {id}), from the apps store");
        }
        AppSource::Development => {
            println!("paybell realtime app: key {key} (id {id}), development credentials");
            tracing::warn!(
                "--dev-credentials: the development app {id}/{key}/{} has a published secret; \
                 it is for tests and benchmarks on this machine only",
                DEV_APP.2
            );
        }
    }
}

/// The text of `paybell app show` for `app`, found in `from`.
pub(crate) fn render_show(config: &Config, app: &AppConfig, from: &str) -> String {
    let addr = config.realtime_addr();
    let host =
        if addr.ip().is_unspecified() { "127.0.0.1".to_owned() } else { addr.ip().to_string() };
    let tls = config.realtime().tls.is_some();
    let (id, key, secret) = (app.id.as_str(), app.key.as_str(), app.secret.expose());
    let mut text = format!(
        "# The realtime app, from {from}\n\
         app id:     {id}\napp key:    {key}\napp secret: {secret}\n\n\
         # For another service publishing to this server (PUSHER_HOST: the address it reaches\n\
         # this server's realtime port at):\n\
         PUSHER_APP_ID={id}\nPUSHER_KEY={key}\nPUSHER_SECRET={secret}\n\
         PUSHER_HOST={host}\nPUSHER_PORT={}\n",
        addr.port()
    );
    if tls {
        text.push_str("PUSHER_USE_TLS=true\n");
    }
    text
}
