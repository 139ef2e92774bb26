//! Payment attempts: what makes a card payment charge at most once.
//!
//! A checkout first *reserves*: in one transaction with the invoice row locked it replays an
//! earlier answer for its `Idempotency-Key`, refuses the key while another request with it is
//! in flight, and records a pending attempt for its amount, refused when the amount is more
//! than the balance less the other pending attempts. Only then is the provider asked to
//! charge. A declined or failed charge releases the reservation; a success completes it,
//! recording the payment in the same kind of locked transaction. A pending attempt nobody
//! completes (its node crashed) stops holding the balance and its key after its time to live:
//! [`ATTEMPT_TTL`] (30 minutes) for a PaymentIntent, 10 seconds for the `test` provider, whose
//! charge is one in-process call.
//!
//! The balance rule: the balance due shown to payers is the invoice's; a payment is accepted
//! when it fits in the balance less what other attempts hold *right now*. With the `test`
//! provider a reservation lives for the moment of the charge, so a second payer is refused
//! (409 `payment_in_progress`) only while the first one's charge is under way.

use std::time::Duration;

use crate::domain::{Amount, DomainError, Invoice, InvoiceId, PaymentEffect, Timestamp};

use super::invoices::{
    PaymentOutcome, PaymentRequest, Tx, Written, remember_key, replay, write_back,
};
use super::{Store, StoreError};

/// How long a pending attempt holds its amount and its key at most: a PaymentIntent the payer
/// is still confirming. Providers whose charge is one quick call hold for less
/// (`Provider::attempt_ttl`).
pub const ATTEMPT_TTL: Duration = Duration::from_secs(30 * 60);

/// A pending attempt: charge `amount`, then [`Store::complete_attempt`] or
/// [`Store::release_attempt`].
#[derive(Debug, Clone)]
pub struct Reservation {
    /// The attempt's id.
    pub attempt_id: String,
    /// What to charge.
    pub amount: Amount,
}

/// What a reservation found.
#[derive(Debug, Clone)]
pub enum Reserved {
    /// Reserved: go and charge.
    New(Reservation),
    /// The `Idempotency-Key` was answered before: its outcome, nothing to charge.
    Replayed(Box<PaymentOutcome>),
}

impl Store {
    /// Reserves an attempt on `id` at `now` for `ttl`: `decide` gets the locked invoice and
    /// what other pending attempts hold, and answers the amount to charge (or the domain's
    /// refusal).
    ///
    /// # Errors
    /// [`StoreError::NotFound`], [`StoreError::Rejected`], [`StoreError::IdempotencyKeyReused`],
    /// [`StoreError::IdempotencyInProgress`], [`StoreError::PaymentInProgress`],
    /// [`StoreError::PaymentRemoved`], [`StoreError::Database`].
    pub async fn reserve_attempt(
        &self,
        id: &InvoiceId,
        idempotency: Option<(&str, &str)>,
        (now, ttl): (Timestamp, Duration),
        decide: impl FnOnce(&Invoice, i64) -> Result<Amount, DomainError>,
    ) -> Result<Reserved, StoreError> {
        let mut tx = self.begin_write().await?;
        let invoice = self.load_locked(&mut tx, id, None).await?;
        expire(&mut tx, id, now).await?;
        let fingerprint = idempotency.map_or("", |(_, fingerprint)| fingerprint);
        if let Some((key, fingerprint)) = idempotency {
            if let Some(outcome) = replay(&mut tx, invoice.clone(), key, fingerprint).await? {
                tx.commit().await?;
                return Ok(Reserved::Replayed(Box::new(outcome)));
            }
            let in_flight: Option<String> = sqlx::query_scalar(
                "SELECT fingerprint FROM payment_attempts \
                 WHERE invoice_id = $1 AND idem_key = $2 AND status = 'pending'",
            )
            .bind(id.as_str())
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            match in_flight {
                Some(stored) if stored != fingerprint => {
                    return Err(StoreError::IdempotencyKeyReused);
                }
                Some(_) => return Err(StoreError::IdempotencyInProgress),
                None => {}
            }
        }
        let held = reserved(&mut tx, id).await?;
        let amount = decide(&invoice, held)?;
        if amount.minor() > invoice.balance_due() - held {
            return Err(StoreError::PaymentInProgress);
        }
        let attempt_id = uuid::Uuid::new_v4().to_string();
        let expires = now.millis().saturating_add(millis(ttl));
        sqlx::query(
            "INSERT INTO payment_attempts \
             (id, invoice_id, idem_key, fingerprint, amount, status, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
        )
        .bind(&attempt_id)
        .bind(id.as_str())
        .bind(idempotency.map(|(key, _)| key))
        .bind(fingerprint)
        .bind(amount.minor())
        .bind(now.millis())
        .bind(expires)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Reserved::New(Reservation { attempt_id, amount }))
    }

    /// Releases a reservation whose charge was declined or failed.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn release_attempt(&self, attempt_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE payment_attempts SET status = 'failed' WHERE id = $1 AND status = 'pending'",
        )
        .bind(attempt_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the payment of a charged attempt, with its `Idempotency-Key`, and ends the
    /// attempt, in one transaction with the invoice locked.
    ///
    /// # Errors
    /// As [`Store::update_invoice`]; [`StoreError::NotFound`] for an attempt already ended.
    pub async fn complete_attempt<W: Into<Written>>(
        &self,
        id: &InvoiceId,
        attempt_id: &str,
        request: PaymentRequest,
        events: impl FnOnce(&Invoice, &PaymentEffect) -> W,
    ) -> Result<PaymentOutcome, StoreError> {
        let mut tx = self.begin_write().await?;
        let before = self.load_locked(&mut tx, id, None).await?;
        let payment = request.payment;
        let mut after = before.clone();
        let effect = after.pay(payment.clone())?;
        write_back(&mut tx, &before, &after).await?;
        let ended = sqlx::query(
            "UPDATE payment_attempts SET status = 'succeeded', payment_id = $3 \
             WHERE id = $1 AND invoice_id = $2 AND status IN ('pending', 'expired')",
        )
        .bind(attempt_id)
        .bind(id.as_str())
        .bind(payment.id.as_str())
        .execute(&mut *tx)
        .await?;
        if ended.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        remember_key(&mut tx, id, request.idempotency.as_ref(), &payment).await?;
        let written = events(&after, &effect).into();
        self.commit_written(tx, &written, payment.created_at).await?;
        Ok(PaymentOutcome { invoice: after, payment, replayed: false })
    }
}

/// Refuses an owner's payment of `amount` on the locked `invoice` when pending attempts hold
/// the part of the balance it needs.
pub(super) async fn check_available(
    tx: &mut Tx,
    invoice: &Invoice,
    amount: Amount,
    now: Timestamp,
) -> Result<(), StoreError> {
    expire(tx, &invoice.id, now).await?;
    let held = reserved(tx, &invoice.id).await?;
    if held > 0 && amount.minor() > invoice.balance_due() - held {
        return Err(StoreError::PaymentInProgress);
    }
    Ok(())
}

/// Marks expired the invoice's pending attempts past their time.
async fn expire(tx: &mut Tx, id: &InvoiceId, now: Timestamp) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE payment_attempts SET status = 'expired' \
         WHERE invoice_id = $1 AND status = 'pending' AND expires_at <= $2",
    )
    .bind(id.as_str())
    .bind(now.millis())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What the invoice's pending attempts hold.
async fn reserved(tx: &mut Tx, id: &InvoiceId) -> Result<i64, StoreError> {
    let held: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(amount) AS BIGINT) FROM payment_attempts \
         WHERE invoice_id = $1 AND status = 'pending'",
    )
    .bind(id.as_str())
    .fetch_one(&mut **tx)
    .await?;
    Ok(held.unwrap_or(0))
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}
