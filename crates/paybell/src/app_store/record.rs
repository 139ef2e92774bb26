//! One stored app: credentials, name, switch, the secret a rotation replaced, and its other
//! settings as the config file's keys (checked by the same code as the file's apps).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pusher_protocol::{AppCredentialError, AppId, AppKey, Secret};
use realtime::{AppConfig, PreviousSecret};
use serde_json::{Map, Value};

use crate::config::ConfigError;

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The keys an app has in the config file besides `id`, `key`, `secret` and `enabled`
/// (`max_connections`, `webhooks`…), as JSON. Checked whenever it becomes an [`AppConfig`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings(Map<String, Value>);

/// Keys kept in their own columns, never in [`Settings`].
const COLUMN_KEYS: [&str; 4] = ["id", "key", "secret", "enabled"];

impl Settings {
    /// Parses the stored JSON object.
    ///
    /// # Errors
    /// When it is not a JSON object.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text).map(Self)
    }

    /// The stored JSON.
    pub fn to_json(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }

    /// Sets `key` (a config-file key of an app) to `value`.
    ///
    /// # Errors
    /// When `key` is one kept in its own column (id, key, secret, enabled).
    pub fn set(&mut self, key: &str, value: Value) -> Result<(), String> {
        if COLUMN_KEYS.contains(&key) {
            return Err(format!("{key} is not a setting (see `paybell app --help`)"));
        }
        self.0.insert(key.to_owned(), value);
        Ok(())
    }

    /// Removes `key`, so its default applies.
    pub fn unset(&mut self, key: &str) {
        self.0.remove(key);
    }

    /// The settings, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter()
    }
}

/// What a stored row holds, before it is checked.
#[derive(Debug)]
pub(crate) struct Parts {
    pub(crate) id: String,
    pub(crate) key: String,
    pub(crate) name: String,
    pub(crate) secret: String,
    pub(crate) previous_secret: Option<String>,
    pub(crate) previous_secret_until: Option<i64>,
    pub(crate) enabled: bool,
    pub(crate) settings: Settings,
    pub(crate) created_at: i64,
}

/// One app of the store.
#[derive(Debug, Clone)]
pub struct AppRecord {
    /// `/apps/{id}`; never changes.
    pub id: AppId,
    /// The key clients connect with; never changes.
    pub key: AppKey,
    /// A label for people.
    pub name: String,
    /// The secret that signs.
    pub secret: Secret,
    /// The secret before the last rotation.
    pub previous_secret: Option<Secret>,
    /// Until when (unix ms) `previous_secret` is still accepted.
    pub previous_secret_until: Option<i64>,
    /// A disabled app refuses connections (4003) and API calls (403).
    pub enabled: bool,
    /// Its other settings.
    pub settings: Settings,
    /// When it was added (unix ms).
    pub created_at: i64,
}

impl AppRecord {
    /// A new enabled app with no settings.
    pub fn new(id: AppId, key: AppKey, name: String, secret: Secret) -> Self {
        Self {
            id,
            key,
            name,
            secret,
            previous_secret: None,
            previous_secret_until: None,
            enabled: true,
            settings: Settings::default(),
            created_at: now_ms(),
        }
    }

    pub(crate) fn from_parts(parts: Parts) -> Result<Self, AppCredentialError> {
        Ok(Self {
            id: AppId::parse(parts.id)?,
            key: AppKey::parse(parts.key)?,
            name: parts.name,
            secret: Secret::new(parts.secret),
            previous_secret: parts.previous_secret.map(Secret::new),
            previous_secret_until: parts.previous_secret_until,
            enabled: parts.enabled,
            settings: parts.settings,
            created_at: parts.created_at,
        })
    }

    /// Replaces the secret by `new`; the old one stays accepted for `grace`.
    pub fn rotate(&mut self, new: Secret, grace: Duration) {
        let old = std::mem::replace(&mut self.secret, new);
        let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        self.previous_secret = Some(old);
        self.previous_secret_until = Some(now_ms().saturating_add(grace_ms));
    }

    /// The app as the realtime server takes it, checked like a config-file app.
    ///
    /// # Errors
    /// [`ConfigError`] naming the setting that is wrong.
    pub fn to_config(&self) -> Result<AppConfig, ConfigError> {
        let mut object = self.settings.0.clone();
        object.insert("id".to_owned(), self.id.as_str().into());
        object.insert("key".to_owned(), self.key.as_str().into());
        object.insert("secret".to_owned(), self.secret.expose().into());
        object.insert("enabled".to_owned(), self.enabled.into());
        let mut config = crate::config::parse_stored_app(Value::Object(object), &self.id)?;
        config.previous_secret = match (&self.previous_secret, self.previous_secret_until) {
            (Some(secret), Some(until)) => Some(PreviousSecret {
                secret: secret.clone(),
                until: UNIX_EPOCH + Duration::from_millis(u64::try_from(until).unwrap_or(0)),
            }),
            _ => None,
        };
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> AppRecord {
        let (id, key) = (AppId::parse("a1").unwrap(), AppKey::parse("k1").unwrap());
        AppRecord::new(id, key, "shop".to_owned(), Secret::new("old"))
    }

    #[test]
    fn settings_are_checked_like_the_config_file() {
        let mut app = record();
        app.settings.set("max_connections", 5.into()).unwrap();
        assert_eq!(app.to_config().unwrap().max_connections, Some(5));
        app.settings.set("max_event_bytes", 0.into()).unwrap();
        let error = app.to_config().unwrap_err();
        assert!(error.to_string().contains("app a1.max_event_bytes"), "{error}");
        app.settings.unset("max_event_bytes");
        app.settings.set("nonsense", true.into()).unwrap();
        assert!(app.to_config().unwrap_err().to_string().contains("nonsense"));
        assert!(app.settings.set("secret", "x".into()).is_err(), "credentials are columns");
    }

    #[test]
    fn a_rotation_keeps_the_old_secret_for_the_grace_period() {
        let mut app = record();
        app.rotate(Secret::new("new"), Duration::from_secs(60));
        let config = app.to_config().unwrap();
        assert_eq!(config.secret.expose(), "new");
        let now = SystemTime::now();
        let previous = config.previous_secret_in_force(now).unwrap();
        assert_eq!(previous.expose(), "old");
        assert!(config.previous_secret_in_force(now + Duration::from_secs(61)).is_none());
        let check = |secret: &str| if secret == "old" { Ok(()) } else { Err(()) };
        assert!(config.check_signed(check).is_ok(), "the old secret still passes");
    }
}
