//! The transactional outbox: event rows written in the change's transaction, claimed by a
//! relay, published, and marked sent (or, for an event no server will ever accept, failed).
//!
//! # Claims
//! Several relays (one per `paybell serve` node) may share one PostgreSQL outbox. The outbox
//! is a [`WorkTable`] keyed by invoice ([`OUTBOX`]): relays lease rows through
//! [`super::claims`], which keeps each invoice's rows in order across relays, and the
//! durable-work component (the `durable` module) renews and takes over those leases. The
//! methods below are the outbox's names for them, for inspection and tests.

use std::time::Duration;

use sqlx::{Any, Transaction};

use crate::domain::{OutboxEvent, Timestamp};

use super::claims::{Claimed, WorkTable};
use super::{Store, StoreError};

const COLUMNS: &str = "seq, event_id, invoice_id, channel, event, payload, attempts";

/// The outbox as durable work: keyed by invoice, done once sent.
pub static OUTBOX: WorkTable =
    WorkTable { table: "outbox", key: "invoice_id", done: "sent_at", columns: COLUMNS };

/// An event waiting to be published.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingEvent {
    /// Position in the outbox; publishing follows it within an invoice.
    pub seq: i64,
    /// The payload's `eventId`.
    pub event_id: String,
    /// The invoice the event is about (the ordering key).
    pub invoice_id: String,
    /// Channel name.
    pub channel: String,
    /// Event name.
    pub event: String,
    /// The payload, as JSON text.
    pub payload: String,
    /// Failed attempts so far.
    pub attempts: i64,
}

impl Claimed for PendingEvent {
    fn seq(&self) -> i64 {
        self.seq
    }
}

/// Inserts a change's events inside its transaction.
pub(super) async fn insert(
    tx: &mut Transaction<'static, Any>,
    events: &[OutboxEvent],
    now: Timestamp,
) -> Result<(), StoreError> {
    for event in events {
        // Locks the channel's position row until the transaction ends (see the migration
        // 0004): positions become visible in the order they were taken, none skipped.
        let position: i64 = sqlx::query_scalar(
            "INSERT INTO channel_positions (channel, last_seq) VALUES ($1, 1) \
             ON CONFLICT (channel) DO UPDATE SET last_seq = channel_positions.last_seq + 1 \
             RETURNING last_seq",
        )
        .bind(&event.channel)
        .fetch_one(&mut **tx)
        .await?;
        sqlx::query(
            "INSERT INTO outbox \
             (event_id, invoice_id, channel, event, payload, created_at, channel_seq) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&event.event_id)
        .bind(&event.invoice_id)
        .bind(&event.channel)
        .bind(event.event)
        .bind(&event.payload)
        .bind(now.millis())
        .bind(position)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Leases to `claimer`, until `now + lease`, every unpublished row of up to `invoices`
    /// invoices whose oldest unpublished row is free; oldest first. [`super::claims`] explains
    /// why this keeps each invoice's order across relays.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn claim_events(
        &self,
        claimer: &str,
        now: Timestamp,
        lease: Duration,
        invoices: i64,
    ) -> Result<Vec<PendingEvent>, StoreError> {
        self.work(&OUTBOX).claim(claimer, now, lease, invoices).await
    }

    /// Gives back the unpublished rows `claimer` still holds, for any relay to claim.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn release_claims(&self, claimer: &str) -> Result<(), StoreError> {
        self.work(&OUTBOX).release(claimer).await.map(drop)
    }

    /// Up to `limit` unpublished events, oldest first, claimed or not (for inspection).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn pending_events(&self, limit: i64) -> Result<Vec<PendingEvent>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM outbox \
             WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY seq LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a successful publication (and ends the row's claim).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_sent(&self, seq: i64, now: Timestamp) -> Result<(), StoreError> {
        self.work(&OUTBOX).mark_done(seq, now).await
    }

    /// Records a failed attempt that will be retried.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_attempt_failed(&self, seq: i64, error: &str) -> Result<(), StoreError> {
        self.work(&OUTBOX).mark_attempt_failed(seq, error).await
    }

    /// Gives up on an event no server will accept (it stays in the table for inspection).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_failed(
        &self,
        seq: i64,
        error: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.work(&OUTBOX).mark_failed(seq, error, now).await
    }

    /// Every event ever written, oldest first, published or not (for tests and inspection).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn all_events(&self) -> Result<Vec<PendingEvent>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM outbox ORDER BY seq"))
            .fetch_all(&self.pool)
            .await?)
    }
}
