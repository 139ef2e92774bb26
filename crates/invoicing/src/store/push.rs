//! Web Push: the owners' browser subscriptions, and push rows written in the transaction of
//! the change that causes them (as outbox and mail rows are), one per subscription of the
//! owner, claimed and delivered by the push worker (the `push` module's `deliver`) through
//! the durable-work component.
//!
//! The deliveries table is a [`WorkTable`] keyed by subscription, so one browser's pushes go
//! out one at a time and a push service's `Retry-After` holds back only its own. A row holds
//! the outbox row's `event_id`, not a copy of the payload: the outbox purge keeps an event
//! while a push of it is pending ([`super::housekeeping`]).

use sqlx::{Any, Transaction};

use crate::domain::{OutboxEvent, Timestamp, UserId};

use super::claims::{Claimed, WorkTable};
use super::{Store, StoreError};

const COLUMNS: &str = "seq, subscription_id, user_id, invoice_id, event_id, created_at, \
                       attempts, last_error, delivered_at, failed_at, status_code";

const SUBSCRIPTION_COLUMNS: &str = "id, user_id, endpoint, p256dh, auth, created_at";

/// The push deliveries as durable work: keyed by subscription, done once delivered.
pub static PUSH: WorkTable = WorkTable {
    table: "push_deliveries",
    key: "subscription_id",
    done: "delivered_at",
    columns: COLUMNS,
};

/// A push row as stored, pending or not.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PushRow {
    /// Position in the table.
    pub seq: i64,
    /// The subscription it goes to (it may have been removed since).
    pub subscription_id: String,
    /// The owner.
    pub user_id: String,
    /// The invoice it is about (its `Topic`).
    pub invoice_id: String,
    /// The outbox row whose payload is pushed.
    pub event_id: String,
    /// When it was written (unix ms).
    pub created_at: i64,
    /// Failed attempts so far.
    pub attempts: i64,
    /// The last failure.
    pub last_error: Option<String>,
    /// When the push service accepted it, or the subscription turned out gone (unix ms).
    pub delivered_at: Option<i64>,
    /// When it was given up (unix ms).
    pub failed_at: Option<i64>,
    /// The push service's last HTTP status.
    pub status_code: Option<i64>,
}

impl Claimed for PushRow {
    fn seq(&self) -> i64 {
        self.seq
    }
}

/// A browser's push subscription as stored: keys in unpadded base64url.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PushSubscriptionRow {
    /// Its id.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// The push service URL.
    pub endpoint: String,
    /// The browser's P-256 public key.
    pub p256dh: String,
    /// The browser's auth secret.
    pub auth: String,
    /// When it was registered (unix ms).
    pub created_at: i64,
}

/// A subscription to register: validated by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPushSubscription {
    /// The push service URL.
    pub endpoint: String,
    /// The browser's P-256 public key, unpadded base64url.
    pub p256dh: String,
    /// The browser's auth secret, unpadded base64url.
    pub auth: String,
}

/// What registering a subscription did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registered {
    /// A new subscription of the owner.
    Added,
    /// The endpoint was known: its keys and owner are now these.
    Updated,
    /// The owner has `limit` subscriptions already; nothing changed.
    LimitReached,
}

/// Inserts, inside a change's transaction, a push row per subscription of each event's
/// owner; returns whether any was written.
pub(super) async fn insert(
    tx: &mut Transaction<'static, Any>,
    events: &[OutboxEvent],
    now: Timestamp,
) -> Result<bool, StoreError> {
    let mut written = false;
    for event in events {
        let Some(owner) = &event.push_to else { continue };
        let rows = sqlx::query(
            "INSERT INTO push_deliveries (subscription_id, user_id, invoice_id, event_id, created_at) \
             SELECT id, user_id, $2, $3, $4 FROM push_subscriptions WHERE user_id = $1 ORDER BY id",
        )
        .bind(owner.as_str())
        .bind(&event.invoice_id)
        .bind(&event.event_id)
        .bind(now.millis())
        .execute(&mut **tx)
        .await?;
        written |= rows.rows_affected() > 0;
    }
    Ok(written)
}

impl Store {
    /// Registers `subscription` for `owner`, unless the owner has `limit` others already.
    /// An endpoint registered before (by this owner or another account in that browser) is
    /// updated and moves to `owner`.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown owner, or [`StoreError::Database`].
    pub async fn register_push_subscription(
        &self,
        owner: &UserId,
        subscription: &NewPushSubscription,
        limit: i64,
        now: Timestamp,
    ) -> Result<Registered, StoreError> {
        let mut tx = self.begin_write().await?;
        // The owner's row lock keeps concurrent registrations within the limit.
        let lock = self.lock_clause();
        sqlx::query_scalar::<_, String>(&format!("SELECT id FROM users WHERE id = $1{lock}"))
            .bind(owner.as_str())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let holder: Option<String> =
            sqlx::query_scalar("SELECT user_id FROM push_subscriptions WHERE endpoint = $1")
                .bind(&subscription.endpoint)
                .fetch_optional(&mut *tx)
                .await?;
        if holder.as_deref() != Some(owner.as_str()) {
            let count: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM push_subscriptions WHERE user_id = $1")
                    .bind(owner.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
            if count >= limit {
                return Ok(Registered::LimitReached);
            }
        }
        let registered = if holder.is_some() {
            sqlx::query(
                "UPDATE push_subscriptions SET user_id = $2, p256dh = $3, auth = $4 \
                 WHERE endpoint = $1",
            )
            .bind(&subscription.endpoint)
            .bind(owner.as_str())
            .bind(&subscription.p256dh)
            .bind(&subscription.auth)
            .execute(&mut *tx)
            .await?;
            Registered::Updated
        } else {
            sqlx::query(&format!(
                "INSERT INTO push_subscriptions ({SUBSCRIPTION_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6)"
            ))
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(owner.as_str())
            .bind(&subscription.endpoint)
            .bind(&subscription.p256dh)
            .bind(&subscription.auth)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?;
            Registered::Added
        };
        tx.commit().await?;
        Ok(registered)
    }

    /// Removes the owner's subscription with this endpoint; returns whether there was one.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn remove_push_subscription(
        &self,
        owner: &UserId,
        endpoint: &str,
    ) -> Result<bool, StoreError> {
        let removed =
            sqlx::query("DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2")
                .bind(owner.as_str())
                .bind(endpoint)
                .execute(&self.pool)
                .await?;
        Ok(removed.rows_affected() > 0)
    }

    /// Removes a subscription the push service says is gone (404/410).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn remove_push_subscription_by_id(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// One subscription by id.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn push_subscription(
        &self,
        id: &str,
    ) -> Result<Option<PushSubscriptionRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM push_subscriptions WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The owner's subscriptions, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn push_subscriptions_of(
        &self,
        owner: &UserId,
    ) -> Result<Vec<PushSubscriptionRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM push_subscriptions WHERE user_id = $1 \
             ORDER BY created_at, id"
        ))
        .bind(owner.as_str())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every push row, oldest first (for tests and inspection).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn all_push_deliveries(&self) -> Result<Vec<PushRow>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM push_deliveries ORDER BY seq"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// The payload of the outbox row `event_id`, if it is still kept.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn event_payload(&self, event_id: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT payload FROM outbox WHERE event_id = $1")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Records the push service's answer to a claimed row.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_push_status(&self, seq: i64, status: u16) -> Result<(), StoreError> {
        sqlx::query("UPDATE push_deliveries SET status_code = $2 WHERE seq = $1")
            .bind(seq)
            .bind(i64::from(status))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Gives a claimed row back, not to be claimed before `until` (a push service's
    /// `Retry-After`): its lease, without a holder, keeps every worker off its subscription.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn defer_push(&self, seq: i64, until: Timestamp) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE push_deliveries SET claimed_by = NULL, claimed_until = $2 WHERE seq = $1",
        )
        .bind(seq)
        .bind(until.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The e-mail address of the first owner, the default VAPID contact.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn first_owner_email(&self) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT email FROM users ORDER BY created_at, id LIMIT 1")
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Notified after every commit that wrote push rows, so the push worker need not poll.
    pub fn push_written(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.push_written.clone()
    }
}
