//! The overdue pass: invoices whose due date has passed (UTC) with money still owed move to
//! `overdue`, publishing like any status change.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::domain::events::outbox_events;
use crate::domain::{Action, Change, ChannelNames, Timestamp};
use crate::store::{Store, StoreError};

/// Marks overdue invoices every `interval` until `stop` is cancelled.
pub async fn run(
    store: Store,
    channels: ChannelNames,
    interval: Duration,
    stop: CancellationToken,
) {
    super::every("invoices marked overdue", interval, stop, || async {
        let moved = mark_overdue(&store, channels, Timestamp::now()).await?;
        Ok(u64::try_from(moved).unwrap_or(u64::MAX))
    })
    .await;
}

/// One pass: marks every invoice due before `now`'s date; returns how many moved.
///
/// # Errors
/// [`StoreError`] from the store; an invoice that changed meanwhile (paid, voided) is skipped.
pub async fn mark_overdue(
    store: &Store,
    channels: ChannelNames,
    now: Timestamp,
) -> Result<usize, StoreError> {
    let mut moved = 0;
    for id in store.overdue_candidates(now.date()).await? {
        let result = store
            .update_invoice(
                &id,
                None,
                |invoice| invoice.transition(Action::MarkOverdue, now),
                |invoice, _| outbox_events(Change::StatusChanged, invoice, channels, now),
            )
            .await;
        match result {
            Ok(_) => moved += 1,
            Err(StoreError::Rejected(_) | StoreError::NotFound) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(moved)
}
