//! Payments the owner records (bank transfer, cash…), with `Idempotency-Key`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::extract::{CurrentUser, IdempotencyKey, JsonBody};
use super::input::{PaymentInput, integer};
use super::invoices::invoice_id;
use super::views::{InvoiceView, PaymentView};
use super::{ApiError, AppState, incomplete};
use crate::domain::OutboxEvent;
use crate::domain::events::outbox_events;
use crate::domain::{
    Amount, Change, ChannelNames, Checks, Invoice, Payment, PaymentEffect, Timestamp,
};
use crate::store::PaymentRequest;

/// The events of a payment already applied to `invoice`.
pub(crate) fn payment_events(
    channels: ChannelNames,
    amount: Amount,
    now: Timestamp,
) -> impl FnOnce(&Invoice, &PaymentEffect) -> Vec<OutboxEvent> {
    move |invoice, effect| {
        let change = Change::PaymentReceived { amount, previous: effect.previous };
        outbox_events(change, invoice, channels, now)
    }
}

/// `POST /api/invoices/{id}/payments {amount, method, reference?}` → 201 `{payment, invoice}`.
pub(crate) async fn record(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<PaymentInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = invoice_id(&id)?;
    let now = Timestamp::now();
    let mut checks = Checks::default();
    let amount = checks
        .take(integer("amount", input.amount.as_ref()))
        .and_then(|minor| checks.take(Amount::parse("amount", minor)));
    let method = input.method.unwrap_or_default();
    checks.finish()?;
    let Some(amount) = amount else { return Err(incomplete()) };
    let payment = Payment::new(amount, &method, input.reference.as_deref(), now)?;
    let fingerprint = format!(
        "owner|{}|{}|{}",
        amount.minor(),
        payment.method,
        payment.reference.as_deref().unwrap_or_default()
    );
    let request = PaymentRequest { payment, idempotency: key.map(|key| (key, fingerprint)) };
    let outcome = state
        .store
        .record_payment(&id, Some(&user.id), request, payment_events(state.channels(), amount, now))
        .await?;
    let body = json!({
        "payment": PaymentView::from(&outcome.payment),
        "invoice": InvoiceView::new(&outcome.invoice, &state.public_url),
    });
    Ok((StatusCode::CREATED, Json(body)))
}
