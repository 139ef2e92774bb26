//! The WebSocket endpoint `/app/{key}`: checks the app and protocol, then runs one task per
//! connection that owns its socket, its session and its single timer.

mod session;

use std::collections::HashMap;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt;
use pusher_protocol::{ErrorCode, PROTOCOL_VERSION, ServerMessage, SocketId};
use tokio::time::{Instant, sleep_until};

use crate::apps::App;
use crate::conn::{ConnHandle, ConnInbox};
use crate::server::AppState;
pub(crate) use session::CACHE_TTL;
use session::{Fatal, Session};

/// Frames drained from the queue before one flush, so a burst costs one write.
const FLUSH_BATCH: usize = 64;

/// `GET /app/{key}` (also behind a path prefix).
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let config = &state.config;
    ws.max_message_size(config.max_frame_bytes)
        .max_frame_size(config.max_frame_bytes)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| connection(socket, state, key, query))
}

/// Any other GET path: `/{prefix}/app/{key}` is served like `/app/{key}`; another WebSocket
/// request is upgraded and closed with 4005; anything else is a JSON 404.
pub(crate) async fn prefixed_upgrade(
    State(state): State<AppState>,
    Path(path): Path<String>,
    query: Query<HashMap<String, String>>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        let body = serde_json::json!({ "error": format!("No route for /{path}") });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    };
    match path.rsplit_once("/app/") {
        Some((_, key)) if !key.is_empty() && !key.contains('/') => {
            upgrade(State(state), Path(key.to_owned()), query, ws).await
        }
        _ => ws.on_upgrade(|mut socket| async move {
            refuse(
                &mut socket,
                ErrorCode::PathNotFound,
                "Path not found; expected /app/{key}",
            )
            .await;
        }),
    }
}

async fn connection(
    mut socket: WebSocket,
    state: AppState,
    key: String,
    query: HashMap<String, String>,
) {
    // Shutdown waits for this token to drop.
    let _tracked = state.connections.token();
    let app = match admit(&state, &key, &query) {
        Ok(app) => app,
        Err(fatal) => return refuse(&mut socket, fatal.code, &fatal.message).await,
    };
    let socket_id = next_socket_id();
    let (conn, inbox) = ConnHandle::new(socket_id, state.config.outbound_queue);
    let mut session = Session::new(app.clone(), conn);
    run(&mut socket, &state, &mut session, inbox).await;
    session.finish();
    app.hub.disconnect();
}

/// Decides whether a connection may open, counting it against the app's quota.
fn admit(state: &AppState, key: &str, query: &HashMap<String, String>) -> Result<Arc<App>, Fatal> {
    let fatal = |code, message: String| Fatal { code, message };
    let app = state.apps.by_key(key).ok_or_else(|| {
        fatal(
            ErrorCode::AppNotFound,
            format!("App key {key} does not exist"),
        )
    })?;
    if !app.config.enabled {
        return Err(fatal(
            ErrorCode::AppDisabled,
            "Application is disabled".to_owned(),
        ));
    }
    let protocol = query.get("protocol").ok_or_else(|| {
        fatal(
            ErrorCode::NoProtocol,
            "No protocol version given".to_owned(),
        )
    })?;
    let version: u32 = protocol.parse().map_err(|_| {
        fatal(
            ErrorCode::InvalidVersion,
            format!("Invalid version string {protocol:?}"),
        )
    })?;
    if version != PROTOCOL_VERSION {
        return Err(fatal(
            ErrorCode::UnsupportedProtocol,
            format!("Unsupported protocol version {version}"),
        ));
    }
    if !app.hub.try_connect(app.config.max_connections) {
        return Err(fatal(
            ErrorCode::OverConnectionQuota,
            "Application is over its connection quota".to_owned(),
        ));
    }
    Ok(app.clone())
}

fn next_socket_id() -> SocketId {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    // The random half keeps ids from different nodes apart; the counter keeps them unique here.
    SocketId::new(
        u64::from(rand::random::<u32>()),
        COUNTER.fetch_add(1, Ordering::Relaxed),
    )
}

/// The connection loop: the client's frames, the queue, the kick, the timer and shutdown.
async fn run(socket: &mut WebSocket, state: &AppState, session: &mut Session, inbox: ConnInbox) {
    let ConnInbox { mut frames, handle } = inbox;
    let config = &state.config;
    let established = ServerMessage::ConnectionEstablished {
        socket_id: handle.socket_id(),
        activity_timeout: config.activity_timeout,
    };
    if send(socket, established.to_json()).await.is_err() {
        return;
    }
    let mut timer = pin!(sleep_until(Instant::now() + config.activity_timeout()));
    let mut awaiting_pong = false;
    loop {
        tokio::select! {
            biased;
            kick = handle.kicked() => return refuse(socket, kick.code, kick.reason).await,
            () = state.shutdown.cancelled() => {
                return close(socket, ErrorCode::ReconnectImmediately, "Server is restarting").await;
            }
            incoming = socket.recv() => {
                timer.as_mut().reset(Instant::now() + config.activity_timeout());
                awaiting_pong = false;
                match incoming {
                    Some(Ok(Message::Text(text))) => {
                        let result = session.handle_text(&text);
                        if flush_replies(socket, session).await.is_err() {
                            return;
                        }
                        if let Err(fatal) = result {
                            return refuse(socket, fatal.code, &fatal.message).await;
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        let error = ServerMessage::Error { code: None, message: "Binary frames are not supported", channel: None };
                        if send(socket, error.to_json()).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => return,
                    Some(Err(error)) => return read_failed(socket, &error).await,
                }
            }
            Some(frame) = frames.recv() => {
                if write_queued(socket, frame, &mut frames).await.is_err() {
                    return;
                }
            }
            () = &mut timer => {
                if awaiting_pong {
                    return close(socket, ErrorCode::PongNotReceived, "Pong reply not received").await;
                }
                awaiting_pong = true;
                timer.as_mut().reset(Instant::now() + config.pong_timeout());
                if send(socket, ServerMessage::Ping.to_json()).await.is_err() {
                    return;
                }
            }
        }
    }
}

async fn send(socket: &mut WebSocket, text: String) -> Result<(), axum::Error> {
    socket.send(Message::Text(Utf8Bytes::from(text))).await
}

async fn flush_replies(socket: &mut WebSocket, session: &mut Session) -> Result<(), axum::Error> {
    if session.replies.is_empty() {
        return Ok(());
    }
    for reply in session.replies.drain(..) {
        socket.feed(Message::Text(Utf8Bytes::from(reply))).await?;
    }
    socket.flush().await
}

/// Writes one queued frame and whatever else is already queued, then flushes once.
async fn write_queued(
    socket: &mut WebSocket,
    first: crate::conn::Frame,
    frames: &mut tokio::sync::mpsc::Receiver<crate::conn::Frame>,
) -> Result<(), axum::Error> {
    socket.feed(Message::Text(first)).await?;
    for _ in 1..FLUSH_BATCH {
        match frames.try_recv() {
            Ok(frame) => socket.feed(Message::Text(frame)).await?,
            Err(_) => break,
        }
    }
    socket.flush().await
}

/// Sends `pusher:error` with the code, then closes with the same code.
async fn refuse(socket: &mut WebSocket, code: ErrorCode, message: &str) {
    let error = ServerMessage::Error {
        code: Some(code),
        message,
        channel: None,
    };
    if send(socket, error.to_json()).await.is_ok() {
        close(socket, code, message).await;
    }
}

async fn close(socket: &mut WebSocket, code: ErrorCode, reason: &str) {
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    let reason: String = reason.chars().take(100).collect();
    let frame = CloseFrame {
        code: code.code(),
        reason: Utf8Bytes::from(reason),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

async fn read_failed(socket: &mut WebSocket, error: &axum::Error) {
    // A frame over the size limit is the only read error worth telling the client about.
    let text = error.to_string();
    if text.contains("too long") || text.contains("Space limit") || text.contains("size") {
        let frame = CloseFrame {
            code: 1009,
            reason: Utf8Bytes::from_static("Frame too large"),
        };
        let _ = socket.send(Message::Close(Some(frame))).await;
    }
    tracing::debug!(%error, "websocket read failed");
}
