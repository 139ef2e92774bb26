//! The owner's business profile (the seller on every invoice) and the customer directory.

use super::invoice::{Customer, MAX_NOTES, MAX_REFERENCE};
use super::text::{multi_line, optional_line, single_line};
use super::{Checks, Currency, CustomerId, Email, Timestamp, ValidationError};

/// Longest legal name, e-mail, phone and customer name.
const MAX_NAME: usize = 200;
/// Longest number prefix.
const MAX_PREFIX: usize = 20;
/// Longest default payment terms, in days.
pub const MAX_TERMS_DAYS: i64 = 365;

/// The seller: what invoices, the payment page and e-mails show about the owner's business.
/// Every field may be empty (a new owner has none).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    /// Legal or trading name; the account name stands in while empty.
    pub legal_name: String,
    /// Postal address, several lines.
    pub address: String,
    /// Tax id (VAT number…).
    pub tax_id: String,
    /// Contact e-mail shown to customers, possibly empty.
    pub email: String,
    /// Contact phone.
    pub phone: String,
    /// `#rrggbb`, or empty for the default.
    pub brand_color: String,
    /// The currency a new invoice starts in.
    pub default_currency: Option<Currency>,
    /// Days from issue to due date for a new invoice without a due date.
    pub payment_terms_days: Option<i64>,
    /// Bank transfer details and the like, copied onto each new invoice.
    pub payment_instructions: String,
    /// Put before the zero-padded number (`INV-2026-` → `INV-2026-0007`); empty for `#7`.
    pub number_prefix: String,
}

/// A profile as sent by the client, before its checks.
#[derive(Debug, Default)]
pub struct ProfileFields<'a> {
    /// See [`Profile`].
    pub legal_name: &'a str,
    /// See [`Profile`].
    pub address: &'a str,
    /// See [`Profile`].
    pub tax_id: &'a str,
    /// See [`Profile`].
    pub email: &'a str,
    /// See [`Profile`].
    pub phone: &'a str,
    /// See [`Profile`].
    pub brand_color: &'a str,
    /// See [`Profile`]; empty for none.
    pub default_currency: &'a str,
    /// See [`Profile`].
    pub payment_terms_days: Option<i64>,
    /// See [`Profile`].
    pub payment_instructions: &'a str,
    /// See [`Profile`].
    pub number_prefix: &'a str,
}

impl Profile {
    /// Checks every field, reporting all problems at once.
    ///
    /// # Errors
    /// [`ValidationError`] naming each bad field (camelCase, as in the API).
    pub fn parse(fields: &ProfileFields<'_>) -> Result<Self, ValidationError> {
        let mut c = Checks::default();
        let legal_name = c.take(optional_line("legalName", fields.legal_name, MAX_NAME));
        let address = c.take(multi_line("address", fields.address, MAX_NOTES));
        let tax_id = c.take(optional_line("taxId", fields.tax_id, MAX_REFERENCE));
        let email = match fields.email.trim() {
            "" => Some(String::new()),
            text => c.take(Email::parse(text).map(|e| e.to_string()).map_err(|_| {
                ValidationError::field("email", "must be an e-mail address or empty")
            })),
        };
        let phone = c.take(optional_line("phone", fields.phone, 50));
        let brand_color = c.take(brand_color(fields.brand_color));
        let default_currency = match fields.default_currency.trim() {
            "" => Some(None),
            code => {
                c.take(Currency::parse(code).map(Some).map_err(|e| rename(e, "defaultCurrency")))
            }
        };
        if fields.payment_terms_days.is_some_and(|d| !(0..=MAX_TERMS_DAYS).contains(&d)) {
            c.fail("paymentTermsDays", format!("must be between 0 and {MAX_TERMS_DAYS}"));
        }
        let payment_instructions =
            c.take(multi_line("paymentInstructions", fields.payment_instructions, MAX_NOTES));
        let number_prefix = c.take(number_prefix(fields.number_prefix));
        c.finish()?;
        Ok(Self {
            legal_name: legal_name.unwrap_or_default(),
            address: address.unwrap_or_default(),
            tax_id: tax_id.unwrap_or_default(),
            email: email.unwrap_or_default(),
            phone: phone.unwrap_or_default(),
            brand_color: brand_color.unwrap_or_default(),
            default_currency: default_currency.flatten(),
            payment_terms_days: fields.payment_terms_days,
            payment_instructions: payment_instructions.unwrap_or_default(),
            number_prefix: number_prefix.unwrap_or_default(),
        })
    }
}

fn rename(error: ValidationError, field: &str) -> ValidationError {
    let message = error.fields.into_values().next().unwrap_or_default();
    ValidationError::field(field, message)
}

/// `#rrggbb` (lower-cased), or empty.
fn brand_color(value: &str) -> Result<String, ValidationError> {
    let value = value.trim();
    let hex = value.strip_prefix('#').unwrap_or("");
    if value.is_empty() {
        Ok(String::new())
    } else if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(ValidationError::field("brandColor", "must be a colour written #rrggbb"))
    }
}

/// Letters, digits and `-_/.#`, at most [`MAX_PREFIX`] characters, or empty.
fn number_prefix(value: &str) -> Result<String, ValidationError> {
    let value = value.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-_/.#".contains(c);
    if value.chars().count() > MAX_PREFIX || !value.chars().all(allowed) {
        return Err(ValidationError::field(
            "numberPrefix",
            format!("at most {MAX_PREFIX} letters, digits or -_/.#"),
        ));
    }
    Ok(value.to_owned())
}

/// A customer of the owner's directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerRecord {
    /// Random id.
    pub id: CustomerId,
    /// Name, e-mail, address and tax id, as a new invoice copies them.
    pub customer: Customer,
    /// The owner's own notes, never on an invoice.
    pub notes: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl CustomerRecord {
    /// Checks the fields of a customer.
    ///
    /// # Errors
    /// [`ValidationError`] on `name`, `email`, `address`, `taxId` or `notes`.
    pub fn parse(
        id: CustomerId,
        name: &str,
        email: &str,
        address: &str,
        tax_id: &str,
        notes: &str,
        now: Timestamp,
    ) -> Result<Self, ValidationError> {
        let mut c = Checks::default();
        let name = c.take(single_line("name", name, MAX_NAME));
        let email = c.take(Email::parse(email).map_err(|e| rename(e, "email")));
        let address = c.take(multi_line("address", address, MAX_NOTES));
        let tax_id = c.take(optional_line("taxId", tax_id, MAX_REFERENCE));
        let notes = c.take(multi_line("notes", notes, MAX_NOTES));
        c.finish()?;
        let (Some(name), Some(email)) = (name, email) else {
            return Err(ValidationError::field("name", "is invalid"));
        };
        let customer = Customer {
            id: Some(id.clone()),
            name,
            email,
            address: address.unwrap_or_default(),
            tax_id: tax_id.unwrap_or_default(),
        };
        Ok(Self {
            id,
            customer,
            notes: notes.unwrap_or_default(),
            created_at: now,
            updated_at: now,
        })
    }
}

/// The key a customer's name is matched by: trimmed and lower-cased, so "ada " and "Ada" are
/// one customer when an invoice names them inline.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_checked_field_by_field() {
        let good = ProfileFields {
            legal_name: " Demo Bakery Ltd ",
            brand_color: "#A1B2C3",
            default_currency: "EUR",
            payment_terms_days: Some(30),
            number_prefix: "INV-2026-",
            email: "billing@example.com",
            ..ProfileFields::default()
        };
        let profile = Profile::parse(&good).unwrap();
        assert_eq!(profile.legal_name, "Demo Bakery Ltd");
        assert_eq!(profile.brand_color, "#a1b2c3");
        assert_eq!(profile.default_currency.map(Currency::code), Some("EUR"));
        let bad = ProfileFields {
            brand_color: "red",
            default_currency: "EURO",
            payment_terms_days: Some(400),
            number_prefix: "INV 2026",
            email: "nope",
            legal_name: "a\u{202E}b",
            ..ProfileFields::default()
        };
        let error = Profile::parse(&bad).unwrap_err();
        let fields: Vec<&str> = error.fields.keys().map(String::as_str).collect();
        assert_eq!(
            fields,
            [
                "brandColor",
                "defaultCurrency",
                "email",
                "legalName",
                "numberPrefix",
                "paymentTermsDays"
            ]
        );
        assert_eq!(Profile::parse(&ProfileFields::default()).unwrap(), Profile::default());
    }

    #[test]
    fn customers_need_a_name_and_an_email() {
        let now = Timestamp::now();
        let id = CustomerId::new();
        assert!(CustomerRecord::parse(id.clone(), "", "x", "", "", "", now).is_err());
        let record =
            CustomerRecord::parse(id, " Ada ", "ada@example.com", "1 Road\nTown", "GB1", "", now)
                .unwrap();
        assert_eq!(record.customer.name, "Ada");
        assert_eq!(record.customer.id, Some(record.id.clone()));
        assert_eq!(name_key(" ADA "), "ada");
    }
}
