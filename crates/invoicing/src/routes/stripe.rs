//! `POST /api/stripe/webhook`: Stripe's events, the raw body checked against
//! `Stripe-Signature` before anything is read from it. 400 on a bad signature or body; 200 for
//! what was handled, seen before, or of a type Paybell ignores; 5xx when the database is away,
//! so Stripe retries later.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::{ApiError, AppState};
use crate::domain::Timestamp;
use crate::stripe::{event, signature};
use crate::usecases::intents::WebhookOutcome;

/// `POST /api/stripe/webhook` → 200 `{received: true, outcome}`.
pub(crate) async fn webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
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
    Ok(Json(json!({ "received": true, "outcome": outcome })))
}
