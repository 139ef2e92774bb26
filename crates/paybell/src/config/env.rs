//! The environment layer: one table of the variables read, the file key each one overrides
//! and how its text is read. Adding a variable is one line in [`KEYS`]; a test checks that
//! the READMEs document every one.

use std::collections::HashMap;
use std::path::PathBuf;

use super::ConfigError;
use super::raw::RawConfig;

/// One environment variable and the file key it overrides.
#[derive(Debug)]
pub(crate) struct EnvKey {
    /// The variable, e.g. `PAYBELL_HTTP_ADDR`.
    pub(crate) name: &'static str,
    /// The file key, e.g. `http.addr`.
    pub(crate) path: &'static str,
    /// Reads the text into the raw configuration, or says what is wrong with it.
    set: fn(&mut RawConfig, &str) -> Result<(), String>,
}

/// `key!(VARIABLE, "file.path", raw.field.path, parser)`.
macro_rules! key {
    ($name:literal, $path:literal, $($field:ident).+, $parse:expr) => {
        EnvKey {
            name: $name,
            path: $path,
            set: |raw: &mut RawConfig, text: &str| {
                raw.$($field).+ = Some($parse(text)?);
                Ok(())
            },
        }
    };
}

/// Every variable read, in the order they are applied.
pub(crate) const KEYS: &[EnvKey] = &[
    key!("PAYBELL_REALTIME_ADDR", "realtime.addr", realtime.addr, text),
    key!("PAYBELL_TLS_CERT", "realtime.tls_cert", realtime.tls_cert, path),
    key!("PAYBELL_TLS_KEY", "realtime.tls_key", realtime.tls_key, path),
    key!("REDIS_URL", "realtime.redis_url", realtime.redis_url, text),
    key!("PAYBELL_REDIS_PREFIX", "realtime.redis_prefix", realtime.redis_prefix, text),
    key!(
        "PAYBELL_REDIS_NODE_LEASE_SECS",
        "realtime.redis_node_lease_secs",
        realtime.redis_node_lease_secs,
        seconds
    ),
    key!("PAYBELL_METRICS_TOKEN", "realtime.metrics_token", realtime.metrics_token, text),
    key!("PAYBELL_CONSOLE", "realtime.console", realtime.console, boolean),
    key!(
        "PAYBELL_REALTIME_HEADER_READ_TIMEOUT_SECS",
        "realtime.header_read_timeout",
        realtime.header_read_timeout,
        seconds
    ),
    key!(
        "PAYBELL_REALTIME_KEEP_ALIVE_TIMEOUT_SECS",
        "realtime.keep_alive_timeout",
        realtime.keep_alive_timeout,
        seconds
    ),
    key!("PAYBELL_DEV_CREDENTIALS", "realtime.dev_credentials", realtime.dev_credentials, boolean),
    key!("PAYBELL_APP_ID", "realtime.apps", realtime.env_app.id, text),
    key!("PAYBELL_APP_KEY", "realtime.apps", realtime.env_app.key, text),
    key!("PAYBELL_APP_SECRET", "realtime.apps", realtime.env_app.secret, text),
    key!("PAYBELL_HTTP_ADDR", "http.addr", http.addr, text),
    key!("PAYBELL_DATA_DIR", "http.data_dir", http.data_dir, path),
    key!("DATABASE_URL", "http.database_url", http.database_url, text),
    key!("PAYBELL_PUBLIC_URL", "http.public_url", http.public_url, text),
    key!("PAYBELL_PUBLIC_WS_URL", "http.public_ws_url", http.public_ws_url, text),
    key!("PAYBELL_PRIVATE_CHANNELS", "http.private_channels", http.private_channels, boolean),
    key!(
        "PAYBELL_HTTP_HEADER_READ_TIMEOUT_SECS",
        "http.header_read_timeout",
        http.header_read_timeout,
        seconds
    ),
    key!(
        "PAYBELL_HTTP_KEEP_ALIVE_TIMEOUT_SECS",
        "http.keep_alive_timeout",
        http.keep_alive_timeout,
        seconds
    ),
    key!("PAYBELL_TRUSTED_PROXIES", "http.trusted_proxies", http.trusted_proxies, text),
    key!(
        "PAYBELL_OUTBOX_RETENTION_DAYS",
        "http.outbox_retention_days",
        http.outbox_retention_days,
        days
    ),
    key!("PUSHER_APP_ID", "pusher.app_id", pusher.app_id, text),
    key!("PUSHER_KEY", "pusher.key", pusher.key, text),
    key!("PUSHER_SECRET", "pusher.secret", pusher.secret, text),
    key!("PUSHER_CLUSTER", "pusher.cluster", pusher.cluster, text),
    key!("PUSHER_HOST", "pusher.host", pusher.host, text),
    key!("PUSHER_PORT", "pusher.port", pusher.port, port),
    key!("PUSHER_USE_TLS", "pusher.use_tls", pusher.use_tls, boolean),
    key!("PAYBELL_SMTP_URL", "mail.smtp_url", mail.smtp_url, text),
    key!("PAYBELL_MAIL_FROM", "mail.from", mail.from, text),
    key!("PAYBELL_PAYMENTS", "payments.provider", payments.provider, text),
    key!("STRIPE_SECRET_KEY", "stripe.secret_key", stripe.secret_key, text),
    key!("STRIPE_PUBLISHABLE_KEY", "stripe.publishable_key", stripe.publishable_key, text),
    key!("STRIPE_WEBHOOK_SECRET", "stripe.webhook_secret", stripe.webhook_secret, text),
    key!("STRIPE_API_BASE", "stripe.api_base", stripe.api_base, text),
    key!("STRIPE_JS_URL", "stripe.js_url", stripe.js_url, text),
    key!("PAYBELL_VAPID_PRIVATE_KEY", "push.vapid_private_key", push.vapid_private_key, text),
    key!("PAYBELL_VAPID_SUBJECT", "push.vapid_subject", push.vapid_subject, text),
];

/// The variables of [`KEYS`] set in the process environment.
pub(crate) fn from_process() -> HashMap<String, String> {
    KEYS.iter()
        .filter_map(|key| std::env::var(key.name).ok().map(|value| (key.name.to_owned(), value)))
        .collect()
}

/// Lays the environment over the file; empty variables count as unset.
///
/// # Errors
/// A value that cannot be read, named `file.path (VARIABLE)`.
pub(crate) fn overlay(
    raw: &mut RawConfig,
    env: &HashMap<String, String>,
) -> Result<(), ConfigError> {
    for key in KEYS {
        let Some(text) = env.get(key.name).filter(|text| !text.is_empty()) else { continue };
        (key.set)(raw, text)
            .map_err(|problem| ConfigError::new(format!("{} ({})", key.path, key.name), problem))?;
    }
    Ok(())
}

// The parsers share one signature so the table can hold any of them.
fn text(text: &str) -> Result<String, String> {
    Ok(text.to_owned())
}

fn path(text: &str) -> Result<PathBuf, String> {
    Ok(PathBuf::from(text))
}

fn seconds(text: &str) -> Result<u64, String> {
    text.parse().map_err(|_| format!("{text:?} is not a whole number of seconds"))
}

fn days(text: &str) -> Result<u64, String> {
    text.trim().parse().map_err(|_| format!("{text:?} is not a whole number of days"))
}

fn port(text: &str) -> Result<u16, String> {
    text.trim().parse().map_err(|_| format!("{text:?} is not a port"))
}

pub(crate) fn boolean(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("{text:?} is not true or false")),
    }
}
