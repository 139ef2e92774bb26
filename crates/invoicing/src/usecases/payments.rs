//! Payments: the owner records one (bank transfer, cash…); the payer pays at checkout on the
//! payment page; the owner refunds a card payment. Both honour an `Idempotency-Key`, so a retried request never pays twice: the
//! key is stored with a fingerprint of the request, a retry with the same fingerprint gets
//! the first outcome back, another request under the same key is refused.

use crate::domain::ChannelNames;
use crate::domain::events::{payment_events, refund_events, removal_events};
use crate::domain::{
    Action, Amount, DomainError, Invoice, InvoiceId, InvoiceStatus, Payment, PaymentId,
    PaymentSource, RefundEffect, Timestamp, UserId,
};
use crate::provider::Card;
use crate::store::Written;
use crate::store::{PaymentOutcome, PaymentRequest, Reserved, StoreError};

use super::mail::{Mailer, payment_mail, written};
use super::{UseCaseError, UseCases, found};

/// A payment on the payment page.
#[derive(Debug, Clone)]
pub struct Checkout {
    /// The card, checked for shape.
    pub card: Card,
    /// Minor units; `None` pays the balance due.
    pub amount: Option<i64>,
    /// The request's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
}

impl Checkout {
    fn fingerprint(&self) -> String {
        let amount = self.amount.map_or_else(|| "balance".to_owned(), |a| a.to_string());
        format!("checkout|{amount}|{}", self.card.last4())
    }
}

impl UseCases {
    /// Records a payment on one of `owner`'s invoices.
    ///
    /// # Errors
    /// [`UseCaseError::Store`]: not found, refused by the domain (overpayment, status), or the
    /// key reused for another payment.
    pub async fn record_payment(
        &self,
        owner: &UserId,
        id: &InvoiceId,
        payment: Payment,
        idempotency_key: Option<String>,
    ) -> Result<PaymentOutcome, UseCaseError> {
        let fingerprint = format!(
            "owner|{}|{}|{}",
            payment.amount.minor(),
            payment.method,
            payment.reference.as_deref().unwrap_or_default()
        );
        let idempotency = idempotency_key.map(|key| (key, fingerprint));
        let events = payment_events(self.channels, payment.amount, payment.created_at);
        let mailer = self.mailer(owner).await?;
        let notice = self.store.payment_notices_on(owner).await?;
        let (paid, now) = (payment.id.clone(), payment.created_at);
        let written = move |invoice: &Invoice, effect: &_| {
            written(events(invoice, effect), &mailer, |composer, user| {
                payment_mail(composer, user, invoice, (&paid, notice), now)
            })
        };
        let request = PaymentRequest { payment, idempotency };
        Ok(self.store.record_payment(id, Some(owner), request, written).await?)
    }

    /// Takes back a payment the owner recorded on one of their invoices (a correction): the
    /// amount paid and the status move back, and the change publishes `payment_removed`.
    ///
    /// # Errors
    /// [`UseCaseError::Store`]: not found (the invoice is not theirs, or has no such payment),
    /// refused by the domain (void invoice, a provider's card payment).
    pub async fn remove_payment(
        &self,
        owner: &UserId,
        id: &InvoiceId,
        payment: &PaymentId,
    ) -> Result<Invoice, UseCaseError> {
        let now = Timestamp::now();
        let change = |invoice: &mut Invoice| invoice.remove_payment(payment, now.date(), now);
        let events = removal_events(self.channels, now);
        let (invoice, _) = self.store.update_invoice(id, Some(owner), change, events).await?;
        Ok(invoice)
    }

    /// Refunds `amount` (or all that is left) of a card payment on one of `owner`'s invoices:
    /// checked against the invoice, given back through the provider, then recorded (checked
    /// again with the invoice locked); publishes `payment_refunded`.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`], [`UseCaseError::Rejected`] (not a card payment, refunded in
    /// full, void: 409; more than is left: 422), [`UseCaseError::Charge`] (the provider
    /// refused), [`UseCaseError::Store`].
    pub async fn refund_payment(
        &self,
        owner: &UserId,
        id: &InvoiceId,
        payment: &PaymentId,
        amount: Option<Amount>,
    ) -> Result<(Invoice, RefundEffect), UseCaseError> {
        let invoice = found(self.store.invoice(id).await?.filter(|i| i.user_id == *owner))?;
        let now = Timestamp::now();
        let trial = invoice.clone().refund_payment(payment, amount, now.date(), now)?;
        let reference = trial.payment.reference.as_deref().unwrap_or_default();
        let given = self.provider.refund(reference, trial.amount).await?;
        let written = refund_written(self.channels, self.mailer(owner).await?, now);
        if let Some(total) = given.charge_refunded {
            // Stripe's `charge.refunded` may be recorded first, or this refund may race
            // another: recording up to Stripe's total counts each refund once either way.
            if let Some(done) = self.store.intent_refunded(reference, total, now, written).await? {
                return Ok(done);
            }
            let invoice = found(self.store.invoice(id).await?)?;
            let recorded = invoice.payments.iter().find(|p| p.id == *payment).cloned();
            let payment = recorded.ok_or(UseCaseError::NotFound)?;
            return Ok((invoice, RefundEffect { payment, ..trial }));
        }
        let refund = Some(trial.amount);
        let change =
            |invoice: &mut Invoice| invoice.refund_payment(payment, refund, now.date(), now);
        Ok(self.store.update_invoice(id, Some(owner), change, written).await?)
    }

    /// An invoice as the payer may see it: any but a draft.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`] for drafts and unknown ids.
    pub async fn payable_invoice(&self, id: &InvoiceId) -> Result<Invoice, UseCaseError> {
        found(self.store.invoice(id).await?.filter(|i| i.status != InvoiceStatus::Draft))
    }

    /// The business name the payer sees: the owner's name.
    ///
    /// # Errors
    /// [`UseCaseError::Store`].
    pub async fn business_name(&self, invoice: &Invoice) -> Result<String, UseCaseError> {
        let owner = self.store.user(&invoice.user_id).await?;
        Ok(owner.map(|o| o.name).unwrap_or_default())
    }

    /// Pays `invoice` (from [`UseCases::payable_invoice`]) by card. The attempt first reserves
    /// its `Idempotency-Key` and amount against the balance with the invoice locked (see
    /// [`crate::store::Reservation`]); only a reserved attempt is charged, and its payment is
    /// recorded, or its reservation released when the charge fails.
    ///
    /// # Errors
    /// [`UseCaseError::Rejected`] (paid or void: 409; a bad amount: 422),
    /// [`UseCaseError::Charge`] (declined), [`UseCaseError::Store`] (409 while another
    /// attempt holds the balance or the key).
    pub async fn checkout(
        &self,
        invoice: &Invoice,
        checkout: Checkout,
    ) -> Result<PaymentOutcome, UseCaseError> {
        let id = &invoice.id;
        let fingerprint = checkout.fingerprint();
        let now = Timestamp::now();
        let idempotency =
            checkout.idempotency_key.as_deref().map(|key| (key, fingerprint.as_str()));
        let decide = |locked: &Invoice, held: i64| chargeable(locked, checkout.amount, held, now);
        let at = (now, self.provider.attempt_ttl());
        let reservation = match self.store.reserve_attempt(id, idempotency, at, decide).await? {
            Reserved::Replayed(outcome) => return Ok(*outcome),
            Reserved::New(reservation) => reservation,
        };
        let amount = reservation.amount;
        let mailer = self.mailer(&invoice.user_id).await?;
        let notice = self.store.payment_notices_on(&invoice.user_id).await?;
        let charge = match self.provider.charge(&checkout.card, amount).await {
            Ok(charge) => charge,
            Err(error) => {
                self.store.release_attempt(&reservation.attempt_id).await?;
                return Err(error.into());
            }
        };
        let payment =
            Payment::new(PaymentSource::Provider, amount, "card", Some(&charge.reference), now)?;
        let idempotency = checkout.idempotency_key.map(|key| (key, fingerprint));
        let paid = payment.id.clone();
        let request = PaymentRequest { payment, idempotency };
        let events = payment_events(self.channels, amount, now);
        let written = move |invoice: &Invoice, effect: &_| {
            written(events(invoice, effect), &mailer, |composer, user| {
                payment_mail(composer, user, invoice, (&paid, notice), now)
            })
        };
        let attempt = &reservation.attempt_id;
        match self.store.complete_attempt(id, attempt, request, written).await {
            Ok(outcome) => Ok(outcome),
            Err(refused @ (StoreError::Rejected(_) | StoreError::NotFound)) => {
                // Charged, but the invoice no longer takes it (the attempt outlived its time
                // and another payment came first): give the money back.
                self.provider.refund(&charge.reference, amount).await?;
                Err(refused.into())
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// A refund's events, and its notice to the customer when there is a mailer.
pub(super) fn refund_written(
    channels: ChannelNames,
    mailer: Mailer,
    now: Timestamp,
) -> impl FnOnce(&Invoice, &RefundEffect) -> Written {
    move |invoice, effect| {
        let events = refund_events(channels, now)(invoice, effect);
        written(events, &mailer, |composer, user| {
            vec![composer.refund(user, invoice, &effect.payment, effect.amount, now)]
        })
    }
}

/// The amount to charge (`requested`, or the balance due less what other attempts hold),
/// refused as the invoice would refuse its payment: a paid or void invoice takes none whatever
/// the amount (409 before 422).
pub(super) fn chargeable(
    invoice: &Invoice,
    requested: Option<i64>,
    held: i64,
    now: Timestamp,
) -> Result<Amount, DomainError> {
    invoice.status.apply(Action::Pay { settles: true })?;
    let balance = invoice.balance_due();
    // Nothing left unheld: ask for the whole balance, which the store refuses as in progress.
    let free = if balance > held { balance - held } else { balance };
    let amount = Amount::parse("amount", requested.unwrap_or(free))?;
    let trial = Payment::new(PaymentSource::Provider, amount, "card", None, now)?;
    invoice.clone().pay(trial)?;
    Ok(amount)
}
