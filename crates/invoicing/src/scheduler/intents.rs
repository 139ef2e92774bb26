//! The expired-intents pass: PaymentIntents whose reservations expired unconfirmed are
//! cancelled at Stripe, so a payer who comes back late cannot pay what nothing holds any more
//! (one who pays in that moment anyway is refunded when the invoice does not take it).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::usecases::UseCases;

/// How often the pass runs: reservations live 30 minutes, so a minute late is nothing.
pub const INTERVAL: Duration = Duration::from_secs(60);

/// Cancels expired intents every `interval` until `stop` is cancelled (nothing with the `test`
/// provider).
pub async fn run(usecases: UseCases, interval: Duration, stop: CancellationToken) {
    super::every("expired PaymentIntents cancelled", interval, stop, || async {
        usecases.cancel_expired_intents().await
    })
    .await;
}
