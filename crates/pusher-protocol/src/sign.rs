//! Every signature of the protocol: channel and user authentication, HTTP API requests,
//! webhooks, and the shared secret of encrypted channels.
//!
//! Verification compares in constant time.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use md5::{Digest as _, Md5};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::limits::API_TIMESTAMP_WINDOW_SECS;

type HmacSha256 = Hmac<Sha256>;

/// Hex HMAC-SHA256 of `message` with `secret`.
pub fn hmac_hex(secret: &str, message: &str) -> String {
    hex::encode(hmac_bytes(secret, message.as_bytes()))
}

fn hmac_bytes(secret: &str, message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("hmac takes any key");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Whether `given` is the hex HMAC of `message`, in constant time.
pub fn hmac_hex_matches(secret: &str, message: &str, given: &str) -> bool {
    let expected = hmac_hex(secret, message);
    expected.as_bytes().ct_eq(given.as_bytes()).into()
}

/// The string a private or presence channel signature covers:
/// `<socket_id>:<channel>` or `<socket_id>:<channel>:<channel_data>`.
pub fn channel_string_to_sign(
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> String {
    match channel_data {
        Some(data) => format!("{socket_id}:{channel}:{data}"),
        None => format!("{socket_id}:{channel}"),
    }
}

/// The `auth` value a backend returns for a private or presence channel: `<key>:<hex hmac>`.
pub fn channel_auth(
    key: &str,
    secret: &str,
    socket_id: &str,
    channel: &str,
    channel_data: Option<&str>,
) -> String {
    let to_sign = channel_string_to_sign(socket_id, channel, channel_data);
    format!("{key}:{}", hmac_hex(secret, &to_sign))
}

/// The string a user sign-in signature covers: `<socket_id>::user::<user_data>`.
pub fn user_string_to_sign(socket_id: &str, user_data: &str) -> String {
    format!("{socket_id}::user::{user_data}")
}

/// The `auth` value a backend returns for `pusher:signin`.
pub fn user_auth(key: &str, secret: &str, socket_id: &str, user_data: &str) -> String {
    format!("{key}:{}", hmac_hex(secret, &user_string_to_sign(socket_id, user_data)))
}

/// Why an `auth` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Not of the form `<key>:<signature>`.
    #[error("auth value is not of the form <key>:<signature>")]
    Malformed,
    /// The key before the colon is not the app's.
    #[error("auth key does not belong to this app")]
    WrongKey,
    /// The signature does not match.
    #[error(
        "Invalid signature: Expected HMAC SHA256 hex digest of {string_to_sign}, but got {got}"
    )]
    InvalidSignature {
        /// What the signature should cover.
        string_to_sign: String,
        /// The signature that came.
        got: String,
    },
}

impl AuthError {
    /// The message a client sees in its `pusher:error`, as Pusher words it.
    pub fn client_message(&self) -> String {
        match self {
            Self::Malformed | Self::WrongKey => format!("Invalid auth: {self}"),
            Self::InvalidSignature { .. } => self.to_string(),
        }
    }
}

/// Checks a `<key>:<hex hmac>` value over `string_to_sign` for the app `(key, secret)`.
///
/// # Errors
/// [`AuthError`] naming what is wrong.
pub fn verify_auth(
    key: &str,
    secret: &str,
    string_to_sign: &str,
    auth: &str,
) -> Result<(), AuthError> {
    let (given_key, signature) = auth.split_once(':').ok_or(AuthError::Malformed)?;
    if !bool::from(given_key.as_bytes().ct_eq(key.as_bytes())) {
        return Err(AuthError::WrongKey);
    }
    if hmac_hex_matches(secret, string_to_sign, signature) {
        Ok(())
    } else {
        Err(AuthError::InvalidSignature {
            string_to_sign: string_to_sign.to_owned(),
            got: signature.to_owned(),
        })
    }
}

/// Hex MD5 of a request body, as `body_md5` carries it.
pub fn body_md5(body: &[u8]) -> String {
    hex::encode(Md5::digest(body))
}

/// The query string an HTTP API signature covers: every parameter but `auth_signature`,
/// keys lower-cased and sorted, `k=v` joined with `&`, values unescaped.
pub fn api_query_to_sign<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(String, &str)> = params
        .into_iter()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("auth_signature"))
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// `METHOD\npath\nquery`, the string an HTTP API signature covers.
pub fn api_string_to_sign(method: &str, path: &str, sorted_query: &str) -> String {
    format!("{}\n{path}\n{sorted_query}", method.to_ascii_uppercase())
}

/// The `auth_signature` of an HTTP API request.
pub fn api_signature<'a>(
    secret: &str,
    method: &str,
    path: &str,
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> String {
    hmac_hex(secret, &api_string_to_sign(method, path, &api_query_to_sign(params)))
}

/// Why a signed HTTP API request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiAuthError {
    /// A required parameter is missing.
    #[error("missing query parameter {0}")]
    Missing(&'static str),
    /// `auth_key` is not this app's key.
    #[error("auth_key does not belong to this app")]
    WrongKey,
    /// `auth_version` is not `1.0`.
    #[error("unsupported auth_version {0:?}, expected 1.0")]
    UnsupportedVersion(String),
    /// `auth_timestamp` is not a number.
    #[error("auth_timestamp is not a unix time in seconds")]
    BadTimestamp,
    /// `auth_timestamp` is too far from the server clock.
    #[error(
        "auth_timestamp is {off_by} s away from server time; allowed {API_TIMESTAMP_WINDOW_SECS} s"
    )]
    StaleTimestamp {
        /// Seconds between the request and the server clock.
        off_by: u64,
    },
    /// `body_md5` is missing or does not match the body.
    #[error("body_md5 does not match the request body")]
    BodyMd5Mismatch,
    /// The signature does not match.
    #[error("invalid signature: expected HMAC SHA256 hex digest of {string_to_sign:?}")]
    InvalidSignature {
        /// What the signature should cover.
        string_to_sign: String,
    },
}

/// A signed HTTP API request, as the server sees it.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// `GET`, `POST`…
    pub method: &'a str,
    /// The path, e.g. `/apps/3/events`, without the query.
    pub path: &'a str,
    /// The decoded query parameters.
    pub params: &'a [(String, String)],
    /// The raw body.
    pub body: &'a [u8],
}

impl SignedRequest<'_> {
    fn param(&self, name: &'static str) -> Result<&str, ApiAuthError> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or(ApiAuthError::Missing(name))
    }

    /// Checks the request against the app `(key, secret)` at `now` (unix seconds).
    ///
    /// # Errors
    /// [`ApiAuthError`] naming the first thing that is wrong.
    pub fn verify(&self, key: &str, secret: &str, now: u64) -> Result<(), ApiAuthError> {
        let auth_key = self.param("auth_key")?;
        if !bool::from(auth_key.as_bytes().ct_eq(key.as_bytes())) {
            return Err(ApiAuthError::WrongKey);
        }
        let version = self.param("auth_version")?;
        if version != "1.0" {
            return Err(ApiAuthError::UnsupportedVersion(version.to_owned()));
        }
        let timestamp: u64 =
            self.param("auth_timestamp")?.parse().map_err(|_| ApiAuthError::BadTimestamp)?;
        let off_by = now.abs_diff(timestamp);
        if off_by > API_TIMESTAMP_WINDOW_SECS {
            return Err(ApiAuthError::StaleTimestamp { off_by });
        }
        if !self.body.is_empty() {
            let given = self.param("body_md5").map_err(|_| ApiAuthError::BodyMd5Mismatch)?;
            if !given.eq_ignore_ascii_case(&body_md5(self.body)) {
                return Err(ApiAuthError::BodyMd5Mismatch);
            }
        }
        let signature = self.param("auth_signature")?;
        let query = api_query_to_sign(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let string_to_sign = api_string_to_sign(self.method, self.path, &query);
        if hmac_hex_matches(secret, &string_to_sign, signature) {
            Ok(())
        } else {
            Err(ApiAuthError::InvalidSignature { string_to_sign })
        }
    }
}

/// `X-Pusher-Signature` of a webhook body.
pub fn webhook_signature(secret: &str, body: &[u8]) -> String {
    hex::encode(hmac_bytes(secret, body))
}

/// `shared_secret` for an encrypted channel: base64(SHA-256(channel ‖ master key)).
pub fn encrypted_shared_secret(channel: &str, master_key: &[u8]) -> String {
    let mut hasher = Sha256::new();
    sha2::Digest::update(&mut hasher, channel.as_bytes());
    sha2::Digest::update(&mut hasher, master_key);
    base64::engine::general_purpose::STANDARD.encode(sha2::Digest::finalize(hasher))
}

#[cfg(test)]
mod tests {
    //! The vectors of PROTOCOL.md §8.
    use super::*;

    const KEY: &str = "278d425bdf160c739803";
    const SECRET: &str = "7ad3773142a6692b25b8";

    #[test]
    fn private_channel_vector() {
        let auth = channel_auth(KEY, SECRET, "1234.1234", "private-foobar", None);
        assert_eq!(
            auth,
            "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
        );
        let to_sign = channel_string_to_sign("1234.1234", "private-foobar", None);
        assert_eq!(verify_auth(KEY, SECRET, &to_sign, &auth), Ok(()));
    }

    #[test]
    fn presence_channel_vector() {
        let data = r#"{"user_id":10,"user_info":{"name":"Mr. Channels"}}"#;
        let to_sign = channel_string_to_sign("1234.1234", "presence-foobar", Some(data));
        assert_eq!(
            hmac_hex(SECRET, &to_sign),
            "31935e7d86dba64c2a90aed31fdc61869f9b22ba9d8863bba239c03ca481bc80"
        );
    }

    #[test]
    fn user_vector() {
        let auth = user_auth(KEY, SECRET, "1234.1234", r#"{"id":"12345"}"#);
        assert_eq!(
            auth.split_once(':').unwrap().1,
            "4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba"
        );
    }

    #[test]
    fn http_api_vector() {
        let body = r#"{"name":"foo","channels":["project-3"],"data":"{\"some\":\"data\"}"}"#;
        assert_eq!(body_md5(body.as_bytes()), "ec365a775a4cd0599faeb73354201b6f");
        let params = [
            ("auth_key", KEY),
            ("auth_timestamp", "1353088179"),
            ("auth_version", "1.0"),
            ("body_md5", "ec365a775a4cd0599faeb73354201b6f"),
        ];
        let signature = api_signature(SECRET, "POST", "/apps/3/events", params);
        assert_eq!(signature, "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c");

        let mut owned: Vec<(String, String)> =
            params.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        owned.push(("auth_signature".to_owned(), signature));
        let request = SignedRequest {
            method: "POST",
            path: "/apps/3/events",
            params: &owned,
            body: body.as_bytes(),
        };
        assert_eq!(request.verify(KEY, SECRET, 1_353_088_179 + 600), Ok(()));
        assert_eq!(
            request.verify(KEY, SECRET, 1_353_088_179 + 601),
            Err(ApiAuthError::StaleTimestamp { off_by: 601 })
        );
        assert_eq!(request.verify("other", SECRET, 1_353_088_179), Err(ApiAuthError::WrongKey));
        let tampered = SignedRequest { body: b"{}", ..request };
        assert_eq!(tampered.verify(KEY, SECRET, 1_353_088_179), Err(ApiAuthError::BodyMd5Mismatch));
        assert!(matches!(
            request.verify(KEY, "wrong-secret", 1_353_088_179),
            Err(ApiAuthError::InvalidSignature { .. })
        ));
    }

    #[test]
    fn webhook_vector() {
        let body = r#"{"time_ms":1327078148132,"events":[{"name":"channel_occupied","channel":"my-channel"}]}"#;
        assert_eq!(
            webhook_signature(SECRET, body.as_bytes()),
            "c19001ae3963ccb13bf618e5b16ba9848e7e74df0993aa0689168e341c6833cf"
        );
    }

    #[test]
    fn encrypted_shared_secret_vector() {
        let master = base64::engine::general_purpose::STANDARD
            .decode("nxzvbGF+f8FGhk/jOaZvgMle1tqxzF/VfUZLBLhhaH0=")
            .unwrap();
        assert_eq!(
            encrypted_shared_secret("private-encrypted-foobar", &master),
            "czvoDDXCTjPhg8Wy7zFbMOwE02M7CO5TmfDgoWpLMXw="
        );
    }

    #[test]
    fn auth_errors_are_precise() {
        assert_eq!(verify_auth(KEY, SECRET, "x", "no-colon"), Err(AuthError::Malformed));
        assert_eq!(verify_auth(KEY, SECRET, "x", "other:abc"), Err(AuthError::WrongKey));
        let err = verify_auth(KEY, SECRET, "1.1:private-a", &format!("{KEY}:bad")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Invalid signature: Expected HMAC SHA256 hex digest of 1.1:private-a, but got bad"
        );
    }
}
