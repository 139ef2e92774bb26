//! `GET /apps/{id}/channels`, `/channels/{c}` and `/channels/{c}/users`.

use axum::Json;
use axum::extract::Path;
use pusher_protocol::ChannelName;
use pusher_protocol::api::{
    ChannelAttributes, ChannelResponse, ChannelsResponse, InfoAttributes, InfoScope, UserId,
    UsersResponse,
};

use super::ApiError;
use super::signed::Signed;

fn parse_channel(name: &str) -> Result<ChannelName, ApiError> {
    ChannelName::parse(name)
        .map_err(|e| ApiError::BadRequest(format!("Invalid channel {name:?}: {e}")))
}

/// Occupied channels, filtered by prefix, with the user counts asked for.
pub(crate) async fn list(signed: Signed) -> Result<Json<ChannelsResponse>, ApiError> {
    let prefix = signed.param("filter_by_prefix").unwrap_or_default();
    let info = InfoAttributes::parse(signed.param("info"))?;
    info.check(InfoScope::Channels { prefix })?;
    let with_users = info.user_count();
    let channels = signed
        .app
        .channels_with_prefix(prefix)
        .await?
        .into_iter()
        .map(|(name, attributes)| {
            let shown = ChannelAttributes {
                user_count: attributes.user_count.filter(|_| with_users),
                subscription_count: None,
            };
            (name.to_string(), shown)
        })
        .collect();
    Ok(Json(ChannelsResponse { channels }))
}

/// One channel's state and the attributes asked for.
pub(crate) async fn show(
    Path((_app_id, channel)): Path<(String, String)>,
    signed: Signed,
) -> Result<Json<ChannelResponse>, ApiError> {
    let channel = parse_channel(&channel)?;
    let info = InfoAttributes::parse(signed.param("info"))?;
    info.check(InfoScope::Channel(&channel))?;
    let app = &signed.app;
    let current = app.attributes(&channel).await?;
    Ok(Json(ChannelResponse {
        occupied: current.is_some(),
        user_count: info
            .user_count()
            .then(|| current.as_ref().and_then(|c| c.user_count).unwrap_or(0)),
        subscription_count: info
            .subscription_count()
            .then(|| current.as_ref().and_then(|c| c.subscription_count).unwrap_or(0)),
        cache: if info.cache() { app.cached(&channel).await } else { None },
    }))
}

/// The distinct users of a presence channel.
pub(crate) async fn users(
    Path((_app_id, channel)): Path<(String, String)>,
    signed: Signed,
) -> Result<Json<UsersResponse>, ApiError> {
    let channel = parse_channel(&channel)?;
    if !channel.kind().is_presence() {
        return Err(ApiError::BadRequest(format!("{channel} is not a presence channel")));
    }
    let users = signed.app.presence_users(&channel).await?;
    let users = users.into_iter().map(|id| UserId { id }).collect();
    Ok(Json(UsersResponse { users }))
}
