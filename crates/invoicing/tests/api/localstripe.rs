//! localstripe (PyPI, installed in `.venv-test` by `scripts/install-test-deps.sh`) as the
//! Stripe API: `tests/stripe/server.py` on a free port, empty, stopped on drop. What it does
//! and does not do is listed in issue #13; here: PaymentIntents confirm once they carry a
//! payment method set by an update, `4242…` succeeds and `4000 0000 0000 0341` is declined,
//! webhooks go to URLs registered at `/_config/webhooks/{name}`; it ignores `Idempotency-Key`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use invoicing::provider::Provider;
use invoicing::stripe::StripeConfig;
use serde_json::Value;

use crate::smtp::{python, root};

pub(crate) const SECRET_KEY: &str = "sk_test_paybell";
pub(crate) const PUBLISHABLE_KEY: &str = "pk_test_paybell";
pub(crate) const WEBHOOK_SECRET: &str = "whsec_paybell_tests";
pub(crate) const SUCCEEDS: &str = "4242424242424242";
pub(crate) const DECLINED: &str = "4000000000000341";

/// The running server; stopped on drop.
pub(crate) struct LocalStripe {
    pub(crate) base: String,
    http: reqwest::Client,
    child: Child,
}

impl LocalStripe {
    pub(crate) fn start() -> Self {
        let mut child = Command::new(python())
            .arg(root().join("tests/stripe/server.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start localstripe");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("localstripe output");
        let port = line.trim().strip_prefix("ready ").expect("localstripe did not start");
        let base = format!("http://127.0.0.1:{port}");
        Self { base, http: reqwest::Client::new(), child }
    }

    /// The `stripe` provider on this server.
    pub(crate) fn provider(&self) -> Provider {
        self.provider_at(&self.base)
    }

    /// The `stripe` provider calling the API at `base` (a stand-in in front of this one).
    pub(crate) fn provider_at(&self, base: &str) -> Provider {
        let js = format!("{}/js.stripe.com/v3/", self.base);
        let config =
            StripeConfig::new(SECRET_KEY, PUBLISHABLE_KEY, WEBHOOK_SECRET, Some(base), Some(&js))
                .unwrap();
        Provider::from_stripe(config).unwrap()
    }

    async fn call(&self, method: reqwest::Method, path: &str, form: &[(&str, &str)]) -> Value {
        let request = self.http.request(method, format!("{}{path}", self.base));
        let response =
            request.basic_auth(SECRET_KEY, None::<&str>).form(form).send().await.unwrap();
        response.json().await.unwrap()
    }

    pub(crate) async fn post(&self, path: &str, form: &[(&str, &str)]) -> Value {
        self.call(reqwest::Method::POST, path, form).await
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, &[]).await
    }

    /// What the payer's Stripe.js would do: a card payment method for `card`, set on the
    /// intent, then confirmed. Returns the confirmation's answer (the intent, or an error).
    pub(crate) async fn pay(&self, intent: &str, card: &str) -> Value {
        let method = self
            .post(
                "/v1/payment_methods",
                &[
                    ("type", "card"),
                    ("card[number]", card),
                    ("card[exp_month]", "12"),
                    ("card[exp_year]", "2040"),
                    ("card[cvc]", "123"),
                ],
            )
            .await;
        let method = method["id"].as_str().expect("payment method").to_owned();
        let path = format!("/v1/payment_intents/{intent}");
        self.post(&path, &[("payment_method", &method)]).await;
        self.post(&format!("{path}/confirm"), &[]).await
    }

    /// Every PaymentIntent created so far.
    pub(crate) async fn intents(&self) -> Vec<Value> {
        let list = self.get("/v1/payment_intents?limit=100").await;
        list["data"].as_array().cloned().unwrap_or_default()
    }

    /// Refunds made of `intent`'s charge.
    pub(crate) async fn refunds(&self, intent: &str) -> Vec<Value> {
        let list = self.get(&format!("/v1/refunds?payment_intent={intent}")).await;
        list["data"].as_array().cloned().unwrap_or_default()
    }

    /// Sends its webhooks to `url`, signed with [`WEBHOOK_SECRET`].
    pub(crate) async fn register_webhook(&self, name: &str, url: &str) {
        let path = format!("{}/_config/webhooks/{name}", self.base);
        let form = [("url", url), ("secret", WEBHOOK_SECRET)];
        let answer = self.http.post(path).form(&form).send().await.unwrap();
        assert!(answer.status().is_success(), "webhook registration: {}", answer.status());
    }
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        // Closing stdin stops it; kill in case it hangs.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `Stripe-Signature` header for `body` at `t`, as Stripe signs.
pub(crate) fn sign(body: &str, t: i64) -> String {
    format!("t={t},v1={}", pusher_protocol::sign::hmac_hex(WEBHOOK_SECRET, &format!("{t}.{body}")))
}

/// Now, in unix seconds.
pub(crate) fn now() -> i64 {
    invoicing::domain::Timestamp::now().millis() / 1000
}
