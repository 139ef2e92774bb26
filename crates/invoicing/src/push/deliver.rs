//! The push worker: the push deliveries' [`Work`], run by the durable worker loop
//! ([`crate::durable::run`]). Each claimed row becomes one request to its subscription's push
//! service (RFC 8030): the event's payload encrypted `aes128gcm`, with `TTL`,
//! `Urgency: high`, a `Topic` per invoice (a newer push for one invoice replaces a queued
//! one) and the VAPID `Authorization`.
//!
//! Answers: 2xx delivered; 404/410 the subscription is gone, removed, the row done; 429 and
//! 5xx retried, not before the `Retry-After` the service gives (the row is deferred, its
//! subscription's later rows wait behind it); another 4xx is refused for good. A row not
//! delivered within the TTL is given up: the push service would drop it by then anyway.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use url::Url;

use super::subscription::Subscription;
use super::{PushSettings, Subject, ece};
use crate::domain::Timestamp;
use crate::durable::{self, NodeId, Performed, Work, WorkerOptions};
use crate::store::{PUSH, PushRow, PushSubscriptionRow, Store, StoreError, WorkTable};

/// Longest wait for a push service's answer; below the worker's step timeout.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

/// The longest `Retry-After` honoured; a longer one waits this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Why a push was not delivered (yet).
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The push service could not be reached or did not answer in time: retried.
    #[error("push service not reached")]
    Request(#[source] reqwest::Error),
    /// The push service answered 429 or 5xx: retried (after its `Retry-After`, if any).
    #[error("push service answered {status}, retry after {retry_after:?}")]
    Unavailable {
        /// Its status.
        status: u16,
        /// Its `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The push service refused the request (another 4xx): the row fails, keeping the answer.
    #[error("push service refused with {status}: {body}")]
    Refused {
        /// Its status.
        status: u16,
        /// The start of its answer.
        body: String,
    },
    /// The stored subscription does not parse (a row from an older version): the row fails.
    #[error("stored subscription is invalid")]
    Subscription(#[source] super::subscription::SubscriptionError),
    /// The payload does not fit one push.
    #[error("payload")]
    Encrypt(#[source] ece::EceError),
    /// The outbox row was purged before the push (the purge waits, so only by hand).
    #[error("the event {0} is no longer in the outbox")]
    EventGone(String),
    /// Not delivered within the TTL.
    #[error("gave up after the TTL")]
    GaveUp(#[source] Box<PushError>),
    /// Reading or recording failed: retried.
    #[error("store")]
    Store(#[from] StoreError),
}

/// Runs the push worker until `stop` is cancelled, claiming as `node`. Without a configured
/// contact, `public_url` (when https) or the first owner's address is the VAPID `sub`.
pub async fn run(
    store: Store,
    settings: PushSettings,
    public_url: Url,
    node: NodeId,
    options: WorkerOptions,
    stop: CancellationToken,
) {
    let http = match reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(http) => http,
        Err(error) => {
            let error = durable::error_chain(&error);
            tracing::error!(%error, "HTTP client; pushes stay queued");
            stop.cancelled().await;
            return;
        }
    };
    let wake = store.push_written();
    let pusher = Pusher { store: store.clone(), http, settings, public_url };
    durable::run(store, pusher, node, options, wake, stop).await;
}

/// Delivering push rows.
struct Pusher {
    store: Store,
    http: reqwest::Client,
    settings: PushSettings,
    public_url: Url,
}

impl Work for Pusher {
    type Item = PushRow;
    type Error = PushError;
    const TABLE: &'static WorkTable = &PUSH;
    const NAME: &'static str = "push";
    /// One request per call, so the step timeout bounds one push.
    const STEP: usize = 1;
    const KEYS: i64 = 10;

    async fn perform(&self, items: &[PushRow]) -> Performed<PushError> {
        for (done, item) in items.iter().enumerate() {
            if let Err(error) = self.deliver(item).await {
                let error = give_up_if_old(item, error, self.settings.ttl);
                return Performed { done, failure: Some(error) };
            }
        }
        Performed { done: items.len(), failure: None }
    }

    fn is_permanent(error: &PushError) -> bool {
        match error {
            PushError::Refused { .. }
            | PushError::Subscription(_)
            | PushError::Encrypt(_)
            | PushError::EventGone(_)
            | PushError::GaveUp(_) => true,
            PushError::Request(_) | PushError::Unavailable { .. } | PushError::Store(_) => false,
        }
    }
}

impl Pusher {
    async fn deliver(&self, row: &PushRow) -> Result<(), PushError> {
        let Some(stored) = self.store.push_subscription(&row.subscription_id).await? else {
            // Unsubscribed since: nothing to deliver.
            return Ok(());
        };
        let payload = self
            .store
            .event_payload(&row.event_id)
            .await?
            .ok_or_else(|| PushError::EventGone(row.event_id.clone()))?;
        let subscription = Subscription::parse(&stored.endpoint, &stored.p256dh, &stored.auth)
            .map_err(PushError::Subscription)?;
        let body =
            ece::encrypt(&subscription.keys, payload.as_bytes()).map_err(PushError::Encrypt)?;
        let subject = self.subject().await?;
        let now_secs = u64::try_from(Timestamp::now().millis() / 1000).unwrap_or(0);
        let response = self
            .http
            .post(subscription.endpoint.clone())
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("TTL", self.settings.ttl.as_secs().to_string())
            .header("Urgency", "high")
            .header("Topic", topic(&row.invoice_id))
            .header(
                "Authorization",
                self.settings.key.authorization(&subscription.endpoint, &subject, now_secs),
            )
            .body(body)
            .send()
            .await
            .map_err(PushError::Request)?;
        let status = response.status();
        self.store.set_push_status(row.seq, status.as_u16()).await?;
        self.answer(row, &stored, status, response).await
    }

    /// What the push service's answer means for the row.
    async fn answer(
        &self,
        row: &PushRow,
        stored: &PushSubscriptionRow,
        status: StatusCode,
        response: reqwest::Response,
    ) -> Result<(), PushError> {
        if status.is_success() {
            tracing::debug!(seq = row.seq, "push delivered");
            return Ok(());
        }
        if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
            tracing::info!(subscription = %stored.id, %status, "push subscription gone; removed");
            self.store.remove_push_subscription_by_id(&stored.id).await?;
            return Ok(());
        }
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = retry_after(response.headers(), Timestamp::now());
            if let Some(wait) = retry_after {
                self.store.defer_push(row.seq, Timestamp::now().plus(wait)).await?;
            }
            return Err(PushError::Unavailable { status: status.as_u16(), retry_after });
        }
        let body = response.text().await.unwrap_or_default();
        let body: String = body.chars().take(200).collect();
        Err(PushError::Refused { status: status.as_u16(), body })
    }

    async fn subject(&self) -> Result<Subject, StoreError> {
        if let Some(subject) = &self.settings.subject {
            return Ok(subject.clone());
        }
        let owner = self.store.first_owner_email().await?;
        Ok(Subject::default_for(&self.public_url, owner.as_deref()))
    }
}

/// The `Topic` of an invoice's pushes: at most 32 characters of the URL-safe base64 alphabet
/// (RFC 8030), the same for every push about it, and revealing nothing of its id.
pub fn topic(invoice_id: &str) -> String {
    let digest = Sha256::digest(format!("paybell-invoice:{invoice_id}").as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..24])
}

/// A `Retry-After` in seconds or as an HTTP date, at most [`MAX_RETRY_AFTER`].
fn retry_after(headers: &HeaderMap, now: Timestamp) -> Option<Duration> {
    let text = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = if let Ok(seconds) = text.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        let at = time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc2822)
            .ok()?;
        let millis = i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()?;
        Duration::from_millis(u64::try_from(millis - now.millis()).unwrap_or(0))
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// A temporary failure of a row older than the TTL becomes permanent.
fn give_up_if_old(row: &PushRow, error: PushError, ttl: Duration) -> PushError {
    let age = Timestamp::now().millis().saturating_sub(row.created_at);
    let too_old = u128::try_from(age).unwrap_or(0) > ttl.as_millis();
    if too_old && !Pusher::is_permanent(&error) {
        PushError::GaveUp(Box::new(error))
    } else {
        error
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn topics_are_32_url_safe_characters_per_invoice() {
        let a = topic("0b6f1f0e-3b0e-4b8e-9a43-0e8c4d6f7a21");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(a, topic("0b6f1f0e-3b0e-4b8e-9a43-0e8c4d6f7a21"));
        assert_ne!(a, topic("another"));
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date_and_capped() {
        let now = Timestamp::from_millis(784_111_777_000); // Sun, 06 Nov 1994 08:49:37 GMT
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
            retry_after(&headers, now)
        };
        assert_eq!(with("2"), Some(Duration::from_secs(2)));
        assert_eq!(with("Sun, 06 Nov 1994 08:50:07 GMT"), Some(Duration::from_secs(30)));
        assert_eq!(with("Sun, 06 Nov 1994 08:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(with("999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(with("soon"), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }
}
