//! `paybell realtime` nodes on one Redis, as separate processes: a node killed with
//! SIGKILL loses its members on the others within its lease, and a Redis restart is
//! survived. Needs `redis-server` (installed by `scripts/install-test-deps.sh`) and the
//! shared Redis at `PAYBELL_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[allow(dead_code)]
#[path = "../cli/helpers.rs"]
mod helpers;

use std::process::Stdio;
use std::time::{Duration, Instant};

use pusher_client::{Connection, Endpoint, PusherClient, Secret, Target};
use pusher_protocol::sign;
use serde_json::json;
use tokio::process::{Child, Command};

use helpers::{Process, WAIT};

const ID: &str = "cluster-app";
const KEY: &str = "cluster-key";
const SECRET: &str = "cluster-secret";
/// The bearer token the nodes serve `/metrics` to.
const METRICS_TOKEN: &str = "cluster-metrics-token";
/// Short, so a dead node is noticed quickly.
const LEASE_SECS: u64 = 2;

fn shared_redis() -> String {
    std::env::var("PAYBELL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

fn fresh_prefix() -> String {
    format!("paybell-cluster-{:016x}", rand::random::<u64>())
}

/// A `paybell realtime` node on `redis` with `prefix`, and its port.
async fn node(redis: &str, prefix: &str) -> (Process, u16) {
    node_with_lease(redis, prefix, LEASE_SECS).await
}

async fn node_with_lease(redis: &str, prefix: &str, lease_secs: u64) -> (Process, u16) {
    let lease = lease_secs.to_string();
    let env = [
        ("PAYBELL_APP_ID", ID),
        ("PAYBELL_APP_KEY", KEY),
        ("PAYBELL_APP_SECRET", SECRET),
        ("REDIS_URL", redis),
        ("PAYBELL_REDIS_PREFIX", prefix),
        ("PAYBELL_REDIS_NODE_LEASE_SECS", &lease),
        ("PAYBELL_METRICS_TOKEN", METRICS_TOKEN),
    ];
    let process = Process::spawn(&["realtime", "--addr", "127.0.0.1:0"], &env);
    let port = process.port("paybell realtime listening on 127.0.0.1:").await;
    (process, port)
}

fn api(port: u16) -> PusherClient {
    let target = Target::new(ID, KEY, Secret::new(SECRET))
        .unwrap()
        .with_endpoint(Endpoint::host("127.0.0.1", port, false).unwrap());
    PusherClient::new(target).unwrap()
}

async fn connect(port: u16) -> Connection {
    let url = format!("ws://127.0.0.1:{port}/app/{KEY}?protocol=7&client=test&version=1");
    Connection::connect(&url).await.expect("connect")
}

/// A connection on `port` in `channel`, as presence member `user` when given.
async fn member(port: u16, channel: &str, user: Option<&str>) -> Connection {
    let mut conn = connect(port).await;
    let data = user.map(|id| json!({"user_id": id, "user_info": {}}).to_string());
    let auth = user.map(|_| {
        sign::channel_auth(KEY, SECRET, &conn.socket_id().to_string(), channel, data.as_deref())
    });
    conn.subscribe(channel, auth.as_deref(), data.as_deref()).await.unwrap();
    conn.expect_event("pusher_internal:subscription_succeeded", WAIT).await.unwrap();
    conn
}

#[tokio::test]
async fn a_killed_node_s_members_leave_the_others_within_its_lease() {
    let prefix = fresh_prefix();
    let (_a, port_a) = node(&shared_redis(), &prefix).await;
    let (mut b, port_b) = node(&shared_redis(), &prefix).await;
    let mut alice = member(port_a, "presence-desk", Some("alice")).await;
    let _bob = member(port_b, "presence-desk", Some("bob")).await;
    let _watching = member(port_b, "invoices", None).await;
    let added = alice.expect_event("pusher_internal:member_added", WAIT).await.unwrap();
    assert_eq!(added.data["user_id"], "bob");
    let before = api(port_a).channel("invoices", Some("subscription_count")).await.unwrap();
    assert_eq!(before.subscription_count, Some(1));

    b.child.start_kill().unwrap();
    b.child.wait().await.unwrap();
    let killed = Instant::now();
    // The lease runs out, and the survivor's next round reaps it: within one lease of the
    // death, plus the time a Redis round trip and the frame take.
    let bound = Duration::from_secs(LEASE_SECS) * 2;
    let removed = alice.expect_event("pusher_internal:member_removed", bound).await.unwrap();
    let took = killed.elapsed();
    assert_eq!(removed.data, json!({"user_id": "bob"}));
    let lease = Duration::from_secs(LEASE_SECS);
    assert!(took < lease + Duration::from_secs(1), "{took:?} for a {lease:?} lease");
    println!("member_removed {took:?} after SIGKILL (lease {LEASE_SECS} s)");

    let users = api(port_a).users("presence-desk").await.unwrap();
    assert_eq!(users.users.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), ["alice"]);
    let after = api(port_a).channel("invoices", None).await.unwrap();
    assert!(!after.occupied, "the dead node's channel is vacated");
}

/// A private `redis-server` on a free port, so it can be killed and restarted.
struct PrivateRedis {
    port: u16,
    child: Child,
}

impl PrivateRedis {
    async fn start(port: u16) -> Self {
        Self::start_in(port, None).await
    }

    /// With `dir`, every write is appended to a file there and survives a restart.
    async fn start_in(port: u16, dir: Option<&std::path::Path>) -> Self {
        let mut command = Command::new("redis-server");
        command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", ""]);
        match dir {
            Some(dir) => {
                command.args(["--appendonly", "yes", "--appendfsync", "always", "--dir"]).arg(dir)
            }
            None => command.args(["--appendonly", "no"]),
        };
        let child = command
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server on PATH (scripts/install-test-deps.sh installs it)");
        let deadline = Instant::now() + WAIT;
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start on {port}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { port, child }
    }

    async fn kill(mut self) -> u16 {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
        self.port
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Triggers on `port` until `conn` receives the event, within `within`.
async fn deliver_eventually(port: u16, conn: &mut Connection, within: Duration) -> Duration {
    let started = Instant::now();
    loop {
        api(port).trigger(&["invoices"], "ping", "{}", None, None).await.unwrap();
        if let Ok(frame) = conn.next_frame(Duration::from_millis(300)).await
            && frame.event == "ping"
        {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "no cross-node delivery within {within:?}");
    }
}

async fn metric(port: u16, name: &str) -> f64 {
    let body = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    body.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{name} missing in:\n{body}"))
}

#[tokio::test]
async fn a_redis_restart_is_survived() {
    let redis = PrivateRedis::start(free_port()).await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let prefix = fresh_prefix();
    let (_a, port_a) = node(&url, &prefix).await;
    let (_b, port_b) = node(&url, &prefix).await;
    let mut here = member(port_a, "invoices", None).await;
    let mut there = member(port_b, "invoices", None).await;
    let _alice = member(port_a, "presence-desk", Some("alice")).await;
    let _bob = member(port_b, "presence-desk", Some("bob")).await;
    deliver_eventually(port_a, &mut there, WAIT).await;
    while here.next_frame(Duration::from_millis(200)).await.is_ok() {}

    let port = redis.kill().await;
    // Local delivery goes on while Redis is away, and the API still answers triggers.
    api(port_a).trigger(&["invoices"], "local", "{}", None, None).await.unwrap();
    let local = here.expect_event("local", WAIT).await.unwrap();
    assert_eq!(local.channel.as_deref(), Some("invoices"));
    let deadline = Instant::now() + WAIT;
    while metric(port_a, "paybell_redis_up").await != 0.0 {
        assert!(Instant::now() < deadline, "paybell_redis_up stayed 1");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(metric(port_a, "paybell_redis_errors_total").await >= 1.0);
    let health = reqwest::get(format!("http://127.0.0.1:{port_a}/health")).await.unwrap();
    assert_eq!(health.status(), 200, "a node without Redis still serves");
    assert_eq!(health.text().await.unwrap(), r#"{"redis":"down","status":"ok"}"#);
    let down = api(port_a).channels(None, None).await;
    assert!(down.is_err(), "cluster queries say they cannot answer: {down:?}");

    let _redis = PrivateRedis::start(port).await;
    let took = deliver_eventually(port_a, &mut there, Duration::from_secs(15)).await;
    println!("cross-node delivery back {took:?} after Redis restarted");
    // Both nodes registered their connections again in the empty Redis.
    let deadline = Instant::now() + WAIT;
    loop {
        let info = api(port_b).channel("invoices", Some("subscription_count")).await;
        let users = api(port_b).users("presence-desk").await;
        if let (Ok(info), Ok(users)) = (info, users)
            && info.subscription_count == Some(2)
            && users.users.len() == 2
        {
            break;
        }
        assert!(Instant::now() < deadline, "state not rebuilt after the restart");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(metric(port_a, "paybell_redis_up").await, 1.0);
}

#[tokio::test]
async fn a_leave_missed_while_redis_was_down_is_put_right_when_it_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let redis = PrivateRedis::start_in(free_port(), Some(dir.path())).await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let prefix = fresh_prefix();
    // A long lease: the nodes must not reap each other while Redis is away.
    let (_a, port_a) = node_with_lease(&url, &prefix, 10).await;
    let (_b, port_b) = node_with_lease(&url, &prefix, 10).await;
    let gone = member(port_a, "invoices", None).await;
    let _stays = member(port_a, "invoices", None).await;
    let _there = member(port_b, "invoices", None).await;
    let count = |port| async move {
        let info = api(port).channel("invoices", Some("subscription_count")).await;
        info.ok().and_then(|i| i.subscription_count)
    };
    assert_eq!(count(port_b).await, Some(3));

    // Redis goes away keeping its data; the leave cannot reach it.
    let port = redis.kill().await;
    gone.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The stale subscription comes back with the data; without the node putting it right
    // the count would stay 3.
    let _redis = PrivateRedis::start_in(port, Some(dir.path())).await;
    let deadline = Instant::now() + WAIT;
    while count(port_b).await != Some(2) {
        assert!(Instant::now() < deadline, "the missed leave was never put right");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
