//! Stripe: what Paybell needs of it. Its settings ([`config`]), a small API client for
//! PaymentIntents and refunds ([`client`]), the webhook's `Stripe-Signature` check
//! ([`signature`]) and the webhook events Paybell reads ([`event`]).

pub mod client;
pub mod config;
pub mod event;
pub mod signature;

pub use client::{NewIntent, PaymentIntent, StripeClient, StripeError, StripeRefund};
pub use config::{StripeConfig, StripeConfigError, StripeOrigins};

/// The account's settings and a client for its API.
#[derive(Debug)]
pub struct Stripe {
    config: StripeConfig,
    client: StripeClient,
}

impl Stripe {
    /// Stripe with `config`'s account.
    ///
    /// # Errors
    /// [`StripeError::Transport`] when the HTTP client cannot be built.
    pub fn new(config: StripeConfig) -> Result<Self, StripeError> {
        let client = StripeClient::new(&config)?;
        Ok(Self { config, client })
    }

    /// The settings.
    pub fn config(&self) -> &StripeConfig {
        &self.config
    }

    /// The API client.
    pub fn client(&self) -> &StripeClient {
        &self.client
    }
}
