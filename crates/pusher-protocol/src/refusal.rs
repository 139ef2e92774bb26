//! Why a subscription was refused, and the exact `pusher:error` that tells the client.
//!
//! A refusal is not fatal: the frame names the channel and the connection stays open, as
//! pusher-js expects. Its code is `null` like Pusher's own subscribe errors, except 4301 for
//! a subscription over the connection's rate (Pusher's "rate limited" code).

use crate::auth_data::PresenceDataError;
use crate::channel::ChannelName;
use crate::codes::ErrorCode;
use crate::server::ServerMessage;
use crate::sign::AuthError;

/// Why a `pusher:subscribe` was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscribeRefused {
    /// The connection is already subscribed to the channel.
    AlreadySubscribed,
    /// The presence channel has as many members as the app allows.
    PresenceFull {
        /// The app's member limit.
        max: usize,
    },
    /// A `#server-to-user-` channel, and the connection is not signed in as that user.
    NotThatUser,
    /// The channel kind needs a signature and none came.
    MissingAuth,
    /// A presence channel, and no `channel_data` came.
    MissingChannelData,
    /// The signature is malformed, of another app, or wrong.
    Auth(AuthError),
    /// The signed `channel_data` is not usable presence data.
    ChannelData(PresenceDataError),
    /// The presence `user_id` is longer than the app allows.
    UserIdTooLong {
        /// The app's limit, in characters.
        max: usize,
    },
    /// The presence `user_info` is larger than the app allows.
    UserInfoTooLarge {
        /// The app's limit, in bytes of JSON.
        max: usize,
    },
    /// The connection already holds as many channels as the app allows.
    TooManyChannels {
        /// The app's limit of channels per connection.
        max: usize,
    },
    /// The connection subscribes faster than the app allows.
    RateLimited {
        /// The app's limit of subscriptions per second, once the burst is spent.
        per_second: u32,
    },
}

impl SubscribeRefused {
    /// The message for a person, about `channel`.
    pub fn message(&self, channel: &ChannelName) -> String {
        match self {
            Self::AlreadySubscribed => format!("Existing subscription to channel {channel}"),
            Self::PresenceFull { max } => {
                format!("Presence channel {channel} is over its limit of {max} members")
            }
            Self::NotThatUser => format!("Only the signed-in user may subscribe to {channel}"),
            Self::MissingAuth => format!("Subscription to {channel} needs auth"),
            Self::MissingChannelData => format!("Subscription to {channel} needs channel_data"),
            Self::Auth(error) => error.client_message(),
            Self::ChannelData(error) => error.to_string(),
            Self::UserIdTooLong { max } => {
                format!("Presence user_id is longer than {max} characters")
            }
            Self::UserInfoTooLarge { max } => {
                format!("Presence user_info is larger than {max} bytes")
            }
            Self::TooManyChannels { max } => format!(
                "Subscription to {channel} refused - this connection is over its limit of {max} channels"
            ),
            Self::RateLimited { per_second } => format!(
                "Subscription to {channel} refused - no more than {per_second} subscriptions per second"
            ),
        }
    }

    /// The error code sent with the refusal: 4301 over the rate, `None` (`null`) otherwise.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::RateLimited { .. } => Some(ErrorCode::RateLimited),
            Self::AlreadySubscribed
            | Self::PresenceFull { .. }
            | Self::NotThatUser
            | Self::MissingAuth
            | Self::MissingChannelData
            | Self::Auth(_)
            | Self::ChannelData(_)
            | Self::UserIdTooLong { .. }
            | Self::UserInfoTooLarge { .. }
            | Self::TooManyChannels { .. } => None,
        }
    }

    /// The `pusher:error` frame refusing `channel`, as exact JSON.
    pub fn to_json(&self, channel: &ChannelName) -> String {
        let message = self.message(channel);
        ServerMessage::Error { code: self.code(), message: &message, channel: Some(channel) }
            .to_json()
    }
}

#[cfg(test)]
mod tests {
    //! Golden tests: the exact refusal each variant puts on the wire.
    use super::*;

    fn refused(reason: SubscribeRefused, channel: &str) -> String {
        reason.to_json(&ChannelName::parse(channel).unwrap())
    }

    #[test]
    fn subscription_state_refusals() {
        assert_eq!(
            refused(SubscribeRefused::AlreadySubscribed, "a"),
            r#"{"event":"pusher:error","channel":"a","data":{"code":null,"message":"Existing subscription to channel a"}}"#
        );
        assert_eq!(
            refused(SubscribeRefused::PresenceFull { max: 100 }, "presence-a"),
            r#"{"event":"pusher:error","channel":"presence-a","data":{"code":null,"message":"Presence channel presence-a is over its limit of 100 members"}}"#
        );
        assert_eq!(
            refused(SubscribeRefused::NotThatUser, "#server-to-user-1"),
            r##"{"event":"pusher:error","channel":"#server-to-user-1","data":{"code":null,"message":"Only the signed-in user may subscribe to #server-to-user-1"}}"##
        );
    }

    #[test]
    fn missing_fields() {
        assert_eq!(
            refused(SubscribeRefused::MissingAuth, "private-a"),
            r#"{"event":"pusher:error","channel":"private-a","data":{"code":null,"message":"Subscription to private-a needs auth"}}"#
        );
        assert_eq!(
            refused(SubscribeRefused::MissingChannelData, "presence-a"),
            r#"{"event":"pusher:error","channel":"presence-a","data":{"code":null,"message":"Subscription to presence-a needs channel_data"}}"#
        );
    }

    #[test]
    fn signatures() {
        assert_eq!(
            refused(SubscribeRefused::Auth(AuthError::Malformed), "private-a"),
            r#"{"event":"pusher:error","channel":"private-a","data":{"code":null,"message":"Invalid auth: auth value is not of the form <key>:<signature>"}}"#
        );
        assert_eq!(
            refused(SubscribeRefused::Auth(AuthError::WrongKey), "private-a"),
            r#"{"event":"pusher:error","channel":"private-a","data":{"code":null,"message":"Invalid auth: auth key does not belong to this app"}}"#
        );
        let wrong = AuthError::InvalidSignature {
            string_to_sign: "1.2:private-a".to_owned(),
            got: "deadbeef".to_owned(),
        };
        assert_eq!(
            refused(SubscribeRefused::Auth(wrong), "private-a"),
            r#"{"event":"pusher:error","channel":"private-a","data":{"code":null,"message":"Invalid signature: Expected HMAC SHA256 hex digest of 1.2:private-a, but got deadbeef"}}"#
        );
    }

    #[test]
    fn presence_data() {
        assert_eq!(
            refused(SubscribeRefused::ChannelData(PresenceDataError::NotJson), "presence-a"),
            r#"{"event":"pusher:error","channel":"presence-a","data":{"code":null,"message":"channel_data is not valid JSON"}}"#
        );
        assert_eq!(
            refused(SubscribeRefused::ChannelData(PresenceDataError::UserId), "presence-a"),
            r#"{"event":"pusher:error","channel":"presence-a","data":{"code":null,"message":"channel_data must have a user_id string or number"}}"#
        );
        assert_eq!(
            refused(SubscribeRefused::UserIdTooLong { max: 128 }, "presence-a"),
            r#"{"event":"pusher:error","channel":"presence-a","data":{"code":null,"message":"Presence user_id is longer than 128 characters"}}"#
        );
        assert_eq!(
            refused(SubscribeRefused::UserInfoTooLarge { max: 1024 }, "presence-a"),
            r#"{"event":"pusher:error","channel":"presence-a","data":{"code":null,"message":"Presence user_info is larger than 1024 bytes"}}"#
        );
    }

    #[test]
    fn connection_limits() {
        assert_eq!(
            refused(SubscribeRefused::TooManyChannels { max: 1000 }, "a"),
            r#"{"event":"pusher:error","channel":"a","data":{"code":null,"message":"Subscription to a refused - this connection is over its limit of 1000 channels"}}"#
        );
        assert_eq!(
            refused(SubscribeRefused::RateLimited { per_second: 50 }, "a"),
            r#"{"event":"pusher:error","channel":"a","data":{"code":4301,"message":"Subscription to a refused - no more than 50 subscriptions per second"}}"#
        );
    }
}
