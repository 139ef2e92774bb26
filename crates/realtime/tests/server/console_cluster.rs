//! The Debug Console on several nodes sharing Redis: a console on any node sees every
//! node's records, and they cross the bus only while some console watches; the sign-in
//! throttle counts every node's failures; the Overview adds the nodes up.

use std::time::Duration;

use futures_util::StreamExt;
use realtime::RealtimeConfig;
use reqwest::StatusCode;
use serde_json::Value;

use crate::console::Console;
use crate::helpers::{Backend, TestServer, app, redis_config, redis_prefix, redis_url, spawn_with};

/// Two nodes on one fresh prefix, and the prefix.
async fn two_nodes() -> (TestServer, TestServer, String) {
    let prefix = redis_prefix();
    let config = || RealtimeConfig {
        apps: vec![app()],
        redis: Some(redis_config(&redis_url(), &prefix)),
        ..RealtimeConfig::default()
    };
    let a = spawn_with(Backend::Redis, config()).await;
    let b = spawn_with(Backend::Redis, config()).await;
    (a, b, prefix)
}

/// Counts debug records (`D`) on the prefix's bus.
struct BusWatch {
    messages: redis::aio::PubSubStream,
}

impl BusWatch {
    async fn start(prefix: &str) -> Self {
        let client = redis::Client::open(redis_url()).unwrap();
        let mut pubsub = client.get_async_pubsub().await.unwrap();
        pubsub.subscribe(format!("{prefix}:bus")).await.unwrap();
        Self { messages: pubsub.into_on_message() }
    }

    /// Debug records seen within `quiet` of each other.
    async fn debug_records(&mut self, quiet: Duration) -> usize {
        let mut count = 0;
        while let Ok(Some(message)) = tokio::time::timeout(quiet, self.messages.next()).await {
            let payload = message.get_payload_bytes();
            let kind = payload.split(|b| *b == b'\n').nth(2);
            count += usize::from(kind == Some(b"D"));
        }
        count
    }
}

async fn trigger(node: &TestServer, event: &str) {
    node.api().trigger(&["watched"], event, "{}", None, None).await.unwrap();
}

#[tokio::test]
async fn a_console_on_one_node_sees_the_others_and_records_cross_only_while_watched() {
    let (a, b, prefix) = two_nodes().await;
    let mut bus = BusWatch::start(&prefix).await;
    for _ in 0..20 {
        trigger(&b, "nobody-watches").await;
    }
    assert_eq!(bus.debug_records(Duration::from_millis(500)).await, 0, "no console open");

    let console = Console::of(&a);
    let session = console.session().await;
    let overview: Value =
        console.get("/console/api/overview", Some(&session)).await.json().await.unwrap();
    let node_a = overview["node"].as_str().unwrap().to_owned();
    let mut log = console.log(&session).await;
    // The opening console told node B on the bus: its very next trigger is relayed.
    tokio::time::sleep(Duration::from_millis(100)).await;
    trigger(&b, "from-b").await;
    let from_b = tokio::time::timeout(
        Duration::from_secs(1),
        log.until("api_message", |r| r["event"] == "from-b"),
    )
    .await
    .expect("node B's trigger in node A's console within a second");
    let node_b = from_b["node"].as_str().unwrap();
    assert!(!node_b.is_empty() && node_b != node_a, "{from_b}");
    trigger(&a, "from-a").await;
    let own = log.until("api_message", |r| r["event"] == "from-a").await;
    assert_eq!(own["node"], node_a.as_str());
    assert!(bus.debug_records(Duration::from_millis(300)).await > 0);

    drop(log);
    // Node A notices the closed console at its next writes (or keep-alive), then the watch
    // lapses within the nodes' one-second rounds.
    for _ in 0..3 {
        trigger(&a, "after-close").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    bus.debug_records(Duration::from_millis(100)).await;
    for _ in 0..20 {
        trigger(&b, "closed").await;
    }
    assert_eq!(bus.debug_records(Duration::from_millis(500)).await, 0, "the console closed");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn failed_sign_ins_on_one_node_make_the_other_wait() {
    let (a, b, _) = two_nodes().await;
    for _ in 0..5 {
        assert_eq!(
            Console::of(&a).sign_in(crate::helpers::ID, "guess").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, _) = Console::of(&b).sign_in(crate::helpers::ID, crate::helpers::SECRET).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "node B counts node A's failures");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_overview_shows_each_node_and_the_cluster() {
    let (a, b, _) = two_nodes().await;
    let _conn = b.connect().await;
    let console = Console::of(&a);
    let session = console.session().await;
    let overview = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let answer: Value =
                console.get("/console/api/overview", Some(&session)).await.json().await.unwrap();
            if answer["nodes"].as_array().is_some_and(|n| n.len() == 2) {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("both nodes' samples");
    let nodes = overview["nodes"].as_array().unwrap();
    assert_eq!(nodes.iter().filter(|n| n["this"] == true).count(), 1, "{overview}");
    assert!(nodes.iter().all(|n| !n["history"].as_array().unwrap().is_empty()), "{overview}");
    let sum = overview["cluster"]["history"].as_array().unwrap();
    assert!(!sum.is_empty(), "{overview}");
    a.stop().await;
    b.stop().await;
}
