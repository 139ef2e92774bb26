//! The public payment page API: no session, the invoice id is the capability. Drafts are not
//! visible; owner data (e-mail addresses, notes, payment details) never is.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::extract::{IdempotencyKey, JsonBody};
use super::input::{CheckoutInput, integer};
use super::invoices::invoice_id;
use super::payments::payment_events;
use super::views::{PaymentView, PublicInvoiceView};
use super::{ApiError, AppState, incomplete};
use crate::domain::{
    Action, Amount, Checks, DomainError, Invoice, InvoiceId, InvoiceStatus, Payment, Timestamp,
};
use crate::provider::Card;
use crate::store::{PaymentOutcome, PaymentRequest};

/// An invoice the payer may see.
async fn visible(state: &AppState, id: &InvoiceId) -> Result<Invoice, ApiError> {
    let invoice = state.store.invoice(id).await?;
    invoice.filter(|i| i.status != InvoiceStatus::Draft).ok_or(ApiError::NotFound)
}

async fn public_view(state: &AppState, invoice: &Invoice) -> Result<PublicInvoiceView, ApiError> {
    let owner = state.store.user(&invoice.user_id).await?;
    let business = owner.map(|o| o.name).unwrap_or_default();
    Ok(PublicInvoiceView::new(invoice, &business))
}

/// `GET /api/pay/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublicInvoiceView>, ApiError> {
    let invoice = visible(&state, &invoice_id(&id)?).await?;
    Ok(Json(public_view(&state, &invoice).await?))
}

/// `POST /api/pay/{id}/checkout {amount?, card}` → 201 `{payment, invoice}` (public view).
/// The amount defaults to the balance due; a declined card answers 402.
pub(crate) async fn checkout(
    State(state): State<AppState>,
    Path(id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(input): JsonBody<CheckoutInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = invoice_id(&id)?;
    let invoice = visible(&state, &id).await?;
    let now = Timestamp::now();
    let mut checks = Checks::default();
    let card = checks.take(Card::parse(
        &input.card.number,
        &input.card.expiry,
        &input.card.cvc,
        now.date(),
    ));
    let requested = match input.amount.as_ref().filter(|v| !v.is_null()) {
        Some(value) => checks.take(integer("amount", Some(value))).map(Some),
        None => Some(None),
    };
    checks.finish()?;
    let (Some(card), Some(requested)) = (card, requested) else { return Err(incomplete()) };
    let fingerprint = format!(
        "checkout|{}|{}",
        requested.map_or_else(|| "balance".to_owned(), |a| a.to_string()),
        card.last4()
    );
    if let Some(key) = &key {
        if let Some(outcome) = state.store.replayed_payment(&id, key, &fingerprint).await? {
            return respond(&state, outcome).await;
        }
    }
    // A paid or void invoice takes no payment, whatever the amount (409 before 422).
    invoice.status.apply(Action::Pay { settles: true }).map_err(DomainError::from)?;
    let amount = requested.unwrap_or_else(|| invoice.balance_due());
    let amount = Amount::parse("amount", amount)?;
    // Refuse what the invoice would refuse before anything is charged.
    let trial = Payment::new(amount, "card", None, now)?;
    invoice.clone().pay(trial)?;
    let charge = state.provider.charge(&card, amount)?;
    let payment = Payment::new(amount, "card", Some(&charge.reference), now)?;
    let request = PaymentRequest { payment, idempotency: key.map(|key| (key, fingerprint)) };
    let outcome = state
        .store
        .record_payment(&id, None, request, payment_events(state.channels(), amount, now))
        .await?;
    respond(&state, outcome).await
}

async fn respond(
    state: &AppState,
    outcome: PaymentOutcome,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = json!({
        "payment": PaymentView::from(&outcome.payment),
        "invoice": public_view(state, &outcome.invoice).await?,
    });
    Ok((StatusCode::CREATED, Json(body)))
}
