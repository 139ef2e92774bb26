//! Frames the server sends, encoded in one place so their exact JSON cannot drift.
//!
//! `data` of every event frame is a JSON-encoded string ("double encoding"), except
//! `pusher:error`, `pusher:ping` and `pusher:pong`, whose `data` is an object as Pusher sends it.

use serde::Serialize;
use serde_json::{Value, json};

use crate::channel::ChannelName;
use crate::codes::ErrorCode;
use crate::socket_id::SocketId;

/// A presence member: its id and the `user_info` it signed.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The user id, always a string on the wire.
    pub user_id: String,
    /// The user's info, or `null`.
    pub user_info: Value,
}

/// One entry of `pusher_internal:watchlist_events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchlistEvent {
    /// `online` or `offline`.
    pub name: WatchlistChange,
    /// The users that changed.
    pub user_ids: Vec<String>,
}

/// Whether watched users came online or went offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WatchlistChange {
    /// The user's first connection signed in.
    Online,
    /// The user's last connection left.
    Offline,
}

/// A frame for the client.
#[derive(Debug, Clone)]
pub enum ServerMessage<'a> {
    /// The first frame of every connection.
    ConnectionEstablished {
        /// The connection's id.
        socket_id: SocketId,
        /// Seconds of silence before a ping.
        activity_timeout: u64,
    },
    /// `pusher:error`; with a fatal code the connection is then closed with that code.
    Error {
        /// The code, or `None` for Pusher's non-fatal subscribe errors.
        code: Option<ErrorCode>,
        /// What went wrong.
        message: &'a str,
        /// The channel it concerns.
        channel: Option<&'a ChannelName>,
    },
    /// `pusher:ping`.
    Ping,
    /// `pusher:pong`.
    Pong,
    /// `pusher_internal:subscription_succeeded`, with the members on presence channels.
    SubscriptionSucceeded {
        /// The channel joined.
        channel: &'a ChannelName,
        /// The members, on presence channels.
        members: Option<&'a [Member]>,
    },
    /// `pusher:cache_miss`: a cache channel has nothing cached.
    CacheMiss {
        /// The channel.
        channel: &'a ChannelName,
    },
    /// `pusher_internal:member_added`.
    MemberAdded {
        /// The presence channel.
        channel: &'a ChannelName,
        /// The new member.
        member: &'a Member,
    },
    /// `pusher_internal:member_removed`.
    MemberRemoved {
        /// The presence channel.
        channel: &'a ChannelName,
        /// The member that left.
        user_id: &'a str,
    },
    /// `pusher_internal:subscription_count`.
    SubscriptionCount {
        /// The channel.
        channel: &'a ChannelName,
        /// Subscribers across the app.
        count: usize,
    },
    /// `pusher:signin_success`, echoing the signed `user_data`.
    SigninSuccess {
        /// The raw `user_data` string.
        user_data: &'a str,
    },
    /// `pusher_internal:watchlist_events`.
    WatchlistEvents {
        /// What changed.
        events: &'a [WatchlistEvent],
    },
    /// An application event on a channel (triggered or a client event).
    Event {
        /// The event name.
        event: &'a str,
        /// The channel.
        channel: &'a ChannelName,
        /// The payload string, sent as is.
        data: &'a str,
        /// The sender's user id, for client events on presence channels.
        user_id: Option<&'a str>,
    },
}

#[derive(Serialize)]
struct Frame<'a> {
    event: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a ChannelName>,
    data: Data<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Data<'a> {
    Text(&'a str),
    Owned(String),
    Object(Value),
}

impl ServerMessage<'_> {
    /// The frame's exact JSON text.
    pub fn to_json(&self) -> String {
        let frame = self.frame();
        // Serialising strings, numbers and `Value`s into a String cannot fail.
        serde_json::to_string(&frame).expect("frames serialise")
    }

    fn frame(&self) -> Frame<'_> {
        let plain = |event, channel, data| Frame { event, channel, data, user_id: None };
        match self {
            Self::ConnectionEstablished { socket_id, activity_timeout } => plain(
                "pusher:connection_established",
                None,
                encoded(
                    &json!({ "socket_id": socket_id.to_string(), "activity_timeout": activity_timeout }),
                ),
            ),
            Self::Error { code, message, channel } => plain(
                "pusher:error",
                *channel,
                Data::Object(json!({ "code": code.map(ErrorCode::code), "message": message })),
            ),
            Self::Ping => plain("pusher:ping", None, Data::Object(json!({}))),
            Self::Pong => plain("pusher:pong", None, Data::Object(json!({}))),
            Self::SubscriptionSucceeded { channel, members } => plain(
                "pusher_internal:subscription_succeeded",
                Some(channel),
                members.map_or(Data::Text("{}"), |m| encoded(&presence_data(m))),
            ),
            Self::CacheMiss { channel } => {
                plain("pusher:cache_miss", Some(channel), Data::Text("{}"))
            }
            Self::MemberAdded { channel, member } => plain(
                "pusher_internal:member_added",
                Some(channel),
                encoded(&json!({ "user_id": member.user_id, "user_info": member.user_info })),
            ),
            Self::MemberRemoved { channel, user_id } => plain(
                "pusher_internal:member_removed",
                Some(channel),
                encoded(&json!({ "user_id": user_id })),
            ),
            Self::SubscriptionCount { channel, count } => plain(
                "pusher_internal:subscription_count",
                Some(channel),
                encoded(&json!({ "subscription_count": count })),
            ),
            Self::SigninSuccess { user_data } => {
                plain("pusher:signin_success", None, encoded(&json!({ "user_data": user_data })))
            }
            Self::WatchlistEvents { events } => plain(
                "pusher_internal:watchlist_events",
                None,
                encoded(&json!({ "events": events })),
            ),
            Self::Event { event, channel, data, user_id } => {
                Frame { event, channel: Some(channel), data: Data::Text(data), user_id: *user_id }
            }
        }
    }
}

fn encoded(value: &Value) -> Data<'static> {
    Data::Owned(value.to_string())
}

fn presence_data(members: &[Member]) -> Value {
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    let hash: serde_json::Map<String, Value> =
        members.iter().map(|m| (m.user_id.clone(), m.user_info.clone())).collect();
    json!({ "presence": { "ids": ids, "hash": hash, "count": members.len() } })
}

#[cfg(test)]
mod tests {
    //! Golden tests: the exact bytes pusher-js receives.
    use super::*;

    fn channel(name: &str) -> ChannelName {
        ChannelName::parse(name).unwrap()
    }

    #[test]
    fn connection_established() {
        let frame = ServerMessage::ConnectionEstablished {
            socket_id: SocketId::new(123, 456),
            activity_timeout: 120,
        };
        assert_eq!(
            frame.to_json(),
            r#"{"event":"pusher:connection_established","data":"{\"activity_timeout\":120,\"socket_id\":\"123.456\"}"}"#
        );
    }

    #[test]
    fn errors() {
        let fatal = ServerMessage::Error {
            code: Some(ErrorCode::AppNotFound),
            message: "Unknown app",
            channel: None,
        };
        assert_eq!(
            fatal.to_json(),
            r#"{"event":"pusher:error","data":{"code":4001,"message":"Unknown app"}}"#
        );
        let c = channel("a");
        let soft = ServerMessage::Error {
            code: None,
            message: "Existing subscription to channel a",
            channel: Some(&c),
        };
        assert_eq!(
            soft.to_json(),
            r#"{"event":"pusher:error","channel":"a","data":{"code":null,"message":"Existing subscription to channel a"}}"#
        );
    }

    #[test]
    fn ping_pong() {
        assert_eq!(ServerMessage::Ping.to_json(), r#"{"event":"pusher:ping","data":{}}"#);
        assert_eq!(ServerMessage::Pong.to_json(), r#"{"event":"pusher:pong","data":{}}"#);
    }

    #[test]
    fn subscription_succeeded() {
        let c = channel("my-channel");
        let frame = ServerMessage::SubscriptionSucceeded { channel: &c, members: None };
        assert_eq!(
            frame.to_json(),
            r#"{"event":"pusher_internal:subscription_succeeded","channel":"my-channel","data":"{}"}"#
        );
        let p = channel("presence-a");
        let members =
            [Member { user_id: "10".to_owned(), user_info: json!({"name": "Mr. Channels"}) }];
        let frame = ServerMessage::SubscriptionSucceeded { channel: &p, members: Some(&members) };
        assert_eq!(
            frame.to_json(),
            r#"{"event":"pusher_internal:subscription_succeeded","channel":"presence-a","data":"{\"presence\":{\"count\":1,\"hash\":{\"10\":{\"name\":\"Mr. Channels\"}},\"ids\":[\"10\"]}}"}"#
        );
    }

    #[test]
    fn cache_miss_and_counts() {
        let c = channel("cache-a");
        assert_eq!(
            ServerMessage::CacheMiss { channel: &c }.to_json(),
            r#"{"event":"pusher:cache_miss","channel":"cache-a","data":"{}"}"#
        );
        assert_eq!(
            ServerMessage::SubscriptionCount { channel: &c, count: 3 }.to_json(),
            r#"{"event":"pusher_internal:subscription_count","channel":"cache-a","data":"{\"subscription_count\":3}"}"#
        );
    }

    #[test]
    fn members() {
        let p = channel("presence-a");
        let member = Member { user_id: "7".to_owned(), user_info: Value::Null };
        assert_eq!(
            ServerMessage::MemberAdded { channel: &p, member: &member }.to_json(),
            r#"{"event":"pusher_internal:member_added","channel":"presence-a","data":"{\"user_id\":\"7\",\"user_info\":null}"}"#
        );
        assert_eq!(
            ServerMessage::MemberRemoved { channel: &p, user_id: "7" }.to_json(),
            r#"{"event":"pusher_internal:member_removed","channel":"presence-a","data":"{\"user_id\":\"7\"}"}"#
        );
    }

    #[test]
    fn signin_and_watchlist() {
        assert_eq!(
            ServerMessage::SigninSuccess { user_data: r#"{"id":"1"}"# }.to_json(),
            r#"{"event":"pusher:signin_success","data":"{\"user_data\":\"{\\\"id\\\":\\\"1\\\"}\"}"}"#
        );
        let events =
            [WatchlistEvent { name: WatchlistChange::Online, user_ids: vec!["2".to_owned()] }];
        assert_eq!(
            ServerMessage::WatchlistEvents { events: &events }.to_json(),
            r#"{"event":"pusher_internal:watchlist_events","data":"{\"events\":[{\"name\":\"online\",\"user_ids\":[\"2\"]}]}"}"#
        );
    }

    #[test]
    fn events() {
        let c = channel("presence-a");
        let triggered = ServerMessage::Event {
            event: "my-event",
            channel: &c,
            data: r#"{"a":1}"#,
            user_id: None,
        };
        assert_eq!(
            triggered.to_json(),
            r#"{"event":"my-event","channel":"presence-a","data":"{\"a\":1}"}"#
        );
        let client =
            ServerMessage::Event { event: "client-x", channel: &c, data: "{}", user_id: Some("9") };
        assert_eq!(
            client.to_json(),
            r#"{"event":"client-x","channel":"presence-a","data":"{}","user_id":"9"}"#
        );
    }
}
