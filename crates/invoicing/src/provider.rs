//! The payment-provider seam and the built-in `test` provider, which simulates a card
//! checkout: `4242 4242 4242 4242` succeeds, `4000 0000 0000 0002` is declined.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use time::Date;

use crate::domain::{Amount, Checks, ValidationError};
use crate::stripe::{Stripe, StripeClient, StripeConfig, StripeError};

/// A card as typed on the payment page, checked for shape.
#[derive(Clone, PartialEq, Eq)]
pub struct Card {
    digits: String,
}

impl std::fmt::Debug for Card {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Card(…{})", self.last4())
    }
}

impl Card {
    /// Checks the number (Luhn), the expiry (`MM/YY`, not past as of `today`) and the CVC.
    ///
    /// # Errors
    /// [`ValidationError`] on `card.number`, `card.expiry` and/or `card.cvc`.
    pub fn parse(
        number: &str,
        expiry: &str,
        cvc: &str,
        today: Date,
    ) -> Result<Self, ValidationError> {
        let mut checks = Checks::default();
        let digits: String = number.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let numeric = digits.chars().all(|c| c.is_ascii_digit());
        if !numeric || !(12..=19).contains(&digits.len()) || !luhn(&digits) {
            checks.fail("card.number", "is not a valid card number");
        }
        match parse_expiry(expiry) {
            Some((year, month)) if (year, month) >= (today.year(), u8::from(today.month())) => {}
            Some(_) => checks.fail("card.expiry", "the card has expired"),
            None => checks.fail("card.expiry", "must be written MM/YY"),
        }
        let cvc = cvc.trim();
        if !(3..=4).contains(&cvc.len()) || !cvc.chars().all(|c| c.is_ascii_digit()) {
            checks.fail("card.cvc", "must be 3 or 4 digits");
        }
        checks.finish()?;
        Ok(Self { digits })
    }

    /// The last four digits, safe to show and store.
    pub fn last4(&self) -> &str {
        &self.digits[self.digits.len().saturating_sub(4)..]
    }
}

fn parse_expiry(expiry: &str) -> Option<(i32, u8)> {
    let (month, year) = expiry.trim().split_once('/')?;
    let month: u8 = month.trim().parse().ok().filter(|m| (1..=12).contains(m))?;
    let year = year.trim();
    let year: i32 = match year.len() {
        2 => 2000 + year.parse::<i32>().ok()?,
        4 => year.parse().ok()?,
        _ => return None,
    };
    Some((year, month))
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .chars()
        .rev()
        .filter_map(|c| c.to_digit(10))
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (0, _) => d,
            (_, doubled) if doubled > 9 => doubled - 9,
            (_, doubled) => doubled,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A successful charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    /// The provider's reference, stored with the payment.
    pub reference: String,
}

/// A successful refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    /// The provider's reference.
    pub reference: String,
    /// What the provider has given back of the charge in all, this refund included, where
    /// it tells (Stripe); recording up to it counts a refund its webhook also reports once.
    pub charge_refunded: Option<i64>,
}

/// Why a charge failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChargeError {
    /// The card was declined (HTTP 402).
    #[error("{0}")]
    Declined(String),
    /// The provider does not know this card (HTTP 422 on `card.number`).
    #[error("{0}")]
    UnknownCard(String),
    /// The active provider does not take this request (HTTP 409).
    #[error("{0}")]
    Unavailable(String),
    /// The payment is not finished yet (HTTP 409): Stripe still processes it or waits for
    /// the payer.
    #[error("{0}")]
    Pending(String),
    /// It succeeded when the invoice no longer took it, and was refunded (HTTP 409).
    #[error("{0}")]
    Refunded(String),
    /// The provider could not be reached or failed (HTTP 502); nothing is known to have moved.
    #[error("{0}")]
    Failed(String),
}

impl From<StripeError> for ChargeError {
    fn from(error: StripeError) -> Self {
        match error {
            StripeError::Api { message, .. } => Self::Declined(message),
            StripeError::Transport(cause) => {
                tracing::warn!(error = %cause, "Stripe could not be reached");
                Self::Failed("the payment provider could not be reached; try again".to_owned())
            }
        }
    }
}

const STRIPE_CARDS: &str = "With Stripe, cards are entered in Stripe's form, never sent to Paybell: \
                            the pay page creates a PaymentIntent (POST /api/pay/{id}/intents).";

/// The payment providers. Cheap to clone; clones share their state.
#[derive(Debug, Clone)]
pub enum Provider {
    /// Simulated cards, no money moves.
    Test(TestProvider),
    /// Stripe: the card goes to Stripe.js, never to Paybell; payments come as PaymentIntents
    /// (`usecases::intents`), so card checkouts are refused while it is selected.
    Stripe(Arc<Stripe>),
}

impl Default for Provider {
    fn default() -> Self {
        Self::Test(TestProvider::default())
    }
}

/// The `test` provider: counts the charges it made, so tests can tell that a race charged
/// once, and can hold charges at its door ([`Provider::hold_charges`]) so racing requests
/// line up there instead of finishing one after the other.
#[derive(Debug, Clone, Default)]
pub struct TestProvider {
    charges: Arc<AtomicU64>,
    refunds: Arc<AtomicU64>,
    waiting: Arc<AtomicU64>,
    door: Arc<tokio::sync::RwLock<()>>,
}

/// Charges wait while this is alive.
#[derive(Debug)]
pub struct HeldCharges {
    _guard: tokio::sync::OwnedRwLockWriteGuard<()>,
}

impl Provider {
    /// Charges `amount` to `card`.
    ///
    /// # Errors
    /// [`ChargeError`].
    pub async fn charge(&self, card: &Card, amount: Amount) -> Result<Charge, ChargeError> {
        match self {
            Self::Stripe(_) => Err(ChargeError::Unavailable(STRIPE_CARDS.to_owned())),
            Self::Test(test) => {
                test.waiting.fetch_add(1, Ordering::SeqCst);
                let open = test.door.read().await;
                test.waiting.fetch_sub(1, Ordering::SeqCst);
                drop(open);
                test.charge(card, amount)
            }
        }
    }

    /// Gives back `amount` of the charge `reference` (the one stored with the payment).
    ///
    /// # Errors
    /// [`ChargeError::Declined`] when the provider refuses the refund.
    pub async fn refund(&self, reference: &str, amount: Amount) -> Result<Refund, ChargeError> {
        match self {
            Self::Stripe(stripe) => {
                // A fresh key: two refunds of the same amount are two refunds.
                let key = format!("paybell-refund-{}", uuid::Uuid::new_v4());
                let client = stripe.client();
                let refund = client.create_refund(reference, amount.minor(), &key).await?;
                // The total, read after this refund, covers refunds racing this one too.
                let charge_refunded = match &refund.charge {
                    Some(charge) => Some(client.retrieve_charge(charge).await?.amount_refunded),
                    None => None,
                };
                Ok(Refund { reference: refund.id, charge_refunded })
            }
            Self::Test(test) => {
                tokio::task::yield_now().await;
                test.refunds.fetch_add(1, Ordering::SeqCst);
                let reference = format!("test_refund_{}_of_{reference}", amount.minor());
                Ok(Refund { reference, charge_refunded: None })
            }
        }
    }

    /// Refunds made by this process (the `test` provider's count).
    pub fn refunds_made(&self) -> u64 {
        match self {
            Self::Test(test) => test.refunds.load(Ordering::SeqCst),
            Self::Stripe(_) => 0,
        }
    }

    /// Makes charges wait until the returned guard is dropped (the `test` provider; `None`
    /// for the others).
    pub async fn hold_charges(&self) -> Option<HeldCharges> {
        match self {
            Self::Test(test) => Some(HeldCharges { _guard: test.door.clone().write_owned().await }),
            Self::Stripe(_) => None,
        }
    }

    /// How long an attempt may hold the balance and its key before it counts as abandoned:
    /// the `test` provider charges in one in-process call, so an attempt pending for seconds
    /// died with its node; a Stripe PaymentIntent waits for the payer.
    pub fn attempt_ttl(&self) -> std::time::Duration {
        match self {
            Self::Test(_) => std::time::Duration::from_secs(10),
            Self::Stripe(_) => crate::store::ATTEMPT_TTL,
        }
    }

    /// `test` or `stripe`, as `GET /api/config` names it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Test(_) => "test",
            Self::Stripe(_) => "stripe",
        }
    }

    /// Stripe as the provider, with `config`'s account.
    ///
    /// # Errors
    /// [`StripeError::Transport`] when its HTTP client cannot be built.
    pub fn from_stripe(config: StripeConfig) -> Result<Self, StripeError> {
        Ok(Self::Stripe(Arc::new(Stripe::new(config)?)))
    }

    /// The Stripe settings when Stripe is the provider.
    pub fn stripe(&self) -> Option<&StripeConfig> {
        match self {
            Self::Stripe(stripe) => Some(stripe.config()),
            Self::Test(_) => None,
        }
    }

    /// Stripe's API client when Stripe is the provider.
    pub fn stripe_client(&self) -> Option<&StripeClient> {
        match self {
            Self::Stripe(stripe) => Some(stripe.client()),
            Self::Test(_) => None,
        }
    }

    /// Charges waiting behind [`Provider::hold_charges`].
    pub fn charges_waiting(&self) -> u64 {
        match self {
            Self::Test(test) => test.waiting.load(Ordering::SeqCst),
            Self::Stripe(_) => 0,
        }
    }

    /// Successful charges made by this process (the `test` provider's count).
    pub fn charges_made(&self) -> u64 {
        match self {
            Self::Test(test) => test.charges.load(Ordering::SeqCst),
            Self::Stripe(_) => 0,
        }
    }
}

impl TestProvider {
    fn charge(&self, card: &Card, amount: Amount) -> Result<Charge, ChargeError> {
        match card.digits.as_str() {
            "4242424242424242" => {
                self.charges.fetch_add(1, Ordering::SeqCst);
                Ok(Charge { reference: format!("test_{}_card_{}", amount.minor(), card.last4()) })
            }
            "4000000000000002" => Err(ChargeError::Declined("Your card was declined.".to_owned())),
            _ => Err(ChargeError::UnknownCard(
                "The test provider accepts 4242 4242 4242 4242 (succeeds) and \
                 4000 0000 0000 0002 (declined)."
                    .to_owned(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const TODAY: Date = date!(2026 - 05 - 10);

    #[tokio::test]
    async fn cards_are_checked_then_charged() {
        let amount = Amount::parse("amount", 500).unwrap();
        let ok = Card::parse("4242 4242 4242 4242", "12/30", "123", TODAY).unwrap();
        assert_eq!(ok.last4(), "4242");
        let provider = Provider::default();
        assert!(provider.charge(&ok, amount).await.is_ok());
        let declined = Card::parse("4000 0000 0000 0002", "05/26", "123", TODAY).unwrap();
        let refused = provider.charge(&declined, amount).await;
        assert!(matches!(refused, Err(ChargeError::Declined(_))));
        let other = Card::parse("5555 5555 5555 4444", "05/26", "1234", TODAY).unwrap();
        let unknown = provider.charge(&other, amount).await;
        assert!(matches!(unknown, Err(ChargeError::UnknownCard(_))));
        assert_eq!(provider.charges_made(), 1);
        assert_eq!(format!("{ok:?}"), "Card(…4242)");
    }

    #[test]
    fn bad_cards_name_their_fields() {
        let err = Card::parse("4242 4242 4242 4241", "04/26", "12", TODAY).unwrap_err();
        let fields: Vec<&str> = err.fields.keys().map(String::as_str).collect();
        assert_eq!(fields, ["card.cvc", "card.expiry", "card.number"]);
        assert!(Card::parse("4242424242424242", "13/30", "123", TODAY).is_err());
        assert!(Card::parse("4242424242424242", "1230", "123", TODAY).is_err());
    }
}
