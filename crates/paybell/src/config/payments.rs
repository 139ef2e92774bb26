//! The `[payments]` and `[stripe]` parts: which provider charges cards. `test` (the default)
//! simulates cards; `stripe` needs the account's three keys. A Stripe key set while `test` is
//! selected, or `stripe` without one of its keys, stops start-up naming the key: a half
//! configured provider is a mistake, not a choice.

use invoicing::provider::Provider;
use invoicing::stripe::StripeConfig;

use super::ConfigError;
use super::raw::{RawPayments, RawStripe};

const PROVIDER_KEY: &str = "payments.provider (PAYBELL_PAYMENTS)";

/// The provider the configuration selects.
pub(crate) fn parse(payments: RawPayments, stripe: RawStripe) -> Result<Provider, ConfigError> {
    let RawStripe { secret_key, publishable_key, webhook_secret, api_base, js_url } = stripe;
    let named = [
        ("stripe.secret_key (STRIPE_SECRET_KEY)", &secret_key),
        ("stripe.publishable_key (STRIPE_PUBLISHABLE_KEY)", &publishable_key),
        ("stripe.webhook_secret (STRIPE_WEBHOOK_SECRET)", &webhook_secret),
        ("stripe.api_base (STRIPE_API_BASE)", &api_base),
        ("stripe.js_url (STRIPE_JS_URL)", &js_url),
    ];
    match payments.provider.as_deref().map(str::trim).unwrap_or("test") {
        "test" => match named.iter().find(|(_, value)| value.is_some()) {
            Some((key, _)) => Err(ConfigError::new(
                *key,
                "is set but the payment provider is `test`: set PAYBELL_PAYMENTS=stripe, or unset it",
            )),
            None => Ok(Provider::default()),
        },
        "stripe" => {
            for (key, value) in &named[..3] {
                if value.is_none() {
                    return Err(ConfigError::new(
                        *key,
                        "must be set when the payment provider is `stripe`",
                    ));
                }
            }
            let text = |value: &Option<String>| value.clone().unwrap_or_default();
            let stripe = StripeConfig::new(
                &text(&secret_key),
                &text(&publishable_key),
                &text(&webhook_secret),
                api_base.as_deref(),
                js_url.as_deref(),
            )
            .map_err(|error| {
                let key = named
                    .iter()
                    .find(|(key, _)| key.starts_with(&format!("stripe.{} ", error.field)))
                    .map_or("stripe", |(key, _)| *key);
                ConfigError::new(key, error.problem)
            })?;
            Provider::from_stripe(stripe)
                .map_err(|error| ConfigError::new("stripe", error.to_string()))
        }
        other => {
            Err(ConfigError::new(PROVIDER_KEY, format!("{other:?} is neither `test` nor `stripe`")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stripe(keys: &[(&str, &str)]) -> RawStripe {
        let get = |name: &str| keys.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
        RawStripe {
            secret_key: get("secret"),
            publishable_key: get("publishable"),
            webhook_secret: get("webhook"),
            api_base: get("api"),
            js_url: get("js"),
        }
    }

    fn provider(name: Option<&str>) -> RawPayments {
        RawPayments { provider: name.map(str::to_owned) }
    }

    fn key_of(result: Result<Provider, ConfigError>) -> String {
        result.unwrap_err().to_string()
    }

    #[test]
    fn test_is_the_default_and_stripe_needs_its_keys() {
        assert_eq!(parse(provider(None), stripe(&[])).unwrap().name(), "test");
        let full = [("secret", "sk_test_1"), ("publishable", "pk_test_1"), ("webhook", "whsec_1")];
        let chosen = parse(provider(Some("stripe")), stripe(&full)).unwrap();
        assert_eq!(chosen.name(), "stripe");
        assert_eq!(chosen.stripe().unwrap().publishable_key(), "pk_test_1");

        let partial = key_of(parse(provider(Some("stripe")), stripe(&full[..2])));
        assert!(partial.contains("STRIPE_WEBHOOK_SECRET"), "{partial}");
        let stray = key_of(parse(provider(None), stripe(&[("api", "http://127.0.0.1:1")])));
        assert!(stray.contains("STRIPE_API_BASE"), "{stray}");
        let bad = [("secret", "pk_oops"), ("publishable", "pk_test_1"), ("webhook", "whsec_1")];
        let shape = key_of(parse(provider(Some("stripe")), stripe(&bad)));
        assert!(shape.contains("STRIPE_SECRET_KEY") && shape.contains("sk_"), "{shape}");
        let odd = key_of(parse(provider(Some("paypal")), stripe(&[])));
        assert!(odd.contains("PAYBELL_PAYMENTS"), "{odd}");
    }
}
