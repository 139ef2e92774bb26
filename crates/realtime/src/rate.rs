//! A token bucket: `rate` requests per second, bursts up to `rate`.

use std::sync::Mutex;
use std::time::Instant;

/// Limits how often something may happen.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: f64,
    state: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub(crate) fn per_second(rate: u32) -> Self {
        let rate = f64::from(rate);
        Self { rate, state: Mutex::new((rate, Instant::now())) }
    }

    /// Takes a token if one is left.
    pub(crate) fn allow(&self) -> bool {
        self.allow_at(Instant::now())
    }

    fn allow_at(&self, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (tokens, last) = *state;
        let refilled = now
            .saturating_duration_since(last)
            .as_secs_f64()
            .mul_add(self.rate, tokens)
            .min(self.rate);
        let allowed = refilled >= 1.0;
        *state = (if allowed { refilled - 1.0 } else { refilled }, now);
        allowed
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
}
