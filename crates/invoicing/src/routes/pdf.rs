//! Invoice and receipt PDFs, for the owner and for the payer:
//! `GET /api/invoices/{id}/pdf`, `GET /api/invoices/{id}/payments/{paymentId}/receipt.pdf`
//! (owner session; drafts too, stamped DRAFT) and `GET /api/pay/{id}/pdf`,
//! `GET /api/pay/{id}/payments/{paymentId}/receipt.pdf` (the payment link's rule: no drafts,
//! no e-mail addresses). `?paper=letter` for US Letter; A4 otherwise. The payer's printable
//! receipt page reads its payment with `GET /api/pay/{id}/payments/{paymentId}` (the id is a
//! capability from the checkout's answer: the payer never gets a list of payments).

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use utoipa::{IntoParams, ToSchema};

use super::error::ErrorBody;
use super::extract::{CurrentUser, InvoicePath, PaymentPath};
use super::views::pay_url;
use super::{ApiError, AppState};
use crate::domain::{Invoice, Payment, PaymentId, ValidationError};
use crate::pdf::mapping::{self, Reader};
use crate::pdf::{self, Document, Paper};

/// PDFs drawn at once, on the blocking pool; more wait their turn.
static RENDERS: Semaphore = Semaphore::const_new(2);
/// How long a request waits for its turn before a 503 `busy`.
const RENDER_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PdfQuery {
    /// `a4` (the default) or `letter`.
    paper: Option<String>,
}

fn paper(query: Result<Query<PdfQuery>, QueryRejection>) -> Result<Paper, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::BadRequest(rejection.body_text()))?;
    match query.paper.as_deref() {
        None => Ok(Paper::default()),
        Some(name) => Paper::parse(name).ok_or_else(|| {
            ApiError::Validation(ValidationError::field("paper", "must be a4 or letter"))
        }),
    }
}

/// `GET /api/invoices/{id}/pdf`.
#[utoipa::path(
    get, path = "/api/invoices/{id}/pdf", tag = "pdf", security(("session" = [])),
    params(
        ("id" = String, Path, description = "The invoice id"),
        PdfQuery,
    ),
    responses(
        (status = 200, description = "Drafts stamped DRAFT", content(("application/pdf")),
            headers(("Content-Disposition" = String, description = "`attachment`, a file name"))),
        (status = 404, description = "No such invoice or payment", body = ErrorBody),
        (status = 422, description = "An unknown paper size", body = ErrorBody),
        (status = 503, description = "Too many PDFs being drawn", body = ErrorBody),
    ),
)]
pub(crate) async fn owner_invoice(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
    query: Result<Query<PdfQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let paper = paper(query)?;
    let invoice = state.usecases.invoice_of(&user.id, &id).await?;
    let document = document(&state, &invoice, Reader::Owner).await?;
    invoice_pdf(document, paper).await
}

/// `GET /api/pay/{id}/pdf`.
#[utoipa::path(
    get, path = "/api/pay/{id}/pdf", tag = "pdf",
    params(
        ("id" = String, Path, description = "The invoice id"),
        PdfQuery,
    ),
    responses(
        (status = 200, description = "The invoice", content(("application/pdf")),
            headers(("Content-Disposition" = String, description = "`attachment`, a file name"))),
        (status = 404, description = "No such invoice or payment", body = ErrorBody),
        (status = 422, description = "An unknown paper size", body = ErrorBody),
        (status = 503, description = "Too many PDFs being drawn", body = ErrorBody),
    ),
)]
pub(crate) async fn payer_invoice(
    State(state): State<AppState>,
    InvoicePath(id): InvoicePath,
    query: Result<Query<PdfQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let paper = paper(query)?;
    let invoice = state.usecases.payable_invoice(&id).await?;
    let document = document(&state, &invoice, Reader::Payer).await?;
    invoice_pdf(document, paper).await
}

/// `GET /api/invoices/{id}/payments/{paymentId}/receipt.pdf`.
#[utoipa::path(
    get, path = "/api/invoices/{id}/payments/{payment_id}/receipt.pdf", tag = "pdf",
    security(("session" = [])),
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("payment_id" = String, Path, description = "The payment id"),
        PdfQuery,
    ),
    responses(
        (status = 200, description = "The receipt", content(("application/pdf")),
            headers(("Content-Disposition" = String, description = "`attachment`, a file name"))),
        (status = 404, description = "No such invoice or payment", body = ErrorBody),
        (status = 422, description = "An unknown paper size", body = ErrorBody),
        (status = 503, description = "Too many PDFs being drawn", body = ErrorBody),
    ),
)]
pub(crate) async fn owner_receipt(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    PaymentPath(id, payment_id): PaymentPath,
    query: Result<Query<PdfQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let paper = paper(query)?;
    let invoice = state.usecases.invoice_of(&user.id, &id).await?;
    let payment = payment_of(&invoice, &payment_id)?;
    let document = document(&state, &invoice, Reader::Owner).await?;
    receipt_pdf(document, payment, paper).await
}

/// `GET /api/pay/{id}/payments/{paymentId}/receipt.pdf`.
#[utoipa::path(
    get, path = "/api/pay/{id}/payments/{payment_id}/receipt.pdf", tag = "pdf",
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("payment_id" = String, Path, description = "The payment id"),
        PdfQuery,
    ),
    responses(
        (status = 200, description = "The receipt", content(("application/pdf")),
            headers(("Content-Disposition" = String, description = "`attachment`, a file name"))),
        (status = 404, description = "No such invoice or payment", body = ErrorBody),
        (status = 422, description = "An unknown paper size", body = ErrorBody),
        (status = 503, description = "Too many PDFs being drawn", body = ErrorBody),
    ),
)]
pub(crate) async fn payer_receipt(
    State(state): State<AppState>,
    PaymentPath(id, payment_id): PaymentPath,
    query: Result<Query<PdfQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let paper = paper(query)?;
    let invoice = state.usecases.payable_invoice(&id).await?;
    let payment = payment_of(&invoice, &payment_id)?;
    let document = document(&state, &invoice, Reader::Payer).await?;
    receipt_pdf(document, payment, paper).await
}

/// One payment as its payer may see it, for the printable receipt.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PayerPaymentView {
    id: String,
    amount: i64,
    method: String,
    created_at: String,
    refunded: i64,
}

/// `GET /api/pay/{id}/payments/{paymentId}`.
#[utoipa::path(
    get, path = "/api/pay/{id}/payments/{payment_id}", tag = "pay",
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("payment_id" = String, Path, description = "The payment id"),
    ),
    responses(
        (status = 200, description = "The payment", body = PayerPaymentView),
        (status = 404, description = "No such sent invoice or payment", body = ErrorBody),
    ),
)]
pub(crate) async fn payer_payment(
    State(state): State<AppState>,
    PaymentPath(id, payment_id): PaymentPath,
) -> Result<Json<PayerPaymentView>, ApiError> {
    let invoice = state.usecases.payable_invoice(&id).await?;
    let payment = payment_of(&invoice, &payment_id)?;
    Ok(Json(PayerPaymentView {
        id: payment.id.to_string(),
        amount: payment.amount.minor(),
        method: payment.method,
        created_at: payment.created_at.to_iso(),
        refunded: payment.refunded,
    }))
}

fn payment_of(invoice: &Invoice, id: &PaymentId) -> Result<Payment, ApiError> {
    invoice.payments.iter().find(|payment| payment.id == *id).cloned().ok_or(ApiError::NotFound)
}

async fn document(
    state: &AppState,
    invoice: &Invoice,
    reader: Reader,
) -> Result<Document, ApiError> {
    let account_name = state.usecases.business_name(invoice).await?;
    let profile = state.usecases.profile(&invoice.user_id).await?;
    let logo = state.usecases.logo(&invoice.user_id).await?;
    let seller = mapping::seller(&profile, &account_name, logo);
    let url = pay_url(&state.public_url, invoice);
    Ok(mapping::document(invoice, seller, &url, reader))
}

async fn invoice_pdf(document: Document, paper: Paper) -> Result<Response, ApiError> {
    let name = format!("invoice-{}.pdf", file_part(&document.display_number));
    let bytes = render(move || pdf::render_invoice(&document, paper)).await?;
    Ok(pdf_response(bytes, &name))
}

async fn receipt_pdf(
    document: Document,
    payment: Payment,
    paper: Paper,
) -> Result<Response, ApiError> {
    let receipt = mapping::receipt(&payment);
    let short: String = receipt.id.chars().take(8).collect();
    let name = format!("receipt-{}-{}.pdf", file_part(&document.display_number), file_part(&short));
    let bytes = render(move || pdf::render_receipt(&document, &receipt, paper)).await?;
    Ok(pdf_response(bytes, &name))
}

/// Runs `draw` on the blocking pool once one of the [`RENDERS`] permits is free.
async fn render<F>(draw: F) -> Result<Vec<u8>, ApiError>
where
    F: FnOnce() -> Result<Vec<u8>, pdf::PdfError> + Send + 'static,
{
    let permit = tokio::time::timeout(RENDER_WAIT, RENDERS.acquire())
        .await
        .map_err(|_| ApiError::Busy)?
        .map_err(|error| ApiError::Internal(Box::new(error)))?;
    let drawn = tokio::task::spawn_blocking(draw).await;
    drop(permit);
    drawn
        .map_err(|error| ApiError::Internal(Box::new(error)))?
        .map_err(|error| ApiError::Internal(Box::new(error)))
}

/// Letters, digits, `-` and `_` of `text`, others dropped: safe in any file name and header.
fn file_part(text: &str) -> String {
    let safe: String = text
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .take(60)
        .collect();
    if safe.is_empty() { "document".to_owned() } else { safe }
}

fn pdf_response(bytes: Vec<u8>, file_name: &str) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
        (CONTENT_DISPOSITION, disposition),
    ];
    (StatusCode::OK, headers, bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::file_part;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_part("#7"), "7");
        assert_eq!(file_part("INV-2026-0007"), "INV-2026-0007");
        assert_eq!(file_part("\"; rm -rf /\r\n"), "rm-rf");
        assert_eq!(file_part("山田"), "document");
    }
}
