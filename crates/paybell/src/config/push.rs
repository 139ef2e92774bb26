//! The `[push]` part: Web Push's VAPID key (`PAYBELL_VAPID_PRIVATE_KEY`; without it the data
//! directory's app file keeps a generated one) and contact (`PAYBELL_VAPID_SUBJECT`; without
//! it the public URL when https, else `mailto:` the first owner).

use std::path::Path;

use invoicing::push::{PushSettings, Subject, VapidKey};

use super::ConfigError;
use super::raw::RawPush;

/// Web Push, parsed and checked.
#[derive(Debug, Clone, Default)]
pub struct PushConfig {
    key: Option<VapidKey>,
    subject: Option<Subject>,
}

impl PushConfig {
    /// The configured private key; `None`: the app file's.
    pub fn key(&self) -> Option<&VapidKey> {
        self.key.as_ref()
    }

    /// The configured contact; `None`: the default.
    pub fn subject(&self) -> Option<&Subject> {
        self.subject.as_ref()
    }

    /// What the invoicing backend takes: the configured key, or the one `data_dir`'s app file
    /// keeps (created on first use).
    ///
    /// # Errors
    /// The app file cannot be read or written.
    pub fn settings(&self, data_dir: &Path) -> Result<PushSettings, crate::app_file::AppFileError> {
        let key = match &self.key {
            Some(key) => key.clone(),
            None => crate::app_file::load_or_create_vapid(data_dir)?.0,
        };
        let mut settings = PushSettings::new(key);
        settings.subject = self.subject.clone();
        Ok(settings)
    }
}

/// Parses and checks the `[push]` section.
///
/// # Errors
/// [`ConfigError`] naming `push.vapid_private_key (PAYBELL_VAPID_PRIVATE_KEY)` or
/// `push.vapid_subject (PAYBELL_VAPID_SUBJECT)`.
pub(crate) fn parse(raw: RawPush) -> Result<PushConfig, ConfigError> {
    let key = raw
        .vapid_private_key
        .map(|text| {
            VapidKey::parse(&text).map_err(|e| {
                ConfigError::new(
                    "push.vapid_private_key (PAYBELL_VAPID_PRIVATE_KEY)",
                    e.to_string(),
                )
            })
        })
        .transpose()?;
    let subject = raw
        .vapid_subject
        .map(|text| {
            Subject::parse(&text).map_err(|e| {
                ConfigError::new("push.vapid_subject (PAYBELL_VAPID_SUBJECT)", e.to_string())
            })
        })
        .transpose()?;
    Ok(PushConfig { key, subject })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_subjects_are_checked_naming_the_variable() {
        let key = VapidKey::generate();
        let raw = |k: Option<&str>, s: Option<&str>| RawPush {
            vapid_private_key: k.map(str::to_owned),
            vapid_subject: s.map(str::to_owned),
        };
        let good = parse(raw(Some(&key.private_key()), Some("mailto:ops@example.com"))).unwrap();
        assert_eq!(good.key().unwrap().public_key(), key.public_key());
        assert_eq!(good.subject().unwrap().as_str(), "mailto:ops@example.com");
        let bad_key = parse(raw(Some("nope"), None)).unwrap_err().to_string();
        assert!(bad_key.contains("PAYBELL_VAPID_PRIVATE_KEY"), "{bad_key}");
        let bad_subject = parse(raw(None, Some("ops@example.com"))).unwrap_err().to_string();
        assert!(bad_subject.contains("PAYBELL_VAPID_SUBJECT"), "{bad_subject}");
    }
}
