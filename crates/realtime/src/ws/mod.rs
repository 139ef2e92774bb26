//! The WebSocket endpoint `/app/{key}`: checks the app and protocol, then runs one task per
//! connection that owns its socket, its session and its single timer.

mod session;

use std::future::poll_fn;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::ready;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::SinkExt;
use pusher_protocol::{ErrorCode, PROTOCOL_VERSION, ServerMessage, SocketId};
use tokio::time::{Instant, sleep_until};
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::app::App;
use crate::config::RealtimeConfig;
use crate::conn::{ConnHandle, Kick};
use crate::state::AppState;
use session::{Fatal, Session};

/// Bytes read from a client socket at a time. Client frames are small (a subscribe with a
/// presence signature is a few hundred bytes) and the buffer grows for a larger one, so an
/// idle connection keeps only this much.
const READ_BUFFER: usize = 512;

/// Outgoing bytes gathered before a write to the socket.
const WRITE_BUFFER: usize = 4 * 1024;

/// Frames drained from the queue before one flush, so a burst costs one write.
const FLUSH_BATCH: usize = 64;

/// How long a closing handshake may take before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// What every connection is told when the server stops.
const SHUTDOWN: Kick =
    Kick { code: ErrorCode::ReconnectImmediately, reason: "Server is restarting" };

/// The WebSocket routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/app/{key}", get(upgrade)).route("/{*prefixed}", get(prefixed_upgrade))
}

/// The one query parameter the server reads (`client`, `version` and `flash` are ignored).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ConnectQuery {
    protocol: Option<String>,
}

/// What the client asked for in its upgrade request.
#[derive(Debug)]
struct Handshake {
    key: String,
    protocol: Option<String>,
    origin: Option<String>,
}

/// `GET /app/{key}` (also behind a path prefix).
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(query): Query<ConnectQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
    let handshake = Handshake { key, protocol: query.protocol, origin };
    let config = &state.config;
    let ws = ws
        .max_message_size(config.max_frame_bytes)
        .max_frame_size(config.max_frame_bytes)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER);
    // Boxed: axum's upgrade task keeps what the callback captured for the connection's whole
    // life, so the callback holds one pointer.
    let pending = Box::new((state, handshake));
    ws.on_upgrade(move |socket| {
        let (state, handshake) = *pending;
        connection(socket, state, handshake)
    })
}

/// Any other GET path: `/{prefix}/app/{key}` is served like `/app/{key}`; another WebSocket
/// request is upgraded and closed with 4005; anything else is a JSON 404.
pub(crate) async fn prefixed_upgrade(
    State(state): State<AppState>,
    Path(path): Path<String>,
    query: Query<ConnectQuery>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else {
        let body = serde_json::json!({ "error": format!("No route for /{path}") });
        return (StatusCode::NOT_FOUND, Json(body)).into_response();
    };
    match path.rsplit_once("/app/") {
        Some((_, key)) if !key.is_empty() && !key.contains('/') => {
            upgrade(State(state), Path(key.to_owned()), query, headers, ws).await
        }
        _ => ws.on_upgrade(|mut socket| async move {
            refuse(&mut socket, ErrorCode::PathNotFound, "Path not found; expected /app/{key}")
                .await;
        }),
    }
}

/// The connection's task. Admission is decided when the upgrade completes, before the
/// first poll, so the task keeps nothing of the handshake.
///
/// Not an `async fn`: one would keep each argument twice in the task, as the call's argument
/// and as its local (rust-lang/rust#62958), and this future lives as long as the connection.
fn connection(
    socket: WebSocket,
    state: AppState,
    handshake: Handshake,
) -> impl Future<Output = ()> + Send + 'static {
    // Shutdown waits for this token to drop.
    let tracked = state.connections.token();
    let admitted = admit(&state, &handshake).map(|app| Open::new(app, state));
    drop(handshake);
    let mut connection = Connection { socket, admitted, _tracked: tracked };
    async move {
        let ending = match &mut connection.admitted {
            Ok(open) => run(&mut connection.socket, open).await,
            Err(fatal) => Ending::Refuse(fatal.code, std::mem::take(&mut fatal.message)),
        };
        // Boxed: it runs once, and would otherwise widen every idle task.
        Box::pin(connection.end(ending)).await;
    }
}

/// Everything a connection's task owns. Its methods borrow it, so the task stores it once.
#[derive(Debug)]
struct Connection {
    socket: WebSocket,
    admitted: Result<Open, Fatal>,
    _tracked: TaskTrackerToken,
}

/// An admitted connection's state, besides its socket.
#[derive(Debug)]
struct Open {
    state: AppState,
    session: Session,
    handle: ConnHandle,
}

impl Open {
    fn new(app: Arc<App>, state: AppState) -> Self {
        app.usage().connections_total.fetch_add(1, Ordering::Relaxed);
        let handle = ConnHandle::new(next_socket_id(), state.config.outbound_queue);
        let session = Session::new(app, handle.clone());
        Self { state, session, handle }
    }
}

impl Connection {
    /// Forgets the connection, then tells the client why it ends.
    async fn end(&mut self, ending: Ending) {
        if let Ok(open) = &mut self.admitted {
            open.session.finish();
            let app = open.session.app();
            app.disconnected();
            open.state.node_connections.fetch_sub(1, Ordering::AcqRel);
            if matches!(ending, Ending::Refuse(ErrorCode::OverCapacity, _)) {
                app.usage().slow_client_closes.fetch_add(1, Ordering::Relaxed);
            }
        }
        match ending {
            Ending::Gone => {}
            Ending::Refuse(code, message) => refuse(&mut self.socket, code, &message).await,
            Ending::TooLarge => close_with(&mut self.socket, 1009, "Message too large").await,
        }
    }
}

/// Decides whether a connection may open, counting it against the node's and the app's
/// quotas.
fn admit(state: &AppState, handshake: &Handshake) -> Result<Arc<App>, Fatal> {
    let fatal = |code, message: String| Fatal { code, message };
    let key = &handshake.key;
    let app = state
        .apps
        .by_key(key)
        .ok_or_else(|| fatal(ErrorCode::AppNotFound, format!("App key {key} does not exist")))?;
    if !app.config().enabled {
        return Err(fatal(ErrorCode::AppDisabled, "Application is disabled".to_owned()));
    }
    if !app.config().allows_origin(handshake.origin.as_deref()) {
        let origin = handshake.origin.as_deref().unwrap_or("(none)");
        return Err(fatal(ErrorCode::Unauthorized, format!("Origin {origin} is not allowed")));
    }
    let protocol = handshake
        .protocol
        .as_ref()
        .ok_or_else(|| fatal(ErrorCode::NoProtocol, "No protocol version given".to_owned()))?;
    let version: u32 = protocol.parse().map_err(|_| {
        fatal(ErrorCode::InvalidVersion, format!("Invalid version string {protocol:?}"))
    })?;
    if version != PROTOCOL_VERSION {
        return Err(fatal(
            ErrorCode::UnsupportedProtocol,
            format!("Unsupported protocol version {version}"),
        ));
    }
    let limit = state.config.max_connections.unwrap_or(usize::MAX);
    let node_slot = state
        .node_connections
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1));
    if node_slot.is_err() {
        return Err(fatal(ErrorCode::OverCapacity, "Server is over capacity".to_owned()));
    }
    if !app.try_connect() {
        state.node_connections.fetch_sub(1, Ordering::AcqRel);
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
    SocketId::new(u64::from(rand::random::<u32>()), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// How a connection ends, decided before the closing handshake so the hub forgets it at once.
#[derive(Debug)]
enum Ending {
    /// The client left or the socket failed: nothing more to say.
    Gone,
    /// `pusher:error` with the code, then a close frame with the same code.
    Refuse(ErrorCode, String),
    /// A message over the size limit: close 1009.
    TooLarge,
}

impl From<Kick> for Ending {
    fn from(kick: Kick) -> Self {
        Self::Refuse(kick.code, kick.reason.to_owned())
    }
}

/// The connection loop: the client's frames, the queue and kicks, the timer and shutdown.
///
/// Its state is most of an idle connection's memory, so it keeps few locals: fields are
/// reached through `open` rather than borrowed into locals, messages from the client are
/// handled in a boxed future, and the write happens outside the `select!` whose output
/// would otherwise stay alive beside it.
async fn run(socket: &mut WebSocket, open: &mut Open) -> Ending {
    let established = ServerMessage::ConnectionEstablished {
        socket_id: open.handle.socket_id(),
        activity_timeout: open.state.config.activity_timeout,
    }
    .to_json();
    if send(socket, established).await.is_err() {
        return Ending::Gone;
    }
    let mut activity = Instant::now() + open.state.config.activity_timeout();
    let app = open.session.app().config();
    let mut sign_in_by = app
        .require_user_authentication
        .then(|| Instant::now() + Duration::from_secs(app.user_authentication_timeout));
    let mut timer = pin!(sleep_until(earliest(activity, sign_in_by)));
    // Made once, not on every pass: each new waiter is a lock and a list update.
    let mut stopping = pin!(open.state.shutdown.cancelled());
    let mut awaiting_pong = false;
    loop {
        let write = tokio::select! {
            biased;
            () = &mut stopping => return Box::pin(shutdown(&open.state.config)).await,
            incoming = socket.recv() => {
                // A kick outranks whatever the client says.
                if let Err(kick) = open.handle.check_kick() {
                    return kick.into();
                }
                activity = Instant::now() + open.state.config.activity_timeout();
                awaiting_pong = false;
                // Boxed: messages from the client are rare, and this state would otherwise
                // widen every idle task.
                if let Some(ending) = Box::pin(receive(socket, &mut open.session, incoming)).await {
                    return ending;
                }
                if open.session.signed_in() {
                    sign_in_by = None;
                }
                timer.as_mut().reset(earliest(activity, sign_in_by));
                false
            }
            queued = open.handle.queued() => match queued {
                Ok(()) => true,
                Err(kick) => return kick.into(),
            },
            () = &mut timer => {
                let now = Instant::now();
                if sign_in_by.is_some_and(|deadline| deadline <= now) {
                    let message = "Connection did not sign in in time".to_owned();
                    return Ending::Refuse(ErrorCode::Unauthorized, message);
                }
                if activity <= now {
                    if awaiting_pong {
                        let message = "Pong reply not received".to_owned();
                        return Ending::Refuse(ErrorCode::PongNotReceived, message);
                    }
                    awaiting_pong = true;
                    activity = now + open.state.config.pong_timeout();
                    if send(socket, ServerMessage::Ping.to_json()).await.is_err() {
                        return Ending::Gone;
                    }
                }
                timer.as_mut().reset(earliest(activity, sign_in_by));
                false
            }
        };
        if !write {
            continue;
        }
        if open.state.shutdown.is_cancelled() {
            return Box::pin(shutdown(&open.state.config)).await;
        }
        // A client that stops reading blocks the write; a kick or shutdown must still get
        // through, so a write that cannot finish at once races them. The write is polled
        // first, so a write that finishes at once registers no waiter.
        tokio::select! {
            biased;
            written = write_queued(socket, &open.handle) => match written {
                Ok((count, bytes)) => {
                    let usage = open.session.app().usage();
                    usage.messages_out.fetch_add(count, Ordering::Relaxed);
                    usage.bytes_out.fetch_add(bytes, Ordering::Relaxed);
                }
                Err(_) => return Ending::Gone,
            },
            kick = open.handle.kicked() => return kick.into(),
            () = &mut stopping => return Box::pin(shutdown(&open.state.config)).await,
        }
    }
}

/// The one timer serves both the activity check and the sign-in deadline.
fn earliest(activity: Instant, sign_in_by: Option<Instant>) -> Instant {
    sign_in_by.map_or(activity, |deadline| deadline.min(activity))
}

/// Waits a random part of the jitter window, so clients do not all reconnect at once.
async fn shutdown(config: &RealtimeConfig) -> Ending {
    if config.shutdown_jitter_ms > 0 {
        let delay = rand::random_range(0..config.shutdown_jitter_ms);
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    SHUTDOWN.into()
}

/// Handles one message from the client; `Some` when the connection must end.
async fn receive(
    socket: &mut WebSocket,
    session: &mut Session,
    incoming: Option<Result<Message, axum::Error>>,
) -> Option<Ending> {
    let text = match incoming {
        Some(Ok(Message::Text(text))) => text,
        Some(Ok(Message::Binary(_))) => {
            let error = ServerMessage::Error {
                code: None,
                message: "Binary frames are not supported",
                channel: None,
            };
            return send(socket, error.to_json()).await.err().map(|_| Ending::Gone);
        }
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => return None,
        Some(Ok(Message::Close(_))) | None => return Some(Ending::Gone),
        Some(Err(error)) => return Some(read_failed(&error)),
    };
    let usage = session.app().usage();
    usage.messages_in.fetch_add(1, Ordering::Relaxed);
    usage.bytes_in.fetch_add(text.len() as u64, Ordering::Relaxed);
    // Boxed: a handler may wait on Redis, and its state would otherwise be part of every
    // idle connection's task.
    let result = Box::pin(session.handle_text(&text)).await;
    if flush_replies(socket, session).await.is_err() {
        return Some(Ending::Gone);
    }
    result.err().map(|fatal| Ending::Refuse(fatal.code, fatal.message))
}

/// Sends one message and flushes. Written against the `Sink` methods rather than with
/// `SinkExt::send`, whose future is twice the size, because this runs inside every
/// connection's task.
async fn send(socket: &mut WebSocket, text: String) -> Result<(), axum::Error> {
    let mut message = Some(Message::Text(Utf8Bytes::from(text)));
    poll_fn(|cx| {
        if message.is_some() {
            ready!(socket.poll_ready_unpin(cx))?;
        }
        if let Some(message) = message.take() {
            socket.start_send_unpin(message)?;
        }
        socket.poll_flush_unpin(cx)
    })
    .await
}

async fn flush_replies(socket: &mut WebSocket, session: &mut Session) -> Result<(), axum::Error> {
    if session.replies.is_empty() {
        return Ok(());
    }
    // Taken, not drained, so an idle connection keeps no reply buffer.
    for reply in std::mem::take(&mut session.replies) {
        socket.feed(Message::Text(Utf8Bytes::from(reply))).await?;
    }
    socket.flush().await
}

/// Writes up to `FLUSH_BATCH` queued frames and flushes once. Returns how many frames and
/// bytes went out. A frame leaves the queue only when the socket takes it, and, like `send`,
/// the state is two counts rather than `SinkExt` futures.
async fn write_queued(
    socket: &mut WebSocket,
    handle: &ConnHandle,
) -> Result<(u64, u64), axum::Error> {
    let (mut count, mut bytes) = (0, 0);
    poll_fn(|cx| {
        while count < FLUSH_BATCH as u64 {
            ready!(socket.poll_ready_unpin(cx))?;
            let Some(frame) = handle.pop() else { break };
            count += 1;
            bytes += frame.len() as u64;
            socket.start_send_unpin(Message::Text(frame))?;
        }
        socket.poll_flush_unpin(cx)
    })
    .await?;
    Ok((count, bytes))
}

/// Sends `pusher:error` with the code, then closes with the same code.
async fn refuse(socket: &mut WebSocket, code: ErrorCode, message: &str) {
    let error = ServerMessage::Error { code: Some(code), message, channel: None };
    let sent = tokio::time::timeout(CLOSE_TIMEOUT, send(socket, error.to_json())).await;
    if matches!(sent, Ok(Ok(()))) {
        close_with(socket, code.code(), message).await;
    }
}

/// Sends a close frame; a client that does not read within the timeout is just dropped.
async fn close_with(socket: &mut WebSocket, code: u16, reason: &str) {
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    let reason: String = reason.chars().take(100).collect();
    let frame = CloseFrame { code, reason: Utf8Bytes::from(reason) };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

fn read_failed(error: &axum::Error) -> Ending {
    tracing::debug!(%error, "websocket read failed");
    // Only a message over the size limit is worth telling the client about.
    let too_large = std::error::Error::source(error)
        .and_then(|e| e.downcast_ref::<tokio_tungstenite::tungstenite::Error>())
        .is_some_and(|e| matches!(e, tokio_tungstenite::tungstenite::Error::Capacity(_)));
    if too_large { Ending::TooLarge } else { Ending::Gone }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of what `f` returns, here a future, without making one.
    fn returned_size<A, R>(_: impl Fn(A) -> R) -> usize {
        std::mem::size_of::<R>()
    }

    /// The connection's future is most of an idle connection's memory (BENCHMARKS.md, idle):
    /// something large awaited inline in `run` (rather than boxed, like `receive`) widens
    /// every connection.
    #[test]
    fn a_connection_task_stays_small() {
        let connection =
            returned_size(|(socket, state, handshake): (WebSocket, AppState, Handshake)| {
                connection(socket, state, handshake)
            });
        let run = returned_size(|(socket, open): (&mut WebSocket, &mut Open)| run(socket, open));
        assert!(connection <= 1_216, "connection future: {connection} bytes");
        assert!(run <= 576, "run future: {run} bytes");
    }
}
