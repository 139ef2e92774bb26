//! [`Frame`]: a frame from the server as a client sees it, with `data` decoded in one place.

use serde_json::Value;

/// A frame from the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    /// The event name, e.g. `pusher_internal:subscription_succeeded` or `payment.received`.
    pub event: String,
    /// The channel, when the frame concerns one.
    pub channel: Option<String>,
    /// The payload, decoded: when the wire `data` is a string holding JSON ("double
    /// encoding"), the parsed JSON; any other string or value as it came; `null` when absent.
    pub data: Value,
    /// The sender's user id, on client events relayed on presence channels.
    pub user_id: Option<String>,
    /// The frame's text exactly as received, for golden wire tests.
    pub raw: String,
}

impl Frame {
    /// Parses one text frame; `None` unless it is a JSON object with a string `event`.
    pub fn parse(text: &str) -> Option<Self> {
        let Value::Object(mut object) = serde_json::from_str::<Value>(text).ok()? else {
            return None;
        };
        let Some(Value::String(event)) = object.remove("event") else {
            return None;
        };
        let string = |value: Option<Value>| match value {
            Some(Value::String(text)) => Some(text),
            _ => None,
        };
        Some(Self {
            event,
            channel: string(object.remove("channel")),
            data: decode_data(object.remove("data")),
            user_id: string(object.remove("user_id")),
            raw: text.to_owned(),
        })
    }

    /// The `data` as the text the publisher sent: a string as is, anything else as JSON.
    pub fn data_text(&self) -> String {
        match &self.data {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }
}

fn decode_data(data: Option<Value>) -> Value {
    match data {
        None => Value::Null,
        Some(Value::String(text)) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Some(other) => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn double_encoded_data_is_decoded() {
        let frame = Frame::parse(
            r#"{"event":"payment.received","channel":"invoice.1","data":"{\"amount\":5}"}"#,
        )
        .unwrap();
        assert_eq!(frame.event, "payment.received");
        assert_eq!(frame.channel.as_deref(), Some("invoice.1"));
        assert_eq!(frame.data, json!({"amount": 5}));
        assert_eq!(frame.user_id, None);
        assert_eq!(frame.data_text(), r#"{"amount":5}"#);
    }

    #[test]
    fn other_data_is_kept() {
        let object = Frame::parse(r#"{"event":"pusher:error","data":{"code":4001}}"#).unwrap();
        assert_eq!(object.data, json!({"code": 4001}));
        let text = Frame::parse(r#"{"event":"e","data":"not json","user_id":"7"}"#).unwrap();
        assert_eq!(text.data, json!("not json"));
        assert_eq!(text.data_text(), "not json");
        assert_eq!(text.user_id.as_deref(), Some("7"));
        let none = Frame::parse(r#"{"event":"pusher:cache_miss","channel":"cache-a"}"#).unwrap();
        assert_eq!(none.data, Value::Null);
    }

    #[test]
    fn non_frames_are_refused() {
        for bad in ["", "[]", "{}", r#"{"event":1}"#, "nope"] {
            assert_eq!(Frame::parse(bad), None, "{bad}");
        }
    }
}
