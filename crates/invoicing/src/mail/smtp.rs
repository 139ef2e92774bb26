//! The SMTP server, from `PAYBELL_SMTP_URL`:
//! - `smtp://user:pass@host:587`: STARTTLS, required (a server that does not offer it is not
//!   sent to);
//! - `smtps://user:pass@host:465`: TLS from the first byte;
//! - `smtp://127.0.0.1:25?tls=none`: plain text, only when spelled out (a local relay).

use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use url::Url;

/// How long one SMTP conversation may take before it counts as a connection failure.
const TIMEOUT: Duration = Duration::from_secs(8);

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// `smtp://`: STARTTLS, required.
    StartTls,
    /// `smtps://`: implicit TLS.
    Implicit,
    /// `smtp://…?tls=none`: none.
    None,
}

/// A parsed `PAYBELL_SMTP_URL`; `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    host: String,
    port: u16,
    security: Security,
    user: Option<String>,
    password: Option<String>,
}

/// Why a URL is not an SMTP server's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SmtpUrlError(String);

impl SmtpUrl {
    /// Reads `smtp://[user:pass@]host[:port][?tls=none|starttls]` or
    /// `smtps://[user:pass@]host[:port]`.
    ///
    /// # Errors
    /// [`SmtpUrlError`] saying what is wrong (never repeating the password).
    pub fn parse(text: &str) -> Result<Self, SmtpUrlError> {
        let url = Url::parse(text)
            .map_err(|e| SmtpUrlError(format!("not a URL ({e}); use smtp://host:587")))?;
        let mut tls = None;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), tls) {
                ("tls", None) => tls = Some(value.into_owned()),
                _ => return Err(SmtpUrlError(format!("unknown or repeated parameter {key:?}"))),
            }
        }
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtp", None | Some("starttls")) => Security::StartTls,
            ("smtp", Some("none")) => Security::None,
            ("smtps", None) => Security::Implicit,
            ("smtp" | "smtps", Some(other)) => {
                return Err(SmtpUrlError(format!(
                    "tls={other:?} is not understood (smtp:// takes tls=none or tls=starttls)"
                )));
            }
            (scheme, _) => {
                return Err(SmtpUrlError(format!(
                    "scheme {scheme:?}: use smtp:// (STARTTLS) or smtps:// (TLS)"
                )));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| SmtpUrlError("needs a host".to_owned()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port().unwrap_or(match security {
            Security::StartTls => 587,
            Security::Implicit => 465,
            Security::None => 25,
        });
        let decode = |s: &str| {
            percent_decode(s)
                .ok_or_else(|| SmtpUrlError("user or password is not UTF-8".to_owned()))
        };
        let user = Some(url.username()).filter(|u| !u.is_empty()).map(decode).transpose()?;
        let password = url.password().map(decode).transpose()?;
        if password.is_some() && user.is_none() {
            return Err(SmtpUrlError("a password needs a user name".to_owned()));
        }
        Ok(Self { host, port, security, user, password })
    }

    /// The host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Whether a password is set (never what it is).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// How the connection is protected.
    pub fn security(&self) -> Security {
        self.security
    }

    /// A transport to this server (no connection is made yet).
    ///
    /// # Errors
    /// When the TLS parameters cannot be built for the host name.
    pub fn transport(
        &self,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
        let tls = || TlsParameters::new(self.host.clone());
        let tls = match self.security {
            Security::StartTls => Tls::Required(tls()?),
            Security::Implicit => Tls::Wrapper(tls()?),
            Security::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if let Some(user) = &self.user {
            let password = self.password.clone().unwrap_or_default();
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(builder.build())
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_spellings() {
        let url = SmtpUrl::parse("smtp://ada:p%40ss@mail.example.com").unwrap();
        assert_eq!(
            (url.host(), url.port(), url.security()),
            ("mail.example.com", 587, Security::StartTls)
        );
        assert_eq!(url.password.as_deref(), Some("p@ss"));
        assert!(!format!("{url:?}").contains("p@ss"));
        let url = SmtpUrl::parse("smtps://a:b@mail.example.com").unwrap();
        assert_eq!((url.port(), url.security()), (465, Security::Implicit));
        let url = SmtpUrl::parse("smtp://127.0.0.1:2525?tls=none").unwrap();
        assert_eq!((url.port(), url.security(), url.user.clone()), (2525, Security::None, None));
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "mail.example.com",
            "http://mail.example.com",
            "smtp://",
            "smtps://host?tls=none",
            "smtp://host?tls=maybe",
            "smtp://host?tls=none&tls=none",
            "smtp://host?port=25",
            "smtp://:secret@host",
        ] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
        let error = SmtpUrl::parse("smtp://ada:secret@host?x=1").unwrap_err();
        assert!(!error.to_string().contains("secret"));
    }
}
