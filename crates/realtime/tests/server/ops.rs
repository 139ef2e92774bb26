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
    // Renamed from paybell_connections_total: OpenMetrics forbids a counter family named
    // like the paybell_connections gauge.
    assert_eq!(metric(&after, "paybell_connections_opened_total{app_id=\"app-id\"}"), 1);
    assert_eq!(metric(&after, "paybell_api_events_total{app_id=\"app-id\"}"), 1);
    assert!(metric(&after, "paybell_ws_messages_received_total{app_id=\"app-id\"}") >= 1);
    // The event, whether the trigger wrote it into the socket or the connection did; the
    // connection's own replies are not counted.
    assert_eq!(metric(&after, "paybell_ws_messages_sent_total{app_id=\"app-id\"}"), 1);
    assert!(metric(&after, "paybell_ws_bytes_sent_total{app_id=\"app-id\"}") > 0);
    assert_eq!(metric(&after, "paybell_http_api_requests_total{status=\"200\"}"), 1);
    assert_eq!(metric(&after, "paybell_http_api_requests_total{status=\"400\"}"), 1);
    assert_eq!(metric(&after, "paybell_http_api_seconds_count"), 2);
    assert_eq!(metric(&after, "paybell_publish_seconds_count{app_id=\"app-id\"}"), 1);
    // The subscriber has the frame, so its connection wrote it.
    assert_eq!(metric(&after, "paybell_fanout_seconds_count{app_id=\"app-id\"}"), 1);
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

/// `/metrics` asked for as Prometheus does, preferring OpenMetrics.
async fn scrape_openmetrics(server: &TestServer) -> (String, String) {
    let accept = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4";
    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/metrics", server.port))
        .bearer_auth(METRICS_TOKEN)
        .header("Accept", accept)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (content_type, response.text().await.unwrap())
}

#[tokio::test]
async fn metrics_speak_openmetrics_when_asked() {
    let server = spawn_scrapable(Backend::Local).await;
    let (content_type, text) = scrape_openmetrics(&server).await;
    assert!(content_type.starts_with("application/openmetrics-text; version=1.0.0"));
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains("# TYPE paybell_connections gauge\n"), "{text}");
    assert!(text.contains("# TYPE paybell_connections_opened counter\n"), "{text}");
    assert!(text.contains("# TYPE paybell_fanout_seconds histogram\n"), "{text}");
    let (_, plain) = scrape(&server, Some(METRICS_TOKEN)).await;
    assert!(!plain.contains("# EOF"), "the Prometheus text format without Accept: {plain}");
    server.stop().await;
}

/// Every metric the Grafana dashboard in deploy/ queries is served by a running server
/// (on Redis, so the cluster's figures are there too), after some traffic.
#[tokio::test]
async fn the_grafana_dashboard_queries_only_served_metrics() {
    let dashboard: serde_json::Value =
        serde_json::from_str(include_str!("../../../../deploy/grafana/paybell-realtime.json"))
            .unwrap();
    let mut queries = Vec::new();
    collect_queries(&dashboard, &mut queries);
    let names: std::collections::BTreeSet<&str> =
        queries.iter().flat_map(|query| metric_names(query)).collect();
    assert!(names.len() >= 15, "{names:?} from {queries:?}");

    let server = spawn_scrapable(Backend::Redis).await;
    let mut conn = subscribed(&server, "dash").await;
    server.api().trigger(&["dash"], "e", "{}", None, None).await.unwrap();
    next(&mut conn).await;
    for text in [scrape(&server, Some(METRICS_TOKEN)).await.1, scrape_openmetrics(&server).await.1]
    {
        let served: std::collections::BTreeSet<&str> = text
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| line.split(['{', ' ']).next())
            .collect();
        let missing: Vec<_> = names.iter().filter(|name| !served.contains(*name)).collect();
        assert!(missing.is_empty(), "the dashboard queries {missing:?}, not in\n{text}");
    }
    server.stop().await;
}

/// Every `expr` and variable `query` in the dashboard.
fn collect_queries(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr" | "query" | "definition", serde_json::Value::String(text)) => {
                        into.push(text.clone());
                    }
                    _ => collect_queries(value, into),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_queries(v, into)),
        _ => {}
    }
}

/// The `paybell_…` names in a PromQL query.
fn metric_names(query: &str) -> Vec<&str> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    query.split(|c: char| !word(c)).filter(|token| token.starts_with("paybell_")).collect()
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
