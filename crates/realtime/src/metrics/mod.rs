//! Figures for `/metrics`, encoded by `prometheus-client` in the OpenMetrics text format or
//! the Prometheus text format (0.0.4), whichever the scraper asks for: per-app usage kept
//! beside each app (`per_app`), server-wide HTTP API, webhook and Redis figures here.
//! Counting is one atomic add; the registry is put together only when scraped.

mod histogram;
mod per_app;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric as _};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::Registry;

use histogram::Histogram;
use per_app::AppsCollector;
pub(crate) use per_app::Usage;

/// The exposition formats `/metrics` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `application/openmetrics-text; version=1.0.0`, asked for by Prometheus's `Accept`.
    OpenMetrics,
    /// `text/plain; version=0.0.4`, for everyone else.
    PrometheusText,
}

impl Format {
    /// OpenMetrics when the `Accept` header names it, else the Prometheus text format.
    pub(crate) fn from_accept(accept: Option<&str>) -> Self {
        match accept {
            Some(accept) if accept.contains("application/openmetrics-text") => Self::OpenMetrics,
            _ => Self::PrometheusText,
        }
    }

    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
            Self::PrometheusText => prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
        }
    }
}

/// Server-wide figures. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub(crate) struct Metrics(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// A family lookup takes a read lock: once per API request, never per message.
    api_requests: Family<[(&'static str, u16); 1], Counter>,
    api_latency: Histogram,
    webhooks_delivered: Counter,
    webhooks_failed: Counter,
    webhooks_dropped: Counter,
    redis: Arc<RedisFigures>,
}

/// The Redis cluster backend's health, shown only when it is configured.
#[derive(Debug, Default)]
struct RedisFigures {
    enabled: AtomicBool,
    up: AtomicBool,
    errors: Counter,
    dropped: Counter,
    /// Frames and presence news received from Redis pub/sub.
    frames_received: Counter,
    /// Payload bytes of every pub/sub message received from Redis.
    bytes_received: Counter,
    /// Channels whose frames this node is subscribed to.
    channels: AtomicUsize,
}

impl Metrics {
    pub(crate) fn api_request(&self, status: u16, elapsed: Duration) {
        self.0.api_requests.get_or_create(&[("status", status)]).inc();
        self.0.api_latency.observe(elapsed);
    }

    pub(crate) fn webhook_delivered(&self) {
        self.0.webhooks_delivered.inc();
    }

    pub(crate) fn webhook_failed(&self) {
        self.0.webhooks_failed.inc();
    }

    pub(crate) fn webhook_dropped(&self) {
        self.0.webhooks_dropped.inc();
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
        self.0.redis.errors.inc();
    }

    pub(crate) fn redis_dropped(&self) {
        self.0.redis.dropped.inc();
    }

    /// A pub/sub message of `bytes` came from Redis; `frame` when it was a frame.
    pub(crate) fn redis_received(&self, bytes: usize, frame: bool) {
        let redis = &self.0.redis;
        redis.bytes_received.inc_by(bytes as u64);
        if frame {
            redis.frames_received.inc();
        }
    }

    /// This node is subscribed to the frames of `count` channels.
    pub(crate) fn redis_channels(&self, count: usize) {
        self.0.redis.channels.store(count, Ordering::Relaxed);
    }

    /// The exposition of these figures and each app's `(id, connections, usage)`.
    pub(crate) fn render<'a>(
        &self,
        apps: impl Iterator<Item = (&'a str, usize, &'a Usage)>,
        format: Format,
    ) -> String {
        // `register` ends each help text with a full stop; collectors write theirs as given.
        let mut registry = Registry::default();
        registry.register_collector(Box::new(AppsCollector::read(apps)));
        let inner = &self.0;
        registry.register(
            "paybell_http_api_requests",
            "HTTP API requests by status",
            inner.api_requests.clone(),
        );
        registry.register(
            "paybell_http_api_seconds",
            "HTTP API request latency",
            inner.api_latency.clone(),
        );
        let webhooks = [
            ("delivered", "Webhook requests answered with 2xx", &inner.webhooks_delivered),
            ("failed", "Webhook attempts that failed (each retry counts)", &inner.webhooks_failed),
            (
                "dropped",
                "Webhook events dropped because the queue was full",
                &inner.webhooks_dropped,
            ),
        ];
        for (outcome, help, counter) in webhooks {
            registry.register(format!("paybell_webhooks_{outcome}"), help, counter.clone());
        }
        registry.register_collector(Box::new(Arc::clone(&inner.redis)));
        let mut out = String::new();
        let encoded = match format {
            Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut out, &registry),
            Format::PrometheusText => {
                prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)
            }
        };
        // Writing to a `String` cannot fail; the encoders only pass on the writer's errors.
        if let Err(error) = encoded {
            tracing::error!(%error, "metrics could not be encoded");
        }
        out
    }
}

impl Collector for RedisFigures {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        if !self.enabled.load(Ordering::Relaxed) {
            return Ok(());
        }
        let up = ConstGauge::new(i64::from(self.up.load(Ordering::Relaxed)));
        let help = "1 when Redis answered the last call.";
        up.encode(encoder.encode_descriptor("paybell_redis_up", help, None, MetricType::Gauge)?)?;
        let channels = i64::try_from(self.channels.load(Ordering::Relaxed)).unwrap_or(i64::MAX);
        let help = "Channels whose frames this node is subscribed to on Redis.";
        let name = "paybell_redis_channels_subscribed";
        ConstGauge::new(channels).encode(encoder.encode_descriptor(
            name,
            help,
            None,
            MetricType::Gauge,
        )?)?;
        let counters = [
            ("paybell_redis_errors", "Redis calls that failed or timed out.", &self.errors),
            (
                "paybell_redis_dropped",
                "Frames not sent to other nodes because the Redis queue was full.",
                &self.dropped,
            ),
            (
                "paybell_redis_frames_received",
                "Frames and presence news received from Redis pub/sub.",
                &self.frames_received,
            ),
            (
                "paybell_redis_bytes_received",
                "Payload bytes of the pub/sub messages received from Redis.",
                &self.bytes_received,
            ),
        ];
        for (name, help, counter) in counters {
            let metric = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            ConstCounter::new(counter.get()).encode(metric)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    #[test]
    fn renders_counters_and_cumulative_histograms_in_both_formats() {
        let metrics = Metrics::default();
        metrics.api_request(200, Duration::from_micros(300));
        metrics.api_request(401, Duration::from_millis(2));
        let usage = Usage::default();
        usage.sent.messages.fetch_add(5, Ordering::Relaxed);
        let text = metrics.render([("app-1", 3, &usage)].into_iter(), Format::PrometheusText);
        assert!(text.contains("paybell_connections{app_id=\"app-1\"} 3\n"), "{text}");
        assert!(text.contains("paybell_ws_messages_sent_total{app_id=\"app-1\"} 5\n"), "{text}");
        assert!(text.contains("paybell_http_api_requests_total{status=\"401\"} 1\n"), "{text}");
        assert!(text.contains("paybell_http_api_seconds_bucket{le=\"0.0005\"} 1\n"), "{text}");
        assert!(text.contains("paybell_http_api_seconds_bucket{le=\"0.0025\"} 2\n"), "{text}");
        assert!(text.contains("paybell_http_api_seconds_count 2\n"), "{text}");
        assert!(text.contains("paybell_fanout_seconds_count{app_id=\"app-1\"} 0\n"), "{text}");
        assert!(!text.contains("paybell_redis_up"), "no Redis configured: {text}");
        let open = metrics.render([("app-1", 3, &usage)].into_iter(), Format::OpenMetrics);
        assert!(open.contains("# TYPE paybell_connections_opened counter\n"), "{open}");
        assert!(open.ends_with("# EOF\n"), "{open}");
    }

    #[test]
    fn redis_figures_appear_once_redis_is_configured() {
        let metrics = Metrics::default();
        metrics.redis_enabled();
        metrics.redis_error();
        metrics.redis_received(120, true);
        metrics.redis_received(30, false);
        metrics.redis_channels(7);
        let text = metrics.render(std::iter::empty(), Format::PrometheusText);
        assert!(text.contains("paybell_redis_up 1\n"), "{text}");
        assert!(text.contains("paybell_redis_errors_total 1\n"), "{text}");
        assert!(text.contains("paybell_redis_frames_received_total 1\n"), "{text}");
        assert!(text.contains("paybell_redis_bytes_received_total 150\n"), "{text}");
        assert!(text.contains("paybell_redis_channels_subscribed 7\n"), "{text}");
    }

    #[test]
    fn the_format_follows_the_accept_header() {
        let prometheus = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;q=0.4";
        assert_eq!(Format::from_accept(Some(prometheus)), Format::OpenMetrics);
        assert_eq!(Format::from_accept(Some("*/*")), Format::PrometheusText);
        assert_eq!(Format::from_accept(None), Format::PrometheusText);
    }
}
