//! Operations endpoints: `/health` (alive), `/ready` (accepting work; 503 while stopping)
//! and `/metrics` (Prometheus text).

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

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

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let apps = state
        .apps
        .iter()
        .map(|app| (app.config().id.as_str(), app.connection_count(), app.usage()));
    let text = state.metrics.render(apps);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}
