//! Rows as read from the database, and their conversion into domain values.

use std::collections::HashMap;

use crate::domain::invoice::parse_date;
use crate::domain::text::strip_unsafe;
use crate::domain::{
    Amount, Currency, Customer, CustomerId, Discount, Email, Invoice, InvoiceContent, InvoiceId,
    InvoiceStatus, LineItem, Payment, PaymentId, PaymentSource, Terms, Timestamp, User, UserId,
};

use super::StoreError;

#[derive(Debug, sqlx::FromRow)]
pub(super) struct UserRow {
    pub(super) id: String,
    pub(super) email: String,
    pub(super) name: String,
    pub(super) created_at: i64,
}

impl UserRow {
    pub(super) fn into_user(self) -> Result<User, StoreError> {
        Ok(User {
            id: UserId::from_store(self.id),
            email: Email::parse(&self.email).map_err(corrupt)?,
            name: self.name,
            created_at: Timestamp::from_millis(self.created_at),
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct InvoiceRow {
    pub(super) id: String,
    pub(super) user_id: String,
    pub(super) number: i64,
    pub(super) status: String,
    pub(super) customer_name: String,
    pub(super) customer_email: String,
    pub(super) currency: String,
    pub(super) amount_paid: i64,
    pub(super) due_date: String,
    pub(super) notes: String,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
    pub(super) number_prefix: String,
    pub(super) customer_id: Option<String>,
    pub(super) customer_address: String,
    pub(super) customer_tax_id: String,
    pub(super) issue_date: String,
    pub(super) reference: String,
    pub(super) discount_kind: String,
    pub(super) discount_value: i64,
    pub(super) payment_instructions: String,
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct ItemRow {
    pub(super) invoice_id: String,
    pub(super) description: String,
    pub(super) quantity: i64,
    pub(super) unit_price: i64,
    pub(super) tax_rate: i64,
}

/// `(discount_kind, discount_value)` as stored.
pub(super) fn discount_columns(discount: Discount) -> (&'static str, i64) {
    match discount {
        Discount::None => ("", 0),
        Discount::Percent(bp) => ("percent", i64::from(bp)),
        Discount::Amount(minor) => ("amount", minor),
    }
}

fn discount_of(kind: &str, value: i64) -> Result<Discount, StoreError> {
    match kind {
        "" => Ok(Discount::None),
        "percent" => Discount::percent(value).map_err(corrupt),
        "amount" => Discount::amount(value).map_err(corrupt),
        other => Err(corrupt(format!("unknown discount kind {other:?}"))),
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(super) struct PaymentRow {
    pub(super) id: String,
    pub(super) invoice_id: String,
    pub(super) amount: i64,
    pub(super) method: String,
    pub(super) reference: Option<String>,
    pub(super) created_at: i64,
    pub(super) source: String,
    pub(super) refunded: i64,
}

pub(super) fn corrupt(error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(error.to_string())
}

/// Assembles invoices from their rows; items and payments are in display order.
pub(super) fn assemble(
    invoices: Vec<InvoiceRow>,
    items: Vec<ItemRow>,
    payments: Vec<PaymentRow>,
) -> Result<Vec<Invoice>, StoreError> {
    let mut items_of: HashMap<String, Vec<ItemRow>> = HashMap::new();
    for item in items {
        items_of.entry(item.invoice_id.clone()).or_default().push(item);
    }
    let mut payments_of: HashMap<String, Vec<PaymentRow>> = HashMap::new();
    for payment in payments {
        payments_of.entry(payment.invoice_id.clone()).or_default().push(payment);
    }
    invoices
        .into_iter()
        .map(|row| {
            let items = items_of.remove(&row.id).unwrap_or_default();
            let payments = payments_of.remove(&row.id).unwrap_or_default();
            invoice(row, items, payments)
        })
        .collect()
}

fn invoice(
    row: InvoiceRow,
    items: Vec<ItemRow>,
    payments: Vec<PaymentRow>,
) -> Result<Invoice, StoreError> {
    let items = items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let at = format!("items[{i}]");
            LineItem::parse(&at, &strip_unsafe(&item.description), item.quantity, item.unit_price)?
                .with_tax_rate(&at, item.tax_rate)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(corrupt)?;
    let name = strip_unsafe(&row.customer_name);
    let mut customer = Customer::parse(&name, &row.customer_email)
        .and_then(|c| {
            c.with_details(
                &strip_unsafe(&row.customer_address),
                &strip_unsafe(&row.customer_tax_id),
            )
        })
        .map_err(corrupt)?;
    customer.id = row.customer_id.map(CustomerId::from_store);
    let currency = Currency::parse(&row.currency).map_err(corrupt)?;
    let due_date = parse_date(&row.due_date).map_err(corrupt)?;
    // Rows from before issue dates existed were given their creation date by the migration.
    let issue_date = parse_date(&row.issue_date).map_err(corrupt)?;
    let terms = Terms {
        issue_date,
        reference: strip_unsafe(&row.reference),
        discount: discount_of(&row.discount_kind, row.discount_value)?,
        payment_instructions: strip_unsafe(&row.payment_instructions),
    };
    let content =
        InvoiceContent::new(customer, currency, due_date, items, &strip_unsafe(&row.notes))
            .and_then(|content| content.with_terms(terms))
            .map_err(corrupt)?;
    let payments = payments
        .into_iter()
        .map(|p| {
            Ok(Payment {
                id: PaymentId::from_store(p.id),
                amount: Amount::parse("amount", p.amount).map_err(corrupt)?,
                method: p.method,
                reference: p.reference,
                created_at: Timestamp::from_millis(p.created_at),
                source: PaymentSource::parse(&p.source)
                    .ok_or_else(|| corrupt(format!("unknown payment source {:?}", p.source)))?,
                refunded: p.refunded,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Invoice {
        id: InvoiceId::from_store(row.id),
        user_id: UserId::from_store(row.user_id),
        number: row.number,
        number_prefix: row.number_prefix,
        status: InvoiceStatus::parse(&row.status)
            .ok_or_else(|| corrupt(format!("unknown status {:?}", row.status)))?,
        content,
        amount_paid: row.amount_paid,
        created_at: Timestamp::from_millis(row.created_at),
        updated_at: Timestamp::from_millis(row.updated_at),
        payments,
    })
}
