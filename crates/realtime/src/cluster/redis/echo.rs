//! Whether this node still hears the bus. A pub/sub connection can die without a reset (a
//! firewall dropping an idle flow, a failover behind a proxy): the node would then deliver
//! nothing, its own frames included, until TCP gave up. So every lease round the node sends
//! itself an echo over the bus; one that has not come back in time means re-subscribe.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The echo sent and when one last came back.
#[derive(Debug)]
pub(super) struct Echo {
    inner: Mutex<State>,
    /// How long an echo may take.
    patience: Duration,
}

#[derive(Debug, Clone, Copy)]
struct State {
    /// When the echo still waited for went out.
    sent: Option<Instant>,
    /// When one last came back.
    heard: Option<Instant>,
}

/// What the lease round should do about the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Check {
    /// Send a new echo.
    Send,
    /// The last echo is still on its way.
    Wait,
    /// The last echo is overdue: the bus is deaf.
    Deaf,
}

impl Echo {
    pub(super) fn new(patience: Duration) -> Self {
        Self { inner: Mutex::new(State { sent: None, heard: None }), patience }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Decides, at `now`, and records a send when it says [`Check::Send`].
    pub(super) fn check(&self, now: Instant) -> Check {
        let mut state = self.state();
        let check = match (state.sent, state.heard) {
            (Some(sent), heard) if heard.is_none_or(|heard| heard < sent) => {
                if now.duration_since(sent) > self.patience { Check::Deaf } else { Check::Wait }
            }
            _ => Check::Send,
        };
        match check {
            Check::Send => state.sent = Some(now),
            Check::Deaf => state.sent = None,
            Check::Wait => {}
        }
        check
    }

    /// An echo came back.
    pub(super) fn heard(&self, now: Instant) {
        self.state().heard = Some(now);
    }

    /// A new subscription starts clean.
    pub(super) fn reset(&self) {
        *self.state() = State { sent: None, heard: None };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_echo_that_comes_back_keeps_the_bus_alive_and_one_that_does_not_makes_it_deaf() {
        let echo = Echo::new(Duration::from_secs(4));
        let start = Instant::now();
        let at = |secs| start + Duration::from_secs(secs);
        assert_eq!(echo.check(at(0)), Check::Send);
        assert_eq!(echo.check(at(2)), Check::Wait);
        echo.heard(at(3));
        assert_eq!(echo.check(at(5)), Check::Send);
        assert_eq!(echo.check(at(8)), Check::Wait);
        assert_eq!(echo.check(at(10)), Check::Deaf);
        assert_eq!(echo.check(at(11)), Check::Send, "after deaf, a fresh echo");
        echo.reset();
        assert_eq!(echo.check(at(12)), Check::Send);
    }
}
