//! The layering and the messages naming bad keys.

use std::path::PathBuf;
use std::time::Duration;

use super::*;

fn load(
    file: Option<&str>,
    env: &[(&str, &str)],
    addr: Option<&str>,
) -> Result<Config, ConfigError> {
    Config::load(Sources {
        file,
        env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        flags: Flags { realtime_addr: addr.map(str::to_owned), ..Flags::default() },
    })
}

#[test]
fn defaults_configure_no_app_and_no_dev_credentials() {
    let config = load(None, &[], None).unwrap();
    assert!(!config.has_app(), "the data directory's app is added at start");
    assert!(!config.dev_credentials());
    assert_eq!(config.realtime_addr().to_string(), DEFAULT_REALTIME_ADDR);
    for (env, flag) in [(Some("true"), false), (None, true)] {
        let env: Vec<_> = env.map(|v| ("PAYBELL_DEV_CREDENTIALS", v)).into_iter().collect();
        let config = Config::load(Sources {
            file: None,
            env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            flags: Flags { dev_credentials: flag, ..Flags::default() },
        })
        .unwrap();
        assert!(config.dev_credentials(), "{env:?} {flag}");
    }
}

#[test]
fn serve_turns_client_events_off_for_its_app_unless_the_file_says_otherwise() {
    let env = [("PAYBELL_APP_ID", "1"), ("PAYBELL_APP_KEY", "k"), ("PAYBELL_APP_SECRET", "s")];
    let config = load(None, &env, None).unwrap();
    assert!(config.realtime().apps[0].client_events, "paybell realtime keeps the default");
    assert!(!config.serve_realtime().apps[0].client_events);
    let file = "[[realtime.apps]]\nid = 1\nkey = \"k\"\nsecret = \"s\"\nclient_events = true\n\
                [[realtime.apps]]\nid = 2\nkey = \"two\"\nsecret = \"s\"\n";
    let config = load(Some(file), &[], None).unwrap();
    let apps = config.serve_realtime().apps;
    assert!(apps[0].client_events && apps[1].client_events, "explicit, and not serve's app");
    let config = load(Some(&file.replace("client_events = true\n", "")), &[], None).unwrap();
    assert!(!config.serve_realtime().apps[0].client_events);
    let config = load(Some(file), &env, None).unwrap();
    assert!(!config.serve_realtime().apps[0].client_events, "the environment's app replaced it");
}

#[test]
fn flags_beat_env_beat_file() {
    let file = "[realtime]\naddr = \"127.0.0.1:7000\"\n";
    assert_eq!(load(Some(file), &[], None).unwrap().realtime_addr().port(), 7000);
    let env = [("PAYBELL_REALTIME_ADDR", "127.0.0.1:7001")];
    assert_eq!(load(Some(file), &env, None).unwrap().realtime_addr().port(), 7001);
    assert_eq!(
        load(Some(file), &env, Some("127.0.0.1:7002")).unwrap().realtime_addr().port(),
        7002
    );
}

#[test]
fn env_app_replaces_the_file_app_with_its_id() {
    let file = "[[realtime.apps]]\nid = 1\nkey = \"file\"\nsecret = \"s\"\n[[realtime.apps]]\nid = 2\nkey = \"two\"\nsecret = \"s\"\n";
    let env = [("PAYBELL_APP_ID", "1"), ("PAYBELL_APP_KEY", "env"), ("PAYBELL_APP_SECRET", "x")];
    let config = load(Some(file), &env, None).unwrap();
    let keys: Vec<&str> = config.realtime().apps.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["env", "two"]);
    assert!(config.has_app());
}

#[test]
fn tls_files_come_from_flags_env_or_file_and_must_be_paired() {
    let file = "[realtime]\ntls_cert = \"/file/cert.pem\"\ntls_key = \"/file/key.pem\"\n";
    let config = load(Some(file), &[("PAYBELL_TLS_KEY", "/env/key.pem")], None).unwrap();
    let tls = config.realtime().tls.clone().unwrap();
    assert_eq!(tls.cert, PathBuf::from("/file/cert.pem"));
    assert_eq!(tls.key, PathBuf::from("/env/key.pem"));
    let err = load(None, &[("PAYBELL_TLS_CERT", "/env/cert.pem")], None).unwrap_err();
    assert_eq!(err.key, "realtime.tls_key");
}

#[test]
fn the_public_websocket_url_overrides_what_browsers_are_told() {
    let file = "[http]\npublic_ws_url = \"wss://ws.example.com\"\n";
    let public = load(Some(file), &[], None).unwrap().serve().public_ws().cloned().unwrap();
    assert_eq!((public.host.as_str(), public.port, public.tls), ("ws.example.com", 443, true));
    let env = [("PAYBELL_PUBLIC_WS_URL", "ws://10.0.0.5:6001")];
    let public = load(Some(file), &env, None).unwrap().serve().public_ws().cloned().unwrap();
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
    let redis = config.realtime().redis.clone().unwrap();
    assert_eq!(redis.url.as_str(), "redis://file:6379");
    assert_eq!(redis.node_lease, Duration::from_secs(10));
    let env = [
        ("REDIS_URL", "redis://env:6380/2"),
        ("PAYBELL_REDIS_PREFIX", "blue"),
        ("PAYBELL_REDIS_NODE_LEASE_SECS", "4"),
    ];
    let config = load(Some(file), &env, None).unwrap();
    let redis = config.realtime().redis.clone().unwrap();
    assert_eq!(redis.url.as_str(), "redis://env:6380/2");
    assert_eq!(redis.prefix, "blue");
    assert_eq!(redis.node_lease, Duration::from_secs(4));
    let err = load(None, &[("REDIS_URL", "http://x")], None).unwrap_err();
    assert_eq!(err.key, "realtime.redis_url");
    let err = load(None, &[("PAYBELL_REDIS_NODE_LEASE_SECS", "soon")], None).unwrap_err();
    assert!(err.key.starts_with("realtime.redis_node_lease_secs"), "{err}");
    let err = load(None, &[("PAYBELL_REDIS_PREFIX", "a b")], None).unwrap_err();
    assert_eq!(err.key, "realtime.redis_prefix");
}

#[test]
fn the_metrics_token_comes_from_env_or_file_and_is_long_enough() {
    assert!(load(None, &[], None).unwrap().realtime().metrics_token.is_none());
    let file = "[realtime]\nmetrics_token = \"file-token-0123456789\"\n";
    let config = load(Some(file), &[], None).unwrap();
    let token = config.realtime().metrics_token.clone().unwrap();
    assert_eq!(token.expose(), "file-token-0123456789");
    let env = [("PAYBELL_METRICS_TOKEN", "env-token-0123456789")];
    let config = load(Some(file), &env, None).unwrap();
    assert_eq!(config.realtime().metrics_token.clone().unwrap().expose(), "env-token-0123456789");
    for bad in ["short", "has a space in it, long enough"] {
        let err = load(None, &[("PAYBELL_METRICS_TOKEN", bad)], None).unwrap_err();
        assert_eq!(err.key, "realtime.metrics_token");
    }
}

#[test]
fn the_console_is_on_unless_switched_off_globally_or_per_app() {
    let config = load(None, &[], None).unwrap();
    assert!(config.realtime().console);
    let file = "[realtime]\nconsole = false\n[[realtime.apps]]\nid = 1\nkey = \"k\"\nsecret = \"s\"\n\
                [[realtime.apps]]\nid = 2\nkey = \"k2\"\nsecret = \"s\"\nconsole = false\n";
    let config = load(Some(file), &[], None).unwrap();
    assert!(!config.realtime().console);
    let apps = &config.realtime().apps;
    assert!(apps[0].console && !apps[1].console, "per app");
    assert!(load(Some(file), &[("PAYBELL_CONSOLE", "true")], None).unwrap().realtime().console);
    let err = load(None, &[("PAYBELL_CONSOLE", "maybe")], None).unwrap_err();
    assert!(err.key.starts_with("realtime.console"), "{err}");
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
    let err = load(Some("[http]\nheader_read_timeout = 0"), &[], None).unwrap_err();
    assert_eq!(err.key, "http.header_read_timeout");
    let err = load(None, &[("PAYBELL_REALTIME_KEEP_ALIVE_TIMEOUT_SECS", "soon")], None);
    assert!(err.unwrap_err().key.contains("realtime.keep_alive_timeout"));
}

#[test]
fn timeouts_of_both_ports_come_from_file_or_env() {
    let config = load(None, &[], None).unwrap();
    assert_eq!(config.realtime().timeouts, http_serve::Timeouts::default());
    assert_eq!(config.serve().timeouts().header_read, Duration::from_secs(10));
    assert_eq!(config.serve().timeouts().keep_alive, Duration::from_secs(60));

    let file = "[realtime]\nheader_read_timeout = 3\n[http]\nkeep_alive_timeout = 7\n";
    let env = [
        ("PAYBELL_REALTIME_KEEP_ALIVE_TIMEOUT_SECS", "20"),
        ("PAYBELL_HTTP_HEADER_READ_TIMEOUT_SECS", "4"),
    ];
    let config = load(Some(file), &env, None).unwrap();
    let realtime = config.realtime().timeouts;
    assert_eq!((realtime.header_read, realtime.keep_alive), (secs(3), secs(20)));
    let http = config.serve().timeouts();
    assert_eq!((http.header_read, http.keep_alive), (secs(4), secs(7)));
}

#[test]
fn trusted_proxies_and_outbox_retention_come_from_file_or_env() {
    let config = load(None, &[], None).unwrap();
    assert_eq!(*config.serve().trusted_proxies(), invoicing::net::TrustedProxies::none());
    assert_eq!(config.serve().outbox_retention(), secs(30 * 24 * 3600));

    let file = "[http]\ntrusted_proxies = \"10.0.0.0/8, 127.0.0.1\"\noutbox_retention_days = 7\n";
    let config = load(Some(file), &[], None).unwrap();
    let proxies = config.serve().trusted_proxies();
    assert!(proxies.contains("10.1.2.3".parse().unwrap()));
    assert!(!proxies.contains("192.168.0.1".parse().unwrap()));
    assert_eq!(config.serve().outbox_retention(), secs(7 * 24 * 3600));
    let settings = config.serve().settings(test_access());
    assert_eq!(settings.retention.published_events, secs(7 * 24 * 3600));
    assert!(settings.trusted_proxies.contains("127.0.0.1".parse().unwrap()));

    let env = [("PAYBELL_TRUSTED_PROXIES", "fd00::/8"), ("PAYBELL_OUTBOX_RETENTION_DAYS", "90")];
    let config = load(Some(file), &env, None).unwrap();
    assert!(!config.serve().trusted_proxies().contains("10.1.2.3".parse().unwrap()));
    assert_eq!(config.serve().outbox_retention(), secs(90 * 24 * 3600));

    let err = load(None, &[("PAYBELL_TRUSTED_PROXIES", "10.0.0.0/8,proxy")], None).unwrap_err();
    assert!(err.key.starts_with("http.trusted_proxies"), "{err}");
    assert!(err.to_string().contains("\"proxy\""), "{err}");
    for bad in ["0", "soon", "100000"] {
        let err = load(None, &[("PAYBELL_OUTBOX_RETENTION_DAYS", bad)], None).unwrap_err();
        assert!(err.key.starts_with("http.outbox_retention_days"), "{bad}: {err}");
    }
}

/// Any realtime access: these tests look at other settings.
fn test_access() -> invoicing::RealtimeAccess {
    let signer =
        pusher_client::Target::new("app-id", "app-key", pusher_client::Secret::new("s")).unwrap();
    let browser = invoicing::BrowserEndpoint {
        cluster: "mt1".to_owned(),
        ws_host: invoicing::WsHost::FromRequest,
        ws_port: 6001,
        force_tls: false,
    };
    invoicing::RealtimeAccess { signer: signer.into(), browser }
}

fn secs(secs: u64) -> Duration {
    Duration::from_secs(secs)
}

#[test]
fn serve_defaults_and_layers() {
    let config = load(None, &[], None).unwrap().serve().clone();
    assert_eq!(config.http_addr().to_string(), DEFAULT_HTTP_ADDR);
    assert_eq!(config.data_dir(), std::path::PathBuf::from(DEFAULT_DATA_DIR));
    assert_eq!(config.database_url().expose(), "sqlite://./paybell-data/paybell.db");
    assert!(
        config.pusher().is_none() && config.private_channels() && config.public_url().is_none()
    );

    let file = "[http]\naddr = \"127.0.0.1:9000\"\ndata_dir = \"/srv/pb\"\nprivate_channels = false\npublic_url = \"https://pay.example.com\"\n";
    let config = load(Some(file), &[], None).unwrap().serve().clone();
    assert_eq!(config.http_addr().port(), 9000);
    assert_eq!(config.database_url().expose(), "sqlite:///srv/pb/paybell.db");
    assert!(!config.private_channels());
    assert_eq!(config.public_url().unwrap().as_str(), "https://pay.example.com/");

    let env = [
        ("PAYBELL_HTTP_ADDR", "127.0.0.1:9001"),
        ("DATABASE_URL", "postgres://u:pw@db/paybell"),
        ("PAYBELL_PRIVATE_CHANNELS", "true"),
    ];
    let config = load(Some(file), &env, None).unwrap().serve().clone();
    assert_eq!(config.http_addr().port(), 9001);
    assert_eq!(config.database_url().expose(), "postgres://u:pw@db/paybell");
    assert!(!format!("{:?}", config.database_url()).contains("pw"));
    assert!(config.private_channels());

    let flags = Flags { http_addr: Some("127.0.0.1:9002".to_owned()), ..Flags::default() };
    let config = Config::load(Sources {
        file: Some(file),
        env: env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        flags,
    })
    .unwrap();
    assert_eq!(config.serve().http_addr().port(), 9002);
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
    let remote = load(None, &env, None).unwrap().serve().pusher().cloned().unwrap();
    assert_eq!(remote.target.endpoint().api_base(), "https://rt.example.com:7000");
    assert_eq!(remote.target.app_id(), "123");
    let file = "[pusher]\napp_id = 5\nkey = \"k\"\nsecret = \"s\"\ncluster = \"eu\"\n";
    let remote = load(Some(file), &[], None).unwrap().serve().pusher().cloned().unwrap();
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
    assert!(key(None, &[("PAYBELL_PRIVATE_CHANNELS", "2")]).contains("PAYBELL_PRIVATE_CHANNELS"));
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

#[test]
fn parses_apps_with_defaults_and_numeric_ids() {
    let file = r#"
        [realtime]
        max_frame_bytes = 1000
        [[realtime.apps]]
        id = 12345
        key = "k"
        secret = "s"
        subscription_count = true
        max_channels_per_connection = 20
        max_subscriptions_per_second = 5
    "#;
    let config = load(Some(file), &[], None).unwrap();
    let app = &config.realtime().apps[0];
    assert_eq!(app.id, "12345");
    assert_eq!((app.max_channels_per_connection, app.max_subscriptions_per_second), (20, 5));
    assert!(app.client_events);
    assert!(app.subscription_count);
    assert_eq!(app.max_presence_members, 100);
    assert_eq!(app.user_authentication_timeout, Duration::from_secs(30));
    assert_eq!(config.realtime().max_frame_bytes, 1000);
    assert_eq!(format!("{:?}", app.secret), "Secret(***)");
}

#[test]
fn unknown_app_keys_and_bad_app_values_name_the_key() {
    let err =
        load(Some("[[realtime.apps]]\nid='a'\nkey='k'\nsecret='s'\nclient_evnts=true"), &[], None)
            .unwrap_err();
    assert!(err.to_string().contains("client_evnts"), "{err}");

    let key = |second: &str| {
        let file = format!(
            "[[realtime.apps]]\nid='a'\nkey='k'\nsecret='s'\n[[realtime.apps]]\nsecret='s'\n{second}"
        );
        load(Some(&file), &[], None).unwrap_err().key
    };
    assert_eq!(key("id='b'\nkey='k'"), "realtime.apps[1].key");
    assert_eq!(key("id='a'\nkey='k2'"), "realtime.apps[1].id");
    assert_eq!(key("id='b'\nkey='k2'\nmax_event_bytes=0"), "realtime.apps[1].max_event_bytes");
    assert_eq!(key("id='bad id'\nkey='k2'"), "realtime.apps[1].id");
    assert_eq!(key("id='b'\nkey=''"), "realtime.apps[1].key");
    assert_eq!(
        key("id='b'\nkey='k2'\nmax_channels_per_connection=0"),
        "realtime.apps[1].max_channels_per_connection"
    );
    assert_eq!(
        key("id='b'\nkey='k2'\nmax_subscriptions_per_second=0"),
        "realtime.apps[1].max_subscriptions_per_second"
    );
    let hook = "id='b'\nkey='k2'\n[[realtime.apps.webhooks]]\n";
    assert_eq!(key(&format!("{hook}url='ftp://x'")), "realtime.apps[1].webhooks[0].url");
    assert_eq!(
        key(&format!(
            "{hook}url='http://127.0.0.1:1/hook'\nheaders = {{ X-Pusher-Signature = 'forged' }}"
        )),
        "realtime.apps[1].webhooks[0].headers.X-Pusher-Signature"
    );
}

#[test]
fn webhooks_take_their_filters_and_batching_from_the_file() {
    let file = r#"
        [[realtime.apps]]
        id = "a"
        key = "k"
        secret = "s"
        [[realtime.apps.webhooks]]
        url = "https://example.com/hook"
        event_types = ["channel_occupied"]
        channel_prefix = "invoice."
        channel_suffix = ".live"
        batch_ms = 250
    "#;
    let config = load(Some(file), &[], None).unwrap();
    let hook = &config.realtime().apps[0].webhooks[0];
    assert_eq!(hook.batch, Duration::from_millis(250));
    assert!(hook.wants(realtime::WebhookKind::ChannelOccupied, "invoice.1.live"));
    assert!(!hook.wants(realtime::WebhookKind::ChannelVacated, "invoice.1.live"));
    assert!(!hook.wants(realtime::WebhookKind::ChannelOccupied, "user.1.live"));
}

#[test]
fn the_environment_table_names_file_keys_and_each_variable_once() {
    for key in env::KEYS {
        let (section, field) = key.path.split_once('.').unwrap();
        let sections = ["realtime", "http", "pusher", "mail", "payments", "stripe", "push"];
        assert!(sections.contains(&section), "{}", key.path);
        assert!(!field.is_empty() && key.name.chars().all(|c| c.is_ascii_uppercase() || c == '_'));
    }
    let names: std::collections::HashSet<_> = env::KEYS.iter().map(|k| k.name).collect();
    assert_eq!(names.len(), env::KEYS.len(), "a variable is listed twice");
}

#[test]
fn a_bad_app_id_or_key_says_which_characters_are_allowed() {
    let err = |app: &str| {
        load(Some(&format!("[[realtime.apps]]\nsecret='s'\n{app}")), &[], None).unwrap_err()
    };
    let problem = "must be non-empty letters, digits, '-', '_' or '.'";
    assert_eq!(err("id='a b'\nkey='k'"), ConfigError::new("realtime.apps[0].id", problem));
    assert_eq!(err("id='a'\nkey='k/1'"), ConfigError::new("realtime.apps[0].key", problem));
    let duplicate = err("id='a'\nkey='k'\n[[realtime.apps]]\nid='a'\nkey='k2'\nsecret='s'");
    assert_eq!(duplicate, ConfigError::new("realtime.apps[1].id", "duplicate app id \"a\""));
}

#[test]
fn mail_comes_from_env_or_file_and_bad_values_name_their_key() {
    let config = load(None, &[], None).unwrap();
    assert!(config.serve().mail().smtp().is_none(), "no SMTP: the local mailbox");
    let settings = config.serve().mail().settings(std::path::Path::new("/data"));
    assert_eq!(settings.mailbox_dir, Some(PathBuf::from("/data/mail")));
    assert_eq!(settings.from.to_string(), "Paybell <paybell@localhost>");

    let file = "[mail]\nsmtp_url = \"smtps://u:p@mail.example.com\"\nfrom = \"Demo Bakery <billing@example.com>\"\n";
    let config = load(Some(file), &[], None).unwrap();
    let smtp = config.serve().mail().smtp().unwrap();
    assert_eq!((smtp.host(), smtp.port()), ("mail.example.com", 465));
    let env = [("PAYBELL_SMTP_URL", "smtp://127.0.0.1:2525?tls=none")];
    let config = load(Some(file), &env, None).unwrap();
    assert_eq!(config.serve().mail().smtp().unwrap().port(), 2525);
    let settings = config.serve().mail().settings(std::path::Path::new("/data"));
    assert_eq!(settings.from.to_string(), "Demo Bakery <billing@example.com>");

    for (env, key) in [
        (("PAYBELL_SMTP_URL", "mail.example.com:587"), "mail.smtp_url (PAYBELL_SMTP_URL)"),
        (("PAYBELL_SMTP_URL", "smtp://host?tls=maybe"), "mail.smtp_url (PAYBELL_SMTP_URL)"),
        (("PAYBELL_MAIL_FROM", "Demo Bakery"), "mail.from (PAYBELL_MAIL_FROM)"),
    ] {
        let error = load(None, &[env], None).unwrap_err();
        assert_eq!(error.key, key, "{error}");
    }
    let error = load(Some("[mail]\nsmtp = \"x\"\n"), &[], None).unwrap_err();
    assert!(error.problem.contains("unknown field"), "{error}");
}

#[test]
fn the_payment_provider_comes_from_the_file_or_the_environment() {
    assert_eq!(load(None, &[], None).unwrap().serve().provider().name(), "test");
    let file = "[payments]\nprovider = 'stripe'\n[stripe]\nsecret_key = 'sk_test_1'\n\
                publishable_key = 'pk_test_1'\nwebhook_secret = 'whsec_1'\n";
    let config = load(Some(file), &[], None).unwrap();
    assert_eq!(config.serve().provider().name(), "stripe");
    let settings = config.serve().settings(test_access());
    assert_eq!(settings.provider.name(), "stripe");
    let env = [("STRIPE_PUBLISHABLE_KEY", "pk_live_2")];
    let config = load(Some(file), &env, None).unwrap();
    let stripe = config.serve().provider().stripe().cloned().unwrap();
    assert_eq!(stripe.publishable_key(), "pk_live_2");
    let err = load(None, &[("STRIPE_SECRET_KEY", "sk_test_1")], None).unwrap_err();
    assert!(err.to_string().contains("stripe.secret_key (STRIPE_SECRET_KEY)"), "{err}");
}
