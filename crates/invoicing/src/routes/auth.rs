//! Signing in and out: an HttpOnly, SameSite=Lax session cookie whose token the database
//! knows only by its hash. Sign-ins are throttled per account and per client address
//! ([`crate::throttle`]); "sign out everywhere" ends all of an owner's sessions.

use super::answers::UserAnswer;
use super::error::ErrorBody;
use super::extract::{ClientAddress, CurrentUser, JsonBody, SESSION_COOKIE, session_token};
use super::input::LoginInput;
use super::views::UserView;
use super::{ApiError, AppState};
use crate::auth::{new_session_token, token_hash};
use crate::domain::Email;
use crate::throttle::ThrottleKeys;
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

/// `POST /api/auth/login {email, password}` → `{user}` and the cookie; 401 otherwise; 429
/// with `Retry-After` while the account or the client's address is throttled
/// ([`crate::throttle`]), whatever the password; 503 with `Retry-After` when every
/// password-hashing slot stayed busy.
#[utoipa::path(
    post, path = "/api/auth/login", tag = "auth",
    request_body = LoginInput,
    responses(
        (status = 200, description = "Signed in", body = UserAnswer,
            headers(("Set-Cookie" = String, description = "The HttpOnly session cookie"))),
        (status = 401, description = "Wrong e-mail address or password", body = ErrorBody),
        (status = 429, description = "Throttled; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds"))),
        (status = 503, description = "Too many sign-ins at once", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds"))),
    ),
)]
pub(crate) async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    JsonBody(input): JsonBody<LoginInput>,
) -> Result<Response, ApiError> {
    let keys = ThrottleKeys::new(&input.email, address);
    refuse_while_throttled(&state, &keys).await?;
    let found = match Email::parse(&input.email) {
        Ok(email) if state.settings.may_sign_in(&email) => {
            state.store.user_with_password(&email).await?
        }
        // Checked against the dummy hash like any unknown address: same time, same 401.
        Ok(_) | Err(_) => None,
    };
    let (user, hash) = found.map_or((None, None), |(user, hash)| (Some(user), Some(hash)));
    let matches = state.hashing.verify(input.password, hash).await?;
    // Failures counted while this password was being checked (a burst of guesses in
    // parallel) may have started a wait: then this answer tells nothing either way.
    refuse_while_throttled(&state, &keys).await?;
    let Some(user) = user.filter(|_| matches) else {
        let (now, policy) = (state.settings.clock.now(), &state.settings.login_throttle);
        let mut in_wait = false;
        for key in keys.all() {
            in_wait |= state.store.record_login_failure(key, now, policy).await?.is_none();
        }
        if in_wait {
            // A failure ahead of this one started the wait after the second look.
            refuse_while_throttled(&state, &keys).await?;
        }
        return Err(ApiError::InvalidCredentials);
    };
    state.store.clear_login_failures(&keys.account).await?;
    let token = new_session_token();
    let now = state.settings.clock.now();
    let ttl = state.settings.session_ttl.as_secs();
    let expires = now.plus_seconds(i64::try_from(ttl).unwrap_or(i64::MAX));
    state.store.create_session(&token_hash(&token), &user.id, now, expires).await?;
    let secure = if state.public_url.scheme() == "https" { "; Secure" } else { "" };
    let cookie =
        format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ttl}{secure}");
    let body = Json(UserAnswer { user: UserView::from(&user) });
    Ok(([(SET_COOKIE, cookie)], body).into_response())
}

/// 429 while one of `keys` is in a wait.
async fn refuse_while_throttled(state: &AppState, keys: &ThrottleKeys) -> Result<(), ApiError> {
    let now = state.settings.clock.now();
    match state.store.login_locked_until(&keys.all(), now).await? {
        Some(until) => {
            let millis = u64::try_from(until.millis() - now.millis()).unwrap_or(0);
            Err(ApiError::TooManyAttempts { retry_after: millis.div_ceil(1000).max(1) })
        }
        None => Ok(()),
    }
}

/// `POST /api/auth/logout` → 204, the session ended and the cookie cleared.
#[utoipa::path(
    post, path = "/api/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out (with or without a session)",
        headers(("Set-Cookie" = String, description = "The session cookie, cleared")))),
)]
pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers) {
        state.store.delete_session(&token_hash(&token), state.settings.clock.now()).await?;
    }
    Ok(signed_out())
}

/// `POST /api/auth/logout-all` → 204: every session of the signed-in owner ended (other
/// browsers and devices too), the cookie cleared; 401 without a session.
#[utoipa::path(
    post, path = "/api/auth/logout-all", tag = "auth", security(("session" = [])),
    responses((status = 204, description = "Every session of the owner ended",
        headers(("Set-Cookie" = String, description = "The session cookie, cleared")))),
)]
pub(crate) async fn logout_all(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Response, ApiError> {
    let ended = state.store.delete_sessions_of(&user.id).await?;
    tracing::info!(user = %user.id.as_str(), sessions = ended, "signed out everywhere");
    Ok(signed_out())
}

/// 204 with the session cookie cleared.
fn signed_out() -> Response {
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    (StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response()
}

/// `GET /api/me` → `{user}`; 401 without a session.
#[utoipa::path(
    get, path = "/api/me", tag = "auth", security(("session" = [])),
    responses((status = 200, description = "The signed-in owner", body = UserAnswer)),
)]
pub(crate) async fn me(CurrentUser(user): CurrentUser) -> Json<UserAnswer> {
    Json(UserAnswer { user: UserView::from(&user) })
}
