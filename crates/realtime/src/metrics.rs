//! Counters for `/metrics` (Prometheus text format): per-app usage kept beside each app, and
//! server-wide HTTP API and webhook figures here. Plain atomics: counting costs one add.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Upper bounds of the latency histogram buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] =
    [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0];

/// Picks one counter out of a [`Usage`].
type UsageField = fn(&Usage) -> &AtomicU64;

/// Server-wide figures. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metrics(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    api_requests: Mutex<BTreeMap<u16, u64>>,
    api_latency: Histogram,
    webhooks_delivered: AtomicU64,
    webhooks_failed: AtomicU64,
    webhooks_dropped: AtomicU64,
    redis: RedisFigures,
}

/// The Redis cluster backend's health, shown only when it is configured.
#[derive(Debug, Default)]
struct RedisFigures {
    enabled: AtomicBool,
    up: AtomicBool,
    errors: AtomicU64,
    dropped: AtomicU64,
}

/// One app's usage.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    pub(crate) connections_total: AtomicU64,
    pub(crate) messages_in: AtomicU64,
    pub(crate) messages_out: AtomicU64,
    pub(crate) bytes_in: AtomicU64,
    pub(crate) bytes_out: AtomicU64,
    pub(crate) slow_client_closes: AtomicU64,
    pub(crate) api_events: AtomicU64,
    pub(crate) publish_latency: Histogram,
}

/// Cumulative histogram buckets, a sum and a count.
#[derive(Debug, Default)]
pub(crate) struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub(crate) fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let bare = labels.trim_end_matches(',');
        let bare = if bare.is_empty() { String::new() } else { format!("{{{bare}}}") };
        let _ = writeln!(out, "{name}_sum{bare} {sum}");
        let _ = writeln!(out, "{name}_count{bare} {count}");
    }
}

impl Metrics {
    pub(crate) fn api_request(&self, status: u16, elapsed: Duration) {
        let mut counts =
            self.0.api_requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *counts.entry(status).or_default() += 1;
        drop(counts);
        self.0.api_latency.observe(elapsed);
    }

    pub(crate) fn webhook_delivered(&self) {
        self.0.webhooks_delivered.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn webhook_failed(&self) {
        self.0.webhooks_failed.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn webhook_dropped(&self) {
        self.0.webhooks_dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn redis_enabled(&self) {
        self.0.redis.enabled.store(true, Ordering::Relaxed);
        self.0.redis.up.store(true, Ordering::Relaxed);
    }

    pub(crate) fn redis_up(&self, up: bool) {
        self.0.redis.up.store(up, Ordering::Relaxed);
    }

    /// Whether Redis answered the last call; `None` without a Redis cluster backend.
    pub(crate) fn redis_is_up(&self) -> Option<bool> {
        let redis = &self.0.redis;
        redis.enabled.load(Ordering::Relaxed).then(|| redis.up.load(Ordering::Relaxed))
    }

    pub(crate) fn redis_error(&self) {
        self.0.redis.errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn redis_dropped(&self) {
        self.0.redis.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// The Prometheus text for these figures and each app's `(id, connections, usage)`.
    pub(crate) fn render<'a>(
        &self,
        apps: impl Iterator<Item = (&'a str, usize, &'a Usage)>,
    ) -> String {
        let mut out = String::new();
        let apps: Vec<_> = apps.collect();
        let gauge = |out: &mut String, name: &str, help: &str, kind: &str| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        };
        gauge(&mut out, "paybell_connections", "Open WebSocket connections.", "gauge");
        for (id, connections, _) in &apps {
            let _ = writeln!(out, "paybell_connections{{app_id=\"{id}\"}} {connections}");
        }
        let counters: [(&str, &str, UsageField); 7] = [
            ("paybell_connections_total", "WebSocket connections opened.", |u| {
                &u.connections_total
            }),
            ("paybell_ws_messages_received_total", "Messages received from clients.", |u| {
                &u.messages_in
            }),
            ("paybell_ws_messages_sent_total", "Messages sent to clients.", |u| &u.messages_out),
            ("paybell_ws_bytes_received_total", "Bytes received from clients.", |u| &u.bytes_in),
            ("paybell_ws_bytes_sent_total", "Bytes sent to clients.", |u| &u.bytes_out),
            (
                "paybell_slow_client_closes_total",
                "Connections closed with 4100 because their queue was full.",
                |u| &u.slow_client_closes,
            ),
            (
                "paybell_api_events_total",
                "Events triggered through the HTTP API or in-process.",
                |u| &u.api_events,
            ),
        ];
        for (name, help, field) in counters {
            gauge(&mut out, name, help, "counter");
            for (id, _, usage) in &apps {
                let value = field(usage).load(Ordering::Relaxed);
                let _ = writeln!(out, "{name}{{app_id=\"{id}\"}} {value}");
            }
        }
        gauge(
            &mut out,
            "paybell_publish_seconds",
            "Time to hand one event to every subscriber queue.",
            "histogram",
        );
        for (id, _, usage) in &apps {
            usage.publish_latency.render(
                &mut out,
                "paybell_publish_seconds",
                &format!("app_id=\"{id}\","),
            );
        }
        gauge(
            &mut out,
            "paybell_http_api_requests_total",
            "HTTP API requests by status.",
            "counter",
        );
        let counts =
            self.0.api_requests.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        for (status, count) in counts {
            let _ = writeln!(out, "paybell_http_api_requests_total{{status=\"{status}\"}} {count}");
        }
        gauge(&mut out, "paybell_http_api_seconds", "HTTP API request latency.", "histogram");
        self.0.api_latency.render(&mut out, "paybell_http_api_seconds", "");
        let webhooks = [
            (
                "paybell_webhooks_delivered_total",
                "Webhook requests answered with 2xx.",
                &self.0.webhooks_delivered,
            ),
            (
                "paybell_webhooks_failed_total",
                "Webhook attempts that failed (each retry counts).",
                &self.0.webhooks_failed,
            ),
            (
                "paybell_webhooks_dropped_total",
                "Webhook events dropped because the queue was full.",
                &self.0.webhooks_dropped,
            ),
        ];
        for (name, help, value) in webhooks {
            gauge(&mut out, name, help, "counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        if let Some(up) = self.redis_is_up() {
            gauge(&mut out, "paybell_redis_up", "1 when Redis answered the last call.", "gauge");
            let _ = writeln!(out, "paybell_redis_up {}", u8::from(up));
            let redis = [
                (
                    "paybell_redis_errors_total",
                    "Redis calls that failed or timed out.",
                    &self.0.redis.errors,
                ),
                (
                    "paybell_redis_dropped_total",
                    "Frames not sent to other nodes because the Redis queue was full.",
                    &self.0.redis.dropped,
                ),
            ];
            for (name, help, value) in redis {
                gauge(&mut out, name, help, "counter");
                let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_histograms() {
        let metrics = Metrics::default();
        metrics.api_request(200, Duration::from_micros(300));
        metrics.api_request(401, Duration::from_millis(2));
        let usage = Usage::default();
        usage.messages_out.fetch_add(5, Ordering::Relaxed);
        let text = metrics.render([("app-1", 3, &usage)].into_iter());
        assert!(text.contains("paybell_connections{app_id=\"app-1\"} 3\n"), "{text}");
        assert!(text.contains("paybell_ws_messages_sent_total{app_id=\"app-1\"} 5\n"), "{text}");
        assert!(text.contains("paybell_http_api_requests_total{status=\"401\"} 1\n"), "{text}");
        assert!(text.contains("paybell_http_api_seconds_bucket{le=\"0.0005\"} 1\n"), "{text}");
        assert!(text.contains("paybell_http_api_seconds_bucket{le=\"0.0025\"} 2\n"), "{text}");
        assert!(text.contains("paybell_http_api_seconds_count 2\n"), "{text}");
    }
}
