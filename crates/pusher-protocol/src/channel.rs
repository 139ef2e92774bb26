//! Channel names and the one place where their prefixes are interpreted.

use std::fmt;
use std::sync::Arc;

use crate::limits::MAX_CHANNEL_NAME_LEN;

/// What a channel is, decided by its name's prefix and nothing else.
///
/// The order of the checks matters: `private-encrypted-cache-` must win over
/// `private-encrypted-`, which must win over `private-`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// Anyone may subscribe; no signature.
    Public,
    /// Needs a channel signature.
    Private,
    /// Needs a channel signature; payloads are end-to-end encrypted and relayed untouched.
    PrivateEncrypted,
    /// Needs a channel signature over the `channel_data`; members are tracked.
    Presence,
    /// `cache-`: public, the last event is replayed to new subscribers.
    Cache,
    /// `private-cache-`.
    PrivateCache,
    /// `private-encrypted-cache-`.
    PrivateEncryptedCache,
    /// `presence-cache-`.
    PresenceCache,
    /// `#server-to-user-{id}`: only the signed-in user `{id}` may join.
    ServerToUser,
}

impl ChannelKind {
    /// Classifies a channel name by its prefix.
    pub fn of(name: &str) -> Self {
        const PREFIXES: [(&str, ChannelKind); 8] = [
            ("private-encrypted-cache-", ChannelKind::PrivateEncryptedCache),
            ("private-encrypted-", ChannelKind::PrivateEncrypted),
            ("private-cache-", ChannelKind::PrivateCache),
            ("presence-cache-", ChannelKind::PresenceCache),
            ("cache-", ChannelKind::Cache),
            ("presence-", ChannelKind::Presence),
            ("private-", ChannelKind::Private),
            (SERVER_TO_USER_PREFIX, ChannelKind::ServerToUser),
        ];
        PREFIXES
            .iter()
            .find(|(prefix, _)| name.starts_with(prefix))
            .map_or(ChannelKind::Public, |(_, kind)| *kind)
    }

    /// Whether subscribing needs a channel signature (`auth`).
    pub fn needs_signature(self) -> bool {
        !matches!(self, Self::Public | Self::Cache | Self::ServerToUser)
    }

    /// Whether the channel tracks members (`channel_data` is required).
    pub fn is_presence(self) -> bool {
        matches!(self, Self::Presence | Self::PresenceCache)
    }

    /// Whether the last event is kept and replayed to new subscribers.
    pub fn is_cache(self) -> bool {
        matches!(
            self,
            Self::Cache | Self::PrivateCache | Self::PrivateEncryptedCache | Self::PresenceCache
        )
    }

    /// Whether payloads are end-to-end encrypted (the HTTP API refuses multi-channel triggers).
    pub fn is_encrypted(self) -> bool {
        matches!(self, Self::PrivateEncrypted | Self::PrivateEncryptedCache)
    }

    /// Whether clients may send `client-` events on it (private and presence kinds).
    pub fn allows_client_events(self) -> bool {
        self.needs_signature()
    }
}

/// The prefix of the per-user channel that `sendToUser` triggers on.
pub const SERVER_TO_USER_PREFIX: &str = "#server-to-user-";

/// A valid channel name: 1 to [`MAX_CHANNEL_NAME_LEN`] characters of `[A-Za-z0-9_\-=@,.;]`,
/// or `#server-to-user-` followed by such characters.
///
/// Cheap to clone: the text is shared.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelName(Arc<str>);

/// Why a channel name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelNameError {
    /// The name is empty.
    #[error("channel name is empty")]
    Empty,
    /// The name is longer than allowed.
    #[error("channel name is longer than {max} characters")]
    TooLong {
        /// The limit that was exceeded.
        max: usize,
    },
    /// The name has a character outside `[A-Za-z0-9_\-=@,.;]`.
    #[error("channel name has an invalid character {0:?}")]
    InvalidCharacter(char),
}

impl ChannelName {
    /// Parses a channel name with the default length limit.
    ///
    /// # Errors
    /// When the name is empty, too long or has a character Pusher does not allow.
    pub fn parse(name: &str) -> Result<Self, ChannelNameError> {
        Self::parse_with_limit(name, MAX_CHANNEL_NAME_LEN)
    }

    /// Parses a channel name allowing at most `max_len` characters.
    ///
    /// # Errors
    /// As [`ChannelName::parse`].
    pub fn parse_with_limit(name: &str, max_len: usize) -> Result<Self, ChannelNameError> {
        if name.is_empty() {
            return Err(ChannelNameError::Empty);
        }
        if name.len() > max_len {
            return Err(ChannelNameError::TooLong { max: max_len });
        }
        let body = name.strip_prefix('#').map_or(name, |rest| {
            // Only the reserved server-to-user prefix may start with '#'.
            if name.starts_with(SERVER_TO_USER_PREFIX) { rest } else { name }
        });
        if let Some(bad) = body.chars().find(|c| !is_name_char(*c)) {
            return Err(ChannelNameError::InvalidCharacter(bad));
        }
        Ok(Self(Arc::from(name)))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The kind, from the prefix.
    pub fn kind(&self) -> ChannelKind {
        ChannelKind::of(&self.0)
    }

    /// For `#server-to-user-{id}`, the user id.
    pub fn server_to_user_id(&self) -> Option<&str> {
        self.0.strip_prefix(SERVER_TO_USER_PREFIX)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '=' | '@' | ',' | '.' | ';')
}

impl fmt::Display for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ChannelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl AsRef<str> for ChannelName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for ChannelName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_prefix_order() {
        let cases = [
            ("my-channel", ChannelKind::Public),
            ("invoice.123", ChannelKind::Public),
            ("private-foo", ChannelKind::Private),
            ("private-encrypted-foo", ChannelKind::PrivateEncrypted),
            ("private-encrypted-cache-foo", ChannelKind::PrivateEncryptedCache),
            ("private-cache-foo", ChannelKind::PrivateCache),
            ("presence-cache-foo", ChannelKind::PresenceCache),
            ("presence-foo", ChannelKind::Presence),
            ("cache-foo", ChannelKind::Cache),
            ("#server-to-user-42", ChannelKind::ServerToUser),
            ("privatefoo", ChannelKind::Public),
        ];
        for (name, kind) in cases {
            assert_eq!(ChannelKind::of(name), kind, "{name}");
        }
    }

    #[test]
    fn every_cache_kind_but_plain_cache_needs_a_signature() {
        for name in ["private-cache-a", "private-encrypted-cache-a", "presence-cache-a"] {
            assert!(ChannelKind::of(name).needs_signature(), "{name}");
            assert!(ChannelKind::of(name).is_cache(), "{name}");
        }
        assert!(!ChannelKind::Cache.needs_signature());
    }

    #[test]
    fn names_are_validated() {
        assert!(ChannelName::parse("a-Z_0=@,.;").is_ok());
        assert_eq!(ChannelName::parse(""), Err(ChannelNameError::Empty));
        assert_eq!(ChannelName::parse("a b"), Err(ChannelNameError::InvalidCharacter(' ')));
        assert_eq!(ChannelName::parse("#foo"), Err(ChannelNameError::InvalidCharacter('#')));
        assert!(ChannelName::parse(&"a".repeat(200)).is_ok());
        assert_eq!(
            ChannelName::parse(&"a".repeat(201)),
            Err(ChannelNameError::TooLong { max: 200 })
        );
        let user = ChannelName::parse("#server-to-user-42").unwrap();
        assert_eq!(user.server_to_user_id(), Some("42"));
    }
}
