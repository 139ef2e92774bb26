//! [`ApiError`]: every way a request fails, mapped to a status and `{error:{code,message,fields?}}`.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::HashError;
use crate::domain::logo::LogoError;
use crate::domain::{DomainError, IllegalTransition, ValidationError};
use crate::provider::ChargeError;
use crate::store::StoreError;
use crate::usecases::UseCaseError;

/// Seconds a client is asked to wait after a 503 `busy`: a sign-in takes well under one.
const BUSY_RETRY_AFTER: &str = "1";

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session (401).
    #[error("sign in first")]
    Unauthenticated,
    /// Wrong e-mail or password (401).
    #[error("wrong e-mail address or password")]
    InvalidCredentials,
    /// Signed in, or holding a link, but not allowed (403).
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such thing, or not yours (404).
    #[error("not found")]
    NotFound,
    /// The body is not JSON, or a header is malformed (400).
    #[error("{0}")]
    BadRequest(String),
    /// The body is not declared as JSON (415).
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    /// The body is over the 2 MiB a request may carry (413).
    #[error("the body is over 2 MiB")]
    PayloadTooLarge,
    /// What was asked for is no longer kept, e.g. an event-log cursor (410).
    #[error("{0}")]
    Gone(&'static str),
    /// Input that is not acceptable (422).
    #[error("{0}")]
    Validation(ValidationError),
    /// An upload that is not a logo: too large (413), not PNG or JPEG (415), damaged (422).
    #[error(transparent)]
    Logo(LogoError),
    /// The invoice's status does not allow it (409).
    #[error("{0}")]
    IllegalTransition(IllegalTransition),
    /// An `Idempotency-Key` reused for a different request (422).
    #[error("this Idempotency-Key was already used for a different payment")]
    IdempotencyKeyReused,
    /// A request with the same `Idempotency-Key` is still being charged (409).
    #[error("a payment with this Idempotency-Key is in progress; retry when it has finished")]
    IdempotencyInProgress,
    /// Other attempts hold the balance this payment needs (409).
    #[error("another payment of this invoice is in progress; try again in a moment")]
    PaymentInProgress,
    /// A retried payment whose first answer the owner has removed since (409).
    #[error("the payment made with this Idempotency-Key was removed")]
    PaymentRemoved,
    /// A payment that cannot be removed: the provider's, paid by card (409).
    #[error("a card payment made through the payment provider cannot be removed")]
    PaymentNotRemovable,
    /// A payment that cannot be refunded: the owner's own record, or refunded in full (409).
    #[error("only a card payment that is not refunded in full can be refunded")]
    PaymentNotRefundable,
    /// The owner has registered as many push subscriptions as allowed (409).
    #[error("at most {0} browsers can receive push notifications; turn them off in one first")]
    TooManySubscriptions(i64),
    /// An e-mail address already in use (409).
    #[error("a user with this e-mail address exists")]
    EmailTaken,
    /// The active payment provider does not take this request (409).
    #[error("{0}")]
    ProviderUnavailable(String),
    /// The payment is not finished at the provider yet (409).
    #[error("{0}")]
    PaymentPending(String),
    /// A payment the invoice no longer took, refunded (409).
    #[error("{0}")]
    PaymentGivenBack(String),
    /// The payment provider could not be reached (502).
    #[error("{0}")]
    ProviderFailed(String),
    /// A webhook whose signature does not verify (400).
    #[error("{0}")]
    BadSignature(String),
    /// The card was declined (402).
    #[error("{0}")]
    CardDeclined(String),
    /// Too many failed sign-ins for this account or from this address (429 with
    /// `Retry-After`, in whole seconds).
    #[error("too many failed sign-ins; try again in {}", wait_text(*retry_after))]
    TooManyAttempts {
        /// Seconds until a sign-in is considered again; at least 1.
        retry_after: u64,
    },
    /// Too many sign-ins at once; try again shortly (503 with `Retry-After`).
    #[error("the server is busy, try again in a moment")]
    Busy,
    /// Something on our side (500); the cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Gone(_) => (StatusCode::GONE, "cursor_gone"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            Self::Logo(LogoError::TooLarge) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::Logo(LogoError::UnsupportedType) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_image")
            }
            Self::Logo(LogoError::Damaged(_)) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_image"),
            Self::IllegalTransition(_) => (StatusCode::CONFLICT, "illegal_transition"),
            Self::IdempotencyKeyReused => {
                (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
            }
            Self::PaymentRemoved => (StatusCode::CONFLICT, "payment_removed"),
            Self::IdempotencyInProgress => (StatusCode::CONFLICT, "idempotency_in_progress"),
            Self::PaymentInProgress => (StatusCode::CONFLICT, "payment_in_progress"),
            Self::PaymentNotRemovable => (StatusCode::CONFLICT, "payment_not_removable"),
            Self::PaymentNotRefundable => (StatusCode::CONFLICT, "payment_not_refundable"),
            Self::EmailTaken => (StatusCode::CONFLICT, "email_taken"),
            Self::TooManySubscriptions(_) => (StatusCode::CONFLICT, "too_many_subscriptions"),
            Self::CardDeclined(_) => (StatusCode::PAYMENT_REQUIRED, "card_declined"),
            Self::ProviderUnavailable(_) => (StatusCode::CONFLICT, "provider_unavailable"),
            Self::PaymentPending(_) => (StatusCode::CONFLICT, "payment_pending"),
            Self::PaymentGivenBack(_) => (StatusCode::CONFLICT, "payment_refunded"),
            Self::ProviderFailed(_) => (StatusCode::BAD_GATEWAY, "provider_error"),
            Self::BadSignature(_) => (StatusCode::BAD_REQUEST, "bad_signature"),
            Self::TooManyAttempts { .. } => (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if let Self::Internal(cause) = &self {
            let mut chain = cause.to_string();
            let mut source = cause.source();
            while let Some(next) = source {
                chain.push_str(": ");
                chain.push_str(&next.to_string());
                source = next.source();
            }
            tracing::error!(error = %chain, "request failed");
        }
        let error = ErrorDetail {
            code,
            message: self.to_string(),
            fields: if let Self::Validation(v) = &self { Some(v.fields.clone()) } else { None },
            retry_after: if let Self::TooManyAttempts { retry_after } = &self {
                Some(*retry_after)
            } else {
                None
            },
        };
        let mut response = (status, Json(ErrorBody { error })).into_response();
        if let Self::Busy = self {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static(BUSY_RETRY_AFTER));
        }
        if let Self::TooManyAttempts { retry_after } = self {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after));
        }
        response
    }
}

/// Every error answer: `{"error": {code, message, fields?, retryAfter?}}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ErrorBody {
    error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ErrorDetail {
    /// Stable and machine-readable: `validation_failed`, `not_found`, `illegal_transition`…
    code: &'static str,
    /// For people; may change.
    message: String,
    /// `validation_failed` only: field path (`items[0].unitPrice`) → what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<String, String>>,
    /// `too_many_attempts` only: seconds to wait, as in `Retry-After`.
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

/// "45 seconds", "1 minute", "15 minutes": a wait as a person reads it, rounded up.
fn wait_text(seconds: u64) -> String {
    match seconds {
        0..=1 => "1 second".to_owned(),
        2..=59 => format!("{seconds} seconds"),
        _ => match seconds.div_ceil(60) {
            1 => "1 minute".to_owned(),
            minutes => format!("{minutes} minutes"),
        },
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::Validation(error)
    }
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::Invalid(validation) => Self::Validation(validation),
            DomainError::Illegal(transition) => Self::IllegalTransition(transition),
            DomainError::NoSuchPayment => Self::NotFound,
            DomainError::NotRemovable => Self::PaymentNotRemovable,
            DomainError::NotRefundable => Self::PaymentNotRefundable,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Rejected(domain) => domain.into(),
            StoreError::EmailTaken => Self::EmailTaken,
            StoreError::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            StoreError::PaymentRemoved => Self::PaymentRemoved,
            StoreError::IdempotencyInProgress => Self::IdempotencyInProgress,
            StoreError::PaymentInProgress => Self::PaymentInProgress,
            error @ (StoreError::UnsupportedUrl
            | StoreError::DataDir(_)
            | StoreError::Database(_)
            | StoreError::Migrate(_)
            | StoreError::Corrupt(_)) => Self::Internal(Box::new(error)),
        }
    }
}

impl From<HashError> for ApiError {
    fn from(error: HashError) -> Self {
        match error {
            HashError::Busy => Self::Busy,
            error @ (HashError::Argon2(_) | HashError::Task(_)) => Self::Internal(Box::new(error)),
        }
    }
}

impl From<ChargeError> for ApiError {
    fn from(error: ChargeError) -> Self {
        match error {
            ChargeError::Declined(message) => Self::CardDeclined(message),
            ChargeError::UnknownCard(message) => {
                Self::Validation(ValidationError::field("card.number", message))
            }
            ChargeError::Unavailable(message) => Self::ProviderUnavailable(message),
            ChargeError::Pending(message) => Self::PaymentPending(message),
            ChargeError::Refunded(message) => Self::PaymentGivenBack(message),
            ChargeError::Failed(message) => Self::ProviderFailed(message),
        }
    }
}

impl From<UseCaseError> for ApiError {
    fn from(error: UseCaseError) -> Self {
        match error {
            UseCaseError::NotFound => Self::NotFound,
            UseCaseError::Invalid(validation) => Self::Validation(validation),
            UseCaseError::Rejected(domain) => domain.into(),
            UseCaseError::Charge(charge) => charge.into(),
            UseCaseError::Store(store) => store.into(),
        }
    }
}
