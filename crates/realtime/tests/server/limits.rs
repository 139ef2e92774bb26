//! A connection's own limits: channels held at once and subscriptions per second. Over them
//! a subscription is refused without closing, and nothing of it is kept.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, KEY, SECRET, TestServer, app, next, on_both, spawn, subscribe};
use pusher_client::Connection;
use realtime::AppConfig;

on_both!(
    a_connection_over_its_channel_limit_is_refused_and_keeps_nothing,
    subscriptions_over_the_rate_get_4301_and_keep_nothing
);

fn limited(max_channels: usize, per_second: u32) -> AppConfig {
    let mut app = app();
    app.max_channels_per_connection = max_channels;
    app.max_subscriptions_per_second = per_second;
    app
}

/// Asks for a presence channel and returns the raw answer.
async fn ask_presence(conn: &mut Connection, channel: &str) -> String {
    let data = json!({ "user_id": "u1", "user_info": {} }).to_string();
    let socket_id = conn.socket_id().to_string();
    let auth = pusher_protocol::sign::channel_auth(KEY, SECRET, &socket_id, channel, Some(&data));
    conn.subscribe(channel, Some(&auth), Some(&data)).await.unwrap();
    next(conn).await.raw
}

/// Nobody is in `channel`, according to the HTTP API.
async fn assert_unoccupied(server: &TestServer, channel: &str) {
    let api = server.api();
    assert!(!api.channel(channel, None).await.unwrap().occupied, "{channel} is occupied");
    if channel.starts_with("presence-") {
        assert!(api.users(channel).await.unwrap().users.is_empty());
    }
}

async fn a_connection_over_its_channel_limit_is_refused_and_keeps_nothing(backend: Backend) {
    let server = spawn(backend, vec![limited(2, 100)]).await;
    let mut conn = server.connect().await;
    subscribe(&mut conn, "a", None).await;
    subscribe(&mut conn, "b", None).await;
    assert_eq!(
        ask_presence(&mut conn, "presence-c").await,
        r#"{"event":"pusher:error","channel":"presence-c","data":{"code":null,"message":"Subscription to presence-c refused - this connection is over its limit of 2 channels"}}"#
    );
    assert_unoccupied(&server, "presence-c").await;
    let channels = server.api().channels(None, None).await.unwrap().channels;
    assert_eq!(channels.keys().collect::<Vec<_>>(), ["a", "b"]);

    // The refusal left nothing behind: after leaving one channel the same one is joined.
    conn.unsubscribe("a").await.unwrap();
    let joined = ask_presence(&mut conn, "presence-c").await;
    assert!(joined.contains("pusher_internal:subscription_succeeded"), "{joined}");
    assert_eq!(server.api().users("presence-c").await.unwrap().users.len(), 1);
    server.stop().await;
}

async fn subscriptions_over_the_rate_get_4301_and_keep_nothing(backend: Backend) {
    let server = spawn(backend, vec![limited(3, 1)]).await;
    let mut conn = server.connect().await;
    // The burst is the channel limit, as after a reconnect.
    for channel in ["a", "b", "c"] {
        subscribe(&mut conn, channel, None).await;
    }
    conn.unsubscribe("c").await.unwrap();
    assert_eq!(
        ask_presence(&mut conn, "presence-d").await,
        r#"{"event":"pusher:error","channel":"presence-d","data":{"code":4301,"message":"Subscription to presence-d refused - no more than 1 subscriptions per second"}}"#
    );
    assert_unoccupied(&server, "presence-d").await;
    assert_unoccupied(&server, "c").await;

    // The connection stays open and a token comes back within a second.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let joined = ask_presence(&mut conn, "presence-d").await;
    assert!(joined.contains("pusher_internal:subscription_succeeded"), "{joined}");
    server.stop().await;
}
