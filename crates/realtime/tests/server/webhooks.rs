//! PROTOCOL.md §7: webhooks received by a real HTTP endpoint.

use std::time::Duration;

use pusher_protocol::sign::webhook_signature;
use realtime::{WebhookConfig, WebhookKind};
use serde_json::{Value, json};

use crate::helpers::{Backend, SECRET, app, next, on_both, spawn, subscribe, subscribed};
use crate::sink::Sink;

on_both!(
    occupied_and_vacated_are_signed_and_vacated_waits_three_seconds,
    a_channel_that_comes_back_within_three_seconds_sends_nothing,
    members_client_events_and_cache_misses,
    a_failed_delivery_is_retried,
    batching_and_filters,
    subscription_count_webhooks_when_counting,
    shutdown_flushes_held_back_webhooks
);

const LONG: Duration = Duration::from_secs(6);

fn app_with(hook: WebhookConfig) -> realtime::AppConfig {
    let mut app = app();
    app.webhooks = vec![hook];
    app
}

async fn occupied_and_vacated_are_signed_and_vacated_waits_three_seconds(backend: Backend) {
    let sink = Sink::start(&[]).await;
    let mut hook = WebhookConfig::new(sink.url.parse().unwrap());
    hook.headers.insert("X-Team".to_owned(), "billing".to_owned());
    let server = spawn(backend, vec![app_with(hook)]).await;
    let conn = subscribed(&server, "invoice.1").await;
    let first = sink.wait_for(1, LONG).await.remove(0);
    let body = first.json();
    assert_eq!(body["events"], json!([{"name": "channel_occupied", "channel": "invoice.1"}]));
    assert!(body["time_ms"].as_u64().unwrap() > 1_600_000_000_000);
    assert_eq!(first.header("x-pusher-key"), "app-key");
    assert_eq!(
        first.header("x-pusher-signature"),
        webhook_signature(SECRET, first.body.as_bytes())
    );
    assert_eq!(first.header("content-type"), "application/json");
    assert_eq!(first.header("x-team"), "billing");

    let left_at = std::time::Instant::now();
    conn.close().await.unwrap();
    let second = sink.wait_for(2, LONG).await.remove(1);
    assert!(
        left_at.elapsed() >= Duration::from_millis(2900),
        "vacated after {:?}",
        left_at.elapsed()
    );
    assert_eq!(
        second.json()["events"],
        json!([{"name": "channel_vacated", "channel": "invoice.1"}])
    );
    server.stop().await;
}

async fn a_channel_that_comes_back_within_three_seconds_sends_nothing(backend: Backend) {
    let sink = Sink::start(&[]).await;
    let server =
        spawn(backend, vec![app_with(WebhookConfig::new(sink.url.parse().unwrap()))]).await;
    let conn = subscribed(&server, "flappy").await;
    sink.wait_for(1, LONG).await;
    conn.close().await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _back = subscribed(&server, "flappy").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let names: Vec<Vec<String>> = sink.received().iter().map(|r| r.names()).collect();
    assert_eq!(names, [["channel_occupied"]]);
    server.stop().await;
}

async fn members_client_events_and_cache_misses(backend: Backend) {
    let sink = Sink::start(&[]).await;
    let mut hook = WebhookConfig::new(sink.url.parse().unwrap());
    hook.event_types = vec![
        WebhookKind::MemberAdded,
        WebhookKind::MemberRemoved,
        WebhookKind::ClientEvent,
        WebhookKind::CacheMiss,
    ];
    let server = spawn(backend, vec![app_with(hook)]).await;
    let mut alice = server.connect().await;
    subscribe(&mut alice, "presence-room", Some(("alice", Value::Null))).await;
    let mut bob = server.connect().await;
    subscribe(&mut bob, "presence-room", Some(("bob", Value::Null))).await;
    next(&mut alice).await;
    bob.send(&json!({"event": "client-wave", "channel": "presence-room", "data": {"x": 1}}))
        .await
        .unwrap();
    let bob_socket = bob.socket_id().to_string();
    bob.close().await.unwrap();
    // Two subscribers miss the same cache channel: one webhook.
    let _c1 = subscribed(&server, "cache-a").await;
    let _c2 = subscribed(&server, "cache-a").await;

    let received = sink.wait_for(5, LONG).await;
    let events: Vec<Value> = received.iter().map(|r| r.json()["events"][0].clone()).collect();
    assert!(events.contains(
        &json!({"name": "member_added", "channel": "presence-room", "user_id": "alice"})
    ));
    assert!(
        events.contains(
            &json!({"name": "member_added", "channel": "presence-room", "user_id": "bob"})
        )
    );
    assert!(events.contains(&json!({
        "name": "client_event", "channel": "presence-room", "event": "client-wave",
        "data": "{\"x\":1}", "socket_id": bob_socket, "user_id": "bob",
    })));
    assert!(events.contains(&json!({"name": "cache_miss", "channel": "cache-a"})));
    assert!(events.contains(
        &json!({"name": "member_removed", "channel": "presence-room", "user_id": "bob"})
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sink.received().len(), 5, "one cache_miss only");
    server.stop().await;
}

async fn a_failed_delivery_is_retried(backend: Backend) {
    let sink = Sink::start(&[500, 503]).await;
    let server =
        spawn(backend, vec![app_with(WebhookConfig::new(sink.url.parse().unwrap()))]).await;
    let _conn = subscribed(&server, "retry-me").await;
    let received = sink.wait_for(3, Duration::from_secs(8)).await;
    assert_eq!(received[0].body, received[2].body, "the same signed body is retried");
    assert_eq!(received[2].names(), ["channel_occupied"]);
    server.stop().await;
}

async fn batching_and_filters(backend: Backend) {
    let sink = Sink::start(&[]).await;
    let mut hook = WebhookConfig::new(sink.url.parse().unwrap());
    hook.batch = Duration::from_millis(300);
    hook.channel_prefix = Some("invoice.".to_owned());
    hook.event_types = vec![WebhookKind::ChannelOccupied];
    let server = spawn(backend, vec![app_with(hook)]).await;
    let _a = subscribed(&server, "invoice.1").await;
    let _b = subscribed(&server, "invoice.2").await;
    let _other = subscribed(&server, "user.1.invoices").await;
    let received = sink.wait_for(1, LONG).await;
    let mut channels: Vec<String> = received[0].json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["channel"].as_str().unwrap().to_owned())
        .collect();
    channels.sort();
    assert_eq!(channels, ["invoice.1", "invoice.2"]);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sink.received().len(), 1);
    server.stop().await;
}

async fn subscription_count_webhooks_when_counting(backend: Backend) {
    let sink = Sink::start(&[]).await;
    let mut hook = WebhookConfig::new(sink.url.parse().unwrap());
    hook.event_types = vec![WebhookKind::SubscriptionCount];
    let mut counted = app_with(hook);
    counted.subscription_count = true;
    let server = spawn(backend, vec![counted]).await;
    let _a = subscribed(&server, "room").await;
    let _b = subscribed(&server, "room").await;
    let received = sink.wait_for(2, LONG).await;
    assert_eq!(
        received[1].json()["events"][0],
        json!({"name": "subscription_count", "channel": "room", "subscription_count": 2})
    );
    server.stop().await;
}

async fn shutdown_flushes_held_back_webhooks(backend: Backend) {
    let sink = Sink::start(&[]).await;
    let server =
        spawn(backend, vec![app_with(WebhookConfig::new(sink.url.parse().unwrap()))]).await;
    let _conn = subscribed(&server, "bye").await;
    sink.wait_for(1, LONG).await;
    server.stop().await;
    let received = sink.wait_for(2, Duration::from_secs(1)).await;
    assert_eq!(received[1].names(), ["channel_vacated"]);
}
