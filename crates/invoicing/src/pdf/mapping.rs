//! The one place an invoice becomes a [`Document`]: what exists today is filled in, what the
//! invoice does not have yet (seller address and tax id, logo, customer address, tax rates,
//! discount, issue date, reference, payment instructions) is left empty. Fields added to the
//! invoice are mapped here and nowhere else.

use super::{Customer, Document, Line, Receipt, Seller, Totals};
use crate::domain::invoice::format_date;
use crate::domain::{Invoice, InvoiceStatus, Payment};

/// Who will read the PDF: the payer never sees e-mail addresses, as on the pay page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The signed-in owner.
    Owner,
    /// Whoever holds the payment link.
    Payer,
}

/// `invoice` of the business named `business_name`, payable at `pay_url`, for `reader`.
pub fn document(invoice: &Invoice, business_name: &str, pay_url: &str, reader: Reader) -> Document {
    let content = &invoice.content;
    let customer_email = match reader {
        Reader::Owner => Some(content.customer.email.to_string()),
        Reader::Payer => None,
    };
    let stamp = match invoice.status {
        InvoiceStatus::Draft => Some("DRAFT"),
        InvoiceStatus::Void => Some("VOID"),
        InvoiceStatus::Paid => Some("PAID"),
        InvoiceStatus::Sent | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue => None,
    };
    let payable = matches!(
        invoice.status,
        InvoiceStatus::Sent | InvoiceStatus::PartiallyPaid | InvoiceStatus::Overdue
    );
    Document {
        seller: Seller { name: business_name.to_owned(), ..Seller::default() },
        customer: Customer {
            name: content.customer.name.clone(),
            email: customer_email,
            ..Customer::default()
        },
        display_number: format!("#{}", invoice.number),
        issue_date: format_date(invoice.created_at.date()),
        due_date: format_date(content.due_date),
        reference: None,
        currency: content.currency,
        lines: content
            .items
            .iter()
            .map(|item| Line {
                description: item.description.clone(),
                quantity: item.quantity,
                unit_price: item.unit_price.minor(),
                tax_rate: None,
                amount: item.amount.minor(),
            })
            .collect(),
        totals: Totals {
            subtotal: content.total.minor(),
            discount: None,
            taxes: Vec::new(),
            total: content.total.minor(),
            amount_paid: invoice.amount_paid,
            balance_due: invoice.balance_due(),
        },
        pay_url: payable.then(|| pay_url.to_owned()),
        payment_instructions: None,
        notes: Some(content.notes.clone()).filter(|notes| !notes.trim().is_empty()),
        stamp: stamp.map(str::to_owned),
    }
}

/// The receipt of `payment`.
pub fn receipt(payment: &Payment) -> Receipt {
    Receipt {
        amount: payment.amount.minor(),
        refunded: payment.refunded,
        date: format_date(payment.created_at.date()),
        method: payment.method.clone(),
        reference: payment.reference.clone(),
        id: payment.id.to_string(),
    }
}
