//! An app's `max_connections` on several nodes sharing one Redis: each node adds the other
//! nodes' counts of their last lease round to its own.

use std::time::{Duration, Instant};

use pusher_client::{Connection, WsError};
use realtime::{AppConfig, RealtimeConfig, RedisConfig};

use crate::helpers::{
    Backend, KEY, TestServer, app, redis_config, redis_prefix, redis_url, spawn_with,
};

/// Short, so the test waits little; long enough that a busy machine does not miss renewals.
const LEASE: Duration = Duration::from_secs(2);
/// One lease round: how often a node publishes its count and reads the others'.
const ROUND: Duration = Duration::from_millis(500);

async fn node(apps: Vec<AppConfig>, prefix: &str) -> TestServer {
    let config = RealtimeConfig {
        apps,
        redis: Some(RedisConfig { node_lease: LEASE, ..redis_config(&redis_url(), prefix) }),
        ..RealtimeConfig::default()
    };
    spawn_with(Backend::Redis, config).await
}

/// Connects, expecting the connection-quota refusal (4004).
async fn over_quota(server: &TestServer) {
    match Connection::connect(&server.ws_url(KEY)).await {
        Err(WsError::Refused { frame, close }) => {
            assert_eq!(frame.data["code"], 4004, "{}", frame.raw);
            assert_eq!(close.and_then(|c| c.code), Some(4004));
        }
        other => panic!("expected a refusal with 4004, got {other:?}"),
    }
}

/// Connects once the quota lets it, trying for up to `within`.
async fn admitted_within(server: &TestServer, within: Duration) -> Connection {
    let started = Instant::now();
    loop {
        match Connection::connect(&server.ws_url(KEY)).await {
            Ok(conn) => return conn,
            Err(WsError::Refused { frame, .. }) => {
                assert_eq!(frame.data["code"], 4004, "{}", frame.raw);
                assert!(started.elapsed() < within, "still over quota after {within:?}");
            }
            Err(other) => panic!("connect failed: {other:?}"),
        }
        tokio::time::sleep(ROUND / 5).await;
    }
}

#[tokio::test]
async fn max_connections_counts_every_node_within_a_lease_round() {
    let mut limited = app();
    limited.max_connections = Some(4);
    let prefix = redis_prefix();
    let (a, b) = (node(vec![limited.clone()], &prefix).await, node(vec![limited], &prefix).await);
    let mut on_a = vec![a.connect().await, a.connect().await];
    let mut on_b = vec![b.connect().await, b.connect().await];
    // Two rounds and a margin: each node has published its count and read the other's.
    tokio::time::sleep(ROUND * 3).await;
    over_quota(&a).await;
    over_quota(&b).await;

    // One leaving on A lets one in on B within a round or two; B then counts 3 + A's 1.
    on_a.pop().unwrap().close().await.unwrap();
    on_b.push(admitted_within(&b, ROUND * 4).await);
    over_quota(&b).await;

    // A node that stops takes its count with it: B alone may hold all four.
    drop(on_a);
    a.stop().await;
    on_b.push(admitted_within(&b, LEASE * 2).await);
    over_quota(&b).await;
    assert_eq!(on_b.len(), 4);
    drop(on_b);
    b.stop().await;
}
