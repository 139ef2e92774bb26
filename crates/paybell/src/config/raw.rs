//! What the TOML file, the environment and the flags give, before anything is checked:
//! every key optional (defaults are applied when parsing), unknown keys refused.

use std::collections::BTreeMap;
use std::path::PathBuf;

use realtime::{Secret, WebhookKind};
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    #[serde(default)]
    pub(crate) realtime: RawRealtime,
    #[serde(default)]
    pub(crate) http: RawHttp,
    #[serde(default)]
    pub(crate) pusher: RawPusher,
    #[serde(default)]
    pub(crate) mail: RawMail,
    #[serde(default)]
    pub(crate) payments: RawPayments,
    #[serde(default)]
    pub(crate) stripe: RawStripe,
    #[serde(default)]
    pub(crate) push: RawPush,
}

/// The `[push]` section: Web Push.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPush {
    pub(crate) vapid_private_key: Option<String>,
    pub(crate) vapid_subject: Option<String>,
}

/// The `[payments]` section: which provider charges cards.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPayments {
    pub(crate) provider: Option<String>,
}

/// The `[stripe]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStripe {
    pub(crate) secret_key: Option<String>,
    pub(crate) publishable_key: Option<String>,
    pub(crate) webhook_secret: Option<String>,
    pub(crate) api_base: Option<String>,
    pub(crate) js_url: Option<String>,
}

/// The `[realtime]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRealtime {
    pub(crate) addr: Option<String>,
    #[serde(default)]
    pub(crate) apps: Vec<RawApp>,
    pub(crate) max_frame_bytes: Option<usize>,
    pub(crate) activity_timeout: Option<u64>,
    pub(crate) pong_timeout: Option<u64>,
    pub(crate) outbound_queue: Option<usize>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) shutdown_jitter_ms: Option<u64>,
    pub(crate) header_read_timeout: Option<u64>,
    pub(crate) keep_alive_timeout: Option<u64>,
    pub(crate) tls_cert: Option<PathBuf>,
    pub(crate) tls_key: Option<PathBuf>,
    pub(crate) redis_url: Option<String>,
    pub(crate) redis_prefix: Option<String>,
    pub(crate) redis_node_lease_secs: Option<u64>,
    pub(crate) metrics_token: Option<String>,
    /// Serve the Debug Console under `/console`.
    pub(crate) console: Option<bool>,
    /// Use the development app (`app-id`/`app-key`/`app-secret`) when none is configured,
    /// on loopback addresses only.
    pub(crate) dev_credentials: Option<bool>,
    /// `PAYBELL_APP_ID`, `PAYBELL_APP_KEY`, `PAYBELL_APP_SECRET`: the environment's app,
    /// which replaces the file's app with the same id.
    #[serde(skip)]
    pub(crate) env_app: RawEnvApp,
}

/// The parts of the environment's app, each perhaps missing.
#[derive(Debug, Default)]
pub(crate) struct RawEnvApp {
    pub(crate) id: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) secret: Option<String>,
}

/// One `[[realtime.apps]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawApp {
    #[serde(deserialize_with = "string_or_number")]
    pub(crate) id: String,
    pub(crate) key: String,
    pub(crate) secret: Secret,
    pub(crate) enabled: Option<bool>,
    pub(crate) client_events: Option<bool>,
    pub(crate) subscription_count: Option<bool>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) max_presence_members: Option<usize>,
    pub(crate) max_presence_user_info_bytes: Option<usize>,
    pub(crate) max_presence_user_id_len: Option<usize>,
    pub(crate) max_client_events_per_second: Option<u32>,
    pub(crate) max_channels_per_connection: Option<usize>,
    pub(crate) max_subscriptions_per_second: Option<u32>,
    pub(crate) max_event_bytes: Option<usize>,
    pub(crate) max_channels_per_event: Option<usize>,
    pub(crate) max_batch_events: Option<usize>,
    #[serde(default)]
    pub(crate) webhooks: Vec<RawWebhook>,
    #[serde(default)]
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) require_user_authentication: Option<bool>,
    pub(crate) user_authentication_timeout: Option<u64>,
    pub(crate) max_api_requests_per_second: Option<u32>,
    pub(crate) console: Option<bool>,
}

impl RawApp {
    /// An app with these credentials and nothing else said.
    pub(crate) fn new(id: String, key: String, secret: String) -> Self {
        Self {
            id,
            key,
            secret: Secret::new(secret),
            enabled: None,
            client_events: None,
            subscription_count: None,
            max_connections: None,
            max_presence_members: None,
            max_presence_user_info_bytes: None,
            max_presence_user_id_len: None,
            max_client_events_per_second: None,
            max_channels_per_connection: None,
            max_subscriptions_per_second: None,
            max_event_bytes: None,
            max_channels_per_event: None,
            max_batch_events: None,
            webhooks: Vec::new(),
            allowed_origins: Vec::new(),
            require_user_authentication: None,
            user_authentication_timeout: None,
            max_api_requests_per_second: None,
            console: None,
        }
    }
}

/// One `[[realtime.apps.webhooks]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWebhook {
    pub(crate) url: String,
    pub(crate) event_types: Option<Vec<WebhookKind>>,
    pub(crate) channel_prefix: Option<String>,
    pub(crate) channel_suffix: Option<String>,
    #[serde(default)]
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) batch_ms: Option<u64>,
}

/// The `[http]` section.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHttp {
    pub(crate) addr: Option<String>,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) database_url: Option<String>,
    pub(crate) public_url: Option<String>,
    pub(crate) public_ws_url: Option<String>,
    pub(crate) private_channels: Option<bool>,
    pub(crate) header_read_timeout: Option<u64>,
    pub(crate) keep_alive_timeout: Option<u64>,
    /// Comma-separated IPs and CIDR blocks whose `X-Forwarded-For` is believed.
    pub(crate) trusted_proxies: Option<String>,
    pub(crate) outbox_retention_days: Option<u64>,
}

/// The `[pusher]` section: a remote publishing target.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawPusher {
    #[serde(default, deserialize_with = "optional_string_or_number")]
    pub(crate) app_id: Option<String>,
    pub(crate) key: Option<String>,
    pub(crate) secret: Option<String>,
    pub(crate) cluster: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) use_tls: Option<bool>,
}

/// An app id as the file may write it: `12345` or `"app-id"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Id {
    Text(String),
    Number(u64),
}

impl From<Id> for String {
    fn from(id: Id) -> Self {
        match id {
            Id::Text(text) => text,
            Id::Number(n) => n.to_string(),
        }
    }
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Id::deserialize(d)?.into())
}

fn optional_string_or_number<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<String>, D::Error> {
    Ok(Option::<Id>::deserialize(d)?.map(String::from))
}

/// The `[mail]` section: where e-mail goes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawMail {
    pub(crate) smtp_url: Option<String>,
    pub(crate) from: Option<String>,
}
