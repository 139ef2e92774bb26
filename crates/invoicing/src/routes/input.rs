//! Request bodies, and their conversion into domain values with per-field messages.
//!
//! Every field is optional at the JSON level so that a missing or mistyped number is reported
//! on its own field (`items[1].unitPrice`) rather than as a generic decoding failure.

use serde::Deserialize;
use serde_json::Value;

use crate::domain::invoice::parse_date;
use crate::domain::{Checks, Currency, Customer, InvoiceContent, LineItem, ValidationError};

/// `POST /api/invoices` and, all fields optional, `PATCH /api/invoices/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvoiceInput {
    customer: Option<CustomerInput>,
    currency: Option<String>,
    due_date: Option<String>,
    items: Option<Vec<ItemInput>>,
    notes: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct CustomerInput {
    name: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ItemInput {
    description: Option<String>,
    quantity: Option<Value>,
    unit_price: Option<Value>,
}

/// A whole number that fits in `i64`.
pub(crate) fn integer(field: &str, value: Option<&Value>) -> Result<i64, ValidationError> {
    match value {
        None | Some(Value::Null) => Err(ValidationError::field(field, "is required")),
        Some(Value::Number(number)) => number.as_i64().ok_or_else(|| {
            let message = if number.is_f64() && number.as_f64().is_some_and(|f| f.fract() != 0.0) {
                "must be a whole number of minor units"
            } else {
                "is too large"
            };
            ValidationError::field(field, message)
        }),
        Some(_) => Err(ValidationError::field(field, "must be a whole number")),
    }
}

fn required<'a>(field: &str, value: Option<&'a str>) -> Result<&'a str, ValidationError> {
    value.ok_or_else(|| ValidationError::field(field, "is required"))
}

impl InvoiceInput {
    /// The content this body describes; missing fields come from `base` (for `PATCH`).
    pub(crate) fn into_content(
        self,
        base: Option<&InvoiceContent>,
    ) -> Result<InvoiceContent, ValidationError> {
        let mut checks = Checks::default();
        let customer = self.customer.unwrap_or_default();
        let name = customer.name.as_deref().or(base.map(|b| b.customer.name.as_str()));
        let email = customer.email.as_deref().or(base.map(|b| b.customer.email.as_str()));
        let customer = match (
            checks.take(required("customer.name", name)),
            checks.take(required("customer.email", email)),
        ) {
            (Some(name), Some(email)) => checks.take(Customer::parse(name, email)),
            _ => None,
        };
        let currency = match (self.currency.as_deref(), base) {
            (Some(code), _) => checks.take(Currency::parse(code)),
            (None, Some(base)) => Some(base.currency),
            (None, None) => checks.take(Err(ValidationError::field("currency", "is required"))),
        };
        let due_date = match (self.due_date.as_deref(), base) {
            (Some(text), _) => checks.take(parse_date(text)),
            (None, Some(base)) => Some(base.due_date),
            (None, None) => checks.take(Err(ValidationError::field("dueDate", "is required"))),
        };
        let items = match (self.items, base) {
            (Some(items), _) => items_of(&mut checks, items),
            (None, Some(base)) => Some(base.items.clone()),
            (None, None) => checks
                .take(Err(ValidationError::field("items", "an invoice needs at least one item"))),
        };
        let notes = self.notes.or_else(|| base.map(|b| b.notes.clone())).unwrap_or_default();
        checks.finish()?;
        match (customer, currency, due_date, items) {
            (Some(customer), Some(currency), Some(due_date), Some(items)) => {
                InvoiceContent::new(customer, currency, due_date, items, &notes)
            }
            _ => Err(ValidationError::field("body", "is invalid")),
        }
    }
}

fn items_of(checks: &mut Checks, items: Vec<ItemInput>) -> Option<Vec<LineItem>> {
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("items[{i}]");
        let quantity = checks.take(integer(&format!("{at}.quantity"), item.quantity.as_ref()));
        let price = checks.take(integer(&format!("{at}.unitPrice"), item.unit_price.as_ref()));
        let description = item.description.unwrap_or_default();
        if let (Some(quantity), Some(price)) = (quantity, price) {
            if let Some(line) = checks.take(LineItem::parse(&at, &description, quantity, price)) {
                parsed.push(line);
            }
        }
    }
    Some(parsed)
}

/// `POST /api/invoices/{id}/payments`.
#[derive(Debug, Deserialize)]
pub(crate) struct PaymentInput {
    pub(crate) amount: Option<Value>,
    pub(crate) method: Option<String>,
    pub(crate) reference: Option<String>,
}

/// `POST /api/invoices/{id}/payments/{paymentId}/refunds`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RefundInput {
    pub(crate) amount: Option<Value>,
}

/// `POST /api/pay/{id}/intents`.
#[derive(Debug, Deserialize)]
pub(crate) struct IntentInput {
    pub(crate) amount: Option<Value>,
}

/// `POST /api/pay/{id}/checkout`.
#[derive(Debug, Deserialize)]
pub(crate) struct CheckoutInput {
    pub(crate) amount: Option<Value>,
    #[serde(default)]
    pub(crate) card: CardInput,
}

/// The card of a checkout.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CardInput {
    #[serde(default)]
    pub(crate) number: String,
    #[serde(default)]
    pub(crate) expiry: String,
    #[serde(default)]
    pub(crate) cvc: String,
}

/// `POST /api/auth/login`.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginInput {
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) password: String,
}
