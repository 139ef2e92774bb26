//! Phase one of a connection: the upgrade request (`/app/{key}`, also behind a path
//! prefix) and admission: the app, its origin rules, the protocol version and the quotas.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pusher_protocol::{ErrorCode, PROTOCOL_VERSION, SocketId};
use serde_json::json;

use super::io::refuse;
use super::session::Fatal;
use super::{READ_BUFFER, WRITE_BUFFER, connection};
use crate::app::App;
use crate::state::AppState;
use crate::tap::Kind;

/// The query parameters the server reads: `protocol`, and the client library's `client` and
/// `version`, which only the debug console shows (`flash` is ignored).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct ConnectQuery {
    protocol: Option<String>,
    client: Option<String>,
    version: Option<String>,
}

/// What the client asked for in its upgrade request.
#[derive(Debug)]
pub(super) struct Handshake {
    key: String,
    protocol: Option<String>,
    origin: Option<String>,
    client: Option<String>,
    version: Option<String>,
}

impl Handshake {
    /// Tells the app's console about a connection that opened.
    pub(super) fn tap_connected(&self, app: &App, socket_id: SocketId) {
        app.tap().record(Kind::Connected, || {
            json!({
                "socket_id": socket_id.to_string(), "origin": self.origin,
                "client": self.client, "version": self.version, "protocol": self.protocol,
            })
        });
    }

    /// Tells the app's console, when the key names one, about a connection refused.
    pub(super) fn tap_refused(&self, state: &AppState, fatal: &Fatal) {
        let Some(app) = state.apps.by_key(&self.key) else { return };
        app.tap().record(Kind::Refused, || {
            json!({
                "what": "connection", "code": fatal.code.code(), "reason": fatal.message,
                "origin": self.origin, "client": self.client, "version": self.version,
            })
        });
    }
}

/// `GET /app/{key}` (also behind a path prefix).
pub(crate) async fn upgrade(
    State(state): State<AppState>,
    Path(key): Path<String>,
    query: Query<ConnectQuery>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).map(str::to_owned);
    let Query(query) = query;
    let handshake = Handshake {
        key,
        protocol: query.protocol,
        origin,
        client: query.client,
        version: query.version,
    };
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

/// Decides whether a connection may open, counting it against the node's and the app's
/// quotas.
pub(super) fn admit(state: &AppState, handshake: &Handshake) -> Result<Arc<App>, Fatal> {
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

pub(super) fn next_socket_id() -> SocketId {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    // The random half keeps ids from different nodes apart; the counter keeps them unique here.
    SocketId::new(u64::from(rand::random::<u32>()), COUNTER.fetch_add(1, Ordering::Relaxed))
}
