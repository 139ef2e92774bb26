//! Stripe payments: the pay page asks for a PaymentIntent (an attempt reserves its amount
//! first, as every checkout does), Stripe.js confirms it in the browser, then the page's
//! `complete` and Stripe's webhook both report it; whichever comes first records the payment,
//! the other finds it recorded. A success the invoice no longer takes (its reservation expired
//! and others paid, or the invoice was voided) is refunded at once and the owner told.

use crate::domain::events::{outbox_events, payment_events};
use crate::domain::{Amount, Change, Invoice, Payment, PaymentSource, Timestamp};
use crate::provider::ChargeError;
use crate::store::{IntentRecord, PaymentOutcome, Reserved, StoreError};
use crate::stripe::event::{Event, EventKind};
use crate::stripe::{NewIntent, PaymentIntent, StripeClient};

use super::mail::{payment_mail, written};
use super::payments::{chargeable, refund_written};
use super::{UseCaseError, UseCases};

/// A PaymentIntent ready for Stripe.js.
#[derive(Debug, Clone)]
pub struct IntentCreated {
    /// `pi_…`.
    pub intent_id: String,
    /// What Stripe.js confirms with.
    pub client_secret: String,
    /// The account's publishable key.
    pub publishable_key: String,
    /// Minor units.
    pub amount: i64,
}

/// What a webhook event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Acted on (or found nothing to change).
    Handled,
    /// Seen before: nothing changed.
    Repeated,
    /// A type Paybell does not act on.
    Ignored,
}

const NOT_STRIPE: &str = "the payment provider is not Stripe";

impl UseCases {
    fn stripe_client(&self) -> Result<&StripeClient, UseCaseError> {
        let client = self.provider.stripe_client();
        client.ok_or_else(|| ChargeError::Unavailable(NOT_STRIPE.to_owned()).into())
    }

    /// Reserves `amount` (the balance less what others hold when `None`) on `invoice` and
    /// creates its PaymentIntent.
    ///
    /// # Errors
    /// [`UseCaseError::Rejected`] (paid, void, bad amount), [`UseCaseError::Store`] (409 while
    /// other attempts hold the balance), [`UseCaseError::Charge`] (Stripe refused or is away).
    pub async fn create_intent(
        &self,
        invoice: &Invoice,
        amount: Option<i64>,
    ) -> Result<IntentCreated, UseCaseError> {
        let client = self.stripe_client()?;
        let now = Timestamp::now();
        let decide = |locked: &Invoice, held: i64| chargeable(locked, amount, held, now);
        let at = (now, self.provider.attempt_ttl());
        let reservation = match self.store.reserve_attempt(&invoice.id, None, at, decide).await? {
            Reserved::New(reservation) => reservation,
            // No key was given, so nothing can be replayed.
            Reserved::Replayed(_) => return Err(StoreError::IdempotencyInProgress.into()),
        };
        let attempt = reservation.attempt_id.as_str();
        let new = NewIntent {
            amount: reservation.amount.minor(),
            currency: invoice.content.currency.code(),
            invoice_id: invoice.id.as_str(),
            attempt_id: attempt,
        };
        let intent = match client.create_intent(new).await {
            Ok(intent) => intent,
            Err(error) => {
                self.store.release_attempt(attempt).await?;
                return Err(ChargeError::from(error).into());
            }
        };
        self.store.attach_intent(attempt, &intent.id).await?;
        let publishable_key =
            self.provider.stripe().map(|s| s.publishable_key().to_owned()).unwrap_or_default();
        Ok(IntentCreated {
            client_secret: intent.client_secret.clone().unwrap_or_default(),
            intent_id: intent.id,
            publishable_key,
            amount: reservation.amount.minor(),
        })
    }

    /// The pay page's report that Stripe.js confirmed `intent_id`: read back from Stripe, and
    /// recorded when it succeeded.
    ///
    /// # Errors
    /// [`UseCaseError::NotFound`] (not this invoice's intent), [`UseCaseError::Charge`]
    /// (declined, with Stripe's message; not finished yet; refunded because the invoice no
    /// longer takes it), [`UseCaseError::Store`].
    pub async fn complete_intent(
        &self,
        invoice: &Invoice,
        intent_id: &str,
    ) -> Result<PaymentOutcome, UseCaseError> {
        let client = self.stripe_client()?;
        let ours = self.store.intent_attempt(intent_id).await?;
        if ours.as_ref().is_none_or(|(_, id)| *id != invoice.id) {
            return Err(UseCaseError::NotFound);
        }
        let intent = client.retrieve_intent(intent_id).await.map_err(ChargeError::from)?;
        if intent.succeeded() {
            return self.record_succeeded(&intent).await?.ok_or(UseCaseError::NotFound);
        }
        if let Some(error) = &intent.last_payment_error {
            self.store.release_intent(intent_id).await?;
            let message = error.message.clone().unwrap_or_else(|| "The card was declined.".into());
            return Err(ChargeError::Declined(message).into());
        }
        Err(ChargeError::Pending(format!("the payment is {}", intent.status.replace('_', " ")))
            .into())
    }

    /// Handles one verified webhook event, once.
    ///
    /// # Errors
    /// [`UseCaseError::Store`] (the database is away: Stripe retries), [`UseCaseError::Charge`]
    /// (a give-back refund could not reach Stripe: retried with the event).
    pub async fn stripe_event(&self, event: Event) -> Result<WebhookOutcome, UseCaseError> {
        if self.store.stripe_event_seen(&event.id).await? {
            return Ok(WebhookOutcome::Repeated);
        }
        let now = Timestamp::now();
        let (kind, outcome) = match &event.kind {
            EventKind::IntentSucceeded(intent) => {
                match self.record_succeeded(intent).await {
                    Ok(_) | Err(UseCaseError::Charge(ChargeError::Refunded(_))) => {}
                    Err(error) => return Err(error),
                }
                ("payment_intent.succeeded", WebhookOutcome::Handled)
            }
            EventKind::IntentFailed(intent) => {
                self.store.release_intent(&intent.id).await?;
                ("payment_intent.payment_failed", WebhookOutcome::Handled)
            }
            EventKind::ChargeRefunded { intent_id, amount_refunded } => {
                let owner = self.store.intent_owner(intent_id).await?;
                let mailer = match owner {
                    Some(owner) => self.mailer(&owner).await?,
                    None => None,
                };
                let events = refund_written(self.channels, mailer, now);
                match self.store.intent_refunded(intent_id, *amount_refunded, now, events).await {
                    Ok(_) | Err(StoreError::NotFound | StoreError::Rejected(_)) => {}
                    Err(error) => return Err(error.into()),
                }
                ("charge.refunded", WebhookOutcome::Handled)
            }
            EventKind::Other(kind) => (kind.as_str(), WebhookOutcome::Ignored),
        };
        self.store.remember_stripe_event(&event.id, kind, now).await?;
        Ok(outcome)
    }

    /// Records a succeeded intent this deployment created; `None` for anyone else's.
    async fn record_succeeded(
        &self,
        intent: &PaymentIntent,
    ) -> Result<Option<PaymentOutcome>, UseCaseError> {
        let Some((attempt, id)) = self.store.intent_attempt(&intent.id).await? else {
            return Ok(None);
        };
        let invoice = self.store.invoice(&id).await?.ok_or(UseCaseError::NotFound)?;
        let now = Timestamp::now();
        let amount = Amount::parse("amount", intent.amount)?;
        let payment = Payment::new(PaymentSource::Provider, amount, "card", Some(&intent.id), now)?;
        let mailer = self.mailer(&invoice.user_id).await?;
        let notice = self.store.payment_notices_on(&invoice.user_id).await?;
        let events = payment_events(self.channels, amount, now);
        let paid = payment.id.clone();
        let written = move |invoice: &Invoice, effect: &_| {
            written(events(invoice, effect), &mailer, |composer, user| {
                payment_mail(composer, user, invoice, (&paid, notice), now)
            })
        };
        let same_currency = intent.currency.eq_ignore_ascii_case(invoice.content.currency.code());
        let record = if same_currency {
            self.store.record_intent(&id, (&attempt, &intent.id), payment, written).await?
        } else {
            IntentRecord::GiveBack(invoice)
        };
        match record {
            IntentRecord::Recorded(outcome) | IntentRecord::Already(outcome) => Ok(Some(outcome)),
            IntentRecord::GiveBack(invoice) => {
                self.give_back(&invoice, &attempt, intent, amount).await?;
                Err(ChargeError::Refunded(GIVEN_BACK.to_owned()).into())
            }
            IntentRecord::GivenBack(_) => Err(ChargeError::Refunded(GIVEN_BACK.to_owned()).into()),
        }
    }

    /// Refunds a success the invoice no longer takes (once: Stripe's idempotency key is the
    /// intent's), then tells the owner.
    async fn give_back(
        &self,
        invoice: &Invoice,
        attempt: &str,
        intent: &PaymentIntent,
        amount: Amount,
    ) -> Result<(), UseCaseError> {
        let client = self.stripe_client()?;
        let key = format!("paybell-give-back-{}", intent.id);
        client.create_refund(&intent.id, intent.amount, &key).await.map_err(ChargeError::from)?;
        tracing::warn!(intent = %intent.id, invoice = %invoice.id, "late payment refunded");
        let now = Timestamp::now();
        let (channels, mailer) = (self.channels, self.mailer(&invoice.user_id).await?);
        let tell = move |invoice: &Invoice| {
            let change = Change::PaymentRefunded { amount, previous: invoice.status };
            let events = outbox_events(change, invoice, channels, now);
            written(events, &mailer, |composer, user| {
                vec![composer.given_back(user, invoice, amount, now)]
            })
        };
        self.store.intent_given_back(&invoice.id, attempt, tell).await?;
        Ok(())
    }

    /// Cancels, at Stripe, the intents whose reservations expired unconfirmed; returns how
    /// many. One that succeeded meanwhile is left to its webhook.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn cancel_expired_intents(&self) -> Result<u64, StoreError> {
        let Some(client) = self.provider.stripe_client() else { return Ok(0) };
        let mut cancelled = 0;
        for expired in self.store.expired_intents(Timestamp::now(), 50).await? {
            match client.cancel_intent(&expired.intent_id).await {
                Ok(_) => {}
                Err(error) if error.is_refusal() => {
                    tracing::info!(intent = %expired.intent_id, %error, "not cancelled");
                }
                Err(error) => {
                    tracing::warn!(%error, "Stripe away: expired intents wait for the next pass");
                    break;
                }
            }
            self.store.intent_cancelled(&expired.attempt_id).await?;
            cancelled += 1;
        }
        Ok(cancelled)
    }
}

const GIVEN_BACK: &str = "This payment arrived after its reservation had expired and the invoice \
                          no longer takes it: it was refunded in full.";
