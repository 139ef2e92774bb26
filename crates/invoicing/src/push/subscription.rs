//! A browser's push subscription (`PushSubscription.toJSON()`), checked once at the edge:
//! an https endpoint (plain http only on a loopback address, where tests stand in for a push
//! service), a P-256 public key of 65 bytes (uncompressed point), a 16-byte auth secret.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::PublicKey;
use url::{Host, Url};

use super::SubscriptionKeys;

/// The longest endpoint accepted.
pub const MAX_ENDPOINT: usize = 2048;

/// A checked subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The push service URL.
    pub endpoint: Url,
    /// Its keys.
    pub keys: SubscriptionKeys,
}

/// Why a subscription was refused; each names its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SubscriptionError {
    /// Not a URL, or longer than [`MAX_ENDPOINT`].
    #[error("endpoint must be a URL of at most {MAX_ENDPOINT} characters")]
    Endpoint,
    /// Not https (plain http is allowed only on loopback addresses).
    #[error("endpoint must be an https URL")]
    Insecure,
    /// Not 65 bytes of unpadded base64url holding an uncompressed P-256 point.
    #[error("keys.p256dh must be an uncompressed P-256 public key (65 bytes, base64url)")]
    P256dh,
    /// Not 16 bytes of unpadded base64url.
    #[error("keys.auth must be 16 bytes in base64url")]
    Auth,
}

impl SubscriptionError {
    /// The request field at fault.
    pub fn field(self) -> &'static str {
        match self {
            Self::Endpoint | Self::Insecure => "endpoint",
            Self::P256dh => "keys.p256dh",
            Self::Auth => "keys.auth",
        }
    }
}

fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

impl Subscription {
    /// Checks the three strings a browser gives.
    ///
    /// # Errors
    /// [`SubscriptionError`] for the first field at fault.
    pub fn parse(endpoint: &str, p256dh: &str, auth: &str) -> Result<Self, SubscriptionError> {
        if endpoint.len() > MAX_ENDPOINT {
            return Err(SubscriptionError::Endpoint);
        }
        let endpoint = Url::parse(endpoint).map_err(|_| SubscriptionError::Endpoint)?;
        match endpoint.scheme() {
            "https" if endpoint.host().is_some() => {}
            "http" if is_loopback(&endpoint) => {}
            "https" | "http" => return Err(SubscriptionError::Insecure),
            _ => return Err(SubscriptionError::Endpoint),
        }
        let point = decode(p256dh).filter(|b| b.len() == 65 && b[0] == 4);
        let p256dh = point
            .and_then(|bytes| PublicKey::from_sec1_bytes(&bytes).ok())
            .ok_or(SubscriptionError::P256dh)?;
        let auth: [u8; 16] =
            decode(auth).and_then(|b| b.try_into().ok()).ok_or(SubscriptionError::Auth)?;
        Ok(Self { endpoint, keys: SubscriptionKeys { p256dh, auth } })
    }

    /// The keys as stored: unpadded base64url.
    pub fn key_texts(&self) -> (String, String) {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let point = self.keys.p256dh.to_encoded_point(false);
        (URL_SAFE_NO_PAD.encode(point.as_bytes()), URL_SAFE_NO_PAD.encode(self.keys.auth))
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (String, String) {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let secret = super::super::vapid::random_secret();
        let point = secret.public_key().to_encoded_point(false);
        (URL_SAFE_NO_PAD.encode(point.as_bytes()), URL_SAFE_NO_PAD.encode([9_u8; 16]))
    }

    #[test]
    fn https_or_loopback_endpoints_and_exact_key_lengths() {
        let (p256dh, auth) = keys();
        let ok = |endpoint: &str| Subscription::parse(endpoint, &p256dh, &auth);
        let parsed = ok("https://fcm.googleapis.com/fcm/send/abc").unwrap();
        assert_eq!(parsed.key_texts(), (p256dh.clone(), auth.clone()));
        assert!(ok("http://127.0.0.1:9000/push/1").is_ok());
        assert!(ok("http://[::1]:9000/push/1").is_ok());
        assert!(ok("http://localhost:9000/push/1").is_ok());
        assert_eq!(ok("http://push.example.com/1"), Err(SubscriptionError::Insecure));
        assert_eq!(ok("ftp://push.example.com/1"), Err(SubscriptionError::Endpoint));
        assert_eq!(ok("not a url"), Err(SubscriptionError::Endpoint));
        let long = format!("https://push.example.com/{}", "a".repeat(MAX_ENDPOINT));
        assert_eq!(ok(&long), Err(SubscriptionError::Endpoint));
        let url = "https://push.example.com/1";
        let compressed = URL_SAFE_NO_PAD.encode([2_u8; 33]);
        assert_eq!(Subscription::parse(url, &compressed, &auth), Err(SubscriptionError::P256dh));
        let off_curve = URL_SAFE_NO_PAD.encode([4_u8; 65]);
        assert_eq!(Subscription::parse(url, &off_curve, &auth), Err(SubscriptionError::P256dh));
        let short = URL_SAFE_NO_PAD.encode([1_u8; 15]);
        assert_eq!(Subscription::parse(url, &p256dh, &short), Err(SubscriptionError::Auth));
        assert_eq!(SubscriptionError::Auth.field(), "keys.auth");
    }
}
