//! PROTOCOL.md §3 presence: members unique by user, added/removed to the others, limits.

use serde_json::{Value, json};

use crate::helpers::{Backend, KEY, SECRET, app, assert_silent, next, on_both, spawn, subscribe};

on_both!(
    members_are_listed_added_and_removed_once_per_user,
    numeric_user_ids_become_strings,
    channel_data_must_match_its_signature,
    presence_limits_are_enforced,
    client_events_on_presence_carry_the_sender_user_id
);

async fn members_are_listed_added_and_removed_once_per_user(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut alice = server.connect().await;
    let joined =
        subscribe(&mut alice, "presence-room", Some(("alice", json!({"name": "Alice"})))).await;
    assert_eq!(
        joined.data,
        json!({"presence": {"ids": ["alice"], "hash": {"alice": {"name": "Alice"}}, "count": 1}})
    );

    let mut bob = server.connect().await;
    let joined = subscribe(&mut bob, "presence-room", Some(("bob", json!({"name": "Bob"})))).await;
    assert_eq!(joined.data["presence"]["count"], 2);
    let added = next(&mut alice).await;
    assert_eq!(
        added.raw,
        r#"{"event":"pusher_internal:member_added","channel":"presence-room","data":"{\"user_id\":\"bob\",\"user_info\":{\"name\":\"Bob\"}}"}"#
    );

    // Bob's second tab: no second member_added, and no member_removed when one tab leaves.
    let mut bob_again = server.connect().await;
    let joined =
        subscribe(&mut bob_again, "presence-room", Some(("bob", json!({"name": "Bob"})))).await;
    assert_eq!(joined.data["presence"]["count"], 2);
    assert_silent(&mut alice).await;
    bob_again.close().await.unwrap();
    assert_silent(&mut alice).await;

    let users = server.api().users("presence-room").await.unwrap();
    let mut ids: Vec<String> = users.users.into_iter().map(|u| u.id).collect();
    ids.sort();
    assert_eq!(ids, ["alice", "bob"]);
    let info =
        server.api().channel("presence-room", Some("user_count,subscription_count")).await.unwrap();
    assert_eq!((info.user_count, info.subscription_count), (Some(2), Some(2)));

    bob.unsubscribe("presence-room").await.unwrap();
    let removed = next(&mut alice).await;
    assert_eq!(
        removed.raw,
        r#"{"event":"pusher_internal:member_removed","channel":"presence-room","data":"{\"user_id\":\"bob\"}"}"#
    );
    server.stop().await;
}

async fn numeric_user_ids_become_strings(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = server.connect().await;
    let socket_id = conn.socket_id().to_string();
    let data = r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#;
    let auth =
        pusher_protocol::sign::channel_auth(KEY, SECRET, &socket_id, "presence-n", Some(data));
    conn.subscribe("presence-n", Some(&auth), Some(data)).await.unwrap();
    let joined = next(&mut conn).await;
    assert_eq!(joined.data["presence"]["ids"], json!(["10"]));
    server.stop().await;
}

async fn channel_data_must_match_its_signature(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = server.connect().await;
    let socket_id = conn.socket_id().to_string();
    let signed = r#"{"user_id":"1"}"#;
    let auth =
        pusher_protocol::sign::channel_auth(KEY, SECRET, &socket_id, "presence-x", Some(signed));
    conn.subscribe("presence-x", Some(&auth), Some(r#"{"user_id":"admin"}"#)).await.unwrap();
    let error = next(&mut conn).await;
    assert_eq!(error.event, "pusher:error");
    assert!(
        error.data["message"].as_str().unwrap().starts_with("Invalid signature"),
        "{}",
        error.raw
    );

    conn.subscribe("presence-x", Some(&auth), None).await.unwrap();
    let error = next(&mut conn).await;
    assert!(error.data["message"].as_str().unwrap().contains("channel_data"), "{}", error.raw);
    server.stop().await;
}

async fn presence_limits_are_enforced(backend: Backend) {
    let mut small = app();
    small.max_presence_members = 2;
    small.max_presence_user_info_bytes = 50;
    let server = spawn(backend, vec![small]).await;
    let mut conns = Vec::new();
    for user in ["1", "2"] {
        let mut conn = server.connect().await;
        subscribe(&mut conn, "presence-full", Some((user, Value::Null))).await;
        conns.push(conn);
    }
    let mut third = server.connect().await;
    let socket_id = third.socket_id().to_string();
    let data = r#"{"user_id":"3"}"#;
    let auth =
        pusher_protocol::sign::channel_auth(KEY, SECRET, &socket_id, "presence-full", Some(data));
    third.subscribe("presence-full", Some(&auth), Some(data)).await.unwrap();
    let error = next(&mut third).await;
    assert!(error.data["message"].as_str().unwrap().contains("over its limit"), "{}", error.raw);

    // An existing member may still open another connection.
    let mut again = server.connect().await;
    subscribe(&mut again, "presence-full", Some(("1", Value::Null))).await;

    let mut big = server.connect().await;
    let socket_id = big.socket_id().to_string();
    let data = json!({"user_id": "9", "user_info": {"bio": "x".repeat(100)}}).to_string();
    let auth =
        pusher_protocol::sign::channel_auth(KEY, SECRET, &socket_id, "presence-other", Some(&data));
    big.subscribe("presence-other", Some(&auth), Some(&data)).await.unwrap();
    let error = next(&mut big).await;
    assert!(error.data["message"].as_str().unwrap().contains("user_info"), "{}", error.raw);
    server.stop().await;
}

async fn client_events_on_presence_carry_the_sender_user_id(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut alice = server.connect().await;
    subscribe(&mut alice, "presence-chat", Some(("alice", Value::Null))).await;
    let mut bob = server.connect().await;
    subscribe(&mut bob, "presence-chat", Some(("bob", Value::Null))).await;
    next(&mut alice).await; // member_added bob
    bob.send(&json!({"event": "client-hi", "channel": "presence-chat", "data": {}})).await.unwrap();
    let relayed = next(&mut alice).await;
    assert_eq!(relayed.event, "client-hi");
    assert_eq!(relayed.user_id.as_deref(), Some("bob"));
    server.stop().await;
}
