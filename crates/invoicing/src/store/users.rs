//! Users and their sessions.
//!
//! A session ends at its absolute `expires_at`, or once unused for the idle timeout. Use
//! renews it, but only when the last renewal is older than [`renewal_interval`], so a busy
//! session costs one write an hour rather than one a request.

use std::time::Duration;

use crate::domain::{Email, Timestamp, User, UserId, UserName};

use super::rows::UserRow;
use super::{Store, StoreError, is_unique_violation};

impl Store {
    /// Creates an owner.
    ///
    /// # Errors
    /// [`StoreError::EmailTaken`] when the address is in use.
    pub async fn create_user(
        &self,
        email: &Email,
        name: &UserName,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<User, StoreError> {
        let id = UserId::new();
        let result = sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.as_str())
        .bind(email.as_str())
        .bind(name.as_str())
        .bind(password_hash)
        .bind(now.millis())
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(User {
                id,
                email: email.clone(),
                name: name.as_str().to_owned(),
                created_at: now,
            }),
            Err(error) if is_unique_violation(&error) => Err(StoreError::EmailTaken),
            Err(error) => Err(error.into()),
        }
    }

    /// The user signing in as `email`, with their password hash.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn user_with_password(
        &self,
        email: &Email,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row: Option<(String, String, String, i64, String)> = sqlx::query_as(
            "SELECT id, email, name, created_at, password_hash FROM users WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, email, name, created_at, hash)| {
            Ok((UserRow { id, email, name, created_at }.into_user()?, hash))
        })
        .transpose()
    }

    /// A user by id.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn user(&self, id: &UserId) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> =
            sqlx::query_as("SELECT id, email, name, created_at FROM users WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(&self.pool)
                .await?;
        row.map(UserRow::into_user).transpose()
    }

    /// Stores a session, by the hash of its token.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: &UserId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $3)",
        )
        .bind(token_hash)
        .bind(user_id.as_str())
        .bind(now.millis())
        .bind(expires_at.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user of a session that has neither expired nor been idle for `idle`; renews its
    /// last use when that is older than [`renewal_interval`].
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: Timestamp,
        idle: Duration,
    ) -> Result<Option<User>, StoreError> {
        let idle_since = now.minus(idle);
        let row: Option<(String, String, String, i64, i64)> = sqlx::query_as(
            "SELECT u.id, u.email, u.name, u.created_at, s.last_used_at FROM sessions s \
             JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND s.last_used_at > $3",
        )
        .bind(token_hash)
        .bind(now.millis())
        .bind(idle_since.millis())
        .fetch_optional(&self.pool)
        .await?;
        let Some((id, email, name, created_at, last_used_at)) = row else { return Ok(None) };
        if Timestamp::from_millis(last_used_at).plus(renewal_interval(idle)) <= now {
            sqlx::query("UPDATE sessions SET last_used_at = $2 WHERE token_hash = $1")
                .bind(token_hash)
                .bind(now.millis())
                .execute(&self.pool)
                .await?;
        }
        UserRow { id, email, name, created_at }.into_user().map(Some)
    }

    /// Ends a session (and, while at it, every expired one).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_session(&self, token_hash: &str, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1 OR expires_at <= $2")
            .bind(token_hash)
            .bind(now.millis())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Ends every session of `user`; returns how many there were.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn delete_sessions_of(&self, user: &UserId) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.as_str())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Sets the password hash of the owner `email` and ends all their sessions, in one
    /// transaction; returns the owner.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when no owner has this address; [`StoreError::Database`].
    pub async fn set_password(
        &self,
        email: &Email,
        password_hash: &str,
    ) -> Result<User, StoreError> {
        let mut tx = self.begin_write().await?;
        let row: Option<UserRow> = sqlx::query_as(
            "UPDATE users SET password_hash = $2 WHERE email = $1 \
             RETURNING id, email, name, created_at",
        )
        .bind(email.as_str())
        .bind(password_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let user = row.ok_or(StoreError::NotFound)?.into_user()?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.id.as_str())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user)
    }
}

/// How stale a session's last use may get before use renews it: an hour, or half the idle
/// timeout when that is shorter.
pub(crate) fn renewal_interval(idle: Duration) -> Duration {
    Duration::from_secs(3600).min(idle / 2)
}
