//! Removing what has served its time: ended sessions, old idempotency keys and payment
//! attempts, long-published outbox rows (unless a push of one is pending), finished push rows
//! and forgotten sign-in failure counts. Every statement
//! is idempotent, so nodes sharing a database may purge at the same time.

use std::time::Duration;

use crate::domain::Timestamp;

use super::{Store, StoreError};

/// Outbox rows deleted per statement, so a large backlog never holds the (SQLite) writer for
/// long.
const OUTBOX_BATCH: i64 = 1000;

/// How long things are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// A session unused this long has ended (it also ends at its absolute expiry).
    pub session_idle: Duration,
    /// How long an `Idempotency-Key` answers a retried payment.
    pub idempotency_keys: Duration,
    /// How long published outbox rows are kept after publication.
    pub published_events: Duration,
}

impl Retention {
    /// A session ends after 7 days unused.
    pub const DEFAULT_SESSION_IDLE: Duration = Duration::from_secs(7 * 24 * 3600);
    /// A payment retried within 24 hours with the same key is answered, not paid again.
    pub const DEFAULT_IDEMPOTENCY_KEYS: Duration = Duration::from_secs(24 * 3600);
    /// Published outbox rows are kept 30 days (`PAYBELL_OUTBOX_RETENTION_DAYS`).
    pub const DEFAULT_PUBLISHED_EVENTS: Duration = Duration::from_secs(30 * 24 * 3600);
}

impl Default for Retention {
    /// Sessions idle for 7 days, keys for 24 hours, published rows for 30 days.
    fn default() -> Self {
        Self {
            session_idle: Self::DEFAULT_SESSION_IDLE,
            idempotency_keys: Self::DEFAULT_IDEMPOTENCY_KEYS,
            published_events: Self::DEFAULT_PUBLISHED_EVENTS,
        }
    }
}

/// How many rows a purge removed, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Expired or idle sessions.
    pub sessions: u64,
    /// Idempotency keys past their retention.
    pub idempotency_keys: u64,
    /// Outbox rows published before their retention.
    pub published_events: u64,
    /// Sign-in failure counts that have run out.
    pub login_failures: u64,
    /// Push rows delivered or failed before the outbox retention.
    pub push_deliveries: u64,
}

impl Purged {
    /// All rows removed.
    pub fn total(&self) -> u64 {
        self.sessions
            + self.idempotency_keys
            + self.published_events
            + self.login_failures
            + self.push_deliveries
    }
}

impl Store {
    /// Removes, as of `now`, what `retention` no longer keeps. Pending and failed outbox rows
    /// stay whatever their age, and so does a published one while a push of it is pending
    /// (the push reads its payload).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn purge(&self, now: Timestamp, retention: &Retention) -> Result<Purged, StoreError> {
        let sessions =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_used_at <= $2")
                .bind(now.millis())
                .bind(now.minus(retention.session_idle).millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
        let keys_before = now.minus(retention.idempotency_keys).millis();
        let idempotency_keys = sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(keys_before)
            .execute(&self.pool)
            .await?
            .rows_affected();
        // Payment attempts hold keys too; an old one still pending is long expired.
        let attempts = sqlx::query(
            "DELETE FROM payment_attempts WHERE created_at < $1 \
             AND (status <> 'pending' OR expires_at <= $2)",
        )
        .bind(keys_before)
        .bind(now.millis())
        .execute(&self.pool)
        .await?
        .rows_affected();
        let idempotency_keys = idempotency_keys + attempts;
        let published_before = now.minus(retention.published_events);
        let published_events = self.purge_published(published_before).await?;
        let push_deliveries =
            sqlx::query("DELETE FROM push_deliveries WHERE delivered_at < $1 OR failed_at < $1")
                .bind(published_before.millis())
                .execute(&self.pool)
                .await?
                .rows_affected();
        let login_failures = sqlx::query("DELETE FROM login_failures WHERE expires_at <= $1")
            .bind(now.millis())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(Purged { sessions, idempotency_keys, published_events, login_failures, push_deliveries })
    }

    /// Deletes outbox rows published before `before`, a batch at a time.
    async fn purge_published(&self, before: Timestamp) -> Result<u64, StoreError> {
        let mut deleted = 0;
        loop {
            let batch = sqlx::query(
                "DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox \
                 WHERE sent_at IS NOT NULL AND sent_at < $1 \
                 AND NOT EXISTS (SELECT 1 FROM push_deliveries p WHERE p.event_id = outbox.event_id \
                     AND p.delivered_at IS NULL AND p.failed_at IS NULL) \
                 ORDER BY seq LIMIT $2)",
            )
            .bind(before.millis())
            .bind(OUTBOX_BATCH)
            .execute(&self.pool)
            .await?
            .rows_affected();
            deleted += batch;
            if batch < u64::try_from(OUTBOX_BATCH).unwrap_or(u64::MAX) {
                return Ok(deleted);
            }
        }
    }
}
