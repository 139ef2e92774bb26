//! Payments the owner records (bank transfer, cash…), with `Idempotency-Key`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::extract::{CurrentUser, IdempotencyKey, InvoicePath, JsonBody};
use super::input::{PaymentInput, integer};
use super::views::{InvoiceView, PaymentView};
use super::{ApiError, AppState, incomplete};
use crate::domain::{Amount, Checks, Payment, Timestamp};

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
    let payment = Payment::new(amount, &method, input.reference.as_deref(), Timestamp::now())?;
    let outcome = state.usecases.record_payment(&user.id, &id, payment, key).await?;
    let body = json!({
        "payment": PaymentView::from(&outcome.payment),
        "invoice": InvoiceView::new(&outcome.invoice, &state.public_url),
    });
    Ok((StatusCode::CREATED, Json(body)))
}
