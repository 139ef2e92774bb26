//! The server's configuration: apps, limits and switches, validated once at start-up.

use std::time::Duration;

pub use pusher_protocol::Secret;
use pusher_protocol::limits;
use serde::{Deserialize, Deserializer};

/// Everything the realtime server needs to know, apart from where to listen.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RealtimeConfig {
    /// `HOST:PORT` the binary binds (the library itself takes a bound listener).
    pub addr: Option<String>,
    /// The apps served. Empty means none: the binary adds a development app.
    pub apps: Vec<AppConfig>,
    /// Largest WebSocket message accepted from a client, in bytes.
    pub max_frame_bytes: usize,
    /// Seconds of silence before the server pings a client (sent as `activity_timeout`).
    pub activity_timeout: u64,
    /// Seconds to wait for the pong before closing with 4201.
    pub pong_timeout: u64,
    /// Frames queued for one connection before it counts as too slow and is closed with 4100.
    pub outbound_queue: usize,
    /// Most connections this node holds, all apps together; over it new ones get 4100.
    pub max_connections: Option<usize>,
    /// On shutdown, clients are told to reconnect (4200) at random moments over this many
    /// milliseconds, so they do not all come back at once.
    pub shutdown_jitter_ms: u64,
    /// PEM certificate chain: serve `wss://` and `https://` directly (with `tls_key`).
    pub tls_cert: Option<std::path::PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<std::path::PathBuf>,
    /// `redis://…`: nodes on the same Redis and prefix share channels, presence, counts
    /// and cache channels, and events reach subscribers on every node.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key and pub/sub channel, so deployments can share one Redis.
    pub redis_prefix: String,
    /// Seconds a node stays a member of the cluster without renewing its lease; after that
    /// the others remove its connections (members leave, webhooks fire).
    pub redis_node_lease_secs: u64,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            addr: None,
            apps: Vec::new(),
            max_frame_bytes: limits::MAX_FRAME_BYTES,
            activity_timeout: limits::ACTIVITY_TIMEOUT_SECS,
            pong_timeout: limits::PONG_TIMEOUT_SECS,
            outbound_queue: 1024,
            max_connections: None,
            shutdown_jitter_ms: 1000,
            tls_cert: None,
            tls_key: None,
            redis_url: None,
            redis_prefix: "paybell".to_owned(),
            redis_node_lease_secs: 10,
        }
    }
}

impl RealtimeConfig {
    fn validate_redis(&self) -> Result<(), ConfigError> {
        positive("realtime.redis_node_lease_secs", self.redis_node_lease_secs)?;
        let prefix = &self.redis_prefix;
        if prefix.is_empty() || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError::new(
                "realtime.redis_prefix",
                "must be non-empty, without spaces or control characters",
            ));
        }
        let Some(url) = &self.redis_url else { return Ok(()) };
        match url::Url::parse(url) {
            Ok(parsed) if parsed.scheme() == "redis" && parsed.host().is_some() => Ok(()),
            Ok(parsed) => Err(ConfigError::new(
                "realtime.redis_url",
                format!("scheme must be redis:// with a host, got {}://", parsed.scheme()),
            )),
            Err(error) => Err(ConfigError::new("realtime.redis_url", format!("{error}"))),
        }
    }

    /// `activity_timeout` as a duration.
    pub fn activity_timeout(&self) -> Duration {
        Duration::from_secs(self.activity_timeout)
    }

    /// `pong_timeout` as a duration.
    pub fn pong_timeout(&self) -> Duration {
        Duration::from_secs(self.pong_timeout)
    }

    /// Checks every value, naming the first bad key.
    ///
    /// # Errors
    /// [`ConfigError`] with the key path (`realtime.apps[1].key`) and what is wrong.
    pub fn validate(&self) -> Result<(), ConfigError> {
        positive("realtime.max_frame_bytes", self.max_frame_bytes)?;
        positive("realtime.activity_timeout", self.activity_timeout)?;
        positive("realtime.pong_timeout", self.pong_timeout)?;
        positive("realtime.outbound_queue", self.outbound_queue)?;
        self.validate_redis()?;
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => {
                return Err(ConfigError::new("realtime.tls_key", "is needed with tls_cert"));
            }
            (None, Some(_)) => {
                return Err(ConfigError::new("realtime.tls_cert", "is needed with tls_key"));
            }
            (Some(_), Some(_)) | (None, None) => {}
        }
        for (i, app) in self.apps.iter().enumerate() {
            app.validate(&format!("realtime.apps[{i}]"))?;
            for earlier in &self.apps[..i] {
                if earlier.id == app.id {
                    return Err(ConfigError::new(
                        format!("realtime.apps[{i}].id"),
                        format!("duplicate app id {:?}", app.id),
                    ));
                }
                if earlier.key == app.key {
                    return Err(ConfigError::new(
                        format!("realtime.apps[{i}].key"),
                        format!("duplicate app key {:?}", app.key),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// One app: its credentials, switches and limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    /// The app id in `/apps/{id}`; numeric (`12345`) or text (`app-id`).
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    /// The public key clients connect with.
    pub key: String,
    /// The secret that signs everything.
    pub secret: Secret,
    /// A disabled app refuses connections (4003) and API calls (403).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Whether clients may send `client-` events.
    #[serde(default = "yes")]
    pub client_events: bool,
    /// Whether subscribers of non-presence channels get `pusher_internal:subscription_count`.
    #[serde(default)]
    pub subscription_count: bool,
    /// Most connections at once; over it new ones are closed with 4004.
    #[serde(default)]
    pub max_connections: Option<usize>,
    /// Most members of one presence channel.
    #[serde(default = "default_presence_members")]
    pub max_presence_members: usize,
    /// Largest presence `user_info`, in bytes of JSON.
    #[serde(default = "default_user_info_bytes")]
    pub max_presence_user_info_bytes: usize,
    /// Longest presence user id.
    #[serde(default = "default_user_id_len")]
    pub max_presence_user_id_len: usize,
    /// Client events one connection may send per second (excess: 4301).
    #[serde(default = "default_client_event_rate")]
    pub max_client_events_per_second: u32,
    /// Largest event `data`, in bytes (HTTP API: 413; client events: refused).
    #[serde(default = "default_event_bytes")]
    pub max_event_bytes: usize,
    /// Most channels one HTTP trigger may name.
    #[serde(default = "default_channels_per_event")]
    pub max_channels_per_event: usize,
    /// Most events in one batch trigger.
    #[serde(default = "default_batch_events")]
    pub max_batch_events: usize,
    /// Where events about channels and members are sent.
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// Origins (`https://example.com`) allowed to connect; any when empty. Others get 4009.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Whether connections must sign in (`pusher:signin`) within
    /// `user_authentication_timeout` seconds; those that do not are closed with 4009.
    #[serde(default)]
    pub require_user_authentication: bool,
    /// Seconds a connection has to sign in when the app requires it.
    #[serde(default = "default_user_authentication_timeout")]
    pub user_authentication_timeout: u64,
    /// HTTP API requests per second; over it the API answers 429. Unlimited when absent.
    #[serde(default)]
    pub max_api_requests_per_second: Option<u32>,
}

/// One webhook endpoint of an app.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// `http://` or `https://` URL the events are POSTed to.
    pub url: String,
    /// Which events to send; all of them when absent.
    #[serde(default = "WebhookKind::all")]
    pub event_types: Vec<WebhookKind>,
    /// Only events on channels whose name starts with this.
    #[serde(default)]
    pub channel_prefix: Option<String>,
    /// Only events on channels whose name ends with this.
    #[serde(default)]
    pub channel_suffix: Option<String>,
    /// Extra request headers; they cannot replace `X-Pusher-Key`, `X-Pusher-Signature` or
    /// `Content-Type`.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Collect events for this many milliseconds and send them in one request; 0 sends each
    /// event at once.
    #[serde(default)]
    pub batch_ms: u64,
}

/// The kinds of webhook event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookKind {
    /// A channel got its first subscriber.
    ChannelOccupied,
    /// A channel lost its last subscriber (sent after 3 s unless it comes back).
    ChannelVacated,
    /// A user joined a presence channel.
    MemberAdded,
    /// A user left a presence channel (sent after 3 s unless they come back).
    MemberRemoved,
    /// A client sent a `client-` event.
    ClientEvent,
    /// A cache channel was joined with nothing cached.
    CacheMiss,
    /// A channel's subscriber count changed.
    SubscriptionCount,
}

impl WebhookKind {
    /// Every kind.
    pub fn all() -> Vec<Self> {
        vec![
            Self::ChannelOccupied,
            Self::ChannelVacated,
            Self::MemberAdded,
            Self::MemberRemoved,
            Self::ClientEvent,
            Self::CacheMiss,
            Self::SubscriptionCount,
        ]
    }
}

impl WebhookConfig {
    /// A webhook for every event to `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            event_types: WebhookKind::all(),
            channel_prefix: None,
            channel_suffix: None,
            headers: std::collections::BTreeMap::new(),
            batch_ms: 0,
        }
    }

    /// Whether this webhook wants an event of `kind` on `channel`.
    pub fn wants(&self, kind: WebhookKind, channel: &str) -> bool {
        self.event_types.contains(&kind)
            && self.channel_prefix.as_deref().is_none_or(|p| channel.starts_with(p))
            && self.channel_suffix.as_deref().is_none_or(|s| channel.ends_with(s))
    }

    fn validate(&self, at: &str) -> Result<(), ConfigError> {
        let url = url::Url::parse(&self.url).map_err(|e| {
            ConfigError::new(format!("{at}.url"), format!("{:?} is not a URL: {e}", self.url))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::new(
                format!("{at}.url"),
                "must start with http:// or https://",
            ));
        }
        for name in self.headers.keys() {
            let reserved = ["x-pusher-key", "x-pusher-signature", "content-type"];
            if reserved.iter().any(|r| name.eq_ignore_ascii_case(r)) {
                return Err(ConfigError::new(
                    format!("{at}.headers.{name}"),
                    "is set by the server and cannot be replaced",
                ));
            }
            if name.is_empty()
                || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(ConfigError::new(
                    format!("{at}.headers.{name}"),
                    "is not a valid header name",
                ));
            }
        }
        Ok(())
    }
}

impl AppConfig {
    /// An app with the given credentials and every default.
    pub fn new(id: impl Into<String>, key: impl Into<String>, secret: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            key: key.into(),
            secret: Secret::new(secret),
            enabled: true,
            client_events: true,
            subscription_count: false,
            max_connections: None,
            max_presence_members: default_presence_members(),
            max_presence_user_info_bytes: default_user_info_bytes(),
            max_presence_user_id_len: default_user_id_len(),
            max_client_events_per_second: default_client_event_rate(),
            max_event_bytes: default_event_bytes(),
            max_channels_per_event: default_channels_per_event(),
            max_batch_events: default_batch_events(),
            webhooks: Vec::new(),
            allowed_origins: Vec::new(),
            require_user_authentication: false,
            user_authentication_timeout: default_user_authentication_timeout(),
            max_api_requests_per_second: None,
        }
    }

    /// Whether a connection from `origin` may open.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        self.allowed_origins.is_empty()
            || origin.is_some_and(|o| {
                self.allowed_origins.iter().any(|allowed| allowed == o || allowed == "*")
            })
    }

    fn validate(&self, at: &str) -> Result<(), ConfigError> {
        let text = |field: &str, value: &str| {
            let ok = !value.is_empty()
                && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if ok {
                Ok(())
            } else {
                Err(ConfigError::new(
                    format!("{at}.{field}"),
                    "must be non-empty letters, digits, '-', '_' or '.'",
                ))
            }
        };
        text("id", &self.id)?;
        text("key", &self.key)?;
        if self.secret.expose().is_empty() {
            return Err(ConfigError::new(format!("{at}.secret"), "must not be empty"));
        }
        positive(&format!("{at}.max_presence_members"), self.max_presence_members)?;
        positive(&format!("{at}.max_presence_user_info_bytes"), self.max_presence_user_info_bytes)?;
        positive(&format!("{at}.max_presence_user_id_len"), self.max_presence_user_id_len)?;
        positive(&format!("{at}.max_client_events_per_second"), self.max_client_events_per_second)?;
        positive(&format!("{at}.max_event_bytes"), self.max_event_bytes)?;
        positive(&format!("{at}.max_channels_per_event"), self.max_channels_per_event)?;
        positive(&format!("{at}.max_batch_events"), self.max_batch_events)?;
        positive(&format!("{at}.user_authentication_timeout"), self.user_authentication_timeout)?;
        if let Some(rate) = self.max_api_requests_per_second {
            positive(&format!("{at}.max_api_requests_per_second"), rate)?;
        }
        for (i, webhook) in self.webhooks.iter().enumerate() {
            webhook.validate(&format!("{at}.webhooks[{i}]"))?;
        }
        Ok(())
    }
}

/// A configuration value that is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {key}: {problem}")]
pub struct ConfigError {
    /// The key path, e.g. `realtime.apps[0].key`.
    pub key: String,
    /// What is wrong with it.
    pub problem: String,
}

impl ConfigError {
    /// A problem with `key`.
    pub fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { key: key.into(), problem: problem.into() }
    }
}

fn positive<T: PartialOrd + Default>(key: &str, value: T) -> Result<(), ConfigError> {
    if value > T::default() { Ok(()) } else { Err(ConfigError::new(key, "must be greater than 0")) }
}

fn default_user_authentication_timeout() -> u64 {
    30
}
fn yes() -> bool {
    true
}
fn default_presence_members() -> usize {
    limits::MAX_PRESENCE_MEMBERS
}
fn default_user_info_bytes() -> usize {
    limits::MAX_PRESENCE_USER_INFO_BYTES
}
fn default_user_id_len() -> usize {
    limits::MAX_PRESENCE_USER_ID_LEN
}
fn default_client_event_rate() -> u32 {
    limits::MAX_CLIENT_EVENTS_PER_SECOND
}
fn default_event_bytes() -> usize {
    limits::MAX_EVENT_DATA_BYTES
}
fn default_channels_per_event() -> usize {
    limits::MAX_CHANNELS_PER_EVENT
}
fn default_batch_events() -> usize {
    limits::MAX_BATCH_EVENTS
}

fn string_or_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(match Id::deserialize(deserializer)? {
        Id::Text(text) => text,
        Id::Number(n) => n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_apps_with_defaults_and_numeric_ids() {
        let config: RealtimeConfig = toml::from_str(
            r#"
            max_frame_bytes = 1000
            [[apps]]
            id = 12345
            key = "k"
            secret = "s"
            subscription_count = true
            "#,
        )
        .unwrap();
        assert_eq!(config.apps[0].id, "12345");
        assert!(config.apps[0].client_events);
        assert!(config.apps[0].subscription_count);
        assert_eq!(config.apps[0].max_presence_members, 100);
        assert_eq!(config.max_frame_bytes, 1000);
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(format!("{:?}", config.apps[0].secret), "Secret(***)");
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key() {
        let err = toml::from_str::<RealtimeConfig>(
            "[[apps]]\nid='a'\nkey='k'\nsecret='s'\nclient_evnts=true",
        )
        .unwrap_err();
        assert!(err.to_string().contains("client_evnts"), "{err}");

        let mut config = RealtimeConfig {
            apps: vec![AppConfig::new("a", "k", "s"), AppConfig::new("b", "k", "s")],
            ..RealtimeConfig::default()
        };
        assert_eq!(config.validate().unwrap_err().key, "realtime.apps[1].key");
        config.apps[1].key = "k2".to_owned();
        config.apps[1].max_event_bytes = 0;
        assert_eq!(config.validate().unwrap_err().key, "realtime.apps[1].max_event_bytes");
        config.apps[1].max_event_bytes = 1;
        config.apps[1].id = "bad id".to_owned();
        assert_eq!(config.validate().unwrap_err().key, "realtime.apps[1].id");
        config.apps[1].id = "b".to_owned();
        config.apps[1].webhooks = vec![WebhookConfig::new("ftp://x")];
        assert_eq!(config.validate().unwrap_err().key, "realtime.apps[1].webhooks[0].url");
        let mut hook = WebhookConfig::new("http://127.0.0.1:1/hook");
        hook.headers.insert("X-Pusher-Signature".to_owned(), "forged".to_owned());
        config.apps[1].webhooks = vec![hook];
        assert_eq!(
            config.validate().unwrap_err().key,
            "realtime.apps[1].webhooks[0].headers.X-Pusher-Signature"
        );
    }

    #[test]
    fn webhook_filters_really_filter() {
        let hook: WebhookConfig = toml::from_str(
            r#"
            url = "https://example.com/hook"
            event_types = ["channel_occupied"]
            channel_prefix = "invoice."
            channel_suffix = ".live"
            "#,
        )
        .unwrap();
        assert!(hook.wants(WebhookKind::ChannelOccupied, "invoice.1.live"));
        assert!(!hook.wants(WebhookKind::ChannelVacated, "invoice.1.live"));
        assert!(!hook.wants(WebhookKind::ChannelOccupied, "user.1.live"));
        assert!(!hook.wants(WebhookKind::ChannelOccupied, "invoice.1"));
    }
}
