//! One typed configuration, layered defaults → file → environment → flags, parsed and
//! checked once before anything starts. A bad value fails start-up with a message naming
//! its key.
//!
//! The file is read into [`raw`] shapes (every key optional), the environment is laid over
//! it by the table in [`env`], then the flags; [`Config::parse`] turns the result into typed
//! values the libraries take as they are.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use realtime::{AppConfig, RealtimeConfig};

mod env;
mod error;
mod mail;
mod payments;
mod push;
mod raw;
#[cfg(test)]
mod readme_tests;
mod realtime_config;
mod serve;
mod show;
mod soketi;
#[cfg(test)]
mod soketi_tests;
#[cfg(test)]
mod tests;
mod timeouts;

pub use error::ConfigError;
pub use mail::{MAILBOX_DIR, MailConfig};
pub use push::PushConfig;
pub use realtime_config::{DEFAULT_REALTIME_ADDR, DEFAULT_REDIS_PREFIX, DEV_APP};
pub use serve::{
    DATABASE_FILE, DEFAULT_DATA_DIR, DEFAULT_HTTP_ADDR, PublicWs, RemotePusher, ServeConfig,
    database_file,
};
pub use soketi::SoketiReport;

/// Checks a stored app (its config-file keys as a JSON object) like a config-file app; errors
/// name the setting as `app {id}.{key}`.
///
/// # Errors
/// [`ConfigError`] naming the bad key.
pub fn parse_stored_app(
    object: serde_json::Value,
    id: &realtime::AppId,
) -> Result<AppConfig, ConfigError> {
    let at = format!("app {id}");
    let raw: raw::RawApp =
        serde_json::from_value(object).map_err(|e| ConfigError::new(at.clone(), e.to_string()))?;
    realtime_config::parse_app(raw, &at)
}

use raw::RawConfig;

/// Everything `paybell realtime` and `paybell serve` need.
#[derive(Debug, Clone)]
pub struct Config {
    serve: ServeConfig,
    realtime_addr: SocketAddr,
    realtime: RealtimeConfig,
    dev_credentials: bool,
    first_app_client_events: Option<bool>,
}

/// The flags that override configuration (clap may have folded a variable into one).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--addr` of `paybell realtime`, `--realtime-addr` of `paybell serve`.
    pub realtime_addr: Option<String>,
    /// `--tls-cert`.
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key`.
    pub tls_key: Option<PathBuf>,
    /// `--http-addr`.
    pub http_addr: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--dev-credentials`.
    pub dev_credentials: bool,
}

impl Flags {
    /// Lays the flags over the file and environment.
    fn overlay(self, raw: &mut RawConfig) {
        fn set<T>(flag: Option<T>, value: &mut Option<T>) {
            if flag.is_some() {
                *value = flag;
            }
        }
        set(self.realtime_addr, &mut raw.realtime.addr);
        set(self.tls_cert, &mut raw.realtime.tls_cert);
        set(self.tls_key, &mut raw.realtime.tls_key);
        set(self.http_addr, &mut raw.http.addr);
        set(self.data_dir, &mut raw.http.data_dir);
        if self.dev_credentials {
            raw.realtime.dev_credentials = Some(true);
        }
    }
}

/// The inputs of [`Config::load`], so tests need not touch the process environment.
#[derive(Debug, Default)]
pub struct Sources<'a> {
    /// The configuration file's text, if one was given.
    pub file: Option<&'a str>,
    /// The environment variables (those of the table in `config/env.rs` are read).
    pub env: HashMap<String, String>,
    /// The flags.
    pub flags: Flags,
}

impl Config {
    /// Reads `path` (if any) and the process environment, then layers the flags on top.
    ///
    /// # Errors
    /// When the file cannot be read, or any value is invalid (the message names the key).
    pub fn from_process(path: Option<&Path>, flags: Flags) -> anyhow::Result<Self> {
        let text = path
            .map(|p| {
                std::fs::read_to_string(p)
                    .with_context(|| format!("reading config file {}", p.display()))
            })
            .transpose()?;
        let env = env::from_process();
        Ok(Self::load(Sources { file: text.as_deref(), env, flags })?)
    }

    /// [`Config::from_process`] for `paybell realtime`, which also reads soketi's
    /// `SOKETI_*` variables under everything Paybell's own (docs/from-soketi.md).
    ///
    /// # Errors
    /// When the file cannot be read, or any value is invalid (the message names the key).
    pub fn from_process_with_soketi(
        path: Option<&Path>,
        flags: Flags,
    ) -> anyhow::Result<(Self, SoketiReport)> {
        let text = path
            .map(|p| {
                std::fs::read_to_string(p)
                    .with_context(|| format!("reading config file {}", p.display()))
            })
            .transpose()?;
        let sources = Sources { file: text.as_deref(), env: env::from_process(), flags };
        Ok(Self::load_with_soketi(sources, &soketi::from_process())?)
    }

    /// [`Config::load`], then soketi's variables where Paybell's configuration said nothing.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad key or variable.
    pub fn load_with_soketi(
        sources: Sources<'_>,
        soketi_env: &HashMap<String, String>,
    ) -> Result<(Self, SoketiReport), ConfigError> {
        let mut raw = Self::layer(sources)?;
        let report = soketi::overlay(&mut raw, soketi_env)?;
        Ok((Self::parse(raw)?, report))
    }

    /// Layers the sources: defaults, then the file, then the environment, then the flags.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad key.
    pub fn load(sources: Sources<'_>) -> Result<Self, ConfigError> {
        Self::parse(Self::layer(sources)?)
    }

    /// The file, the environment and the flags, laid over each other, unchecked.
    fn layer(sources: Sources<'_>) -> Result<RawConfig, ConfigError> {
        let mut raw: RawConfig = match sources.file {
            Some(text) => {
                toml::from_str(text).map_err(|e| ConfigError::new("config file", e.to_string()))?
            }
            None => RawConfig::default(),
        };
        env::overlay(&mut raw, &sources.env)?;
        sources.flags.overlay(&mut raw);
        Ok(raw)
    }

    /// Parses and checks the layered values, once.
    fn parse(raw: RawConfig) -> Result<Self, ConfigError> {
        let realtime = realtime_config::parse(raw.realtime)?;
        let provider = payments::parse(raw.payments, raw.stripe)?;
        let serve = serve::parse(raw.http, raw.pusher, provider)?
            .with_mail(mail::parse(raw.mail)?)
            .with_push(push::parse(raw.push)?);
        Ok(Self {
            serve,
            realtime_addr: realtime.addr,
            realtime: realtime.config,
            dev_credentials: realtime.dev_credentials,
            first_app_client_events: realtime.first_app_client_events,
        })
    }

    /// The web side: HTTP address, data, public URL, channel mode, publishing target.
    pub fn serve(&self) -> &ServeConfig {
        &self.serve
    }

    /// Where WebSocket clients and the HTTP API are served.
    pub fn realtime_addr(&self) -> SocketAddr {
        self.realtime_addr
    }

    /// Apps, limits and switches of the realtime server.
    pub fn realtime(&self) -> &RealtimeConfig {
        &self.realtime
    }

    /// Whether the development app may stand in when no app is configured
    /// (`--dev-credentials`, `PAYBELL_DEV_CREDENTIALS`).
    pub fn dev_credentials(&self) -> bool {
        self.dev_credentials
    }

    /// Whether an app is configured (file or `PAYBELL_APP_*`).
    pub fn has_app(&self) -> bool {
        !self.realtime.apps.is_empty()
    }

    /// Adds the app to use when none is configured (the data directory's, or the development
    /// one), before anything starts.
    pub fn add_app(&mut self, app: AppConfig) {
        self.realtime.apps.push(app);
    }

    /// Replaces the apps (the configured ones first, then the store's), before anything
    /// starts.
    pub fn set_apps(&mut self, apps: Vec<AppConfig>) {
        self.realtime.apps = apps;
    }

    /// Whether clients may send events on the app `paybell serve` publishes to (the first):
    /// only when the file says so for it.
    pub fn serve_app_client_events(&self) -> bool {
        self.first_app_client_events.unwrap_or(false)
    }

    /// The realtime configuration as `paybell serve` runs it: client events are off for the
    /// app it publishes to (the first: payers and owners share its invoice channels, so a
    /// payer must not be able to send the owner's page events), unless the file turns them
    /// on for that app with `client_events = true`.
    pub fn serve_realtime(&self) -> RealtimeConfig {
        let mut realtime = self.realtime.clone();
        if let Some(app) = realtime.apps.first_mut() {
            app.client_events = self.serve_app_client_events();
        }
        realtime
    }
}
