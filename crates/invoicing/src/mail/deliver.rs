//! The mail worker: the mail table's [`Work`], run by the durable worker loop
//! ([`crate::durable::run`]). With an SMTP server it sends each claimed row; without one it
//! keeps the row as delivered to the local mailbox, writing an `.eml` copy when there is a
//! mailbox directory. Either way the message is the same bytes: [`message`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio_util::sync::CancellationToken;

use super::{MailSettings, RETRY_FOR};
use crate::domain::Timestamp;
use crate::durable::{self, NodeId, Performed, Work, WorkerOptions};
use crate::store::{MAIL, MailRow, Store, StoreError, WorkTable};

/// Why a message was not delivered (yet).
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// The server could not be reached, timed out, or answered 4xx: retried.
    #[error("not delivered yet")]
    Temporary(#[source] lettre::transport::smtp::Error),
    /// The server answered 5xx: the row fails, keeping the answer.
    #[error("refused by the SMTP server")]
    Refused(#[source] lettre::transport::smtp::Error),
    /// Retried for [`RETRY_FOR`] without success.
    #[error("gave up after {} hours", RETRY_FOR.as_secs() / 3600)]
    GaveUp(#[source] Box<DeliveryError>),
    /// The row does not make a message (a bad address): retrying cannot help.
    #[error("not a valid message")]
    Invalid(#[source] lettre::error::Error),
    /// An address in the row does not parse.
    #[error("not a valid address")]
    Address(#[source] lettre::address::AddressError),
    /// The `.eml` copy could not be written: retried.
    #[error("writing the local mailbox copy")]
    Mailbox(#[source] std::io::Error),
    /// Recording the delivery failed: retried.
    #[error("store")]
    Store(#[from] StoreError),
}

/// Runs the mail worker until `stop` is cancelled, claiming as `node`.
pub async fn run(
    store: Store,
    settings: MailSettings,
    node: NodeId,
    options: WorkerOptions,
    stop: CancellationToken,
) {
    let transport = match settings.smtp.as_ref().map(super::SmtpUrl::transport).transpose() {
        Ok(transport) => transport,
        Err(error) => {
            let error = durable::error_chain(&error);
            tracing::error!(%error, "SMTP transport; mail stays queued");
            stop.cancelled().await;
            return;
        }
    };
    let wake = store.mail_written();
    let mailer = Mailer {
        store: store.clone(),
        from: settings.from,
        transport: transport.map(Arc::new),
        mailbox_dir: settings.mailbox_dir,
    };
    durable::run(store, mailer, node, options, wake, stop).await;
}

/// Delivering mail rows.
struct Mailer {
    store: Store,
    from: Mailbox,
    transport: Option<Arc<AsyncSmtpTransport<Tokio1Executor>>>,
    mailbox_dir: Option<PathBuf>,
}

impl Work for Mailer {
    type Item = MailRow;
    type Error = DeliveryError;
    const TABLE: &'static WorkTable = &MAIL;
    const NAME: &'static str = "mail";
    /// One SMTP conversation per call, so the step timeout bounds one message.
    const STEP: usize = 1;
    const KEYS: i64 = 10;

    async fn perform(&self, items: &[MailRow]) -> Performed<DeliveryError> {
        for (done, item) in items.iter().enumerate() {
            if let Err(error) = self.deliver(item).await {
                return Performed { done, failure: Some(give_up_if_old(item, error)) };
            }
        }
        Performed { done: items.len(), failure: None }
    }

    fn is_permanent(error: &DeliveryError) -> bool {
        match error {
            DeliveryError::Refused(_)
            | DeliveryError::GaveUp(_)
            | DeliveryError::Invalid(_)
            | DeliveryError::Address(_) => true,
            DeliveryError::Temporary(_) | DeliveryError::Mailbox(_) | DeliveryError::Store(_) => {
                false
            }
        }
    }
}

impl Mailer {
    async fn deliver(&self, row: &MailRow) -> Result<(), DeliveryError> {
        let message = message(row, &self.from)?;
        match &self.transport {
            Some(transport) => {
                transport.send(message).await.map_err(|error| {
                    if error.is_permanent() {
                        DeliveryError::Refused(error)
                    } else {
                        DeliveryError::Temporary(error)
                    }
                })?;
                self.store.set_mail_delivered_via(row.seq, "smtp").await?;
            }
            None => {
                if let Some(dir) = &self.mailbox_dir {
                    write_copy(dir, row, message.formatted()).await?;
                }
                self.store.set_mail_delivered_via(row.seq, "local").await?;
            }
        }
        tracing::info!(mail = %row.mail_id(), kind = %row.kind, "mail delivered");
        Ok(())
    }
}

/// The message a row stands for, with `from` as its sender: the same headers (`Message-ID`,
/// `Date`) on every attempt.
///
/// # Errors
/// [`DeliveryError::Address`] or [`DeliveryError::Invalid`] for a row that makes no message.
pub fn message(row: &MailRow, from: &Mailbox) -> Result<Message, DeliveryError> {
    let to: Mailbox = row.recipient.parse().map_err(DeliveryError::Address)?;
    let reply_to: Mailbox = row.reply_to.parse().map_err(DeliveryError::Address)?;
    let millis = u64::try_from(row.created_at).unwrap_or(0);
    Message::builder()
        .from(from.clone())
        .reply_to(reply_to)
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(row.message_id.clone()))
        .date(SystemTime::UNIX_EPOCH + Duration::from_millis(millis))
        .multipart(MultiPart::alternative_plain_html(row.body_text.clone(), row.body_html.clone()))
        .map_err(DeliveryError::Invalid)
}

/// A temporary failure of a row older than [`RETRY_FOR`] becomes permanent.
fn give_up_if_old(row: &MailRow, error: DeliveryError) -> DeliveryError {
    let age = Timestamp::now().millis().saturating_sub(row.created_at);
    let too_old = u128::try_from(age).unwrap_or(0) > RETRY_FOR.as_millis();
    if too_old && !Mailer::is_permanent(&error) {
        DeliveryError::GaveUp(Box::new(error))
    } else {
        error
    }
}

/// Writes `{dir}/{mail id}.eml` (through a temporary file, so a reader never sees half).
async fn write_copy(dir: &Path, row: &MailRow, bytes: Vec<u8>) -> Result<(), DeliveryError> {
    let name: String = row.id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
    let dir = dir.to_owned();
    let write = move || {
        std::fs::create_dir_all(&dir)?;
        let part = dir.join(format!(".{name}.eml.part"));
        std::fs::write(&part, bytes)?;
        std::fs::rename(&part, dir.join(format!("{name}.eml")))
    };
    tokio::task::spawn_blocking(write)
        .await
        .map_err(|join| DeliveryError::Mailbox(std::io::Error::other(join)))?
        .map_err(DeliveryError::Mailbox)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> MailRow {
        MailRow {
            seq: 1,
            id: "0b6f1f0e-3b0e-4b8e-9a43-0e8c4d6f7a21".to_owned(),
            user_id: "u".to_owned(),
            invoice_id: "i".to_owned(),
            kind: "invoice".to_owned(),
            recipient: "ada@example.com".to_owned(),
            reply_to: "owner@example.com".to_owned(),
            subject: "Invoice #1 from Acme".to_owned(),
            body_text: "Pay online: https://pay.example.com/pay/i".to_owned(),
            body_html: "<p>Pay online</p>".to_owned(),
            message_id: "<0b6f1f0e@example.com>".to_owned(),
            created_at: 1_767_225_600_000,
            attempts: 0,
            last_error: None,
            sent_at: None,
            failed_at: None,
            delivered_via: None,
        }
    }

    #[tokio::test]
    async fn the_local_mailbox_copy_is_the_message_as_sent() {
        let dir = tempfile::tempdir().unwrap();
        let from: Mailbox = "Acme Billing <billing@example.com>".parse().unwrap();
        let first = message(&row(), &from).unwrap();
        write_copy(dir.path(), &row(), first.formatted()).await.unwrap();
        let eml = std::fs::read_to_string(dir.path().join(format!("{}.eml", row().id))).unwrap();
        for header in [
            "From: \"Acme Billing\" <billing@example.com>",
            "Reply-To: owner@example.com",
            "To: ada@example.com",
            "Subject: Invoice #1 from Acme",
            "Message-ID: <0b6f1f0e@example.com>",
            "Date: Thu, 01 Jan 2026 00:00:00 +0000",
            "Content-Type: multipart/alternative",
        ] {
            assert!(eml.contains(header), "{header} in {eml}");
        }
        let again = message(&row(), &from).unwrap().formatted();
        let header = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes).lines().take(6).collect::<Vec<_>>().join("\n")
        };
        assert_eq!(header(&again), header(eml.as_bytes()), "the same headers on every attempt");
    }

    #[test]
    fn a_bad_address_is_permanent_and_old_temporary_failures_give_up() {
        let bad = MailRow { recipient: "not an address".to_owned(), ..row() };
        let from = crate::mail::default_from();
        let error = message(&bad, &from).unwrap_err();
        assert!(Mailer::is_permanent(&error));
        let io = || DeliveryError::Mailbox(std::io::Error::other("disk full"));
        assert!(!Mailer::is_permanent(&give_up_if_old(
            &MailRow { created_at: Timestamp::now().millis(), ..row() },
            io()
        )));
        assert!(Mailer::is_permanent(&give_up_if_old(&row(), io())), "a row from 2026-01-01");
    }
}
