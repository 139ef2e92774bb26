//! soketi's variables: taken only where Paybell said nothing, every one reported, and the
//! mapping table of docs/from-soketi.md lists exactly the ones read.

use std::collections::HashMap;

use super::soketi::{ALIASES, IGNORED};
use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

fn load(
    file: Option<&str>,
    env: &[(&str, &str)],
    soketi: &[(&str, &str)],
) -> Result<(Config, SoketiReport), ConfigError> {
    Config::load_with_soketi(
        Sources { file, env: vars(env), flags: Flags::default() },
        &vars(soketi),
    )
}

const APP: [(&str, &str); 3] = [
    ("SOKETI_DEFAULT_APP_ID", "sid"),
    ("SOKETI_DEFAULT_APP_KEY", "skey"),
    ("SOKETI_DEFAULT_APP_SECRET", "ssecret"),
];

#[test]
fn the_default_app_and_its_limits_are_taken() {
    let mut soketi = APP.to_vec();
    soketi.extend([
        ("SOKETI_PORT", "6123"),
        ("SOKETI_DEFAULT_APP_ENABLE_CLIENT_MESSAGES", "true"),
        ("SOKETI_DEFAULT_APP_MAX_CONNS", "7"),
        ("SOKETI_EVENT_MAX_SIZE_IN_KB", "20"),
        ("SOKETI_PRESENCE_MAX_MEMBERS", "50"),
        (
            "SOKETI_DEFAULT_APP_WEBHOOKS",
            r#"[{"url":"http://127.0.0.1:9/hook","event_types":["channel_occupied"],"filter":{"channel_name_starts_with":"private-"}}]"#,
        ),
    ]);
    let (config, report) = load(None, &[], &soketi).unwrap();
    assert_eq!(config.realtime_addr().port(), 6123);
    let app = &config.realtime().apps[0];
    assert_eq!((app.id.as_str(), app.key.as_str()), ("sid", "skey"));
    assert_eq!(app.secret.expose(), "ssecret");
    assert!(app.client_events);
    assert_eq!(app.max_connections, Some(7));
    assert_eq!(app.max_event_bytes, 20 * 1024);
    assert_eq!(app.max_presence_members, 50);
    assert_eq!(app.webhooks[0].channel_prefix.as_deref(), Some("private-"));
    assert_eq!(report.used.len(), soketi.len());
    assert!(report.ignored.is_empty());
}

#[test]
fn paybell_own_values_win_and_the_soketi_ones_are_reported_ignored() {
    let mut soketi = APP.to_vec();
    soketi.push(("SOKETI_PORT", "6123"));
    soketi.push(("SOKETI_DEFAULT_APP_MAX_CONNS", "7"));
    let env = [
        ("PAYBELL_REALTIME_ADDR", "127.0.0.1:7000"),
        ("PAYBELL_APP_ID", "pid"),
        ("PAYBELL_APP_KEY", "pkey"),
        ("PAYBELL_APP_SECRET", "psecret"),
    ];
    let (config, report) = load(None, &env, &soketi).unwrap();
    assert_eq!(config.realtime_addr().port(), 7000);
    assert_eq!(config.realtime().apps.len(), 1);
    assert_eq!(config.realtime().apps[0].id.as_str(), "pid");
    assert_eq!(config.realtime().apps[0].max_connections, None);
    assert!(report.used.is_empty());
    assert_eq!(report.ignored.len(), soketi.len());
    assert!(report.ignored.iter().all(|(_, why)| why.contains("wins")), "{report}");
}

#[test]
fn unknown_and_twinless_variables_are_listed_ignored() {
    let (_, report) =
        load(None, &[], &[("SOKETI_DEBUG", "1"), ("SOKETI_NOT_A_THING", "x")]).unwrap();
    let text = report.to_string();
    assert!(text.contains("ignoring SOKETI_DEBUG: no Paybell twin"), "{text}");
    assert!(text.contains("ignoring SOKETI_NOT_A_THING: not a soketi setting"), "{text}");
}

#[test]
fn bad_values_and_half_an_app_name_the_variable() {
    let error = load(None, &[], &[("SOKETI_PORT", "http")]).unwrap_err();
    assert!(error.to_string().contains("SOKETI_PORT"), "{error}");
    let error = load(None, &[], &[("SOKETI_DEFAULT_APP_ID", "x")]).unwrap_err();
    assert!(error.to_string().contains("SOKETI_DEFAULT_APP_KEY"), "{error}");
    let mut soketi = APP.to_vec();
    soketi.push(("SOKETI_DEFAULT_APP_WEBHOOKS", "[{\"lambda_function\":\"f\"}]"));
    let error = load(None, &[], &soketi).unwrap_err();
    assert!(error.to_string().contains("SOKETI_DEFAULT_APP_WEBHOOKS"), "{error}");
}

#[test]
fn the_masked_configuration_holds_no_secret() {
    let env = [
        ("PAYBELL_APP_ID", "pid"),
        ("PAYBELL_APP_KEY", "pkey"),
        ("PAYBELL_APP_SECRET", "app-secret-value"),
        ("PAYBELL_METRICS_TOKEN", "metrics-token-value-1234"),
        ("REDIS_URL", "redis://user:redis-password-value@127.0.0.1:6379"),
        ("DATABASE_URL", "postgres://u:db-password-value@127.0.0.1/paybell"),
    ];
    let (config, _) = load(None, &env, &[]).unwrap();
    let text = config.masked();
    for secret in
        ["app-secret-value", "metrics-token-value", "redis-password-value", "db-password-value"]
    {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("id = pid"), "{text}");
}

const GUIDE: &str = include_str!("../../../../docs/from-soketi.md");

/// The first column of the rows of the table whose header has a `soketi variable` column.
fn documented(column: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in GUIDE.lines() {
        if !line.starts_with('|') {
            inside = false;
            continue;
        }
        let first = line.split('|').nth(1).unwrap_or("").trim();
        if first == column {
            inside = true;
        } else if inside && !first.starts_with('-') {
            names.extend(first.split('`').skip(1).step_by(2).map(str::to_owned));
        }
    }
    names
}

#[test]
fn the_guide_lists_exactly_the_variables_read_and_ignored() {
    let mut read: Vec<String> = ALIASES.iter().map(|a| a.name.to_owned()).collect();
    let mut doc = documented("soketi variable");
    read.sort();
    doc.sort();
    assert_eq!(doc, read, "docs/from-soketi.md mapping table");
    let mut ignored: Vec<String> = IGNORED.iter().map(|(n, _)| (*n).to_owned()).collect();
    let mut doc = documented("ignored soketi variable");
    ignored.sort();
    doc.sort();
    assert_eq!(doc, ignored, "docs/from-soketi.md ignored table");
    for alias in ALIASES {
        assert!(GUIDE.contains(alias.paybell), "{} not in the guide", alias.paybell);
    }
}
