//! E-mail: what a change sends (the invoice, a receipt, the owner's "payment received"),
//! written as mail rows in the change's transaction and delivered by a durable worker.
//!
//! - [`compose`]: renders a message from templates (HTML with auto-escaping and inline CSS,
//!   plus a plain-text alternative) into a [`crate::domain::NewMail`].
//! - [`smtp`]: the SMTP server's URL and the transport built from it.
//! - [`reminders`]: payment reminders before the due date and while overdue, each once.
//! - [`deliver`]: the mail worker ([`crate::durable::Work`]): sends claimed rows over SMTP, or
//!   without SMTP keeps them as delivered to the local mailbox (`.eml` copies on disk).
//!
//! # Guarantees
//! The durable component's: at least once (a crash between the server's acceptance and the
//! mark sends again, with the same `Message-ID`), each row on one node at a time, takeover
//! after a crash. Connection failures, timeouts and 4xx answers are retried with back-off for
//! up to [`RETRY_FOR`]; a 5xx answer fails the row at once, keeping the server's answer.

pub mod compose;
pub mod deliver;
pub mod money;
pub mod reminders;
pub mod smtp;

use std::path::PathBuf;
use std::time::Duration;

pub use compose::Composer;
pub use lettre::message::Mailbox;
pub use smtp::{Security, SmtpUrl, SmtpUrlError};

/// How long a message that cannot be delivered yet is retried before it is failed.
pub const RETRY_FOR: Duration = Duration::from_secs(24 * 3600);

/// The sender when `PAYBELL_MAIL_FROM` is not set.
pub const DEFAULT_FROM: &str = "Paybell <paybell@localhost>";

/// Where mail goes.
#[derive(Debug, Clone)]
pub struct MailSettings {
    /// The SMTP server; `None` keeps mail in the local mailbox.
    pub smtp: Option<SmtpUrl>,
    /// The `From` of every message.
    pub from: Mailbox,
    /// Where `.eml` copies of locally delivered mail are written (`{data_dir}/mail`), if
    /// anywhere.
    pub mailbox_dir: Option<PathBuf>,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self { smtp: None, from: default_from(), mailbox_dir: None }
    }
}

/// [`DEFAULT_FROM`] as a mailbox.
pub fn default_from() -> Mailbox {
    let address = lettre::Address::new("paybell", "localhost")
        .unwrap_or_else(|_| unreachable!("a constant address"));
    Mailbox::new(Some("Paybell".to_owned()), address)
}
