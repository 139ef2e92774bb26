//! The Stripe settings (`PAYBELL_PAYMENTS=stripe`): keys checked for their shape, URLs for
//! their scheme, and the origins the web app's Content-Security-Policy must allow.

use std::fmt;

use url::Url;

/// Stripe's API unless `STRIPE_API_BASE` says otherwise (a test double such as localstripe).
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
/// Stripe.js unless `STRIPE_JS_URL` says otherwise.
pub const DEFAULT_JS_URL: &str = "https://js.stripe.com/v3/";
/// Where Stripe.js opens its 3-D Secure frames, when it is Stripe's own.
const HOOKS_ORIGIN: &str = "https://hooks.stripe.com";

/// Which setting is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct StripeConfigError {
    /// `secret_key`, `publishable_key`, `webhook_secret`, `api_base` or `js_url`.
    pub field: &'static str,
    /// What is wrong with it.
    pub problem: String,
}

/// The account's keys and where Stripe is. `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct StripeConfig {
    secret_key: String,
    publishable_key: String,
    webhook_secret: String,
    api_base: Url,
    js_url: Url,
}

impl fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StripeConfig")
            .field("publishable_key", &self.publishable_key)
            .field("api_base", &self.api_base.as_str())
            .field("js_url", &self.js_url.as_str())
            .finish_non_exhaustive()
    }
}

/// The origins Stripe.js needs, for the CSP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeOrigins {
    /// `script-src`: where Stripe.js is loaded from.
    pub script: String,
    /// `frame-src`: the card Element's and 3-D Secure frames.
    pub frames: Vec<String>,
    /// `connect-src`: the API Stripe.js calls.
    pub connect: String,
}

impl StripeConfig {
    /// Checks each value: `sk_…` or `rk_…`, `pk_…`, `whsec_…`, and http(s) URLs.
    ///
    /// # Errors
    /// [`StripeConfigError`] naming the first bad field.
    pub fn new(
        secret_key: &str,
        publishable_key: &str,
        webhook_secret: &str,
        api_base: Option<&str>,
        js_url: Option<&str>,
    ) -> Result<Self, StripeConfigError> {
        let shaped = |field: &'static str, value: &str, prefixes: &[&str]| {
            let value = value.trim();
            let ok = prefixes.iter().any(|p| value.len() > p.len() && value.starts_with(p))
                && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if ok {
                Ok(value.to_owned())
            } else {
                let problem = format!(
                    "must start with {} and hold only letters, digits and _",
                    prefixes.join(" or ")
                );
                Err(StripeConfigError { field, problem })
            }
        };
        Ok(Self {
            secret_key: shaped("secret_key", secret_key, &["sk_", "rk_"])?,
            publishable_key: shaped("publishable_key", publishable_key, &["pk_"])?,
            webhook_secret: shaped("webhook_secret", webhook_secret, &["whsec_"])?,
            api_base: http_url("api_base", api_base.unwrap_or(DEFAULT_API_BASE))?,
            js_url: http_url("js_url", js_url.unwrap_or(DEFAULT_JS_URL))?,
        })
    }

    /// The key the pay page gives Stripe.js.
    pub fn publishable_key(&self) -> &str {
        &self.publishable_key
    }

    /// Where Stripe.js is loaded from.
    pub fn js_url(&self) -> &Url {
        &self.js_url
    }

    /// Stripe's API base.
    pub fn api_base(&self) -> &Url {
        &self.api_base
    }

    /// The webhook endpoint's signing secret.
    pub fn webhook_secret(&self) -> &str {
        &self.webhook_secret
    }

    /// The API key (server side only).
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// What the CSP must allow, and nothing more: Stripe.js's origin for the script and its
    /// frames (plus Stripe's 3-D Secure origin when it is Stripe's own Stripe.js), the API's
    /// origin for its calls.
    pub fn origins(&self) -> StripeOrigins {
        let script = origin(&self.js_url);
        let mut frames = vec![script.clone()];
        if self.js_url.host_str() == Some("js.stripe.com") {
            frames.push(HOOKS_ORIGIN.to_owned());
        }
        StripeOrigins { script, frames, connect: origin(&self.api_base) }
    }
}

fn http_url(field: &'static str, text: &str) -> Result<Url, StripeConfigError> {
    let problem = |what: &str| StripeConfigError { field, problem: format!("{text:?} {what}") };
    let url = Url::parse(text.trim()).map_err(|_| problem("is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(problem("must be an http:// or https:// URL with a host"));
    }
    Ok(url)
}

/// `scheme://host[:port]`, as CSP sources write an origin.
fn origin(url: &Url) -> String {
    url.origin().ascii_serialization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_urls_are_checked_and_origins_derived() {
        let stripe = StripeConfig::new("sk_test_1", "pk_test_1", "whsec_1", None, None).unwrap();
        let origins = stripe.origins();
        assert_eq!(origins.script, "https://js.stripe.com");
        assert_eq!(origins.frames, ["https://js.stripe.com", "https://hooks.stripe.com"]);
        assert_eq!(origins.connect, "https://api.stripe.com");
        assert!(!format!("{stripe:?}").contains("sk_test_1"));
        assert!(!format!("{stripe:?}").contains("whsec_1"));

        let local = Some("http://127.0.0.1:8420");
        let js = Some("http://127.0.0.1:8420/js.stripe.com/v3/");
        let stripe = StripeConfig::new("rk_test_1", "pk_test_1", "whsec_1", local, js).unwrap();
        let origins = stripe.origins();
        assert_eq!(origins.frames, ["http://127.0.0.1:8420"]);
        assert_eq!(origins.connect, "http://127.0.0.1:8420");

        let field = |r: Result<StripeConfig, StripeConfigError>| r.unwrap_err().field;
        assert_eq!(field(StripeConfig::new("pk_x", "pk_x", "whsec_1", None, None)), "secret_key");
        assert_eq!(
            field(StripeConfig::new("sk_x", "sk_x", "whsec_1", None, None)),
            "publishable_key"
        );
        assert_eq!(
            field(StripeConfig::new("sk_x", "pk_x", "whsec_", None, None)),
            "webhook_secret"
        );
        let ftp = StripeConfig::new("sk_x", "pk_x", "whsec_1", Some("ftp://x"), None);
        assert_eq!(field(ftp), "api_base");
        assert_eq!(field(StripeConfig::new("sk_x", "pk_x", "whsec_1", None, Some("js"))), "js_url");
    }
}
