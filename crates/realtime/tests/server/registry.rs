//! Apps changed while the server runs (`AppRegistry::replace`): added, disabled (open sockets
//! closed with 4003, new ones refused, API 403), rotated (the previous secret accepted until
//! it expires), removed (4001). Connections of an app that stays are kept.

use std::time::{Duration, SystemTime};

use pusher_client::{Connection, PusherClient};
use pusher_protocol::sign;
use realtime::{AppConfig, PreviousSecret, Secret};

use crate::helpers::{Backend, TestServer, WAIT, app, app_config, on_both, spawn};

on_both!(added_app_is_served_and_others_keep_their_connections);
on_both!(disabled_app_closes_its_sockets_with_4003_and_refuses_new_ones);
on_both!(previous_secret_is_accepted_until_it_expires);
on_both!(removed_app_closes_with_4001);

fn second() -> AppConfig {
    app_config("second-id", "second-key", "second-secret")
}

async fn api_status(server: &TestServer, id: &str, key: &str, secret: &str) -> u16 {
    let client = PusherClient::new(server.target_for(id, key, secret)).unwrap();
    match client.channels(None, None).await {
        Ok(_) => 200,
        Err(pusher_client::Error::Status { status, .. }) => status,
        Err(other) => panic!("{other:?}"),
    }
}

async fn close_code(conn: &mut Connection) -> Option<u16> {
    conn.close_frame(WAIT).await.unwrap().code
}

async fn added_app_is_served_and_others_keep_their_connections(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut first = server.connect().await;
    assert!(Connection::connect(&server.ws_url("second-key")).await.is_err(), "not served yet");
    server.apps.replace(vec![app(), second()]);
    Connection::connect(&server.ws_url("second-key")).await.unwrap();
    assert_eq!(api_status(&server, "second-id", "second-key", "second-secret").await, 200);
    first.send_text(r#"{"event":"pusher:ping","data":{}}"#).await.unwrap();
    first.expect_event("pusher:pong", WAIT).await.unwrap();
    server.stop().await;
}

async fn disabled_app_closes_its_sockets_with_4003_and_refuses_new_ones(backend: Backend) {
    let server = spawn(backend, vec![app(), second()]).await;
    let mut open = server.connect().await;
    let mut other = Connection::connect(&server.ws_url("second-key")).await.unwrap();
    let mut disabled = app();
    disabled.enabled = false;
    server.apps.replace(vec![disabled, second()]);
    assert_eq!(close_code(&mut open).await, Some(4003));
    let refused = Connection::connect(&server.ws_url(crate::helpers::KEY)).await;
    assert!(refused.is_err(), "a new connection of a disabled app is refused");
    assert_eq!(
        api_status(&server, crate::helpers::ID, crate::helpers::KEY, crate::helpers::SECRET).await,
        403
    );
    other.send_text(r#"{"event":"pusher:ping","data":{}}"#).await.unwrap();
    other.expect_event("pusher:pong", WAIT).await.unwrap();
    server.apps.replace(vec![app(), second()]);
    server.connect().await;
    server.stop().await;
}

async fn previous_secret_is_accepted_until_it_expires(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut rotated = app_config(crate::helpers::ID, crate::helpers::KEY, "new-secret");
    rotated.previous_secret = Some(PreviousSecret {
        secret: Secret::new(crate::helpers::SECRET),
        until: SystemTime::now() + Duration::from_secs(2),
    });
    server.apps.replace(vec![rotated]);
    let (id, key) = (crate::helpers::ID, crate::helpers::KEY);
    assert_eq!(api_status(&server, id, key, "new-secret").await, 200);
    assert_eq!(api_status(&server, id, key, crate::helpers::SECRET).await, 200);
    assert_eq!(api_status(&server, id, key, "other").await, 401);
    for (secret, ok) in [(crate::helpers::SECRET, true), ("new-secret", true), ("other", false)] {
        assert_eq!(private_subscription(&server, secret).await, ok, "{secret}");
        assert_eq!(user_sign_in(&server, secret).await, ok, "sign-in with {secret}");
    }
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(api_status(&server, id, key, crate::helpers::SECRET).await, 401);
    assert!(!private_subscription(&server, crate::helpers::SECRET).await, "expired");
    assert!(!user_sign_in(&server, crate::helpers::SECRET).await, "expired");
    assert!(user_sign_in(&server, "new-secret").await);
    assert!(private_subscription(&server, "new-secret").await);
    server.stop().await;
}

/// Whether a private subscription signed with `secret` succeeds.
async fn private_subscription(server: &TestServer, secret: &str) -> bool {
    let mut conn = server.connect().await;
    let socket_id = conn.socket_id().to_string();
    let auth = sign::channel_auth(crate::helpers::KEY, secret, &socket_id, "private-r", None);
    conn.subscribe("private-r", Some(&auth), None).await.unwrap();
    let reply = conn.next_frame(WAIT).await.unwrap();
    reply.event == "pusher_internal:subscription_succeeded"
}

async fn removed_app_closes_with_4001(backend: Backend) {
    let server = spawn(backend, vec![app(), second()]).await;
    let mut gone = Connection::connect(&server.ws_url("second-key")).await.unwrap();
    server.apps.replace(vec![app()]);
    assert_eq!(close_code(&mut gone).await, Some(4001));
    server.stop().await;
}

/// Whether `pusher:signin` signed with `secret` succeeds.
async fn user_sign_in(server: &TestServer, secret: &str) -> bool {
    let mut conn = server.connect().await;
    let socket_id = conn.socket_id().to_string();
    let user_data = r#"{"id":"u1"}"#;
    let auth = sign::user_auth(crate::helpers::KEY, secret, &socket_id, user_data);
    conn.signin(&auth, user_data).await.unwrap();
    match conn.next_frame(WAIT).await {
        Ok(frame) => frame.event == "pusher:signin_success",
        Err(_) => false,
    }
}
