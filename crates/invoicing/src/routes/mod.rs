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

mod auth;
mod business;
mod error;
mod events;
mod extract;
mod headers;
mod input;
mod invoices;
mod mail;
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
use axum::routing::{delete, get, post};
use tokio_util::sync::CancellationToken;
use url::Url;

pub use error::ApiError;

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

pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/logout", post(auth::logout))
        .route("/api/auth/logout-all", post(auth::logout_all))
        .route("/api/me", get(auth::me))
        .route("/api/invoices", get(invoices::list).post(invoices::create))
        .route("/api/invoices/{id}", get(invoices::show).patch(invoices::edit))
        .route("/api/invoices/{id}/send", post(invoices::send))
        .route("/api/invoices/{id}/duplicate", post(invoices::duplicate))
        .route("/api/profile", get(business::profile).put(business::set_profile))
        .route("/api/profile/logo", get(business::logo).put(business::set_logo))
        .route("/api/customers", get(business::customers).post(business::create_customer))
        .route("/api/customers/{id}", get(business::customer).patch(business::edit_customer))
        .route("/api/pay/{id}/logo", get(business::pay_logo))
        .route("/api/invoices/{id}/void", post(invoices::void))
        .route("/api/invoices/{id}/payments", post(payments::record))
        .route("/api/invoices/{id}/payments/{payment_id}", delete(payments::remove))
        .route("/api/invoices/{id}/mail", get(mail::of_invoice))
        .route("/api/invoices/{id}/resend", post(mail::resend))
        .route(
            "/api/invoices/{id}/reminders",
            get(mail::invoice_reminders).put(mail::set_invoice_reminders),
        )
        .route("/api/settings/reminders", get(mail::owner_reminders).put(mail::set_owner_reminders))
        .route(
            "/api/settings/payment-notices",
            get(mail::payment_notices).put(mail::set_payment_notices),
        )
        .route("/api/mail", get(mail::list))
        .route("/api/mail/{id}", get(mail::show))
        .route("/api/mail/{id}/html", get(mail::html))
        .route("/api/invoices/{id}/payments/{payment_id}/refunds", post(payments::refund))
        .route("/api/invoices/{id}/pdf", get(pdf::owner_invoice))
        .route("/api/invoices/{id}/payments/{payment_id}/receipt.pdf", get(pdf::owner_receipt))
        .route("/api/pay/{id}/pdf", get(pdf::payer_invoice))
        .route("/api/pay/{id}/payments/{payment_id}", get(pdf::payer_payment))
        .route("/api/pay/{id}/payments/{payment_id}/receipt.pdf", get(pdf::payer_receipt))
        .route("/api/pay/{id}", get(pay::show))
        .route("/api/pay/{id}/checkout", post(pay::checkout))
        .route("/api/pay/{id}/intents", post(pay::create_intent))
        .route("/api/pay/{id}/intents/{intent}/complete", post(pay::complete_intent))
        .route("/api/stripe/webhook", post(stripe::webhook))
        .route("/api/events", get(events::owner))
        .route("/api/pay/{id}/events", get(events::invoice))
        .route("/api/push/key", get(push::key))
        .route("/api/push/subscriptions", post(push::subscribe).delete(push::unsubscribe))
        .route("/api/config", get(pusher_auth::config))
        .route("/pusher/auth", post(pusher_auth::authorize))
        .route("/api/{*rest}", axum::routing::any(not_found))
        .route("/pusher/{*rest}", axum::routing::any(not_found))
        .route("/health", get(ops::health))
        .route("/ready", get(ops::ready))
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
