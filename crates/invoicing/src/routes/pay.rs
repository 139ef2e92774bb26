//! The public payment page API: no session, the invoice id is the capability. Drafts are not
//! visible; the bill and its notes are, owner data (e-mail addresses, payment details) never is.

use super::answers::{IntentView, PayerPayment};
use super::error::ErrorBody;
use super::extract::{IdempotencyKey, IntentPath, InvoicePath, JsonBody};
use super::input::{CheckoutInput, IntentInput, integer};
use super::views::{PaymentView, PublicInvoiceView, Seller};
use super::{ApiError, AppState, incomplete};
use crate::domain::{Checks, Invoice, Timestamp};
use crate::provider::Card;
use crate::usecases::payments::Checkout;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

async fn public_view(state: &AppState, invoice: &Invoice) -> Result<PublicInvoiceView, ApiError> {
    let account_name = state.usecases.business_name(invoice).await?;
    let profile = state.usecases.profile(&invoice.user_id).await?;
    let has_logo = state.usecases.has_logo(&invoice.user_id).await?;
    let seller = Seller { account_name: &account_name, profile: &profile, has_logo };
    Ok(PublicInvoiceView::new(invoice, &seller))
}

/// `GET /api/pay/{id}`.
#[utoipa::path(
    get, path = "/api/pay/{id}", tag = "pay", operation_id = "show_payable_invoice",
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "The invoice as its payer sees it", body = PublicInvoiceView),
        (status = 404, description = "No such sent invoice", body = ErrorBody),
    ),
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    InvoicePath(id): InvoicePath,
) -> Result<Json<PublicInvoiceView>, ApiError> {
    let invoice = state.usecases.payable_invoice(&id).await?;
    Ok(Json(public_view(&state, &invoice).await?))
}

/// `POST /api/pay/{id}/checkout {amount?, card}` → 201 `{payment, invoice}` (public view).
/// The amount defaults to the balance due; a declined card answers 402.
#[utoipa::path(
    post, path = "/api/pay/{id}/checkout", tag = "pay",
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("Idempotency-Key" = Option<String>, Header,
            description = "1 to 255 visible ASCII characters: a retry never pays twice"),
    ),
    request_body = CheckoutInput,
    responses(
        (status = 201, description = "Paid", body = PayerPayment),
        (status = 402, description = "The card was declined", body = ErrorBody),
        (status = 404, description = "No such sent invoice", body = ErrorBody),
        (status = 409, description = "Not payable now, or the key is in use", body = ErrorBody),
        (status = 422, description = "Invalid, field by field", body = ErrorBody),
    ),
)]
pub(crate) async fn checkout(
    State(state): State<AppState>,
    InvoicePath(id): InvoicePath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<CheckoutInput>,
) -> Result<(StatusCode, Json<PayerPayment>), ApiError> {
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
    let body = PayerPayment {
        payment: PaymentView::of(&outcome.payment, &outcome.invoice),
        invoice: public_view(&state, &outcome.invoice).await?,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// `POST /api/pay/{id}/intents {amount?}` → 201 `{paymentIntentId, clientSecret,
/// publishableKey, amount}`: reserves the amount (the balance by default), then creates the
/// Stripe PaymentIntent the pay page confirms with Stripe.js. 409 `provider_unavailable` with
/// the `test` provider, `payment_in_progress` while others hold the balance.
#[utoipa::path(
    post, path = "/api/pay/{id}/intents", tag = "pay",
    params(("id" = String, Path, description = "The invoice id")),
    request_body = IntentInput,
    responses(
        (status = 201, description = "The PaymentIntent", body = IntentView),
        (status = 404, description = "No such sent invoice", body = ErrorBody),
        (status = 409, description = "Not with this provider, or others hold the balance",
            body = ErrorBody),
        (status = 502, description = "Stripe could not be reached", body = ErrorBody),
    ),
)]
pub(crate) async fn create_intent(
    State(state): State<AppState>,
    InvoicePath(id): InvoicePath,
    JsonBody(input): JsonBody<IntentInput>,
) -> Result<(StatusCode, Json<IntentView>), ApiError> {
    let invoice = state.usecases.payable_invoice(&id).await?;
    let amount = match input.amount.as_ref().filter(|v| !v.is_null()) {
        Some(value) => Some(integer("amount", Some(value))?),
        None => None,
    };
    let created = state.usecases.create_intent(&invoice, amount).await?;
    let body = IntentView {
        payment_intent_id: created.intent_id,
        client_secret: created.client_secret,
        publishable_key: created.publishable_key,
        amount: created.amount,
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// `POST /api/pay/{id}/intents/{pi}/complete` → 200 `{payment, invoice}` once Stripe says the
/// intent succeeded (recorded once, whether the webhook came first or not); 402 with Stripe's
/// message when it was declined, 409 `payment_pending` while it is not finished.
#[utoipa::path(
    post, path = "/api/pay/{id}/intents/{intent}/complete", tag = "pay",
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("intent" = String, Path, description = "The PaymentIntent id, `pi_…`"),
    ),
    responses(
        (status = 200, description = "Paid", body = PayerPayment),
        (status = 402, description = "Declined", body = ErrorBody),
        (status = 404, description = "No such sent invoice or intent", body = ErrorBody),
        (status = 409, description = "Not finished at Stripe, or refunded", body = ErrorBody),
    ),
)]
pub(crate) async fn complete_intent(
    State(state): State<AppState>,
    IntentPath(id, intent): IntentPath,
) -> Result<Json<PayerPayment>, ApiError> {
    let invoice = state.usecases.payable_invoice(&id).await?;
    let outcome = state.usecases.complete_intent(&invoice, &intent).await?;
    Ok(Json(PayerPayment {
        payment: PaymentView::of(&outcome.payment, &outcome.invoice),
        invoice: public_view(&state, &outcome.invoice).await?,
    }))
}
