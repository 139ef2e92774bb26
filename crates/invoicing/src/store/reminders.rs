//! Reminder bookkeeping: which stages of which invoices were reminded (`mail_reminders`, one
//! row per invoice and stage, written with the reminder's mail row), the owner's and
//! invoice's reminder switches, and the owner's "payment received" switch.

use time::Date;

use crate::domain::invoice::parse_date;
use crate::domain::{InvoiceId, NewMail, Timestamp, UserId};

use super::rows::corrupt;
use super::{Store, StoreError, mail};

/// An invoice that may be reminded: its due date and the stages already sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderCandidate {
    /// The invoice.
    pub invoice_id: InvoiceId,
    /// Its due date.
    pub due_date: Date,
    /// Stages written so far (`before_due`, `overdue_1`…).
    pub done: Vec<String>,
}

const OPEN: &str = "SELECT i.id FROM invoices i JOIN users u ON u.id = i.user_id \
                    WHERE i.status IN ('sent', 'partially_paid', 'overdue') \
                    AND i.reminders = 1 AND u.reminders = 1";

impl Store {
    /// Invoices awaiting money whose owner and invoice both have reminders on.
    ///
    /// # Errors
    /// [`StoreError::Database`] or [`StoreError::Corrupt`].
    pub async fn reminder_candidates(&self) -> Result<Vec<ReminderCandidate>, StoreError> {
        let invoices: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT id, due_date FROM invoices WHERE id IN ({OPEN}) ORDER BY due_date, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        let stages: Vec<(String, String)> = sqlx::query_as(&format!(
            "SELECT invoice_id, stage FROM mail_reminders WHERE invoice_id IN ({OPEN})"
        ))
        .fetch_all(&self.pool)
        .await?;
        invoices
            .into_iter()
            .map(|(id, due)| {
                let done =
                    stages.iter().filter(|(i, _)| *i == id).map(|(_, s)| s.clone()).collect();
                let due_date = parse_date(&due).map_err(corrupt)?;
                Ok(ReminderCandidate { invoice_id: InvoiceId::from_store(id), due_date, done })
            })
            .collect()
    }

    /// Records `stages` of `invoice` as reminded and writes `mail`, in one transaction; only
    /// when the last stage was not recorded before (by this node or another). Returns whether
    /// the mail was written.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn record_reminder(
        &self,
        invoice: &InvoiceId,
        stages: &[&str],
        mail: NewMail,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let mut inserted = 0;
        for stage in stages {
            inserted = sqlx::query(
                "INSERT INTO mail_reminders (invoice_id, stage, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (invoice_id, stage) DO NOTHING",
            )
            .bind(invoice.as_str())
            .bind(*stage)
            .bind(now.millis())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        mail::insert(&mut tx, &[mail]).await?;
        tx.commit().await?;
        self.mail_written.notify_one();
        Ok(true)
    }

    /// Turns reminders of one of `owner`'s invoices on or off.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] when it is not theirs; [`StoreError::Database`].
    pub async fn set_invoice_reminders(
        &self,
        owner: &UserId,
        invoice: &InvoiceId,
        on: bool,
    ) -> Result<(), StoreError> {
        let changed =
            sqlx::query("UPDATE invoices SET reminders = $3 WHERE id = $1 AND user_id = $2")
                .bind(invoice.as_str())
                .bind(owner.as_str())
                .bind(i64::from(on))
                .execute(&self.pool)
                .await?;
        if changed.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Turns reminders of all of `owner`'s invoices on or off.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_user_reminders(&self, owner: &UserId, on: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET reminders = $2 WHERE id = $1")
            .bind(owner.as_str())
            .bind(i64::from(on))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether reminders are on for `owner` and, if given, for `invoice` of theirs.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an invoice that is not theirs; [`StoreError::Database`].
    pub async fn reminders_on(
        &self,
        owner: &UserId,
        invoice: Option<&InvoiceId>,
    ) -> Result<bool, StoreError> {
        let user: Option<i64> = sqlx::query_scalar("SELECT reminders FROM users WHERE id = $1")
            .bind(owner.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let Some(invoice) = invoice else { return Ok(user == Some(1)) };
        let on: Option<i64> =
            sqlx::query_scalar("SELECT reminders FROM invoices WHERE id = $1 AND user_id = $2")
                .bind(invoice.as_str())
                .bind(owner.as_str())
                .fetch_optional(&self.pool)
                .await?;
        on.map(|on| on == 1).ok_or(StoreError::NotFound)
    }
}

impl Store {
    /// Whether `owner` gets a "payment received" e-mail for each payment.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn payment_notices_on(&self, owner: &UserId) -> Result<bool, StoreError> {
        let on: Option<i64> = sqlx::query_scalar("SELECT payment_notices FROM users WHERE id = $1")
            .bind(owner.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(on == Some(1))
    }

    /// Turns `owner`'s "payment received" e-mails on or off.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_payment_notices(&self, owner: &UserId, on: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET payment_notices = $2 WHERE id = $1")
            .bind(owner.as_str())
            .bind(i64::from(on))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
