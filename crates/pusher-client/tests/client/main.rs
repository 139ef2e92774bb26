//! pusher-client against in-test servers: every HTTP call is signed as PROTOCOL.md §6 says
//! (checked with pusher-protocol's own verifier), and the WebSocket client follows a scripted
//! server through establishment, subscription, ping/pong, an event and a close.

mod helpers;

use std::time::Duration;

use helpers::{APP_ID, KEY, spawn_api, spawn_ws};
use pusher_client::{Connection, Error, Method, WsError};
use pusher_protocol::api::BatchEvent;
use pusher_protocol::sign::ApiAuthError;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn trigger_is_signed_and_shaped_like_the_sdks() {
    let (client, log) = spawn_api(200, r#"{"channels":{"presence-a":{"user_count":2}}}"#).await;
    let response = client
        .trigger(
            &["presence-a", "invoice.1"],
            "payment.received",
            r#"{"amount":5}"#,
            Some("1.2"),
            Some("user_count"),
        )
        .await
        .unwrap();
    assert_eq!(response.channels.unwrap()["presence-a"].user_count, Some(2));
    let request = log.lock().unwrap()[0].clone();
    assert_eq!(request.verified, Ok(()));
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/apps/{APP_ID}/events"));
    assert_eq!(request.param("auth_key"), Some(KEY));
    assert_eq!(request.param("auth_version"), Some("1.0"));
    assert!(request.param("body_md5").is_some());
    assert_eq!(
        request.json(),
        json!({
            "name": "payment.received",
            "data": "{\"amount\":5}",
            "channels": ["presence-a", "invoice.1"],
            "socket_id": "1.2",
            "info": "user_count",
        })
    );
}

#[tokio::test]
async fn every_call_hits_its_route_signed() {
    let (client, log) = spawn_api(200, "{}").await;
    let batch = vec![BatchEvent {
        name: "e".to_owned(),
        data: "{}".to_owned(),
        channel: "a".to_owned(),
        socket_id: None,
        info: None,
    }];
    client.trigger_batch(batch).await.unwrap();
    client.terminate_user_connections("u 1").await.unwrap();
    client.send_to_user("42", "hello", "{}").await.unwrap();
    let (client, channel_log) = spawn_api(200, r#"{"occupied":true,"subscription_count":1}"#).await;
    let channel = client.channel("cache-a", Some("subscription_count,cache")).await.unwrap();
    assert!(channel.occupied);

    let log = log.lock().unwrap().clone();
    assert!(log.iter().all(|r| r.verified.is_ok()), "{log:?}");
    let routes: Vec<(&str, &str)> =
        log.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    assert_eq!(
        routes,
        [
            ("POST", "/apps/app-id/batch_events"),
            ("POST", "/apps/app-id/users/u%201/terminate_connections"),
            ("POST", "/apps/app-id/events"),
        ]
    );
    assert_eq!(log[0].json()["batch"][0]["channel"], "a");
    assert_eq!(log[2].json()["channels"], json!(["#server-to-user-42"]));
    let query = &channel_log.lock().unwrap()[0];
    assert_eq!(query.verified, Ok(()));
    assert_eq!(query.path, "/apps/app-id/channels/cache-a");
    assert_eq!(query.param("info"), Some("subscription_count,cache"));
    assert_eq!(query.param("body_md5"), None);
}

#[tokio::test]
async fn channel_listings_decode() {
    let (client, log) = spawn_api(200, r#"{"channels":{"presence-a":{"user_count":3}}}"#).await;
    let channels = client.channels(Some("presence-"), Some("user_count")).await.unwrap();
    assert_eq!(channels.channels["presence-a"].user_count, Some(3));
    let request = log.lock().unwrap()[0].clone();
    assert_eq!(request.verified, Ok(()));
    assert_eq!(request.param("filter_by_prefix"), Some("presence-"));

    let (client, _) = spawn_api(200, r#"{"users":[{"id":"1"},{"id":"2"}]}"#).await;
    let users = client.users("presence-a").await.unwrap();
    assert_eq!(users.users.len(), 2);
}

#[tokio::test]
async fn failures_carry_the_server_status_and_message() {
    let (client, _) = spawn_api(400, r#"{"error":"too many channels"}"#).await;
    let err = client.trigger(&["a"], "e", "{}", None, None).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert_eq!(err.to_string(), "the server answered 400: too many channels");

    let (client, _) = spawn_api(200, "not json").await;
    let err = client.users("presence-a").await.unwrap_err();
    assert!(matches!(err, Error::Decode { ref body, .. } if body == "not json"));
}

#[tokio::test]
async fn a_stale_timestamp_can_be_forged() {
    let (client, log) = spawn_api(200, "{}").await;
    let body = br#"{"name":"e","channels":["a"],"data":"{}"}"#.to_vec();
    let path = client.app_path(&["events"]);
    let url = client.signed_url_at(&Method::POST, &path, &[], &body, 1_000).unwrap();
    let response = client.send_raw(Method::POST, url, body).await.unwrap();
    assert_eq!(response.status, 401);
    let recorded = log.lock().unwrap()[0].clone();
    assert!(matches!(recorded.verified, Err(ApiAuthError::StaleTimestamp { .. })));
}

#[tokio::test]
async fn connection_follows_the_protocol() {
    let port = spawn_ws().await;
    let url = format!("ws://127.0.0.1:{port}/app/{KEY}?protocol=7");
    let mut connection = Connection::connect(&url).await.unwrap();
    assert_eq!(connection.socket_id().to_string(), "123.456");
    assert_eq!(connection.activity_timeout(), Some(120));

    connection.subscribe("invoice.1", None, None).await.unwrap();
    let succeeded =
        connection.expect_event("pusher_internal:subscription_succeeded", WAIT).await.unwrap();
    assert_eq!(succeeded.channel.as_deref(), Some("invoice.1"));

    // The server sends the event only after our pong: next_frame answered its ping.
    let event = connection.next_frame(WAIT).await.unwrap();
    assert_eq!(event.event, "payment.received");
    assert_eq!(event.data, json!({"amount": 5}));

    let close = connection.close_frame(WAIT).await.unwrap();
    assert_eq!(close.code, Some(4200));
    assert_eq!(close.reason, "Server shutting down");
    assert!(matches!(
        connection.next_frame(WAIT).await,
        Err(WsError::Closed(info)) if info.code == Some(4200)
    ));
}

#[tokio::test]
async fn refusals_and_drops_are_reported() {
    let port = spawn_ws().await;
    let refused = Connection::connect(&format!("ws://127.0.0.1:{port}/app/unknown?protocol=7"))
        .await
        .unwrap_err();
    let WsError::Refused { frame, close } = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert_eq!(frame.data["code"], 4001);
    assert_eq!(close.and_then(|c| c.code), Some(4001));

    let mut dropped =
        Connection::connect(&format!("ws://127.0.0.1:{port}/app/drop?protocol=7")).await.unwrap();
    assert!(matches!(dropped.close_frame(WAIT).await, Err(WsError::Dropped)));
}

#[tokio::test]
async fn wss_urls_get_a_tls_handshake() {
    use tokio_tungstenite::tungstenite::Error as TungsteniteError;
    use tokio_tungstenite::tungstenite::error::UrlError;

    // A peer that hangs up at once: the client must have tried TLS (no panic over a missing
    // crypto provider, no "TLS feature not enabled").
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            drop(socket);
        }
    });
    let err = Connection::connect(&format!("wss://localhost:{port}/app/{KEY}?protocol=7"))
        .await
        .unwrap_err();
    assert!(
        !matches!(err, WsError::WebSocket(TungsteniteError::Url(UrlError::TlsFeatureNotEnabled))),
        "{err:?}"
    );
}
