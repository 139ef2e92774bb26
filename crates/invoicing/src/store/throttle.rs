//! Failed sign-ins per throttle key (see [`crate::throttle`]), shared by every node.

use crate::domain::Timestamp;
use crate::throttle::ThrottlePolicy;

use super::{Store, StoreError};

impl Store {
    /// The latest time until which one of `keys` is refused, if that is after `now`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn login_locked_until(
        &self,
        keys: &[&str],
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let mut until = None;
        // One key or two: a query each keeps the SQL plain.
        for key in keys {
            let row: Option<(i64,)> = sqlx::query_as(
                "SELECT locked_until FROM login_failures \
                 WHERE throttle_key = $1 AND locked_until > $2",
            )
            .bind(*key)
            .bind(now.millis())
            .fetch_optional(&self.pool)
            .await?;
            if let Some((millis,)) = row {
                until = until.max(Some(Timestamp::from_millis(millis)));
            }
        }
        Ok(until)
    }

    /// Counts a failed sign-in against `key` at `now`, starting a wait when `policy` says
    /// so; returns the count, or `None` (nothing counted) when a wait was already running at
    /// `now`. A count whose time has run out starts again at 1.
    ///
    /// Looking and counting are one statement, so of a burst of parallel failures exactly
    /// the first [`ThrottlePolicy::max_failures`] are counted and the rest find the wait.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn record_login_failure(
        &self,
        key: &str,
        now: Timestamp,
        policy: &ThrottlePolicy,
    ) -> Result<Option<i64>, StoreError> {
        let forgotten_at = now.plus(policy.window);
        let mut tx = self.begin_write().await?;
        // On PostgreSQL the upsert locks the row until commit, so concurrent failures count
        // one after the other; a row in a wait is left alone and returns nothing.
        let counted: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO login_failures (throttle_key, failures, locked_until, expires_at) \
             VALUES ($1, 1, 0, $2) \
             ON CONFLICT (throttle_key) DO UPDATE SET \
               failures = CASE WHEN login_failures.expires_at <= $3 THEN 1 \
                               ELSE login_failures.failures + 1 END, \
               expires_at = $2 \
             WHERE login_failures.locked_until <= $3 \
             RETURNING failures",
        )
        .bind(key)
        .bind(forgotten_at.millis())
        .bind(now.millis())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((failures,)) = counted else {
            return Ok(None);
        };
        let wait = policy.wait_after(failures);
        if !wait.is_zero() {
            let until = now.plus(wait);
            sqlx::query(
                "UPDATE login_failures SET locked_until = $2, expires_at = $3 \
                 WHERE throttle_key = $1",
            )
            .bind(key)
            .bind(until.millis())
            .bind(until.plus(policy.window).millis())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Some(failures))
    }

    /// Forgets the failures counted against `key` (after a successful sign-in).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE throttle_key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
