//! An invoice: its editable content, its payments, and the changes the status machine allows.

use time::Date;
use time::format_description::FormatItem;
use time::macros::format_description;

use super::money::checked_sum;
use super::text::{multi_line, optional_line, single_line};
use super::totals::{self, Discount, Totals};
use super::{
    Action, Amount, Checks, Currency, CustomerId, DomainError, Email, InvoiceId, InvoiceStatus,
    PaymentId, Timestamp, UserId, ValidationError,
};

/// Longest line item description, customer name and payment method.
const MAX_TEXT: usize = 200;
/// Longest notes, billing address and payment instructions.
pub(crate) const MAX_NOTES: usize = 2000;
/// Longest PO/reference and tax id.
pub(crate) const MAX_REFERENCE: usize = 100;
/// Digits the sequence is padded to after a number prefix (`INV-2026-0007`).
const NUMBER_DIGITS: usize = 4;
/// Most line items on one invoice.
const MAX_ITEMS: usize = 100;
/// Largest quantity on one line.
const MAX_QUANTITY: i64 = 1_000_000;

const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Parses a due date written `YYYY-MM-DD`.
///
/// # Errors
/// [`ValidationError`] on `dueDate`.
pub fn parse_date(value: &str) -> Result<Date, ValidationError> {
    parse_date_field("dueDate", value)
}

/// Parses a date written `YYYY-MM-DD` for `field`.
///
/// # Errors
/// [`ValidationError`] on `field`.
pub fn parse_date_field(field: &str, value: &str) -> Result<Date, ValidationError> {
    Date::parse(value, DATE)
        .map_err(|_| ValidationError::field(field, "must be a date written YYYY-MM-DD"))
}

/// `#7`, or `INV-2026-0007` with the number prefix `INV-2026-`.
pub fn display_number(prefix: &str, number: i64) -> String {
    if prefix.is_empty() {
        format!("#{number}")
    } else {
        format!("{prefix}{number:0NUMBER_DIGITS$}")
    }
}

/// Writes a date as `YYYY-MM-DD`.
pub fn format_date(date: Date) -> String {
    date.format(DATE).unwrap_or_default()
}

/// Who the invoice is for, as the invoice keeps it: a snapshot, which later edits of the
/// customer in the directory do not rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    /// The directory entry it was taken from, if any.
    pub id: Option<CustomerId>,
    /// Shown on the invoice and the payment page.
    pub name: String,
    /// Where the invoice goes; never shown on the public payment page.
    pub email: Email,
    /// Billing address, possibly empty.
    pub address: String,
    /// Tax id (VAT number…), possibly empty.
    pub tax_id: String,
}

impl Customer {
    /// Validates both fields.
    ///
    /// # Errors
    /// [`ValidationError`] on `customer.name` and/or `customer.email`.
    pub fn parse(name: &str, email: &str) -> Result<Self, ValidationError> {
        let mut checks = Checks::default();
        let name = checks.take(single_line("customer.name", name, MAX_TEXT));
        let email = checks.take(Email::parse(email).map_err(|e| rename(e, "customer.email")));
        checks.finish()?;
        match (name, email) {
            (Some(name), Some(email)) => {
                Ok(Self { id: None, name, email, address: String::new(), tax_id: String::new() })
            }
            _ => Err(ValidationError::field("customer", "is invalid")),
        }
    }

    /// Adds the billing address and tax id.
    ///
    /// # Errors
    /// [`ValidationError`] on `customer.address` or `customer.taxId`.
    pub fn with_details(mut self, address: &str, tax_id: &str) -> Result<Self, ValidationError> {
        let mut checks = Checks::default();
        let address = checks.take(multi_line("customer.address", address, MAX_NOTES));
        let tax_id = checks.take(optional_line("customer.taxId", tax_id, MAX_REFERENCE));
        checks.finish()?;
        self.address = address.unwrap_or_default();
        self.tax_id = tax_id.unwrap_or_default();
        Ok(self)
    }
}

fn rename(error: ValidationError, field: &str) -> ValidationError {
    let message = error.fields.into_values().next().unwrap_or_default();
    ValidationError::field(field, message)
}

/// One line: `quantity × unit price = amount`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    /// What was sold.
    pub description: String,
    /// How many, at least 1.
    pub quantity: i64,
    /// Price of one, in minor units.
    pub unit_price: Amount,
    /// `quantity × unit price`, before discount and tax.
    pub amount: Amount,
    /// Exclusive tax rate in basis points (`2000` = 20 %); 0 for none.
    pub tax_rate: u32,
}

impl LineItem {
    /// Validates a line and computes its amount; `at` is its field prefix (`items[2]`).
    ///
    /// # Errors
    /// [`ValidationError`] for an empty description, a quantity outside 1..=1,000,000, a
    /// price of zero or less, text with control or text-direction characters, or an amount
    /// above [`MAX_MINOR`](super::money::MAX_MINOR).
    pub fn parse(
        at: &str,
        description: &str,
        quantity: i64,
        unit_price: i64,
    ) -> Result<Self, ValidationError> {
        let mut checks = Checks::default();
        let description =
            checks.take(single_line(&format!("{at}.description"), description, MAX_TEXT));
        if !(1..=MAX_QUANTITY).contains(&quantity) {
            checks.fail(format!("{at}.quantity"), format!("must be between 1 and {MAX_QUANTITY}"));
        }
        let unit_price = checks.take(Amount::parse(&format!("{at}.unitPrice"), unit_price));
        checks.finish()?;
        let (Some(description), Some(unit_price)) = (description, unit_price) else {
            return Err(ValidationError::field(at, "is invalid"));
        };
        let amount = unit_price
            .minor()
            .checked_mul(quantity)
            .ok_or_else(|| ValidationError::field(format!("{at}.amount"), "is too large"))?;
        let amount = Amount::parse(&format!("{at}.amount"), amount)?;
        Ok(Self { description, quantity, unit_price, amount, tax_rate: 0 })
    }

    /// The line with a tax rate in basis points.
    ///
    /// # Errors
    /// [`ValidationError`] on `{at}.taxRate` outside 0..=10 000.
    pub fn with_tax_rate(mut self, at: &str, basis_points: i64) -> Result<Self, ValidationError> {
        self.tax_rate = totals::tax_rate(&format!("{at}.taxRate"), basis_points)?;
        Ok(self)
    }
}

/// The invoice's terms beside its lines: dates, reference, discount, payment instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The date the invoice is issued.
    pub issue_date: Date,
    /// The customer's PO number or another reference, possibly empty.
    pub reference: String,
    /// The invoice-level discount.
    pub discount: Discount,
    /// How to pay other than online (bank details…), shown on the payment page and in e-mails.
    pub payment_instructions: String,
}

/// What the owner writes and may edit before payment: everything but status and payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceContent {
    /// Who pays.
    pub customer: Customer,
    /// The currency of every amount.
    pub currency: Currency,
    /// Payable by this date (UTC); the day after, the invoice is overdue.
    pub due_date: Date,
    /// At least one line.
    pub items: Vec<LineItem>,
    /// Free text, possibly empty.
    pub notes: String,
    /// Issue date, reference, discount, payment instructions.
    pub terms: Terms,
    /// Subtotal, discount, taxes and total, by [`totals::compute`].
    pub totals: Totals,
    /// What the customer pays: `totals.total`.
    pub total: Amount,
}

impl InvoiceContent {
    /// Checks the lines and computes the total.
    ///
    /// # Errors
    /// [`ValidationError`] for no items, too many items, too long notes or notes with control
    /// or text-direction characters, or a total above [`MAX_MINOR`](super::money::MAX_MINOR).
    pub fn new(
        customer: Customer,
        currency: Currency,
        due_date: Date,
        items: Vec<LineItem>,
        notes: &str,
    ) -> Result<Self, ValidationError> {
        if items.is_empty() {
            return Err(ValidationError::field("items", "an invoice needs at least one item"));
        }
        if items.len() > MAX_ITEMS {
            return Err(ValidationError::field("items", format!("at most {MAX_ITEMS} items")));
        }
        let notes = multi_line("notes", notes, MAX_NOTES)?;
        checked_sum("total", items.iter().map(|item| item.amount))?;
        let terms = Terms {
            issue_date: Timestamp::now().date(),
            reference: String::new(),
            discount: Discount::None,
            payment_instructions: String::new(),
        };
        Self::compute(customer, currency, due_date, items, notes, terms)
    }

    /// The same content with other terms; the totals follow.
    ///
    /// # Errors
    /// [`ValidationError`] on `reference`, `paymentInstructions`, the discount (more than the
    /// subtotal) or the total (nothing left to pay, too large).
    pub fn with_terms(self, terms: Terms) -> Result<Self, ValidationError> {
        let mut checks = Checks::default();
        let reference = checks.take(optional_line("reference", &terms.reference, MAX_REFERENCE));
        let instructions =
            checks.take(multi_line("paymentInstructions", &terms.payment_instructions, MAX_NOTES));
        checks.finish()?;
        let terms = Terms {
            reference: reference.unwrap_or_default(),
            payment_instructions: instructions.unwrap_or_default(),
            ..terms
        };
        Self::compute(self.customer, self.currency, self.due_date, self.items, self.notes, terms)
    }

    fn compute(
        customer: Customer,
        currency: Currency,
        due_date: Date,
        items: Vec<LineItem>,
        notes: String,
        terms: Terms,
    ) -> Result<Self, ValidationError> {
        let lines: Vec<(i64, u32)> =
            items.iter().map(|item| (item.amount.minor(), item.tax_rate)).collect();
        let totals = totals::compute(&lines, terms.discount)?;
        let total = Amount::parse("total", totals.total)?;
        Ok(Self { customer, currency, due_date, items, notes, terms, totals, total })
    }
}

/// Who recorded a payment: only the owner's own records can be corrected by removing them;
/// a provider's (card) payment is money that moved and needs a refund instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentSource {
    /// Recorded by the owner (bank transfer, cash…).
    Owner,
    /// Paid by the customer through the payment provider.
    Provider,
}

impl PaymentSource {
    /// The wire and database name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Provider => "provider",
        }
    }

    /// Parses the name written by [`PaymentSource::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Owner, Self::Provider].into_iter().find(|source| source.as_str() == name)
    }
}

/// Money received for an invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Random id.
    pub id: PaymentId,
    /// How much, in the invoice's currency.
    pub amount: Amount,
    /// `bank_transfer`, `cash`, `card`…
    pub method: String,
    /// The payer's or the bank's reference, if any.
    pub reference: Option<String>,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// Who recorded it.
    pub source: PaymentSource,
    /// Minor units refunded so far (card payments only); no longer counted as paid.
    pub refunded: i64,
}

impl Payment {
    /// A new payment recorded by `source`, validating the method and reference.
    ///
    /// # Errors
    /// [`ValidationError`] on `method` or `reference`.
    pub fn new(
        source: PaymentSource,
        amount: Amount,
        method: &str,
        reference: Option<&str>,
        now: Timestamp,
    ) -> Result<Self, ValidationError> {
        let mut checks = Checks::default();
        let method = checks.take(single_line("method", method, 50));
        let reference = match reference.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => checks.take(single_line("reference", r, MAX_TEXT)),
            None => None,
        };
        checks.finish()?;
        let method = method.unwrap_or_default();
        let id = PaymentId::new();
        Ok(Self { id, amount, method, reference, created_at: now, source, refunded: 0 })
    }
}

/// An invoice as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoice {
    /// Random id, also the payment link and the channel name.
    pub id: InvoiceId,
    /// The owner.
    pub user_id: UserId,
    /// The owner's human number: 1, 2, 3…
    pub number: i64,
    /// The owner's number prefix when the invoice was created (`INV-2026-`), possibly empty.
    pub number_prefix: String,
    /// Where it is in its life.
    pub status: InvoiceStatus,
    /// What the owner wrote.
    pub content: InvoiceContent,
    /// Sum of the payments.
    pub amount_paid: i64,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Oldest first.
    pub payments: Vec<Payment>,
}

/// What the removal of a payment did to its invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalEffect {
    /// The status before.
    pub previous: InvoiceStatus,
    /// The payment taken back.
    pub removed: Payment,
}

/// What a refund did to its invoice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundEffect {
    /// The status before.
    pub previous: InvoiceStatus,
    /// The payment refunded (as it is after the refund).
    pub payment: Payment,
    /// How much this refund gave back.
    pub amount: Amount,
}

/// What a payment did to its invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentEffect {
    /// The status before.
    pub previous: InvoiceStatus,
    /// Whether nothing is left to pay.
    pub settled: bool,
}

impl Invoice {
    /// A new draft.
    pub fn draft(user_id: UserId, number: i64, content: InvoiceContent, now: Timestamp) -> Self {
        Self {
            id: InvoiceId::new(),
            user_id,
            number,
            number_prefix: String::new(),
            status: InvoiceStatus::Draft,
            content,
            amount_paid: 0,
            created_at: now,
            updated_at: now,
            payments: Vec::new(),
        }
    }

    /// `#7`, or `INV-2026-0007` when the owner had a number prefix.
    pub fn display_number(&self) -> String {
        display_number(&self.number_prefix, self.number)
    }

    /// What is left to pay.
    pub fn balance_due(&self) -> i64 {
        self.content.total.minor() - self.amount_paid
    }

    /// Replaces the content (drafts and sent invoices only).
    ///
    /// # Errors
    /// [`DomainError::Illegal`] in any other status.
    pub fn edit(&mut self, content: InvoiceContent, now: Timestamp) -> Result<(), DomainError> {
        self.status = self.status.apply(Action::Edit)?;
        self.content = content;
        self.updated_at = now;
        Ok(())
    }

    /// Sends, voids or marks overdue; returns the previous status.
    ///
    /// # Errors
    /// [`DomainError::Illegal`] when the status does not allow `action`.
    pub fn transition(
        &mut self,
        action: Action,
        now: Timestamp,
    ) -> Result<InvoiceStatus, DomainError> {
        let previous = self.status;
        self.status = previous.apply(action)?;
        self.updated_at = now;
        Ok(previous)
    }

    /// Records `payment`.
    ///
    /// # Errors
    /// [`DomainError::Illegal`] (409) when the status refuses payments (draft, paid, void);
    /// [`DomainError::Invalid`] (422) when the payment is larger than the balance.
    pub fn pay(&mut self, payment: Payment) -> Result<PaymentEffect, DomainError> {
        let balance = self.balance_due();
        let amount = payment.amount.minor();
        let previous = self.status;
        let next = previous.apply(Action::Pay { settles: amount >= balance })?;
        if amount > balance {
            let due = self.content.currency.format(balance);
            return Err(ValidationError::field(
                "amount",
                format!("is more than the balance due ({due})"),
            )
            .into());
        }
        self.status = next;
        self.amount_paid += amount;
        self.updated_at = payment.created_at;
        self.payments.push(payment);
        Ok(PaymentEffect { previous, settled: amount == balance })
    }

    /// Takes back the payment `id`, recorded by the owner, as a correction: the amount paid
    /// and the status move back (`today` tells whether the due date has passed).
    ///
    /// # Errors
    /// [`DomainError::NoSuchPayment`] (404); [`DomainError::Illegal`] (409) when the status
    /// refuses it (void); [`DomainError::NotRemovable`] (409) for a provider's payment.
    pub fn remove_payment(
        &mut self,
        id: &PaymentId,
        today: Date,
        now: Timestamp,
    ) -> Result<RemovalEffect, DomainError> {
        let at =
            self.payments.iter().position(|p| p.id == *id).ok_or(DomainError::NoSuchPayment)?;
        let amount = self.payments[at].amount.minor();
        let paid_left = self.amount_paid - amount > 0;
        let past_due = self.content.due_date < today;
        let previous = self.status;
        let next = previous.apply(Action::RemovePayment { paid_left, past_due })?;
        if self.payments[at].source != PaymentSource::Owner {
            return Err(DomainError::NotRemovable);
        }
        let removed = self.payments.remove(at);
        self.status = next;
        self.amount_paid -= amount;
        self.updated_at = now;
        Ok(RemovalEffect { previous, removed })
    }
}

impl Invoice {
    /// Refunds `amount` (or all that is left) of the card payment `id`: like a removal, the
    /// amount paid and the status move back (`today` tells whether the due date has passed).
    ///
    /// # Errors
    /// [`DomainError::NoSuchPayment`] (404); [`DomainError::Illegal`] (409) when the status
    /// refuses it (void); [`DomainError::NotRefundable`] (409) for the owner's own record or a
    /// payment refunded in full; [`DomainError::Invalid`] (422) for more than is left.
    pub fn refund_payment(
        &mut self,
        id: &PaymentId,
        amount: Option<Amount>,
        today: Date,
        now: Timestamp,
    ) -> Result<RefundEffect, DomainError> {
        let at =
            self.payments.iter().position(|p| p.id == *id).ok_or(DomainError::NoSuchPayment)?;
        let payment = &self.payments[at];
        let left = payment.amount.minor() - payment.refunded;
        if payment.source != PaymentSource::Provider || left <= 0 {
            return Err(DomainError::NotRefundable);
        }
        let amount = match amount {
            Some(amount) => amount,
            None => Amount::parse("amount", left)?,
        };
        let refund = amount.minor();
        let paid_left = self.amount_paid - refund > 0;
        let past_due = self.content.due_date < today;
        let previous = self.status;
        let next = previous.apply(Action::RemovePayment { paid_left, past_due })?;
        if refund > left {
            let left = self.content.currency.format(left);
            let message = format!("is more than is left to refund ({left})");
            return Err(ValidationError::field("amount", message).into());
        }
        self.payments[at].refunded += refund;
        self.status = next;
        self.amount_paid -= refund;
        self.updated_at = now;
        Ok(RefundEffect { previous, payment: self.payments[at].clone(), amount })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice(total: i64) -> Invoice {
        let content = InvoiceContent::new(
            Customer::parse("Ada", "ada@example.com").unwrap(),
            Currency::parse("EUR").unwrap(),
            parse_date("2099-01-01").unwrap(),
            vec![LineItem::parse("items[0]", "Work", 1, total).unwrap()],
            "",
        )
        .unwrap();
        Invoice::draft(UserId::new(), 1, content, Timestamp::from_millis(0))
    }

    fn payment(amount: i64) -> Payment {
        let amount = Amount::parse("amount", amount).unwrap();
        Payment::new(PaymentSource::Owner, amount, "cash", None, Timestamp::now()).unwrap()
    }

    #[test]
    fn removing_a_payment_moves_the_status_back() {
        let today = parse_date("2098-06-01").unwrap();
        let late = parse_date("2099-06-01").unwrap();
        let now = Timestamp::now();
        let mut invoice = invoice(1000);
        invoice.transition(Action::Send, now).unwrap();
        let first = payment(400);
        let first_id = first.id.clone();
        invoice.pay(first).unwrap();
        let second = payment(600);
        let second_id = second.id.clone();
        invoice.pay(second).unwrap();
        assert_eq!(invoice.status, InvoiceStatus::Paid);

        let effect = invoice.remove_payment(&second_id, today, now).unwrap();
        assert_eq!((effect.previous, effect.removed.amount.minor()), (InvoiceStatus::Paid, 600));
        assert_eq!((invoice.status, invoice.amount_paid), (InvoiceStatus::PartiallyPaid, 400));
        let again = invoice.remove_payment(&second_id, today, now);
        assert_eq!(again, Err(DomainError::NoSuchPayment));
        let mut overdue = invoice.clone();
        overdue.remove_payment(&first_id, late, now).unwrap();
        assert_eq!((overdue.status, overdue.amount_paid), (InvoiceStatus::Overdue, 0));
        invoice.remove_payment(&first_id, today, now).unwrap();
        assert_eq!((invoice.status, invoice.balance_due()), (InvoiceStatus::Sent, 1000));

        let amount = Amount::parse("amount", 100).unwrap();
        let card = Payment::new(PaymentSource::Provider, amount, "card", None, now).unwrap();
        let card_id = card.id.clone();
        invoice.pay(card).unwrap();
        assert_eq!(invoice.remove_payment(&card_id, today, now), Err(DomainError::NotRemovable));
        assert_eq!(invoice.amount_paid, 100);
    }

    #[test]
    fn refunds_move_the_status_back_and_stop_at_the_payment() {
        let today = parse_date("2098-06-01").unwrap();
        let now = Timestamp::now();
        let mut invoice = invoice(1000);
        invoice.transition(Action::Send, now).unwrap();
        let amount = Amount::parse("amount", 1000).unwrap();
        let card = Payment::new(PaymentSource::Provider, amount, "card", None, now).unwrap();
        let card_id = card.id.clone();
        invoice.pay(card).unwrap();
        let cash = payment(1);
        assert!(matches!(invoice.pay(cash), Err(DomainError::Illegal(_))), "paid");

        let part = Amount::parse("amount", 300).unwrap();
        let effect = invoice.refund_payment(&card_id, Some(part), today, now).unwrap();
        assert_eq!((effect.previous, effect.payment.refunded), (InvoiceStatus::Paid, 300));
        assert_eq!((invoice.status, invoice.amount_paid), (InvoiceStatus::PartiallyPaid, 700));
        let too_much = Amount::parse("amount", 701).unwrap();
        let refused = invoice.refund_payment(&card_id, Some(too_much), today, now);
        assert!(matches!(refused, Err(DomainError::Invalid(_))));
        let rest = invoice.refund_payment(&card_id, None, today, now).unwrap();
        assert_eq!(rest.amount.minor(), 700);
        assert_eq!((invoice.status, invoice.amount_paid), (InvoiceStatus::Sent, 0));
        let again = invoice.refund_payment(&card_id, None, today, now);
        assert_eq!(again, Err(DomainError::NotRefundable));

        let owner = payment(100);
        let owner_id = owner.id.clone();
        invoice.pay(owner).unwrap();
        let manual = invoice.refund_payment(&owner_id, None, today, now);
        assert_eq!(manual, Err(DomainError::NotRefundable), "a removal, not a refund");
    }

    #[test]
    fn payments_move_the_status_and_refuse_overpayment() {
        let mut invoice = invoice(1000);
        assert!(matches!(invoice.pay(payment(1)), Err(DomainError::Illegal(_))), "draft");
        invoice.transition(Action::Send, Timestamp::now()).unwrap();
        let effect = invoice.pay(payment(400)).unwrap();
        assert_eq!(effect, PaymentEffect { previous: InvoiceStatus::Sent, settled: false });
        assert!(matches!(invoice.pay(payment(601)), Err(DomainError::Invalid(_))));
        assert_eq!((invoice.amount_paid, invoice.balance_due()), (400, 600));
        assert!(invoice.pay(payment(600)).unwrap().settled);
        assert_eq!(invoice.status, InvoiceStatus::Paid);
        assert!(matches!(invoice.pay(payment(1)), Err(DomainError::Illegal(_))), "paid");
    }

    #[test]
    fn lines_and_totals_are_checked() {
        assert!(LineItem::parse("items[0]", "x", 2, i64::MAX).is_err());
        assert!(LineItem::parse("items[0]", "x", 0, 1).is_err());
        assert!(LineItem::parse("items[0]", "", 1, 1).is_err());
        let line = LineItem::parse("items[0]", "x", 3, 250).unwrap();
        assert_eq!(line.amount.minor(), 750);
        assert!(parse_date("2025-02-30").is_err());
        assert!(line.clone().with_tax_rate("items[0]", 10_001).is_err());
        assert_eq!(line.with_tax_rate("items[0]", 2000).unwrap().tax_rate, 2000);
        assert_eq!(display_number("", 7), "#7");
        assert_eq!(display_number("INV-2026-", 7), "INV-2026-0007");
        assert_eq!(display_number("A", 123_456), "A123456");
        assert_eq!(format_date(parse_date("2025-02-03").unwrap()), "2025-02-03");
    }
}
