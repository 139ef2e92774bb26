//! `POST /apps/{id}/users/{user_id}/terminate_connections`.

use axum::Json;
use axum::extract::Path;
use pusher_protocol::api::TriggerResponse;

use super::ApiError;
use super::signed::Signed;

/// Closes every connection signed in as the user, on every node, with 4009. Answers `{}`.
pub(crate) async fn terminate(
    Path((_app_id, user_id)): Path<(String, String)>,
    signed: Signed,
) -> Result<Json<TriggerResponse>, ApiError> {
    let closed = signed.app.terminate(&user_id);
    tracing::info!(app = %signed.app.config().id, %user_id, closed, "terminated user connections");
    Ok(Json(TriggerResponse::default()))
}
