//! `GET /health` (the process is up), `GET /ready` (the database answers and shutdown has not
//! started) and request ids.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument as _;

use super::AppState;
use super::answers::StatusView;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// `GET /health`: the process is up.
#[utoipa::path(
    get, path = "/health", tag = "ops",
    responses((status = 200, description = "`ok`", body = StatusView)),
)]
pub(super) async fn health() -> Json<StatusView> {
    Json(StatusView { status: "ok" })
}

/// `GET /ready`: the database answers and shutdown has not started.
#[utoipa::path(
    get, path = "/ready", tag = "ops",
    responses(
        (status = 200, description = "`ready`", body = StatusView),
        (status = 503, description = "`draining` or `database unreachable`", body = StatusView),
    ),
)]
pub(super) async fn ready(State(state): State<AppState>) -> (StatusCode, Json<StatusView>) {
    if state.draining.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(StatusView { status: "draining" }));
    }
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(StatusView { status: "ready" })),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check: database unreachable");
            let status = StatusView { status: "database unreachable" };
            (StatusCode::SERVICE_UNAVAILABLE, Json(status))
        }
    }
}

/// Middleware: see [`super::with_request_id`].
pub(crate) async fn with_request_id(mut request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned);
    let value = HeaderValue::from_str(&id).unwrap_or_else(|_| HeaderValue::from_static("invalid"));
    request.headers_mut().insert(REQUEST_ID.clone(), value.clone());
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let started = std::time::Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "request"
        );
    });
    response.headers_mut().insert(REQUEST_ID.clone(), value);
    response
}
