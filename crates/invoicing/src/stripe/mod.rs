//! Stripe: what Paybell needs of it. So far its settings ([`config`]) and the webhook's
//! `Stripe-Signature` check ([`signature`]); the PaymentIntent client and the routes
//! (`/api/pay/{id}/intents`, `/api/stripe/webhook`) are still to come (issue #13).

pub mod config;
pub mod signature;

pub use config::{StripeConfig, StripeConfigError, StripeOrigins};
