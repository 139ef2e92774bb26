//! The realtime app `paybell serve` and `paybell realtime` run with when none is configured,
//! and `paybell app show`.
//!
//! No server ever starts with a secret someone else knows: without a configured app the data
//! directory's own app is used (created on the first start, see [`crate::app_file`]); the
//! published development credentials only with `--dev-credentials`, and only when every
//! listening address is loopback.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use realtime::{AppConfig, AppCredentialError, AppId, AppKey};

use crate::app_file::{self, AppFileError, StoredApp};
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
}

/// Makes sure `config` has an app: the configured ones as they are; else the development app
/// when asked for and every address in `listening` is loopback; else the data directory's app,
/// created on the first start.
///
/// # Errors
/// [`AppError`]: the development app off loopback, or an app file that cannot be used.
pub fn ensure(config: &mut Config, listening: &[SocketAddr]) -> Result<AppSource, AppError> {
    if config.has_app() {
        return Ok(AppSource::Configured);
    }
    if config.dev_credentials() {
        if let Some(addr) = listening.iter().find(|addr| !addr.ip().is_loopback()) {
            return Err(AppError::DevCredentialsNotLoopback { addr: *addr, secret: DEV_APP.2 });
        }
        let (id, key, secret) = DEV_APP;
        config.add_app(AppConfig::new(AppId::parse(id)?, AppKey::parse(key)?, secret));
        return Ok(AppSource::Development);
    }
    let data_dir = config.serve().data_dir().to_owned();
    let (stored, created) = app_file::load_or_create(&data_dir)?;
    config.add_app(app_config(stored));
    Ok(AppSource::Stored { path: app_file::path(&data_dir), created })
}

fn app_config(stored: StoredApp) -> AppConfig {
    AppConfig::new(stored.id, stored.key, stored.secret.expose())
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
                "paybell realtime app: key {key} (id {id}), {made} in {} (`paybell app show` \
                 prints the secret)",
                path.display()
            );
            if config.realtime().redis.is_some() {
                tracing::warn!(
                    app_file = %path.display(),
                    "REDIS_URL is set but no app is configured: this node uses the app its own \
                     data directory generated, and every other node has a different one, so \
                     clients and API calls of one node are refused by the others; configure one \
                     shared app on every node (PAYBELL_APP_ID, PAYBELL_APP_KEY, \
                     PAYBELL_APP_SECRET or [[realtime.apps]]), for example this node's \
                     (`paybell app show`)"
                );
            }
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

/// `paybell app show`: the app `serve` and `realtime` use with this configuration, secret
/// included, and the `PUSHER_*` lines another service would set to publish to it.
///
/// # Errors
/// No app is configured and the data directory has none yet, or its file cannot be used.
pub fn show(config: &Config) -> anyhow::Result<()> {
    let data_dir = config.serve().data_dir();
    let (app, from) = match config.realtime().apps.first() {
        Some(app) => (app.clone(), "the configuration (file or PAYBELL_APP_*)".to_owned()),
        None => {
            let stored = app_file::load(data_dir)?.with_context(|| {
                format!(
                    "no app is configured and {} does not exist yet: `paybell serve` or \
                     `paybell realtime` creates it on its first start with this data directory",
                    app_file::path(data_dir).display()
                )
            })?;
            (app_config(stored), app_file::path(data_dir).display().to_string())
        }
    };
    print!("{}", render_show(config, &app, &from));
    Ok(())
}

fn render_show(config: &Config, app: &AppConfig, from: &str) -> String {
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
