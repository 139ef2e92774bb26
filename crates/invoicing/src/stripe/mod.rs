//! Stripe: what Paybell needs of it. So far the webhook's `Stripe-Signature` check
//! ([`signature`]); the PaymentIntent client and the routes are still to come (issue #13).

pub mod signature;
