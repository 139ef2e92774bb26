//! The domain: values parsed once at the edge, the status machine, the events a change
//! publishes. No I/O.
//!
//! - [`money`]: [`Currency`], [`Amount`] (integer minor units).
//! - [`status`]: [`InvoiceStatus`] and its one `match`.
//! - [`invoice`]: [`Invoice`], its [`InvoiceContent`] and [`Payment`]s.
//! - [`logo`]: the business logo, recognised by its content.
//! - [`totals`]: subtotal, discount, tax per rate and total, with the one rounding rule.
//! - [`profile`]: the owner's business profile and [`CustomerRecord`]s of the directory.
//! - [`user`]: [`Email`], [`Password`], [`UserName`], [`User`].
//! - [`events`]: what each change publishes, as outbox rows.
//! - [`mail`]: the e-mails a change sends, as mail rows.
//! - [`ids`]: random ids and timestamps.
//! - [`text`]: free text without control or text-direction characters.

pub mod events;
pub mod ids;
pub mod invoice;
pub mod logo;
pub mod mail;
pub mod money;
pub mod profile;
pub mod status;
pub mod text;
pub mod totals;
pub mod user;

use std::collections::BTreeMap;
use std::fmt;

pub use events::{Change, ChannelNames, OutboxEvent};
pub use ids::{CustomerId, InvoiceId, MailId, PaymentId, Timestamp, UserId};
pub use invoice::{
    Customer, Invoice, InvoiceContent, LineItem, Payment, PaymentEffect, PaymentSource,
    RefundEffect, RemovalEffect, Terms,
};
pub use mail::{MailKind, NewMail};
pub use money::{Amount, Currency};
pub use profile::{CustomerRecord, Profile};
pub use status::{Action, IllegalTransition, InvoiceStatus};
pub use totals::{Discount, Totals};
pub use user::{Email, Password, User, UserName};

/// Input that is not acceptable, field by field (HTTP 422).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ValidationError {
    /// Field path (`items[0].unitPrice`) → what is wrong with it.
    pub fields: BTreeMap<String, String>,
}

impl ValidationError {
    /// One bad field.
    pub fn field(name: impl Into<String>, message: impl Into<String>) -> Self {
        Self { fields: BTreeMap::from([(name.into(), message.into())]) }
    }

    /// Adds the problems of `other`, keeping the first message per field.
    pub fn merge(&mut self, other: Self) {
        for (field, message) in other.fields {
            self.fields.entry(field).or_insert(message);
        }
    }

    /// `Ok(())` when nothing was found.
    ///
    /// # Errors
    /// `self` when it holds at least one problem.
    pub fn into_result(self) -> Result<(), Self> {
        if self.fields.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (field, message) in &self.fields {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            write!(f, "{field}: {message}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationError {}

/// Collects the problems of several fields so the client hears about all of them at once.
#[derive(Debug, Default)]
pub struct Checks {
    errors: ValidationError,
}

impl Checks {
    /// Keeps the value, or records its problem and returns `None`.
    pub fn take<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.merge(error);
                None
            }
        }
    }

    /// Records a problem.
    pub fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.merge(ValidationError::field(field, message));
    }

    /// Ends the checks.
    ///
    /// # Errors
    /// Every problem recorded.
    pub fn finish(self) -> Result<(), ValidationError> {
        self.errors.into_result()
    }
}

/// Why a change to an invoice was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input is not acceptable (422).
    #[error("invalid input: {0}")]
    Invalid(#[from] ValidationError),
    /// The invoice's status does not allow it (409).
    #[error(transparent)]
    Illegal(#[from] IllegalTransition),
    /// The invoice has no such payment (404).
    #[error("no such payment")]
    NoSuchPayment,
    /// The payment came through the payment provider: only a refund can take it back (409).
    #[error("a payment made by card through the payment provider cannot be removed")]
    NotRemovable,
    /// Only card payments are refunded, up to what they paid (409).
    #[error("only a card payment that is not refunded in full can be refunded")]
    NotRefundable,
}
