//! The public payment page API: no session, the invoice id is the capability. Drafts are not
//! visible; the bill and its notes are, owner data (e-mail addresses, payment details) never is.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::extract::{IdempotencyKey, IntentPath, InvoicePath, JsonBody};
use super::input::{CheckoutInput, IntentInput, integer};
use super::views::{PaymentView, PublicInvoiceView, Seller};
use super::{ApiError, AppState, incomplete};
use crate::domain::{Checks, Invoice, Timestamp};
use crate::provider::Card;
use crate::usecases::payments::Checkout;

async fn public_view(state: &AppState, invoice: &Invoice) -> Result<PublicInvoiceView, ApiError> {
    let account_name = state.usecases.business_name(invoice).await?;
    let profile = state.usecases.profile(&invoice.user_id).await?;
    let has_logo = state.usecases.has_logo(&invoice.user_id).await?;
    let seller = Seller { account_name: &account_name, profile: &profile, has_logo };
    Ok(PublicInvoiceView::new(invoice, &seller))
}

/// `GET /api/pay/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    InvoicePath(id): InvoicePath,
) -> Result<Json<PublicInvoiceView>, ApiError> {
    let invoice = state.usecases.payable_invoice(&id).await?;
    Ok(Json(public_view(&state, &invoice).await?))
}

/// `POST /api/pay/{id}/checkout {amount?, card}` → 201 `{payment, invoice}` (public view).
/// The amount defaults to the balance due; a declined card answers 402.
pub(crate) async fn checkout(
    State(state): State<AppState>,
    InvoicePath(id): InvoicePath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<CheckoutInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // An unknown or draft invoice is not found, whatever the body.
    let invoice = state.usecases.payable_invoice(&id).await?;
    let today = Timestamp::now().date();
    let mut checks = Checks::default();
    let card = &input.card;
    let card = checks.take(Card::parse(&card.number, &card.expiry, &card.cvc, today));
    let requested = match input.amount.as_ref().filter(|v| !v.is_null()) {
        Some(value) => checks.take(integer("amount", Some(value))).map(Some),
        None => Some(None),
    };
    checks.finish()?;
    let (Some(card), Some(amount)) = (card, requested) else { return Err(incomplete()) };
    let checkout = Checkout { card, amount, idempotency_key: key };
    let outcome = state.usecases.checkout(&invoice, checkout).await?;
    let body = json!({
        "payment": PaymentView::of(&outcome.payment, &outcome.invoice),
        "invoice": public_view(&state, &outcome.invoice).await?,
    });
    Ok((StatusCode::CREATED, Json(body)))
}

/// `POST /api/pay/{id}/intents {amount?}` → 201 `{paymentIntentId, clientSecret,
/// publishableKey, amount}`: reserves the amount (the balance by default), then creates the
/// Stripe PaymentIntent the pay page confirms with Stripe.js. 409 `provider_unavailable` with
/// the `test` provider, `payment_in_progress` while others hold the balance.
pub(crate) async fn create_intent(
    State(state): State<AppState>,
    InvoicePath(id): InvoicePath,
    JsonBody(input): JsonBody<IntentInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let invoice = state.usecases.payable_invoice(&id).await?;
    let amount = match input.amount.as_ref().filter(|v| !v.is_null()) {
        Some(value) => Some(integer("amount", Some(value))?),
        None => None,
    };
    let created = state.usecases.create_intent(&invoice, amount).await?;
    let body = json!({
        "paymentIntentId": created.intent_id,
        "clientSecret": created.client_secret,
        "publishableKey": created.publishable_key,
        "amount": created.amount,
    });
    Ok((StatusCode::CREATED, Json(body)))
}

/// `POST /api/pay/{id}/intents/{pi}/complete` → 200 `{payment, invoice}` once Stripe says the
/// intent succeeded (recorded once, whether the webhook came first or not); 402 with Stripe's
/// message when it was declined, 409 `payment_pending` while it is not finished.
pub(crate) async fn complete_intent(
    State(state): State<AppState>,
    IntentPath(id, intent): IntentPath,
) -> Result<Json<Value>, ApiError> {
    let invoice = state.usecases.payable_invoice(&id).await?;
    let outcome = state.usecases.complete_intent(&invoice, &intent).await?;
    Ok(Json(json!({
        "payment": PaymentView::of(&outcome.payment, &outcome.invoice),
        "invoice": public_view(&state, &outcome.invoice).await?,
    })))
}
