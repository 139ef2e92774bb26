//! The `info` parameter of the HTTP API: which channel attributes a request asks for, and
//! which of them each route and channel kind can answer.

use crate::channel::ChannelName;

/// The attributes an `info` parameter (`user_count,subscription_count`) asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InfoAttributes {
    user_count: bool,
    subscription_count: bool,
    cache: bool,
}

/// Where the attributes are asked for: each route answers a different set.
#[derive(Debug, Clone, Copy)]
pub enum InfoScope<'a> {
    /// `POST /events` or `/batch_events`, for one of the event's channels:
    /// `user_count` (presence channels) and `subscription_count`.
    Trigger(&'a ChannelName),
    /// `GET /channels/{c}`: as a trigger, plus `cache` on cache channels.
    Channel(&'a ChannelName),
    /// `GET /channels?filter_by_prefix=`: only `user_count`, with a `presence-` prefix.
    Channels {
        /// The `filter_by_prefix` value, empty when absent.
        prefix: &'a str,
    },
}

/// Why an `info` parameter was refused. Each is a 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InfoError {
    /// An attribute this route does not know.
    #[error("Unknown info attribute {0:?}")]
    Unknown(String),
    /// `user_count` on a channel that is not a presence channel.
    #[error("user_count is only available for presence channels, not {0}")]
    UserCountNeedsPresence(ChannelName),
    /// `user_count` when listing channels without a `presence-` prefix filter.
    #[error("info=user_count needs filter_by_prefix=presence-")]
    UserCountNeedsPresencePrefix,
    /// `cache` on a channel that is not a cache channel.
    #[error("cache is only available for cache channels, not {0}")]
    CacheNeedsCacheChannel(ChannelName),
}

impl InfoAttributes {
    /// Parses a comma-separated `info` value; blanks around and between names are ignored.
    ///
    /// # Errors
    /// [`InfoError::Unknown`] for a name other than `user_count`, `subscription_count` and
    /// `cache`.
    pub fn parse(info: Option<&str>) -> Result<Self, InfoError> {
        let mut parsed = Self::default();
        let names = info.unwrap_or_default().split(',').map(str::trim);
        for name in names.filter(|name| !name.is_empty()) {
            match name {
                "user_count" => parsed.user_count = true,
                "subscription_count" => parsed.subscription_count = true,
                "cache" => parsed.cache = true,
                other => return Err(InfoError::Unknown(other.to_owned())),
            }
        }
        Ok(parsed)
    }

    /// Checks that `scope` can answer every attribute asked for.
    ///
    /// # Errors
    /// [`InfoError`] naming the first attribute the route or channel kind cannot answer.
    pub fn check(self, scope: InfoScope<'_>) -> Result<(), InfoError> {
        match scope {
            InfoScope::Trigger(channel) | InfoScope::Channel(channel) => {
                if self.user_count && !channel.kind().is_presence() {
                    return Err(InfoError::UserCountNeedsPresence(channel.clone()));
                }
                if self.cache && matches!(scope, InfoScope::Trigger(_)) {
                    return Err(InfoError::Unknown("cache".to_owned()));
                }
                if self.cache && !channel.kind().is_cache() {
                    return Err(InfoError::CacheNeedsCacheChannel(channel.clone()));
                }
            }
            InfoScope::Channels { prefix } => {
                if self.subscription_count {
                    return Err(InfoError::Unknown("subscription_count".to_owned()));
                }
                if self.cache {
                    return Err(InfoError::Unknown("cache".to_owned()));
                }
                if self.user_count && !prefix.starts_with("presence-") {
                    return Err(InfoError::UserCountNeedsPresencePrefix);
                }
            }
        }
        Ok(())
    }

    /// Whether nothing was asked for.
    pub fn is_empty(self) -> bool {
        self == Self::default()
    }

    /// Whether `user_count` was asked for.
    pub fn user_count(self) -> bool {
        self.user_count
    }

    /// Whether `subscription_count` was asked for.
    pub fn subscription_count(self) -> bool {
        self.subscription_count
    }

    /// Whether `cache` was asked for.
    pub fn cache(self) -> bool {
        self.cache
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(name: &str) -> ChannelName {
        ChannelName::parse(name).unwrap()
    }

    fn check(info: &str, scope: InfoScope<'_>) -> Result<(), String> {
        InfoAttributes::parse(Some(info)).and_then(|i| i.check(scope)).map_err(|e| e.to_string())
    }

    #[test]
    fn parses_a_comma_separated_list() {
        let info = InfoAttributes::parse(Some(" user_count, ,subscription_count")).unwrap();
        assert!(info.user_count() && info.subscription_count() && !info.cache());
        assert!(InfoAttributes::parse(None).unwrap().is_empty());
        assert!(InfoAttributes::parse(Some(",")).unwrap().is_empty());
        assert_eq!(
            InfoAttributes::parse(Some("user_count,members")),
            Err(InfoError::Unknown("members".to_owned()))
        );
    }

    #[test]
    fn triggers_answer_counts_by_channel_kind() {
        let (presence, plain) = (channel("presence-a"), channel("a"));
        assert_eq!(check("user_count,subscription_count", InfoScope::Trigger(&presence)), Ok(()));
        assert_eq!(check("subscription_count", InfoScope::Trigger(&plain)), Ok(()));
        assert_eq!(
            check("user_count", InfoScope::Trigger(&plain)),
            Err("user_count is only available for presence channels, not a".to_owned())
        );
        let cache = channel("cache-a");
        assert_eq!(
            check("cache", InfoScope::Trigger(&cache)),
            Err(r#"Unknown info attribute "cache""#.to_owned())
        );
    }

    #[test]
    fn one_channel_also_answers_its_cache() {
        let (cache, plain) = (channel("cache-a"), channel("a"));
        assert_eq!(check("cache,subscription_count", InfoScope::Channel(&cache)), Ok(()));
        assert_eq!(
            check("cache", InfoScope::Channel(&plain)),
            Err("cache is only available for cache channels, not a".to_owned())
        );
        assert_eq!(
            check("user_count", InfoScope::Channel(&cache)),
            Err("user_count is only available for presence channels, not cache-a".to_owned())
        );
    }

    #[test]
    fn listing_answers_user_count_under_a_presence_prefix() {
        assert_eq!(check("user_count", InfoScope::Channels { prefix: "presence-" }), Ok(()));
        assert_eq!(
            check("user_count", InfoScope::Channels { prefix: "invoice." }),
            Err("info=user_count needs filter_by_prefix=presence-".to_owned())
        );
        assert_eq!(
            check("subscription_count", InfoScope::Channels { prefix: "presence-" }),
            Err(r#"Unknown info attribute "subscription_count""#.to_owned())
        );
    }
}
