//! `paybell app …`: add, list, show, rotate, disable, enable and change the realtime apps of
//! the apps store. Apps of the config file or `PAYBELL_APP_*` are shown, never changed.
//! After each write, servers on Redis are told at once; others see it within
//! [`watch::POLL`].

use std::path::Path;

use anyhow::{Context as _, bail};
use pusher_protocol::{AppId, AppKey, Secret};
use realtime::AppConfig;
use serde_json::Value;

use crate::app_file;
use crate::app_store::{AppRecord, AppStore, AppStoreError, watch};
use crate::cli::{AppAddArgs, AppCommand, AppRotateArgs, AppSetArgs, AppShowArgs};
use crate::config::{Config, Flags};

/// Runs one `paybell app` command.
///
/// # Errors
/// Bad input (an unknown or duplicate id, bad characters, a read-only app, a setting that
/// does not check out) or a store that cannot be used.
pub async fn run(config_path: Option<&Path>, command: AppCommand) -> anyhow::Result<()> {
    let load = |data: &crate::cli::DataArgs| -> anyhow::Result<Config> {
        Config::from_process(
            config_path,
            Flags { data_dir: data.data_dir.clone(), ..Flags::default() },
        )
    };
    match command {
        AppCommand::Add(args) => add(&load(&args.data)?, args).await,
        AppCommand::List(data) => list(&load(&data)?).await,
        AppCommand::Show(args) => show(&load(&args.data)?, args).await,
        AppCommand::RotateSecret(args) => rotate(&load(&args.data)?, args).await,
        AppCommand::Disable(args) => switch(&load(&args.data)?, &args.id, false).await,
        AppCommand::Enable(args) => switch(&load(&args.data)?, &args.id, true).await,
        AppCommand::Set(args) => set(&load(&args.data)?, args).await,
    }
}

async fn open(config: &Config) -> anyhow::Result<AppStore> {
    AppStore::open(config.serve().database_url().expose()).await.context("the apps store")
}

/// The store when it exists; reading never creates a SQLite file.
async fn open_existing(config: &Config) -> anyhow::Result<Option<AppStore>> {
    let url = config.serve().database_url().expose();
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        let file = path.split('?').next().unwrap_or(path);
        if !Path::new(file).exists() {
            return Ok(None);
        }
    }
    open(config).await.map(Some)
}

/// Refuses to touch an app of the configuration.
fn writable(config: &Config, id: &str) -> anyhow::Result<()> {
    if config.realtime().apps.iter().any(|app| app.id.as_str() == id) {
        bail!(
            "app {id} comes from the configuration (config file or PAYBELL_APP_*) and is \
             read-only here; change it there, or add an app to the store with `paybell app add`"
        );
    }
    Ok(())
}

async fn stored(store: &AppStore, config: &Config, id: &str) -> anyhow::Result<AppRecord> {
    writable(config, id)?;
    store.get(id).await?.with_context(|| {
        format!("no app with id {id:?} in the apps store (`paybell app list` shows them)")
    })
}

/// Writes `record`, checked first like a config-file app (the caller then tells running
/// servers with [`announce`]).
async fn save(store: &AppStore, record: &AppRecord) -> anyhow::Result<()> {
    record.to_config()?;
    if !store.update(record).await? {
        bail!("app {} was removed meanwhile", record.id);
    }
    Ok(())
}

async fn announce(config: &Config) {
    match &config.realtime().redis {
        Some(redis) => match watch::announce(redis).await {
            Ok(()) => println!("running servers were told through Redis"),
            Err(error) => eprintln!(
                "paybell: warning: saved, but Redis could not be told ({error}); running \
                 servers see the change within {} s (their slower check of the store)",
                watch::SAFETY_POLL.as_secs()
            ),
        },
        None => println!("running servers pick this up within {} s", watch::POLL.as_secs()),
    }
}

async fn add(config: &Config, args: AppAddArgs) -> anyhow::Result<()> {
    let generated = app_file::generate()?;
    let id = match args.id {
        Some(id) => AppId::parse(id)
            .map_err(|e| anyhow::anyhow!("--id: {e}: use letters, digits, '-', '_' or '.'"))?,
        None => generated.id,
    };
    let key = match args.key {
        Some(key) => AppKey::parse(key)
            .map_err(|e| anyhow::anyhow!("--key: {e}: use letters, digits, '-', '_' or '.'"))?,
        None => generated.key,
    };
    let configured = config.realtime().apps.iter();
    if let Some(app) = configured.clone().find(|a| a.id == id || a.key == key) {
        let what = if app.id == id { "id" } else { "key" };
        bail!("a configured app (config file or PAYBELL_APP_*) already has this {what}");
    }
    let name = args.name.unwrap_or_else(|| id.to_string());
    let record = AppRecord::new(id, key, name, generated.secret);
    let store = open(config).await?;
    match store.insert(&record).await {
        Ok(()) => {}
        Err(AppStoreError::Duplicate(what)) => {
            bail!("an app with this {what} already exists in the apps store")
        }
        Err(error) => return Err(error.into()),
    }
    print!("{}", credentials(&record.id, &record.key, &record.secret));
    announce(config).await;
    Ok(())
}

fn credentials(id: &AppId, key: &AppKey, secret: &Secret) -> String {
    format!("app id:     {id}\napp key:    {key}\napp secret: {}\n", secret.expose())
}

async fn list(config: &Config) -> anyhow::Result<()> {
    println!("{:<24} {:<24} {:<9} {:<10} NAME", "ID", "KEY", "STATE", "SOURCE");
    let row = |app: &AppConfig, source: &str, name: &str| {
        let state = if app.enabled { "enabled" } else { "disabled" };
        let (id, key) = (app.id.as_str(), app.key.as_str());
        println!("{id:<24} {key:<24} {state:<9} {source:<10} {name}");
    };
    for app in &config.realtime().apps {
        row(app, "config", "(read-only: config file or PAYBELL_APP_*)");
    }
    let Some(store) = open_existing(config).await? else { return Ok(()) };
    for record in store.list().await? {
        match record.to_config() {
            Ok(app) => row(&app, "store", &record.name),
            Err(error) => {
                let (id, key) = (record.id.as_str(), record.key.as_str());
                println!("{id:<24} {key:<24} invalid   store      {error}");
            }
        }
    }
    Ok(())
}

async fn show(config: &Config, args: AppShowArgs) -> anyhow::Result<()> {
    let data_dir = config.serve().data_dir();
    let store = open_existing(config).await?;
    let (app, from) = match (&args.id, config.realtime().apps.first()) {
        (Some(id), _) if config.realtime().apps.iter().any(|a| a.id.as_str() == id) => {
            let app = config.realtime().apps.iter().find(|a| a.id.as_str() == id);
            (app.cloned().context("configured app")?, configured())
        }
        (Some(id), _) => {
            let record = match &store {
                Some(store) => store.get(id).await?,
                None => None,
            };
            let record = record.with_context(|| {
                format!("no app with id {id:?} (`paybell app list` shows them)")
            })?;
            (record.to_config()?, format!("the apps store (name {:?})", record.name))
        }
        (None, Some(app)) => (app.clone(), configured()),
        (None, None) => match first_stored(store.as_ref()).await? {
            Some(record) => {
                (record.to_config()?, format!("the apps store (name {:?})", record.name))
            }
            None => {
                let stored = app_file::load(data_dir)?.with_context(|| {
                    format!(
                        "no app is configured and {} does not exist yet: `paybell serve` or \
                         `paybell realtime` creates it on its first start with this data \
                         directory, or add one with `paybell app add`",
                        app_file::path(data_dir).display()
                    )
                })?;
                let app = AppConfig::new(stored.id, stored.key, stored.secret.expose());
                (app, app_file::path(data_dir).display().to_string())
            }
        },
    };
    print!("{}", crate::app::render_show(config, &app, &from));
    if !app.enabled {
        println!("# disabled: `paybell app enable {}`", app.id);
    }
    if let Some(previous) = &app.previous_secret {
        let left = previous.until.duration_since(std::time::SystemTime::now()).ok();
        if let Some(left) = left {
            println!("# the previous secret is still accepted for {} s", left.as_secs());
        }
    }
    Ok(())
}

fn configured() -> String {
    "the configuration (file or PAYBELL_APP_*)".to_owned()
}

async fn first_stored(store: Option<&AppStore>) -> anyhow::Result<Option<AppRecord>> {
    match store {
        Some(store) => Ok(store.list().await?.into_iter().next()),
        None => Ok(None),
    }
}

async fn rotate(config: &Config, args: AppRotateArgs) -> anyhow::Result<()> {
    let store = open(config).await?;
    let mut record = stored(&store, config, &args.id).await?;
    let secret = app_file::generate()?.secret;
    record.rotate(secret, args.grace_period);
    save(&store, &record).await?;
    print!("{}", credentials(&record.id, &record.key, &record.secret));
    println!(
        "the previous secret is accepted for {} s more; webhooks are signed with the new one",
        args.grace_period.as_secs()
    );
    announce(config).await;
    Ok(())
}

async fn switch(config: &Config, id: &str, enabled: bool) -> anyhow::Result<()> {
    let store = open(config).await?;
    let mut record = stored(&store, config, id).await?;
    record.enabled = enabled;
    save(&store, &record).await?;
    println!("app {id} {}", if enabled { "enabled" } else { "disabled" });
    announce(config).await;
    Ok(())
}

async fn set(config: &Config, args: AppSetArgs) -> anyhow::Result<()> {
    let store = open(config).await?;
    let mut record = stored(&store, config, &args.id).await?;
    if let Some(name) = args.name {
        record.name = name;
    }
    let settings = &mut record.settings;
    let mut put = |key: &str, value: Value| settings.set(key, value).map_err(anyhow::Error::msg);
    if let Some(max) = args.max_connections {
        put("max_connections", max.into())?;
    }
    if !args.webhook.is_empty() {
        let hooks: Vec<Value> =
            args.webhook.iter().map(|url| serde_json::json!({ "url": url })).collect();
        put("webhooks", hooks.into())?;
    }
    if args.no_webhooks {
        put("webhooks", Value::Array(Vec::new()))?;
    }
    if let Some(on) = args.client_events {
        put("client_events", on.into())?;
    }
    if let Some(rate) = args.max_api_requests_per_second {
        put("max_api_requests_per_second", rate.into())?;
    }
    if !args.allowed_origin.is_empty() {
        put("allowed_origins", args.allowed_origin.clone().into())?;
    }
    for pair in &args.setting {
        let (key, value) = setting(pair)?;
        put(&key, value)?;
    }
    for key in &args.unset {
        record.settings.unset(key);
    }
    save(&store, &record).await?;
    println!("app {} changed", record.id);
    announce(config).await;
    Ok(())
}

/// `KEY=VALUE` with the value in TOML, as JSON.
fn setting(pair: &str) -> anyhow::Result<(String, Value)> {
    let (key, value) =
        pair.split_once('=').with_context(|| format!("--setting {pair:?}: expected KEY=VALUE"))?;
    let table: toml::Table = toml::from_str(&format!("v = {value}")).with_context(|| {
        format!("--setting {key}: {value:?} is not a TOML value (quote strings)")
    })?;
    let value = table.get("v").cloned().context("no value")?;
    let json = serde_json::to_value(value).context("value")?;
    Ok((key.trim().to_owned(), json))
}
