//! One typed configuration, layered defaults → file → environment → flags, validated before
//! anything starts. A bad value fails start-up with a message naming its key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use realtime::{AppConfig, ConfigError, RealtimeConfig};

use crate::cli::RealtimeArgs;

/// Where the realtime server listens unless told otherwise.
pub const DEFAULT_REALTIME_ADDR: &str = "0.0.0.0:6001";

/// The development app used when no app is configured.
pub const DEV_APP: (&str, &str, &str) = ("app-id", "app-key", "app-secret");

/// Everything `paybell realtime` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where WebSocket clients and the HTTP API are served.
    pub realtime_addr: SocketAddr,
    /// Apps, limits and switches of the realtime server.
    pub realtime: RealtimeConfig,
    /// Whether the development app was added because none was configured.
    pub uses_dev_app: bool,
}

/// The inputs of [`Config::load`], so tests need not touch the process environment.
#[derive(Debug, Default)]
pub struct Sources<'a> {
    /// The configuration file's text, if one was given.
    pub file: Option<&'a str>,
    /// The environment variables (only `PAYBELL_*` ones are read).
    pub env: HashMap<String, String>,
    /// Flags of `paybell realtime` (clap already folded in their environment variables).
    pub realtime: RealtimeArgs,
}

impl Config {
    /// Reads `path` (if any) and the process environment, then layers `args` on top.
    ///
    /// # Errors
    /// When the file cannot be read, or any value is invalid (the message names the key).
    pub fn from_process(path: Option<&Path>, args: RealtimeArgs) -> anyhow::Result<Self> {
        let text = path
            .map(|p| {
                std::fs::read_to_string(p)
                    .with_context(|| format!("reading config file {}", p.display()))
            })
            .transpose()?;
        let env = std::env::vars().filter(|(k, _)| k.starts_with("PAYBELL_")).collect();
        Ok(Self::load(Sources { file: text.as_deref(), env, realtime: args })?)
    }

    /// Layers the sources: defaults, then the file, then the environment, then the flags.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad key.
    pub fn load(sources: Sources<'_>) -> Result<Self, ConfigError> {
        let file: FileConfig = match sources.file {
            Some(text) => {
                toml::from_str(text).map_err(|e| ConfigError::new("config file", e.to_string()))?
            }
            None => FileConfig::default(),
        };
        let mut realtime = file.realtime;
        let file_addr = realtime.addr.take();

        let env = |name: &str| sources.env.get(name).filter(|v| !v.is_empty()).cloned();
        let addr_text = sources
            .realtime
            .addr
            .or_else(|| env("PAYBELL_REALTIME_ADDR"))
            .or(file_addr)
            .unwrap_or_else(|| DEFAULT_REALTIME_ADDR.to_owned());
        let realtime_addr = addr_text.parse().map_err(|_| {
            ConfigError::new(
                "realtime.addr (PAYBELL_REALTIME_ADDR, --addr)",
                format!("{addr_text:?} is not HOST:PORT"),
            )
        })?;

        if let Some(app) = env_app(&env)? {
            realtime.apps.retain(|a| a.id != app.id);
            realtime.apps.insert(0, app);
        }
        let uses_dev_app = realtime.apps.is_empty();
        if uses_dev_app {
            let (id, key, secret) = DEV_APP;
            realtime.apps.push(AppConfig::new(id, key, secret));
        }
        realtime.validate()?;
        Ok(Self { realtime_addr, realtime, uses_dev_app })
    }
}

/// The file's shape: every section is optional, unknown keys are errors.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    realtime: RealtimeConfig,
}

/// The default app from `PAYBELL_APP_ID`, `PAYBELL_APP_KEY`, `PAYBELL_APP_SECRET`: all or none.
fn env_app(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<AppConfig>, ConfigError> {
    let names = ["PAYBELL_APP_ID", "PAYBELL_APP_KEY", "PAYBELL_APP_SECRET"];
    let values: Vec<Option<String>> = names.iter().map(|n| env(n)).collect();
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let mut found = names.iter().zip(values).map(|(name, value)| {
        value.ok_or_else(|| {
            ConfigError::new(*name, "must be set when any of PAYBELL_APP_ID/KEY/SECRET is")
        })
    });
    let mut next =
        || found.next().unwrap_or_else(|| Err(ConfigError::new("PAYBELL_APP_ID", "missing")));
    let (id, key, secret) = (next()?, next()?, next()?);
    Ok(Some(AppConfig::new(id, key, secret)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(
        file: Option<&str>,
        env: &[(&str, &str)],
        addr: Option<&str>,
    ) -> Result<Config, ConfigError> {
        Config::load(Sources {
            file,
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            realtime: RealtimeArgs { addr: addr.map(str::to_owned) },
        })
    }

    #[test]
    fn defaults_give_the_dev_app() {
        let config = load(None, &[], None).unwrap();
        assert!(config.uses_dev_app);
        assert_eq!(config.realtime.apps[0].key, "app-key");
        assert_eq!(config.realtime_addr.to_string(), DEFAULT_REALTIME_ADDR);
    }

    #[test]
    fn flags_beat_env_beat_file() {
        let file = "[realtime]\naddr = \"127.0.0.1:7000\"\n";
        assert_eq!(load(Some(file), &[], None).unwrap().realtime_addr.port(), 7000);
        let env = [("PAYBELL_REALTIME_ADDR", "127.0.0.1:7001")];
        assert_eq!(load(Some(file), &env, None).unwrap().realtime_addr.port(), 7001);
        assert_eq!(
            load(Some(file), &env, Some("127.0.0.1:7002")).unwrap().realtime_addr.port(),
            7002
        );
    }

    #[test]
    fn env_app_replaces_the_file_app_with_its_id() {
        let file = "[[realtime.apps]]\nid = 1\nkey = \"file\"\nsecret = \"s\"\n[[realtime.apps]]\nid = 2\nkey = \"two\"\nsecret = \"s\"\n";
        let env =
            [("PAYBELL_APP_ID", "1"), ("PAYBELL_APP_KEY", "env"), ("PAYBELL_APP_SECRET", "x")];
        let config = load(Some(file), &env, None).unwrap();
        let keys: Vec<&str> = config.realtime.apps.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["env", "two"]);
        assert!(!config.uses_dev_app);
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = load(None, &[("PAYBELL_APP_ID", "1")], None).unwrap_err();
        assert_eq!(err.key, "PAYBELL_APP_KEY");
        let err = load(Some("[realtime]\naddr = \"nowhere\""), &[], None).unwrap_err();
        assert!(err.key.starts_with("realtime.addr"), "{err}");
        let err = load(Some("[realtime]\nactivity_timeout = \"soon\""), &[], None).unwrap_err();
        assert!(err.to_string().contains("activity_timeout"), "{err}");
        let err = load(Some("[realtim]\n"), &[], None).unwrap_err();
        assert!(err.to_string().contains("realtim"), "{err}");
        let err = load(Some("[realtime]\nmax_frame_bytes = 0"), &[], None).unwrap_err();
        assert_eq!(err.key, "realtime.max_frame_bytes");
    }
}
