//! Owners: who may sign in and own invoices.

use std::fmt;

use super::text::{has_unsafe, single_line};
use super::{Timestamp, UserId, ValidationError};

/// An e-mail address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// A light check: one `@` with text on both sides, a dot in the domain, no spaces, no
    /// control or text-direction characters; and an address an SMTP server can be given
    /// (mail goes to it).
    ///
    /// # Errors
    /// [`ValidationError`] on `email`.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let value = value.trim().to_lowercase();
        let valid = value.len() <= 254
            && !value.chars().any(char::is_whitespace)
            && !has_unsafe(&value)
            && value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && !domain.contains('@')
                    && domain.split('.').count() >= 2
                    && domain.split('.').all(|part| !part.is_empty())
            })
            && value.parse::<lettre::Address>().is_ok();
        if valid {
            Ok(Self(value))
        } else {
            Err(ValidationError::field("email", "must be an e-mail address"))
        }
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

impl UserName {
    /// Non-empty, at most 100 characters.
    ///
    /// # Errors
    /// [`ValidationError`] on `name`.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        single_line("name", value, 100).map(Self)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// 8 to 1024 characters.
    ///
    /// # Errors
    /// [`ValidationError`] on `password`.
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        match value.chars().count() {
            0..8 => Err(ValidationError::field("password", "must be at least 8 characters")),
            8..=1024 => Ok(Self(value.to_owned())),
            _ => Err(ValidationError::field("password", "must be at most 1024 characters")),
        }
    }

    /// The password itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// An owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Random id; names the `user.{id}.invoices` channel.
    pub id: UserId,
    /// Sign-in name.
    pub email: Email,
    /// Shown to the owner and, as the business name, on payment pages.
    pub name: String,
    /// When the account was created.
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        let bad_for_smtp = ["a<b>@example.com", "a\"b@example.com", "a,b@example.com"];
        for bad in ["", "ada", "ada@", "@example.com", "a@b", "a b@c.d", "a@@b.c", "a@b..c"]
            .into_iter()
            .chain(bad_for_smtp)
        {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_a_length_and_never_print() {
        assert!(Password::parse("short").is_err());
        let password = Password::parse("long enough").unwrap();
        assert_eq!(format!("{password:?}"), "Password(***)");
        assert!(UserName::parse("   ").is_err());
    }
}
