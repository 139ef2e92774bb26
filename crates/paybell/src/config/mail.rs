//! The `[mail]` part of the configuration: the SMTP server (`PAYBELL_SMTP_URL`) and the
//! sender (`PAYBELL_MAIL_FROM`). Without a server, mail is kept in the local mailbox (rows
//! in the database, `.eml` copies in `{data_dir}/mail/`).

use std::path::Path;

use invoicing::mail::{MailSettings, Mailbox, SmtpUrl, default_from};

use super::ConfigError;
use super::raw::RawMail;

/// The directory of `.eml` copies inside the data directory.
pub const MAILBOX_DIR: &str = "mail";

/// Where mail goes, parsed and checked.
#[derive(Debug, Clone)]
pub struct MailConfig {
    smtp: Option<SmtpUrl>,
    from: Mailbox,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self { smtp: None, from: default_from() }
    }
}

impl MailConfig {
    /// The SMTP server, if one is configured.
    pub fn smtp(&self) -> Option<&SmtpUrl> {
        self.smtp.as_ref()
    }

    /// The `From` of every message.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// What the invoicing backend takes, with `.eml` copies under `data_dir`.
    pub fn settings(&self, data_dir: &Path) -> MailSettings {
        MailSettings {
            smtp: self.smtp.clone(),
            from: self.from.clone(),
            mailbox_dir: Some(data_dir.join(MAILBOX_DIR)),
        }
    }
}

/// Parses and checks the `[mail]` section.
///
/// # Errors
/// [`ConfigError`] naming `mail.smtp_url (PAYBELL_SMTP_URL)` or `mail.from (PAYBELL_MAIL_FROM)`.
pub(crate) fn parse(raw: RawMail) -> Result<MailConfig, ConfigError> {
    let smtp = raw
        .smtp_url
        .map(|text| {
            SmtpUrl::parse(&text)
                .map_err(|e| ConfigError::new("mail.smtp_url (PAYBELL_SMTP_URL)", e.to_string()))
        })
        .transpose()?;
    let from = match raw.from {
        Some(text) => text.parse().map_err(|e| {
            ConfigError::new(
                "mail.from (PAYBELL_MAIL_FROM)",
                format!(
                    "{text:?} is not an address like `Demo Bakery <billing@example.com>` ({e})"
                ),
            )
        })?,
        None => default_from(),
    };
    Ok(MailConfig { smtp, from })
}
