//! A small client for the part of Stripe's API Paybell uses: PaymentIntents (create, retrieve,
//! cancel) and refunds. Bodies are form-encoded as Stripe expects; every creating call carries
//! an `Idempotency-Key`, so a retried request never makes a second intent or refund.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::StripeConfig;

/// How long one call to Stripe may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Why a call to Stripe failed.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error object: a declined card, a bad request, a wrong key.
    #[error("{message}")]
    Api {
        /// The HTTP status.
        status: u16,
        /// Stripe's `error.code` (`card_declined`, `resource_missing`…), if any.
        code: Option<String>,
        /// Stripe's `error.message`, fit to show the payer.
        message: String,
    },
    /// Stripe could not be reached, or answered something that is not its JSON.
    #[error("Stripe could not be reached")]
    Transport(#[source] reqwest::Error),
}

impl StripeError {
    /// Whether Stripe itself refused the request (as opposed to not answering).
    pub fn is_refusal(&self) -> bool {
        matches!(self, Self::Api { status: 400..=499, .. })
    }
}

/// A PaymentIntent, the fields Paybell reads.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PaymentIntent {
    /// `pi_…`.
    pub id: String,
    /// Minor units.
    pub amount: i64,
    /// Lower-case ISO 4217.
    pub currency: String,
    /// `requires_payment_method`, `requires_confirmation`, `requires_action`, `processing`,
    /// `succeeded`, `canceled`…
    pub status: String,
    /// What Stripe.js confirms with; only in the answers to the secret key.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// `paybell_invoice_id` and `paybell_attempt_id` for Paybell's intents.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Why the last confirmation failed.
    #[serde(default)]
    pub last_payment_error: Option<PaymentError>,
}

impl PaymentIntent {
    /// Whether the money moved.
    pub fn succeeded(&self) -> bool {
        self.status == "succeeded"
    }

    /// A metadata value.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.metadata.get(key).map(String::as_str)
    }
}

/// A failed confirmation.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct PaymentError {
    /// Stripe's message, fit to show the payer.
    #[serde(default)]
    pub message: Option<String>,
}

/// A refund.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct StripeRefund {
    /// `re_…`.
    pub id: String,
    /// Minor units.
    pub amount: i64,
    /// `succeeded`, `pending`, `failed`…
    pub status: String,
    /// The charge given back (`ch_…`).
    #[serde(default)]
    pub charge: Option<String>,
}

/// A charge, as far as refunds need it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct StripeCharge {
    /// `ch_…`.
    pub id: String,
    /// Minor units given back in all.
    pub amount_refunded: i64,
}

/// What creating a PaymentIntent needs.
#[derive(Debug, Clone, Copy)]
pub struct NewIntent<'a> {
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 (any case).
    pub currency: &'a str,
    /// Kept in `metadata[paybell_invoice_id]`.
    pub invoice_id: &'a str,
    /// Kept in `metadata[paybell_attempt_id]`; also the `Idempotency-Key`.
    pub attempt_id: &'a str,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The client: one connection pool, the secret key, the API base. Cheap to clone.
#[derive(Debug, Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    base: Url,
    secret_key: String,
}

impl StripeClient {
    /// A client for the account `config` names.
    ///
    /// # Errors
    /// [`StripeError::Transport`] when the HTTP client cannot be built (no TLS roots).
    pub fn new(config: &StripeConfig) -> Result<Self, StripeError> {
        let http =
            reqwest::Client::builder().timeout(TIMEOUT).build().map_err(StripeError::Transport)?;
        let secret_key = config.secret_key().to_owned();
        Ok(Self { http, base: config.api_base().clone(), secret_key })
    }

    /// Creates a card PaymentIntent for `intent`.
    ///
    /// # Errors
    /// [`StripeError`].
    pub async fn create_intent(&self, intent: NewIntent<'_>) -> Result<PaymentIntent, StripeError> {
        let form = [
            ("amount", intent.amount.to_string()),
            ("currency", intent.currency.to_ascii_lowercase()),
            ("payment_method_types[]", "card".to_owned()),
            ("metadata[paybell_invoice_id]", intent.invoice_id.to_owned()),
            ("metadata[paybell_attempt_id]", intent.attempt_id.to_owned()),
        ];
        let key = format!("paybell-intent-{}", intent.attempt_id);
        self.post("v1/payment_intents", &form, Some(&key)).await
    }

    /// Reads a PaymentIntent.
    ///
    /// # Errors
    /// [`StripeError`] (`resource_missing` for an unknown id).
    pub async fn retrieve_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        let url = self.url(&format!("v1/payment_intents/{}", segment(id)));
        self.send(self.http.get(url)).await
    }

    /// Reads a charge.
    ///
    /// # Errors
    /// [`StripeError`] (`resource_missing` for an unknown id).
    pub async fn retrieve_charge(&self, id: &str) -> Result<StripeCharge, StripeError> {
        let url = self.url(&format!("v1/charges/{}", segment(id)));
        self.send(self.http.get(url)).await
    }

    /// Cancels a PaymentIntent nobody will confirm any more.
    ///
    /// # Errors
    /// [`StripeError`] (a 400 when it already succeeded or was cancelled).
    pub async fn cancel_intent(&self, id: &str) -> Result<PaymentIntent, StripeError> {
        let path = format!("v1/payment_intents/{}/cancel", segment(id));
        let form: [(&str, String); 0] = [];
        self.post(&path, &form, None).await
    }

    /// Gives back `amount` of the PaymentIntent `intent_id`'s charge; `key` makes a retry
    /// refund once.
    ///
    /// # Errors
    /// [`StripeError`].
    pub async fn create_refund(
        &self,
        intent_id: &str,
        amount: i64,
        key: &str,
    ) -> Result<StripeRefund, StripeError> {
        let form = [("payment_intent", intent_id.to_owned()), ("amount", amount.to_string())];
        self.post("v1/refunds", &form, Some(key)).await
    }

    fn url(&self, path: &str) -> Url {
        // The base is a checked http(s) URL; a relative join cannot fail on it.
        let mut base = self.base.clone();
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        base.join(path).unwrap_or(base)
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: Option<&str>,
    ) -> Result<T, StripeError> {
        let mut request = self.http.post(self.url(path)).form(form);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        self.send(request).await
    }

    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let response = request
            .basic_auth(&self.secret_key, None::<&str>)
            .send()
            .await
            .map_err(StripeError::Transport)?;
        let status = response.status();
        if status.is_success() {
            return response.json().await.map_err(StripeError::Transport);
        }
        let body = response.text().await.map_err(StripeError::Transport)?;
        let error = serde_json::from_str::<ErrorBody>(&body).ok().map(|b| b.error);
        let (code, message) = error.map_or((None, None), |e| (e.code, e.message));
        Err(StripeError::Api {
            status: status.as_u16(),
            code,
            message: message.unwrap_or_else(|| format!("Stripe answered {status}")),
        })
    }
}

/// An id as one path segment: Stripe's ids are `[A-Za-z0-9_]`, anything else is escaped.
fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_the_base_path_and_escape_ids() {
        let config = StripeConfig::new(
            "sk_test_1",
            "pk_test_1",
            "whsec_1",
            Some("http://127.0.0.1:9/stripe"),
            None,
        )
        .unwrap();
        let client = StripeClient::new(&config).unwrap();
        let url = client.url(&format!("v1/payment_intents/{}", segment("pi_1/../x")));
        assert_eq!(url.as_str(), "http://127.0.0.1:9/stripe/v1/payment_intents/pi_1%2F..%2Fx");
    }

    #[test]
    fn intents_decode_with_or_without_optional_fields() {
        let intent: PaymentIntent = serde_json::from_str(
            r#"{"id":"pi_1","amount":500,"currency":"eur","status":"succeeded",
                "metadata":{"paybell_attempt_id":"a1"},"latest_charge":{"id":"ch_1"}}"#,
        )
        .unwrap();
        assert!(intent.succeeded());
        assert_eq!(intent.meta("paybell_attempt_id"), Some("a1"));
        assert_eq!(intent.client_secret, None);
    }
}
