//! Signing in and out: an HttpOnly, SameSite=Lax session cookie whose token the database
//! knows only by its hash.

use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::extract::{CurrentUser, JsonBody, SESSION_COOKIE, session_token};
use super::input::LoginInput;
use super::views::UserView;
use super::{ApiError, AppState};
use crate::auth::{new_session_token, token_hash};
use crate::domain::{Email, Timestamp};

/// `POST /api/auth/login {email, password}` → `{user}` and the cookie; 401 otherwise; 503
/// with `Retry-After` when every password-hashing slot stayed busy.
pub(crate) async fn login(
    State(state): State<AppState>,
    JsonBody(input): JsonBody<LoginInput>,
) -> Result<Response, ApiError> {
    let found = match Email::parse(&input.email) {
        Ok(email) if state.settings.may_sign_in(&email) => {
            state.store.user_with_password(&email).await?
        }
        // Checked against the dummy hash like any unknown address: same time, same 401.
        Ok(_) | Err(_) => None,
    };
    let (user, hash) = found.map_or((None, None), |(user, hash)| (Some(user), Some(hash)));
    let matches = state.hashing.verify(input.password, hash).await?;
    let Some(user) = user.filter(|_| matches) else {
        return Err(ApiError::InvalidCredentials);
    };
    let token = new_session_token();
    let now = Timestamp::now();
    let ttl = state.settings.session_ttl.as_secs();
    let expires = now.plus_seconds(i64::try_from(ttl).unwrap_or(i64::MAX));
    state.store.create_session(&token_hash(&token), &user.id, now, expires).await?;
    let secure = if state.public_url.scheme() == "https" { "; Secure" } else { "" };
    let cookie =
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ttl}{secure}");
    let body = Json(json!({ "user": UserView::from(&user) }));
    Ok(([(SET_COOKIE, cookie)], body).into_response())
}

/// `POST /api/auth/logout` → 204, the session ended and the cookie cleared.
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers) {
        state.store.delete_session(&token_hash(&token), Timestamp::now()).await?;
    }
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response())
}

/// `GET /api/me` → `{user}`; 401 without a session.
pub(crate) async fn me(CurrentUser(user): CurrentUser) -> Json<serde_json::Value> {
    Json(json!({ "user": UserView::from(&user) }))
}
