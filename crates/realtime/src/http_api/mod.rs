//! The Pusher HTTP API, `/apps/{app_id}/...`: one module per route group, every request
//! signed, every success exactly 200 with the body the SDKs expect.

mod channels;
mod error;
mod events;
mod signed;
mod users;

use std::time::Instant;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};

use crate::state::AppState;
pub(crate) use error::ApiError;

/// The API routes, each request counted by status and timed.
pub(crate) fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/apps/{app_id}/events", post(events::trigger))
        .route("/apps/{app_id}/batch_events", post(events::batch))
        .route("/apps/{app_id}/channels", get(channels::list))
        .route("/apps/{app_id}/channels/{channel}", get(channels::show))
        .route("/apps/{app_id}/channels/{channel}/users", get(channels::users))
        .route("/apps/{app_id}/users/{user_id}/terminate_connections", post(users::terminate))
        .route_layer(middleware::from_fn_with_state(state, measure))
}

async fn measure(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.api_request(response.status().as_u16(), started.elapsed());
    response
}
