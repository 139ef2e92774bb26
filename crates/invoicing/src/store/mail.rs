//! Mail rows: written in the transaction of the change that causes them (as outbox rows are),
//! claimed and delivered by the mail worker (the `mail` module's `deliver`) through the
//! durable-work component, marked sent, or failed with the server's answer.
//!
//! The table is a [`WorkTable`] keyed by the mail's own id: messages do not wait for one
//! another, and on several nodes sharing PostgreSQL each is claimed, so sent, by one node.

use sqlx::{Any, Transaction};

use crate::domain::{InvoiceId, MailId, NewMail, UserId};

use super::claims::{Claimed, WorkTable};
use super::{Store, StoreError};

const COLUMNS: &str = "seq, id, user_id, invoice_id, kind, recipient, reply_to, subject, \
                       body_text, body_html, message_id, created_at, attempts, last_error, \
                       sent_at, failed_at, delivered_via";

/// The mail table as durable work: each message its own key, done once sent.
pub static MAIL: WorkTable =
    WorkTable { table: "mail", key: "id", done: "sent_at", columns: COLUMNS };

/// A mail row as stored, pending or not.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MailRow {
    /// Position in the table.
    pub seq: i64,
    /// The mail's id.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// The invoice it is about.
    pub invoice_id: String,
    /// `invoice`, `receipt`, `payment_received`.
    pub kind: String,
    /// The recipient's address.
    pub recipient: String,
    /// The `Reply-To` address.
    pub reply_to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body_text: String,
    /// The HTML body.
    pub body_html: String,
    /// The `Message-ID` header, with its angle brackets.
    pub message_id: String,
    /// When it was written (unix ms); its `Date` header.
    pub created_at: i64,
    /// Failed attempts so far.
    pub attempts: i64,
    /// The last failure: the server's answer, or why it could not be reached.
    pub last_error: Option<String>,
    /// When it was delivered (unix ms).
    pub sent_at: Option<i64>,
    /// When it was given up (unix ms).
    pub failed_at: Option<i64>,
    /// `smtp`, or `local` for the local mailbox (no SMTP server configured).
    pub delivered_via: Option<String>,
}

impl Claimed for MailRow {
    fn seq(&self) -> i64 {
        self.seq
    }
}

impl MailRow {
    /// The id, typed.
    pub fn mail_id(&self) -> MailId {
        MailId::from_store(self.id.clone())
    }

    /// `queued`, `sent`, `delivered_locally` or `failed`.
    pub fn status(&self) -> &'static str {
        match (self.sent_at, self.failed_at, self.delivered_via.as_deref()) {
            (Some(_), _, Some("local")) => "delivered_locally",
            (Some(_), _, _) => "sent",
            (None, Some(_), _) => "failed",
            (None, None, _) => "queued",
        }
    }
}

/// Inserts messages inside a change's transaction.
pub(super) async fn insert(
    tx: &mut Transaction<'static, Any>,
    mails: &[NewMail],
) -> Result<(), StoreError> {
    for mail in mails {
        sqlx::query(
            "INSERT INTO mail (id, user_id, invoice_id, kind, recipient, reply_to, subject, \
             body_text, body_html, message_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(mail.id.as_str())
        .bind(mail.user_id.as_str())
        .bind(mail.invoice_id.as_str())
        .bind(mail.kind.as_str())
        .bind(&mail.recipient)
        .bind(&mail.reply_to)
        .bind(&mail.subject)
        .bind(&mail.text)
        .bind(&mail.html)
        .bind(&mail.message_id)
        .bind(mail.created_at.millis())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

impl Store {
    /// Writes messages that no invoice change causes (a resend), in their own transaction.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn queue_mail(&self, mails: &[NewMail]) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        insert(&mut tx, mails).await?;
        tx.commit().await?;
        self.mail_written.notify_one();
        Ok(())
    }

    /// The owner's mail, newest first, at most `limit` rows.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mail_of(&self, owner: &UserId, limit: i64) -> Result<Vec<MailRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM mail WHERE user_id = $1 ORDER BY seq DESC LIMIT $2"
        ))
        .bind(owner.as_str())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The mail about one invoice, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mail_of_invoice(&self, invoice: &InvoiceId) -> Result<Vec<MailRow>, StoreError> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM mail WHERE invoice_id = $1 ORDER BY seq"
        ))
        .bind(invoice.as_str())
        .fetch_all(&self.pool)
        .await?)
    }

    /// One mail row by id, whoever owns it.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn mail(&self, id: &MailId) -> Result<Option<MailRow>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM mail WHERE id = $1"))
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every mail row, oldest first (for tests and inspection).
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn all_mail(&self) -> Result<Vec<MailRow>, StoreError> {
        Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM mail ORDER BY seq"))
            .fetch_all(&self.pool)
            .await?)
    }

    /// Records how a claimed row is being delivered (`smtp` or `local`), just before it is
    /// marked sent.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn set_mail_delivered_via(&self, seq: i64, via: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE mail SET delivered_via = $2 WHERE seq = $1")
            .bind(seq)
            .bind(via)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Notified after every commit that wrote mail rows, so the mail worker need not poll fast.
    pub fn mail_written(&self) -> std::sync::Arc<tokio::sync::Notify> {
        self.mail_written.clone()
    }
}
