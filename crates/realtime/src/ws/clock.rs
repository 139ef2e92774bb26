//! A connection's one timer: it serves both the activity check (ping after silence, close
//! when the pong does not come) and the deadline to sign in, when the app requires one.
//! Times are ticks of the node's wheel (`crate::wheel`), which wakes the connection when
//! `next` is due: 12 bytes in every connection's task instead of 40 with `Instant`s.

use pusher_protocol::ErrorCode;

use super::Ending;

/// When the connection's timer must fire next, and why, in wheel ticks.
#[derive(Debug)]
pub(super) struct Clock {
    /// When the client has been silent too long (or, after a ping, when its pong is late).
    activity: u32,
    /// When the connection must be signed in by; `u32::MAX` once it is, or when not required.
    sign_in_by: u32,
    awaiting_pong: bool,
}

impl Clock {
    /// A clock started at tick `now`; `sign_in_within` when the app requires signing in.
    pub(super) fn start(now: u32, activity: u32, sign_in_within: Option<u32>) -> Self {
        Self {
            activity: now.saturating_add(activity),
            sign_in_by: sign_in_within.map_or(u32::MAX, |within| now.saturating_add(within)),
            awaiting_pong: false,
        }
    }

    /// The client said something: it is alive.
    pub(super) fn heard(&mut self, now: u32, activity: u32) {
        self.activity = now.saturating_add(activity);
        self.awaiting_pong = false;
    }

    /// The connection signed in: the deadline no longer applies.
    pub(super) fn signed_in(&mut self) {
        self.sign_in_by = u32::MAX;
    }

    /// The tick at which the timer must fire next.
    pub(super) fn next(&self) -> u32 {
        self.sign_in_by.min(self.activity)
    }

    /// The timer fired at tick `now`: `Ok(true)` when the client must be pinged, `Err` when
    /// the connection must end.
    pub(super) fn fired(&mut self, now: u32, pong: u32) -> Result<bool, Ending> {
        if self.sign_in_by <= now {
            let message = "Connection did not sign in in time".to_owned();
            return Err(Ending::Refuse(ErrorCode::Unauthorized, message));
        }
        if self.activity > now {
            return Ok(false);
        }
        if self.awaiting_pong {
            let message = "Pong reply not received".to_owned();
            return Err(Ending::Refuse(ErrorCode::PongNotReceived, message));
        }
        self.awaiting_pong = true;
        self.activity = now.saturating_add(pong);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A second in wheel ticks.
    const SEC: u32 = 10;

    #[test]
    fn silence_brings_a_ping_then_a_missing_pong_ends_the_connection() {
        let start = 1_000;
        let mut clock = Clock::start(start, 120 * SEC, None);
        assert_eq!(clock.next(), start + 120 * SEC);
        assert!(matches!(clock.fired(start + 60 * SEC, 30 * SEC), Ok(false)));
        assert!(matches!(clock.fired(start + 120 * SEC, 30 * SEC), Ok(true)));
        assert_eq!(clock.next(), start + 150 * SEC);
        let late = clock.fired(start + 150 * SEC, 30 * SEC);
        assert!(matches!(late, Err(Ending::Refuse(ErrorCode::PongNotReceived, _))));
    }

    #[test]
    fn a_pong_resets_the_wait_and_signing_in_lifts_the_deadline() {
        let start = 1_000;
        let mut clock = Clock::start(start, 120 * SEC, Some(30 * SEC));
        assert_eq!(clock.next(), start + 30 * SEC);
        clock.signed_in();
        assert_eq!(clock.next(), start + 120 * SEC);
        assert!(matches!(clock.fired(start + 120 * SEC, 30 * SEC), Ok(true)));
        clock.heard(start + 130 * SEC, 120 * SEC);
        assert!(matches!(clock.fired(start + 150 * SEC, 30 * SEC), Ok(false)));
        assert_eq!(clock.next(), start + 250 * SEC);
    }

    #[test]
    fn a_missed_sign_in_ends_the_connection() {
        let start = 1_000;
        let mut clock = Clock::start(start, 120 * SEC, Some(30 * SEC));
        let missed = clock.fired(start + 30 * SEC, 30 * SEC);
        assert!(matches!(missed, Err(Ending::Refuse(ErrorCode::Unauthorized, _))));
    }
}
