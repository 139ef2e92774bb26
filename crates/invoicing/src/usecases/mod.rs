//! The use cases: every change the REST API asks for, between the routes and the store.
//!
//! A use case takes values already parsed at the edge, applies the domain (status machine,
//! money rules), commits the change with its events ([`crate::domain::events`]) in one store
//! transaction, and returns its outcome: the [`Invoice`] after an invoice change, a
//! [`PaymentOutcome`] after a payment (recorded by the owner or paid at checkout). Every
//! refusal is a [`UseCaseError`], which the routes map to HTTP.
//!
//! - [`invoices`]: create, edit, send, void, duplicate; the owner's reads.
//! - [`business`]: the business profile and logo, the customer directory, invoice defaults.
//! - [`payments`]: record a payment, checkout on the payment page, what the payer may see.
//! - [`intents`]: Stripe PaymentIntents: create, complete, the webhook's events, expiry.
//! - [`mail`]: the e-mails a change writes in its transaction; the owner's mail; resend.

pub mod business;
pub mod intents;
pub mod invoices;
pub mod mail;
pub mod payments;

use std::sync::Arc;

use crate::domain::{ChannelNames, DomainError, Invoice, ValidationError};
use crate::mail::Composer;
use crate::provider::{ChargeError, Provider};
use crate::store::{Store, StoreError};

pub use crate::store::PaymentOutcome;

/// What the use cases need: the store, the payment provider, the channel naming, and the
/// e-mail composer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct UseCases {
    store: Store,
    provider: Provider,
    channels: ChannelNames,
    mail: Option<Arc<Composer>>,
}

impl UseCases {
    /// Use cases on `store`, charging through `provider`, publishing on `channels`; they
    /// write no e-mail until [`UseCases::with_mail`].
    pub fn new(store: Store, provider: Provider, channels: ChannelNames) -> Self {
        Self { store, provider, channels, mail: None }
    }

    /// Writes the e-mails of each change (invoice sent, payment recorded), rendered by
    /// `composer`.
    #[must_use]
    pub fn with_mail(mut self, composer: Arc<Composer>) -> Self {
        self.mail = Some(composer);
        self
    }
}

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// No such invoice, not the caller's, or not visible to the payer.
    #[error("not found")]
    NotFound,
    /// The input is not acceptable.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The domain refused the change.
    #[error(transparent)]
    Rejected(#[from] DomainError),
    /// The payment provider refused the charge.
    #[error(transparent)]
    Charge(#[from] ChargeError),
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An invoice, or [`UseCaseError::NotFound`].
fn found(invoice: Option<Invoice>) -> Result<Invoice, UseCaseError> {
    invoice.ok_or(UseCaseError::NotFound)
}
