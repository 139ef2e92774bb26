//! The owner's business: `GET|PUT /api/profile`, `GET|PUT /api/profile/logo`,
//! `GET|POST /api/customers`, `GET|PATCH /api/customers/{id}`; and the seller's logo for the
//! payer, `GET /api/pay/{id}/logo`.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::answers::{CustomerAccountView, CustomerList, LogoView, OutstandingView};
use super::error::ErrorBody;
use super::extract::{CurrentUser, InvoicePath, JsonBody};
use super::input::{CustomerBody, ProfileInput, customer_id, integer};
use super::views::{CustomerRecordView, InvoiceView, ProfileView};
use super::{ApiError, AppState};
use crate::domain::logo::{LogoError, MAX_LOGO_BYTES};
use crate::domain::profile::ProfileFields;
use crate::domain::{Checks, CustomerId, CustomerRecord, Profile, Timestamp, UserId};
use crate::store::StoredLogo;

/// Most customers one autocomplete or list answer holds.
const MAX_LISTED: usize = 200;

/// `GET /api/profile`.
#[utoipa::path(
    get, path = "/api/profile", tag = "business", security(("session" = [])),
    responses((status = 200, description = "The business profile", body = ProfileView)),
)]
pub(crate) async fn profile(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Json<ProfileView>, ApiError> {
    profile_view(&state, &user.id).await
}

async fn profile_view(state: &AppState, owner: &UserId) -> Result<Json<ProfileView>, ApiError> {
    let profile = state.usecases.profile(owner).await?;
    let has_logo = state.usecases.has_logo(owner).await?;
    Ok(Json(ProfileView::new(&profile, has_logo)))
}

/// `PUT /api/profile`: the whole profile; absent fields are saved empty.
#[utoipa::path(
    put, path = "/api/profile", tag = "business", security(("session" = [])),
    request_body = ProfileInput,
    responses(
        (status = 200, description = "The profile as saved", body = ProfileView),
        (status = 422, description = "Invalid, field by field", body = ErrorBody),
    ),
)]
pub(crate) async fn set_profile(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(input): JsonBody<ProfileInput>,
) -> Result<Json<ProfileView>, ApiError> {
    let mut checks = Checks::default();
    let terms = match input.payment_terms_days.as_ref().filter(|v| !v.is_null()) {
        Some(value) => checks.take(integer("paymentTermsDays", Some(value))).map(Some),
        None => Some(None),
    };
    checks.finish()?;
    let fields = ProfileFields {
        legal_name: &input.legal_name,
        address: &input.address,
        tax_id: &input.tax_id,
        email: &input.email,
        phone: &input.phone,
        brand_color: &input.brand_color,
        default_currency: input.default_currency.as_deref().unwrap_or(""),
        payment_terms_days: terms.flatten(),
        payment_instructions: &input.payment_instructions,
        number_prefix: &input.number_prefix,
    };
    let profile = Profile::parse(&fields)?;
    state.usecases.set_profile(&user.id, &profile).await?;
    profile_view(&state, &user.id).await
}

/// `PUT /api/profile/logo` with the image as the body (PNG or JPEG, at most 1 MiB, checked
/// by content whatever the `Content-Type`) → `{contentType, width, height, logoUrl}`.
#[utoipa::path(
    put, path = "/api/profile/logo", tag = "business", security(("session" = [])),
    request_body(description = "The image", content(("image/png"), ("image/jpeg"))),
    responses(
        (status = 200, description = "The logo as checked", body = LogoView),
        (status = 413, description = "Over 1 MiB", body = ErrorBody),
        (status = 415, description = "Neither PNG nor JPEG", body = ErrorBody),
        (status = 422, description = "A damaged image", body = ErrorBody),
    ),
)]
pub(crate) async fn set_logo(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: Body,
) -> Result<Json<LogoView>, ApiError> {
    // One byte over the limit is enough to know it is too large; nothing more is read.
    let bytes = axum::body::to_bytes(body, MAX_LOGO_BYTES + 1)
        .await
        .map_err(|_| ApiError::Logo(LogoError::TooLarge))?;
    let logo = state.usecases.set_logo(&user.id, &bytes).await?.map_err(ApiError::Logo)?;
    Ok(Json(LogoView {
        content_type: logo.content_type,
        width: logo.width,
        height: logo.height,
        logo_url: "/api/profile/logo",
    }))
}

/// `GET /api/profile/logo`.
#[utoipa::path(
    get, path = "/api/profile/logo", tag = "business", security(("session" = [])),
    responses(
        (status = 200, description = "The logo", content(("image/png"), ("image/jpeg"))),
        (status = 404, description = "No logo", body = ErrorBody),
    ),
)]
pub(crate) async fn logo(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Response, ApiError> {
    let logo = state.usecases.logo(&user.id).await?.ok_or(ApiError::NotFound)?;
    Ok(image(logo))
}

/// `GET /api/pay/{id}/logo`: the seller's logo on the payment page.
#[utoipa::path(
    get, path = "/api/pay/{id}/logo", tag = "pay",
    params(("id" = String, Path, description = "The invoice id")),
    responses(
        (status = 200, description = "The seller's logo", content(("image/png"), ("image/jpeg"))),
        (status = 404, description = "No such sent invoice, or no logo", body = ErrorBody),
    ),
)]
pub(crate) async fn pay_logo(
    State(state): State<AppState>,
    InvoicePath(id): InvoicePath,
) -> Result<Response, ApiError> {
    let invoice = state.usecases.payable_invoice(&id).await?;
    let logo = state.usecases.logo(&invoice.user_id).await?.ok_or(ApiError::NotFound)?;
    Ok(image(logo))
}

/// The image with the type found when it was checked, never sniffed, never run as a document.
fn image(logo: StoredLogo) -> Response {
    let content_type = match logo.content_type.as_str() {
        "image/jpeg" => "image/jpeg",
        _ => "image/png",
    };
    let mut response = logo.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'"));
    response
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CustomerQuery {
    /// Part of the name, any case; all customers when empty.
    #[serde(default)]
    q: String,
    /// 1 to 200; 200 when absent.
    limit: Option<usize>,
}

/// `GET /api/customers?q=&limit=` → `{customers}` whose name contains `q`, by name.
#[utoipa::path(
    get, path = "/api/customers", tag = "business", security(("session" = [])),
    params(CustomerQuery),
    responses((status = 200, description = "Customers of the directory", body = CustomerList)),
)]
pub(crate) async fn customers(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Query(query): Query<CustomerQuery>,
) -> Result<Json<CustomerList>, ApiError> {
    let limit = query.limit.unwrap_or(MAX_LISTED).clamp(1, MAX_LISTED);
    let found = state.usecases.customers(&user.id, &query.q, limit).await?;
    let views: Vec<CustomerRecordView> = found.iter().map(CustomerRecordView::from).collect();
    Ok(Json(CustomerList { customers: views }))
}

/// `POST /api/customers` → 201.
#[utoipa::path(
    post, path = "/api/customers", tag = "business", security(("session" = [])),
    request_body = CustomerBody,
    responses(
        (status = 201, description = "The new customer", body = CustomerRecordView),
        (status = 422, description = "Invalid, field by field", body = ErrorBody),
    ),
)]
pub(crate) async fn create_customer(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    JsonBody(body): JsonBody<CustomerBody>,
) -> Result<(StatusCode, Json<CustomerRecordView>), ApiError> {
    let record = parse_customer(CustomerId::new(), body, None)?;
    state.usecases.create_customer(&user.id, &record).await?;
    Ok((StatusCode::CREATED, Json(CustomerRecordView::from(&record))))
}

fn parse_customer(
    id: CustomerId,
    body: CustomerBody,
    base: Option<&CustomerRecord>,
) -> Result<CustomerRecord, ApiError> {
    let c = base.map(|b| &b.customer);
    let name = body.name.as_deref().or(c.map(|c| c.name.as_str())).unwrap_or("");
    let email = body.email.as_deref().or(c.map(|c| c.email.as_str())).unwrap_or("");
    let address = body.address.as_deref().or(c.map(|c| c.address.as_str())).unwrap_or("");
    let tax_id = body.tax_id.as_deref().or(c.map(|c| c.tax_id.as_str())).unwrap_or("");
    let notes = body.notes.as_deref().or(base.map(|b| b.notes.as_str())).unwrap_or("");
    let now = Timestamp::now();
    let mut record = CustomerRecord::parse(id, name, email, address, tax_id, notes, now)?;
    if let Some(base) = base {
        record.created_at = base.created_at;
    }
    Ok(record)
}

fn path_id(id: &str) -> Result<CustomerId, ApiError> {
    customer_id(Some(id)).ok().flatten().ok_or(ApiError::NotFound)
}

/// `GET /api/customers/{id}` → the customer, their invoices and `outstanding: [{currency,
/// amount}]` over the invoices awaiting money.
#[utoipa::path(
    get, path = "/api/customers/{id}", tag = "business", security(("session" = [])),
    params(("id" = String, Path, description = "The customer id")),
    responses(
        (status = 200, description = "The customer's account", body = CustomerAccountView),
        (status = 404, description = "No such customer of the owner's", body = ErrorBody),
    ),
)]
pub(crate) async fn customer(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<CustomerAccountView>, ApiError> {
    let id = path_id(&id)?;
    let account = state.usecases.customer_account(&user.id, &id).await?;
    let invoices: Vec<InvoiceView> =
        account.invoices.iter().map(|i| InvoiceView::new(i, &state.public_url)).collect();
    let outstanding = account
        .outstanding
        .iter()
        .map(|&(currency, amount)| OutstandingView { currency, amount })
        .collect();
    Ok(Json(CustomerAccountView {
        customer: CustomerRecordView::from(&account.record),
        invoices,
        outstanding,
    }))
}

/// `PATCH /api/customers/{id}`: the creation body, every field optional. Invoices already
/// made keep the customer as they had it.
#[utoipa::path(
    patch, path = "/api/customers/{id}", tag = "business", security(("session" = [])),
    params(("id" = String, Path, description = "The customer id")),
    request_body = CustomerBody,
    responses(
        (status = 200, description = "The customer as saved", body = CustomerRecordView),
        (status = 404, description = "No such customer of the owner's", body = ErrorBody),
        (status = 422, description = "Invalid, field by field", body = ErrorBody),
    ),
)]
pub(crate) async fn edit_customer(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CustomerBody>,
) -> Result<Json<CustomerRecordView>, ApiError> {
    let id = path_id(&id)?;
    let account = state.usecases.customer_account(&user.id, &id).await?;
    let record = parse_customer(id, body, Some(&account.record))?;
    state.usecases.update_customer(&user.id, &record).await?;
    Ok(Json(CustomerRecordView::from(&record)))
}
