//! The one place an invoice becomes a [`Document`]: the seller from the owner's business
//! profile and logo, the customer as the invoice keeps them (the copy it was sent with), the
//! lines, terms and totals as [`totals::compute`](crate::domain::totals::compute) made them.
//! Fields added to the invoice are mapped here and nowhere else.

use super::{Customer, Document, ImageKind, Line, Logo, Receipt, Seller, TaxTotal, Totals};
use crate::domain::invoice::format_date;
use crate::domain::{Invoice, InvoiceStatus, Payment, Profile};
use crate::store::StoredLogo;

/// The seller as the owner's profile has them: the legal name, or `account_name` while the
/// profile has none; the logo when it is a PNG or JPEG.
pub fn seller(profile: &Profile, account_name: &str, logo: Option<StoredLogo>) -> Seller {
    let text = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
    let name = text(&profile.legal_name).unwrap_or_else(|| account_name.to_owned());
    let logo = logo.and_then(|logo| {
        let kind = match logo.content_type.as_str() {
            "image/png" => ImageKind::Png,
            "image/jpeg" => ImageKind::Jpeg,
            _ => return None,
        };
        Some(Logo { bytes: logo.bytes, kind })
    });
    Seller {
        name,
        address: lines(&profile.address),
        tax_id: text(&profile.tax_id),
        email: text(&profile.email),
        phone: text(&profile.phone),
        logo,
    }
}

/// The non-empty lines of a multi-line address.
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|line| !line.is_empty()).map(str::to_owned).collect()
}

/// Who will read the PDF: the payer never sees e-mail addresses, as on the pay page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The signed-in owner.
    Owner,
    /// Whoever holds the payment link.
    Payer,
}

/// `invoice` of `seller`, payable at `pay_url`, for `reader`.
pub fn document(invoice: &Invoice, seller: Seller, pay_url: &str, reader: Reader) -> Document {
    let content = &invoice.content;
    let terms = &content.terms;
    let totals = &content.totals;
    let customer_tax_id = content.customer.tax_id.trim();
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
        seller,
        customer: Customer {
            name: content.customer.name.clone(),
            email: customer_email,
            address: lines(&content.customer.address),
            tax_id: Some(customer_tax_id.to_owned()).filter(|id| !id.is_empty()),
        },
        display_number: invoice.display_number(),
        issue_date: format_date(terms.issue_date),
        due_date: format_date(content.due_date),
        reference: Some(terms.reference.trim().to_owned()).filter(|r| !r.is_empty()),
        currency: content.currency,
        lines: content
            .items
            .iter()
            .map(|item| Line {
                description: item.description.clone(),
                quantity: item.quantity,
                unit_price: item.unit_price.minor(),
                tax_rate: Some(item.tax_rate).filter(|rate| *rate > 0),
                amount: item.amount.minor(),
            })
            .collect(),
        totals: Totals {
            subtotal: totals.subtotal,
            discount: Some(totals.discount_amount).filter(|amount| *amount > 0),
            taxes: totals.taxes.iter().map(|&(rate, amount)| TaxTotal { rate, amount }).collect(),
            total: content.total.minor(),
            amount_paid: invoice.amount_paid,
            balance_due: invoice.balance_due(),
        },
        pay_url: payable.then(|| pay_url.to_owned()),
        payment_instructions: Some(terms.payment_instructions.trim().to_owned())
            .filter(|text| !text.is_empty()),
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
