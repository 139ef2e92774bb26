//! Payments the owner records (bank transfer, cash…), with `Idempotency-Key`, and removes
//! again when recorded by mistake; refunds of card payments.

use super::answers::{RecordedPayment, RefundAnswer, RefundView};
use super::error::ErrorBody;
use super::extract::{CurrentUser, IdempotencyKey, InvoicePath, JsonBody, PaymentPath};
use super::input::{PaymentInput, RefundInput, integer};
use super::views::{InvoiceView, PaymentView};
use super::{ApiError, AppState, incomplete};
use crate::domain::{Amount, Checks, Payment, PaymentSource, Timestamp};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

/// `POST /api/invoices/{id}/payments {amount, method, reference?}` → 201 `{payment, invoice}`.
#[utoipa::path(
    post, path = "/api/invoices/{id}/payments", tag = "payments", security(("session" = [])),
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("Idempotency-Key" = Option<String>, Header,
            description = "1 to 255 visible ASCII characters: a retry never pays twice"),
    ),
    request_body = PaymentInput,
    responses(
        (status = 201, description = "Recorded", body = RecordedPayment),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
        (status = 409, description = "Its status does not allow it, or the key is in use",
            body = ErrorBody),
        (status = 422, description = "Invalid, or the key was used for another payment",
            body = ErrorBody),
    ),
)]
pub(crate) async fn record(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<PaymentInput>,
) -> Result<(StatusCode, Json<RecordedPayment>), ApiError> {
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
    let body = RecordedPayment {
        payment: PaymentView::of(&outcome.payment, &outcome.invoice),
        invoice: InvoiceView::new(&outcome.invoice, &state.public_url),
    };
    Ok((StatusCode::CREATED, Json(body)))
}

/// `DELETE /api/invoices/{id}/payments/{paymentId}` → 200 with the invoice after the removal.
/// Only payments the owner recorded; a card payment, or any on a void invoice, is a 409.
#[utoipa::path(
    delete, path = "/api/invoices/{id}/payments/{payment_id}", tag = "payments",
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("payment_id" = String, Path, description = "The payment id"),
    ),
    responses(
        (status = 200, description = "The invoice after the removal", body = InvoiceView),
        (status = 404, description = "No such invoice or payment", body = ErrorBody),
        (status = 409, description = "Not removable", body = ErrorBody),
    ),
)]
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
#[utoipa::path(
    post, path = "/api/invoices/{id}/payments/{payment_id}/refunds", tag = "payments",
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("payment_id" = String, Path, description = "The payment id"),
    ),
    request_body = RefundInput,
    responses(
        (status = 201, description = "Refunded", body = RefundAnswer),
        (status = 404, description = "No such invoice or payment", body = ErrorBody),
        (status = 409, description = "Not refundable", body = ErrorBody),
        (status = 422, description = "Invalid amount", body = ErrorBody),
        (status = 502, description = "The provider could not be reached", body = ErrorBody),
    ),
)]
pub(crate) async fn refund(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    PaymentPath(id, payment): PaymentPath,
    JsonBody(input): JsonBody<RefundInput>,
) -> Result<(StatusCode, Json<RefundAnswer>), ApiError> {
    let amount = match input.amount.as_ref().filter(|v| !v.is_null()) {
        Some(value) => Some(Amount::parse("amount", integer("amount", Some(value))?)?),
        None => None,
    };
    let usecases = &state.usecases;
    let (invoice, effect) = usecases.refund_payment(&user.id, &id, &payment, amount).await?;
    let refund =
        RefundView { payment_id: effect.payment.id.to_string(), amount: effect.amount.minor() };
    let body = RefundAnswer {
        refund,
        payment: PaymentView::of(&effect.payment, &invoice),
        invoice: InvoiceView::new(&invoice, &state.public_url),
    };
    Ok((StatusCode::CREATED, Json(body)))
}
