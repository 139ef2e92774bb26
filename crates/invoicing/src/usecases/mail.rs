//! E-mail in the use cases: the messages each change writes in its transaction (the invoice
//! when it is sent, a receipt and the owner's notice after each payment), the owner's mail
//! and an invoice's history, and "Resend".

use std::sync::Arc;

use crate::domain::{
    Action, IllegalTransition, Invoice, InvoiceId, InvoiceStatus, MailId, NewMail, OutboxEvent,
    PaymentId, Timestamp, User, UserId,
};
use crate::mail::Composer;
use crate::store::{MailRow, Written};

use super::{UseCaseError, UseCases};

/// Most rows `GET /api/mail` returns.
const LIST_LIMIT: i64 = 200;

/// The composer and the owner whose name and address the messages carry; `None` when this
/// deployment writes no e-mail.
pub(super) type Mailer = Option<(Arc<Composer>, User)>;

impl UseCases {
    /// What the messages of a change to `owner`'s invoice need.
    pub(super) async fn mailer(&self, owner: &UserId) -> Result<Mailer, UseCaseError> {
        let Some(composer) = &self.mail else { return Ok(None) };
        let user = self.store.user(owner).await?.ok_or(UseCaseError::NotFound)?;
        Ok(Some((composer.clone(), user)))
    }

    /// The owner's mail, newest first.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn mail_of(&self, owner: &UserId) -> Result<Vec<MailRow>, UseCaseError> {
        Ok(self.store.mail_of(owner, LIST_LIMIT).await?)
    }

    /// One of the owner's messages.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`] when it is not theirs.
    pub async fn mail_item(&self, owner: &UserId, id: &MailId) -> Result<MailRow, UseCaseError> {
        let row = self.store.mail(id).await?;
        row.filter(|row| row.user_id == owner.as_str()).ok_or(UseCaseError::NotFound)
    }

    /// The mail about one of the owner's invoices, oldest first.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`] when the invoice is not theirs.
    pub async fn invoice_mail(
        &self,
        owner: &UserId,
        id: &InvoiceId,
    ) -> Result<Vec<MailRow>, UseCaseError> {
        let invoice = self.invoice_of(owner, id).await?;
        Ok(self.store.mail_of_invoice(&invoice.id).await?)
    }

    /// Sends the invoice to its customer again; sent, partly paid and overdue invoices only.
    /// Returns the invoice; without e-mail configured in the use cases, does nothing.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`]; [`UseCaseError::Rejected`] (409) in another status.
    pub async fn resend(&self, owner: &UserId, id: &InvoiceId) -> Result<Invoice, UseCaseError> {
        let invoice = self.invoice_of(owner, id).await?;
        let resendable = matches!(
            invoice.status,
            InvoiceStatus::Sent | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue
        );
        if !resendable {
            let refusal = IllegalTransition { from: invoice.status, action: Action::Send };
            return Err(UseCaseError::Rejected(refusal.into()));
        }
        if let Some((composer, user)) = self.mailer(owner).await? {
            let mail = composer.invoice(&user, &invoice, Timestamp::now());
            self.store.queue_mail(&[mail]).await?;
        }
        Ok(invoice)
    }
}

impl UseCases {
    /// Whether reminders are on for the owner, or for one of their invoices.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`] for an invoice that is not theirs.
    pub async fn reminders(
        &self,
        owner: &UserId,
        invoice: Option<&InvoiceId>,
    ) -> Result<bool, UseCaseError> {
        Ok(self.store.reminders_on(owner, invoice).await?)
    }

    /// Whether the owner gets a "payment received" e-mail for each payment.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn payment_notices(&self, owner: &UserId) -> Result<bool, UseCaseError> {
        Ok(self.store.payment_notices_on(owner).await?)
    }

    /// Turns the owner's "payment received" e-mails on or off.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn set_payment_notices(&self, owner: &UserId, on: bool) -> Result<(), UseCaseError> {
        Ok(self.store.set_payment_notices(owner, on).await?)
    }

    /// Turns reminders on or off for the owner, or for one of their invoices.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`] for an invoice that is not theirs.
    pub async fn set_reminders(
        &self,
        owner: &UserId,
        invoice: Option<&InvoiceId>,
        on: bool,
    ) -> Result<(), UseCaseError> {
        match invoice {
            Some(invoice) => self.store.set_invoice_reminders(owner, invoice, on).await?,
            None => self.store.set_user_reminders(owner, on).await?,
        }
        Ok(())
    }
}

/// A change's events with the messages `mail` composes, when there is a mailer.
pub(super) fn written(
    events: Vec<OutboxEvent>,
    mailer: &Mailer,
    mail: impl FnOnce(&Composer, &User) -> Vec<NewMail>,
) -> Written {
    let mail = mailer.as_ref().map(|(composer, user)| mail(composer, user)).unwrap_or_default();
    Written { events, mail }
}

/// The receipt to the customer and, when `notice`, the "payment received" to the owner for
/// payment `id`, just recorded on `invoice`.
pub(super) fn payment_mail(
    composer: &Composer,
    owner: &User,
    invoice: &Invoice,
    (id, notice): (&PaymentId, bool),
    now: Timestamp,
) -> Vec<NewMail> {
    let Some(payment) = invoice.payments.iter().find(|p| p.id == *id) else { return Vec::new() };
    let mut mail = vec![composer.receipt(owner, invoice, payment, now)];
    if notice {
        mail.push(composer.payment_received(owner, invoice, payment, now));
    }
    mail
}
