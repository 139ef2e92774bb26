//! `POST /api/stripe/webhook`: Stripe's events, the raw body checked against
//! `Stripe-Signature` before anything is read from it. 400 on a bad signature or body; 200 for
//! what was handled, seen before, or of a type Paybell ignores; 5xx when the database is away,
//! so Stripe retries later.

use super::answers::WebhookAnswer;
use super::error::ErrorBody;
use super::{ApiError, AppState};
use crate::domain::Timestamp;
use crate::stripe::{event, signature};
use crate::usecases::intents::WebhookOutcome;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;

/// `POST /api/stripe/webhook` → 200 `{received: true, outcome}`.
#[utoipa::path(
    post, path = "/api/stripe/webhook", tag = "stripe",
    params(("Stripe-Signature" = String, Header, description = "Stripe's signature of the body")),
    request_body(content = Object, description = "A Stripe event"),
    responses(
        (status = 200, description = "Handled, seen before, or ignored", body = WebhookAnswer),
        (status = 400, description = "A bad signature or body", body = ErrorBody),
        (status = 404, description = "Stripe is not the provider", body = ErrorBody),
    ),
)]
pub(crate) async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookAnswer>, ApiError> {
    let Some(stripe) = state.settings.provider.stripe() else {
        return Err(ApiError::NotFound);
    };
    let header = headers.get("stripe-signature").and_then(|v| v.to_str().ok()).unwrap_or("");
    let now = Timestamp::now().millis() / 1000;
    signature::verify(header, &body, stripe.webhook_secret(), now)
        .map_err(|error| ApiError::BadSignature(error.to_string()))?;
    let event = event::parse(&body)
        .map_err(|error| ApiError::BadRequest(format!("not a Stripe event: {error}")))?;
    let outcome = match state.usecases.stripe_event(event).await? {
        WebhookOutcome::Handled => "handled",
        WebhookOutcome::Repeated => "repeated",
        WebhookOutcome::Ignored => "ignored",
    };
    Ok(Json(WebhookAnswer { received: true, outcome }))
}
