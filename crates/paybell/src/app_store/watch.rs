//! Keeps a running server's apps in step with the store. With Redis, `paybell app …`
//! publishes on `{prefix}:apps` after each write and every node reloads when told (and once
//! after each (re)subscription, for what it missed while away, and when the version counter
//! moved unannounced, read every [`SAFETY_POLL`]); without Redis, the server reads the
//! store's version counter every [`POLL`] and reloads when it moved.

use std::time::Duration;

use futures_util::StreamExt as _;
use realtime::{AppConfig, AppRegistry, RedisConfig};
use tokio_util::sync::CancellationToken;

use super::{AppStore, AppStoreError};

/// How often a server without Redis looks at the store's version.
pub const POLL: Duration = Duration::from_secs(2);

/// How often a server on Redis looks at the version anyway, for a change whose announcement
/// was lost.
pub const SAFETY_POLL: Duration = Duration::from_secs(30);

/// Longest wait between attempts to (re)subscribe to Redis.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The apps to serve: the fixed ones (config file, environment, development) first, then
/// the store's. A stored app that does not check out, or reuses a fixed app's id or key, is
/// left out with an error in the log rather than stopping the others.
///
/// # Errors
/// [`AppStoreError`] when the store cannot be read.
pub async fn load(store: &AppStore, fixed: &[AppConfig]) -> Result<Vec<AppConfig>, AppStoreError> {
    let mut apps = fixed.to_vec();
    for record in store.list().await? {
        match record.to_config() {
            Ok(config) if apps.iter().any(|a| a.id == config.id || a.key == config.key) => {
                tracing::error!(app = %config.id, "stored app skipped: a configured app has its id or key");
            }
            Ok(config) => apps.push(config),
            Err(error) => tracing::error!(app = %record.id, %error, "stored app skipped"),
        }
    }
    Ok(apps)
}

/// The Redis pub/sub channel changes are announced on.
fn channel(redis: &RedisConfig) -> String {
    format!("{}:apps", redis.prefix)
}

/// Tells every node on `redis` that the store changed.
///
/// # Errors
/// When Redis cannot be reached.
pub async fn announce(redis: &RedisConfig) -> redis::RedisResult<()> {
    let client = redis::Client::open(redis.url.as_str())?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    redis::cmd("PUBLISH")
        .arg(channel(redis))
        .arg("changed")
        .query_async::<i64>(&mut connection)
        .await?;
    Ok(())
}

/// Keeps `registry` in step with the store until `stop`.
#[derive(Debug)]
pub struct Watcher {
    /// Where the apps are kept.
    pub store: AppStore,
    /// Apps from the configuration, served first and never changed here.
    pub fixed: Vec<AppConfig>,
    /// The running server's apps.
    pub registry: AppRegistry,
    /// When set, changes are announced here rather than polled for.
    pub redis: Option<RedisConfig>,
    /// For `paybell serve`: whether its app (the first) takes client events, whatever the
    /// store says (see `Config::serve_realtime`).
    pub serve_app_client_events: Option<bool>,
    /// For `paybell serve`: the signer of its app's channel auth, moved to a rotated secret
    /// as soon as the server accepts it.
    pub serve_signer: Option<invoicing::Signer>,
}

impl Watcher {
    /// Runs until `stop`.
    pub async fn run(self, stop: CancellationToken) {
        match self.redis.clone() {
            // The slow poll catches a change whose announcement never came (Redis was
            // unreachable from the CLI).
            Some(redis) => {
                tokio::join!(self.listen(&redis, stop.clone()), self.poll(SAFETY_POLL, stop));
            }
            None => self.poll(POLL, stop).await,
        }
    }

    async fn reload(&self) {
        match load(&self.store, &self.fixed).await {
            Ok(mut apps) => {
                if let (Some(first), Some(on)) = (apps.first_mut(), self.serve_app_client_events) {
                    first.client_events = on;
                }
                if let (Some(first), Some(signer)) = (apps.first(), &self.serve_signer) {
                    resign(signer, first);
                }
                self.registry.replace(apps);
            }
            Err(error) => tracing::warn!(%error, "reading the apps store failed; apps unchanged"),
        }
    }

    async fn poll(&self, every: Duration, stop: CancellationToken) {
        let mut seen = self.store.version().await.ok();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            match self.store.version().await {
                Ok(version) if Some(version) != seen => {
                    seen = Some(version);
                    self.reload().await;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "reading the apps store's version failed"),
            }
        }
    }

    async fn listen(&self, redis: &RedisConfig, stop: CancellationToken) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let subscribed = tokio::select! {
                () = stop.cancelled() => return,
                subscribed = subscribe(redis) => subscribed,
            };
            match subscribed {
                Ok(mut pubsub) => {
                    backoff = Duration::from_millis(100);
                    self.reload().await;
                    let mut messages = pubsub.on_message();
                    loop {
                        tokio::select! {
                            () = stop.cancelled() => return,
                            message = messages.next() => match message {
                                Some(_) => self.reload().await,
                                None => break,
                            },
                        }
                    }
                    tracing::warn!("the apps subscription on Redis dropped; resubscribing");
                }
                Err(error) => tracing::warn!(%error, "subscribing to app changes on Redis failed"),
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// Points `signer` at `app`'s current secret, keeping where it connects.
fn resign(signer: &invoicing::Signer, app: &AppConfig) {
    let current = signer.current();
    if current.secret() == &app.secret && current.key() == app.key.as_str() {
        return;
    }
    match pusher_client::Target::new(app.id.as_str(), app.key.as_str(), app.secret.clone()) {
        Ok(target) => signer.replace(target.with_endpoint(current.endpoint().clone())),
        Err(error) => tracing::error!(app = %app.id, %error, "channel auth keeps the old secret"),
    }
}

async fn subscribe(redis: &RedisConfig) -> redis::RedisResult<redis::aio::PubSub> {
    let client = redis::Client::open(redis.url.as_str())?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel(redis)).await?;
    Ok(pubsub)
}
