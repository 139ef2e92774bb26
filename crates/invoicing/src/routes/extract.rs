//! Extractors shared by the routes: JSON bodies whose rejections become [`ApiError`]s, the
//! signed-in user from the session cookie, the client's address, the `Idempotency-Key`
//! header, the invoice id of the path.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Path, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::{ApiError, AppState};
use crate::auth::token_hash;
use crate::domain::{InvoiceId, PaymentId, User, ValidationError};

/// The session cookie's name.
pub(crate) const SESSION_COOKIE: &str = "paybell_session";

/// A JSON body; bad bodies answer with our error shape.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub(crate) T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(match rejection {
                JsonRejection::JsonDataError(error) => {
                    ApiError::Validation(ValidationError::field("body", error.body_text()))
                }
                JsonRejection::JsonSyntaxError(error) => ApiError::BadRequest(error.body_text()),
                JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
                // Over axum's default body limit (2 MiB).
                JsonRejection::BytesRejection(error)
                    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    ApiError::PayloadTooLarge
                }
                JsonRejection::BytesRejection(error) => ApiError::BadRequest(error.body_text()),
                other => ApiError::BadRequest(other.body_text()),
            }),
        }
    }
}

/// The session token from the `Cookie` header, if any.
pub(crate) fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, token)| token.to_owned())
}

/// The signed-in user; 401 without a valid session.
#[derive(Debug, Clone)]
pub(crate) struct CurrentUser(pub(crate) User);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        MaybeUser::from_request_parts(parts, state)
            .await?
            .0
            .map(Self)
            .ok_or(ApiError::Unauthenticated)
    }
}

/// The signed-in user, if there is one.
#[derive(Debug, Clone)]
pub(crate) struct MaybeUser(pub(crate) Option<User>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(token) = session_token(&parts.headers) else { return Ok(Self(None)) };
        let (now, idle) = (state.settings.clock.now(), state.settings.retention.session_idle);
        let user = state.store.session_user(&token_hash(&token), now, idle).await?;
        Ok(Self(user.filter(|user| state.settings.may_sign_in(&user.email))))
    }
}

/// The client's address: the TCP peer, or what a trusted proxy says in `X-Forwarded-For`
/// ([`crate::net`]); `None` only when the server was not told the peer (not through
/// `http_serve`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddress(pub(crate) Option<IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        let proxies = &state.settings.trusted_proxies;
        Ok(Self(peer.map(|peer| proxies.client_address(peer, &parts.headers))))
    }
}

/// The optional `Idempotency-Key` header: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone)]
pub(crate) struct IdempotencyKey(pub(crate) Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get("idempotency-key") else { return Ok(Self(None)) };
        let key = value.to_str().ok().map(str::trim).filter(|key| {
            (1..=255).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
        });
        key.map(|key| Self(Some(key.to_owned()))).ok_or_else(|| {
            ApiError::Validation(ValidationError::field(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ))
        })
    }
}

/// The invoice id of an `…/{id}` path; an id that is not one of ours is simply not found.
#[derive(Debug, Clone)]
pub(crate) struct InvoicePath(pub(crate) InvoiceId);

impl<S: Send + Sync> FromRequestParts<S> for InvoicePath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        InvoiceId::parse(&text).map(Self).ok_or_else(|| ApiError::NotFound.into_response())
    }
}

/// `{id}/payments/{paymentId}`: a payment of an invoice; a malformed id is a 404 as well.
#[derive(Debug)]
pub(crate) struct PaymentPath(pub(crate) InvoiceId, pub(crate) PaymentId);

impl<S: Send + Sync> FromRequestParts<S> for PaymentPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path((invoice, payment)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match (InvoiceId::parse(&invoice), PaymentId::parse(&payment)) {
            (Some(invoice), Some(payment)) => Ok(Self(invoice, payment)),
            _ => Err(ApiError::NotFound.into_response()),
        }
    }
}

/// `{id}` and `{pi}` of `/api/pay/{id}/intents/{pi}/…`: an invoice id and a Stripe
/// PaymentIntent id (`pi_` and letters, digits, `_`); anything else is a 404.
pub(crate) struct IntentPath(pub(crate) InvoiceId, pub(crate) String);

impl<S: Send + Sync> FromRequestParts<S> for IntentPath {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let Path((invoice, intent)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let intent_ok = intent.len() <= 255
            && intent.starts_with("pi_")
            && intent.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match InvoiceId::parse(&invoice) {
            Some(invoice) if intent_ok => Ok(Self(invoice, intent)),
            _ => Err(ApiError::NotFound.into_response()),
        }
    }
}
