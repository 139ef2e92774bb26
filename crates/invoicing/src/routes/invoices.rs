//! The owner's invoices: list, create, show, edit, send, void.

use super::answers::InvoiceList;
use super::error::ErrorBody;
use super::extract::{CurrentUser, InvoicePath, JsonBody};
use super::input::InvoiceInput;
use super::views::InvoiceView;
use super::{ApiError, AppState};
use crate::domain::{Action, Invoice};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

fn view(state: &AppState, invoice: &Invoice) -> Json<InvoiceView> {
    Json(InvoiceView::new(invoice, &state.public_url))
}

/// `GET /api/invoices` → `{invoices}`, newest first.
#[utoipa::path(
    get, path = "/api/invoices", tag = "invoices", operation_id = "list_invoices",
    security(("session" = [])),
    responses((status = 200, description = "The owner's invoices", body = InvoiceList)),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<InvoiceList>, ApiError> {
    let invoices = state.usecases.invoices_of(&user.id).await?;
    let views: Vec<InvoiceView> =
        invoices.iter().map(|invoice| InvoiceView::new(invoice, &state.public_url)).collect();
    Ok(Json(InvoiceList { invoices: views }))
}

/// `POST /api/invoices` → 201 with the new draft.
#[utoipa::path(
    post, path = "/api/invoices", tag = "invoices", security(("session" = [])),
    request_body = InvoiceInput,
    responses(
        (status = 201, description = "The new draft", body = InvoiceView),
        (status = 422, description = "Invalid, field by field", body = ErrorBody),
    ),
)]
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
#[utoipa::path(
    post, path = "/api/invoices/{id}/duplicate", tag = "invoices", security(("session" = [])),
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 201, description = "The new draft", body = InvoiceView),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
    ),
)]
pub(crate) async fn duplicate(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
) -> Result<(StatusCode, Json<InvoiceView>), ApiError> {
    let invoice = state.usecases.duplicate_invoice(&user.id, &id).await?;
    Ok((StatusCode::CREATED, view(&state, &invoice)))
}

/// `GET /api/invoices/{id}`.
#[utoipa::path(
    get, path = "/api/invoices/{id}", tag = "invoices", operation_id = "show_invoice",
    security(("session" = [])),
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "The invoice", body = InvoiceView),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
    ),
)]
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
#[utoipa::path(
    patch, path = "/api/invoices/{id}", tag = "invoices", security(("session" = [])),
    params(("id" = String, Path, description = "The invoice id")),
    request_body = InvoiceInput,
    responses(
        (status = 200, description = "The invoice after the edit", body = InvoiceView),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
        (status = 409, description = "Its status allows no edit", body = ErrorBody),
        (status = 422, description = "Invalid, field by field", body = ErrorBody),
    ),
)]
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
#[utoipa::path(
    post, path = "/api/invoices/{id}/send", tag = "invoices", security(("session" = [])),
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "The invoice, sent", body = InvoiceView),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
        (status = 409, description = "Its status does not allow it", body = ErrorBody),
    ),
)]
pub(crate) async fn send(
    state: State<AppState>,
    user: CurrentUser,
    id: InvoicePath,
) -> Result<Json<InvoiceView>, ApiError> {
    transition(state, user, id, Action::Send).await
}

/// `POST /api/invoices/{id}/void`.
#[utoipa::path(
    post, path = "/api/invoices/{id}/void", tag = "invoices", security(("session" = [])),
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "The invoice, void", body = InvoiceView),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
        (status = 409, description = "Its status does not allow it", body = ErrorBody),
    ),
)]
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
