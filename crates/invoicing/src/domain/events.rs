//! What each change publishes (DESIGN.md, "Which change publishes what"), as outbox rows.
//!
//! A change yields one payload (`title`, `body`, `type`, `invoiceId`, `status`, `sentAt`, and
//! for a payment, its removal or its refund the `amount` in minor units and the `currency`) and one row
//! per channel and event; each row gets its own `eventId`, stable across retries
//! because it is written once, with the payload, in the change's transaction.

use serde::Serialize;

use super::{
    Amount, Invoice, InvoiceStatus, PaymentEffect, RefundEffect, RemovalEffect, Timestamp, UserId,
};

/// Event names.
pub mod names {
    /// On the user channel when an invoice is created.
    pub const INVOICE_CREATED: &str = "invoice.created";
    /// On both channels when an invoice is edited; on the user channel for status changes.
    pub const INVOICE_UPDATED: &str = "invoice.updated";
    /// On the invoice channel when its status changes.
    pub const STATUS_CHANGED: &str = "invoice.status.changed";
    /// On both channels when a payment is recorded.
    pub const PAYMENT_RECEIVED: &str = "payment.received";
}

/// How channels are named: public (`invoice.{id}`) or hardened (`private-invoice.{id}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelNames {
    /// Whether names carry the `private-` prefix.
    pub private: bool,
}

impl ChannelNames {
    fn prefix(self) -> &'static str {
        if self.private { "private-" } else { "" }
    }

    /// `invoice.{id}`, prefixed in private mode.
    pub fn invoice(self, invoice_id: &str) -> String {
        format!("{}invoice.{invoice_id}", self.prefix())
    }

    /// `user.{id}.invoices`, prefixed in private mode.
    pub fn user(self, user_id: &str) -> String {
        format!("{}user.{user_id}.invoices", self.prefix())
    }
}

/// A change to an invoice that clients hear about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A new draft.
    Created,
    /// Content edited.
    Edited,
    /// Sent, overdue or void.
    StatusChanged,
    /// A payment; `previous` is the status before it.
    PaymentReceived {
        /// The payment's amount.
        amount: Amount,
        /// The status before the payment.
        previous: InvoiceStatus,
    },
    /// A manually recorded payment taken back (a correction); `previous` is the status before.
    PaymentRemoved {
        /// The removed payment's amount.
        amount: Amount,
        /// The status before the removal.
        previous: InvoiceStatus,
    },
    /// A card payment refunded, whole or in part; `previous` is the status before.
    PaymentRefunded {
        /// How much was given back.
        amount: Amount,
        /// The status before the refund.
        previous: InvoiceStatus,
    },
}

impl Change {
    /// The money this change is about, for the payload's `amount`.
    fn amount(self) -> Option<Amount> {
        match self {
            Self::Created | Self::Edited | Self::StatusChanged => None,
            Self::PaymentReceived { amount, .. }
            | Self::PaymentRemoved { amount, .. }
            | Self::PaymentRefunded { amount, .. } => Some(amount),
        }
    }
}

/// One row of the outbox: an event for one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// The payload's `eventId`.
    pub event_id: String,
    /// The invoice it is about: events of one invoice are published in the order written.
    pub invoice_id: String,
    /// Channel name.
    pub channel: String,
    /// Event name.
    pub event: &'static str,
    /// The payload as JSON text, published byte for byte.
    pub payload: String,
    /// The owner whose browsers are pushed this row's payload (Web Push): set on the user
    /// channel's row of a payment or a refund, the events the owner is told about.
    pub push_to: Option<UserId>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Payload<'a> {
    title: &'a str,
    body: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    invoice_id: &'a str,
    status: &'a str,
    sent_at: &'a str,
    event_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'a str>,
}

/// The rows `change` (already applied to `invoice`) publishes.
pub fn outbox_events(
    change: Change,
    invoice: &Invoice,
    channels: ChannelNames,
    now: Timestamp,
) -> Vec<OutboxEvent> {
    use names::{INVOICE_CREATED, INVOICE_UPDATED, STATUS_CHANGED};
    let id = invoice.id.as_str();
    // The display number: `#7`, or `INV-2026-0007` with the owner's number prefix.
    let number = invoice.display_number();
    let status = invoice.status;
    let (on_invoice, on_user) = (channels.invoice(id), channels.user(invoice.user_id.as_str()));
    let on_user_name = on_user.clone();
    let (title, body, kind, targets) = match change {
        Change::Created => (
            "🧾 Invoice Created".to_owned(),
            format!("Invoice {number} has been created"),
            "invoice_created".to_owned(),
            vec![(on_user, INVOICE_CREATED)],
        ),
        Change::Edited => (
            "Invoice Updated".to_owned(),
            format!("Invoice {number} has been updated"),
            "invoice_updated".to_owned(),
            vec![(on_invoice, INVOICE_UPDATED), (on_user, INVOICE_UPDATED)],
        ),
        Change::StatusChanged => (
            format!("Invoice Status: {status}"),
            format!("Invoice {number} status changed to {status}"),
            format!("invoice_{status}"),
            vec![(on_invoice, STATUS_CHANGED), (on_user, INVOICE_UPDATED)],
        ),
        Change::PaymentReceived { previous, .. } if status == InvoiceStatus::Paid => (
            "✅ Invoice Paid".to_owned(),
            format!("Invoice {number} has been paid successfully"),
            "invoice_completed".to_owned(),
            status_moved(previous, status, on_invoice, on_user),
        ),
        Change::PaymentReceived { amount, previous } => (
            "💰 Payment Received".to_owned(),
            format!(
                "A payment of {} was received for Invoice {number}",
                invoice.content.currency.format(amount.minor())
            ),
            "payment_received".to_owned(),
            status_moved(previous, status, on_invoice, on_user),
        ),
        Change::PaymentRemoved { amount, previous } => (
            "Payment Removed".to_owned(),
            format!(
                "A payment of {} was removed from Invoice {number}",
                invoice.content.currency.format(amount.minor())
            ),
            "payment_removed".to_owned(),
            updated_and_moved(previous, status, on_invoice, on_user),
        ),
        Change::PaymentRefunded { amount, previous } => (
            "↩️ Payment Refunded".to_owned(),
            format!(
                "A payment of {} was refunded on Invoice {number}",
                invoice.content.currency.format(amount.minor())
            ),
            "payment_refunded".to_owned(),
            updated_and_moved(previous, status, on_invoice, on_user),
        ),
    };
    let amount = change.amount().map(Amount::minor);
    let currency = amount.map(|_| invoice.content.currency.code());
    let sent_at = now.to_iso();
    let pushed = matches!(change, Change::PaymentReceived { .. } | Change::PaymentRefunded { .. });
    targets
        .into_iter()
        .map(|(channel, event)| {
            let event_id = uuid::Uuid::new_v4().to_string();
            let payload = Payload {
                title: &title,
                body: &body,
                kind: &kind,
                invoice_id: id,
                status: status.as_str(),
                sent_at: &sent_at,
                event_id: &event_id,
                amount,
                currency,
            };
            // A struct of strings always serialises.
            let payload = serde_json::to_string(&payload).unwrap_or_default();
            let push_to = (pushed && channel == on_user_name).then(|| invoice.user_id.clone());
            OutboxEvent { event_id, invoice_id: id.to_owned(), channel, event, payload, push_to }
        })
        .collect()
}

/// The rows of a payment of `amount`, once applied to the invoice (its [`PaymentEffect`]
/// tells the status before), in the shape the store's `record_payment` takes.
pub fn payment_events(
    channels: ChannelNames,
    amount: Amount,
    now: Timestamp,
) -> impl FnOnce(&Invoice, &PaymentEffect) -> Vec<OutboxEvent> {
    move |invoice, effect| {
        let change = Change::PaymentReceived { amount, previous: effect.previous };
        outbox_events(change, invoice, channels, now)
    }
}

/// The rows of the removal of a payment, once applied to the invoice, in the shape the
/// store's `update_invoice` takes.
pub fn removal_events(
    channels: ChannelNames,
    now: Timestamp,
) -> impl FnOnce(&Invoice, &RemovalEffect) -> Vec<OutboxEvent> {
    move |invoice, effect| {
        let change =
            Change::PaymentRemoved { amount: effect.removed.amount, previous: effect.previous };
        outbox_events(change, invoice, channels, now)
    }
}

/// The rows of a refund, once applied to the invoice, in the shape the store's
/// `update_invoice` takes.
pub fn refund_events(
    channels: ChannelNames,
    now: Timestamp,
) -> impl FnOnce(&Invoice, &RefundEffect) -> Vec<OutboxEvent> {
    move |invoice, effect| {
        let change = Change::PaymentRefunded { amount: effect.amount, previous: effect.previous };
        outbox_events(change, invoice, channels, now)
    }
}

/// `invoice.updated` on the invoice channel, `invoice.status.changed` there too when the
/// status moved, then `invoice.updated` on the user channel.
fn updated_and_moved(
    previous: InvoiceStatus,
    now: InvoiceStatus,
    on_invoice: String,
    on_user: String,
) -> Vec<(String, &'static str)> {
    let mut targets = vec![(on_invoice.clone(), names::INVOICE_UPDATED)];
    if previous != now {
        targets.push((on_invoice, names::STATUS_CHANGED));
    }
    targets.push((on_user, names::INVOICE_UPDATED));
    targets
}

/// `payment.received` on the invoice channel, `invoice.status.changed` there too when the
/// status moved, then `payment.received` on the user channel.
fn status_moved(
    previous: InvoiceStatus,
    now: InvoiceStatus,
    on_invoice: String,
    on_user: String,
) -> Vec<(String, &'static str)> {
    let mut targets = vec![(on_invoice.clone(), names::PAYMENT_RECEIVED)];
    if previous != now {
        targets.push((on_invoice, names::STATUS_CHANGED));
    }
    targets.push((on_user, names::PAYMENT_RECEIVED));
    targets
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::parse_date;
    use crate::domain::{
        Action, Currency, Customer, InvoiceContent, LineItem, Payment, PaymentSource, UserId,
    };

    #[test]
    fn a_settling_payment_publishes_three_rows_with_one_payload_shape() {
        let content = InvoiceContent::new(
            Customer::parse("Ada", "ada@example.com").unwrap(),
            Currency::parse("EUR").unwrap(),
            parse_date("2099-01-01").unwrap(),
            vec![LineItem::parse("items[0]", "Work", 1, 500).unwrap()],
            "",
        )
        .unwrap();
        let now = Timestamp::from_millis(1_760_294_412_153);
        let mut invoice = Invoice::draft(UserId::new(), 7, content, now);
        invoice.transition(Action::Send, now).unwrap();
        let amount = Amount::parse("amount", 500).unwrap();
        let effect = invoice
            .pay(Payment::new(PaymentSource::Owner, amount, "cash", None, now).unwrap())
            .unwrap();
        let change = Change::PaymentReceived { amount, previous: effect.previous };
        let rows = outbox_events(change, &invoice, ChannelNames { private: true }, now);
        let targets: Vec<(&str, &str)> =
            rows.iter().map(|r| (r.channel.as_str(), r.event)).collect();
        let on_invoice = format!("private-invoice.{}", invoice.id);
        let on_user = format!("private-user.{}.invoices", invoice.user_id);
        assert_eq!(
            targets,
            [
                (on_invoice.as_str(), names::PAYMENT_RECEIVED),
                (on_invoice.as_str(), names::STATUS_CHANGED),
                (on_user.as_str(), names::PAYMENT_RECEIVED),
            ]
        );
        let payload: serde_json::Value = serde_json::from_str(&rows[0].payload).unwrap();
        assert_eq!(
            payload,
            serde_json::json!({
                "title": "✅ Invoice Paid",
                "body": "Invoice #7 has been paid successfully",
                "type": "invoice_completed",
                "invoiceId": invoice.id.as_str(),
                "status": "paid",
                "sentAt": "2025-10-12T18:40:12.153Z",
                "eventId": rows[0].event_id,
                "amount": 500,
                "currency": "EUR",
            })
        );
        assert_ne!(rows[0].event_id, rows[1].event_id);

        let removed = invoice.payments[0].id.clone();
        let effect = invoice.remove_payment(&removed, now.date(), now).unwrap();
        let rows = removal_events(ChannelNames { private: false }, now)(&invoice, &effect);
        let targets: Vec<(&str, &str)> =
            rows.iter().map(|r| (r.channel.as_str(), r.event)).collect();
        let (on_invoice, on_user) = (on_invoice.trim_start_matches("private-"), &on_user[8..]);
        assert_eq!(
            targets,
            [
                (on_invoice, names::INVOICE_UPDATED),
                (on_invoice, names::STATUS_CHANGED),
                (on_user, names::INVOICE_UPDATED),
            ]
        );
        let payload: serde_json::Value = serde_json::from_str(&rows[2].payload).unwrap();
        assert_eq!(
            payload,
            serde_json::json!({
                "title": "Payment Removed",
                "body": "A payment of 5.00 EUR was removed from Invoice #7",
                "type": "payment_removed",
                "invoiceId": invoice.id.as_str(),
                "status": "sent",
                "sentAt": "2025-10-12T18:40:12.153Z",
                "eventId": rows[2].event_id,
                "amount": 500,
                "currency": "EUR",
            })
        );
    }

    /// A 5.00 EUR draft to Ada, made at time zero.
    fn ada_draft() -> (Invoice, Timestamp) {
        let content = InvoiceContent::new(
            Customer::parse("Ada", "ada@example.com").unwrap(),
            Currency::parse("EUR").unwrap(),
            parse_date("2099-01-01").unwrap(),
            vec![LineItem::parse("items[0]", "Work", 1, 500).unwrap()],
            "",
        )
        .unwrap();
        let now = Timestamp::from_millis(0);
        let invoice = Invoice::draft(UserId::new(), 1, content, now);
        (invoice, now)
    }

    #[test]
    fn only_payment_changes_carry_an_amount() {
        let (invoice, now) = ada_draft();
        for change in [Change::Created, Change::Edited, Change::StatusChanged] {
            for row in outbox_events(change, &invoice, ChannelNames::default(), now) {
                let payload: serde_json::Value = serde_json::from_str(&row.payload).unwrap();
                assert!(payload.get("amount").is_none() && payload.get("currency").is_none());
            }
        }
    }

    #[test]
    fn only_payments_and_refunds_are_pushed_and_only_their_user_channel_row() {
        let (invoice, now) = ada_draft();
        let amount = Amount::parse("amount", 100).unwrap();
        let previous = InvoiceStatus::Sent;
        let channels = ChannelNames { private: true };
        for change in [
            Change::PaymentReceived { amount, previous },
            Change::PaymentRefunded { amount, previous },
        ] {
            let pushed: Vec<_> = outbox_events(change, &invoice, channels, now)
                .into_iter()
                .filter(|row| row.push_to.is_some())
                .collect();
            assert_eq!(pushed.len(), 1, "{change:?}");
            assert_eq!(pushed[0].channel, channels.user(invoice.user_id.as_str()));
            assert_eq!(pushed[0].push_to.as_ref(), Some(&invoice.user_id));
        }
        for change in [
            Change::Created,
            Change::Edited,
            Change::StatusChanged,
            Change::PaymentRemoved { amount, previous },
        ] {
            let rows = outbox_events(change, &invoice, channels, now);
            assert!(rows.iter().all(|row| row.push_to.is_none()), "{change:?}");
        }
    }
}
