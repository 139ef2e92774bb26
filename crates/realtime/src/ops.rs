//! Operations endpoints: `/health` (alive), `/ready` (accepting work; 503 while stopping)
//! and `/metrics` (OpenMetrics or Prometheus text, as the scraper asks; only with the configured bearer token: the counters name
//! every app and are nobody else's business).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use subtle::ConstantTimeEq as _;

use crate::metrics::Format;
use crate::state::AppState;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
}

/// Alive; with the Redis backend also whether Redis answered the last call (a node without
/// Redis still serves its own connections, so this does not make it unhealthy).
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    match state.metrics.redis_is_up() {
        None => axum::Json(json!({ "status": "ok" })),
        Some(up) => axum::Json(json!({ "status": "ok", "redis": if up { "up" } else { "down" } })),
    }
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if state.shutdown.is_cancelled() {
        (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({ "status": "draining" })))
    } else {
        (StatusCode::OK, axum::Json(json!({ "status": "ready" })))
    }
}

/// 404 without a configured token (as if there were no such endpoint), 401 without the
/// right `Authorization: Bearer` token.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        let body = axum::Json(json!({ "error": "No route for /metrics" }));
        return (StatusCode::NOT_FOUND, body).into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(token.expose().as_bytes())) {
        let challenge = [(header::WWW_AUTHENTICATE, "Bearer")];
        let body = axum::Json(json!({ "error": "a valid bearer token is required" }));
        return (StatusCode::UNAUTHORIZED, challenge, body).into_response();
    }
    let apps = state.apps.all();
    let apps = apps.iter().map(|app| (app.id().as_str(), app.connection_count(), app.usage()));
    let accept = headers.get(header::ACCEPT).and_then(|value| value.to_str().ok());
    let format = Format::from_accept(accept);
    let text = state.metrics.render(apps, format);
    ([(header::CONTENT_TYPE, format.content_type())], text).into_response()
}
