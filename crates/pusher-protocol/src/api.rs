//! Bodies of the HTTP API (`/apps/{app_id}/...`), shared by the server and the client.

pub mod info;

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

pub use info::{InfoAttributes, InfoError, InfoScope};

/// `POST /apps/{id}/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerRequest {
    /// The event name.
    pub name: String,
    /// The payload. The SDKs send a string; an object is accepted and sent on as its JSON text.
    #[serde(deserialize_with = "string_or_json")]
    pub data: String,
    /// The channels, at most 100.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<Vec<String>>,
    /// One channel, instead of `channels`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// A connection that must not receive the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_id: Option<String>,
    /// Comma-separated attributes to return per channel (`user_count`, `subscription_count`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
}

/// One event of `POST /apps/{id}/batch_events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchEvent {
    /// The event name.
    pub name: String,
    /// The payload string.
    #[serde(deserialize_with = "string_or_json")]
    pub data: String,
    /// The channel.
    pub channel: String,
    /// A connection that must not receive the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub socket_id: Option<String>,
    /// Attributes to return for the channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<String>,
}

/// `POST /apps/{id}/batch_events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRequest {
    /// The events, at most 10.
    pub batch: Vec<BatchEvent>,
}

/// Attributes of one channel, as `info` asks for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelAttributes {
    /// Distinct users, on presence channels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<usize>,
    /// Connections subscribed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_count: Option<usize>,
}

/// Success body of a trigger: `{}` or, with `info`, the attributes per channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerResponse {
    /// Present only when `info` was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<BTreeMap<String, ChannelAttributes>>,
}

/// Success body of a batch trigger: `{}` or, with `info`, attributes aligned with the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// Present only when some event asked for `info`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<Vec<ChannelAttributes>>,
}

/// `GET /apps/{id}/channels`: always an object, `{}` when no channel is occupied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelsResponse {
    /// Occupied channels and the attributes asked for.
    pub channels: BTreeMap<String, ChannelAttributes>,
}

/// The cached event of a cache channel, in `GET /channels/{c}?info=cache`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedEvent {
    /// The event name.
    pub event: String,
    /// The payload string.
    pub data: String,
    /// Seconds left before it expires.
    pub ttl: u64,
}

/// `GET /apps/{id}/channels/{c}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelResponse {
    /// Whether anyone is subscribed.
    pub occupied: bool,
    /// Distinct users, on presence channels when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<usize>,
    /// Connections subscribed, when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription_count: Option<usize>,
    /// The cached event, on cache channels when asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CachedEvent>,
}

/// One user of `GET /apps/{id}/channels/{c}/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserId {
    /// The user id.
    pub id: String,
}

/// `GET /apps/{id}/channels/{c}/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersResponse {
    /// The channel's distinct users.
    pub users: Vec<UserId>,
}

/// Error body of every HTTP API failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong, for a person.
    pub error: String,
}

fn string_or_json<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(text) => text,
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_success_bodies_are_empty_objects() {
        assert_eq!(serde_json::to_string(&TriggerResponse::default()).unwrap(), "{}");
        assert_eq!(serde_json::to_string(&BatchResponse::default()).unwrap(), "{}");
        assert_eq!(
            serde_json::to_string(&ChannelsResponse::default()).unwrap(),
            r#"{"channels":{}}"#
        );
    }

    #[test]
    fn trigger_data_may_be_an_object() {
        let request: TriggerRequest =
            serde_json::from_str(r#"{"name":"e","channel":"a","data":{"x":1}}"#).unwrap();
        assert_eq!(request.data, r#"{"x":1}"#);
        let request: TriggerRequest =
            serde_json::from_str(r#"{"name":"e","channels":["a"],"data":"{\"x\":1}"}"#).unwrap();
        assert_eq!(request.data, r#"{"x":1}"#);
    }
}
