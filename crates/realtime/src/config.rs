//! The server's configuration as typed values: apps, limits and switches. The binary parses
//! and checks its file and environment into these; the library trusts what it is given.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use http_serve::Timeouts;
use pusher_protocol::limits;
pub use pusher_protocol::{AppCredentialError, AppId, AppKey, Secret};
use serde::Deserialize;
use url::Url;

/// Everything the realtime server needs to know, apart from where to listen.
#[derive(Debug, Clone)]
pub struct RealtimeConfig {
    /// The apps served, with distinct ids and keys. Empty means none.
    pub apps: Vec<AppConfig>,
    /// Largest WebSocket message accepted from a client, in bytes (more than 0).
    pub max_frame_bytes: usize,
    /// Silence before the server pings a client (sent in whole seconds as `activity_timeout`).
    pub activity_timeout: Duration,
    /// How long to wait for the pong before closing with 4201.
    pub pong_timeout: Duration,
    /// Frames queued for one connection before it counts as too slow and is closed with 4100
    /// (more than 0).
    pub outbound_queue: usize,
    /// Most connections this node holds, all apps together; over it new ones get 4100.
    /// `None`: the process's open-file limit (raised to its hard limit at start) less a
    /// reserve for the node's other files.
    pub max_connections: Option<usize>,
    /// On shutdown, clients are told to reconnect (4200) at random moments over this window,
    /// so they do not all come back at once.
    pub shutdown_jitter: Duration,
    /// How long a connection may take to send its first request head (a WebSocket upgrade
    /// too), and may sit idle between requests.
    pub timeouts: Timeouts,
    /// Serve `wss://` and `https://` directly.
    pub tls: Option<TlsFiles>,
    /// Share channels, presence, counts and cache channels with the other nodes on one Redis.
    pub redis: Option<RedisConfig>,
    /// The bearer token `GET /metrics` requires; without one, `/metrics` is not served.
    pub metrics_token: Option<Secret>,
    /// Serve the Debug Console under `/console`; without it the path does not exist.
    pub console: bool,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            apps: Vec::new(),
            max_frame_bytes: limits::MAX_FRAME_BYTES,
            activity_timeout: Duration::from_secs(limits::ACTIVITY_TIMEOUT_SECS),
            pong_timeout: Duration::from_secs(limits::PONG_TIMEOUT_SECS),
            outbound_queue: 1024,
            max_connections: None,
            shutdown_jitter: Duration::from_secs(1),
            timeouts: Timeouts::default(),
            tls: None,
            redis: None,
            metrics_token: None,
            console: true,
        }
    }
}

/// The PEM files of a TLS certificate: both or neither.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// The certificate chain.
    pub cert: PathBuf,
    /// The private key of `cert`.
    pub key: PathBuf,
}

/// A Redis shared by several nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://` with a host. Nodes on the same Redis and prefix share channels, presence,
    /// counts and cache channels, and events reach subscribers on every node.
    pub url: Url,
    /// Prefix of every Redis key and pub/sub channel, so deployments can share one Redis:
    /// non-empty, without spaces or control characters.
    pub prefix: String,
    /// How long a node stays a member of the cluster without renewing its lease; after that
    /// the others remove its connections (members leave, webhooks fire).
    pub node_lease: Duration,
}

impl RedisConfig {
    /// The lease of a node unless told otherwise.
    pub const DEFAULT_NODE_LEASE: Duration = Duration::from_secs(10);

    /// The Redis at `url` under `prefix`, with the default node lease.
    pub fn new(url: Url, prefix: impl Into<String>) -> Self {
        Self { url, prefix: prefix.into(), node_lease: Self::DEFAULT_NODE_LEASE }
    }
}

/// One app: its credentials, switches and limits. Every limit is more than 0.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// The app id in `/apps/{id}`.
    pub id: AppId,
    /// The public key clients connect with.
    pub key: AppKey,
    /// The secret that signs everything (not empty).
    pub secret: Secret,
    /// The secret before the last rotation, still accepted (never used to sign) until its
    /// grace period ends.
    pub previous_secret: Option<PreviousSecret>,
    /// A disabled app refuses connections (4003) and API calls (403).
    pub enabled: bool,
    /// Whether clients may send `client-` events.
    pub client_events: bool,
    /// Whether subscribers of non-presence channels get `pusher_internal:subscription_count`.
    pub subscription_count: bool,
    /// Most connections at once; over it new ones are closed with 4004.
    pub max_connections: Option<usize>,
    /// Most members of one presence channel.
    pub max_presence_members: usize,
    /// Largest presence `user_info`, in bytes of JSON.
    pub max_presence_user_info_bytes: usize,
    /// Longest presence user id.
    pub max_presence_user_id_len: usize,
    /// Client events one connection may send per second (excess: 4301).
    pub max_client_events_per_second: u32,
    /// Most channels one connection may hold at once (over it: a refusal with code `null`).
    pub max_channels_per_connection: usize,
    /// Subscriptions one connection may ask for per second once its burst is spent (over
    /// it: a refusal with 4301). The burst is `max_channels_per_connection`, so a client
    /// resubscribing all its channels after a reconnect is never refused.
    pub max_subscriptions_per_second: u32,
    /// Largest event `data`, in bytes (HTTP API: 413; client events: refused).
    pub max_event_bytes: usize,
    /// Most channels one HTTP trigger may name.
    pub max_channels_per_event: usize,
    /// Most events in one batch trigger.
    pub max_batch_events: usize,
    /// Where events about channels and members are sent.
    pub webhooks: Vec<WebhookConfig>,
    /// Origins (`https://example.com`) allowed to connect; any when empty. Others get 4009.
    pub allowed_origins: Vec<String>,
    /// Whether connections must sign in (`pusher:signin`) within
    /// `user_authentication_timeout`; those that do not are closed with 4009.
    pub require_user_authentication: bool,
    /// How long a connection has to sign in when the app requires it.
    pub user_authentication_timeout: Duration,
    /// HTTP API requests per second; over it the API answers 429. Unlimited when absent.
    pub max_api_requests_per_second: Option<u32>,
    /// Whether the Debug Console may be signed in to for this app (with its secret).
    pub console: bool,
}

/// A secret replaced by a rotation, accepted until `until` so clients and backends can move
/// to the new one without downtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSecret {
    /// The old secret.
    pub secret: Secret,
    /// When it stops being accepted.
    pub until: SystemTime,
}

/// One webhook endpoint of an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// `http://` or `https://` URL the events are POSTed to.
    pub url: Url,
    /// Which events to send.
    pub event_types: Vec<WebhookKind>,
    /// Only events on channels whose name starts with this.
    pub channel_prefix: Option<String>,
    /// Only events on channels whose name ends with this.
    pub channel_suffix: Option<String>,
    /// Extra request headers, valid names that are not `X-Pusher-Key`, `X-Pusher-Signature`
    /// or `Content-Type` (the server sets those).
    pub headers: std::collections::BTreeMap<String, String>,
    /// Collect events for this long and send them in one request; zero sends each event at
    /// once.
    pub batch: Duration,
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
    /// A webhook for every event to `url`, sent at once.
    pub fn new(url: Url) -> Self {
        Self {
            url,
            event_types: WebhookKind::all(),
            channel_prefix: None,
            channel_suffix: None,
            headers: std::collections::BTreeMap::new(),
            batch: Duration::ZERO,
        }
    }

    /// Whether this webhook wants an event of `kind` on `channel`.
    pub fn wants(&self, kind: WebhookKind, channel: &str) -> bool {
        self.event_types.contains(&kind)
            && self.channel_prefix.as_deref().is_none_or(|p| channel.starts_with(p))
            && self.channel_suffix.as_deref().is_none_or(|s| channel.ends_with(s))
    }
}

impl AppConfig {
    /// How long a connection has to sign in unless told otherwise.
    pub const DEFAULT_USER_AUTHENTICATION_TIMEOUT: Duration = Duration::from_secs(30);

    /// Channels per connection unless told otherwise: far above what a page subscribes to
    /// (Paybell's pages hold one or two), and it bounds a connection's channel memory
    /// (about 600 bytes each) to well under a megabyte.
    pub const DEFAULT_MAX_CHANNELS_PER_CONNECTION: usize = 1_000;

    /// Subscriptions per second per connection unless told otherwise.
    pub const DEFAULT_MAX_SUBSCRIPTIONS_PER_SECOND: u32 = 50;

    /// An app with the given credentials and every default.
    pub fn new(id: AppId, key: AppKey, secret: impl Into<String>) -> Self {
        Self {
            id,
            key,
            secret: Secret::new(secret),
            previous_secret: None,
            enabled: true,
            client_events: true,
            subscription_count: false,
            max_connections: None,
            max_presence_members: limits::MAX_PRESENCE_MEMBERS,
            max_presence_user_info_bytes: limits::MAX_PRESENCE_USER_INFO_BYTES,
            max_presence_user_id_len: limits::MAX_PRESENCE_USER_ID_LEN,
            max_client_events_per_second: limits::MAX_CLIENT_EVENTS_PER_SECOND,
            max_channels_per_connection: Self::DEFAULT_MAX_CHANNELS_PER_CONNECTION,
            max_subscriptions_per_second: Self::DEFAULT_MAX_SUBSCRIPTIONS_PER_SECOND,
            max_event_bytes: limits::MAX_EVENT_DATA_BYTES,
            max_channels_per_event: limits::MAX_CHANNELS_PER_EVENT,
            max_batch_events: limits::MAX_BATCH_EVENTS,
            webhooks: Vec::new(),
            allowed_origins: Vec::new(),
            require_user_authentication: false,
            user_authentication_timeout: Self::DEFAULT_USER_AUTHENTICATION_TIMEOUT,
            max_api_requests_per_second: None,
            console: true,
        }
    }

    /// The secret a rotation replaced, while its grace period lasts.
    pub fn previous_secret_in_force(&self, now: SystemTime) -> Option<&Secret> {
        self.previous_secret.as_ref().filter(|p| now < p.until).map(|p| &p.secret)
    }

    /// Runs a signature `check` with the secret, then, if that fails, with the previous
    /// secret while its grace period lasts. The error is the current secret's.
    ///
    /// # Errors
    /// What `check` said with the current secret, when no secret passes.
    pub fn check_signed<E>(&self, mut check: impl FnMut(&str) -> Result<(), E>) -> Result<(), E> {
        let result = check(self.secret.expose());
        match (result, self.previous_secret_in_force(SystemTime::now())) {
            (Err(_), Some(previous)) if check(previous.expose()).is_ok() => Ok(()),
            (result, _) => result,
        }
    }

    /// Whether a connection from `origin` may open.
    pub fn allows_origin(&self, origin: Option<&str>) -> bool {
        self.allowed_origins.is_empty()
            || origin.is_some_and(|o| {
                self.allowed_origins.iter().any(|allowed| allowed == o || allowed == "*")
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_filters_really_filter() {
        let mut hook = WebhookConfig::new(Url::parse("https://example.com/hook").unwrap());
        hook.event_types = vec![WebhookKind::ChannelOccupied];
        hook.channel_prefix = Some("invoice.".to_owned());
        hook.channel_suffix = Some(".live".to_owned());
        assert!(hook.wants(WebhookKind::ChannelOccupied, "invoice.1.live"));
        assert!(!hook.wants(WebhookKind::ChannelVacated, "invoice.1.live"));
        assert!(!hook.wants(WebhookKind::ChannelOccupied, "user.1.live"));
        assert!(!hook.wants(WebhookKind::ChannelOccupied, "invoice.1"));
    }
}
