//! Routing by interest on Redis: a node receives the frames of the channels it has
//! subscribers of and no others, counted by `paybell_redis_frames_received_total` on each
//! node's `/metrics`.

use std::time::{Duration, Instant};

use realtime::{RealtimeConfig, Secret};

use crate::helpers::{
    Backend, TestServer, app, assert_silent, next, redis_config, redis_prefix, redis_url,
    spawn_with, subscribed,
};

const TOKEN: &str = "routing-scrape-token-0123456789";

/// Two nodes on one fresh prefix, each with a scrapable `/metrics`.
async fn two_nodes() -> (TestServer, TestServer) {
    let prefix = redis_prefix();
    let node = || RealtimeConfig {
        apps: vec![app()],
        redis: Some(redis_config(&redis_url(), &prefix)),
        metrics_token: Some(Secret::new(TOKEN)),
        ..RealtimeConfig::default()
    };
    (spawn_with(Backend::Redis, node()).await, spawn_with(Backend::Redis, node()).await)
}

/// One unlabelled figure from the node's `/metrics`.
async fn figure(node: &TestServer, name: &str) -> u64 {
    let text = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/metrics", node.port))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!("{name} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

async fn frames(node: &TestServer) -> u64 {
    figure(node, "paybell_redis_frames_received_total").await
}

async fn trigger(node: &TestServer, channels: &[&str], event: &str) {
    node.api().trigger(channels, event, "{}", None, None).await.unwrap();
}

#[tokio::test]
async fn a_node_receives_no_frames_of_channels_it_has_no_subscribers_on() {
    let (a, b) = two_nodes().await;
    let mut on_a = subscribed(&a, "wanted-on-a").await;
    let mut on_b = subscribed(&b, "wanted-on-b").await;
    let (a_before, b_before) = (frames(&a).await, frames(&b).await);
    for _ in 0..10 {
        trigger(&b, &["wanted-on-b"], "for-b").await;
        trigger(&a, &["wanted-on-b", "wanted-nowhere"], "for-b").await;
    }
    for _ in 0..20 {
        assert_eq!(next(&mut on_b).await.event, "for-b");
    }
    // One frame A does want, after all the others in Redis's order: once it is here, so
    // would any of theirs be.
    trigger(&b, &["wanted-on-a"], "for-a").await;
    assert_eq!(next(&mut on_a).await.event, "for-a");
    assert_eq!(frames(&a).await - a_before, 1, "A received frames of channels it does not serve");
    assert_eq!(frames(&b).await - b_before, 20, "B received its channel's frames, and only those");
    assert_silent(&mut on_a).await;
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn a_subscriber_gets_the_other_node_s_event_sent_right_after_it_joined() {
    let (a, b) = two_nodes().await;
    for round in 0..10 {
        // A fresh channel each round: the first subscriber on A, nobody anywhere else.
        let channel = format!("fresh-{round}");
        let mut conn = subscribed(&a, &channel).await;
        trigger(&b, &[&channel], "hello").await;
        assert_eq!(next(&mut conn).await.event, "hello", "round {round}");
    }
    b.stop().await;
    a.stop().await;
}

#[tokio::test]
async fn after_the_last_subscriber_leaves_its_node_receives_no_more_of_the_channel() {
    let (a, b) = two_nodes().await;
    let mut conn = subscribed(&a, "brief").await;
    trigger(&b, &["brief"], "while-subscribed").await;
    assert_eq!(next(&mut conn).await.event, "while-subscribed");
    conn.unsubscribe("brief").await.unwrap();
    let started = Instant::now();
    while figure(&a, "paybell_redis_channels_subscribed").await > 0 {
        assert!(started.elapsed() < Duration::from_secs(10), "A never let go of the channel");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let before = frames(&a).await;
    for _ in 0..10 {
        trigger(&b, &["brief"], "after").await;
    }
    let mut sentinel = subscribed(&a, "sentinel").await;
    trigger(&b, &["sentinel"], "last").await;
    assert_eq!(next(&mut sentinel).await.event, "last");
    assert_eq!(frames(&a).await - before, 1, "A still received the channel it left");
    assert_silent(&mut conn).await;

    // Subscribing again brings the channel's frames back.
    crate::helpers::subscribe(&mut conn, "brief", None).await;
    trigger(&b, &["brief"], "again").await;
    assert_eq!(next(&mut conn).await.event, "again");
    b.stop().await;
    a.stop().await;
}
