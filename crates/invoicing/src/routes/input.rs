//! Request bodies, and their conversion into domain values with per-field messages.
//!
//! Every field is optional at the JSON level so that a missing or mistyped number is reported
//! on its own field (`items[1].unitPrice`) rather than as a generic decoding failure. The
//! OpenAPI schemas (`ToSchema`) say what is expected (`value_type`), and mark a field required
//! where leaving it out is a 422; unknown fields are ignored, so these schemas stay open.

use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::invoice::{parse_date, parse_date_field};
use crate::domain::{
    Checks, Currency, Customer, CustomerId, Discount, InvoiceContent, LineItem, Terms,
    ValidationError,
};
use crate::usecases::business::InvoiceDefaults;

/// `POST /api/invoices` and, all fields optional, `PATCH /api/invoices/{id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvoiceInput {
    customer_id: Option<String>,
    customer: Option<CustomerInput>,
    currency: Option<String>,
    issue_date: Option<String>,
    due_date: Option<String>,
    reference: Option<String>,
    /// `{"percent": bp}`, `{"amount": minor}`, or `null` for none (the view's shape).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<super::views::DiscountView>)]
    discount: Option<Value>,
    payment_instructions: Option<String>,
    items: Option<Vec<ItemInput>>,
    notes: Option<String>,
}

/// Tells an explicit `null` (`Some(Value::Null)`) from an absent field (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct CustomerInput {
    name: Option<String>,
    email: Option<String>,
    address: Option<String>,
    tax_id: Option<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
struct ItemInput {
    description: Option<String>,
    #[schema(value_type = i64, required = true)]
    quantity: Option<Value>,
    /// Minor units.
    #[schema(value_type = i64, required = true)]
    unit_price: Option<Value>,
    /// Basis points (`2000` = 20 %); 0 when absent.
    #[schema(value_type = Option<u32>)]
    tax_rate: Option<Value>,
}

/// `{"percent": bp}` or `{"amount": minor}`; `null` for none.
fn discount(value: &Value) -> Result<Discount, ValidationError> {
    let Value::Object(map) = value else {
        return match value {
            Value::Null => Ok(Discount::None),
            _ => Err(ValidationError::field(
                "discount",
                "must be {\"percent\": …} or {\"amount\": …}",
            )),
        };
    };
    match (map.get("percent"), map.get("amount"), map.len()) {
        (Some(percent), None, 1) => Discount::percent(integer("discount.percent", Some(percent))?),
        (None, Some(amount), 1) => Discount::amount(integer("discount.amount", Some(amount))?),
        _ => Err(ValidationError::field("discount", "must be {\"percent\": …} or {\"amount\": …}")),
    }
}

/// A customer id from the body.
pub(crate) fn customer_id(value: Option<&str>) -> Result<Option<CustomerId>, ValidationError> {
    value
        .map(|text| {
            CustomerId::parse(text)
                .ok_or_else(|| ValidationError::field("customerId", "no such customer"))
        })
        .transpose()
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
    /// The `customerId` named, if any.
    pub(crate) fn customer_id(&self) -> Result<Option<CustomerId>, ValidationError> {
        customer_id(self.customer_id.as_deref())
    }

    /// The content this body describes; missing fields come from `base` (for `PATCH`), then
    /// from `defaults` (the profile, today, the customer `customerId` names).
    pub(crate) fn into_content(
        self,
        base: Option<&InvoiceContent>,
        defaults: &InvoiceDefaults,
    ) -> Result<InvoiceContent, ValidationError> {
        let mut checks = Checks::default();
        let customer = match &defaults.customer {
            Some(chosen) => Some(chosen.clone()),
            None => customer_of(&mut checks, self.customer, base.map(|b| &b.customer)),
        };
        let profile = &defaults.profile;
        let currency = match (self.currency.as_deref(), base, profile.default_currency) {
            (Some(code), _, _) => checks.take(Currency::parse(code)),
            (None, Some(base), _) => Some(base.currency),
            (None, None, Some(default)) => Some(default),
            (None, None, None) => {
                checks.take(Err(ValidationError::field("currency", "is required")))
            }
        };
        let issue_date = match (self.issue_date.as_deref(), base) {
            (Some(text), _) => checks.take(parse_date_field("issueDate", text)),
            (None, Some(base)) => Some(base.terms.issue_date),
            // An invoice entered late (due already) was issued by its due date at the latest.
            (None, None) => Some(match self.due_date.as_deref().map(parse_date) {
                Some(Ok(due)) => due.min(defaults.today),
                _ => defaults.today,
            }),
        };
        let terms_due = profile
            .payment_terms_days
            .zip(issue_date)
            .and_then(|(days, issued)| issued.checked_add(time::Duration::days(days)));
        let due_date = match (self.due_date.as_deref(), base, terms_due) {
            (Some(text), _, _) => checks.take(parse_date(text)),
            (None, Some(base), _) => Some(base.due_date),
            (None, None, Some(due)) => Some(due),
            (None, None, None) => {
                checks.take(Err(ValidationError::field("dueDate", "is required")))
            }
        };
        let discount = match (&self.discount, base) {
            (Some(value), _) => checks.take(discount(value)),
            (None, Some(base)) => Some(base.terms.discount),
            (None, None) => Some(Discount::None),
        };
        let items = match (self.items, base) {
            (Some(items), _) => items_of(&mut checks, items),
            (None, Some(base)) => Some(base.items.clone()),
            (None, None) => checks
                .take(Err(ValidationError::field("items", "an invoice needs at least one item"))),
        };
        let notes = self.notes.or_else(|| base.map(|b| b.notes.clone())).unwrap_or_default();
        let reference =
            self.reference.or_else(|| base.map(|b| b.terms.reference.clone())).unwrap_or_default();
        let payment_instructions = self
            .payment_instructions
            .or_else(|| base.map(|b| b.terms.payment_instructions.clone()))
            .unwrap_or_else(|| profile.payment_instructions.clone());
        checks.finish()?;
        let (
            Some(customer),
            Some(currency),
            Some(issue_date),
            Some(due_date),
            Some(discount),
            Some(items),
        ) = (customer, currency, issue_date, due_date, discount, items)
        else {
            return Err(ValidationError::field("body", "is invalid"));
        };
        if due_date < issue_date {
            return Err(ValidationError::field("dueDate", "must not be before the issue date"));
        }
        let terms = Terms { issue_date, reference, discount, payment_instructions };
        InvoiceContent::new(customer, currency, due_date, items, &notes)?.with_terms(terms)
    }
}

/// The inline customer, fields missing from the body taken from `base`. A changed name
/// unlinks the directory entry (the store links the new name); otherwise the link stays.
fn customer_of(
    checks: &mut Checks,
    input: Option<CustomerInput>,
    base: Option<&Customer>,
) -> Option<Customer> {
    let input = input.unwrap_or_default();
    let name = input.name.as_deref().or(base.map(|b| b.name.as_str()));
    let email = input.email.as_deref().or(base.map(|b| b.email.as_str()));
    let address = input.address.as_deref().or(base.map(|b| b.address.as_str())).unwrap_or("");
    let tax_id = input.tax_id.as_deref().or(base.map(|b| b.tax_id.as_str())).unwrap_or("");
    let (Some(name), Some(email)) = (
        checks.take(required("customer.name", name)),
        checks.take(required("customer.email", email)),
    ) else {
        return None;
    };
    let mut customer =
        checks.take(Customer::parse(name, email).and_then(|c| c.with_details(address, tax_id)))?;
    if let Some(base) = base.filter(|b| b.name == customer.name) {
        customer.id.clone_from(&base.id);
    }
    Some(customer)
}

fn items_of(checks: &mut Checks, items: Vec<ItemInput>) -> Option<Vec<LineItem>> {
    let mut parsed = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let at = format!("items[{i}]");
        let quantity = checks.take(integer(&format!("{at}.quantity"), item.quantity.as_ref()));
        let price = checks.take(integer(&format!("{at}.unitPrice"), item.unit_price.as_ref()));
        let rate = match item.tax_rate.as_ref().filter(|v| !v.is_null()) {
            Some(value) => checks.take(integer(&format!("{at}.taxRate"), Some(value))),
            None => Some(0),
        };
        let description = item.description.unwrap_or_default();
        if let (Some(quantity), Some(price), Some(rate)) = (quantity, price, rate) {
            let line = LineItem::parse(&at, &description, quantity, price)
                .and_then(|line| line.with_tax_rate(&at, rate));
            if let Some(line) = checks.take(line) {
                parsed.push(line);
            }
        }
    }
    Some(parsed)
}

/// `POST /api/invoices/{id}/payments`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct PaymentInput {
    /// Minor units.
    #[schema(value_type = i64, required = true)]
    pub(crate) amount: Option<Value>,
    pub(crate) method: Option<String>,
    pub(crate) reference: Option<String>,
}

/// `POST /api/invoices/{id}/payments/{paymentId}/refunds`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct RefundInput {
    /// Minor units; what is left to refund when absent.
    #[schema(value_type = Option<i64>)]
    pub(crate) amount: Option<Value>,
}

/// `POST /api/pay/{id}/intents`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct IntentInput {
    /// Minor units; the balance due when absent.
    #[schema(value_type = Option<i64>)]
    pub(crate) amount: Option<Value>,
}

/// `POST /api/pay/{id}/checkout`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct CheckoutInput {
    /// Minor units; the balance due when absent.
    #[schema(value_type = Option<i64>)]
    pub(crate) amount: Option<Value>,
    #[serde(default)]
    pub(crate) card: CardInput,
}

/// The card of a checkout.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub(crate) struct CardInput {
    #[serde(default)]
    pub(crate) number: String,
    #[serde(default)]
    pub(crate) expiry: String,
    #[serde(default)]
    pub(crate) cvc: String,
}

/// `POST /api/auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
pub(crate) struct LoginInput {
    #[serde(default)]
    pub(crate) email: String,
    #[serde(default)]
    pub(crate) password: String,
}

/// `PUT /api/profile`: every field optional (absent is empty).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub(crate) struct ProfileInput {
    pub(crate) legal_name: String,
    pub(crate) address: String,
    pub(crate) tax_id: String,
    pub(crate) email: String,
    pub(crate) phone: String,
    pub(crate) brand_color: String,
    pub(crate) default_currency: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub(crate) payment_terms_days: Option<Value>,
    pub(crate) payment_instructions: String,
    pub(crate) number_prefix: String,
}

/// `POST /api/customers` and, every field optional, `PATCH /api/customers/{id}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CustomerBody {
    pub(crate) name: Option<String>,
    pub(crate) email: Option<String>,
    pub(crate) address: Option<String>,
    pub(crate) tax_id: Option<String>,
    pub(crate) notes: Option<String>,
}
