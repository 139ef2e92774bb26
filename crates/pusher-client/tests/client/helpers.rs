//! In-test servers: an HTTP API that records and verifies every request, and a scripted
//! WebSocket server. Both bind port 0.

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use pusher_client::{Endpoint, PusherClient, Secret, Target};
use pusher_protocol::sign::{ApiAuthError, SignedRequest};

pub(crate) const APP_ID: &str = "app-id";
pub(crate) const KEY: &str = "app-key";
pub(crate) const SECRET: &str = "app-secret";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    /// The path exactly as sent, still percent-encoded.
    pub(crate) path: String,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) body: String,
    pub(crate) verified: Result<(), ApiAuthError>,
}

impl Recorded {
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("recorded body is JSON")
    }
}

#[derive(Clone)]
struct ApiState {
    log: Arc<Mutex<Vec<Recorded>>>,
    reply: (StatusCode, &'static str),
}

/// An HTTP API answering every request with `reply`, and the log of what it received.
pub(crate) async fn spawn_api(
    status: u16,
    body: &'static str,
) -> (PusherClient, Arc<Mutex<Vec<Recorded>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let state = ApiState {
        log: log.clone(),
        reply: (StatusCode::from_u16(status).expect("valid status"), body),
    };
    let port = serve(Router::new().fallback(record).with_state(state)).await;
    (client(port), log)
}

pub(crate) fn client(port: u16) -> PusherClient {
    let target = Target::new(APP_ID, KEY, Secret::new(SECRET))
        .expect("valid target")
        .with_endpoint(Endpoint::host("127.0.0.1", port, false).expect("valid endpoint"));
    PusherClient::new(target).expect("client builds")
}

async fn record(State(state): State<ApiState>, method: Method, uri: Uri, body: Bytes) -> Response {
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned().collect();
    let now =
        SystemTime::now().duration_since(UNIX_EPOCH).expect("system clock after 1970").as_secs();
    let verified =
        SignedRequest { method: method.as_str(), path: uri.path(), params: &params, body: &body }
            .verify(KEY, SECRET, now);
    let status = if verified.is_ok() { state.reply.0 } else { StatusCode::UNAUTHORIZED };
    let reply = if verified.is_ok() {
        state.reply.1.to_owned()
    } else {
        serde_json::json!({ "error": format!("{verified:?}") }).to_string()
    };
    state.log.lock().expect("log lock").push(Recorded {
        method: method.to_string(),
        path: uri.path().to_owned(),
        params,
        body: String::from_utf8(body.to_vec()).expect("UTF-8 body"),
        verified,
    });
    (status, reply).into_response()
}

/// A WebSocket server at `/app/{key}` whose behaviour depends on the key:
/// `app-key` establishes, answers one subscribe, pings, sends one event after the pong and
/// closes with 4200; `unknown` is refused with 4001; `drop` establishes and hangs up.
pub(crate) async fn spawn_ws() -> u16 {
    serve(Router::new().route("/app/{key}", get(upgrade))).await
}

async fn upgrade(Path(key): Path<String>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| script(key, socket))
}

const ESTABLISHED: &str = r#"{"event":"pusher:connection_established","data":"{\"socket_id\":\"123.456\",\"activity_timeout\":120}"}"#;

async fn script(key: String, mut socket: WebSocket) {
    match key.as_str() {
        "unknown" => {
            let error = r#"{"event":"pusher:error","data":{"code":4001,"message":"App key unknown does not exist"}}"#;
            socket.send(Message::text(error)).await.expect("send");
            close(&mut socket, 4001, "App key unknown does not exist").await;
        }
        "drop" => {
            socket.send(Message::text(ESTABLISHED)).await.expect("send");
        }
        _ => established(socket).await,
    }
}

async fn established(mut socket: WebSocket) {
    socket.send(Message::text(ESTABLISHED)).await.expect("send");
    let subscribe = next_json(&mut socket).await;
    assert_eq!(subscribe["event"], "pusher:subscribe");
    let channel =
        subscribe["data"]["channel"].as_str().expect("subscribe names a channel").to_owned();
    let succeeded = serde_json::json!({
        "event": "pusher_internal:subscription_succeeded", "channel": channel, "data": "{}"
    });
    socket.send(Message::text(succeeded.to_string())).await.expect("send");
    socket.send(Message::text(r#"{"event":"pusher:ping","data":{}}"#)).await.expect("send");
    let pong = next_json(&mut socket).await;
    assert_eq!(pong, serde_json::json!({"event": "pusher:pong", "data": {}}));
    let event = serde_json::json!({
        "event": "payment.received", "channel": channel, "data": r#"{"amount":5}"#
    });
    socket.send(Message::text(event.to_string())).await.expect("send");
    close(&mut socket, 4200, "Server shutting down").await;
}

async fn next_json(socket: &mut WebSocket) -> serde_json::Value {
    loop {
        match socket.recv().await {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str()).expect("client frames are JSON");
            }
            Some(Ok(_)) => {}
            other => panic!("connection ended: {other:?}"),
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame { code, reason: reason.into() };
    socket.send(Message::Close(Some(frame))).await.expect("send close");
    // Wait for the client's answering close before the socket is dropped.
    while let Some(Ok(_)) = socket.recv().await {}
}

async fn serve(app: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let port = listener.local_addr().expect("local address").port();
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    port
}
