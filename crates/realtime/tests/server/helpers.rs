//! Spawns the real server on port 0 with its own apps, and connects real clients to it.

use std::time::Duration;

use pusher_client::{Connection, Endpoint, Frame, PusherClient, Secret, Target};
use realtime::{AppConfig, AppId, AppKey, RealtimeConfig, RedisConfig, Server};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub(crate) const WAIT: Duration = Duration::from_secs(3);
pub(crate) const KEY: &str = "app-key";
pub(crate) const SECRET: &str = "app-secret";
pub(crate) const ID: &str = "app-id";

pub(crate) struct TestServer {
    pub(crate) port: u16,
    pub(crate) publisher: realtime::Publisher,
    /// The apps, to change while it runs.
    pub(crate) apps: realtime::AppRegistry,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

/// An app with these credentials and every default.
pub(crate) fn app_config(id: &str, key: &str, secret: &str) -> AppConfig {
    AppConfig::new(AppId::parse(id).unwrap(), AppKey::parse(key).unwrap(), secret)
}

/// The default test app: everything enabled.
pub(crate) fn app() -> AppConfig {
    let mut app = app_config(ID, KEY, SECRET);
    app.subscription_count = false;
    app
}

/// The cluster backend a test's servers run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    /// One node, state in memory.
    Local,
    /// Each server a one-node cluster on Redis, on a key prefix of its own.
    Redis,
}

impl Backend {
    /// Points `config` at this backend, unless the test chose a Redis itself.
    pub(crate) fn configure(self, config: &mut RealtimeConfig) {
        if self == Self::Redis && config.redis.is_none() {
            config.redis = Some(redis_config(&redis_url(), &redis_prefix()));
        }
    }
}

/// Runs each named `async fn(Backend)` once per backend: the conformance suite every
/// backend passes. Each becomes a module with the tests `local` and `redis`.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn local() {
                super::$name($crate::helpers::Backend::Local).await;
            }
            #[tokio::test]
            async fn redis() {
                super::$name($crate::helpers::Backend::Redis).await;
            }
        }
    )*};
}
pub(crate) use on_both;

pub(crate) async fn spawn(backend: Backend, apps: Vec<AppConfig>) -> TestServer {
    spawn_with(backend, RealtimeConfig { apps, ..RealtimeConfig::default() }).await
}

/// The Redis the tests use (`PAYBELL_TEST_REDIS_URL`, default the local one).
pub(crate) fn redis_url() -> String {
    std::env::var("PAYBELL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// The Redis at `url` under `prefix`.
pub(crate) fn redis_config(url: &str, prefix: &str) -> RedisConfig {
    RedisConfig::new(url.parse().expect("a Redis URL"), prefix)
}

/// A key prefix of its own, so tests running at once do not see each other.
pub(crate) fn redis_prefix() -> String {
    format!("paybell-test-{:016x}", rand::random::<u64>())
}

/// Starts a server on `backend` (see [`Backend::configure`]).
pub(crate) async fn spawn_with(backend: Backend, mut config: RealtimeConfig) -> TestServer {
    backend.configure(&mut config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::build(config, listener).unwrap();
    let port = server.port();
    let publisher = server.publisher();
    let apps = server.apps();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        server
            .run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
    });
    TestServer { port, publisher, apps, stop: Some(stop), task }
}

impl TestServer {
    pub(crate) fn target_for(&self, id: &str, key: &str, secret: &str) -> Target {
        Target::new(id, key, Secret::new(secret))
            .unwrap()
            .with_endpoint(Endpoint::host("127.0.0.1", self.port, false).unwrap())
    }

    pub(crate) fn api(&self) -> PusherClient {
        PusherClient::new(self.target_for(ID, KEY, SECRET)).unwrap()
    }

    pub(crate) fn ws_url(&self, key: &str) -> String {
        format!("ws://127.0.0.1:{}/app/{key}?protocol=7&client=test&version=1", self.port)
    }

    pub(crate) async fn connect(&self) -> Connection {
        Connection::connect(&self.ws_url(KEY)).await.unwrap()
    }

    /// Stops the server and waits for it.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(Duration::from_secs(15), &mut self.task).await.unwrap().unwrap();
    }
}

/// A connection subscribed to `channel` (signed when the kind needs it).
pub(crate) async fn subscribed(server: &TestServer, channel: &str) -> Connection {
    let mut conn = server.connect().await;
    subscribe(&mut conn, channel, None).await;
    conn
}

/// Subscribes, signing private and presence channels with the test app's secret.
pub(crate) async fn subscribe(
    conn: &mut Connection,
    channel: &str,
    user: Option<(&str, Value)>,
) -> Frame {
    let socket_id = conn.socket_id().to_string();
    let channel_data =
        user.map(|(id, info)| json!({ "user_id": id, "user_info": info }).to_string());
    let auth = (channel.starts_with("private-") || channel.starts_with("presence-")).then(|| {
        pusher_protocol::sign::channel_auth(
            KEY,
            SECRET,
            &socket_id,
            channel,
            channel_data.as_deref(),
        )
    });
    conn.subscribe(channel, auth.as_deref(), channel_data.as_deref()).await.unwrap();
    conn.expect_event("pusher_internal:subscription_succeeded", WAIT).await.unwrap()
}

/// The next frame, failing the test after [`WAIT`].
pub(crate) async fn next(conn: &mut Connection) -> Frame {
    conn.next_frame(WAIT).await.unwrap()
}

/// Asserts that nothing arrives for a short while.
pub(crate) async fn assert_silent(conn: &mut Connection) {
    let got = conn.next_frame(Duration::from_millis(300)).await;
    assert!(got.is_err(), "expected nothing, got {got:?}");
}
