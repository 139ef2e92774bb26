//! The time sign-ins, sessions and housekeeping go by: the system's, or a manual one that a
//! test moves forward, so a 7-day idle timeout or a 15-minute lock is tested without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use crate::domain::Timestamp;

/// A source of [`Timestamp`]s. Cheap to clone; clones of a manual clock move together.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// `None`: the system clock; otherwise unix milliseconds that only [`Clock::advance`] moves.
    manual: Option<Arc<AtomicI64>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { manual: None }
    }

    /// A clock standing at `start` until it is advanced.
    pub fn manual(start: Timestamp) -> Self {
        Self { manual: Some(Arc::new(AtomicI64::new(start.millis()))) }
    }

    /// Now, by this clock.
    pub fn now(&self) -> Timestamp {
        match &self.manual {
            Some(millis) => Timestamp::from_millis(millis.load(Ordering::SeqCst)),
            None => Timestamp::now(),
        }
    }

    /// Moves a manual clock forward by `by`; the system clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let Some(millis) = &self.manual {
            let by = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            millis.fetch_add(by, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_clones_follow() {
        let clock = Clock::manual(Timestamp::from_millis(1_000));
        let clone = clock.clone();
        assert_eq!(clock.now(), Timestamp::from_millis(1_000));
        clone.advance(Duration::from_secs(2));
        assert_eq!(clock.now(), Timestamp::from_millis(3_000));
        let system = Clock::system();
        system.advance(Duration::from_secs(3600));
        assert!(system.now() <= Timestamp::now());
    }
}
