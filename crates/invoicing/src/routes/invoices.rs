//! The owner's invoices: list, create, show, edit, send, void.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::extract::{CurrentUser, JsonBody};
use super::input::InvoiceInput;
use super::views::InvoiceView;
use super::{ApiError, AppState};
use crate::domain::events::outbox_events;
use crate::domain::{Action, Change, Invoice, InvoiceId, Timestamp};

/// An id from the path; anything that is not one of ours is simply not found.
pub(crate) fn invoice_id(text: &str) -> Result<InvoiceId, ApiError> {
    InvoiceId::parse(text).ok_or(ApiError::NotFound)
}

fn view(state: &AppState, invoice: &Invoice) -> Json<InvoiceView> {
    Json(InvoiceView::new(invoice, &state.public_url))
}

/// `GET /api/invoices` → `{invoices}`, newest first.
pub(crate) async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<Value>, ApiError> {
    let invoices = state.store.invoices_of(&user.id).await?;
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
    let content = input.into_content(None)?;
    let now = Timestamp::now();
    let channels = state.channels();
    let invoice = state
        .store
        .create_invoice(&user.id, content, now, |invoice| {
            outbox_events(Change::Created, invoice, channels, now)
        })
        .await?;
    Ok((StatusCode::CREATED, view(&state, &invoice)))
}

/// `GET /api/invoices/{id}`.
pub(crate) async fn show(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<InvoiceView>, ApiError> {
    let invoice = state.store.invoice(&invoice_id(&id)?).await?;
    let invoice = invoice.filter(|i| i.user_id == user.id).ok_or(ApiError::NotFound)?;
    Ok(view(&state, &invoice))
}

/// `PATCH /api/invoices/{id}`: the creation body, every field optional; drafts and sent
/// invoices only.
pub(crate) async fn edit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<InvoiceInput>,
) -> Result<Json<InvoiceView>, ApiError> {
    let now = Timestamp::now();
    let channels = state.channels();
    let (invoice, ()) = state
        .store
        .update_invoice(
            &invoice_id(&id)?,
            Some(&user.id),
            |invoice| {
                invoice.status.apply(Action::Edit)?;
                let content = input.into_content(Some(&invoice.content))?;
                invoice.edit(content, now)
            },
            |invoice, ()| outbox_events(Change::Edited, invoice, channels, now),
        )
        .await?;
    Ok(view(&state, &invoice))
}

/// `POST /api/invoices/{id}/send`.
pub(crate) async fn send(
    state: State<AppState>,
    user: CurrentUser,
    id: Path<String>,
) -> Result<Json<InvoiceView>, ApiError> {
    transition(state, user, id, Action::Send).await
}

/// `POST /api/invoices/{id}/void`.
pub(crate) async fn void(
    state: State<AppState>,
    user: CurrentUser,
    id: Path<String>,
) -> Result<Json<InvoiceView>, ApiError> {
    transition(state, user, id, Action::Void).await
}

async fn transition(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    action: Action,
) -> Result<Json<InvoiceView>, ApiError> {
    let now = Timestamp::now();
    let channels = state.channels();
    let (invoice, _) = state
        .store
        .update_invoice(
            &invoice_id(&id)?,
            Some(&user.id),
            |invoice| invoice.transition(action, now),
            |invoice, _| outbox_events(Change::StatusChanged, invoice, channels, now),
        )
        .await?;
    Ok(view(&state, &invoice))
}
