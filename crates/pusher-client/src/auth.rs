//! Signatures a backend hands to its clients: channel authorisation (`POST /pusher/auth`)
//! and user authentication (`pusher:signin`). No I/O; the maths is pusher-protocol's.

use pusher_protocol::{ChannelName, ChannelNameError, SocketId, SocketIdError, UserData, sign};
use serde::Serialize;

use crate::target::Target;

/// The body a backend returns to authorise a private, presence or encrypted channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelAuth {
    /// `<key>:<hex hmac>`.
    pub auth: String,
    /// The presence `channel_data`, exactly as signed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel_data: Option<String>,
    /// `base64(SHA-256(channel ‖ master key))`, for `private-encrypted-` channels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<String>,
}

/// The body a backend returns to authenticate a user for `pusher:signin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserAuth {
    /// `<key>:<hex hmac>` over `<socket_id>::user::<user_data>`.
    pub auth: String,
    /// The user data, exactly as signed.
    pub user_data: String,
}

/// Why a signature was not produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    /// The socket id is not `digits.digits`.
    #[error(transparent)]
    SocketId(#[from] SocketIdError),
    /// The channel name is invalid.
    #[error("invalid channel name {channel:?}: {reason}")]
    Channel {
        /// The name as given.
        channel: String,
        /// Why it is invalid.
        reason: ChannelNameError,
    },
    /// A presence channel needs `channel_data` with the user id.
    #[error("presence channel {0} needs channel_data")]
    MissingChannelData(String),
    /// An encrypted channel needs the encryption master key to derive its shared secret.
    #[error("cannot authorise {0}: no encryption master key is configured")]
    NoMasterKey(String),
    /// User data must be a JSON object with a non-empty string `id` ([`UserData::parse`]).
    #[error("user_data must be a JSON object with a non-empty string \"id\"")]
    UserData,
}

impl Target {
    /// Signs a subscription to `channel` for the connection `socket_id`.
    ///
    /// `channel_data` is the raw presence JSON (see [`presence_channel_data`]); it is signed
    /// and returned byte for byte. On `private-encrypted-` channels the shared secret is added.
    ///
    /// # Errors
    /// [`AuthorizeError`] for an invalid socket id or channel name, a presence channel without
    /// `channel_data`, or an encrypted channel without a master key.
    pub fn authorize_channel(
        &self,
        socket_id: &str,
        channel: &str,
        channel_data: Option<&str>,
    ) -> Result<ChannelAuth, AuthorizeError> {
        SocketId::parse(socket_id)?;
        let name = ChannelName::parse(channel)
            .map_err(|reason| AuthorizeError::Channel { channel: channel.to_owned(), reason })?;
        let kind = name.kind();
        if kind.is_presence() && channel_data.is_none() {
            return Err(AuthorizeError::MissingChannelData(channel.to_owned()));
        }
        let shared_secret = if kind.is_encrypted() {
            let key = self
                .encryption_master_key()
                .ok_or_else(|| AuthorizeError::NoMasterKey(channel.to_owned()))?;
            Some(sign::encrypted_shared_secret(channel, key.expose()))
        } else {
            None
        };
        let auth = sign::channel_auth(
            self.key(),
            self.secret().expose(),
            socket_id,
            channel,
            channel_data,
        );
        Ok(ChannelAuth { auth, channel_data: channel_data.map(str::to_owned), shared_secret })
    }

    /// Signs `user_data` (raw JSON with a string `id`) for `pusher:signin` on `socket_id`.
    ///
    /// # Errors
    /// [`AuthorizeError`] for an invalid socket id or user data without a string `id`.
    pub fn authenticate_user(
        &self,
        socket_id: &str,
        user_data: &str,
    ) -> Result<UserAuth, AuthorizeError> {
        SocketId::parse(socket_id)?;
        UserData::parse(user_data).map_err(|_| AuthorizeError::UserData)?;
        let auth = sign::user_auth(self.key(), self.secret().expose(), socket_id, user_data);
        Ok(UserAuth { auth, user_data: user_data.to_owned() })
    }
}

/// The presence `channel_data` JSON for `user_id`, with `user_info` when given.
pub fn presence_channel_data(user_id: &str, user_info: Option<&serde_json::Value>) -> String {
    let mut data = serde_json::Map::new();
    data.insert("user_id".to_owned(), user_id.into());
    if let Some(info) = user_info {
        data.insert("user_info".to_owned(), info.clone());
    }
    serde_json::Value::Object(data).to_string()
}

#[cfg(test)]
mod tests {
    //! The vectors of PROTOCOL.md §8.
    use super::*;
    use crate::target::{EncryptionMasterKey, Secret};

    fn target() -> Target {
        Target::new("3", "278d425bdf160c739803", Secret::new("7ad3773142a6692b25b8")).unwrap()
    }

    #[test]
    fn private_channel_vector() {
        let auth = target().authorize_channel("1234.1234", "private-foobar", None).unwrap();
        assert_eq!(
            serde_json::to_string(&auth).unwrap(),
            r#"{"auth":"278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"}"#
        );
    }

    #[test]
    fn presence_channel_vector() {
        let data = r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#;
        let auth = target().authorize_channel("1234.1234", "presence-foobar", Some(data)).unwrap();
        assert_eq!(
            auth.auth,
            "278d425bdf160c739803:31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80"
        );
        assert_eq!(auth.channel_data.as_deref(), Some(data));
        assert_eq!(auth.shared_secret, None);
    }

    #[test]
    fn encrypted_channel_gets_the_shared_secret() {
        let channel = "private-encrypted-foobar";
        assert_eq!(
            target().authorize_channel("1234.1234", channel, None),
            Err(AuthorizeError::NoMasterKey(channel.to_owned()))
        );
        let key = EncryptionMasterKey::from_base64("nxzvbGF+f8FGhk/jOaZvgMle1tqxzF/VfUZLBLhhaH0=")
            .unwrap();
        let auth = target()
            .with_encryption_master_key(key)
            .authorize_channel("1234.1234", channel, None)
            .unwrap();
        assert_eq!(
            auth.shared_secret.as_deref(),
            Some("czvoDDXCTjPhg8Wy7zFbMOwE02M7CO5TmfDgoWpLMXw=")
        );
    }

    #[test]
    fn user_vector() {
        let auth = target().authenticate_user("1234.1234", r#"{"id":"12345"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&auth).unwrap(),
            r#"{"auth":"278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba","user_data":"{\"id\":\"12345\"}"}"#
        );
    }

    #[test]
    fn bad_input_is_refused() {
        let target = target();
        assert!(matches!(
            target.authorize_channel("1234", "private-a", None),
            Err(AuthorizeError::SocketId(_))
        ));
        assert!(matches!(
            target.authorize_channel("1.2", "private a", None),
            Err(AuthorizeError::Channel { .. })
        ));
        assert_eq!(
            target.authorize_channel("1.2", "presence-a", None),
            Err(AuthorizeError::MissingChannelData("presence-a".to_owned()))
        );
        for bad in ["", "{}", r#"{"id":12}"#, r#"{"id":""}"#, "[1]"] {
            assert_eq!(
                target.authenticate_user("1.2", bad),
                Err(AuthorizeError::UserData),
                "{bad}"
            );
        }
    }

    #[test]
    fn presence_data_is_built_once() {
        assert_eq!(presence_channel_data("u1", None), r#"{"user_id":"u1"}"#);
        let info = serde_json::json!({"name": "A"});
        assert_eq!(
            presence_channel_data("u1", Some(&info)),
            r#"{"user_id":"u1","user_info":{"name":"A"}}"#
        );
    }
}
