//! The owner's invoices: create a draft, edit it, send or void it; read them.

use crate::domain::events::outbox_events;
use crate::domain::{
    Action, Change, DomainError, Invoice, InvoiceContent, InvoiceId, Timestamp, UserId,
};

use super::mail::written;
use super::{UseCaseError, UseCases, found};

impl UseCases {
    /// The owner's invoices, newest first.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn invoices_of(&self, owner: &UserId) -> Result<Vec<Invoice>, UseCaseError> {
        Ok(self.store.invoices_of(owner).await?)
    }

    /// One of the owner's invoices.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`] when it is not theirs.
    pub async fn invoice_of(
        &self,
        owner: &UserId,
        id: &InvoiceId,
    ) -> Result<Invoice, UseCaseError> {
        found(self.store.invoice(id).await?.filter(|i| i.user_id == *owner))
    }

    /// Creates a draft numbered after the owner's previous invoice.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn create_invoice(
        &self,
        owner: &UserId,
        content: InvoiceContent,
    ) -> Result<Invoice, UseCaseError> {
        let (now, channels) = (Timestamp::now(), self.channels);
        let events = |invoice: &Invoice| outbox_events(Change::Created, invoice, channels, now);
        Ok(self.store.create_invoice(owner, content, now, events).await?)
    }

    /// Edits a draft or sent invoice: `content` builds the new content from the current one,
    /// once the status allows an edit (a 409 comes before a 422).
    ///
    /// # Errors
    /// [`UseCaseError::Store`] carrying the domain's refusal, or not found.
    pub async fn edit_invoice(
        &self,
        owner: &UserId,
        id: &InvoiceId,
        content: impl FnOnce(&InvoiceContent) -> Result<InvoiceContent, DomainError>,
    ) -> Result<Invoice, UseCaseError> {
        let (now, channels) = (Timestamp::now(), self.channels);
        let change = |invoice: &mut Invoice| {
            invoice.status.apply(Action::Edit)?;
            let content = content(&invoice.content)?;
            invoice.edit(content, now)
        };
        let events =
            |invoice: &Invoice, (): &()| outbox_events(Change::Edited, invoice, channels, now);
        let (invoice, ()) = self.store.update_invoice(id, Some(owner), change, events).await?;
        Ok(invoice)
    }

    /// A new draft copying `id`'s customer, lines, discount, reference, notes and payment
    /// instructions; issued today, due after as many days as the original, a new number, no
    /// payments.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`]; [`UseCaseError::Store`].
    pub async fn duplicate_invoice(
        &self,
        owner: &UserId,
        id: &InvoiceId,
    ) -> Result<Invoice, UseCaseError> {
        let original = self.invoice_of(owner, id).await?;
        let content = original.content;
        let today = Timestamp::now().date();
        let term = (content.due_date - content.terms.issue_date).max(time::Duration::ZERO);
        let due_date = today.checked_add(term).unwrap_or(today);
        let terms = crate::domain::Terms { issue_date: today, ..content.terms.clone() };
        let content = InvoiceContent { due_date, ..content }.with_terms(terms)?;
        self.create_invoice(owner, content).await
    }

    /// Moves an invoice through `action` (send, void); sending writes the invoice e-mail to
    /// the customer in the same transaction.
    ///
    /// # Errors
    /// [`UseCaseError::Store`] carrying the domain's refusal, or not found.
    pub async fn transition(
        &self,
        owner: &UserId,
        id: &InvoiceId,
        action: Action,
    ) -> Result<Invoice, UseCaseError> {
        let (now, channels) = (Timestamp::now(), self.channels);
        let mailer = if action == Action::Send { self.mailer(owner).await? } else { None };
        let (invoice, _) = self
            .store
            .update_invoice(
                id,
                Some(owner),
                |invoice| invoice.transition(action, now),
                |invoice, _| {
                    let events = outbox_events(Change::StatusChanged, invoice, channels, now);
                    written(events, &mailer, |composer, user| {
                        vec![composer.invoice(user, invoice, now)]
                    })
                },
            )
            .await?;
        Ok(invoice)
    }
}
