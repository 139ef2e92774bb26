//! Payments the owner records (bank transfer, cash…), with `Idempotency-Key`, and removes
//! again when recorded by mistake; refunds of card payments.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::extract::{CurrentUser, IdempotencyKey, InvoicePath, JsonBody, PaymentPath};
use super::input::{PaymentInput, RefundInput, integer};
use super::views::{InvoiceView, PaymentView};
use super::{ApiError, AppState, incomplete};
use crate::domain::{Amount, Checks, Payment, PaymentSource, Timestamp};

/// `POST /api/invoices/{id}/payments {amount, method, reference?}` → 201 `{payment, invoice}`.
pub(crate) async fn record(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<PaymentInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut checks = Checks::default();
    let amount = checks
        .take(integer("amount", input.amount.as_ref()))
        .and_then(|minor| checks.take(Amount::parse("amount", minor)));
    let method = input.method.unwrap_or_default();
    checks.finish()?;
    let Some(amount) = amount else { return Err(incomplete()) };
    let (source, now) = (PaymentSource::Owner, Timestamp::now());
    let payment = Payment::new(source, amount, &method, input.reference.as_deref(), now)?;
    let outcome = state.usecases.record_payment(&user.id, &id, payment, key).await?;
    let body = json!({
        "payment": PaymentView::of(&outcome.payment, &outcome.invoice),
        "invoice": InvoiceView::new(&outcome.invoice, &state.public_url),
    });
    Ok((StatusCode::CREATED, Json(body)))
}

/// `DELETE /api/invoices/{id}/payments/{paymentId}` → 200 with the invoice after the removal.
/// Only payments the owner recorded; a card payment, or any on a void invoice, is a 409.
pub(crate) async fn remove(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    PaymentPath(id, payment): PaymentPath,
) -> Result<Json<InvoiceView>, ApiError> {
    let invoice = state.usecases.remove_payment(&user.id, &id, &payment).await?;
    Ok(Json(InvoiceView::new(&invoice, &state.public_url)))
}

/// `POST /api/invoices/{id}/payments/{paymentId}/refunds {amount?}` → 201
/// `{refund: {paymentId, amount}, payment, invoice}`. Card payments only (409 otherwise); the
/// amount defaults to what is left to refund.
pub(crate) async fn refund(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    PaymentPath(id, payment): PaymentPath,
    JsonBody(input): JsonBody<RefundInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let amount = match input.amount.as_ref().filter(|v| !v.is_null()) {
        Some(value) => Some(Amount::parse("amount", integer("amount", Some(value))?)?),
        None => None,
    };
    let usecases = &state.usecases;
    let (invoice, effect) = usecases.refund_payment(&user.id, &id, &payment, amount).await?;
    let body = json!({
        "refund": {"paymentId": effect.payment.id.to_string(), "amount": effect.amount.minor()},
        "payment": PaymentView::of(&effect.payment, &invoice),
        "invoice": InvoiceView::new(&invoice, &state.public_url),
    });
    Ok((StatusCode::CREATED, Json(body)))
}
