//! Claims on a table of durable work, the store half of the `durable` module: workers on
//! several nodes share one table by leasing rows (`claimed_by`, `claimed_until`).
//!
//! Order is kept per key (the outbox's is the invoice) by claiming whole keys through their
//! *head*: the oldest pending row of a key. A claim picks heads that are free (never leased,
//! released, or the lease expired) and leases every pending row of those keys. A non-head row
//! is never picked, so while a worker holds a key's head no other worker can start on that
//! key; once the holder has marked its rows done, the next row becomes the head and is free
//! again. Two workers racing for the same head are kept apart by PostgreSQL's
//! `FOR UPDATE SKIP LOCKED`: the loser skips a head locked by the winner's claim, and
//! re-checks one whose claim committed meanwhile. SQLite has one writer connection, so its
//! claims are serial anyway.
//!
//! This relies on rows of one key being committed in `seq` order, which the writer must
//! ensure (the outbox's changes lock their invoice row before inserting their events).

use std::time::Duration;

use sqlx::any::AnyRow;

use crate::domain::Timestamp;

use super::{Store, StoreError};

/// A table of durable work. It has the columns `seq` (integer, increasing in commit order
/// within a key), the key column, `claimed_by` (text), `claimed_until` (unix ms), `attempts`
/// (integer), `last_error` (text), `failed_at` (unix ms) and the done column (unix ms). A row
/// is pending while neither its done column nor `failed_at` is set.
#[derive(Debug)]
pub struct WorkTable {
    /// The table's name.
    pub table: &'static str,
    /// The ordering key's column: rows of one key are worked on in `seq` order.
    pub key: &'static str,
    /// The column set when a row is done.
    pub done: &'static str,
    /// The columns a claim returns, read into the worker's item type.
    pub columns: &'static str,
}

/// A claimed row.
pub trait Claimed {
    /// Its `seq`.
    fn seq(&self) -> i64;
}

/// Claims and marks on one [`WorkTable`]; from [`Store::work`].
#[derive(Debug, Clone, Copy)]
pub struct WorkQueue<'s> {
    store: &'s Store,
    table: &'static WorkTable,
}

impl Store {
    /// Claims and marks on `table`.
    pub fn work(&self, table: &'static WorkTable) -> WorkQueue<'_> {
        WorkQueue { store: self, table }
    }
}

impl WorkQueue<'_> {
    /// Leases to `claimer`, until `now + lease`, every pending row of up to `keys` keys whose
    /// head is free; oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn claim<T>(
        &self,
        claimer: &str,
        now: Timestamp,
        lease: Duration,
        keys: i64,
    ) -> Result<Vec<T>, StoreError>
    where
        T: Claimed + for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    {
        let WorkTable { table, key, done, columns } = self.table;
        let pending = format!("{done} IS NULL AND failed_at IS NULL");
        let heads = format!(
            "SELECT head.{key} FROM {table} head \
             WHERE head.{done} IS NULL AND head.failed_at IS NULL \
             AND (head.claimed_until IS NULL OR head.claimed_until <= $3) \
             AND NOT EXISTS (SELECT 1 FROM {table} earlier \
                 WHERE earlier.{key} = head.{key} AND earlier.seq < head.seq \
                 AND earlier.{done} IS NULL AND earlier.failed_at IS NULL) \
             ORDER BY head.seq LIMIT $4{}",
            self.store.skip_locked_clause()
        );
        // Materialised, so the heads are chosen once: evaluated again for each row to update,
        // the lock would skip the head this very statement just claimed.
        let mut rows: Vec<T> = sqlx::query_as(&format!(
            "WITH heads AS MATERIALIZED ({heads}) \
             UPDATE {table} SET claimed_by = $1, claimed_until = $2 \
             WHERE {pending} AND {key} IN (SELECT {key} FROM heads) \
             RETURNING {columns}"
        ))
        .bind(claimer)
        .bind(now.plus(lease).millis())
        .bind(now.millis())
        .bind(keys)
        .fetch_all(&self.store.pool)
        .await?;
        // RETURNING promises no order.
        rows.sort_by_key(Claimed::seq);
        Ok(rows)
    }

    /// Extends the lease of every pending row `claimer` holds to `until`; returns how many
    /// it still holds (fewer than it thinks means another worker took some over).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn renew(&self, claimer: &str, until: Timestamp) -> Result<u64, StoreError> {
        let WorkTable { table, done, .. } = self.table;
        let renewed = sqlx::query(&format!(
            "UPDATE {table} SET claimed_until = $2 \
             WHERE claimed_by = $1 AND {done} IS NULL AND failed_at IS NULL"
        ))
        .bind(claimer)
        .bind(until.millis())
        .execute(&self.store.pool)
        .await?;
        Ok(renewed.rows_affected())
    }

    /// Gives back the pending rows `claimer` still holds, for any worker to claim; returns
    /// how many.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn release(&self, claimer: &str) -> Result<u64, StoreError> {
        let WorkTable { table, done, .. } = self.table;
        let released = sqlx::query(&format!(
            "UPDATE {table} SET claimed_by = NULL, claimed_until = NULL \
             WHERE claimed_by = $1 AND {done} IS NULL AND failed_at IS NULL"
        ))
        .bind(claimer)
        .execute(&self.store.pool)
        .await?;
        Ok(released.rows_affected())
    }

    /// Records that a row is done (and ends its claim).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_done(&self, seq: i64, now: Timestamp) -> Result<(), StoreError> {
        let WorkTable { table, done, .. } = self.table;
        sqlx::query(&format!(
            "UPDATE {table} SET {done} = $2, claimed_by = NULL, claimed_until = NULL \
             WHERE seq = $1"
        ))
        .bind(seq)
        .bind(now.millis())
        .execute(&self.store.pool)
        .await?;
        Ok(())
    }

    /// Records a failed attempt that will be retried.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_attempt_failed(&self, seq: i64, error: &str) -> Result<(), StoreError> {
        let table = self.table.table;
        sqlx::query(&format!(
            "UPDATE {table} SET attempts = attempts + 1, last_error = $2 WHERE seq = $1"
        ))
        .bind(seq)
        .bind(error)
        .execute(&self.store.pool)
        .await?;
        Ok(())
    }

    /// Gives up on a row retrying cannot help (it stays in the table for inspection).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mark_failed(
        &self,
        seq: i64,
        error: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let table = self.table.table;
        sqlx::query(&format!(
            "UPDATE {table} SET attempts = attempts + 1, last_error = $2, failed_at = $3, \
             claimed_by = NULL, claimed_until = NULL WHERE seq = $1"
        ))
        .bind(seq)
        .bind(error)
        .bind(now.millis())
        .execute(&self.store.pool)
        .await?;
        Ok(())
    }
}
