//! The OpenAPI 3.1 document of the REST API, served at `GET /api/openapi.json`: derived by
//! utoipa from the handlers' `#[utoipa::path]` attributes and the `ToSchema` types of the
//! views, answers and inputs, then given the conventions every operation shares
//! ([`conventions`]). Built once per process; the same bytes for every request, with an
//! `ETag`.
//!
//! What keeps it true: the tests below compare its operations with [`super::ROUTES`] (the
//! list the router is built from) and check that every response object refuses unknown
//! fields; the API test-suite validates each JSON answer it receives against the schema of its
//! operation and status (`tests/api/contract.rs`).

use std::sync::LazyLock;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::ErrorBody;
use super::extract::SESSION_COOKIE;
use super::{
    auth, business, events, invoices, mail, ops, pay, payments, pdf, push, pusher_auth, stripe,
};

/// The security scheme of operations that need the owner's session.
const SESSION_SCHEME: &str = "session";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Paybell",
        description = "Paybell's REST API: invoices, payments, the payment page, e-mail, \
            PDFs, Web Push and the event log. Amounts are integers in minor units. Errors \
            answer `{\"error\": {code, message, fields?, retryAfter?}}`."
    ),
    paths(
        auth::login, auth::logout, auth::logout_all, auth::me,
        invoices::list, invoices::create, invoices::show, invoices::edit, invoices::send,
        invoices::duplicate, invoices::void,
        business::profile, business::set_profile, business::logo, business::set_logo,
        business::customers, business::create_customer, business::customer,
        business::edit_customer, business::pay_logo,
        payments::record, payments::remove, payments::refund,
        mail::of_invoice, mail::resend, mail::invoice_reminders, mail::set_invoice_reminders,
        mail::owner_reminders, mail::set_owner_reminders, mail::payment_notices,
        mail::set_payment_notices, mail::list, mail::show, mail::html,
        pdf::owner_invoice, pdf::owner_receipt, pdf::payer_invoice, pdf::payer_payment,
        pdf::payer_receipt,
        pay::show, pay::checkout, pay::create_intent, pay::complete_intent,
        stripe::webhook, events::owner, events::invoice, push::key, push::subscribe,
        push::unsubscribe, pusher_auth::config, pusher_auth::authorize, serve,
        ops::health, ops::ready,
    ),
    components(schemas(ErrorBody)),
    modifiers(&SessionCookie),
)]
struct ApiDoc;

/// The session cookie as a security scheme.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let cookie = ApiKeyValue::with_description(
            SESSION_COOKIE,
            "The HttpOnly session cookie `POST /api/auth/login` sets",
        );
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .add_security_scheme(SESSION_SCHEME, SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
    }
}

/// The document as served, and its `ETag`.
struct Served {
    json: String,
    etag: HeaderValue,
}

static DOCUMENT: LazyLock<Served> = LazyLock::new(|| {
    let json = document().to_string();
    let digest = Sha256::digest(json.as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    let etag = HeaderValue::from_str(&format!("\"{hex}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"openapi\""));
    Served { json, etag }
});

/// The OpenAPI document.
pub fn document() -> Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    conventions(&mut document);
    document
}

/// What every operation shares, added here rather than repeated on each: a `default` response
/// with the error body (any status not listed answers it), and a 401 on every operation that
/// needs the session.
fn conventions(document: &mut Value) {
    let error = json!({
        "description": "An error: `{\"error\": {code, message, …}}`",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    });
    let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut().filter_map(Value::as_object_mut))
    {
        let needs_session = operation
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|all| all.iter().all(|one| one.get(SESSION_SCHEME).is_some()));
        let Some(responses) = operation.get_mut("responses").and_then(Value::as_object_mut) else {
            continue;
        };
        if needs_session && !responses.contains_key("401") {
            let mut unauthenticated = error.clone();
            unauthenticated["description"] = json!("No valid session");
            responses.insert("401".to_owned(), unauthenticated);
        }
        responses.entry("default").or_insert_with(|| error.clone());
    }
}

/// `GET /api/openapi.json`: this document. Public; the same for every request of this build,
/// so caches may keep it an hour and revalidate with `If-None-Match`.
#[utoipa::path(
    get, path = "/api/openapi.json", tag = "ops",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", body = Object,
            headers(("ETag" = String, description = "Of this build's document"))),
        (status = 304, description = "Not modified (`If-None-Match`)"),
    ),
)]
pub(crate) async fn serve(headers: HeaderMap) -> Response {
    let served = &*DOCUMENT;
    let cache = [
        (CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
        (ETAG, served.etag.clone()),
    ];
    let fresh = headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|tag| tag.trim() == "*" || tag.trim().as_bytes() == served.etag.as_bytes());
    if fresh {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let json = HeaderValue::from_static("application/json");
    (cache, [(CONTENT_TYPE, json)], served.json.clone()).into_response()
}

#[cfg(test)]
mod tests;
