//! Health, readiness, metrics and the protective limits.

use std::time::Duration;

use pusher_client::{Connection, WsError};
use realtime::{RealtimeConfig, Secret};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{
    Backend, KEY, TestServer, WAIT, app, next, on_both, spawn, spawn_with, subscribed,
};

on_both!(
    health_and_readiness,
    metrics_move_with_connections_and_events,
    metrics_are_served_only_with_the_token,
    over_node_capacity_is_4100,
    only_allowed_origins_connect,
    connections_that_never_sign_in_are_closed_with_4009,
    the_http_api_rate_limit_answers_429
);

async fn get(server: &TestServer, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://127.0.0.1:{}{path}", server.port)).await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

const METRICS_TOKEN: &str = "scrape-token-0123456789";

/// A server whose `/metrics` answers to [`METRICS_TOKEN`].
async fn spawn_scrapable(backend: Backend) -> TestServer {
    let token = Some(Secret::new(METRICS_TOKEN));
    spawn_with(
        backend,
        RealtimeConfig { apps: vec![app()], metrics_token: token, ..Default::default() },
    )
    .await
}

/// `/metrics` with `Authorization: Bearer {token}` when given.
async fn scrape(server: &TestServer, token: Option<&str>) -> (u16, String) {
    let mut request =
        reqwest::Client::new().get(format!("http://127.0.0.1:{}/metrics", server.port));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn metric(text: &str, line_start: &str) -> u64 {
    text.lines()
        .find(|l| l.starts_with(line_start))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {line_start} in\n{text}"))
}

async fn health_and_readiness(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let healthy = if backend == Backend::Redis {
        r#"{"redis":"up","status":"ok"}"#
    } else {
        r#"{"status":"ok"}"#
    };
    assert_eq!(get(&server, "/health").await, (200, healthy.to_owned()));
    assert_eq!(get(&server, "/ready").await.0, 200);
    let port = server.port;
    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ready = reqwest::get(format!("http://127.0.0.1:{port}/ready")).await.unwrap();
    assert_eq!(ready.status().as_u16(), 503);
    stopping.await.unwrap();
}

async fn metrics_move_with_connections_and_events(backend: Backend) {
    let server = spawn_scrapable(backend).await;
    let (_, before) = scrape(&server, Some(METRICS_TOKEN)).await;
    assert_eq!(metric(&before, "paybell_connections{app_id=\"app-id\"}"), 0);
    let mut conn = subscribed(&server, "m").await;
    server.api().trigger(&["m"], "e", "{}", None, None).await.unwrap();
    next(&mut conn).await;
    let _ = server.api().channel("bad name", None).await;
    let (_, after) = scrape(&server, Some(METRICS_TOKEN)).await;
    assert_eq!(metric(&after, "paybell_connections{app_id=\"app-id\"}"), 1);
    assert_eq!(metric(&after, "paybell_connections_total{app_id=\"app-id\"}"), 1);
    assert_eq!(metric(&after, "paybell_api_events_total{app_id=\"app-id\"}"), 1);
    assert!(metric(&after, "paybell_ws_messages_received_total{app_id=\"app-id\"}") >= 1);
    assert!(metric(&after, "paybell_ws_messages_sent_total{app_id=\"app-id\"}") >= 1);
    assert!(metric(&after, "paybell_ws_bytes_sent_total{app_id=\"app-id\"}") > 0);
    assert_eq!(metric(&after, "paybell_http_api_requests_total{status=\"200\"}"), 1);
    assert_eq!(metric(&after, "paybell_http_api_requests_total{status=\"400\"}"), 1);
    assert_eq!(metric(&after, "paybell_http_api_seconds_count"), 2);
    assert_eq!(metric(&after, "paybell_publish_seconds_count{app_id=\"app-id\"}"), 1);
    server.stop().await;
}

async fn metrics_are_served_only_with_the_token(backend: Backend) {
    let public = spawn(backend, vec![app()]).await;
    assert_eq!(scrape(&public, None).await.0, 404, "no token configured: not served");
    assert_eq!(scrape(&public, Some("")).await.0, 404);
    public.stop().await;

    let server = spawn_scrapable(backend).await;
    assert_eq!(scrape(&server, None).await.0, 401);
    assert_eq!(scrape(&server, Some("scrape-token-wrong")).await.0, 401);
    let (status, text) = scrape(&server, Some(METRICS_TOKEN)).await;
    assert_eq!(status, 200);
    assert!(text.contains("paybell_connections{app_id=\"app-id\"}"), "{text}");
    server.stop().await;
}

async fn over_node_capacity_is_4100(backend: Backend) {
    let config =
        RealtimeConfig { apps: vec![app()], max_connections: Some(1), ..RealtimeConfig::default() };
    let server = spawn_with(backend, config).await;
    let _first = server.connect().await;
    match Connection::connect(&server.ws_url(KEY)).await {
        Err(WsError::Refused { frame, close }) => {
            assert_eq!(frame.data["code"], 4100);
            assert_eq!(close.and_then(|c| c.code), Some(4100));
        }
        other => panic!("expected 4100, got {other:?}"),
    }
    server.stop().await;
}

async fn only_allowed_origins_connect(backend: Backend) {
    let mut guarded = app();
    guarded.allowed_origins = vec!["https://pay.example.com".to_owned()];
    let server = spawn(backend, vec![guarded]).await;
    let connect = |origin: &'static str| {
        let mut request = server.ws_url(KEY).into_client_request().unwrap();
        request.headers_mut().insert("Origin", origin.parse().unwrap());
        async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
            use futures_util::StreamExt;
            let first = ws.next().await.unwrap().unwrap().into_text().unwrap();
            first.to_string()
        }
    };
    assert!(connect("https://pay.example.com").await.contains("connection_established"));
    let refused = connect("https://evil.example.com").await;
    assert!(refused.contains("\"code\":4009"), "{refused}");
    server.stop().await;
}

async fn connections_that_never_sign_in_are_closed_with_4009(backend: Backend) {
    let mut strict = app();
    strict.require_user_authentication = true;
    strict.user_authentication_timeout = Duration::from_secs(1);
    let server = spawn(backend, vec![strict]).await;
    let mut lazy = server.connect().await;
    let mut diligent = server.connect().await;
    let data = r#"{"id":"1"}"#;
    let auth = pusher_protocol::sign::user_auth(
        KEY,
        crate::helpers::SECRET,
        &diligent.socket_id().to_string(),
        data,
    );
    diligent.signin(&auth, data).await.unwrap();
    diligent.expect_event("pusher:signin_success", WAIT).await.unwrap();
    let error = lazy.next_frame(Duration::from_secs(3)).await.unwrap();
    assert_eq!(error.data["code"], 4009);
    assert_eq!(lazy.close_frame(WAIT).await.unwrap().code, Some(4009));
    tokio::time::sleep(Duration::from_millis(500)).await;
    diligent.send_text(r#"{"event":"pusher:ping","data":{}}"#).await.unwrap();
    assert_eq!(next(&mut diligent).await.event, "pusher:pong");
    server.stop().await;
}

async fn the_http_api_rate_limit_answers_429(backend: Backend) {
    let mut limited = app();
    limited.max_api_requests_per_second = Some(3);
    let server = spawn(backend, vec![limited]).await;
    let api = server.api();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(api.channels(None, None).await.err().and_then(|e| e.status()).unwrap_or(200));
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    server.stop().await;
}
