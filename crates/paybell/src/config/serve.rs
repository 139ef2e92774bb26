//! The `[http]` and `[pusher]` parts of the configuration: what `paybell serve`, `paybell
//! user add` and `paybell migrate` need beyond the realtime server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use invoicing::DatabaseUrl;
use pusher_client::{Endpoint, Secret, Target, TargetError};
use realtime::ConfigError;
use url::Url;

/// Where the web app and API listen unless told otherwise.
pub const DEFAULT_HTTP_ADDR: &str = "0.0.0.0:8080";

/// Where data lives unless told otherwise.
pub const DEFAULT_DATA_DIR: &str = "./paybell-data";

/// The SQLite file inside the data directory.
pub const DATABASE_FILE: &str = "paybell.db";

/// Flags of `paybell serve` (and `--data-dir` of `user add` / `migrate`).
#[derive(Debug, Clone, Default)]
pub struct HttpFlags {
    /// `--http-addr`.
    pub http_addr: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
}

/// The `[http]` section.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HttpFile {
    addr: Option<String>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    public_url: Option<String>,
    public_ws_url: Option<String>,
    private_channels: Option<bool>,
}

/// The `[pusher]` section: a remote publishing target.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PusherFile {
    #[serde(default, deserialize_with = "string_or_number")]
    app_id: Option<String>,
    key: Option<String>,
    secret: Option<String>,
    cluster: Option<String>,
    host: Option<String>,
    port: Option<u16>,
    use_tls: Option<bool>,
}

/// The web side, validated.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where the web app and REST API listen.
    pub http_addr: SocketAddr,
    /// Where data lives.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`, or the SQLite file in the data directory.
    pub database_url: DatabaseUrl,
    /// Base of payment links; `None` derives it from the bound address.
    pub public_url: Option<Url>,
    /// Where browsers reach the realtime server (`ws://` or `wss://` host and port), when
    /// that is not where it listens: behind a load balancer or TLS proxy.
    pub public_ws: Option<PublicWs>,
    /// `private-` channels authorised by `POST /pusher/auth`.
    pub private_channels: bool,
    /// A remote Pusher-compatible server to publish to; `None` is the built-in one.
    pub pusher: Option<RemotePusher>,
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

/// Reads one layer: flag, then environment, then file.
struct Layer<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
}

impl Layer<'_> {
    fn text(&self, flag: Option<String>, env: &str, file: Option<String>) -> Option<String> {
        flag.or_else(|| (self.env)(env)).or(file)
    }

    fn boolean(
        &self,
        key: &str,
        env: &str,
        file: Option<bool>,
    ) -> Result<Option<bool>, ConfigError> {
        match (self.env)(env) {
            Some(text) => parse_bool(&text).map(Some).ok_or_else(|| {
                ConfigError::new(format!("{key} ({env})"), format!("{text:?} is not true or false"))
            }),
            None => Ok(file),
        }
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Layers flags, environment and file for the web side.
pub(crate) fn load(
    flags: HttpFlags,
    http: HttpFile,
    pusher: PusherFile,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<ServeConfig, ConfigError> {
    let layer = Layer { env };
    let addr = layer
        .text(flags.http_addr, "PAYBELL_HTTP_ADDR", http.addr)
        .unwrap_or_else(|| DEFAULT_HTTP_ADDR.to_owned());
    let http_addr = addr.parse().map_err(|_| {
        ConfigError::new(
            "http.addr (PAYBELL_HTTP_ADDR, --http-addr)",
            format!("{addr:?} is not HOST:PORT"),
        )
    })?;
    let data_dir = flags
        .data_dir
        .or_else(|| env("PAYBELL_DATA_DIR").map(PathBuf::from))
        .or(http.data_dir)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
    let database_url = match layer.text(None, "DATABASE_URL", http.database_url) {
        Some(url) => database_url(&url)?,
        None => {
            DatabaseUrl::new(invoicing::store::sqlite::url_for_file(&data_dir.join(DATABASE_FILE)))
        }
    };
    let public_url = layer
        .text(None, "PAYBELL_PUBLIC_URL", http.public_url)
        .map(|text| public_url(&text))
        .transpose()?;
    let public_ws = layer
        .text(None, "PAYBELL_PUBLIC_WS_URL", http.public_ws_url)
        .map(|text| public_ws(&text))
        .transpose()?;
    let private_channels = layer
        .boolean("http.private_channels", "PAYBELL_PRIVATE_CHANNELS", http.private_channels)?
        .unwrap_or(false);
    let pusher = remote_pusher(&layer, pusher)?;
    Ok(ServeConfig {
        http_addr,
        data_dir,
        database_url,
        public_url,
        public_ws,
        private_channels,
        pusher,
    })
}

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

fn remote_pusher(layer: &Layer<'_>, file: PusherFile) -> Result<Option<RemotePusher>, ConfigError> {
    let app_id = layer.text(None, "PUSHER_APP_ID", file.app_id);
    let key = layer.text(None, "PUSHER_KEY", file.key);
    let secret = layer.text(None, "PUSHER_SECRET", file.secret);
    let cluster = layer.text(None, "PUSHER_CLUSTER", file.cluster);
    let host = layer.text(None, "PUSHER_HOST", file.host);
    let port = match (layer.env)("PUSHER_PORT") {
        Some(text) => Some(text.trim().parse::<u16>().map_err(|_| {
            ConfigError::new("pusher.port (PUSHER_PORT)", format!("{text:?} is not a port"))
        })?),
        None => file.port,
    };
    let tls = layer.boolean("pusher.use_tls", "PUSHER_USE_TLS", file.use_tls)?;
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

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize as _;
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(Option::<Id>::deserialize(d)?.map(|id| match id {
        Id::Text(text) => text,
        Id::Number(n) => n.to_string(),
    }))
}

/// The SQLite file of a data directory (for messages).
pub fn database_file(data_dir: &Path) -> PathBuf {
    data_dir.join(DATABASE_FILE)
}
