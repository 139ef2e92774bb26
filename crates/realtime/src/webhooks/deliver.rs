//! One signed POST, retried with exponential back-off until it succeeds or 5 minutes pass.

use std::time::Duration;

use pusher_protocol::sign::webhook_signature;

use serde_json::json;

use crate::config::{AppConfig, WebhookConfig};
use crate::metrics::Metrics;
use crate::tap::{Kind, Tap};

/// How long a failing delivery keeps being retried.
pub(crate) const RETRY_FOR: Duration = Duration::from_secs(5 * 60);
/// The first pause before a retry; it doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long one attempt may take.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `body` to `hook` until a 2xx answer or the retry window closes.
pub(crate) async fn deliver(
    http: reqwest::Client,
    app: &AppConfig,
    hook: &WebhookConfig,
    body: String,
    metrics: &Metrics,
    tap: &Tap,
) {
    let signature = webhook_signature(app.secret.expose(), body.as_bytes());
    let started = tokio::time::Instant::now();
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match attempt_once(&http, app, hook, &body, &signature).await {
            Ok(status) => {
                metrics.webhook_delivered();
                tap.record(Kind::Webhook, || {
                    json!({ "outcome": "sent", "url": hook.url.as_str(), "status": status, "attempt": attempt, "body": &body })
                });
                return;
            }
            Err(Failed { status, problem }) => {
                metrics.webhook_failed();
                let given_up = started.elapsed() + backoff > RETRY_FOR;
                tap.record(Kind::Webhook, || {
                    let outcome = if given_up { "failed" } else { "retrying" };
                    json!({
                        "outcome": outcome, "url": hook.url.as_str(), "status": status,
                        "attempt": attempt, "problem": &problem, "body": &body,
                    })
                });
                if given_up {
                    tracing::error!(app = %app.id, url = %hook.url, attempt, %problem, "webhook given up");
                    return;
                }
                tracing::warn!(app = %app.id, url = %hook.url, attempt, %problem, retry_in = ?backoff, "webhook failed");
            }
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
        attempt += 1;
    }
}

/// A failed attempt: the answer's status when there was one, and what went wrong.
struct Failed {
    status: Option<u16>,
    problem: String,
}

/// One POST; the 2xx status it got.
async fn attempt_once(
    http: &reqwest::Client,
    app: &AppConfig,
    hook: &WebhookConfig,
    body: &str,
    signature: &str,
) -> Result<u16, Failed> {
    let mut request = http.post(hook.url.clone()).timeout(ATTEMPT_TIMEOUT);
    // Custom headers first, so the signature headers always win.
    for (name, value) in &hook.headers {
        request = request.header(name, value);
    }
    let response = request
        .header("Content-Type", "application/json")
        .header("X-Pusher-Key", app.key.as_str())
        .header("X-Pusher-Signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| Failed { status: None, problem: format!("request failed: {e}") })?;
    let status = response.status();
    if status.is_success() {
        Ok(status.as_u16())
    } else {
        Err(Failed { status: Some(status.as_u16()), problem: format!("answered {status}") })
    }
}
