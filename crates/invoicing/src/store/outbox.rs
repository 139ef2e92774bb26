//! The transactional outbox: event rows written in the change's transaction, read back in
//! order by the relay, marked sent (or, for an event no server will ever accept, failed).

use sqlx::{Any, Transaction};

use crate::domain::{OutboxEvent, Timestamp};

use super::{Store, StoreError};

/// An event waiting to be published.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingEvent {
    /// Position in the outbox; publishing follows it.
    pub seq: i64,
    /// The payload's `eventId`.
    pub event_id: String,
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
            "INSERT INTO outbox (event_id, channel, event, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&event.event_id)
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
    /// Up to `limit` unpublished events, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn pending_events(&self, limit: i64) -> Result<Vec<PendingEvent>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT seq, event_id, channel, event, payload, attempts FROM outbox \
             WHERE sent_at IS NULL AND failed_at IS NULL ORDER BY seq LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records a successful publication.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_sent(&self, seq: i64, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("UPDATE outbox SET sent_at = $2 WHERE seq = $1")
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
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2, failed_at = $3 \
             WHERE seq = $1",
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
        Ok(sqlx::query_as(
            "SELECT seq, event_id, channel, event, payload, attempts FROM outbox ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
