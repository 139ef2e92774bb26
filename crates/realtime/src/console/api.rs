//! The console's JSON endpoints under `/console/api`, and the live log as server-sent
//! events. Errors are `{ "error": code, "message": … }` with a 4xx or 503 status.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use super::session::{self, Session, now_secs};
use super::{Console, history, throttle};
use crate::app::App;
use crate::cluster::{Cluster, Consoles};
use crate::rate::TokenBucket;
use crate::tap::{Recv, Watch};
use crate::trigger::{Event, Source, TriggerError};

/// Records a console is sent per second at most; over it the log samples and says how many
/// it skipped, so a busy app cannot flood a browser.
const LOG_RATE: f64 = 200.0;
const LOG_BURST: f64 = 400.0;
/// A comment sent on a quiet log this often: a console closed without a word is noticed
/// at the next write, so its watch (and the cluster's relaying for it) ends soon after.
const KEEP_ALIVE: Duration = Duration::from_secs(5);
/// Channels listed at most.
const MAX_CHANNELS: usize = 1_000;

/// An error answer.
pub(super) fn error(status: StatusCode, code: &str, message: &str) -> (StatusCode, Json<Value>) {
    (status, Json(json!({ "error": code, "message": message })))
}

/// The TCP peer of a request, when the listener recorded it.
pub(super) struct Peer(Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0)))
    }
}

/// A request with a valid console session for an app whose console is on.
pub(super) struct SignedIn {
    app: Arc<App>,
    session: Session,
    peer: Option<SocketAddr>,
}

impl FromRequestParts<Console> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, console: &Console) -> Result<Self, Response> {
        let refused = || {
            error(StatusCode::UNAUTHORIZED, "unauthorized", "sign in to the console first")
                .into_response()
        };
        let value = session::cookie(&parts.headers).ok_or_else(refused)?;
        let app = session::claimed_app(value)
            .and_then(|id| console.state.apps.by_id(id))
            .filter(|app| app.config().console)
            .ok_or_else(refused)?;
        let now = now_secs();
        let mut found = None;
        let config = app.config();
        // A cookie signed before a rotation lasts as long as the old secret's grace period.
        let _ = config.check_signed(|secret| {
            found = session::verify(value, secret, now);
            found.as_ref().map(|_| ()).ok_or(())
        });
        drop(config);
        let session = found.ok_or_else(refused)?;
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
        Ok(Self { app, session, peer })
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct SignInRequest {
    app_id: String,
    secret: String,
}

/// `POST /console/api/session`: signs in with an app id and its secret.
pub(super) async fn sign_in(
    State(console): State<Console>,
    Peer(peer): Peer,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Ok(request) = serde_json::from_slice::<SignInRequest>(&body) else {
        let message = "expected {\"app_id\": …, \"secret\": …}";
        return error(StatusCode::BAD_REQUEST, "invalid_body", message).into_response();
    };
    let address = peer.map_or_else(|| "unknown".to_owned(), |p| p.ip().to_string());
    let keys = throttle::keys(&request.app_id, &address);
    if let Some(wait) = console.throttle.wait(&keys).await {
        let seconds = wait.as_secs().max(1);
        let message = format!("too many failed sign-ins; try again in {seconds} seconds");
        let mut response =
            error(StatusCode::TOO_MANY_REQUESTS, "throttled", &message).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return response;
    }
    let app = console.state.apps.by_id(&request.app_id);
    if app.as_ref().is_some_and(|app| !app.config().console) {
        let message = "the console is switched off for this app";
        return error(StatusCode::NOT_FOUND, "console_disabled", message).into_response();
    }
    let Some(app) = app.filter(|app| {
        let matches =
            |secret: &str| session::secret_matches(secret, &request.secret).then_some(()).ok_or(());
        app.config().check_signed(matches).is_ok()
    }) else {
        console.throttle.failed(&keys).await;
        let message = "wrong app id or secret";
        return error(StatusCode::UNAUTHORIZED, "wrong_credentials", message).into_response();
    };
    console.throttle.succeeded(&keys).await;
    let config = app.config();
    let value = session::issue(config.id.as_str(), config.secret.expose(), now_secs());
    let secure = session::over_tls(console.state.config.tls.is_some(), &headers);
    let mut response =
        Json(json!({ "app_id": config.id.as_str(), "key": config.key.as_str() })).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session::set_cookie(&value, secure)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /console/api/session`: who is signed in.
pub(super) async fn who(signed: SignedIn) -> Json<Value> {
    let config = signed.app.config();
    Json(json!({
        "app_id": config.id.as_str(), "key": config.key.as_str(), "expires": signed.session.expires,
    }))
}

/// `DELETE /console/api/session`: signs out.
pub(super) async fn sign_out(State(console): State<Console>, headers: HeaderMap) -> Response {
    let secure = session::over_tls(console.state.config.tls.is_some(), &headers);
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(cookie) = HeaderValue::from_str(&session::clear_cookie(secure)) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /console/api/log`: the app's records as server-sent events, each a JSON object
/// with `kind`; the first is `{"kind": "watching"}`, and `{"kind": "skipped", "count": n}`
/// says how many were left out. Ends with the session or the server.
pub(super) async fn log(State(console): State<Console>, signed: SignedIn) -> Response {
    let watch = signed.app.tap().watch();
    if let Some(cluster) = console.cluster.clone() {
        // Not awaited: a Redis that is slow to answer must not hold the log back.
        let app = signed.app.config().id.to_string();
        tokio::spawn(async move { cluster.watching(&app).await });
    }
    let ends = Duration::from_secs(signed.session.expires.saturating_sub(now_secs()));
    let watching = json!({ "kind": "watching", "time": now_secs() * 1000 });
    let log = Log {
        watch,
        bucket: TokenBucket::full(LOG_BURST, Instant::now()),
        skipped: 0,
        pending: VecDeque::from([Arc::from(watching.to_string())]),
        ends: tokio::time::Instant::now() + ends,
        stop: console.state.shutdown.clone(),
        tick: tokio::time::interval(Duration::from_secs(1)),
    };
    let keep_alive = KeepAlive::new().interval(KEEP_ALIVE);
    Sse::new(log.into_stream()).keep_alive(keep_alive).into_response()
}

/// One console's log stream: samples above [`LOG_RATE`].
struct Log {
    watch: Watch,
    bucket: TokenBucket,
    skipped: u64,
    /// Records ready to send, in order (the skipped count before the record it precedes).
    pending: VecDeque<Arc<str>>,
    ends: tokio::time::Instant,
    stop: CancellationToken,
    tick: tokio::time::Interval,
}

impl Log {
    fn into_stream(self) -> impl Stream<Item = Result<SseEvent, Infallible>> {
        futures_util::stream::unfold(self, |mut log| async move {
            let event = log.next().await?;
            Some((Ok(event), log))
        })
    }

    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(record) = self.pending.pop_front() {
                return Some(SseEvent::default().data(&*record));
            }
            let got = tokio::select! {
                () = self.stop.cancelled() => return None,
                () = tokio::time::sleep_until(self.ends) => return None,
                _ = self.tick.tick() => None,
                got = self.watch.recv() => Some(got?),
            };
            match got {
                None => {
                    self.watch.flush();
                    self.report_skipped();
                }
                Some(Recv::Skipped(count)) => self.skipped += count,
                Some(Recv::Record(record)) => {
                    if self.bucket.take(Instant::now(), LOG_RATE, LOG_BURST) {
                        self.report_skipped();
                        self.pending.push_back(record);
                    } else {
                        self.skipped += 1;
                    }
                }
            }
        }
    }

    fn report_skipped(&mut self) {
        if self.skipped > 0 {
            let count = std::mem::take(&mut self.skipped);
            let time = now_secs() * 1000;
            let report = json!({ "kind": "skipped", "count": count, "time": time });
            self.pending.push_back(Arc::from(report.to_string()));
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct TriggerRequest {
    channels: Vec<String>,
    name: String,
    data: String,
    socket_id: Option<String>,
}

/// `POST /console/api/events`: the Event Creator. The same rules as the HTTP API, published
/// in-process (the secret never leaves the server); answers what the API would (`{}`).
pub(super) async fn trigger(signed: SignedIn, body: Bytes) -> Response {
    let Ok(request) = serde_json::from_slice::<TriggerRequest>(&body) else {
        let message =
            "expected {\"channels\": […], \"name\": …, \"data\": \"…\", \"socket_id\"?: …}";
        return error(StatusCode::BAD_REQUEST, "invalid_body", message).into_response();
    };
    let app = &signed.app;
    let checked = Event::check(
        app,
        request.name,
        request.data,
        &request.channels,
        request.socket_id.as_deref().filter(|s| !s.is_empty()),
    );
    let event = match checked {
        Ok(event) => event,
        Err(refused) => {
            let status = match refused {
                TriggerError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                TriggerError::UnknownApp(_)
                | TriggerError::EventName
                | TriggerError::ChannelCount { .. }
                | TriggerError::Channel { .. }
                | TriggerError::EncryptedWithOthers
                | TriggerError::SocketId(_) => StatusCode::BAD_REQUEST,
            };
            return error(status, "invalid_event", &refused.to_string()).into_response();
        }
    };
    event.publish(app, Source::Console(signed.peer));
    app.published().await;
    Json(json!({})).into_response()
}

/// `GET /console/api/channels`: occupied channels with their counts and presence members.
pub(super) async fn channels(signed: SignedIn) -> Response {
    let app = &signed.app;
    let mut found = match app.channels_with_prefix("").await {
        Ok(found) => found,
        Err(cause) => {
            let message = format!("the cluster did not answer: {cause}");
            return error(StatusCode::SERVICE_UNAVAILABLE, "cluster_unavailable", &message)
                .into_response();
        }
    };
    found.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let truncated = found.len() > MAX_CHANNELS;
    found.truncate(MAX_CHANNELS);
    let mut channels = Vec::with_capacity(found.len());
    for (name, attributes) in found {
        let mut channel = json!({
            "name": name.as_str(), "subscription_count": attributes.subscription_count,
        });
        if name.kind().is_presence() {
            let members = app.presence_users(&name).await.unwrap_or_default();
            channel["user_count"] = json!(members.len());
            channel["members"] = json!(members);
        }
        channels.push(channel);
    }
    Json(json!({ "channels": channels, "truncated": truncated })).into_response()
}

/// `GET /console/api/overview`: connections now and this node's last hour; in a cluster
/// also each node's and their sum (`nodes`, `cluster`), or `cluster_error` when Redis did
/// not answer.
pub(super) async fn overview(State(console): State<Console>, signed: SignedIn) -> Json<Value> {
    let id = signed.app.id().as_str();
    let live = signed.app.connection_count();
    let mut answer = json!({
        "connections": live,
        "every_secs": history::EVERY.as_secs(),
        "history": console.history.of(id),
    });
    if let Some(cluster) = &console.cluster {
        answer["node"] = json!(cluster.node());
        match cluster.samples(id).await {
            Ok(nodes) => {
                let view = history::cluster(cluster.node(), live, nodes, now_secs() * 1000);
                answer["nodes"] = view["nodes"].clone();
                answer["cluster"] = view["cluster"].clone();
            }
            Err(error) => {
                cluster.failed("console overview", &error);
                answer["cluster_error"] = json!(format!("the cluster did not answer: {error}"));
            }
        }
    }
    Json(answer)
}
