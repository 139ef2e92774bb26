//! Token buckets: a plain one for state a single task owns (a connection's subscriptions),
//! and a shared one behind a lock (an app's HTTP API).

use std::sync::Mutex;
use std::time::Instant;

/// Tokens refill at `rate` per second up to `burst`; each allowed action takes one. The
/// rate and burst are the caller's, so a bucket kept per connection is only its state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenBucket {
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A bucket holding `burst` tokens.
    pub(crate) fn full(burst: f64, now: Instant) -> Self {
        Self { tokens: burst, last: now }
    }

    /// Takes a token if one is left.
    pub(crate) fn take(&mut self, now: Instant, rate: f64, burst: f64) -> bool {
        let refilled = now
            .saturating_duration_since(self.last)
            .as_secs_f64()
            .mul_add(rate, self.tokens)
            .min(burst);
        let allowed = refilled >= 1.0;
        *self = Self { tokens: if allowed { refilled - 1.0 } else { refilled }, last: now };
        allowed
    }
}

/// Limits how often something may happen: `rate` per second, bursts up to `rate`.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: f64,
    bucket: Mutex<TokenBucket>,
}

impl RateLimiter {
    pub(crate) fn per_second(rate: u32) -> Self {
        let rate = f64::from(rate);
        Self { rate, bucket: Mutex::new(TokenBucket::full(rate, Instant::now())) }
    }

    /// Takes a token if one is left.
    pub(crate) fn allow(&self) -> bool {
        self.allow_at(Instant::now())
    }

    fn allow_at(&self, now: Instant) -> bool {
        let mut bucket = self.bucket.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        bucket.take(now, self.rate, self.rate)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn allows_a_burst_then_refills() {
        let limiter = RateLimiter::per_second(3);
        let start = Instant::now();
        assert!((0..3).all(|_| limiter.allow_at(start)));
        assert!(!limiter.allow_at(start));
        assert!(limiter.allow_at(start + Duration::from_millis(334)));
        assert!(!limiter.allow_at(start + Duration::from_millis(340)));
    }

    #[test]
    fn the_burst_can_exceed_the_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::full(5.0, start);
        assert!((0..5).all(|_| bucket.take(start, 1.0, 5.0)));
        assert!(!bucket.take(start, 1.0, 5.0));
        assert!(bucket.take(start + Duration::from_secs(1), 1.0, 5.0));
        // Refilling stops at the burst.
        let later = start + Duration::from_secs(60);
        assert!((0..5).all(|_| bucket.take(later, 1.0, 5.0)));
        assert!(!bucket.take(later, 1.0, 5.0));
    }
}
