//! PROTOCOL.md §5: sign-in, `#server-to-user-{id}`, watchlists, terminate_connections.

use pusher_client::{Connection, WsError};
use pusher_protocol::sign;
use serde_json::json;

use crate::helpers::{Backend, KEY, SECRET, TestServer, WAIT, app, next, on_both, spawn};

on_both!(
    signin_then_only_that_user_joins_its_channel_and_receives_send_to_user,
    a_bad_signin_is_4009_and_closes,
    terminate_connections_closes_that_users_sockets_with_4009,
    watchlists_report_online_and_offline,
    a_watchlist_over_100_ids_gets_4302_and_signin_still_succeeds
);

pub(crate) async fn signed_in(server: &TestServer, user_data: &str) -> Connection {
    let mut conn = server.connect().await;
    let auth = sign::user_auth(KEY, SECRET, &conn.socket_id().to_string(), user_data);
    conn.signin(&auth, user_data).await.unwrap();
    let success = conn.expect_event("pusher:signin_success", WAIT).await.unwrap();
    assert_eq!(success.data["user_data"], user_data);
    conn
}

async fn signin_then_only_that_user_joins_its_channel_and_receives_send_to_user(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut user = signed_in(&server, r#"{"id":"42"}"#).await;
    user.subscribe("#server-to-user-42", None, None).await.unwrap();
    user.expect_event("pusher_internal:subscription_succeeded", WAIT).await.unwrap();

    let mut stranger = signed_in(&server, r#"{"id":"7"}"#).await;
    stranger.subscribe("#server-to-user-42", None, None).await.unwrap();
    assert_eq!(next(&mut stranger).await.event, "pusher:error");
    let mut anonymous = server.connect().await;
    anonymous.subscribe("#server-to-user-42", None, None).await.unwrap();
    assert_eq!(next(&mut anonymous).await.event, "pusher:error");

    server.api().send_to_user("42", "note", r#"{"hi":1}"#).await.unwrap();
    let note = next(&mut user).await;
    assert_eq!((note.event.as_str(), note.data["hi"].as_i64()), ("note", Some(1)));
    server.stop().await;
}

async fn a_bad_signin_is_4009_and_closes(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = server.connect().await;
    conn.signin(&format!("{KEY}:bad"), r#"{"id":"1"}"#).await.unwrap();
    let error = next(&mut conn).await;
    assert_eq!(error.data["code"], 4009);
    assert!(matches!(conn.next_frame(WAIT).await, Err(WsError::Closed(c)) if c.code == Some(4009)));

    // A valid signature over user_data without an id is refused as well.
    let mut conn = server.connect().await;
    let data = r#"{"name":"no id"}"#;
    let auth = sign::user_auth(KEY, SECRET, &conn.socket_id().to_string(), data);
    conn.signin(&auth, data).await.unwrap();
    assert_eq!(next(&mut conn).await.data["code"], 4009);
    server.stop().await;
}

async fn terminate_connections_closes_that_users_sockets_with_4009(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut a = signed_in(&server, r#"{"id":"u1"}"#).await;
    let mut b = signed_in(&server, r#"{"id":"u1"}"#).await;
    let mut other = signed_in(&server, r#"{"id":"u2"}"#).await;
    server.api().terminate_user_connections("u1").await.unwrap();
    for conn in [&mut a, &mut b] {
        let error = next(conn).await;
        assert_eq!(error.data["code"], 4009);
        assert_eq!(conn.close_frame(WAIT).await.unwrap().code, Some(4009));
    }
    other.send_text(r#"{"event":"pusher:ping","data":{}}"#).await.unwrap();
    assert_eq!(next(&mut other).await.event, "pusher:pong");
    server.stop().await;
}

async fn watchlists_report_online_and_offline(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let friend = signed_in(&server, r#"{"id":"friend"}"#).await;
    let mut watcher = server.connect().await;
    let data = json!({"id": "me", "watchlist": ["friend", "other"]}).to_string();
    let auth = sign::user_auth(KEY, SECRET, &watcher.socket_id().to_string(), &data);
    watcher.signin(&auth, &data).await.unwrap();
    watcher.expect_event("pusher:signin_success", WAIT).await.unwrap();
    let online = next(&mut watcher).await;
    assert_eq!(
        online.raw,
        r#"{"event":"pusher_internal:watchlist_events","data":"{\"events\":[{\"name\":\"online\",\"user_ids\":[\"friend\"]}]}"}"#
    );
    let _other = signed_in(&server, r#"{"id":"other"}"#).await;
    let came = next(&mut watcher).await;
    assert_eq!(came.data["events"][0], json!({"name": "online", "user_ids": ["other"]}));
    friend.close().await.unwrap();
    let left = next(&mut watcher).await;
    assert_eq!(left.data["events"][0], json!({"name": "offline", "user_ids": ["friend"]}));
    server.stop().await;
}

async fn a_watchlist_over_100_ids_gets_4302_and_signin_still_succeeds(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = server.connect().await;
    let ids: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let data = json!({"id": "big", "watchlist": ids}).to_string();
    let auth = sign::user_auth(KEY, SECRET, &conn.socket_id().to_string(), &data);
    conn.signin(&auth, &data).await.unwrap();
    assert_eq!(next(&mut conn).await.event, "pusher:signin_success");
    let warning = next(&mut conn).await;
    assert_eq!(warning.data["code"], 4302);
    conn.send_text(r#"{"event":"pusher:ping","data":{}}"#).await.unwrap();
    assert_eq!(next(&mut conn).await.event, "pusher:pong");
    server.stop().await;
}
