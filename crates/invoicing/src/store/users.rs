//! Users and their sessions.

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
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id.as_str())
        .bind(now.millis())
        .bind(expires_at.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The user of an unexpired session.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn session_user(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<User>, StoreError> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT u.id, u.email, u.name, u.created_at FROM sessions s \
             JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.millis())
        .fetch_optional(&self.pool)
        .await?;
        row.map(UserRow::into_user).transpose()
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
