//! What a backend's signature vouches for: the sign-in `user_data` and the presence
//! `channel_data`. Parsed here once, so the server that checks them and the client that signs
//! them agree on the rules.

use serde_json::Value;

use crate::server::Member;

/// Sign-in `user_data`: a JSON object with a non-empty string `id` and, optionally, a
/// `watchlist` of user ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserData {
    id: String,
    watchlist: Vec<String>,
}

/// Why `user_data` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserDataError {
    /// The text is not JSON.
    #[error("user_data is not valid JSON")]
    NotJson,
    /// There is no `id`, or it is not a non-empty string.
    #[error("user_data must have a non-empty string id")]
    Id,
}

impl UserData {
    /// Parses raw `user_data`. A `watchlist` that is not an array counts as empty, and its
    /// entries that are not strings are skipped.
    ///
    /// # Errors
    /// [`UserDataError`] when the text is not JSON or has no non-empty string `id`.
    pub fn parse(user_data: &str) -> Result<Self, UserDataError> {
        let value: Value = serde_json::from_str(user_data).map_err(|_| UserDataError::NotJson)?;
        let id = match value.get("id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            _ => return Err(UserDataError::Id),
        };
        let watchlist = match value.get("watchlist") {
            Some(Value::Array(ids)) => {
                ids.iter().filter_map(Value::as_str).map(str::to_owned).collect()
            }
            _ => Vec::new(),
        };
        Ok(Self { id, watchlist })
    }

    /// The user's id, never empty.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The ids whose presence the user watches, as sent (not yet capped).
    pub fn watchlist(&self) -> &[String] {
        &self.watchlist
    }

    /// The id and the watchlist.
    pub fn into_parts(self) -> (String, Vec<String>) {
        (self.id, self.watchlist)
    }
}

/// Presence `channel_data`: a JSON object with a `user_id` (a non-empty string, or a number
/// that becomes its decimal text) and an optional `user_info`.
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceData {
    member: Member,
}

/// Why `channel_data` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresenceDataError {
    /// The text is not JSON.
    #[error("channel_data is not valid JSON")]
    NotJson,
    /// There is no `user_id`, or it is neither a non-empty string nor a number.
    #[error("channel_data must have a user_id string or number")]
    UserId,
}

impl PresenceData {
    /// Parses raw `channel_data`; a missing `user_info` is `null`.
    ///
    /// # Errors
    /// [`PresenceDataError`] when the text is not JSON or has no usable `user_id`.
    pub fn parse(channel_data: &str) -> Result<Self, PresenceDataError> {
        let value: Value =
            serde_json::from_str(channel_data).map_err(|_| PresenceDataError::NotJson)?;
        let user_id = match value.get("user_id") {
            Some(Value::String(id)) if !id.is_empty() => id.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(PresenceDataError::UserId),
        };
        let user_info = value.get("user_info").cloned().unwrap_or(Value::Null);
        Ok(Self { member: Member { user_id, user_info } })
    }

    /// The user id, always a string.
    pub fn user_id(&self) -> &str {
        &self.member.user_id
    }

    /// The user's info, or `null`.
    pub fn user_info(&self) -> &Value {
        &self.member.user_info
    }

    /// The member this data describes.
    pub fn into_member(self) -> Member {
        self.member
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn user_data_needs_a_non_empty_string_id() {
        let user = UserData::parse(r#"{"id":"12345","watchlist":["a",1,"b"]}"#).unwrap();
        assert_eq!(user.id(), "12345");
        assert_eq!(user.watchlist(), ["a", "b"]);
        assert!(UserData::parse(r#"{"id":"1","watchlist":"a"}"#).unwrap().watchlist().is_empty());
        assert_eq!(UserData::parse(""), Err(UserDataError::NotJson));
        for bad in ["{}", r#"{"id":12}"#, r#"{"id":""}"#, "[1]"] {
            assert_eq!(UserData::parse(bad), Err(UserDataError::Id), "{bad}");
        }
    }

    #[test]
    fn presence_data_takes_string_or_number_ids() {
        let data = PresenceData::parse(r#"{"user_id":10,"user_info":{"name":"A"}}"#).unwrap();
        assert_eq!((data.user_id(), data.user_info()), ("10", &json!({"name": "A"})));
        let bare = PresenceData::parse(r#"{"user_id":"u"}"#).unwrap().into_member();
        assert_eq!(bare, Member { user_id: "u".to_owned(), user_info: Value::Null });
        assert_eq!(PresenceData::parse("nope"), Err(PresenceDataError::NotJson));
        for bad in ["{}", r#"{"user_id":""}"#, r#"{"user_id":true}"#] {
            assert_eq!(PresenceData::parse(bad), Err(PresenceDataError::UserId), "{bad}");
        }
    }
}
