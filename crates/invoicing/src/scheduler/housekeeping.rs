//! The housekeeping pass: [`Store::purge`] with the configured [`Retention`], by the
//! application's [`Clock`].

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::store::{Purged, Retention, Store, StoreError};

/// Purges every `interval` until `stop` is cancelled.
pub async fn run(
    store: Store,
    retention: Retention,
    clock: Clock,
    interval: Duration,
    stop: CancellationToken,
) {
    super::every("housekeeping: rows purged", interval, stop, || async {
        purge(&store, &retention, &clock).await.map(|purged| purged.total())
    })
    .await;
}

/// One pass, now by `clock`.
///
/// # Errors
/// [`StoreError::Database`].
pub async fn purge(
    store: &Store,
    retention: &Retention,
    clock: &Clock,
) -> Result<Purged, StoreError> {
    let purged = store.purge(clock.now(), retention).await?;
    if purged.total() > 0 {
        tracing::debug!(?purged, "housekeeping");
    }
    Ok(purged)
}
