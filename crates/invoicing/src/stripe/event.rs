//! The webhook events Paybell acts on, decoded from the raw body once its signature passed.
//! Anything else is [`EventKind::Other`]: answered 200 and ignored.

use serde::Deserialize;

use super::PaymentIntent;

/// One event: its id (`evt_…`, remembered so a repeat changes nothing) and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `evt_…`.
    pub id: String,
    /// What happened.
    pub kind: EventKind,
}

/// What an event says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// `payment_intent.succeeded`: the money moved.
    IntentSucceeded(PaymentIntent),
    /// `payment_intent.payment_failed`: a confirmation failed; nothing moved.
    IntentFailed(PaymentIntent),
    /// `charge.refunded`: the charge of `intent_id` has `amount_refunded` given back in all.
    ChargeRefunded {
        /// The PaymentIntent the charge belongs to.
        intent_id: String,
        /// Everything refunded of the charge so far (minor units).
        amount_refunded: i64,
    },
    /// Any other type.
    Other(String),
}

#[derive(Deserialize)]
struct Raw {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: RawData,
}

#[derive(Deserialize)]
struct RawData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct RawCharge {
    #[serde(default)]
    payment_intent: Option<String>,
    amount_refunded: i64,
}

/// Decodes a webhook body.
///
/// # Errors
/// The JSON error when the body is not an event, or a known type's object is not its shape.
pub fn parse(body: &[u8]) -> Result<Event, serde_json::Error> {
    let raw: Raw = serde_json::from_slice(body)?;
    let object = raw.data.object;
    let kind = match raw.kind.as_str() {
        "payment_intent.succeeded" => EventKind::IntentSucceeded(serde_json::from_value(object)?),
        "payment_intent.payment_failed" => EventKind::IntentFailed(serde_json::from_value(object)?),
        "charge.refunded" => {
            let charge: RawCharge = serde_json::from_value(object)?;
            match charge.payment_intent {
                Some(intent_id) => {
                    EventKind::ChargeRefunded { intent_id, amount_refunded: charge.amount_refunded }
                }
                None => EventKind::Other(raw.kind),
            }
        }
        _ => EventKind::Other(raw.kind),
    };
    Ok(Event { id: raw.id, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_types_decode_and_others_are_named() {
        let body = br#"{"id":"evt_1","type":"charge.refunded","data":{"object":
            {"id":"ch_1","payment_intent":"pi_1","amount":5000,"amount_refunded":1500}}}"#;
        let event = parse(body).unwrap();
        let refunded =
            EventKind::ChargeRefunded { intent_id: "pi_1".into(), amount_refunded: 1500 };
        assert_eq!(event, Event { id: "evt_1".into(), kind: refunded });
        let other = br#"{"id":"evt_2","type":"customer.created","data":{"object":{}}}"#;
        assert_eq!(parse(other).unwrap().kind, EventKind::Other("customer.created".into()));
        assert!(parse(b"{}").is_err());
    }
}
