//! The dispatcher task: delays and cancels vacate/remove events, batches, and hands each
//! request to a delivery task.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pusher_protocol::ChannelName;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::deliver::{ATTEMPT_TIMEOUT, deliver};
use super::{Job, WebhookEvent};
use crate::config::{AppConfig, AppId, WebhookKind};
use crate::metrics::Metrics;
use crate::tap::Tap;

/// How long `channel_vacated` and `member_removed` wait for the channel or member to return.
pub(crate) const LEAVE_DELAY: Duration = Duration::from_secs(3);
/// How long shutdown waits for deliveries in flight.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// `(app id, channel, user id)`: what a delayed leave is cancelled by.
type LeaveKey = (AppId, ChannelName, Option<Arc<str>>);

/// Events collected for one webhook of one app.
#[derive(Debug)]
struct Batch {
    app: Arc<AppConfig>,
    tap: Arc<Tap>,
    hook: usize,
    events: Vec<Value>,
    due: Instant,
}

/// Drains the webhook queue until told to flush.
#[derive(Debug)]
pub(crate) struct Dispatcher {
    jobs: mpsc::Receiver<Job>,
    http: reqwest::Client,
    metrics: Metrics,
    deliveries: TaskTracker,
    delayed: HashMap<LeaveKey, (Job, Instant)>,
    batches: HashMap<(AppId, usize), Batch>,
}

impl Dispatcher {
    pub(crate) fn new(jobs: mpsc::Receiver<Job>, metrics: Metrics) -> Self {
        Self {
            jobs,
            http: reqwest::Client::builder()
                .connect_timeout(ATTEMPT_TIMEOUT)
                .build()
                .unwrap_or_default(),
            metrics,
            deliveries: TaskTracker::new(),
            delayed: HashMap::new(),
            batches: HashMap::new(),
        }
    }

    /// Runs until `flush` is cancelled, then sends everything still held back and waits a
    /// little for deliveries in flight.
    pub(crate) async fn run(mut self, flush: CancellationToken) {
        loop {
            let next = self.next_due();
            tokio::select! {
                biased;
                () = flush.cancelled() => break,
                job = self.jobs.recv() => match job {
                    Some(job) => self.accept(job, Instant::now()),
                    None => break,
                },
                () = sleep_until(next.unwrap_or_else(far_future)), if next.is_some() => {
                    self.release(Instant::now());
                }
            }
        }
        while let Ok(job) = self.jobs.try_recv() {
            self.accept(job, Instant::now());
        }
        self.release(far_future());
        self.deliveries.close();
        if tokio::time::timeout(FLUSH_TIMEOUT, self.deliveries.wait()).await.is_err() {
            tracing::warn!("webhook deliveries still retrying at shutdown were abandoned");
        }
    }

    fn next_due(&self) -> Option<Instant> {
        let delayed = self.delayed.values().map(|(_, due)| *due);
        let batches = self.batches.values().map(|b| b.due);
        delayed.chain(batches).min()
    }

    fn accept(&mut self, job: Job, now: Instant) {
        let key = leave_key(&job);
        match job.event.kind() {
            WebhookKind::ChannelVacated | WebhookKind::MemberRemoved => {
                self.delayed.insert(key, (job, now + LEAVE_DELAY));
            }
            // Back within the delay: neither the leave nor this return is news.
            WebhookKind::ChannelOccupied | WebhookKind::MemberAdded
                if self.delayed.remove(&key).is_some() => {}
            WebhookKind::ChannelOccupied
            | WebhookKind::MemberAdded
            | WebhookKind::ClientEvent
            | WebhookKind::CacheMiss
            | WebhookKind::SubscriptionCount => self.route(&job, now),
        }
    }

    /// Sends what is due at `now`: delayed leaves and full batches.
    fn release(&mut self, now: Instant) {
        let due: Vec<LeaveKey> =
            self.delayed.iter().filter(|(_, (_, at))| *at <= now).map(|(k, _)| k.clone()).collect();
        for key in due {
            if let Some((job, _)) = self.delayed.remove(&key) {
                self.route(&job, now);
            }
        }
        let ready: Vec<(AppId, usize)> =
            self.batches.iter().filter(|(_, b)| b.due <= now).map(|(k, _)| k.clone()).collect();
        for key in ready {
            if let Some(batch) = self.batches.remove(&key) {
                self.send(batch.app, batch.tap, batch.hook, batch.events);
            }
        }
    }

    fn route(&mut self, job: &Job, now: Instant) {
        let kind = job.event.kind();
        let channel = job.event.channel().as_str();
        for (index, hook) in job.app.webhooks.iter().enumerate() {
            if !hook.wants(kind, channel) {
                continue;
            }
            let event = job.event.to_json();
            if hook.batch.is_zero() {
                self.send(job.app.clone(), job.tap.clone(), index, vec![event]);
                continue;
            }
            self.batches
                .entry((job.app.id.clone(), index))
                .or_insert_with(|| Batch {
                    app: job.app.clone(),
                    tap: job.tap.clone(),
                    hook: index,
                    events: Vec::new(),
                    due: now + hook.batch,
                })
                .events
                .push(event);
        }
    }

    fn send(&self, app: Arc<AppConfig>, tap: Arc<Tap>, hook: usize, events: Vec<Value>) {
        let time_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let body = json!({ "time_ms": time_ms, "events": events }).to_string();
        let http = self.http.clone();
        let metrics = self.metrics.clone();
        self.deliveries.spawn(async move {
            if let Some(hook) = app.webhooks.get(hook) {
                deliver(http, &app, hook, body, &metrics, &tap).await;
            }
        });
    }
}

fn leave_key(job: &Job) -> LeaveKey {
    let user = match &job.event {
        WebhookEvent::MemberAdded { user_id, .. } | WebhookEvent::MemberRemoved { user_id, .. } => {
            Some(user_id.clone())
        }
        WebhookEvent::ChannelOccupied { .. }
        | WebhookEvent::ChannelVacated { .. }
        | WebhookEvent::ClientEvent { .. }
        | WebhookEvent::CacheMiss { .. }
        | WebhookEvent::SubscriptionCount { .. } => None,
    };
    (job.app.id.clone(), job.event.channel().clone(), user)
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400)
}
