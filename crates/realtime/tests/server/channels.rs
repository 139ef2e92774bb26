//! PROTOCOL.md §3–§4: subscriptions by channel kind, cache channels, counts, client events.

use std::time::Duration;

use pusher_protocol::sign;
use serde_json::json;

use crate::helpers::{
    Backend, KEY, SECRET, WAIT, app, app_config, assert_silent, next, on_both, spawn, subscribe,
    subscribed,
};

on_both!(
    public_channels_receive_triggered_events_as_json_strings,
    private_channels_need_a_valid_signature,
    encrypted_payloads_are_relayed_untouched,
    subscribing_twice_and_unsubscribing_from_nothing,
    socket_id_is_excluded_from_a_trigger,
    cache_channels_replay_the_last_event_or_say_cache_miss,
    subscription_count_when_enabled,
    subscription_count_is_off_by_default,
    client_events_reach_the_others_but_not_the_sender,
    client_events_are_refused_where_they_do_not_belong,
    client_events_over_ten_a_second_get_4301_and_the_connection_stays,
    subscription_counts_of_busy_channels_are_coalesced
);

async fn public_channels_receive_triggered_events_as_json_strings(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = server.connect().await;
    let success = subscribe(&mut conn, "invoice.123", None).await;
    assert_eq!(
        success.raw,
        r#"{"event":"pusher_internal:subscription_succeeded","channel":"invoice.123","data":"{}"}"#
    );
    server
        .api()
        .trigger(&["invoice.123"], "payment.received", r#"{"amount":5}"#, None, None)
        .await
        .unwrap();
    let event = next(&mut conn).await;
    assert_eq!(
        event.raw,
        r#"{"event":"payment.received","channel":"invoice.123","data":"{\"amount\":5}"}"#
    );
    server.stop().await;
}

async fn private_channels_need_a_valid_signature(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = server.connect().await;
    conn.subscribe("private-a", None, None).await.unwrap();
    let error = next(&mut conn).await;
    assert_eq!(error.event, "pusher:error");
    assert_eq!(error.channel.as_deref(), Some("private-a"));
    assert!(error.data["code"].is_null());

    conn.subscribe("private-a", Some(&format!("{KEY}:deadbeef")), None).await.unwrap();
    let error = next(&mut conn).await;
    let socket_id = conn.socket_id();
    assert_eq!(
        error.data["message"],
        format!(
            "Invalid signature: Expected HMAC SHA256 hex digest of {socket_id}:private-a, but got deadbeef"
        )
    );

    // A signature for another socket is refused too.
    let other = sign::channel_auth(KEY, SECRET, "1.2", "private-a", None);
    conn.subscribe("private-a", Some(&other), None).await.unwrap();
    assert_eq!(next(&mut conn).await.event, "pusher:error");

    // Every signed kind, including the cache variants, is guarded the same way.
    for channel in
        ["private-cache-a", "private-encrypted-a", "private-encrypted-cache-a", "presence-cache-a"]
    {
        conn.subscribe(channel, Some(&format!("{KEY}:00")), Some(r#"{"user_id":"1"}"#))
            .await
            .unwrap();
        let frame = next(&mut conn).await;
        assert_eq!(frame.event, "pusher:error", "{channel} joined without a valid signature");
    }
    subscribe(&mut conn, "private-a", None).await;
    server.stop().await;
}

async fn encrypted_payloads_are_relayed_untouched(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = server.connect().await;
    subscribe(&mut conn, "private-encrypted-x", None).await;
    let ciphertext = r#"{"nonce":"bm9uY2U=","ciphertext":"Y2lwaGVy"}"#;
    server.api().trigger(&["private-encrypted-x"], "secret", ciphertext, None, None).await.unwrap();
    let event = next(&mut conn).await;
    assert_eq!(event.data, serde_json::from_str::<serde_json::Value>(ciphertext).unwrap());
    server.stop().await;
}

async fn subscribing_twice_and_unsubscribing_from_nothing(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = subscribed(&server, "a").await;
    conn.subscribe("a", None, None).await.unwrap();
    let error = next(&mut conn).await;
    assert_eq!(
        error.raw,
        r#"{"event":"pusher:error","channel":"a","data":{"code":null,"message":"Existing subscription to channel a"}}"#
    );
    conn.unsubscribe("never-joined").await.unwrap();
    assert_silent(&mut conn).await;

    conn.unsubscribe("a").await.unwrap();
    assert_silent(&mut conn).await;
    server.api().trigger(&["a"], "e", "{}", None, None).await.unwrap();
    assert_silent(&mut conn).await;
    server.stop().await;
}

async fn socket_id_is_excluded_from_a_trigger(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut sender = subscribed(&server, "a").await;
    let mut other = subscribed(&server, "a").await;
    let excluded = sender.socket_id().to_string();
    server.api().trigger(&["a"], "e", "{}", Some(&excluded), None).await.unwrap();
    assert_eq!(next(&mut other).await.event, "e");
    assert_silent(&mut sender).await;
    server.stop().await;
}

async fn cache_channels_replay_the_last_event_or_say_cache_miss(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut first = server.connect().await;
    subscribe(&mut first, "cache-prices", None).await;
    assert_eq!(
        next(&mut first).await.raw,
        r#"{"event":"pusher:cache_miss","channel":"cache-prices","data":"{}"}"#
    );

    let api = server.api();
    api.trigger(&["cache-prices"], "price", r#"{"v":1}"#, None, None).await.unwrap();
    api.trigger(&["cache-prices"], "price", r#"{"v":2}"#, None, None).await.unwrap();
    let mut late = server.connect().await;
    subscribe(&mut late, "cache-prices", None).await;
    let replayed = next(&mut late).await;
    assert_eq!(replayed.event, "price");
    assert_eq!(replayed.data, json!({"v": 2}));

    let info = api.channel("cache-prices", Some("cache")).await.unwrap();
    let cache = info.cache.unwrap();
    assert_eq!(cache.data, r#"{"v":2}"#);
    assert!(cache.ttl > 1700 && cache.ttl <= 1800, "{}", cache.ttl);

    // Private cache channels replay too, after a signed subscription.
    let mut private = server.connect().await;
    subscribe(&mut private, "private-cache-x", None).await;
    assert_eq!(next(&mut private).await.event, "pusher:cache_miss");
    server.stop().await;
}

async fn subscription_count_when_enabled(backend: Backend) {
    let mut counted = app();
    counted.subscription_count = true;
    let server = spawn(backend, vec![counted]).await;
    let mut a = subscribed(&server, "room").await;
    assert_eq!(
        next(&mut a).await.raw,
        r#"{"event":"pusher_internal:subscription_count","channel":"room","data":"{\"subscription_count\":1}"}"#
    );
    let mut b = subscribed(&server, "room").await;
    assert_eq!(next(&mut a).await.data, json!({"subscription_count": 2}));
    assert_eq!(next(&mut b).await.data, json!({"subscription_count": 2}));
    b.unsubscribe("room").await.unwrap();
    assert_eq!(next(&mut a).await.data, json!({"subscription_count": 1}));
    server.stop().await;
}

async fn subscription_count_is_off_by_default(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut a = subscribed(&server, "room").await;
    let _b = subscribed(&server, "room").await;
    assert_silent(&mut a).await;
    server.stop().await;
}

async fn client_events_reach_the_others_but_not_the_sender(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut alice = subscribed(&server, "private-chat").await;
    let mut bob = subscribed(&server, "private-chat").await;
    alice
        .send(
            &json!({"event": "client-typing", "channel": "private-chat", "data": {"who": "alice"}}),
        )
        .await
        .unwrap();
    let relayed = next(&mut bob).await;
    assert_eq!(
        relayed.raw,
        r#"{"event":"client-typing","channel":"private-chat","data":"{\"who\":\"alice\"}"}"#
    );
    assert_silent(&mut alice).await;
    server.stop().await;
}

async fn client_events_are_refused_where_they_do_not_belong(backend: Backend) {
    let mut no_client_events = app_config("quiet", "quiet-key", "quiet-secret");
    no_client_events.client_events = false;
    let server = spawn(backend, vec![app(), no_client_events]).await;
    let mut conn = subscribed(&server, "public").await;
    conn.send(&json!({"event": "client-x", "channel": "public", "data": {}})).await.unwrap();
    let error = next(&mut conn).await;
    assert_eq!(
        error.data["message"],
        "Client event rejected - only supported on private and presence channels"
    );

    conn.send(&json!({"event": "client-x", "channel": "private-not-joined", "data": {}}))
        .await
        .unwrap();
    let error = next(&mut conn).await;
    assert!(error.data["message"].as_str().unwrap().contains("not subscribed"), "{}", error.raw);

    let mut quiet = pusher_client::Connection::connect(&server.ws_url("quiet-key")).await.unwrap();
    let socket_id = quiet.socket_id().to_string();
    let auth = sign::channel_auth("quiet-key", "quiet-secret", &socket_id, "private-q", None);
    quiet.subscribe("private-q", Some(&auth), None).await.unwrap();
    quiet.expect_event("pusher_internal:subscription_succeeded", WAIT).await.unwrap();
    quiet.send(&json!({"event": "client-x", "channel": "private-q", "data": {}})).await.unwrap();
    let error = next(&mut quiet).await;
    assert_eq!(error.data["message"], "Client events are not enabled for this app");
    server.stop().await;
}

async fn client_events_over_ten_a_second_get_4301_and_the_connection_stays(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut sender = subscribed(&server, "private-fast").await;
    let mut receiver = subscribed(&server, "private-fast").await;
    for i in 0..11 {
        sender
            .send(&json!({"event": "client-n", "channel": "private-fast", "data": {"i": i}}))
            .await
            .unwrap();
    }
    let error = next(&mut sender).await;
    assert_eq!(error.event, "pusher:error");
    assert_eq!(error.data["code"], 4301);
    let mut received = 0;
    while receiver.next_frame(Duration::from_millis(300)).await.is_ok() {
        received += 1;
    }
    assert_eq!(received, 10);
    sender.send_text(r#"{"event":"pusher:ping","data":{}}"#).await.unwrap();
    assert_eq!(next(&mut sender).await.event, "pusher:pong");
    server.stop().await;
}

async fn subscription_counts_of_busy_channels_are_coalesced(backend: Backend) {
    let mut counted = app();
    counted.subscription_count = true;
    let server = spawn(backend, vec![counted]).await;
    let mut first = subscribed(&server, "busy").await;
    let mut others = Vec::new();
    for _ in 1..100 {
        others.push(subscribed(&server, "busy").await);
    }
    // Up to 100 subscribers, every change is sent.
    let mut last = 0;
    while let Ok(frame) = first.next_frame(Duration::from_millis(300)).await {
        last = frame.data["subscription_count"].as_u64().unwrap();
    }
    assert_eq!(last, 100);
    others.push(subscribed(&server, "busy").await);
    others.push(subscribed(&server, "busy").await);
    assert_silent(&mut first).await;
    let coalesced = first.next_frame(Duration::from_secs(6)).await.unwrap();
    assert_eq!(coalesced.data, json!({"subscription_count": 102}));
    assert_silent(&mut first).await;
    server.stop().await;
}
