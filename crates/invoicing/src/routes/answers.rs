//! Response bodies that wrap the views of [`super::views`] or carry a few plain values: lists,
//! `{payment, invoice}`, switches, the browser's configuration. Typed rather than
//! `serde_json::json!` so that the OpenAPI document ([`super::openapi`]) is derived from what
//! the handlers send; strict (`deny_unknown_fields`) for the reason given in `views`.

use serde::Serialize;
use utoipa::ToSchema;

use super::views::{CustomerRecordView, InvoiceView, PaymentView, PublicInvoiceView, UserView};

/// `{user}`: who is signed in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UserAnswer {
    pub(crate) user: UserView,
}

/// `GET /api/invoices`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvoiceList {
    /// Newest first.
    pub(crate) invoices: Vec<InvoiceView>,
}

/// `GET /api/customers`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerList {
    /// By name.
    pub(crate) customers: Vec<CustomerRecordView>,
}

/// `GET /api/customers/{id}`: the customer, their invoices and what they owe.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerAccountView {
    pub(crate) customer: CustomerRecordView,
    pub(crate) invoices: Vec<InvoiceView>,
    /// Per currency, over the invoices awaiting money.
    pub(crate) outstanding: Vec<OutstandingView>,
}

/// What a customer owes in one currency.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OutstandingView {
    pub(crate) currency: &'static str,
    /// Minor units.
    pub(crate) amount: i64,
}

/// `PUT /api/profile/logo`: the logo as checked.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LogoView {
    /// `image/png` or `image/jpeg`.
    pub(crate) content_type: &'static str,
    /// Pixels.
    pub(crate) width: u32,
    /// Pixels.
    pub(crate) height: u32,
    /// `/api/profile/logo`.
    pub(crate) logo_url: &'static str,
}

/// A payment recorded by the owner, with the invoice after it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecordedPayment {
    pub(crate) payment: PaymentView,
    pub(crate) invoice: InvoiceView,
}

/// A payment made on the payment page, with the invoice as its payer sees it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PayerPayment {
    pub(crate) payment: PaymentView,
    pub(crate) invoice: PublicInvoiceView,
}

/// A refund, the payment it took back from and the invoice after it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefundAnswer {
    pub(crate) refund: RefundView,
    pub(crate) payment: PaymentView,
    pub(crate) invoice: InvoiceView,
}

/// One refund.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RefundView {
    pub(crate) payment_id: String,
    /// Minor units.
    pub(crate) amount: i64,
}

/// `POST /api/pay/{id}/intents`: what Stripe.js needs to confirm the payment.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct IntentView {
    /// `pi_…`.
    pub(crate) payment_intent_id: String,
    pub(crate) client_secret: String,
    pub(crate) publishable_key: String,
    /// Minor units reserved.
    pub(crate) amount: i64,
}

/// `{enabled}` of a reminder or notice switch.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SwitchView {
    pub(crate) enabled: bool,
}

/// `GET /api/push/key`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PushKeyView {
    /// Unpadded base64url of the 65-byte P-256 point.
    pub(crate) public_key: String,
}

/// A push subscription as stored.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SubscriptionView {
    pub(crate) endpoint: String,
}

/// `GET /api/config`: what the web app needs for realtime and payments.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ConfigView {
    pub(crate) pusher: PusherView,
    /// Whether channels are `private-` ones, authorised by `POST /pusher/auth`.
    pub(crate) private_channels: bool,
    pub(crate) payments: PaymentsView,
}

/// pusher-js's options.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PusherView {
    pub(crate) key: String,
    pub(crate) cluster: String,
    pub(crate) ws_host: String,
    pub(crate) ws_port: u16,
    #[serde(rename = "forceTLS")]
    pub(crate) force_tls: bool,
}

/// The payment provider the pay page talks to.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PaymentsView {
    /// `test` or `stripe`.
    pub(crate) provider: &'static str,
    /// Stripe's publishable key (Stripe only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) publishable_key: Option<String>,
    /// Where Stripe.js is loaded from (Stripe only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) js_url: Option<String>,
}

/// `POST /pusher/auth`: the signature pusher-js subscribes with (`pusher_client::ChannelAuth`
/// as this backend fills it: private channels only, so no `channel_data`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChannelAuthView {
    /// `<key>:<hex hmac>`.
    pub(crate) auth: String,
}

/// `POST /api/stripe/webhook`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WebhookAnswer {
    /// Always `true`.
    pub(crate) received: bool,
    /// `handled`, `repeated` or `ignored`.
    pub(crate) outcome: &'static str,
}

/// `GET /health` and `GET /ready`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusView {
    /// `ok` (health); `ready`, `draining` or `database unreachable` (readiness).
    pub(crate) status: &'static str,
}
