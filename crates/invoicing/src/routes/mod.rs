//! The REST API: one file per area. A handler parses the request, calls a use case
//! ([`crate::usecases`]) and maps its outcome to a view and its error to an [`ApiError`].
//!
//! - [`auth`]: `POST /api/auth/login`, `POST /api/auth/logout`, `POST /api/auth/logout-all`,
//!   `GET /api/me`.
//! - [`invoices`]: `GET|POST /api/invoices`, `GET|PATCH /api/invoices/{id}`, `…/send`, `…/void`,
//!   `…/duplicate`.
//! - [`business`]: `GET|PUT /api/profile`, `GET|PUT /api/profile/logo`,
//!   `GET|POST /api/customers`, `GET|PATCH /api/customers/{id}`, `GET /api/pay/{id}/logo`.
//! - [`payments`]: `POST /api/invoices/{id}/payments`,
//!   `DELETE /api/invoices/{id}/payments/{paymentId}`.
//! - [`mail`]: `GET /api/mail`, `GET /api/mail/{id}`, `GET /api/invoices/{id}/mail`,
//!   `POST /api/invoices/{id}/resend`, the reminder and payment-notice switches.
//! - [`pay`]: the public payment page API, `GET /api/pay/{id}`, `POST /api/pay/{id}/checkout`,
//!   `POST /api/pay/{id}/intents`, `POST /api/pay/{id}/intents/{pi}/complete`.
//! - [`pdf`]: invoice and receipt PDFs, `GET /api/invoices/{id}/pdf`,
//!   `GET /api/invoices/{id}/payments/{paymentId}/receipt.pdf`, `GET /api/pay/{id}/pdf`,
//!   `GET /api/pay/{id}/payments/{paymentId}/receipt.pdf`, and the payer's receipt data
//!   `GET /api/pay/{id}/payments/{paymentId}`.
//! - [`stripe`]: Stripe's webhook, `POST /api/stripe/webhook`.
//! - [`events`]: the event log for pages that were disconnected, `GET /api/events`,
//!   `GET /api/pay/{id}/events`.
//! - [`push`]: Web Push, `GET /api/push/key`, `POST|DELETE /api/push/subscriptions`.
//! - [`pusher_auth`]: `GET /api/config`, `POST /pusher/auth`.
//! - [`ops`]: `GET /health`, `GET /ready`, and the request id every response carries.
//! - [`origin`]: unsafe requests from another origin refused (CSRF).
//! - [`headers`]: security headers on every response, the web app's CSP among them.
//! - [`openapi`]: the OpenAPI 3.1 document of all of the above, `GET /api/openapi.json`,
//!   derived from the handlers' `#[utoipa::path]` attributes and the types of [`views`] and
//!   [`answers`].

mod answers;
mod auth;
mod business;
mod error;
mod events;
mod extract;
mod headers;
mod input;
mod invoices;
mod mail;
mod openapi;
mod ops;
mod origin;
mod pay;
mod payments;
mod pdf;
mod push;
mod pusher_auth;
mod stripe;
mod views;

use std::sync::Arc;

use axum::Router;
use tokio_util::sync::CancellationToken;
use url::Url;

pub use error::ApiError;
pub use openapi::document as openapi_document;

use crate::auth::HashGate;
use crate::domain::ChannelNames;
use crate::mail::Composer;
use crate::settings::Settings;
use crate::store::Store;
use crate::usecases::UseCases;

/// What every handler shares.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    pub(crate) store: Store,
    pub(crate) settings: Arc<Settings>,
    pub(crate) public_url: Url,
    pub(crate) usecases: UseCases,
    /// Bounds the password checks of sign-ins.
    pub(crate) hashing: HashGate,
    /// Cancelled when shutdown starts: `/ready` turns 503.
    pub(crate) draining: CancellationToken,
}

impl AppState {
    pub(crate) fn new(store: Store, settings: Arc<Settings>, public_url: Url) -> Self {
        let draining = CancellationToken::new();
        let channels = ChannelNames { private: settings.private_channels };
        let composer = Composer::new(public_url.clone(), &settings.mail.from);
        let usecases = UseCases::new(store.clone(), settings.provider.clone(), channels)
            .with_mail(Arc::new(composer));
        let hashing = HashGate::new(settings.hashing);
        Self { store, settings, public_url, usecases, hashing, draining }
    }
}

/// The routes, one line each: `path => method(handler)…;`. [`router`] is built from this one
/// list, and so is [`ROUTES`], which the OpenAPI tests compare with the document: a route
/// cannot be added without an operation, nor an operation without a route.
macro_rules! routes {
    ($($path:literal => $($method:ident($handler:path)).+;)+) => {
        /// Every `(method, path)` the router serves, as registered (the catch-alls aside).
        #[cfg(test)]
        pub(crate) const ROUTES: &[(&str, &str)] = &[$($((stringify!($method), $path)),+),+];

        fn routes() -> Router<AppState> {
            Router::new()$(.route($path, axum::routing::MethodRouter::new()$(.$method($handler))+))+
        }
    };
}

routes! {
    "/api/auth/login" => post(auth::login);
    "/api/auth/logout" => post(auth::logout);
    "/api/auth/logout-all" => post(auth::logout_all);
    "/api/me" => get(auth::me);
    "/api/invoices" => get(invoices::list).post(invoices::create);
    "/api/invoices/{id}" => get(invoices::show).patch(invoices::edit);
    "/api/invoices/{id}/send" => post(invoices::send);
    "/api/invoices/{id}/duplicate" => post(invoices::duplicate);
    "/api/profile" => get(business::profile).put(business::set_profile);
    "/api/profile/logo" => get(business::logo).put(business::set_logo);
    "/api/customers" => get(business::customers).post(business::create_customer);
    "/api/customers/{id}" => get(business::customer).patch(business::edit_customer);
    "/api/pay/{id}/logo" => get(business::pay_logo);
    "/api/invoices/{id}/void" => post(invoices::void);
    "/api/invoices/{id}/payments" => post(payments::record);
    "/api/invoices/{id}/payments/{payment_id}" => delete(payments::remove);
    "/api/invoices/{id}/mail" => get(mail::of_invoice);
    "/api/invoices/{id}/resend" => post(mail::resend);
    "/api/invoices/{id}/reminders" =>
        get(mail::invoice_reminders).put(mail::set_invoice_reminders);
    "/api/settings/reminders" => get(mail::owner_reminders).put(mail::set_owner_reminders);
    "/api/settings/payment-notices" => get(mail::payment_notices).put(mail::set_payment_notices);
    "/api/mail" => get(mail::list);
    "/api/mail/{id}" => get(mail::show);
    "/api/mail/{id}/html" => get(mail::html);
    "/api/invoices/{id}/payments/{payment_id}/refunds" => post(payments::refund);
    "/api/invoices/{id}/pdf" => get(pdf::owner_invoice);
    "/api/invoices/{id}/payments/{payment_id}/receipt.pdf" => get(pdf::owner_receipt);
    "/api/pay/{id}/pdf" => get(pdf::payer_invoice);
    "/api/pay/{id}/payments/{payment_id}" => get(pdf::payer_payment);
    "/api/pay/{id}/payments/{payment_id}/receipt.pdf" => get(pdf::payer_receipt);
    "/api/pay/{id}" => get(pay::show);
    "/api/pay/{id}/checkout" => post(pay::checkout);
    "/api/pay/{id}/intents" => post(pay::create_intent);
    "/api/pay/{id}/intents/{intent}/complete" => post(pay::complete_intent);
    "/api/stripe/webhook" => post(stripe::webhook);
    "/api/events" => get(events::owner);
    "/api/pay/{id}/events" => get(events::invoice);
    "/api/push/key" => get(push::key);
    "/api/push/subscriptions" => post(push::subscribe).delete(push::unsubscribe);
    "/api/config" => get(pusher_auth::config);
    "/api/openapi.json" => get(openapi::serve);
    "/pusher/auth" => post(pusher_auth::authorize);
    "/health" => get(ops::health);
    "/ready" => get(ops::ready);
}

pub(crate) fn router(state: AppState) -> Router {
    let api = routes()
        .route("/api/{*rest}", axum::routing::any(not_found))
        .route("/pusher/{*rest}", axum::routing::any(not_found))
        .layer(axum::middleware::from_fn_with_state(state.clone(), origin::same_origin_only));
    api.with_state(state)
}

/// Gives every request an id (the client's `X-Request-Id`, or a new one), logs the request
/// in a span carrying it, and returns it on the response.
pub(crate) use ops::with_request_id;

/// Sets the security headers on every response, the fallback's (the web app) included.
pub(crate) use headers::security_headers;

/// For checks that passed yet left a value missing, which they never do.
fn incomplete() -> ApiError {
    ApiError::Validation(crate::domain::ValidationError::field("body", "is incomplete"))
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}
