//! soketi's environment variables, read by `paybell realtime` so a soketi deployment can
//! switch without rewriting its environment (docs/from-soketi.md). They are a layer below
//! everything Paybell's own: a value is taken only where the file, `PAYBELL_*` and the flags
//! said nothing. Every `SOKETI_*` variable set is reported once, used or ignored with why.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use realtime::WebhookKind;
use serde::Deserialize;

use super::ConfigError;
use super::env::boolean;
use super::raw::{RawApp, RawConfig, RawWebhook};

/// What one soketi variable becomes.
#[derive(Debug, Clone, Copy)]
enum Twin {
    /// `SOKETI_PORT`: `realtime.addr` on all interfaces.
    Port,
    /// `SOKETI_SSL_CERT`.
    TlsCert,
    /// `SOKETI_SSL_KEY`.
    TlsKey,
    /// `SOKETI_DEFAULT_APP_ID`, `_KEY`, `_SECRET`.
    AppId,
    AppKey,
    AppSecret,
    /// A setting of the default app.
    App(fn(&mut RawApp, &str) -> Result<Applied, String>),
}

/// Whether a value was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Used,
    Ignored(&'static str),
}

/// One soketi variable with a Paybell twin: its name and the Paybell key it sets.
#[derive(Debug)]
pub(crate) struct Alias {
    /// The soketi variable, e.g. `SOKETI_PORT`.
    pub(crate) name: &'static str,
    /// The Paybell key it stands for, e.g. `realtime.addr`.
    pub(crate) paybell: &'static str,
    twin: Twin,
}

const fn alias(name: &'static str, paybell: &'static str, twin: Twin) -> Alias {
    Alias { name, paybell, twin }
}

/// The soketi variables Paybell reads (documented in docs/from-soketi.md; a test checks it).
pub(crate) const ALIASES: &[Alias] = &[
    alias("SOKETI_PORT", "realtime.addr", Twin::Port),
    alias("SOKETI_SSL_CERT", "realtime.tls_cert", Twin::TlsCert),
    alias("SOKETI_SSL_KEY", "realtime.tls_key", Twin::TlsKey),
    alias("SOKETI_DEFAULT_APP_ID", "realtime.apps[0].id", Twin::AppId),
    alias("SOKETI_DEFAULT_APP_KEY", "realtime.apps[0].key", Twin::AppKey),
    alias("SOKETI_DEFAULT_APP_SECRET", "realtime.apps[0].secret", Twin::AppSecret),
    alias("SOKETI_DEFAULT_APP_ENABLED", "realtime.apps[0].enabled", Twin::App(enabled)),
    alias(
        "SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES",
        "realtime.apps[0].client_events",
        Twin::App(client_events),
    ),
    alias("SOKETI_DEFAULT_APP_MAX_CONNS", "realtime.apps[0].max_connections", Twin::App(max_conns)),
    alias(
        "SOKETI_DEFAULT_APP_MAX_CONNECTIONS",
        "realtime.apps[0].max_connections",
        Twin::App(max_conns),
    ),
    alias(
        "SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC",
        "realtime.apps[0].max_client_events_per_second",
        Twin::App(client_events_per_second),
    ),
    alias("SOKETI_DEFAULT_APP_WEBHOOKS", "realtime.apps[0].webhooks", Twin::App(webhooks)),
    alias(
        "SOKETI_PRESENCE_MAX_MEMBERS",
        "realtime.apps[0].max_presence_members",
        Twin::App(presence_members),
    ),
    alias(
        "SOKETI_PRESENCE_MAX_MEMBER_SIZE",
        "realtime.apps[0].max_presence_user_info_bytes",
        Twin::App(presence_member_size),
    ),
    alias(
        "SOKETI_EVENT_MAX_CHANNELS_AT_ONCE",
        "realtime.apps[0].max_channels_per_event",
        Twin::App(channels_at_once),
    ),
    alias("SOKETI_EVENT_MAX_SIZE_IN_KB", "realtime.apps[0].max_event_bytes", Twin::App(event_size)),
    alias(
        "SOKETI_EVENT_MAX_BATCH_SIZE",
        "realtime.apps[0].max_batch_events",
        Twin::App(batch_size),
    ),
];

/// soketi variables Paybell knows and does not take, with why (also in the document).
pub(crate) const IGNORED: &[(&str, &str)] = &[
    ("SOKETI_DEBUG", "Paybell's log level is set with RUST_LOG"),
    ("SOKETI_SSL_PASS", "Paybell reads unencrypted PEM keys only"),
    ("SOKETI_SSL_CA", "put the chain in the SOKETI_SSL_CERT / PAYBELL_TLS_CERT file"),
    (
        "SOKETI_DEFAULT_APP_MAX_BACKEND_EVENTS_PER_SEC",
        "use max_api_requests_per_second in the file",
    ),
    ("SOKETI_DEFAULT_APP_MAX_READ_REQ_PER_SEC", "use max_api_requests_per_second in the file"),
    (
        "SOKETI_DEFAULT_APP_ENABLE_USER_AUTHENTICATION",
        "use require_user_authentication in the file",
    ),
    ("SOKETI_ADAPTER_DRIVER", "a cluster is REDIS_URL"),
    ("SOKETI_ADAPTER_REDIS_PREFIX", "use PAYBELL_REDIS_PREFIX"),
    ("SOKETI_DB_REDIS_HOST", "a cluster is REDIS_URL"),
    ("SOKETI_DB_REDIS_PORT", "a cluster is REDIS_URL"),
    ("SOKETI_DB_REDIS_PASSWORD", "a cluster is REDIS_URL"),
    ("SOKETI_DB_REDIS_DB", "a cluster is REDIS_URL"),
    ("SOKETI_METRICS_ENABLED", "/metrics is always served, behind PAYBELL_METRICS_TOKEN"),
    ("SOKETI_METRICS_SERVER_PORT", "/metrics is served on the realtime address"),
    ("SOKETI_APP_MANAGER_DRIVER", "apps come from the file or the environment"),
    (
        "SOKETI_SHUTDOWN_GRACE_PERIOD",
        "on SIGTERM clients are told to reconnect over realtime.shutdown_jitter_ms",
    ),
    ("SOKETI_CHANNEL_LIMITS_MAX_NAME_LENGTH", "channel names follow the Pusher limit (164)"),
    ("SOKETI_EVENT_MAX_NAME_LENGTH", "event names follow the Pusher limit (200)"),
    ("SOKETI_PATH_PREFIX", "WebSocket clients are accepted behind any path prefix"),
    ("SOKETI_MODE", "every Paybell node serves clients and the HTTP API"),
];

/// What was done with each `SOKETI_*` variable set, for printing once at start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoketiReport {
    /// `(variable, Paybell key)` taken.
    pub used: Vec<(String, &'static str)>,
    /// `(variable, why)` not taken.
    pub ignored: Vec<(String, String)>,
}

impl SoketiReport {
    /// Whether no `SOKETI_*` variable was set.
    pub fn is_empty(&self) -> bool {
        self.used.is_empty() && self.ignored.is_empty()
    }
}

impl fmt::Display for SoketiReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, key) in &self.used {
            writeln!(f, "soketi: using {name} as {key}")?;
        }
        for (name, why) in &self.ignored {
            writeln!(f, "soketi: ignoring {name}: {why}")?;
        }
        Ok(())
    }
}

/// The `SOKETI_*` variables of the process environment.
pub(crate) fn from_process() -> HashMap<String, String> {
    std::env::vars().filter(|(name, _)| name.starts_with("SOKETI_")).collect()
}

const PAYBELL_WINS: &str = "set by Paybell's own configuration, which wins";

/// Lays the soketi variables under what the file, the environment and the flags said.
///
/// # Errors
/// A value that cannot be read, named by its variable.
pub(crate) fn overlay(
    raw: &mut RawConfig,
    env: &HashMap<String, String>,
) -> Result<SoketiReport, ConfigError> {
    let mut report = SoketiReport::default();
    let set: BTreeMap<&str, &str> = env
        .iter()
        .filter(|(name, value)| name.starts_with("SOKETI_") && !value.is_empty())
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let app_asked =
        ["SOKETI_DEFAULT_APP_ID", "SOKETI_DEFAULT_APP_KEY", "SOKETI_DEFAULT_APP_SECRET"]
            .iter()
            .any(|name| set.contains_key(name));
    let paybell_app = !raw.realtime.apps.is_empty()
        || raw.realtime.env_app.id.is_some()
        || raw.realtime.env_app.key.is_some()
        || raw.realtime.env_app.secret.is_some();
    let mut app = (app_asked && !paybell_app).then(|| default_app(&set)).transpose()?;

    for (&name, &value) in &set {
        let Some(alias) = ALIASES.iter().find(|alias| alias.name == name) else {
            let why = IGNORED
                .iter()
                .find(|(known, _)| *known == name)
                .map_or("not a soketi setting Paybell knows".to_owned(), |(_, why)| {
                    format!("no Paybell twin ({why})")
                });
            report.ignored.push((name.to_owned(), why));
            continue;
        };
        let bad = |problem: String| ConfigError::new(name, problem);
        let outcome = match alias.twin {
            Twin::Port => take(&mut raw.realtime.addr, || {
                let port: u16 =
                    value.trim().parse().map_err(|_| format!("{value:?} is not a port"))?;
                Ok(format!("0.0.0.0:{port}"))
            })
            .map_err(bad)?,
            Twin::TlsCert => take(&mut raw.realtime.tls_cert, || Ok(value.into())).map_err(bad)?,
            Twin::TlsKey => take(&mut raw.realtime.tls_key, || Ok(value.into())).map_err(bad)?,
            Twin::AppId | Twin::AppKey | Twin::AppSecret => app_outcome(paybell_app, app.is_some()),
            Twin::App(apply) => match app.as_mut() {
                Some(app) => apply(app, value).map_err(bad)?,
                None => app_outcome(paybell_app, false),
            },
        };
        match outcome {
            Applied::Used => report.used.push((name.to_owned(), alias.paybell)),
            Applied::Ignored(why) => report.ignored.push((name.to_owned(), why.to_owned())),
        }
    }
    if let Some(app) = app {
        raw.realtime.apps.push(app);
    }
    Ok(report)
}

/// Sets `value` unless Paybell's configuration already did.
fn take<T>(
    value: &mut Option<T>,
    read: impl FnOnce() -> Result<T, String>,
) -> Result<Applied, String> {
    if value.is_some() {
        return Ok(Applied::Ignored(PAYBELL_WINS));
    }
    *value = Some(read()?);
    Ok(Applied::Used)
}

fn app_outcome(paybell_app: bool, have_app: bool) -> Applied {
    if paybell_app {
        Applied::Ignored("an app is configured by the file or PAYBELL_APP_*, which wins")
    } else if have_app {
        Applied::Used
    } else {
        Applied::Ignored(
            "applies to soketi's default app, which needs SOKETI_DEFAULT_APP_ID, _KEY and _SECRET",
        )
    }
}

/// soketi's default app: all three credentials, or an error naming the missing one.
fn default_app(set: &BTreeMap<&str, &str>) -> Result<RawApp, ConfigError> {
    let need = |name: &str| {
        set.get(name).map(|value| (*value).to_owned()).ok_or_else(|| {
            ConfigError::new(
                name,
                "must be set when any of SOKETI_DEFAULT_APP_ID/KEY/SECRET is \
                 (Paybell has no published default credentials)",
            )
        })
    };
    Ok(RawApp::new(
        need("SOKETI_DEFAULT_APP_ID")?,
        need("SOKETI_DEFAULT_APP_KEY")?,
        need("SOKETI_DEFAULT_APP_SECRET")?,
    ))
}

fn enabled(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    app.enabled = Some(boolean(value)?);
    Ok(Applied::Used)
}

fn client_events(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    app.client_events = Some(boolean(value)?);
    Ok(Applied::Used)
}

/// A soketi limit: a whole number, `-1` (soketi's "no limit") is `None`.
fn limit(value: &str) -> Result<Option<u64>, String> {
    match value.trim() {
        "-1" => Ok(None),
        text => text
            .parse()
            .map(Some)
            .map_err(|_| format!("{value:?} is not a whole number (or -1 for no limit)")),
    }
}

fn size(value: &str) -> Result<Option<usize>, String> {
    limit(value)?
        .map(|n| usize::try_from(n).map_err(|_| format!("{value:?} is too large")))
        .transpose()
}

const KEEPS_LIMIT: &str = "-1 (no limit): Paybell keeps its default limit";

fn max_conns(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    // Paybell's own default is no per-app limit, so -1 means the same in both.
    app.max_connections = size(value)?;
    Ok(Applied::Used)
}

fn client_events_per_second(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    let Some(rate) = limit(value)? else { return Ok(Applied::Ignored(KEEPS_LIMIT)) };
    app.max_client_events_per_second =
        Some(u32::try_from(rate).map_err(|_| format!("{value:?} is too large"))?);
    Ok(Applied::Used)
}

fn presence_members(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    let Some(n) = size(value)? else { return Ok(Applied::Ignored(KEEPS_LIMIT)) };
    app.max_presence_members = Some(n);
    Ok(Applied::Used)
}

/// soketi counts in KB (1024 bytes), Paybell in bytes.
fn kilobytes(value: &str) -> Result<Option<usize>, String> {
    size(value)?
        .map(|kb| kb.checked_mul(1024).ok_or_else(|| format!("{value:?} is too large")))
        .transpose()
}

fn presence_member_size(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    let Some(bytes) = kilobytes(value)? else { return Ok(Applied::Ignored(KEEPS_LIMIT)) };
    app.max_presence_user_info_bytes = Some(bytes);
    Ok(Applied::Used)
}

fn event_size(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    let Some(bytes) = kilobytes(value)? else { return Ok(Applied::Ignored(KEEPS_LIMIT)) };
    app.max_event_bytes = Some(bytes);
    Ok(Applied::Used)
}

fn channels_at_once(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    let Some(n) = size(value)? else { return Ok(Applied::Ignored(KEEPS_LIMIT)) };
    app.max_channels_per_event = Some(n);
    Ok(Applied::Used)
}

fn batch_size(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    let Some(n) = size(value)? else { return Ok(Applied::Ignored(KEEPS_LIMIT)) };
    app.max_batch_events = Some(n);
    Ok(Applied::Used)
}

/// One entry of `SOKETI_DEFAULT_APP_WEBHOOKS` (a JSON array).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SoketiWebhook {
    url: String,
    event_types: Option<Vec<WebhookKind>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    filter: Option<SoketiFilter>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SoketiFilter {
    channel_name_starts_with: Option<String>,
    channel_name_ends_with: Option<String>,
}

fn webhooks(app: &mut RawApp, value: &str) -> Result<Applied, String> {
    let hooks: Vec<SoketiWebhook> = serde_json::from_str(value).map_err(|e| {
        format!("is not a JSON array of {{url, event_types, headers, filter}} webhooks: {e}")
    })?;
    app.webhooks = hooks
        .into_iter()
        .map(|hook| {
            let filter = hook.filter.unwrap_or(SoketiFilter {
                channel_name_starts_with: None,
                channel_name_ends_with: None,
            });
            RawWebhook {
                url: hook.url,
                event_types: hook.event_types,
                channel_prefix: filter.channel_name_starts_with,
                channel_suffix: filter.channel_name_ends_with,
                headers: hook.headers,
                batch_ms: None,
            }
        })
        .collect();
    Ok(Applied::Used)
}
