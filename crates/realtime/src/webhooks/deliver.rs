//! One signed POST, retried with exponential back-off until it succeeds or 5 minutes pass.

use std::time::Duration;

use pusher_protocol::sign::webhook_signature;

use crate::config::{AppConfig, WebhookConfig};
use crate::metrics::Metrics;

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
) {
    let signature = webhook_signature(app.secret.expose(), body.as_bytes());
    let started = tokio::time::Instant::now();
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 1;
    loop {
        match attempt_once(&http, app, hook, &body, &signature).await {
            Ok(()) => {
                metrics.webhook_delivered();
                return;
            }
            Err(problem) => {
                metrics.webhook_failed();
                if started.elapsed() + backoff > RETRY_FOR {
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

async fn attempt_once(
    http: &reqwest::Client,
    app: &AppConfig,
    hook: &WebhookConfig,
    body: &str,
    signature: &str,
) -> Result<(), String> {
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
        .map_err(|e| format!("request failed: {e}"))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(format!("answered {}", response.status()))
    }
}
