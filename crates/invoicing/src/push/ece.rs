//! Message encryption for Web Push (RFC 8291): ECDH with the subscription's P-256 key and a
//! fresh key of ours, HKDF-SHA-256 with the subscription's auth secret, then one
//! `aes128gcm` record (RFC 8188) whose header carries the salt and our public key.

use aes_gcm::aead::Aead;
use aes_gcm::{Aes128Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The record size written in the header. One record holds the whole message, so a
/// plaintext may be at most this minus the padding delimiter and the AEAD tag.
const RECORD_SIZE: u32 = 4096;

/// The longest plaintext one record holds.
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - 17;

/// A subscription's keys (`keys.p256dh`, `keys.auth` of `PushSubscription.toJSON()`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionKeys {
    /// The browser's P-256 public key.
    pub p256dh: PublicKey,
    /// The browser's 16-byte authentication secret.
    pub auth: [u8; 16],
}

/// Why a message could not be encrypted.
#[derive(Debug, thiserror::Error)]
pub enum EceError {
    /// The plaintext does not fit one record.
    #[error("message of {0} bytes is longer than {MAX_PLAINTEXT}")]
    TooLong(usize),
    /// A derivation or the cipher refused its input (does not happen with valid keys).
    #[error("encryption failed")]
    Cipher,
}

/// Encrypts `plaintext` for `keys` with a fresh key pair and salt: the request body of a push.
///
/// # Errors
/// [`EceError::TooLong`] for a message over [`MAX_PLAINTEXT`] bytes.
pub fn encrypt(keys: &SubscriptionKeys, plaintext: &[u8]) -> Result<Vec<u8>, EceError> {
    let ours = super::vapid::random_secret();
    encrypt_with(keys, plaintext, &ours, rand::random())
}

/// [`encrypt`] with our key pair and the salt given (for the RFC's worked example).
///
/// # Errors
/// As [`encrypt`].
pub fn encrypt_with(
    keys: &SubscriptionKeys,
    plaintext: &[u8],
    ours: &SecretKey,
    salt: [u8; 16],
) -> Result<Vec<u8>, EceError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(EceError::TooLong(plaintext.len()));
    }
    let shared = p256::ecdh::diffie_hellman(ours.to_nonzero_scalar(), keys.p256dh.as_affine());
    let ua_public = keys.p256dh.to_encoded_point(false);
    let as_public = ours.public_key().to_encoded_point(false);
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public.as_bytes());
    key_info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0_u8; 32];
    Hkdf::<Sha256>::new(Some(&keys.auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .map_err(|_| EceError::Cipher)?;
    let prk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let (mut cek, mut nonce) = ([0_u8; 16], [0_u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).map_err(|_| EceError::Cipher)?;
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).map_err(|_| EceError::Cipher)?;
    // The last (and only) record ends with the delimiter 2, without padding.
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    record.push(2);
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| EceError::Cipher)?;
    let sealed = cipher
        .encrypt(Nonce::from_slice(&nonce), record.as_slice())
        .map_err(|_| EceError::Cipher)?;
    let key_id = as_public.as_bytes();
    let mut body = Vec::with_capacity(21 + key_id.len() + sealed.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(u8::try_from(key_id.len()).map_err(|_| EceError::Cipher)?);
    body.extend_from_slice(key_id);
    body.extend_from_slice(&sealed);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn b64(text: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(text).unwrap()
    }

    /// RFC 8291, Appendix A: the worked example, byte for byte.
    #[test]
    fn the_rfc_8291_example_encrypts_to_its_published_body() {
        let ours =
            SecretKey::from_slice(&b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).unwrap();
        assert_eq!(
            ours.public_key().to_encoded_point(false).as_bytes(),
            b64(
                "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8"
            ),
        );
        let keys = SubscriptionKeys {
            p256dh: PublicKey::from_sec1_bytes(&b64(
                "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
            ))
            .unwrap(),
            auth: b64("BTBZMqHH6r4Tts7J_aSIgg").try_into().unwrap(),
        };
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().unwrap();
        let body =
            encrypt_with(&keys, b"When I grow up, I want to be a watermelon", &ours, salt).unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn fresh_keys_and_salt_each_time_and_a_limit_on_length() {
        let browser = super::super::vapid::random_secret();
        let keys = SubscriptionKeys { p256dh: browser.public_key(), auth: [7; 16] };
        let (a, b) = (encrypt(&keys, b"hi").unwrap(), encrypt(&keys, b"hi").unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 16 + 4 + 1 + 65 + 2 + 1 + 16);
        assert!(matches!(
            encrypt(&keys, &vec![b'x'; MAX_PLAINTEXT + 1]),
            Err(EceError::TooLong(_))
        ));
    }
}
