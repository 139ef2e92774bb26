//! App ids and keys: the names an app is found by, parsed once where they enter (the
//! configuration) so the server only ever holds valid ones.
//!
//! Both follow one rule: non-empty ASCII letters, digits, `-`, `_` or `.` (numeric ids too).
//! Both borrow as `str`, so a map keyed by them is looked up with the text from a request path
//! without allocating.

use std::borrow::Borrow;
use std::fmt;

/// An app id, as in `/apps/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(String);

/// An app key, the public credential clients connect with (`/app/{key}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppKey(String);

/// An app id or key that breaks the rule; holds the text refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppCredentialError {
    /// A bad app id.
    #[error("invalid app id {0:?}: expected non-empty letters, digits, '-', '_' or '.'")]
    Id(String),
    /// A bad app key.
    #[error("invalid app key {0:?}: expected non-empty letters, digits, '-', '_' or '.'")]
    Key(String),
}

/// Whether `text` is non-empty ASCII letters, digits, `-`, `_` or `.`.
fn is_credential(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl AppId {
    /// Parses an app id.
    ///
    /// # Errors
    /// [`AppCredentialError::Id`] when `text` is empty or holds another character.
    pub fn parse(text: impl Into<String>) -> Result<Self, AppCredentialError> {
        let text = text.into();
        if is_credential(&text) { Ok(Self(text)) } else { Err(AppCredentialError::Id(text)) }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AppKey {
    /// Parses an app key.
    ///
    /// # Errors
    /// [`AppCredentialError::Key`] when `text` is empty or holds another character.
    pub fn parse(text: impl Into<String>) -> Result<Self, AppCredentialError> {
        let text = text.into();
        if is_credential(&text) { Ok(Self(text)) } else { Err(AppCredentialError::Key(text)) }
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

// `Borrow` requires the same `Hash`, `Eq` and `Ord` as `str`: the derives above compare and
// hash the one `String` field, which does.
impl Borrow<str> for AppId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for AppKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for AppId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for AppId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<str> for AppKey {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for AppKey {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn accepts_letters_digits_dash_underscore_and_dot() {
        for good in ["app-id", "app_key", "1234567", "a.b.c", "A", "-", "."] {
            assert_eq!(AppId::parse(good).unwrap().as_str(), good);
            assert_eq!(AppKey::parse(good).unwrap().to_string(), good);
        }
    }

    #[test]
    fn refuses_empty_spaces_and_other_characters() {
        for bad in ["", " ", "bad id", "a/b", "a:b", "é", "tab\t", "new\nline", "a%20"] {
            assert_eq!(AppId::parse(bad), Err(AppCredentialError::Id(bad.to_owned())), "{bad:?}");
            assert_eq!(AppKey::parse(bad), Err(AppCredentialError::Key(bad.to_owned())), "{bad:?}");
        }
    }

    #[test]
    fn errors_say_what_was_refused() {
        assert_eq!(
            AppKey::parse("a b").unwrap_err().to_string(),
            "invalid app key \"a b\": expected non-empty letters, digits, '-', '_' or '.'"
        );
        assert_eq!(
            AppId::parse("").unwrap_err().to_string(),
            "invalid app id \"\": expected non-empty letters, digits, '-', '_' or '.'"
        );
    }

    #[test]
    fn maps_keyed_by_them_are_looked_up_by_text() {
        let key = AppKey::parse("app-key").unwrap();
        let map = HashMap::from([(key.clone(), 1)]);
        assert_eq!(map.get("app-key"), Some(&1));
        assert_eq!(map.get("other"), None);
        assert_eq!(key, "app-key");
    }
}
