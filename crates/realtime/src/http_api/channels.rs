//! `GET /apps/{id}/channels`, `/channels/{c}` and `/channels/{c}/users`.

use axum::Json;
use axum::extract::Path;
use pusher_protocol::ChannelName;
use pusher_protocol::api::{
    ChannelAttributes, ChannelResponse, ChannelsResponse, UserId, UsersResponse,
};

use super::events::check_info_attribute;
use super::signed::Signed;
use super::{ApiError, info_attributes};

fn parse_channel(name: &str) -> Result<ChannelName, ApiError> {
    ChannelName::parse(name)
        .map_err(|e| ApiError::BadRequest(format!("Invalid channel {name:?}: {e}")))
}

/// Occupied channels, filtered by prefix; `info=user_count` only with a presence prefix.
pub(crate) async fn list(signed: Signed) -> Result<Json<ChannelsResponse>, ApiError> {
    let prefix = signed.param("filter_by_prefix").unwrap_or_default();
    let info = info_attributes(signed.param("info"));
    for attribute in &info {
        match *attribute {
            "user_count" if prefix.starts_with("presence-") => {}
            "user_count" => {
                return Err(ApiError::BadRequest(
                    "info=user_count needs filter_by_prefix=presence-".to_owned(),
                ));
            }
            other => {
                return Err(ApiError::BadRequest(format!("Unknown info attribute {other:?}")));
            }
        }
    }
    let with_users = !info.is_empty();
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
    let info = info_attributes(signed.param("info"));
    for attribute in &info {
        match *attribute {
            "cache" if channel.kind().is_cache() => {}
            "cache" => {
                return Err(ApiError::BadRequest(format!(
                    "cache is only available for cache channels, not {channel}"
                )));
            }
            other => check_info_attribute(&channel, other)?,
        }
    }
    let app = &signed.app;
    let current = app.attributes(&channel).await?;
    let wants = |name: &str| info.contains(&name);
    Ok(Json(ChannelResponse {
        occupied: current.is_some(),
        user_count: wants("user_count")
            .then(|| current.as_ref().and_then(|c| c.user_count).unwrap_or(0)),
        subscription_count: wants("subscription_count")
            .then(|| current.as_ref().and_then(|c| c.subscription_count).unwrap_or(0)),
        cache: if wants("cache") { app.cached(&channel).await } else { None },
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
