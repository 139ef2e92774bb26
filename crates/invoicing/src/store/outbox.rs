//! The transactional outbox: event rows written in the change's transaction, claimed by a
//! relay, published, and marked sent (or, for an event no server will ever accept, failed).
//!
//! # Claims
//! Several relays (one per `paybell serve` node) may share one PostgreSQL outbox. A relay
//! takes work with [`Store::claim_events`], which leases rows to it for a while
//! (`claimed_by`, `claimed_until`); what another relay holds is left alone until the lease
//! runs out, so a crashed node's rows are taken over after at most one lease.
//!
//! Order is kept per invoice by claiming whole invoices through their *head*: the oldest
//! unpublished row of an invoice. A claim picks heads that are free (never leased, released,
//! or the lease expired) and leases every unpublished row of those invoices. A non-head row is never picked, so while a relay holds an invoice's head no
//! other relay can start on that invoice; once the holder has marked its rows sent, the next
//! row becomes the head and is free again. Two relays racing for the same head are kept apart
//! by PostgreSQL's `FOR UPDATE SKIP LOCKED`: the loser skips a head locked by the winner's
//! claim, and re-checks one whose claim committed meanwhile. SQLite has one writer
//! connection, so its claims are serial anyway.
//!
//! This relies on rows of one invoice being committed in `seq` order, which holds because
//! every change locks its invoice row before inserting its events.

use std::time::Duration;

use sqlx::{Any, Transaction};

use crate::domain::{OutboxEvent, Timestamp};

use super::{Store, StoreError};

const COLUMNS: &str = "seq, event_id, invoice_id, channel, event, payload, attempts";

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

/// Inserts a change's events inside its transaction.
pub(super) async fn insert(
    tx: &mut Transaction<'static, Any>,
    events: &[OutboxEvent],
    now: Timestamp,
) -> Result<(), StoreError> {
    for event in events {
        sqlx::query(
            "INSERT INTO outbox (event_id, invoice_id, channel, event, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&event.event_id)
        .bind(&event.invoice_id)
        .bind(&event.channel)
        .bind(event.event)
        .bind(&event.payload)
        .bind(now.millis())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Leases to `claimer`, until `now + lease`, every unpublished row of up to `invoices`
    /// invoices whose oldest unpublished row is free; oldest first. See the module
    /// documentation for why this keeps each invoice's order across relays.
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
        let heads = format!(
            "SELECT head.invoice_id FROM outbox head \
             WHERE head.sent_at IS NULL AND head.failed_at IS NULL \
             AND (head.claimed_until IS NULL OR head.claimed_until <= $3) \
             AND NOT EXISTS (SELECT 1 FROM outbox earlier \
                 WHERE earlier.invoice_id = head.invoice_id AND earlier.seq < head.seq \
                 AND earlier.sent_at IS NULL AND earlier.failed_at IS NULL) \
             ORDER BY head.seq LIMIT $4{}",
            self.skip_locked_clause()
        );
        // Materialised, so the heads are chosen once: evaluated again for each row to update,
        // the lock would skip the head this very statement just claimed.
        let mut events: Vec<PendingEvent> = sqlx::query_as(&format!(
            "WITH heads AS MATERIALIZED ({heads}) \
             UPDATE outbox SET claimed_by = $1, claimed_until = $2 \
             WHERE sent_at IS NULL AND failed_at IS NULL \
             AND invoice_id IN (SELECT invoice_id FROM heads) \
             RETURNING {COLUMNS}"
        ))
        .bind(claimer)
        .bind(now.plus(lease).millis())
        .bind(now.millis())
        .bind(invoices)
        .fetch_all(&self.pool)
        .await?;
        // RETURNING promises no order.
        events.sort_by_key(|e| e.seq);
        Ok(events)
    }

    /// Gives back the unpublished rows `claimer` still holds, for any relay to claim.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn release_claims(&self, claimer: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL \
             WHERE claimed_by = $1 AND sent_at IS NULL AND failed_at IS NULL",
        )
        .bind(claimer)
        .execute(&self.pool)
        .await?;
        Ok(())
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
        sqlx::query(
            "UPDATE outbox SET sent_at = $2, claimed_by = NULL, claimed_until = NULL \
             WHERE seq = $1",
        )
        .bind(seq)
        .bind(now.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failed attempt that will be retried.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_attempt_failed(&self, seq: i64, error: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1")
            .bind(seq)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
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
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, failed_at = $3, \
             claimed_by = NULL, claimed_until = NULL WHERE seq = $1",
        )
        .bind(seq)
        .bind(error)
        .bind(now.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
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
