//! What browsers need for realtime: `GET /api/config` and, in private mode, `POST /pusher/auth`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::HOST;
use axum::{Form, Json};
use serde::Deserialize;
use utoipa::ToSchema;

use super::answers::{ChannelAuthView, ConfigView, PaymentsView, PusherView};
use super::error::ErrorBody;
use super::extract::MaybeUser;
use super::{ApiError, AppState};
use crate::domain::{InvoiceId, InvoiceStatus, UserId};
use crate::settings::WsHost;

/// `GET /api/config` → `{pusher:{key,cluster,wsHost,wsPort,forceTLS}, privateChannels,
/// payments:{provider, publishableKey?, jsUrl?}}`.
#[utoipa::path(
    get, path = "/api/config", tag = "realtime",
    responses((status = 200, description = "The browser's settings", body = ConfigView)),
)]
pub(crate) async fn config(State(state): State<AppState>, headers: HeaderMap) -> Json<ConfigView> {
    let realtime = &state.settings.realtime;
    let browser = &realtime.browser;
    let ws_host = match &browser.ws_host {
        WsHost::Fixed(host) => host.clone(),
        WsHost::FromRequest => request_host(&headers).unwrap_or_else(|| "localhost".to_owned()),
    };
    Json(ConfigView {
        pusher: PusherView {
            key: realtime.signer.current().key().to_owned(),
            cluster: browser.cluster.clone(),
            ws_host,
            ws_port: browser.ws_port,
            force_tls: browser.force_tls,
        },
        private_channels: state.settings.private_channels,
        payments: payments(&state.settings.provider),
    })
}

/// Which payment provider the pay page talks to, and what Stripe.js needs.
fn payments(provider: &crate::provider::Provider) -> PaymentsView {
    let stripe = provider.stripe();
    PaymentsView {
        provider: provider.name(),
        publishable_key: stripe.map(|stripe| stripe.publishable_key().to_owned()),
        js_url: stripe.map(|stripe| stripe.js_url().to_string()),
    }
}

/// The host name of the `Host` header, without its port.
pub(super) fn request_host(headers: &HeaderMap) -> Option<String> {
    let host = headers.get(HOST)?.to_str().ok()?.trim();
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split_once(']').map(|(ip, _)| ip)?
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    (!name.is_empty()).then(|| name.to_owned())
}

/// The form pusher-js posts.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct AuthForm {
    socket_id: String,
    channel_name: String,
}

/// The channels this backend authorises.
enum Channel {
    Invoice(InvoiceId),
    User(UserId),
}

fn parse_channel(name: &str) -> Option<Channel> {
    let name = name.strip_prefix("private-")?;
    if let Some(id) = name.strip_prefix("invoice.") {
        return InvoiceId::parse(id).map(Channel::Invoice);
    }
    let id = name.strip_prefix("user.")?.strip_suffix(".invoices")?;
    UserId::parse(id).map(Channel::User)
}

/// `POST /pusher/auth` (form `socket_id`, `channel_name`) → `{auth}`. The owner's session
/// opens both of their channels; the payment link opens its invoice's channel once the
/// invoice has been sent.
#[utoipa::path(
    post, path = "/pusher/auth", tag = "realtime", security((), ("session" = [])),
    request_body(content = AuthForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The signature", body = ChannelAuthView),
        (status = 403, description = "Not this channel, or private channels are off",
            body = ErrorBody),
    ),
)]
pub(crate) async fn authorize(
    State(state): State<AppState>,
    MaybeUser(user): MaybeUser,
    Form(form): Form<AuthForm>,
) -> Result<Json<ChannelAuthView>, ApiError> {
    if !state.settings.private_channels {
        return Err(ApiError::Forbidden("private channels are not enabled"));
    }
    let allowed = match parse_channel(&form.channel_name) {
        Some(Channel::User(id)) => user.as_ref().is_some_and(|u| u.id == id),
        Some(Channel::Invoice(id)) => match state.store.invoice(&id).await? {
            Some(invoice) => {
                user.as_ref().is_some_and(|u| u.id == invoice.user_id)
                    || invoice.status != InvoiceStatus::Draft
            }
            None => false,
        },
        None => false,
    };
    if !allowed {
        return Err(ApiError::Forbidden("not allowed to subscribe to this channel"));
    }
    let auth = state
        .settings
        .realtime
        .signer
        .current()
        .authorize_channel(&form.socket_id, &form.channel_name, None)
        .map_err(|error| ApiError::BadRequest(error.to_string()))?;
    Ok(Json(ChannelAuthView { auth: auth.auth }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_lose_their_port() {
        let host = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(HOST, value.parse().unwrap());
            request_host(&headers)
        };
        assert_eq!(host("example.com:8080").as_deref(), Some("example.com"));
        assert_eq!(host("example.com").as_deref(), Some("example.com"));
        assert_eq!(host("[::1]:8080").as_deref(), Some("::1"));
        assert_eq!(host("127.0.0.1:8080").as_deref(), Some("127.0.0.1"));
    }

    #[test]
    fn only_our_private_channels_parse() {
        let id = InvoiceId::new();
        assert!(matches!(
            parse_channel(&format!("private-invoice.{id}")),
            Some(Channel::Invoice(_))
        ));
        let uid = UserId::new();
        assert!(matches!(
            parse_channel(&format!("private-user.{uid}.invoices")),
            Some(Channel::User(_))
        ));
        assert!(parse_channel(&format!("invoice.{id}")).is_none());
        assert!(parse_channel("private-invoice.1").is_none());
        assert!(parse_channel(&format!("private-user.{uid}")).is_none());
    }
}
