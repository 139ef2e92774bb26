//! VAPID (RFC 8292): the application server's P-256 key, and the `Authorization: vapid`
//! header that proves a push comes from it: an ES256 JWT for the push service's origin with
//! an expiry and a contact (`sub`), plus our public key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use url::Url;

/// How long a token is valid: RFC 8292 allows at most 24 hours.
pub const TOKEN_LIFETIME_SECS: u64 = 12 * 3600;

/// The application server's key pair. The private half never prints.
#[derive(Clone)]
pub struct VapidKey {
    secret: SecretKey,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKey").field("public", &self.public_key()).finish_non_exhaustive()
    }
}

/// Why a private key was refused.
#[derive(Debug, thiserror::Error)]
#[error("not a P-256 private key: expected 32 bytes in unpadded base64url (43 characters)")]
pub struct VapidKeyError;

/// Why a contact was refused.
#[derive(Debug, thiserror::Error)]
#[error("the VAPID subject must be a mailto: or https: URL")]
pub struct SubjectError;

/// A random P-256 secret (rejection sampling over 32 random bytes: nearly always the first).
pub(crate) fn random_secret() -> SecretKey {
    loop {
        if let Ok(secret) = SecretKey::from_slice(&rand::random::<[u8; 32]>()) {
            return secret;
        }
    }
}

impl VapidKey {
    /// A new key pair.
    pub fn generate() -> Self {
        Self { secret: random_secret() }
    }

    /// A private key in unpadded base64url, as [`VapidKey::private_key`] writes it (padding
    /// and surrounding blanks are tolerated).
    ///
    /// # Errors
    /// [`VapidKeyError`] for anything else.
    pub fn parse(text: &str) -> Result<Self, VapidKeyError> {
        let bytes =
            URL_SAFE_NO_PAD.decode(text.trim().trim_end_matches('=')).map_err(|_| VapidKeyError)?;
        if bytes.len() != 32 {
            return Err(VapidKeyError);
        }
        SecretKey::from_slice(&bytes).map(|secret| Self { secret }).map_err(|_| VapidKeyError)
    }

    /// The private key in unpadded base64url, for the app file.
    pub fn private_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.to_bytes())
    }

    /// The public key, uncompressed (65 bytes), in unpadded base64url: what browsers pass as
    /// `applicationServerKey` and push services check tokens with.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.secret.public_key().to_encoded_point(false).as_bytes())
    }

    /// The signed token for a push to `endpoint`, valid until `now_secs` +
    /// [`TOKEN_LIFETIME_SECS`], naming `subject`.
    pub fn token(&self, endpoint: &Url, subject: &Subject, now_secs: u64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({
            "aud": endpoint.origin().ascii_serialization(),
            "exp": now_secs + TOKEN_LIFETIME_SECS,
            "sub": subject.as_str(),
        });
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature: Signature = SigningKey::from(&self.secret).sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
    }

    /// The `Authorization` header's value for a push to `endpoint`.
    pub fn authorization(&self, endpoint: &Url, subject: &Subject, now_secs: u64) -> String {
        format!("vapid t={}, k={}", self.token(endpoint, subject, now_secs), self.public_key())
    }
}

/// The contact push services may use about our pushes: a `mailto:` or `https:` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    /// `text` if it is a `mailto:` or `https:` URL.
    ///
    /// # Errors
    /// [`SubjectError`] otherwise.
    pub fn parse(text: &str) -> Result<Self, SubjectError> {
        let url = Url::parse(text.trim()).map_err(|_| SubjectError)?;
        match url.scheme() {
            "mailto" if url.path().contains('@') => Ok(Self(url.to_string())),
            "https" if url.host().is_some() => Ok(Self(url.to_string())),
            _ => Err(SubjectError),
        }
    }

    /// The default contact: `public_url` when it is https, else `mailto:` the first owner's
    /// address (`owner`), else `mailto:` Paybell's default sender.
    pub fn default_for(public_url: &Url, owner: Option<&str>) -> Self {
        if public_url.scheme() == "https" {
            return Self(public_url.origin().ascii_serialization());
        }
        let address = owner.unwrap_or("paybell@localhost");
        Self::parse(&format!("mailto:{address}"))
            .unwrap_or_else(|_| Self("mailto:paybell@localhost".to_owned()))
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier;

    use super::*;

    #[test]
    fn the_token_is_es256_over_the_origin_and_verifies_with_the_advertised_key() {
        let key = VapidKey::generate();
        let endpoint = Url::parse("https://push.example.net:8443/wpush/v2/abc?x=1").unwrap();
        let subject = Subject::parse("mailto:owner@example.com").unwrap();
        let header = key.authorization(&endpoint, &subject, 1_700_000_000);
        let (token, k) =
            header.strip_prefix("vapid t=").and_then(|rest| rest.split_once(", k=")).unwrap();
        assert_eq!(k, key.public_key());
        let parts: Vec<&str> = token.split('.').collect();
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(
            claims,
            serde_json::json!({
                "aud": "https://push.example.net:8443",
                "exp": 1_700_000_000 + TOKEN_LIFETIME_SECS,
                "sub": "mailto:owner@example.com",
            })
        );
        let public = VerifyingKey::from_sec1_bytes(&URL_SAFE_NO_PAD.decode(k).unwrap()).unwrap();
        let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        let input = format!("{}.{}", parts[0], parts[1]);
        public.verify(input.as_bytes(), &signature).unwrap();
        assert!(public.verify(b"something else", &signature).is_err());
    }

    #[test]
    fn keys_round_trip_and_bad_ones_are_refused() {
        let key = VapidKey::generate();
        let again = VapidKey::parse(&key.private_key()).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(URL_SAFE_NO_PAD.decode(key.public_key()).unwrap().len(), 65);
        assert!(VapidKey::parse("short").is_err());
        assert!(VapidKey::parse(&URL_SAFE_NO_PAD.encode([0_u8; 32])).is_err(), "zero scalar");
        assert!(!format!("{key:?}").contains(&key.private_key()));
    }

    #[test]
    fn subjects_are_mailto_or_https() {
        assert!(Subject::parse("mailto:a@example.com").is_ok());
        assert!(Subject::parse("https://paybell.example.com").is_ok());
        assert!(Subject::parse("http://paybell.example.com").is_err());
        assert!(Subject::parse("owner@example.com").is_err());
        let http = Url::parse("http://localhost:8080").unwrap();
        let https = Url::parse("https://pay.example.com/base").unwrap();
        assert_eq!(Subject::default_for(&https, None).as_str(), "https://pay.example.com");
        assert_eq!(
            Subject::default_for(&http, Some("o@example.com")).as_str(),
            "mailto:o@example.com"
        );
    }
}
