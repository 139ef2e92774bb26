//! The `[http]` and `[pusher]` parts of the configuration, parsed and checked: what
//! `paybell serve`, `paybell user add` and `paybell migrate` need beyond the realtime server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use std::time::Duration;

use invoicing::net::TrustedProxies;
use invoicing::provider::Provider;
use invoicing::{DatabaseUrl, RealtimeAccess, Settings};
use pusher_client::{Endpoint, Secret, Target, TargetError};
use url::Url;

use super::raw::{RawHttp, RawPusher};
use super::{ConfigError, MailConfig, PushConfig};

/// Where the web app and API listen unless told otherwise.
pub const DEFAULT_HTTP_ADDR: &str = "0.0.0.0:8080";

/// Where data lives unless told otherwise.
pub const DEFAULT_DATA_DIR: &str = "./paybell-data";

/// The SQLite file inside the data directory.
pub const DATABASE_FILE: &str = "paybell.db";

/// The web side, parsed and checked.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    http_addr: SocketAddr,
    data_dir: PathBuf,
    database_url: DatabaseUrl,
    public_url: Option<Url>,
    public_ws: Option<PublicWs>,
    private_channels: bool,
    pusher: Option<RemotePusher>,
    timeouts: http_serve::Timeouts,
    trusted_proxies: TrustedProxies,
    outbox_retention: Duration,
    mail: MailConfig,
    push: PushConfig,
    provider: Provider,
}

impl ServeConfig {
    /// Where the web app and REST API listen.
    pub fn http_addr(&self) -> SocketAddr {
        self.http_addr
    }

    /// Where data lives.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// `DATABASE_URL`, or the SQLite file in the data directory.
    pub fn database_url(&self) -> &DatabaseUrl {
        &self.database_url
    }

    /// Base of payment links; `None` derives it from the bound address.
    pub fn public_url(&self) -> Option<&Url> {
        self.public_url.as_ref()
    }

    /// Where browsers reach the realtime server (`ws://` or `wss://` host and port), when
    /// that is not where it listens: behind a load balancer or TLS proxy.
    pub fn public_ws(&self) -> Option<&PublicWs> {
        self.public_ws.as_ref()
    }

    /// `private-` channels authorised by `POST /pusher/auth`.
    pub fn private_channels(&self) -> bool {
        self.private_channels
    }

    /// How long the web port waits for request heads.
    pub fn timeouts(&self) -> http_serve::Timeouts {
        self.timeouts
    }

    /// Proxies whose `X-Forwarded-For` names the client (sign-in throttling).
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.trusted_proxies
    }

    /// How long published outbox rows are kept.
    pub fn outbox_retention(&self) -> Duration {
        self.outbox_retention
    }

    /// Who charges cards: `test` or `stripe`.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// A remote Pusher-compatible server to publish to; `None` is the built-in one.
    pub fn pusher(&self) -> Option<&RemotePusher> {
        self.pusher.as_ref()
    }

    /// What the invoicing backend needs, once the realtime server browsers use is known.
    pub fn settings(&self, realtime: RealtimeAccess) -> Settings {
        let mut settings = Settings::new(self.database_url.clone(), realtime);
        settings.public_url = self.public_url.clone();
        settings.private_channels = self.private_channels;
        settings.http_timeouts = self.timeouts;
        settings.trusted_proxies = self.trusted_proxies.clone();
        settings.retention.published_events = self.outbox_retention;
        settings.mail = self.mail.settings(&self.data_dir);
        settings.provider = self.provider.clone();
        settings
    }

    /// Where e-mail goes.
    pub fn mail(&self) -> &MailConfig {
        &self.mail
    }

    pub(crate) fn with_mail(mut self, mail: MailConfig) -> Self {
        self.mail = mail;
        self
    }

    /// Web Push: the VAPID key and contact as configured.
    pub fn push(&self) -> &PushConfig {
        &self.push
    }

    pub(crate) fn with_push(mut self, push: PushConfig) -> Self {
        self.push = push;
        self
    }
}

/// The realtime endpoint browsers are told to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicWs {
    /// Host name or address.
    pub host: String,
    /// Port (default 80 for `ws://`, 443 for `wss://`).
    pub port: u16,
    /// `wss://`.
    pub tls: bool,
}

/// A remote publishing target and what browsers are told about it.
#[derive(Debug, Clone)]
pub struct RemotePusher {
    /// App, credentials and endpoint.
    pub target: Target,
    /// `PUSHER_CLUSTER`, if set.
    pub cluster: Option<String>,
}

/// Parses and checks the web side.
///
/// # Errors
/// [`ConfigError`] naming the first bad key.
pub(crate) fn parse(
    http: RawHttp,
    pusher: RawPusher,
    provider: Provider,
) -> Result<ServeConfig, ConfigError> {
    let addr = http.addr.unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_owned());
    let http_addr = addr.parse().map_err(|_| {
        ConfigError::new(
            "http.addr (PAYBELL_HTTP_ADDR, --http-addr)",
            format!("{addr:?} is not HOST:PORT"),
        )
    })?;
    let data_dir = http.data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let database_url = match http.database_url {
        Some(url) => database_url(&url)?,
        None => DatabaseUrl::new(invoicing::store::sqlite::url_for_file(&database_file(&data_dir))),
    };
    let public_url = http.public_url.map(|text| public_url(&text)).transpose()?;
    let public_ws = http.public_ws_url.map(|text| public_ws(&text)).transpose()?;
    let private_channels = http.private_channels.unwrap_or(true);
    let pusher = remote_pusher(pusher)?;
    let timeouts =
        super::timeouts::parse("http", http.header_read_timeout, http.keep_alive_timeout)?;
    let trusted_proxies = match http.trusted_proxies {
        Some(list) => TrustedProxies::parse(&list).map_err(|e| {
            ConfigError::new("http.trusted_proxies (PAYBELL_TRUSTED_PROXIES)", e.to_string())
        })?,
        None => TrustedProxies::none(),
    };
    let outbox_retention = outbox_retention(http.outbox_retention_days)?;
    Ok(ServeConfig {
        http_addr,
        data_dir,
        database_url,
        public_url,
        public_ws,
        private_channels,
        pusher,
        timeouts,
        trusted_proxies,
        outbox_retention,
        mail: MailConfig::default(),
        push: PushConfig::default(),
        provider,
    })
}

/// Whole days above 0 (30 by default), as a duration.
fn outbox_retention(days: Option<u64>) -> Result<Duration, ConfigError> {
    let key = "http.outbox_retention_days (PAYBELL_OUTBOX_RETENTION_DAYS)";
    match days {
        None => Ok(invoicing::store::Retention::DEFAULT_PUBLISHED_EVENTS),
        Some(0) => Err(ConfigError::new(key, "must be at least 1 day")),
        Some(days) if days > MAX_RETENTION_DAYS => {
            Err(ConfigError::new(key, format!("must be at most {MAX_RETENTION_DAYS} days")))
        }
        Some(days) => Ok(Duration::from_secs(days * 24 * 3600)),
    }
}

/// Ten years: beyond that the number is a typo, and the millisecond arithmetic stays small.
const MAX_RETENTION_DAYS: u64 = 3650;

fn database_url(url: &str) -> Result<DatabaseUrl, ConfigError> {
    let known =
        ["sqlite:", "postgres:", "postgresql:"].iter().any(|scheme| url.starts_with(scheme));
    if known {
        Ok(DatabaseUrl::new(url))
    } else {
        Err(ConfigError::new(
            "http.database_url (DATABASE_URL)",
            "must start with sqlite:// or postgres://",
        ))
    }
}

fn public_url(text: &str) -> Result<Url, ConfigError> {
    let key = "http.public_url (PAYBELL_PUBLIC_URL)";
    let url = Url::parse(text).map_err(|e| ConfigError::new(key, format!("{text:?}: {e}")))?;
    if matches!(url.scheme(), "http" | "https") && url.has_host() {
        Ok(url)
    } else {
        Err(ConfigError::new(key, format!("{text:?} must be an http:// or https:// URL")))
    }
}

fn public_ws(text: &str) -> Result<PublicWs, ConfigError> {
    let key = "http.public_ws_url (PAYBELL_PUBLIC_WS_URL)";
    let url = Url::parse(text).map_err(|e| ConfigError::new(key, format!("{text:?}: {e}")))?;
    let tls = match url.scheme() {
        "ws" => false,
        "wss" => true,
        _ => return Err(ConfigError::new(key, format!("{text:?} must be a ws:// or wss:// URL"))),
    };
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Err(ConfigError::new(key, format!("{text:?} needs a host")));
    };
    Ok(PublicWs { host: host.to_owned(), port, tls })
}

fn remote_pusher(raw: RawPusher) -> Result<Option<RemotePusher>, ConfigError> {
    let RawPusher { app_id, key, secret, cluster, host, port, use_tls: tls } = raw;
    let any_set = app_id.is_some()
        || key.is_some()
        || secret.is_some()
        || cluster.is_some()
        || host.is_some()
        || port.is_some()
        || tls.is_some();
    if !any_set {
        return Ok(None);
    }
    let need = |value: Option<String>, key: &str| {
        value.ok_or_else(|| {
            ConfigError::new(key, "must be set to publish to a remote Pusher-compatible server")
        })
    };
    let app_id = need(app_id, "pusher.app_id (PUSHER_APP_ID)")?;
    let key = need(key, "pusher.key (PUSHER_KEY)")?;
    let secret = need(secret, "pusher.secret (PUSHER_SECRET)")?;
    let target = Target::new(&app_id, &key, Secret::new(secret)).map_err(|err| match err {
        TargetError::AppId(_) => ConfigError::new("pusher.app_id (PUSHER_APP_ID)", err.to_string()),
        other => ConfigError::new("pusher.key (PUSHER_KEY)", other.to_string()),
    })?;
    let endpoint = match (&cluster, host) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                "pusher.cluster (PUSHER_CLUSTER)",
                "means Pusher Cloud and cannot be combined with PUSHER_HOST",
            ));
        }
        (Some(cluster), None) => Endpoint::cluster(cluster)
            .map_err(|e| ConfigError::new("pusher.cluster (PUSHER_CLUSTER)", e.to_string()))?,
        (None, host) => {
            let tls = tls.unwrap_or(false);
            let host = host.unwrap_or_else(|| pusher_client::target::LOCAL_HOST.to_owned());
            let port = port.unwrap_or(if tls { 443 } else { pusher_client::target::LOCAL_PORT });
            Endpoint::host(&host, port, tls).map_err(|e| match e {
                TargetError::Port => ConfigError::new("pusher.port (PUSHER_PORT)", e.to_string()),
                other => ConfigError::new("pusher.host (PUSHER_HOST)", other.to_string()),
            })?
        }
    };
    Ok(Some(RemotePusher { target: target.with_endpoint(endpoint), cluster }))
}

/// The SQLite file of a data directory (for messages).
pub fn database_file(data_dir: &Path) -> PathBuf {
    data_dir.join(DATABASE_FILE)
}
