//! The extractor that finds the app of `/apps/{app_id}` and checks the request's signature.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Bytes, to_bytes};
use axum::extract::{ConnectInfo, FromRequest, Request};
use pusher_protocol::sign::SignedRequest;
use serde_json::json;

use super::ApiError;
use crate::app::App;
use crate::state::AppState;
use crate::tap::Kind;

/// Largest request body read, in bytes; events over their own limit get 413 later.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A request whose signature matched the app named in its path.
#[derive(Debug)]
pub(crate) struct Signed {
    pub(crate) app: Arc<App>,
    pub(crate) params: Vec<(String, String)>,
    pub(crate) body: Bytes,
    /// The TCP peer, for the console.
    pub(crate) peer: Option<SocketAddr>,
}

impl Signed {
    /// A query parameter, decoded.
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Tells the app's console that this request was refused.
    pub(crate) fn tap_refused(&self, error: &ApiError) {
        tap_refused(&self.app, self.peer, error);
    }

    /// The body as JSON of type `T`.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| ApiError::BadRequest(format!("Invalid JSON body: {e}")))
    }
}

impl FromRequest<AppState> for Signed {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0);
        let path = parts.uri.path().to_owned();
        let app_id =
            path.strip_prefix("/apps/").and_then(|rest| rest.split('/').next()).unwrap_or_default();
        let app = state
            .apps
            .by_id(app_id)
            .ok_or_else(|| ApiError::AppNotFound(app_id.to_owned()))?
            .clone();
        let params: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let body = to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
            ApiError::PayloadTooLarge(format!("Request body is larger than {MAX_BODY_BYTES} bytes"))
        })?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let request = SignedRequest {
            method: parts.method.as_str(),
            path: &path,
            params: &params,
            body: &body,
        };
        let config = app.config();
        config
            .check_signed(|secret| request.verify(config.key.as_str(), secret, now))
            .map_err(ApiError::from)
            .inspect_err(|error| tap_refused(&app, peer, error))?;
        if !config.enabled {
            return Err(ApiError::AppDisabled);
        }
        drop(config);
        if let Some(rate) = app.api_rate_exceeded() {
            let error = ApiError::RateLimited(rate);
            tap_refused(&app, peer, &error);
            return Err(error);
        }
        Ok(Self { app, params, body, peer })
    }
}

fn tap_refused(app: &App, peer: Option<SocketAddr>, error: &ApiError) {
    app.tap().record(Kind::Refused, || {
        json!({
            "what": "api", "status": error.status().as_u16(), "reason": error.to_string(),
            "from": peer.map(|p| p.ip().to_string()),
        })
    });
}
