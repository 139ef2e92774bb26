//! The `Stripe-Signature` header of a webhook: `t={unix seconds},v1={hex},v1={hex}…`, each
//! `v1` an HMAC-SHA256 of `{t}.{raw body}` with the endpoint's signing secret (`whsec_…`).
//! Any one matching `v1` is enough (Stripe sends several while a secret is being rolled); the
//! timestamp must be within the tolerance of now, so a captured request cannot be replayed
//! later; every comparison is in constant time. Other schemes (`v0`) are ignored.

use pusher_protocol::sign::hmac_hex_matches;

/// How far the header's timestamp may be from now, either way: Stripe's own default.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a webhook's signature is refused (HTTP 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `t=` or no `v1=` in the header, or a `t` that is not a number.
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    /// The timestamp is more than the tolerance away from now.
    #[error("the Stripe-Signature timestamp is outside the tolerance")]
    Stale,
    /// No `v1` matches the body and secret.
    #[error("no Stripe-Signature v1 matches the body")]
    Mismatch,
}

/// Checks `header` against `body` and `secret` at `now` (unix seconds).
///
/// # Errors
/// [`SignatureError`].
pub fn verify(header: &str, body: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    let seconds: i64 = timestamp.parse().map_err(|_| SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    // The body is JSON, so UTF-8; anything else cannot carry a valid signature.
    let body = std::str::from_utf8(body).map_err(|_| SignatureError::Mismatch)?;
    let signed = format!("{timestamp}.{body}");
    // Check every candidate, so the time taken does not tell which one matched.
    let matched = signatures
        .iter()
        .fold(false, |found, given| hmac_hex_matches(secret, &signed, given) | found);
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if now.abs_diff(seconds) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use pusher_protocol::sign::hmac_hex;

    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &str = r#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;

    fn header(secret: &str, t: i64, body: &str) -> String {
        format!("t={t},v1={}", hmac_hex(secret, &format!("{t}.{body}")))
    }

    #[test]
    fn a_valid_signature_passes_within_the_tolerance() {
        let now = 1_700_000_000;
        assert_eq!(verify(&header(SECRET, now, BODY), BODY.as_bytes(), SECRET, now), Ok(()));
        let edge = header(SECRET, now - TOLERANCE_SECS, BODY);
        assert_eq!(verify(&edge, BODY.as_bytes(), SECRET, now), Ok(()));
        let stale = header(SECRET, now - TOLERANCE_SECS - 1, BODY);
        assert_eq!(verify(&stale, BODY.as_bytes(), SECRET, now), Err(SignatureError::Stale));
        let future = header(SECRET, now + TOLERANCE_SECS + 1, BODY);
        assert_eq!(verify(&future, BODY.as_bytes(), SECRET, now), Err(SignatureError::Stale));
    }

    #[test]
    fn wrong_secrets_and_tampered_bodies_fail() {
        let now = 1_700_000_000;
        let other = header("whsec_other", now, BODY);
        assert_eq!(verify(&other, BODY.as_bytes(), SECRET, now), Err(SignatureError::Mismatch));
        let signed = header(SECRET, now, BODY);
        let tampered = BODY.replace("evt_1", "evt_2");
        let refused = verify(&signed, tampered.as_bytes(), SECRET, now);
        assert_eq!(refused, Err(SignatureError::Mismatch));
        let retimed = signed.replace(&format!("t={now}"), &format!("t={}", now - 1));
        assert_eq!(verify(&retimed, BODY.as_bytes(), SECRET, now), Err(SignatureError::Mismatch));
        assert_eq!(verify(&signed, &[0xff, 0xfe], SECRET, now), Err(SignatureError::Mismatch));
    }

    #[test]
    fn any_of_several_v1_values_will_do_and_v0_is_ignored() {
        let now = 1_700_000_000;
        let good = header(SECRET, now, BODY);
        let v1 = good.split_once(",v1=").map(|(_, v)| v).unwrap_or_default();
        let several = format!("t={now},v1={},v0={v1},v1={v1}", "0".repeat(64));
        assert_eq!(verify(&several, BODY.as_bytes(), SECRET, now), Ok(()));
        let only_v0 = format!("t={now},v0={v1}");
        let refused = verify(&only_v0, BODY.as_bytes(), SECRET, now);
        assert_eq!(refused, Err(SignatureError::Malformed));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let now = 1_700_000_000;
        for bad in ["", "v1=abc", "t=abc,v1=00", "t=1700000000", "garbage"] {
            assert_eq!(verify(bad, BODY.as_bytes(), SECRET, now), Err(SignatureError::Malformed));
        }
    }

    /// Headers made by the official package (stripe-node 17.7.0,
    /// `stripe.webhooks.generateTestHeaderString({payload, secret, timestamp})`, each also
    /// accepted by its `constructEvent`): a payment and a refund event, pretty and compact JSON.
    #[test]
    fn signatures_made_by_the_stripe_package_verify() {
        let secret = "whsec_paybell_vectors";
        let t = 1_764_662_400;
        let succeeded = "{\n  \"id\": \"evt_1\",\n  \"object\": \"event\",\n  \"type\": \"payment_intent.succeeded\",\n  \"data\": {\n    \"object\": {\n      \"id\": \"pi_1\",\n      \"object\": \"payment_intent\",\n      \"amount\": 5000,\n      \"currency\": \"eur\",\n      \"status\": \"succeeded\"\n    }\n  }\n}";
        let succeeded_header =
            "t=1764662400,v1=5dd6550179655f7882eac8ed595f5ff2a2561809afa53b57b676f708e0b3a027";
        let refunded = r#"{"id":"evt_2","object":"event","type":"charge.refunded","data":{"object":{"id":"ch_1","object":"charge","payment_intent":"pi_1","amount":5000,"amount_refunded":1500,"currency":"eur"}}}"#;
        let refunded_header =
            "t=1764662400,v1=b7d9a76f26840622019ba8c115bb19e42360ea0d8979b34eb9dab08a3fafea97";
        for (body, header) in [(succeeded, succeeded_header), (refunded, refunded_header)] {
            assert_eq!(verify(header, body.as_bytes(), secret, t + 10), Ok(()));
            let wrong = verify(header, body.as_bytes(), "whsec_wrong", t);
            assert_eq!(wrong, Err(SignatureError::Mismatch));
            let stale = verify(header, body.as_bytes(), secret, t + TOLERANCE_SECS + 1);
            assert_eq!(stale, Err(SignatureError::Stale));
            let tampered = body.replace("5000", "5001");
            let refused = verify(header, tampered.as_bytes(), secret, t);
            assert_eq!(refused, Err(SignatureError::Mismatch));
        }
        // Several v1 values: a rolled secret's and the current one's.
        let v1 = succeeded_header.split_once(",v1=").map(|(_, v)| v).unwrap_or_default();
        let rolled = format!("t={t},v1={},v1={v1}", hmac_hex("whsec_old", "x"));
        assert_eq!(verify(&rolled, succeeded.as_bytes(), secret, t), Ok(()));
    }
}
