//! Ids and time. Ids are random UUID v4, never sequential: a public channel named after an
//! invoice id is then a capability, like the payment link.

use std::fmt;

use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

macro_rules! random_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            /// Accepts a hyphenated UUID (as produced by [`Self::new`]).
            pub fn parse(text: &str) -> Option<Self> {
                let uuid = uuid::Uuid::try_parse(text).ok()?;
                let canonical = uuid.to_string();
                (canonical == text).then_some(Self(canonical))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps a value read back from the store.
            pub(crate) fn from_store(text: String) -> Self {
                Self(text)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

random_id!(
    /// A user (an owner of invoices).
    UserId
);
random_id!(
    /// An invoice.
    InvoiceId
);
random_id!(
    /// A payment.
    PaymentId
);
random_id!(
    /// An e-mail message.
    MailId
);
random_id!(
    /// A customer of the owner's directory.
    CustomerId
);

/// A moment, in unix milliseconds (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64);

const ISO_MILLIS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

impl Timestamp {
    /// Now.
    pub fn now() -> Self {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Self(i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX))
    }

    /// From unix milliseconds.
    pub fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Unix milliseconds.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// `self` plus `seconds`.
    pub fn plus_seconds(self, seconds: i64) -> Self {
        Self(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// `self` plus `duration`, to the millisecond.
    pub fn plus(self, duration: std::time::Duration) -> Self {
        Self(self.0.saturating_add(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)))
    }

    /// `self` minus `duration`, to the millisecond.
    pub fn minus(self, duration: std::time::Duration) -> Self {
        Self(self.0.saturating_sub(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)))
    }

    /// The UTC date of this moment.
    pub fn date(self) -> time::Date {
        self.datetime().date()
    }

    fn datetime(self) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// ISO 8601 UTC with milliseconds: `2025-10-12T18:40:12.153Z`.
    pub fn to_iso(self) -> String {
        // The format has only numeric components, so formatting a valid date cannot fail.
        self.datetime().format(ISO_MILLIS).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_uuids() {
        let (a, b) = (InvoiceId::new(), InvoiceId::new());
        assert_ne!(a, b);
        assert_eq!(InvoiceId::parse(a.as_str()), Some(a));
        assert_eq!(InvoiceId::parse("1"), None);
        assert_eq!(InvoiceId::parse("'; drop table invoices"), None);
    }

    #[test]
    fn timestamps_print_iso_with_millis() {
        assert_eq!(Timestamp::from_millis(1_760_294_412_153).to_iso(), "2025-10-12T18:40:12.153Z");
        assert_eq!(Timestamp::from_millis(0).to_iso(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Timestamp::from_millis(1_760_294_412_153).date().to_string(), "2025-10-12");
    }
}
