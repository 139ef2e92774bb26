//! PROTOCOL.md §1–§2: establishing, refusing, liveness and closing connections.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pusher_client::{Connection, WsError};
use pusher_protocol::api::BatchEvent;
use realtime::RealtimeConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::{self, Backend, KEY, WAIT, app, app_config, next, on_both, spawn};

on_both!(
    connection_established_has_the_exact_shape,
    bad_keys_protocols_and_paths_get_their_close_codes,
    over_the_connection_quota_is_4004,
    ping_gets_pong_and_bad_frames_get_errors,
    an_oversized_frame_closes_with_1009,
    a_silent_client_is_pinged_then_closed_with_4201,
    a_client_that_answers_pings_stays,
    shutdown_tells_every_client_to_reconnect_with_4200,
    a_client_that_does_not_read_is_closed_with_4100,
    a_client_that_reads_late_gets_every_frame_whole_and_in_order
);

/// An event named `e` for a batch trigger.
fn event_e(channel: &str, data: String) -> BatchEvent {
    BatchEvent {
        name: "e".to_owned(),
        data,
        channel: channel.to_owned(),
        socket_id: None,
        info: None,
    }
}

/// Connects and expects a `pusher:error` with `code`, then a close with the same code.
async fn refused(url: &str, code: u16) {
    match Connection::connect(url).await {
        Err(WsError::Refused { frame, close }) => {
            assert_eq!(frame.event, "pusher:error");
            assert_eq!(frame.data["code"], code, "{}", frame.raw);
            assert_eq!(close.and_then(|c| c.code), Some(code));
        }
        other => panic!("expected refusal with {code}, got {other:?}"),
    }
}

async fn connection_established_has_the_exact_shape(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(server.ws_url(KEY)).await.unwrap();
    let Some(Ok(Message::Text(text))) = ws.next().await else { panic!("no first frame") };
    let frame: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(frame["event"], "pusher:connection_established");
    let data: serde_json::Value = serde_json::from_str(frame["data"].as_str().unwrap()).unwrap();
    assert_eq!(data["activity_timeout"], 120);
    let socket_id = data["socket_id"].as_str().unwrap();
    assert!(pusher_protocol::SocketId::parse(socket_id).is_ok(), "{socket_id}");
    server.stop().await;
}

async fn bad_keys_protocols_and_paths_get_their_close_codes(backend: Backend) {
    let mut disabled = app_config("off", "off-key", "s");
    disabled.enabled = false;
    let server = spawn(backend, vec![app(), disabled]).await;
    let base = format!("ws://127.0.0.1:{}", server.port);
    refused(&format!("{base}/app/nope?protocol=7"), 4001).await;
    refused(&format!("{base}/app/off-key?protocol=7"), 4003).await;
    refused(&format!("{base}/app/{KEY}"), 4008).await;
    refused(&format!("{base}/app/{KEY}?protocol=six"), 4006).await;
    refused(&format!("{base}/app/{KEY}?protocol=5"), 4007).await;
    refused(&format!("{base}/somewhere/else?protocol=7"), 4005).await;
    // A path prefix before /app is fine.
    Connection::connect(&format!("{base}/ws/app/{KEY}?protocol=7")).await.unwrap();
    server.stop().await;
}

async fn over_the_connection_quota_is_4004(backend: Backend) {
    let mut limited = app();
    limited.max_connections = Some(1);
    let server = spawn(backend, vec![limited]).await;
    let first = server.connect().await;
    refused(&server.ws_url(KEY), 4004).await;
    first.close().await.unwrap();
    // The slot is given back when the first connection leaves.
    let mut again = None;
    for _ in 0..20 {
        if let Ok(conn) = Connection::connect(&server.ws_url(KEY)).await {
            again = Some(conn);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(again.is_some(), "slot was not released");
    server.stop().await;
}

async fn ping_gets_pong_and_bad_frames_get_errors(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut conn = server.connect().await;
    conn.send_text(r#"{"event":"pusher:ping","data":{}}"#).await.unwrap();
    assert_eq!(next(&mut conn).await.raw, r#"{"event":"pusher:pong","data":{}}"#);

    conn.send_text("not json").await.unwrap();
    let error = next(&mut conn).await;
    assert_eq!(error.event, "pusher:error");
    assert!(error.data["code"].is_null());
    assert!(
        error.data["message"].as_str().unwrap().starts_with("Invalid message"),
        "{}",
        error.raw
    );

    conn.send_text(r#"{"event":"pusher:whatever"}"#).await.unwrap();
    let error = next(&mut conn).await;
    assert_eq!(error.data["message"], "Unsupported event received: pusher:whatever");

    conn.send_text(r#"{"event":"pusher:subscribe","data":{"channel":"bad channel!"}}"#)
        .await
        .unwrap();
    let error = next(&mut conn).await;
    assert!(
        error.data["message"].as_str().unwrap().contains("Invalid channel name"),
        "{}",
        error.raw
    );

    // Still open after all that.
    conn.send_text(r#"{"event":"pusher:ping","data":{}}"#).await.unwrap();
    assert_eq!(next(&mut conn).await.event, "pusher:pong");
    server.stop().await;
}

async fn an_oversized_frame_closes_with_1009(backend: Backend) {
    let config =
        RealtimeConfig { apps: vec![app()], max_frame_bytes: 1024, ..RealtimeConfig::default() };
    let server = helpers::spawn_with(backend, config).await;
    let mut conn = server.connect().await;
    let big = format!(r#"{{"event":"pusher:ping","data":"{}"}}"#, "x".repeat(2000));
    conn.send_text(&big).await.unwrap();
    let close = conn.close_frame(WAIT).await.unwrap();
    assert_eq!(close.code, Some(1009));
    server.stop().await;
}

/// A server that pings after 1 s of silence and waits 1 s for the pong, and a raw client that
/// answers nothing by itself.
async fn raw_client_with_one_second_pings(
    backend: Backend,
) -> (
    helpers::TestServer,
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
) {
    let config = RealtimeConfig {
        apps: vec![app()],
        activity_timeout: Duration::from_secs(1),
        pong_timeout: Duration::from_secs(1),
        ..RealtimeConfig::default()
    };
    let server = helpers::spawn_with(backend, config).await;
    let (ws, _) = tokio_tungstenite::connect_async(server.ws_url(KEY)).await.unwrap();
    (server, ws)
}

async fn a_silent_client_is_pinged_then_closed_with_4201(backend: Backend) {
    let (server, mut ws) = raw_client_with_one_second_pings(backend).await;
    let mut events = Vec::new();
    let close = loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next()).await.unwrap() {
            Some(Ok(Message::Text(text))) => {
                let frame: serde_json::Value = serde_json::from_str(&text).unwrap();
                events.push(frame["event"].as_str().unwrap().to_owned());
            }
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(events, ["pusher:connection_established", "pusher:ping", "pusher:error"]);
    assert_eq!(close, Some(4201));
    server.stop().await;
}

async fn a_client_that_answers_pings_stays(backend: Backend) {
    let (server, mut ws) = raw_client_with_one_second_pings(backend).await;
    let mut pings = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(3500);
    while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, ws.next()).await {
        match message {
            Message::Text(text) if text.contains("pusher:ping") => {
                pings += 1;
                ws.send(Message::text(r#"{"event":"pusher:pong","data":{}}"#)).await.unwrap();
            }
            Message::Text(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(pings >= 2, "pinged {pings} times");
    server.stop().await;
}

async fn shutdown_tells_every_client_to_reconnect_with_4200(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut a = server.connect().await;
    let mut b = server.connect().await;
    let stopping = tokio::spawn(server.stop());
    assert_eq!(a.close_frame(WAIT).await.unwrap().code, Some(4200));
    assert_eq!(b.close_frame(WAIT).await.unwrap().code, Some(4200));
    stopping.await.unwrap();
}

async fn a_client_that_does_not_read_is_closed_with_4100(backend: Backend) {
    let config =
        RealtimeConfig { apps: vec![app()], outbound_queue: 8, ..RealtimeConfig::default() };
    let server = helpers::spawn_with(backend, config).await;
    let mut slow = helpers::subscribed(&server, "firehose").await;
    let api = server.api();
    let payload = "x".repeat(10_000);
    let batch: Vec<BatchEvent> = (0..10).map(|_| event_e("firehose", payload.clone())).collect();
    // The client reads nothing until the socket buffers and then its 8-frame queue are full
    // and the server has dropped it from the channel.
    let mut dropped = false;
    for _ in 0..1000 {
        api.trigger_batch(batch.clone()).await.unwrap();
        if !api.channel("firehose", None).await.unwrap().occupied {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the slow client was never dropped");
    let close = slow.close_frame(Duration::from_secs(10)).await.unwrap();
    assert_eq!(close.code, Some(4100));
    server.stop().await;
}

/// Frames written straight into the socket, the rest of one the kernel took only part of,
/// and frames queued behind it while the client does not read: all arrive, whole and in
/// order, once it does.
async fn a_client_that_reads_late_gets_every_frame_whole_and_in_order(backend: Backend) {
    let config =
        RealtimeConfig { apps: vec![app()], outbound_queue: 1024, ..RealtimeConfig::default() };
    let server = helpers::spawn_with(backend, config).await;
    let mut late = helpers::subscribed(&server, "late").await;
    let api = server.api();
    // 600 events of 10 kB: several times what loopback socket buffers hold.
    let payload = "x".repeat(9_990);
    for round in 0..60 {
        let batch: Vec<BatchEvent> =
            (0..10).map(|i| event_e("late", format!("{}:{payload}", round * 10 + i))).collect();
        api.trigger_batch(batch).await.unwrap();
    }
    for expected in 0..600 {
        let frame = late.expect_event("e", Duration::from_secs(10)).await.unwrap();
        let data = frame.data.as_str().unwrap();
        assert_eq!(data, format!("{expected}:{payload}"), "event {expected} whole and in turn");
    }
    server.stop().await;
}
