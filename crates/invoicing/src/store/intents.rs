//! Stripe PaymentIntents in the store: the intent an attempt created, recording its payment
//! once (the unique `payments.intent_id` backs the invoice lock, so the webhook and the pay
//! page's `complete` on two nodes record it once), refunds Stripe reports, the webhook events
//! already handled, and expired intents to cancel.

use crate::domain::{
    DomainError, Invoice, InvoiceId, Payment, PaymentEffect, PaymentId, RefundEffect, Timestamp,
    UserId,
};

use super::invoices::{PaymentOutcome, Written, write_back};
use super::{Store, StoreError, is_unique_violation};

/// What recording a succeeded PaymentIntent did.
#[derive(Debug, Clone)]
pub enum IntentRecord {
    /// Recorded now.
    Recorded(PaymentOutcome),
    /// Recorded before (by the webhook or `complete`, on this node or another).
    Already(PaymentOutcome),
    /// The invoice no longer takes it (the reservation expired and others paid, or it was
    /// voided): it must be refunded; the attempt is marked `refunding` until
    /// [`Store::intent_given_back`].
    GiveBack(Invoice),
    /// Given back before.
    GivenBack(Invoice),
}

/// An attempt whose intent expired unconfirmed and is to be cancelled at Stripe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredIntent {
    /// The attempt.
    pub attempt_id: String,
    /// `pi_…`.
    pub intent_id: String,
}

impl Store {
    /// Keeps the PaymentIntent `intent_id` created for the attempt.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn attach_intent(&self, attempt_id: &str, intent_id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE payment_attempts SET intent_id = $2 WHERE id = $1")
            .bind(attempt_id)
            .bind(intent_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The attempt and invoice of a PaymentIntent this deployment created.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn intent_attempt(
        &self,
        intent_id: &str,
    ) -> Result<Option<(String, InvoiceId)>, StoreError> {
        let row: Option<(String, String)> =
            sqlx::query_as("SELECT id, invoice_id FROM payment_attempts WHERE intent_id = $1")
                .bind(intent_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(attempt, invoice)| (attempt, InvoiceId::from_store(invoice))))
    }

    /// The owner of the invoice a PaymentIntent's payment (or attempt) belongs to.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn intent_owner(&self, intent_id: &str) -> Result<Option<UserId>, StoreError> {
        let owner: Option<String> = sqlx::query_scalar(
            "SELECT i.user_id FROM payment_attempts a JOIN invoices i ON i.id = a.invoice_id \
             WHERE a.intent_id = $1",
        )
        .bind(intent_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(owner.map(UserId::from_store))
    }

    /// Records `payment`, the money of the succeeded PaymentIntent `intent_id` of the attempt,
    /// unless it was recorded (or given back) before; with the invoice locked.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] (no such attempt with that intent), [`StoreError::Database`].
    pub async fn record_intent<W: Into<Written>>(
        &self,
        id: &InvoiceId,
        (attempt_id, intent_id): (&str, &str),
        payment: Payment,
        events: impl FnOnce(&Invoice, &PaymentEffect) -> W,
    ) -> Result<IntentRecord, StoreError> {
        let mut tx = self.begin_write().await?;
        let before = self.load_locked(&mut tx, id, None).await?;
        let paid: Option<String> =
            sqlx::query_scalar("SELECT id FROM payments WHERE intent_id = $1")
                .bind(intent_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(paid) = paid {
            let payment = before.payments.iter().find(|p| p.id.as_str() == paid).cloned();
            let payment = payment.ok_or_else(|| StoreError::Corrupt(format!("payment {paid}")))?;
            tx.commit().await?;
            return Ok(IntentRecord::Already(PaymentOutcome {
                invoice: before,
                payment,
                replayed: true,
            }));
        }
        let status: Option<String> = sqlx::query_scalar(
            "SELECT status FROM payment_attempts \
             WHERE id = $1 AND invoice_id = $2 AND intent_id = $3",
        )
        .bind(attempt_id)
        .bind(id.as_str())
        .bind(intent_id)
        .fetch_optional(&mut *tx)
        .await?;
        match status.as_deref() {
            None => return Err(StoreError::NotFound),
            Some("refunded") => return Ok(IntentRecord::GivenBack(before)),
            Some("refunding") => return Ok(IntentRecord::GiveBack(before)),
            Some(_) => {}
        }
        let mut after = before.clone();
        let effect = match after.pay(payment.clone()) {
            Ok(effect) => effect,
            Err(DomainError::Invalid(_) | DomainError::Illegal(_)) => {
                set_status(&mut tx, attempt_id, "refunding").await?;
                tx.commit().await?;
                return Ok(IntentRecord::GiveBack(before));
            }
            Err(other) => return Err(other.into()),
        };
        write_back(&mut tx, &before, &after).await?;
        sqlx::query(
            "UPDATE payment_attempts SET status = 'succeeded', payment_id = $2 WHERE id = $1",
        )
        .bind(attempt_id)
        .bind(payment.id.as_str())
        .execute(&mut *tx)
        .await?;
        // The unique index is the last word: a second recording of the intent fails here.
        let tagged = sqlx::query("UPDATE payments SET intent_id = $2 WHERE id = $1")
            .bind(payment.id.as_str())
            .bind(intent_id)
            .execute(&mut *tx)
            .await;
        match tagged {
            Ok(_) => {}
            Err(error) if is_unique_violation(&error) => {
                drop(tx);
                return self.recorded_before(id, intent_id).await;
            }
            Err(error) => return Err(error.into()),
        }
        let written = events(&after, &effect).into();
        self.commit_written(tx, &written, payment.created_at).await?;
        Ok(IntentRecord::Recorded(PaymentOutcome { invoice: after, payment, replayed: false }))
    }

    /// The payment another transaction recorded for `intent_id`, with its invoice.
    async fn recorded_before(
        &self,
        id: &InvoiceId,
        intent_id: &str,
    ) -> Result<IntentRecord, StoreError> {
        let paid: String = sqlx::query_scalar("SELECT id FROM payments WHERE intent_id = $1")
            .bind(intent_id)
            .fetch_one(&self.pool)
            .await?;
        let invoice = self.invoice(id).await?.ok_or(StoreError::NotFound)?;
        let payment = invoice.payments.iter().find(|p| p.id.as_str() == paid).cloned();
        let payment = payment.ok_or_else(|| StoreError::Corrupt(format!("payment {paid}")))?;
        Ok(IntentRecord::Already(PaymentOutcome { invoice, payment, replayed: true }))
    }

    /// Ends an attempt whose intent was given back, writing what tells the owner, once.
    /// Returns whether this call ended it.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn intent_given_back(
        &self,
        id: &InvoiceId,
        attempt_id: &str,
        written: impl FnOnce(&Invoice) -> Written,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let invoice = self.load_locked(&mut tx, id, None).await?;
        let ended = sqlx::query(
            "UPDATE payment_attempts SET status = 'refunded' WHERE id = $1 AND status = 'refunding'",
        )
        .bind(attempt_id)
        .execute(&mut *tx)
        .await?;
        if ended.rows_affected() != 1 {
            return Ok(false);
        }
        let written = written(&invoice);
        self.commit_written(tx, &written, Timestamp::now()).await?;
        Ok(true)
    }

    /// Brings the payment of `intent_id` to `amount_refunded` given back in all (what Stripe
    /// reports), when less is recorded; `None` when nothing was to change.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] (no payment of that intent), [`StoreError::Rejected`],
    /// [`StoreError::Database`].
    pub async fn intent_refunded<W: Into<Written>>(
        &self,
        intent_id: &str,
        amount_refunded: i64,
        now: Timestamp,
        events: impl FnOnce(&Invoice, &RefundEffect) -> W,
    ) -> Result<Option<(Invoice, RefundEffect)>, StoreError> {
        let paid: Option<(String, String)> =
            sqlx::query_as("SELECT id, invoice_id FROM payments WHERE intent_id = $1")
                .bind(intent_id)
                .fetch_optional(&self.pool)
                .await?;
        let Some((payment, invoice)) = paid else { return Err(StoreError::NotFound) };
        let (id, payment) = (InvoiceId::from_store(invoice), PaymentId::from_store(payment));
        let mut tx = self.begin_write().await?;
        let before = self.load_locked(&mut tx, &id, None).await?;
        let recorded = before.payments.iter().find(|p| p.id == payment).map_or(0, |p| p.refunded);
        let more = amount_refunded - recorded;
        if more <= 0 {
            return Ok(None);
        }
        let amount = crate::domain::Amount::parse("amount", more).map_err(DomainError::from)?;
        let mut after = before.clone();
        let effect = after.refund_payment(&payment, Some(amount), now.date(), now)?;
        write_back(&mut tx, &before, &after).await?;
        let written = events(&after, &effect).into();
        self.commit_written(tx, &written, now).await?;
        Ok(Some((after, effect)))
    }

    /// Whether the webhook event `event_id` was handled before.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn stripe_event_seen(&self, event_id: &str) -> Result<bool, StoreError> {
        let seen: Option<String> = sqlx::query_scalar("SELECT id FROM stripe_events WHERE id = $1")
            .bind(event_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(seen.is_some())
    }

    /// Remembers that the webhook event `event_id` was handled.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn remember_stripe_event(
        &self,
        event_id: &str,
        kind: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO stripe_events (id, type, received_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(event_id)
        .bind(kind)
        .bind(now.millis())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Releases the attempt of a PaymentIntent whose confirmation failed (the payer may try
    /// again with another card, which makes a new attempt).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn release_intent(&self, intent_id: &str) -> Result<bool, StoreError> {
        let released = sqlx::query(
            "UPDATE payment_attempts SET status = 'failed' \
             WHERE intent_id = $1 AND status = 'pending'",
        )
        .bind(intent_id)
        .execute(&self.pool)
        .await?;
        Ok(released.rows_affected() == 1)
    }

    /// Intents whose attempts expired at `now` unconfirmed, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn expired_intents(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<ExpiredIntent>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, intent_id FROM payment_attempts WHERE intent_id IS NOT NULL \
             AND (status = 'expired' OR (status = 'pending' AND expires_at <= $1)) \
             ORDER BY expires_at LIMIT $2",
        )
        .bind(now.millis())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(attempt_id, intent_id)| ExpiredIntent { attempt_id, intent_id })
            .collect())
    }

    /// Marks an expired attempt's intent cancelled (it no longer holds anything).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn intent_cancelled(&self, attempt_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE payment_attempts SET status = 'cancelled' \
             WHERE id = $1 AND status IN ('pending', 'expired')",
        )
        .bind(attempt_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

async fn set_status(
    tx: &mut super::invoices::Tx,
    attempt_id: &str,
    status: &str,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE payment_attempts SET status = $2 WHERE id = $1")
        .bind(attempt_id)
        .bind(status)
        .execute(&mut **tx)
        .await?;
    Ok(())
}
