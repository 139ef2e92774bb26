//! Periodic passes, each run once at start and then every interval until shutdown, on every
//! node (each pass is safe to run on several nodes at once).
//!
//! - [`overdue`]: invoices whose due date has passed with money still owed move to
//!   `overdue`, publishing like any status change.
//! - [`housekeeping`]: purges ended sessions, old idempotency keys, long-published outbox
//!   rows and forgotten sign-in failure counts.
//! - [`intents`]: Stripe PaymentIntents whose reservations expired are cancelled.

pub mod housekeeping;
pub mod intents;
pub mod overdue;

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::store::StoreError;

pub use overdue::{mark_overdue, run};

/// Runs `pass` now and then every `interval` until `stop` is cancelled; logs what it did
/// (a count of rows) under `name`, and its failures, which never end the loop.
pub async fn every<F, Fut>(name: &'static str, interval: Duration, stop: CancellationToken, pass: F)
where
    F: Fn() -> Fut + Send,
    Fut: Future<Output = Result<u64, StoreError>> + Send,
{
    loop {
        match pass().await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "{name}"),
            Err(error) => tracing::warn!(%error, "{name}: pass failed"),
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(interval) => {}
        }
    }
}
