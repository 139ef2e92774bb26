//! Phase one of a connection: the upgrade request (`/app/{key}`, also behind a path
//! prefix) and admission: the app, its origin rules, the protocol version and the quotas.
//!
//! The upgrade is checked like axum's `WebSocketUpgrade` (HTTP/1.1 only, as served), but
//! the task that then runs the connection is ours: axum's keeps its WebSocket settings and
//! protocol header (about 100 B) beside every connection for its whole life.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Version, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use pusher_protocol::{ErrorCode, PROTOCOL_VERSION, SocketId};
use serde_json::json;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use super::connection;
use super::io::refuse;
use super::session::Fatal;
use super::socket::Socket;
use crate::app::App;
use crate::state::AppState;
use crate::tap::Kind;

/// A checked WebSocket upgrade request, not yet answered.
#[derive(Debug)]
pub(crate) struct Upgrade {
    accept: HeaderValue,
    on_upgrade: OnUpgrade,
}

/// Why a request is not a WebSocket upgrade (the statuses axum's extractor gives).
#[derive(Debug)]
pub(crate) struct NotUpgrade(StatusCode, &'static str);

impl IntoResponse for NotUpgrade {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

fn header_is(headers: &HeaderMap, name: HeaderName, value: &str) -> bool {
    headers.get(name).is_some_and(|h| h.as_bytes().eq_ignore_ascii_case(value.as_bytes()))
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotUpgrade;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, NotUpgrade> {
        let bad = |what| Err(NotUpgrade(StatusCode::BAD_REQUEST, what));
        if parts.version > Version::HTTP_11 {
            return Err(NotUpgrade(StatusCode::HTTP_VERSION_NOT_SUPPORTED, "HTTP/1.1 only"));
        }
        if parts.method != Method::GET {
            return Err(NotUpgrade(StatusCode::METHOD_NOT_ALLOWED, "Request method must be `GET`"));
        }
        let connection = parts.headers.get(header::CONNECTION).and_then(|h| h.to_str().ok());
        if !connection.is_some_and(|c| c.to_ascii_lowercase().contains("upgrade")) {
            return bad("Connection header did not include 'upgrade'");
        }
        if !header_is(&parts.headers, header::UPGRADE, "websocket") {
            return bad("`Upgrade` header did not include 'websocket'");
        }
        let Some(key) = parts.headers.get(header::SEC_WEBSOCKET_KEY) else {
            return bad("`Sec-WebSocket-Key` header missing");
        };
        if !header_is(&parts.headers, header::SEC_WEBSOCKET_VERSION, "13") {
            return bad("`Sec-WebSocket-Version` header did not include '13'");
        }
        let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes()))
            .map_err(|_| NotUpgrade(StatusCode::BAD_REQUEST, "bad `Sec-WebSocket-Key`"))?;
        let on_upgrade = parts.extensions.remove::<OnUpgrade>().ok_or(NotUpgrade(
            StatusCode::UPGRADE_REQUIRED,
            "WebSocket request couldn't be upgraded since no upgrade state was present",
        ))?;
        Ok(Self { accept, on_upgrade })
    }
}

impl Upgrade {
    /// Answers 101 and, once hyper hands the socket over, runs `serve` on it in a new task
    /// that holds only `serve` (keep its captures small) and what it returns.
    fn on_upgrade<F, Fut>(self, serve: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let Self { accept, on_upgrade } = self;
        tokio::spawn(upgraded(on_upgrade, serve));
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        response
    }
}

/// The task of an upgraded connection: waits for hyper to hand the socket over, then
/// `serve`s it. Everything captured here stays for the connection's life: keep it small.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn keeps its arguments twice (rust-lang/rust#62958)"
)]
pub(super) fn upgraded<F, Fut>(
    on_upgrade: OnUpgrade,
    serve: F,
) -> impl Future<Output = ()> + Send + 'static
where
    F: FnOnce(Socket) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    async move {
        let Ok(upgraded) = on_upgrade.await else { return };
        serve(Socket::from_upgraded(upgraded)).await;
    }
}

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
    ws: Upgrade,
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
    // Boxed: the upgrade task keeps what the callback captured for the connection's whole
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
    ws: Result<Upgrade, NotUpgrade>,
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
