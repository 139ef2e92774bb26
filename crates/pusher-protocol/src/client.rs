//! Frames a client sends, decoded once into [`ClientMessage`].

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::channel::{ChannelName, ChannelNameError};
use crate::limits::MAX_EVENT_NAME_LEN;

/// A decoded client frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// `pusher:ping`: answer with `pusher:pong`.
    Ping,
    /// `pusher:pong`: the answer to our ping.
    Pong,
    /// `pusher:subscribe`.
    Subscribe(Subscribe),
    /// `pusher:unsubscribe`.
    Unsubscribe {
        /// The channel to leave.
        channel: ChannelName,
    },
    /// `pusher:signin`.
    Signin {
        /// `<key>:<signature>` over `<socket_id>::user::<user_data>`.
        auth: String,
        /// The raw `user_data` JSON string, exactly as signed.
        user_data: String,
    },
    /// A `client-` event to relay to the other subscribers.
    ClientEvent {
        /// The event name, starting with `client-`.
        event: String,
        /// The channel it is sent on.
        channel: ChannelName,
        /// The payload as it goes back on the wire: a string, already JSON-encoded if it
        /// came as an object.
        data: String,
    },
}

/// `pusher:subscribe` data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscribe {
    /// The channel to join.
    pub channel: ChannelName,
    /// `<key>:<signature>` for private, encrypted and presence channels.
    pub auth: Option<String>,
    /// The raw presence `channel_data` string, exactly as signed.
    pub channel_data: Option<String>,
}

/// Why a frame could not be decoded. Each is answered with a non-fatal `pusher:error`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not a JSON object with a string `event`.
    #[error("Invalid message: {0}")]
    InvalidJson(String),
    /// A field the event needs is missing or of the wrong type.
    #[error("Invalid message: {event} needs {field}")]
    MissingField {
        /// The event.
        event: String,
        /// The missing field.
        field: &'static str,
    },
    /// The channel name is invalid.
    #[error("Invalid channel name {channel:?}: {reason}")]
    InvalidChannel {
        /// The name as sent.
        channel: String,
        /// Why it is invalid.
        reason: ChannelNameError,
    },
    /// A client event name is too long.
    #[error("Event name is longer than {MAX_EVENT_NAME_LEN} characters")]
    EventNameTooLong,
    /// An event the server does not know.
    #[error("Unsupported event received: {0}")]
    UnknownEvent(String),
}

#[derive(Deserialize)]
struct Envelope<'a> {
    event: String,
    #[serde(default, borrow)]
    channel: Option<&'a RawValue>,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct SubscribeData {
    channel: String,
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    channel_data: Option<String>,
}

#[derive(Deserialize)]
struct UnsubscribeData {
    channel: String,
}

#[derive(Deserialize)]
struct SigninData {
    auth: String,
    user_data: String,
}

impl ClientMessage {
    /// Decodes one text frame.
    ///
    /// # Errors
    /// [`DecodeError`] for anything that is not a well-formed client message.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        let envelope: Envelope<'_> =
            serde_json::from_str(text).map_err(|e| DecodeError::InvalidJson(e.to_string()))?;
        let event = envelope.event.clone();
        match event.as_str() {
            "pusher:ping" => Ok(Self::Ping),
            "pusher:pong" => Ok(Self::Pong),
            "pusher:subscribe" => {
                let data: SubscribeData = data_object(&event, envelope.data, "data.channel")?;
                Ok(Self::Subscribe(Subscribe {
                    channel: parse_channel(&data.channel)?,
                    auth: data.auth.filter(|a| !a.is_empty()),
                    channel_data: data.channel_data,
                }))
            }
            "pusher:unsubscribe" => {
                let data: UnsubscribeData = data_object(&event, envelope.data, "data.channel")?;
                Ok(Self::Unsubscribe { channel: parse_channel(&data.channel)? })
            }
            "pusher:signin" => {
                let data: SigninData =
                    data_object(&event, envelope.data, "data.auth and data.user_data")?;
                Ok(Self::Signin { auth: data.auth, user_data: data.user_data })
            }
            name if name.starts_with("client-") => decode_client_event(envelope),
            _ => Err(DecodeError::UnknownEvent(event)),
        }
    }
}

fn decode_client_event(envelope: Envelope<'_>) -> Result<ClientMessage, DecodeError> {
    let event = envelope.event;
    if event.len() > MAX_EVENT_NAME_LEN {
        return Err(DecodeError::EventNameTooLong);
    }
    let missing = |field| DecodeError::MissingField { event: event.clone(), field };
    let channel: String = envelope
        .channel
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .ok_or_else(|| missing("channel"))?;
    let channel = parse_channel(&channel)?;
    let data = match envelope.data {
        None => "{}".to_owned(),
        Some(raw) => match serde_json::from_str::<String>(raw.get()) {
            Ok(text) => text,
            Err(_) => raw.get().to_owned(),
        },
    };
    Ok(ClientMessage::ClientEvent { event, channel, data })
}

/// `data` may be an object or, from some clients, a JSON-encoded string of one.
fn data_object<T: for<'de> Deserialize<'de>>(
    event: &str,
    raw: Option<&RawValue>,
    field: &'static str,
) -> Result<T, DecodeError> {
    let missing = || DecodeError::MissingField { event: event.to_owned(), field };
    let raw = raw.ok_or_else(missing)?;
    if let Ok(inner) = serde_json::from_str::<String>(raw.get()) {
        return serde_json::from_str(&inner).map_err(|_| missing());
    }
    serde_json::from_str(raw.get()).map_err(|_| missing())
}

fn parse_channel(name: &str) -> Result<ChannelName, DecodeError> {
    ChannelName::parse(name)
        .map_err(|reason| DecodeError::InvalidChannel { channel: name.to_owned(), reason })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(name: &str) -> ChannelName {
        ChannelName::parse(name).unwrap()
    }

    #[test]
    fn decodes_every_client_message() {
        assert_eq!(
            ClientMessage::decode(r#"{"event":"pusher:ping","data":{}}"#),
            Ok(ClientMessage::Ping)
        );
        assert_eq!(ClientMessage::decode(r#"{"event":"pusher:pong"}"#), Ok(ClientMessage::Pong));
        assert_eq!(
            ClientMessage::decode(
                r#"{"event":"pusher:subscribe","data":{"auth":"","channel":"a"}}"#
            ),
            Ok(ClientMessage::Subscribe(Subscribe {
                channel: channel("a"),
                auth: None,
                channel_data: None
            }))
        );
        assert_eq!(
            ClientMessage::decode(
                r#"{"event":"pusher:subscribe","data":"{\"channel\":\"presence-a\",\"auth\":\"k:s\",\"channel_data\":\"{\\\"user_id\\\":1}\"}"}"#
            ),
            Ok(ClientMessage::Subscribe(Subscribe {
                channel: channel("presence-a"),
                auth: Some("k:s".to_owned()),
                channel_data: Some(r#"{"user_id":1}"#.to_owned()),
            }))
        );
        assert_eq!(
            ClientMessage::decode(r#"{"event":"pusher:unsubscribe","data":{"channel":"a"}}"#),
            Ok(ClientMessage::Unsubscribe { channel: channel("a") })
        );
        assert_eq!(
            ClientMessage::decode(
                r#"{"event":"pusher:signin","data":{"auth":"k:s","user_data":"{\"id\":\"1\"}"}}"#
            ),
            Ok(ClientMessage::Signin {
                auth: "k:s".to_owned(),
                user_data: r#"{"id":"1"}"#.to_owned()
            })
        );
    }

    #[test]
    fn client_event_data_is_kept_as_a_string() {
        let object =
            ClientMessage::decode(r#"{"event":"client-a","channel":"private-x","data":{"n": 1}}"#);
        assert_eq!(
            object,
            Ok(ClientMessage::ClientEvent {
                event: "client-a".to_owned(),
                channel: channel("private-x"),
                data: r#"{"n": 1}"#.to_owned(),
            })
        );
        let string =
            ClientMessage::decode(r#"{"event":"client-a","channel":"private-x","data":"hi"}"#);
        assert!(matches!(string, Ok(ClientMessage::ClientEvent { data, .. }) if data == "hi"));
    }

    #[test]
    fn bad_frames_are_precise_errors() {
        assert!(matches!(ClientMessage::decode("not json"), Err(DecodeError::InvalidJson(_))));
        assert!(matches!(
            ClientMessage::decode(r#"{"data":{}}"#),
            Err(DecodeError::InvalidJson(_))
        ));
        assert_eq!(
            ClientMessage::decode(r#"{"event":"pusher:subscribe"}"#),
            Err(DecodeError::MissingField {
                event: "pusher:subscribe".to_owned(),
                field: "data.channel"
            })
        );
        assert!(matches!(
            ClientMessage::decode(r#"{"event":"pusher:subscribe","data":{"channel":"a b"}}"#),
            Err(DecodeError::InvalidChannel { .. })
        ));
        assert_eq!(
            ClientMessage::decode(r#"{"event":"nope"}"#),
            Err(DecodeError::UnknownEvent("nope".to_owned()))
        );
        let long = format!(r#"{{"event":"client-{}","channel":"private-a"}}"#, "x".repeat(200));
        assert_eq!(ClientMessage::decode(&long), Err(DecodeError::EventNameTooLong));
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(text in ".{0,300}") {
            let _ = ClientMessage::decode(&text);
        }

        #[test]
        fn decode_never_panics_on_near_frames(
            event in "(pusher:subscribe|pusher:signin|client-x|pusher:ping|pusher:unsubscribe)",
            channel in "[a-z#\\-. ]{0,20}",
            data in "(\\{\\}|\"\"|1|null|\\[\\]|\\{\"channel\":\"[a-z]{0,5}\"\\})",
        ) {
            let frame = format!(r#"{{"event":"{event}","channel":"{channel}","data":{data}}}"#);
            let _ = ClientMessage::decode(&frame);
        }
    }
}
