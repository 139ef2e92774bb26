//! Every way an API request fails, mapped to a status and a JSON body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use pusher_protocol::api::{ErrorBody, InfoError};
use pusher_protocol::sign::ApiAuthError;

use crate::cluster::ClusterError;
use crate::trigger::TriggerError;

/// An HTTP API failure.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ApiError {
    /// No app has this id.
    #[error("Unknown app id {0}")]
    AppNotFound(String),
    /// The app is disabled.
    #[error("Application is disabled")]
    AppDisabled,
    /// The signature, key or timestamp is wrong.
    #[error("Authentication failed: {0}")]
    Unauthorized(#[from] ApiAuthError),
    /// The request is malformed or breaks a rule.
    #[error("{0}")]
    BadRequest(String),
    /// The `info` parameter asks for what this route or channel cannot answer.
    #[error(transparent)]
    Info(#[from] InfoError),
    /// A request body is over the size limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The app's request rate limit is exceeded.
    #[error("Too many requests: at most {0} per second")]
    RateLimited(u32),
    /// The event itself was refused.
    #[error(transparent)]
    Trigger(#[from] TriggerError),
    /// The cluster's shared state could not be read.
    #[error("Cluster state unavailable: {0}")]
    Cluster(#[from] ClusterError),
}

impl ApiError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            Self::AppNotFound(_) => StatusCode::NOT_FOUND,
            Self::AppDisabled => StatusCode::FORBIDDEN,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Info(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Trigger(error) => trigger_status(error),
            Self::Cluster(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

fn trigger_status(error: &TriggerError) -> StatusCode {
    match error {
        TriggerError::UnknownApp(_) => StatusCode::NOT_FOUND,
        TriggerError::EventName
        | TriggerError::ChannelCount { .. }
        | TriggerError::Channel { .. }
        | TriggerError::EncryptedWithOthers
        | TriggerError::SocketId(_) => StatusCode::BAD_REQUEST,
        TriggerError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status(), Json(ErrorBody { error: self.to_string() })).into_response()
    }
}
