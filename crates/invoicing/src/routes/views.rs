//! Response bodies: the owner's view of an invoice, the payer's, payments and users.
//!
//! Every view derives [`ToSchema`] for the OpenAPI document ([`super::openapi`]) and carries
//! `#[serde(deny_unknown_fields)]`: serde ignores it when serialising, utoipa turns it into
//! `additionalProperties: false`, so the document promises no field beyond those listed. No
//! view uses `#[serde(flatten)]`: utoipa renders it as an `allOf`, which cannot refuse unknown
//! fields. A field that is always sent, `null` when empty, is marked `required`.

use serde::Serialize;
use url::Url;
use utoipa::ToSchema;

use crate::domain::invoice::format_date;
use crate::domain::status::OwnerAction;
use crate::domain::{
    CustomerRecord, Discount, Invoice, InvoiceContent, LineItem, Payment, PaymentSource, Profile,
    User,
};

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
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

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ItemView {
    description: String,
    quantity: i64,
    unit_price: i64,
    amount: i64,
    /// Basis points (`2000` = 20 %).
    tax_rate: u32,
}

impl From<&LineItem> for ItemView {
    fn from(item: &LineItem) -> Self {
        Self {
            description: item.description.clone(),
            quantity: item.quantity,
            unit_price: item.unit_price.minor(),
            amount: item.amount.minor(),
            tax_rate: item.tax_rate,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaxView {
    rate: u32,
    amount: i64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DiscountView {
    #[serde(skip_serializing_if = "Option::is_none")]
    percent: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
}

/// The figures and terms both views show the same way (`domain::totals`), moved into each
/// view's own fields (see the module's note on `flatten`).
struct Figures {
    display_number: String,
    issue_date: String,
    reference: String,
    subtotal: i64,
    discount: Option<DiscountView>,
    discount_amount: i64,
    taxes: Vec<TaxView>,
    payment_instructions: String,
}

impl Figures {
    fn new(invoice: &Invoice) -> Self {
        let content: &InvoiceContent = &invoice.content;
        let totals = &content.totals;
        let discount = match content.terms.discount {
            Discount::None => None,
            Discount::Percent(bp) => Some(DiscountView { percent: Some(bp), amount: None }),
            Discount::Amount(minor) => Some(DiscountView { percent: None, amount: Some(minor) }),
        };
        Self {
            display_number: invoice.display_number(),
            issue_date: format_date(content.terms.issue_date),
            reference: content.terms.reference.clone(),
            subtotal: totals.subtotal,
            discount,
            discount_amount: totals.discount_amount,
            taxes: totals.taxes.iter().map(|&(rate, amount)| TaxView { rate, amount }).collect(),
            payment_instructions: content.terms.payment_instructions.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CustomerView {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    address: String,
    tax_id: String,
}

/// The owner's view.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct InvoiceView {
    id: String,
    number: i64,
    status: &'static str,
    customer: CustomerView,
    currency: &'static str,
    items: Vec<ItemView>,
    display_number: String,
    issue_date: String,
    reference: String,
    subtotal: i64,
    /// As entered: `{"percent": bp}` or `{"amount": minor}`; `null` for none.
    #[schema(required = true)]
    discount: Option<DiscountView>,
    discount_amount: i64,
    taxes: Vec<TaxView>,
    payment_instructions: String,
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
        let figures = Figures::new(invoice);
        Self {
            id: invoice.id.to_string(),
            number: invoice.number,
            status: invoice.status.as_str(),
            customer: CustomerView {
                id: content.customer.id.as_ref().map(ToString::to_string),
                name: content.customer.name.clone(),
                email: Some(content.customer.email.to_string()),
                address: content.customer.address.clone(),
                tax_id: content.customer.tax_id.clone(),
            },
            currency: content.currency.code(),
            items: content.items.iter().map(ItemView::from).collect(),
            display_number: figures.display_number,
            issue_date: figures.issue_date,
            reference: figures.reference,
            subtotal: figures.subtotal,
            discount: figures.discount,
            discount_amount: figures.discount_amount,
            taxes: figures.taxes,
            payment_instructions: figures.payment_instructions,
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
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PublicInvoiceView {
    id: String,
    number: i64,
    status: &'static str,
    currency: &'static str,
    items: Vec<ItemView>,
    display_number: String,
    issue_date: String,
    reference: String,
    subtotal: i64,
    /// As entered: `{"percent": bp}` or `{"amount": minor}`; `null` for none.
    #[schema(required = true)]
    discount: Option<DiscountView>,
    discount_amount: i64,
    taxes: Vec<TaxView>,
    payment_instructions: String,
    total: i64,
    amount_paid: i64,
    balance_due: i64,
    due_date: String,
    /// The owner's notes to the customer (terms, bank details, thanks).
    notes: String,
    customer: CustomerView,
    business_name: String,
    seller: SellerView,
}

/// The seller as the payer sees it: the owner's profile, never their sign-in e-mail.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SellerView {
    name: String,
    address: String,
    tax_id: String,
    email: String,
    phone: String,
    brand_color: String,
    /// `/api/pay/{id}/logo` when the owner has a logo.
    #[serde(skip_serializing_if = "Option::is_none")]
    logo_url: Option<String>,
}

/// The seller of `invoice`, for its payer.
pub(crate) struct Seller<'a> {
    pub(crate) account_name: &'a str,
    pub(crate) profile: &'a Profile,
    pub(crate) has_logo: bool,
}

impl PublicInvoiceView {
    pub(crate) fn new(invoice: &Invoice, seller: &Seller<'_>) -> Self {
        let content = &invoice.content;
        let profile = seller.profile;
        let figures = Figures::new(invoice);
        let name = if profile.legal_name.is_empty() {
            seller.account_name.to_owned()
        } else {
            profile.legal_name.clone()
        };
        Self {
            id: invoice.id.to_string(),
            number: invoice.number,
            status: invoice.status.as_str(),
            currency: content.currency.code(),
            items: content.items.iter().map(ItemView::from).collect(),
            display_number: figures.display_number,
            issue_date: figures.issue_date,
            reference: figures.reference,
            subtotal: figures.subtotal,
            discount: figures.discount,
            discount_amount: figures.discount_amount,
            taxes: figures.taxes,
            payment_instructions: figures.payment_instructions,
            total: content.total.minor(),
            amount_paid: invoice.amount_paid,
            balance_due: invoice.balance_due(),
            due_date: format_date(content.due_date),
            notes: content.notes.clone(),
            customer: CustomerView {
                id: None,
                name: content.customer.name.clone(),
                email: None,
                address: content.customer.address.clone(),
                tax_id: content.customer.tax_id.clone(),
            },
            business_name: name.clone(),
            seller: SellerView {
                name,
                address: profile.address.clone(),
                tax_id: profile.tax_id.clone(),
                email: profile.email.clone(),
                phone: profile.phone.clone(),
                brand_color: profile.brand_color.clone(),
                logo_url: seller.has_logo.then(|| format!("/api/pay/{}/logo", invoice.id)),
            },
        }
    }
}

/// `GET /api/profile`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ProfileView {
    legal_name: String,
    address: String,
    tax_id: String,
    email: String,
    phone: String,
    brand_color: String,
    #[schema(required = true)]
    default_currency: Option<&'static str>,
    #[schema(required = true)]
    payment_terms_days: Option<i64>,
    payment_instructions: String,
    number_prefix: String,
    /// `/api/profile/logo` when there is a logo.
    #[schema(required = true)]
    logo_url: Option<String>,
}

impl ProfileView {
    pub(crate) fn new(profile: &Profile, has_logo: bool) -> Self {
        Self {
            legal_name: profile.legal_name.clone(),
            address: profile.address.clone(),
            tax_id: profile.tax_id.clone(),
            email: profile.email.clone(),
            phone: profile.phone.clone(),
            brand_color: profile.brand_color.clone(),
            default_currency: profile.default_currency.map(|c| c.code()),
            payment_terms_days: profile.payment_terms_days,
            payment_instructions: profile.payment_instructions.clone(),
            number_prefix: profile.number_prefix.clone(),
            logo_url: has_logo.then(|| "/api/profile/logo".to_owned()),
        }
    }
}

/// A customer of the directory.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CustomerRecordView {
    id: String,
    name: String,
    email: String,
    address: String,
    tax_id: String,
    notes: String,
    created_at: String,
    updated_at: String,
}

impl From<&CustomerRecord> for CustomerRecordView {
    fn from(record: &CustomerRecord) -> Self {
        let c = &record.customer;
        Self {
            id: record.id.to_string(),
            name: c.name.clone(),
            email: c.email.to_string(),
            address: c.address.clone(),
            tax_id: c.tax_id.clone(),
            notes: record.notes.clone(),
            created_at: record.created_at.to_iso(),
            updated_at: record.updated_at.to_iso(),
        }
    }
}
