//! One typed configuration, layered defaults → file → environment → flags, validated before
//! anything starts. A bad value fails start-up with a message naming its key.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use realtime::{AppConfig, ConfigError, RealtimeConfig};

use crate::cli::RealtimeArgs;

mod serve;

pub use serve::{
    DATABASE_FILE, DEFAULT_DATA_DIR, DEFAULT_HTTP_ADDR, HttpFlags, PublicWs, RemotePusher,
    ServeConfig, database_file,
};

/// Where the realtime server listens unless told otherwise.
pub const DEFAULT_REALTIME_ADDR: &str = "0.0.0.0:6001";

/// The development app used when no app is configured.
pub const DEV_APP: (&str, &str, &str) = ("app-id", "app-key", "app-secret");

/// Everything `paybell realtime` and `paybell serve` need.
#[derive(Debug, Clone)]
pub struct Config {
    /// The web side: HTTP address, data, public URL, channel mode, publishing target.
    pub serve: ServeConfig,
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
    /// The environment variables (`PAYBELL_*`, `PUSHER_*` and `DATABASE_URL` are read).
    pub env: HashMap<String, String>,
    /// Flags of `paybell realtime` (clap already folded in their environment variables);
    /// `paybell serve --realtime-addr` lands here too.
    pub realtime: RealtimeArgs,
    /// Flags of `paybell serve`, `user add` and `migrate`.
    pub http: HttpFlags,
}

impl Config {
    /// Warns that the realtime server runs with the well-known development credentials,
    /// with which anyone who reaches its port can sign API calls.
    pub fn warn_if_dev_app(&self) {
        if self.uses_dev_app {
            tracing::warn!(
                "no app configured: using the development app app-id/app-key/app-secret, whose \
                 secret is public; set PAYBELL_APP_ID, PAYBELL_APP_KEY and PAYBELL_APP_SECRET \
                 for anything reachable from other machines"
            );
        }
    }

    /// Reads `path` (if any) and the process environment, then layers the flags on top.
    ///
    /// # Errors
    /// When the file cannot be read, or any value is invalid (the message names the key).
    pub fn from_process(
        path: Option<&Path>,
        realtime: RealtimeArgs,
        http: HttpFlags,
    ) -> anyhow::Result<Self> {
        let text = path
            .map(|p| {
                std::fs::read_to_string(p)
                    .with_context(|| format!("reading config file {}", p.display()))
            })
            .transpose()?;
        let env = std::env::vars()
            .filter(|(k, _)| {
                k.starts_with("PAYBELL_")
                    || k.starts_with("PUSHER_")
                    || k == "DATABASE_URL"
                    || k == "REDIS_URL"
            })
            .collect();
        Ok(Self::load(Sources { file: text.as_deref(), env, realtime, http })?)
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

        let path = |flag: Option<PathBuf>, var: &str| flag.or_else(|| env(var).map(PathBuf::from));
        if let Some(cert) = path(sources.realtime.tls.tls_cert, "PAYBELL_TLS_CERT") {
            realtime.tls_cert = Some(cert);
        }
        if let Some(key) = path(sources.realtime.tls.tls_key, "PAYBELL_TLS_KEY") {
            realtime.tls_key = Some(key);
        }

        if let Some(url) = env("REDIS_URL") {
            realtime.redis_url = Some(url);
        }
        if let Some(prefix) = env("PAYBELL_REDIS_PREFIX") {
            realtime.redis_prefix = prefix;
        }
        if let Some(lease) = env("PAYBELL_REDIS_NODE_LEASE_SECS") {
            realtime.redis_node_lease_secs = lease.parse().map_err(|_| {
                ConfigError::new(
                    "realtime.redis_node_lease_secs (PAYBELL_REDIS_NODE_LEASE_SECS)",
                    format!("{lease:?} is not a whole number of seconds"),
                )
            })?;
        }

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
        let serve = serve::load(sources.http, file.http, file.pusher, &env)?;
        Ok(Self { serve, realtime_addr, realtime, uses_dev_app })
    }
}

/// The file's shape: every section is optional, unknown keys are errors.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default)]
    realtime: RealtimeConfig,
    #[serde(default)]
    http: serve::HttpFile,
    #[serde(default)]
    pusher: serve::PusherFile,
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
            realtime: RealtimeArgs { addr: addr.map(str::to_owned), ..RealtimeArgs::default() },
            http: HttpFlags::default(),
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
    fn tls_files_come_from_flags_env_or_file_and_must_be_paired() {
        let file = "[realtime]\ntls_cert = \"/file/cert.pem\"\ntls_key = \"/file/key.pem\"\n";
        let config = load(Some(file), &[("PAYBELL_TLS_KEY", "/env/key.pem")], None).unwrap();
        assert_eq!(config.realtime.tls_cert, Some(PathBuf::from("/file/cert.pem")));
        assert_eq!(config.realtime.tls_key, Some(PathBuf::from("/env/key.pem")));
        let err = load(None, &[("PAYBELL_TLS_CERT", "/env/cert.pem")], None).unwrap_err();
        assert_eq!(err.key, "realtime.tls_key");
    }

    #[test]
    fn the_public_websocket_url_overrides_what_browsers_are_told() {
        let file = "[http]\npublic_ws_url = \"wss://ws.example.com\"\n";
        let public = load(Some(file), &[], None).unwrap().serve.public_ws.unwrap();
        assert_eq!((public.host.as_str(), public.port, public.tls), ("ws.example.com", 443, true));
        let env = [("PAYBELL_PUBLIC_WS_URL", "ws://10.0.0.5:6001")];
        let public = load(Some(file), &env, None).unwrap().serve.public_ws.unwrap();
        assert_eq!((public.host.as_str(), public.port, public.tls), ("10.0.0.5", 6001, false));
        for bad in ["https://x", "ws://", "nonsense"] {
            let err = load(None, &[("PAYBELL_PUBLIC_WS_URL", bad)], None).unwrap_err();
            assert!(err.key.starts_with("http.public_ws_url"), "{bad}: {err}");
        }
    }

    #[test]
    fn redis_settings_come_from_env_or_file() {
        let file = "[realtime]\nredis_url = \"redis://file:6379\"\nredis_prefix = \"file\"\n";
        let config = load(Some(file), &[], None).unwrap();
        assert_eq!(config.realtime.redis_url.as_deref(), Some("redis://file:6379"));
        assert_eq!(config.realtime.redis_node_lease_secs, 10);
        let env = [
            ("REDIS_URL", "redis://env:6380/2"),
            ("PAYBELL_REDIS_PREFIX", "blue"),
            ("PAYBELL_REDIS_NODE_LEASE_SECS", "4"),
        ];
        let config = load(Some(file), &env, None).unwrap();
        assert_eq!(config.realtime.redis_url.as_deref(), Some("redis://env:6380/2"));
        assert_eq!(config.realtime.redis_prefix, "blue");
        assert_eq!(config.realtime.redis_node_lease_secs, 4);
        let err = load(None, &[("REDIS_URL", "http://x")], None).unwrap_err();
        assert_eq!(err.key, "realtime.redis_url");
        let err = load(None, &[("PAYBELL_REDIS_NODE_LEASE_SECS", "soon")], None).unwrap_err();
        assert!(err.key.starts_with("realtime.redis_node_lease_secs"), "{err}");
        let err = load(None, &[("PAYBELL_REDIS_PREFIX", "a b")], None).unwrap_err();
        assert_eq!(err.key, "realtime.redis_prefix");
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

    #[test]
    fn serve_defaults_and_layers() {
        let config = load(None, &[], None).unwrap().serve;
        assert_eq!(config.http_addr.to_string(), DEFAULT_HTTP_ADDR);
        assert_eq!(config.data_dir, std::path::PathBuf::from(DEFAULT_DATA_DIR));
        assert_eq!(config.database_url.expose(), "sqlite://./paybell-data/paybell.db");
        assert!(config.pusher.is_none() && !config.private_channels && config.public_url.is_none());

        let file = "[http]\naddr = \"127.0.0.1:9000\"\ndata_dir = \"/srv/pb\"\nprivate_channels = true\npublic_url = \"https://pay.example.com\"\n";
        let config = load(Some(file), &[], None).unwrap().serve;
        assert_eq!(config.http_addr.port(), 9000);
        assert_eq!(config.database_url.expose(), "sqlite:///srv/pb/paybell.db");
        assert!(config.private_channels);
        assert_eq!(config.public_url.unwrap().as_str(), "https://pay.example.com/");

        let env = [
            ("PAYBELL_HTTP_ADDR", "127.0.0.1:9001"),
            ("DATABASE_URL", "postgres://u:pw@db/paybell"),
            ("PAYBELL_PRIVATE_CHANNELS", "false"),
        ];
        let config = load(Some(file), &env, None).unwrap().serve;
        assert_eq!(config.http_addr.port(), 9001);
        assert_eq!(config.database_url.expose(), "postgres://u:pw@db/paybell");
        assert!(!format!("{:?}", config.database_url).contains("pw"));
        assert!(!config.private_channels);

        let flags = HttpFlags { http_addr: Some("127.0.0.1:9002".to_owned()), data_dir: None };
        let config = Config::load(Sources {
            file: Some(file),
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            realtime: RealtimeArgs::default(),
            http: flags,
        })
        .unwrap();
        assert_eq!(config.serve.http_addr.port(), 9002);
    }

    #[test]
    fn remote_pusher_from_env_or_file() {
        let env = [
            ("PUSHER_APP_ID", "123"),
            ("PUSHER_KEY", "k"),
            ("PUSHER_SECRET", "s"),
            ("PUSHER_HOST", "rt.example.com"),
            ("PUSHER_PORT", "7000"),
            ("PUSHER_USE_TLS", "true"),
        ];
        let remote = load(None, &env, None).unwrap().serve.pusher.unwrap();
        assert_eq!(remote.target.endpoint().api_base(), "https://rt.example.com:7000");
        assert_eq!(remote.target.app_id(), "123");
        let file = "[pusher]\napp_id = 5\nkey = \"k\"\nsecret = \"s\"\ncluster = \"eu\"\n";
        let remote = load(Some(file), &[], None).unwrap().serve.pusher.unwrap();
        assert_eq!(remote.target.endpoint().api_base(), "https://api-eu.pusher.com");
        assert_eq!(remote.cluster.as_deref(), Some("eu"));
        assert!(!format!("{remote:?}").contains("\"s\""));
    }

    #[test]
    fn bad_serve_values_name_their_key() {
        let key = |file: Option<&str>, env: &[(&str, &str)]| load(file, env, None).unwrap_err().key;
        assert!(key(None, &[("PAYBELL_HTTP_ADDR", "x")]).contains("PAYBELL_HTTP_ADDR"));
        assert!(key(None, &[("DATABASE_URL", "mysql://x")]).contains("DATABASE_URL"));
        assert!(key(None, &[("PAYBELL_PUBLIC_URL", "nope")]).contains("PAYBELL_PUBLIC_URL"));
        assert!(
            key(None, &[("PAYBELL_PRIVATE_CHANNELS", "2")]).contains("PAYBELL_PRIVATE_CHANNELS")
        );
        assert!(key(None, &[("PUSHER_HOST", "h")]).contains("PUSHER_APP_ID"));
        let partial = [("PUSHER_APP_ID", "1"), ("PUSHER_KEY", "k")];
        assert!(key(None, &partial).contains("PUSHER_SECRET"));
        let full = [("PUSHER_APP_ID", "1"), ("PUSHER_KEY", "k"), ("PUSHER_SECRET", "s")];
        let with = |extra: (&'static str, &'static str)| {
            let mut env = full.to_vec();
            env.push(extra);
            env
        };
        assert!(key(None, &with(("PUSHER_PORT", "x"))).contains("PUSHER_PORT"));
        assert!(key(None, &with(("PUSHER_PORT", "0"))).contains("PUSHER_PORT"));
        let both = [("PUSHER_CLUSTER", "eu"), ("PUSHER_HOST", "h")];
        let mut env = full.to_vec();
        env.extend(both);
        assert!(key(None, &env).contains("PUSHER_CLUSTER"));
        let err = load(Some("[http]\nadr = 1\n"), &[], None).unwrap_err();
        assert!(err.to_string().contains("adr"), "{err}");
    }
}
