//! `[realtime]` parsed into the realtime library's typed configuration, checked once: a bad
//! value fails with its key (`realtime.apps[1].key`).

use std::net::SocketAddr;
use std::time::Duration;

use realtime::{
    AppConfig, AppCredentialError, AppId, AppKey, RealtimeConfig, RedisConfig, Secret, TlsFiles,
    WebhookConfig, WebhookKind,
};
use url::Url;

use super::ConfigError;
use super::raw::{RawApp, RawEnvApp, RawRealtime, RawWebhook};

/// Where the realtime server listens unless told otherwise.
pub const DEFAULT_REALTIME_ADDR: &str = "0.0.0.0:6001";

/// The development app, whose secret is public: used only when asked for
/// (`--dev-credentials`) on loopback addresses, for tests and benchmarks.
pub const DEV_APP: (&str, &str, &str) = ("app-id", "app-key", "app-secret");

/// The Redis key prefix unless told otherwise.
pub const DEFAULT_REDIS_PREFIX: &str = "paybell";

/// The realtime side, parsed.
#[derive(Debug)]
pub(crate) struct Realtime {
    pub(crate) addr: SocketAddr,
    pub(crate) config: RealtimeConfig,
    /// `realtime.dev_credentials`.
    pub(crate) dev_credentials: bool,
    /// `client_events` as said for the first app (the one `paybell serve` publishes to).
    pub(crate) first_app_client_events: Option<bool>,
}

/// Parses and checks `[realtime]` with the environment's app.
///
/// # Errors
/// [`ConfigError`] naming the first bad key.
pub(crate) fn parse(raw: RawRealtime) -> Result<Realtime, ConfigError> {
    let addr_text = raw.addr.unwrap_or_else(|| DEFAULT_REALTIME_ADDR.to_owned());
    let addr = addr_text.parse().map_err(|_| {
        ConfigError::new(
            "realtime.addr (PAYBELL_REALTIME_ADDR, --addr)",
            format!("{addr_text:?} is not HOST:PORT"),
        )
    })?;
    let mut apps = raw.apps;
    if let Some(app) = env_app(raw.env_app)? {
        apps.retain(|a| a.id != app.id);
        apps.insert(0, app);
    }
    // No app configured: the data directory's app (or the development one) is added
    // before anything starts, since that reads and writes files.
    let first_app_client_events = apps.first().and_then(|app| app.client_events);

    let d = RealtimeConfig::default();
    let max_frame_bytes =
        positive("realtime.max_frame_bytes", raw.max_frame_bytes.unwrap_or(d.max_frame_bytes))?;
    let activity_timeout =
        seconds("realtime.activity_timeout", raw.activity_timeout, d.activity_timeout)?;
    let pong_timeout = seconds("realtime.pong_timeout", raw.pong_timeout, d.pong_timeout)?;
    let outbound_queue =
        positive("realtime.outbound_queue", raw.outbound_queue.unwrap_or(d.outbound_queue))?;
    let lease = seconds(
        "realtime.redis_node_lease_secs",
        raw.redis_node_lease_secs,
        RedisConfig::DEFAULT_NODE_LEASE,
    )?;
    let prefix = redis_prefix(raw.redis_prefix)?;
    let redis = raw
        .redis_url
        .map(|url| Ok(RedisConfig { url: redis_url(&url)?, prefix, node_lease: lease }))
        .transpose()?;
    let tls = tls_files(raw.tls_cert, raw.tls_key)?;
    let config = RealtimeConfig {
        apps: parse_apps(apps)?,
        max_frame_bytes,
        activity_timeout,
        pong_timeout,
        outbound_queue,
        max_connections: raw.max_connections,
        shutdown_jitter: raw.shutdown_jitter_ms.map_or(d.shutdown_jitter, Duration::from_millis),
        timeouts: super::timeouts::parse(
            "realtime",
            raw.header_read_timeout,
            raw.keep_alive_timeout,
        )?,
        tls,
        redis,
        metrics_token: metrics_token(raw.metrics_token)?,
        console: raw.console.unwrap_or(d.console),
    };
    Ok(Realtime {
        addr,
        config,
        dev_credentials: raw.dev_credentials.unwrap_or(false),
        first_app_client_events,
    })
}

/// A token of at least 16 visible characters (it guards the only copy of the counters).
fn metrics_token(token: Option<String>) -> Result<Option<Secret>, ConfigError> {
    let Some(token) = token else { return Ok(None) };
    if token.len() < 16 || !token.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ConfigError::new(
            "realtime.metrics_token",
            "must be at least 16 visible ASCII characters, without spaces",
        ));
    }
    Ok(Some(Secret::new(token)))
}

fn redis_prefix(prefix: Option<String>) -> Result<String, ConfigError> {
    let prefix = prefix.unwrap_or_else(|| DEFAULT_REDIS_PREFIX.to_owned());
    if prefix.is_empty() || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConfigError::new(
            "realtime.redis_prefix",
            "must be non-empty, without spaces or control characters",
        ));
    }
    Ok(prefix)
}

fn redis_url(text: &str) -> Result<Url, ConfigError> {
    match Url::parse(text) {
        Ok(url) if url.scheme() == "redis" && url.host().is_some() => Ok(url),
        Ok(url) => Err(ConfigError::new(
            "realtime.redis_url",
            format!("scheme must be redis:// with a host, got {}://", url.scheme()),
        )),
        Err(error) => Err(ConfigError::new("realtime.redis_url", format!("{error}"))),
    }
}

fn tls_files(
    cert: Option<std::path::PathBuf>,
    key: Option<std::path::PathBuf>,
) -> Result<Option<TlsFiles>, ConfigError> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsFiles { cert, key })),
        (Some(_), None) => Err(ConfigError::new("realtime.tls_key", "is needed with tls_cert")),
        (None, Some(_)) => Err(ConfigError::new("realtime.tls_cert", "is needed with tls_key")),
        (None, None) => Ok(None),
    }
}

/// The default app from `PAYBELL_APP_ID`, `PAYBELL_APP_KEY`, `PAYBELL_APP_SECRET`: all or none.
fn env_app(app: RawEnvApp) -> Result<Option<RawApp>, ConfigError> {
    let need = |value: Option<String>, name: &str| {
        value.ok_or_else(|| {
            ConfigError::new(name, "must be set when any of PAYBELL_APP_ID/KEY/SECRET is")
        })
    };
    if app.id.is_none() && app.key.is_none() && app.secret.is_none() {
        return Ok(None);
    }
    let id = need(app.id, "PAYBELL_APP_ID")?;
    let key = need(app.key, "PAYBELL_APP_KEY")?;
    let secret = need(app.secret, "PAYBELL_APP_SECRET")?;
    Ok(Some(RawApp::new(id, key, secret)))
}

/// Parses every app; ids and keys must be distinct.
fn parse_apps(raw: Vec<RawApp>) -> Result<Vec<AppConfig>, ConfigError> {
    let mut apps: Vec<AppConfig> = Vec::with_capacity(raw.len());
    for (i, raw) in raw.into_iter().enumerate() {
        let app = parse_app(raw, &format!("realtime.apps[{i}]"))?;
        if let Some(earlier) = apps.iter().find(|a| a.id == app.id) {
            return Err(ConfigError::new(
                format!("realtime.apps[{i}].id"),
                format!("duplicate app id {:?}", earlier.id.as_str()),
            ));
        }
        if let Some(earlier) = apps.iter().find(|a| a.key == app.key) {
            return Err(ConfigError::new(
                format!("realtime.apps[{i}].key"),
                format!("duplicate app key {:?}", earlier.key.as_str()),
            ));
        }
        apps.push(app);
    }
    Ok(apps)
}

pub(super) fn parse_app(raw: RawApp, at: &str) -> Result<AppConfig, ConfigError> {
    let name = |field: &str| format!("{at}.{field}");
    let id = AppId::parse(raw.id).map_err(|e| credential_error(at, &e))?;
    let key = AppKey::parse(raw.key).map_err(|e| credential_error(at, &e))?;
    if raw.secret.expose().is_empty() {
        return Err(ConfigError::new(name("secret"), "must not be empty"));
    }
    let mut app = AppConfig::new(id, key, raw.secret.expose());
    let limit = |field: &str, value: Option<usize>, default: usize| {
        positive(&name(field), value.unwrap_or(default))
    };
    app.enabled = raw.enabled.unwrap_or(app.enabled);
    app.client_events = raw.client_events.unwrap_or(app.client_events);
    app.subscription_count = raw.subscription_count.unwrap_or(app.subscription_count);
    app.max_connections = raw.max_connections;
    app.max_presence_members =
        limit("max_presence_members", raw.max_presence_members, app.max_presence_members)?;
    app.max_presence_user_info_bytes = limit(
        "max_presence_user_info_bytes",
        raw.max_presence_user_info_bytes,
        app.max_presence_user_info_bytes,
    )?;
    app.max_presence_user_id_len = limit(
        "max_presence_user_id_len",
        raw.max_presence_user_id_len,
        app.max_presence_user_id_len,
    )?;
    app.max_client_events_per_second = positive(
        &name("max_client_events_per_second"),
        raw.max_client_events_per_second.unwrap_or(app.max_client_events_per_second),
    )?;
    app.max_channels_per_connection = limit(
        "max_channels_per_connection",
        raw.max_channels_per_connection,
        app.max_channels_per_connection,
    )?;
    app.max_subscriptions_per_second = positive(
        &name("max_subscriptions_per_second"),
        raw.max_subscriptions_per_second.unwrap_or(app.max_subscriptions_per_second),
    )?;
    app.max_event_bytes = limit("max_event_bytes", raw.max_event_bytes, app.max_event_bytes)?;
    app.max_channels_per_event =
        limit("max_channels_per_event", raw.max_channels_per_event, app.max_channels_per_event)?;
    app.max_batch_events = limit("max_batch_events", raw.max_batch_events, app.max_batch_events)?;
    app.require_user_authentication =
        raw.require_user_authentication.unwrap_or(app.require_user_authentication);
    app.user_authentication_timeout = seconds(
        &name("user_authentication_timeout"),
        raw.user_authentication_timeout,
        app.user_authentication_timeout,
    )?;
    app.max_api_requests_per_second = raw
        .max_api_requests_per_second
        .map(|rate| positive(&name("max_api_requests_per_second"), rate))
        .transpose()?;
    app.allowed_origins = raw.allowed_origins;
    app.console = raw.console.unwrap_or(app.console);
    app.webhooks = raw
        .webhooks
        .into_iter()
        .enumerate()
        .map(|(i, hook)| parse_webhook(hook, &name(&format!("webhooks[{i}]"))))
        .collect::<Result<_, _>>()?;
    Ok(app)
}

/// The app id or key at `at` that [`AppId::parse`] or [`AppKey::parse`] refused.
fn credential_error(at: &str, error: &AppCredentialError) -> ConfigError {
    let field = match error {
        AppCredentialError::Id(_) => "id",
        AppCredentialError::Key(_) => "key",
    };
    ConfigError::new(format!("{at}.{field}"), "must be non-empty letters, digits, '-', '_' or '.'")
}

fn parse_webhook(raw: RawWebhook, at: &str) -> Result<WebhookConfig, ConfigError> {
    let url = Url::parse(&raw.url).map_err(|e| {
        ConfigError::new(format!("{at}.url"), format!("{:?} is not a URL: {e}", raw.url))
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(format!("{at}.url"), "must start with http:// or https://"));
    }
    for name in raw.headers.keys() {
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
    Ok(WebhookConfig {
        url,
        event_types: raw.event_types.unwrap_or_else(WebhookKind::all),
        channel_prefix: raw.channel_prefix,
        channel_suffix: raw.channel_suffix,
        headers: raw.headers,
        batch: Duration::from_millis(raw.batch_ms.unwrap_or(0)),
    })
}

fn positive<T: PartialOrd + Default>(key: &str, value: T) -> Result<T, ConfigError> {
    if value > T::default() {
        Ok(value)
    } else {
        Err(ConfigError::new(key, "must be greater than 0"))
    }
}

/// A positive whole number of seconds, or `default`.
fn seconds(key: &str, value: Option<u64>, default: Duration) -> Result<Duration, ConfigError> {
    value.map_or(Ok(default), |secs| positive(key, secs).map(Duration::from_secs))
}
