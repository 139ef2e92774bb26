//! An e-mail as the store keeps it: rendered once, when the change that causes it commits,
//! so the text that is sent, retried and shown to the owner is one.

use super::{InvoiceId, MailId, Timestamp, UserId};

/// Why a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// The invoice, to the customer (on send and resend).
    Invoice,
    /// A receipt for one payment, to the customer.
    Receipt,
    /// "Payment received", to the owner.
    PaymentReceived,
    /// A payment reminder, to the customer (before the due date, or overdue).
    Reminder,
    /// A refund of a card payment, to the customer.
    Refund,
    /// A card payment that came after its reservation expired, when the invoice no longer
    /// took it, refunded automatically: to the owner.
    LatePaymentRefunded,
}

impl MailKind {
    /// The name stored and shown by the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invoice => "invoice",
            Self::Receipt => "receipt",
            Self::PaymentReceived => "payment_received",
            Self::Reminder => "reminder",
            Self::Refund => "refund",
            Self::LatePaymentRefunded => "late_payment_refunded",
        }
    }

    /// The kind stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Invoice,
            Self::Receipt,
            Self::PaymentReceived,
            Self::Reminder,
            Self::Refund,
            Self::LatePaymentRefunded,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// A message to write in a change's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// Random id; also the local part of the `Message-ID`.
    pub id: MailId,
    /// The owner whose mail this is.
    pub user_id: UserId,
    /// The invoice it is about.
    pub invoice_id: InvoiceId,
    /// Why it is sent.
    pub kind: MailKind,
    /// The recipient's address.
    pub recipient: String,
    /// Where replies go: the owner's address.
    pub reply_to: String,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body (inline CSS, no remote resources).
    pub html: String,
    /// `<id@domain>`, the same on every attempt.
    pub message_id: String,
    /// When it was written; also its `Date` header.
    pub created_at: Timestamp,
}
