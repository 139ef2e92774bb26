//! The owner's invoices: list, create, show, edit, send, void.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::extract::{CurrentUser, InvoicePath, JsonBody};
use super::input::InvoiceInput;
use super::views::InvoiceView;
use super::{ApiError, AppState};
use crate::domain::{Action, Invoice};

fn view(state: &AppState, invoice: &Invoice) -> Json<InvoiceView> {
    Json(InvoiceView::new(invoice, &state.public_url))
}

/// `GET /api/invoices` → `{invoices}`, newest first.
pub(crate) async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Value>, ApiError> {
    let invoices = state.usecases.invoices_of(&user.id).await?;
    let views: Vec<InvoiceView> =
        invoices.iter().map(|invoice| InvoiceView::new(invoice, &state.public_url)).collect();
    Ok(Json(json!({ "invoices": views })))
}

/// `POST /api/invoices` → 201 with the new draft.
pub(crate) async fn create(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(input): JsonBody<InvoiceInput>,
) -> Result<(StatusCode, Json<InvoiceView>), ApiError> {
    let defaults = state.usecases.invoice_defaults(&user.id, input.customer_id()?.as_ref()).await?;
    let content = input.into_content(None, &defaults)?;
    let invoice = state.usecases.create_invoice(&user.id, content).await?;
    Ok((StatusCode::CREATED, view(&state, &invoice)))
}

/// `POST /api/invoices/{id}/duplicate` → 201 with a new draft: same customer, lines and
/// terms, issued today, a new number, no payments.
pub(crate) async fn duplicate(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
) -> Result<(StatusCode, Json<InvoiceView>), ApiError> {
    let invoice = state.usecases.duplicate_invoice(&user.id, &id).await?;
    Ok((StatusCode::CREATED, view(&state, &invoice)))
}

/// `GET /api/invoices/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
) -> Result<Json<InvoiceView>, ApiError> {
    let invoice = state.usecases.invoice_of(&user.id, &id).await?;
    Ok(view(&state, &invoice))
}

/// `PATCH /api/invoices/{id}`: the creation body, every field optional; drafts and sent
/// invoices only.
pub(crate) async fn edit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
    JsonBody(input): JsonBody<InvoiceInput>,
) -> Result<Json<InvoiceView>, ApiError> {
    let defaults = state.usecases.invoice_defaults(&user.id, input.customer_id()?.as_ref()).await?;
    let content = |current: &_| Ok(input.into_content(Some(current), &defaults)?);
    let invoice = state.usecases.edit_invoice(&user.id, &id, content).await?;
    Ok(view(&state, &invoice))
}

/// `POST /api/invoices/{id}/send`.
pub(crate) async fn send(
    state: State<AppState>,
    user: CurrentUser,
    id: InvoicePath,
) -> Result<Json<InvoiceView>, ApiError> {
    transition(state, user, id, Action::Send).await
}

/// `POST /api/invoices/{id}/void`.
pub(crate) async fn void(
    state: State<AppState>,
    user: CurrentUser,
    id: InvoicePath,
) -> Result<Json<InvoiceView>, ApiError> {
    transition(state, user, id, Action::Void).await
}

async fn transition(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
    action: Action,
) -> Result<Json<InvoiceView>, ApiError> {
    let invoice = state.usecases.transition(&user.id, &id, action).await?;
    Ok(view(&state, &invoice))
}
