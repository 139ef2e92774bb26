//! Web Push: `GET /api/push/key` → `{publicKey}` (the VAPID key browsers subscribe with),
//! `POST /api/push/subscriptions` with `PushSubscription.toJSON()` (`endpoint`,
//! `keys.p256dh`, `keys.auth`) → 201 added or 200 updated, `DELETE /api/push/subscriptions`
//! with `{endpoint}` → 204. Owner session for all three.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::ToSchema;

use super::answers::{PushKeyView, SubscriptionView};
use super::error::ErrorBody;
use super::extract::{CurrentUser, JsonBody};
use super::{ApiError, AppState};
use crate::domain::{Timestamp, ValidationError};
use crate::push::{MAX_SUBSCRIPTIONS, Subscription};
use crate::store::{NewPushSubscription, Registered};

/// The body of `POST`: what `PushSubscription.toJSON()` gives (other fields ignored).
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct SubscriptionBody {
    endpoint: String,
    keys: KeysBody,
}

/// The browser's keys, base64url.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct KeysBody {
    p256dh: String,
    auth: String,
}

/// The body of `DELETE`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct EndpointBody {
    endpoint: String,
}

/// `GET /api/push/key` → `{publicKey}`: unpadded base64url of the 65-byte P-256 point.
#[utoipa::path(
    get, path = "/api/push/key", tag = "push", security(("session" = [])),
    responses((status = 200, description = "The VAPID public key", body = PushKeyView)),
)]
pub(crate) async fn key(
    State(state): State<AppState>,
    CurrentUser(_user): CurrentUser,
) -> Json<PushKeyView> {
    Json(PushKeyView { public_key: state.settings.push.key.public_key() })
}

/// `POST /api/push/subscriptions`: registers this browser for the owner's pushes.
#[utoipa::path(
    post, path = "/api/push/subscriptions", tag = "push", security(("session" = [])),
    request_body = SubscriptionBody,
    responses(
        (status = 201, description = "Added", body = SubscriptionView),
        (status = 200, description = "Updated (the endpoint was known)", body = SubscriptionView),
        (status = 409, description = "As many browsers as allowed", body = ErrorBody),
        (status = 422, description = "Invalid, field by field", body = ErrorBody),
    ),
)]
pub(crate) async fn subscribe(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(body): JsonBody<SubscriptionBody>,
) -> Result<Response, ApiError> {
    let subscription = Subscription::parse(&body.endpoint, &body.keys.p256dh, &body.keys.auth)
        .map_err(|error| ValidationError::field(error.field(), error.to_string()))?;
    let (p256dh, auth) = subscription.key_texts();
    let new = NewPushSubscription { endpoint: subscription.endpoint.to_string(), p256dh, auth };
    let registered = state
        .store
        .register_push_subscription(&user.id, &new, MAX_SUBSCRIPTIONS, Timestamp::now())
        .await?;
    let status = match registered {
        Registered::Added => StatusCode::CREATED,
        Registered::Updated => StatusCode::OK,
        Registered::LimitReached => return Err(ApiError::TooManySubscriptions(MAX_SUBSCRIPTIONS)),
    };
    Ok((status, Json(SubscriptionView { endpoint: new.endpoint })).into_response())
}

/// `DELETE /api/push/subscriptions` with `{endpoint}`: 204, or 404 when the owner has no
/// subscription with that endpoint.
#[utoipa::path(
    delete, path = "/api/push/subscriptions", tag = "push", security(("session" = [])),
    request_body = EndpointBody,
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such subscription of the owner's", body = ErrorBody),
    ),
)]
pub(crate) async fn unsubscribe(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(body): JsonBody<EndpointBody>,
) -> Result<StatusCode, ApiError> {
    // Stored as the URL parser writes it; compare the same way.
    let endpoint = url::Url::parse(&body.endpoint).map_or(body.endpoint, |url| url.to_string());
    if state.store.remove_push_subscription(&user.id, &endpoint).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}
