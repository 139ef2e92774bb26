//! `POST /apps/{id}/events` and `POST /apps/{id}/batch_events`.

use std::collections::BTreeMap;

use axum::Json;
use pusher_protocol::api::{
    BatchRequest, BatchResponse, ChannelAttributes, TriggerRequest, TriggerResponse,
};
use pusher_protocol::limits::MAX_EVENT_NAME_LEN;
use pusher_protocol::{ChannelName, ServerMessage, SocketId};

use super::signed::Signed;
use super::{ApiError, info_attributes};
use crate::apps::App;
use crate::conn::frame;
use crate::ws::CACHE_TTL;

/// One event, checked and ready to publish.
#[derive(Debug)]
struct Event {
    name: String,
    data: String,
    channels: Vec<ChannelName>,
    except: Option<SocketId>,
    info: Vec<String>,
}

/// Triggers one event on up to `max_channels_per_event` channels.
pub(crate) async fn trigger(signed: Signed) -> Result<Json<TriggerResponse>, ApiError> {
    let request: TriggerRequest = signed.json()?;
    let channels = match (request.channels, request.channel) {
        (Some(channels), _) => channels,
        (None, Some(channel)) => vec![channel],
        (None, None) => {
            return Err(ApiError::BadRequest(
                "Missing channels or channel".to_owned(),
            ));
        }
    };
    let event = check(
        &signed.app,
        request.name,
        request.data,
        &channels,
        request.socket_id,
        request.info,
    )?;
    publish(&signed.app, &event);
    let channels = (!event.info.is_empty()).then(|| {
        event
            .channels
            .iter()
            .map(|c| (c.to_string(), attributes(&signed.app, c, &event.info)))
            .collect::<BTreeMap<_, _>>()
    });
    Ok(Json(TriggerResponse { channels }))
}

/// Triggers up to `max_batch_events` events, each on one channel. Nothing is published
/// unless every event is valid.
pub(crate) async fn batch(signed: Signed) -> Result<Json<BatchResponse>, ApiError> {
    let request: BatchRequest = signed.json()?;
    let max = signed.app.config.max_batch_events;
    if request.batch.len() > max {
        return Err(ApiError::BadRequest(format!(
            "Batch has {} events; at most {max} are allowed",
            request.batch.len()
        )));
    }
    let events = request
        .batch
        .into_iter()
        .map(|e| {
            check(
                &signed.app,
                e.name,
                e.data,
                &[e.channel],
                e.socket_id,
                e.info,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    for event in &events {
        publish(&signed.app, event);
    }
    let batch = events.iter().any(|e| !e.info.is_empty()).then(|| {
        events
            .iter()
            .map(|e| attributes(&signed.app, &e.channels[0], &e.info))
            .collect()
    });
    Ok(Json(BatchResponse { batch }))
}

fn check(
    app: &App,
    name: String,
    data: String,
    channels: &[String],
    socket_id: Option<String>,
    info: Option<String>,
) -> Result<Event, ApiError> {
    let config = &app.config;
    if name.is_empty() || name.len() > MAX_EVENT_NAME_LEN {
        return Err(ApiError::BadRequest(format!(
            "Event name must be 1 to {MAX_EVENT_NAME_LEN} characters"
        )));
    }
    if data.len() > config.max_event_bytes {
        return Err(ApiError::PayloadTooLarge(format!(
            "Event data is {} bytes; at most {} are allowed",
            data.len(),
            config.max_event_bytes
        )));
    }
    if channels.is_empty() || channels.len() > config.max_channels_per_event {
        return Err(ApiError::BadRequest(format!(
            "An event needs 1 to {} channels, got {}",
            config.max_channels_per_event,
            channels.len()
        )));
    }
    let channels = channels
        .iter()
        .map(|c| {
            ChannelName::parse(c)
                .map_err(|e| ApiError::BadRequest(format!("Invalid channel {c:?}: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if channels.len() > 1 && channels.iter().any(|c| c.kind().is_encrypted()) {
        return Err(ApiError::BadRequest(
            "Encrypted channels cannot be triggered with other channels".to_owned(),
        ));
    }
    let except = socket_id
        .map(|s| SocketId::parse(&s).map_err(|e| ApiError::BadRequest(e.to_string())))
        .transpose()?;
    let info: Vec<String> = info_attributes(info.as_deref())
        .into_iter()
        .map(str::to_owned)
        .collect();
    for channel in &channels {
        for attribute in &info {
            check_info_attribute(channel, attribute)?;
        }
    }
    Ok(Event {
        name,
        data,
        channels,
        except,
        info,
    })
}

/// `user_count` is for presence channels; `subscription_count` for every channel.
pub(super) fn check_info_attribute(channel: &ChannelName, attribute: &str) -> Result<(), ApiError> {
    match attribute {
        "subscription_count" => Ok(()),
        "user_count" if channel.kind().is_presence() => Ok(()),
        "user_count" => Err(ApiError::BadRequest(format!(
            "user_count is only available for presence channels, not {channel}"
        ))),
        other => Err(ApiError::BadRequest(format!(
            "Unknown info attribute {other:?}"
        ))),
    }
}

fn publish(app: &App, event: &Event) {
    for channel in &event.channels {
        let message = ServerMessage::Event {
            event: &event.name,
            channel,
            data: &event.data,
            user_id: None,
        };
        app.hub.publish(channel, &frame(&message), event.except);
        if channel.kind().is_cache() {
            app.hub
                .cache_event(channel, &event.name, &event.data, CACHE_TTL);
        }
    }
}

fn attributes(app: &App, channel: &ChannelName, info: &[String]) -> ChannelAttributes {
    let current = app.hub.channel(channel).unwrap_or_default();
    let wants = |name: &str| info.iter().any(|a| a == name);
    ChannelAttributes {
        user_count: wants("user_count").then(|| current.user_count.unwrap_or(0)),
        subscription_count: wants("subscription_count")
            .then(|| current.subscription_count.unwrap_or(0)),
    }
}
