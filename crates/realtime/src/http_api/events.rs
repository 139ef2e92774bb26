//! `POST /apps/{id}/events` and `POST /apps/{id}/batch_events`.

use std::collections::BTreeMap;

use axum::Json;
use pusher_protocol::ChannelName;
use pusher_protocol::api::{
    BatchRequest, BatchResponse, ChannelAttributes, InfoAttributes, InfoScope, TriggerRequest,
    TriggerResponse,
};

use super::ApiError;
use super::signed::Signed;
use crate::app::App;
use crate::trigger::{Event, Source};

/// Triggers one event on up to `max_channels_per_event` channels.
pub(crate) async fn trigger(signed: Signed) -> Result<Json<TriggerResponse>, ApiError> {
    let request: TriggerRequest = signed.json()?;
    let channels = match (request.channels, request.channel) {
        (Some(channels), _) => channels,
        (None, Some(channel)) => vec![channel],
        (None, None) => return Err(ApiError::BadRequest("Missing channels or channel".to_owned())),
    };
    let app = &signed.app;
    let (event, info) =
        check(app, request.name, request.data, &channels, request.socket_id, request.info)
            .inspect_err(|error| signed.tap_refused(error))?;
    event.publish(app, Source::Api(signed.peer));
    app.published().await;
    // A publisher faster than the node can write waits here, not in every delivery.
    crate::backlog::BACKLOG.drained().await;
    let mut channels = None;
    if !info.is_empty() {
        let mut shown = BTreeMap::new();
        for channel in &event.channels {
            shown.insert(channel.to_string(), attributes(app, channel, info).await);
        }
        channels = Some(shown);
    }
    Ok(Json(TriggerResponse { channels }))
}

/// Triggers up to `max_batch_events` events, each on one channel. Nothing is published
/// unless every event is valid.
pub(crate) async fn batch(signed: Signed) -> Result<Json<BatchResponse>, ApiError> {
    let request: BatchRequest = signed.json()?;
    let app = &signed.app;
    let max = app.config().max_batch_events;
    if request.batch.len() > max {
        let count = request.batch.len();
        let message = format!("Batch has {count} events; at most {max} are allowed");
        return Err(ApiError::BadRequest(message));
    }
    let events = request
        .batch
        .into_iter()
        .map(|e| check(app, e.name, e.data, &[e.channel], e.socket_id, e.info))
        .collect::<Result<Vec<_>, _>>()
        .inspect_err(|error| signed.tap_refused(error))?;
    for (event, _) in &events {
        event.publish(app, Source::Api(signed.peer));
    }
    app.published().await;
    crate::backlog::BACKLOG.drained().await;
    let mut batch = None;
    if events.iter().any(|(_, info)| !info.is_empty()) {
        let mut shown = Vec::with_capacity(events.len());
        for (event, info) in &events {
            shown.push(attributes(app, &event.channels[0], *info).await);
        }
        batch = Some(shown);
    }
    Ok(Json(BatchResponse { batch }))
}

/// Checks an event and the `info` attributes it asks for.
fn check(
    app: &App,
    name: String,
    data: String,
    channels: &[String],
    socket_id: Option<String>,
    info: Option<String>,
) -> Result<(Event, InfoAttributes), ApiError> {
    let event = Event::check(app, name, data, channels, socket_id.as_deref())?;
    let info = InfoAttributes::parse(info.as_deref())?;
    for channel in &event.channels {
        info.check(InfoScope::Trigger(channel))?;
    }
    Ok((event, info))
}

/// The attributes asked for. The event is already out, so when the cluster cannot answer
/// this node's own figures are better than an error that would make the caller retry.
async fn attributes(app: &App, channel: &ChannelName, info: InfoAttributes) -> ChannelAttributes {
    let current = match app.attributes(channel).await {
        Ok(current) => current,
        Err(error) => {
            tracing::warn!(%error, "channel attributes from this node only");
            app.local_attributes(channel)
        }
    }
    .unwrap_or_default();
    ChannelAttributes {
        user_count: info.user_count().then(|| current.user_count.unwrap_or(0)),
        subscription_count: info
            .subscription_count()
            .then(|| current.subscription_count.unwrap_or(0)),
    }
}
