//! The owner's e-mail: `GET /api/mail` (list), `GET /api/mail/{id}` (one, rendered),
//! `GET /api/mail/{id}/html` (its HTML part as a sandboxed document the Mail page frames),
//! `GET /api/invoices/{id}/mail` (an invoice's history), `POST /api/invoices/{id}/resend`,
//! and the switches, body `{enabled}`: `GET|PUT /api/settings/reminders` (the owner's
//! reminders), `GET|PUT /api/invoices/{id}/reminders` (one invoice's),
//! `GET|PUT /api/settings/payment-notices` (the owner's "payment received" e-mails).

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::answers::SwitchView;
use super::error::ErrorBody;
use super::extract::{CurrentUser, InvoicePath, JsonBody};
use super::views::InvoiceView;
use super::{ApiError, AppState};
use crate::domain::{MailId, Timestamp};
use crate::store::MailRow;

/// A mail row as the owner sees it in lists.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MailView {
    id: String,
    invoice_id: String,
    kind: String,
    recipient: String,
    subject: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    attempts: i64,
    message_id: String,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sent_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_at: Option<String>,
}

impl From<&MailRow> for MailView {
    fn from(row: &MailRow) -> Self {
        let iso = |millis: Option<i64>| millis.map(|m| Timestamp::from_millis(m).to_iso());
        Self {
            id: row.id.clone(),
            invoice_id: row.invoice_id.clone(),
            kind: row.kind.clone(),
            recipient: row.recipient.clone(),
            subject: row.subject.clone(),
            status: row.status(),
            error: row.last_error.clone(),
            attempts: row.attempts,
            message_id: row.message_id.clone(),
            created_at: Timestamp::from_millis(row.created_at).to_iso(),
            sent_at: iso(row.sent_at),
            failed_at: iso(row.failed_at),
        }
    }
}

/// One message with its parts: the fields of [`MailView`] (repeated rather than flattened,
/// see `views`) and `from`, `replyTo`, `text`, `html`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct MailMessageView {
    id: String,
    invoice_id: String,
    kind: String,
    recipient: String,
    subject: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    attempts: i64,
    message_id: String,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sent_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_at: Option<String>,
    from: String,
    reply_to: String,
    text: String,
    html: String,
}

impl MailMessageView {
    fn new(row: MailRow, from: String) -> Self {
        let view = MailView::from(&row);
        Self {
            id: view.id,
            invoice_id: view.invoice_id,
            kind: view.kind,
            recipient: view.recipient,
            subject: view.subject,
            status: view.status,
            error: view.error,
            attempts: view.attempts,
            message_id: view.message_id,
            created_at: view.created_at,
            sent_at: view.sent_at,
            failed_at: view.failed_at,
            from,
            reply_to: row.reply_to,
            text: row.body_text,
            html: row.body_html,
        }
    }
}

/// `{mail}`: a list of messages.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct MailList {
    mail: Vec<MailView>,
}

/// The mail id of `/api/mail/{id}`.
#[derive(Debug, Clone)]
pub(crate) struct MailPath(MailId);

impl<S: Send + Sync> FromRequestParts<S> for MailPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        MailId::parse(&text).map(Self).ok_or_else(|| ApiError::NotFound.into_response())
    }
}

/// `GET /api/mail` → `{mail}`, newest first.
#[utoipa::path(
    get, path = "/api/mail", tag = "mail", operation_id = "list_mail", security(("session" = [])),
    responses((status = 200, description = "The owner's mail", body = MailList)),
)]
pub(crate) async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<MailList>, ApiError> {
    let rows = state.usecases.mail_of(&user.id).await?;
    Ok(Json(MailList { mail: rows.iter().map(MailView::from).collect() }))
}

/// `GET /api/mail/{id}` → the row with its `from`, `replyTo`, `text` and `html`.
#[utoipa::path(
    get, path = "/api/mail/{id}", tag = "mail", operation_id = "show_mail",
    security(("session" = [])),
    params(("id" = String, Path, description = "The mail id")),
    responses(
        (status = 200, description = "The message", body = MailMessageView),
        (status = 404, description = "No such message of the owner's", body = ErrorBody),
    ),
)]
pub(crate) async fn show(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    MailPath(id): MailPath,
) -> Result<Json<MailMessageView>, ApiError> {
    let row = state.usecases.mail_item(&user.id, &id).await?;
    Ok(Json(MailMessageView::new(row, state.settings.mail.from.to_string())))
}

/// What the HTML part of a message may do when the Mail page frames it: nothing but show
/// itself with its inline styles (e-mail HTML has no scripts, fonts or remote images), in a
/// sandbox, framed by this origin only.
const MESSAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
     sandbox; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// `GET /api/mail/{id}/html` → the message's HTML part exactly as sent, under [`MESSAGE_CSP`]
/// (the security-headers middleware keeps a policy a handler set).
#[utoipa::path(
    get, path = "/api/mail/{id}/html", tag = "mail", security(("session" = [])),
    params(("id" = String, Path, description = "The mail id")),
    responses(
        (status = 200, description = "The HTML part", content(("text/html"))),
        (status = 404, description = "No such message of the owner's", body = ErrorBody),
    ),
)]
pub(crate) async fn html(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    MailPath(id): MailPath,
) -> Result<Response, ApiError> {
    let row = state.usecases.mail_item(&user.id, &id).await?;
    let headers = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        (header::CONTENT_SECURITY_POLICY, MESSAGE_CSP),
    ];
    Ok((headers, row.body_html).into_response())
}

/// `GET /api/invoices/{id}/mail` → `{mail}`, oldest first.
#[utoipa::path(
    get, path = "/api/invoices/{id}/mail", tag = "mail", security(("session" = [])),
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "The invoice's mail", body = MailList),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
    ),
)]
pub(crate) async fn of_invoice(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
) -> Result<Json<MailList>, ApiError> {
    let rows = state.usecases.invoice_mail(&user.id, &id).await?;
    Ok(Json(MailList { mail: rows.iter().map(MailView::from).collect() }))
}

/// `POST /api/invoices/{id}/resend` → the invoice; the new message is queued.
#[utoipa::path(
    post, path = "/api/invoices/{id}/resend", tag = "mail", security(("session" = [])),
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "The invoice", body = InvoiceView),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
        (status = 409, description = "A draft or void invoice", body = ErrorBody),
    ),
)]
pub(crate) async fn resend(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
) -> Result<Json<InvoiceView>, ApiError> {
    let invoice = state.usecases.resend(&user.id, &id).await?;
    Ok(Json(InvoiceView::new(&invoice, &state.public_url)))
}

/// `{enabled}` of the reminder switches.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Switch {
    enabled: bool,
}

/// `GET /api/settings/reminders` → `{enabled}`.
#[utoipa::path(
    get, path = "/api/settings/reminders", tag = "mail", security(("session" = [])),
    responses(
        (status = 200, description = "The switch", body = SwitchView),
    ),
)]
pub(crate) async fn owner_reminders(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<SwitchView>, ApiError> {
    let enabled = state.usecases.reminders(&user.id, None).await?;
    Ok(Json(SwitchView { enabled }))
}

/// `PUT /api/settings/reminders {enabled}` → `{enabled}`.
#[utoipa::path(
    put, path = "/api/settings/reminders", tag = "mail", security(("session" = [])),
    request_body = Switch,
    responses(
        (status = 200, description = "The switch", body = SwitchView),
    ),
)]
pub(crate) async fn set_owner_reminders(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(switch): JsonBody<Switch>,
) -> Result<Json<SwitchView>, ApiError> {
    state.usecases.set_reminders(&user.id, None, switch.enabled).await?;
    Ok(Json(SwitchView { enabled: switch.enabled }))
}

/// `GET /api/invoices/{id}/reminders` → `{enabled}`.
#[utoipa::path(
    get, path = "/api/invoices/{id}/reminders", tag = "mail", security(("session" = [])),
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "The switch", body = SwitchView),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
    ),
)]
pub(crate) async fn invoice_reminders(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
) -> Result<Json<SwitchView>, ApiError> {
    let enabled = state.usecases.reminders(&user.id, Some(&id)).await?;
    Ok(Json(SwitchView { enabled }))
}

/// `PUT /api/invoices/{id}/reminders {enabled}` → `{enabled}`.
#[utoipa::path(
    put, path = "/api/invoices/{id}/reminders", tag = "mail", security(("session" = [])),
    params(("id" = String, Path, description = "The invoice id")),
    request_body = Switch,
    responses(
        (status = 200, description = "The switch", body = SwitchView),
        (status = 404, description = "No such invoice of the owner's", body = ErrorBody),
    ),
)]
pub(crate) async fn set_invoice_reminders(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    InvoicePath(id): InvoicePath,
    JsonBody(switch): JsonBody<Switch>,
) -> Result<Json<SwitchView>, ApiError> {
    state.usecases.set_reminders(&user.id, Some(&id), switch.enabled).await?;
    Ok(Json(SwitchView { enabled: switch.enabled }))
}

/// `GET /api/settings/payment-notices` → `{enabled}`.
#[utoipa::path(
    get, path = "/api/settings/payment-notices", tag = "mail", security(("session" = [])),
    responses(
        (status = 200, description = "The switch", body = SwitchView),
    ),
)]
pub(crate) async fn payment_notices(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<SwitchView>, ApiError> {
    let enabled = state.usecases.payment_notices(&user.id).await?;
    Ok(Json(SwitchView { enabled }))
}

/// `PUT /api/settings/payment-notices {enabled}` → `{enabled}`.
#[utoipa::path(
    put, path = "/api/settings/payment-notices", tag = "mail", security(("session" = [])),
    request_body = Switch,
    responses(
        (status = 200, description = "The switch", body = SwitchView),
    ),
)]
pub(crate) async fn set_payment_notices(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(switch): JsonBody<Switch>,
) -> Result<Json<SwitchView>, ApiError> {
    state.usecases.set_payment_notices(&user.id, switch.enabled).await?;
    Ok(Json(SwitchView { enabled: switch.enabled }))
}
