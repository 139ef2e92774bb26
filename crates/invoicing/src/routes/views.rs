//! Response bodies: the owner's view of an invoice, the payer's, payments and users.

use serde::Serialize;
use url::Url;

use crate::domain::invoice::format_date;
use crate::domain::status::OwnerAction;
use crate::domain::{Invoice, LineItem, Payment, PaymentSource, User};

#[derive(Debug, Serialize)]
pub(crate) struct UserView {
    id: String,
    email: String,
    name: String,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        Self { id: user.id.to_string(), email: user.email.to_string(), name: user.name.clone() }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ItemView {
    description: String,
    quantity: i64,
    unit_price: i64,
    amount: i64,
}

impl From<&LineItem> for ItemView {
    fn from(item: &LineItem) -> Self {
        Self {
            description: item.description.clone(),
            quantity: item.quantity,
            unit_price: item.unit_price.minor(),
            amount: item.amount.minor(),
        }
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentView {
    id: String,
    amount: i64,
    method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<String>,
    created_at: String,
    /// `owner` (recorded by hand) or `provider` (paid by card).
    source: &'static str,
    /// Whether the owner may remove it now: recorded by the owner, and the invoice's status
    /// allows `remove_payment`.
    removable: bool,
    /// Minor units refunded so far.
    refunded: i64,
    /// Whether the owner may refund (some of) it now: a card payment not refunded in full, on
    /// an invoice whose status lets a payment be taken back.
    refundable: bool,
}

impl PaymentView {
    /// `payment` of an invoice whose allowed actions are `actions`.
    fn new(payment: &Payment, actions: &[OwnerAction]) -> Self {
        let takes_back = actions.contains(&OwnerAction::RemovePayment);
        let removable = payment.source == PaymentSource::Owner && takes_back;
        let refundable = payment.source == PaymentSource::Provider
            && payment.refunded < payment.amount.minor()
            && takes_back;
        Self {
            id: payment.id.to_string(),
            amount: payment.amount.minor(),
            method: payment.method.clone(),
            reference: payment.reference.clone(),
            created_at: payment.created_at.to_iso(),
            source: payment.source.as_str(),
            removable,
            refunded: payment.refunded,
            refundable,
        }
    }

    /// `payment` as recorded into `invoice`.
    pub(crate) fn of(payment: &Payment, invoice: &Invoice) -> Self {
        Self::new(payment, &invoice.status.allowed_actions())
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct CustomerView {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

/// The owner's view.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvoiceView {
    id: String,
    number: i64,
    status: &'static str,
    customer: CustomerView,
    currency: &'static str,
    items: Vec<ItemView>,
    total: i64,
    amount_paid: i64,
    balance_due: i64,
    due_date: String,
    notes: String,
    created_at: String,
    updated_at: String,
    payments: Vec<PaymentView>,
    pay_url: String,
    /// What the owner may do next, decided by the status machine alone.
    actions: Vec<&'static str>,
}

/// `{public base}/pay/{id}`.
pub(crate) fn pay_url(base: &Url, invoice: &Invoice) -> String {
    format!("{}/pay/{}", base.as_str().trim_end_matches('/'), invoice.id)
}

impl InvoiceView {
    pub(crate) fn new(invoice: &Invoice, public_url: &Url) -> Self {
        let content = &invoice.content;
        let actions = invoice.status.allowed_actions();
        Self {
            id: invoice.id.to_string(),
            number: invoice.number,
            status: invoice.status.as_str(),
            customer: CustomerView {
                name: content.customer.name.clone(),
                email: Some(content.customer.email.to_string()),
            },
            currency: content.currency.code(),
            items: content.items.iter().map(ItemView::from).collect(),
            total: content.total.minor(),
            amount_paid: invoice.amount_paid,
            balance_due: invoice.balance_due(),
            due_date: format_date(content.due_date),
            notes: content.notes.clone(),
            created_at: invoice.created_at.to_iso(),
            updated_at: invoice.updated_at.to_iso(),
            payments: invoice.payments.iter().map(|p| PaymentView::new(p, &actions)).collect(),
            pay_url: pay_url(public_url, invoice),
            actions: actions.into_iter().map(OwnerAction::as_str).collect(),
        }
    }
}

/// What the payer may see: the bill and its notes; no e-mail address, no payments list.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublicInvoiceView {
    id: String,
    number: i64,
    status: &'static str,
    currency: &'static str,
    items: Vec<ItemView>,
    total: i64,
    amount_paid: i64,
    balance_due: i64,
    due_date: String,
    /// The owner's notes to the customer (terms, bank details, thanks).
    notes: String,
    customer: CustomerView,
    business_name: String,
}

impl PublicInvoiceView {
    pub(crate) fn new(invoice: &Invoice, business_name: &str) -> Self {
        let content = &invoice.content;
        Self {
            id: invoice.id.to_string(),
            number: invoice.number,
            status: invoice.status.as_str(),
            currency: content.currency.code(),
            items: content.items.iter().map(ItemView::from).collect(),
            total: content.total.minor(),
            amount_paid: invoice.amount_paid,
            balance_due: invoice.balance_due(),
            due_date: format_date(content.due_date),
            notes: content.notes.clone(),
            customer: CustomerView { name: content.customer.name.clone(), email: None },
            business_name: business_name.to_owned(),
        }
    }
}
