//! One clock for the process and the time stamp carried in events.
//!
//! The load generator both sends the trigger and receives the deliveries, so the send time is
//! embedded in the event's data as nanoseconds since a process-wide epoch and compared with
//! the receipt time on the same monotonic clock. The data is plain ASCII
//! (`lg1 <seq> <nanos> <padding>`) so it needs no escaping inside the server's JSON frame and
//! is found by a byte search, without parsing JSON per delivery.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Added to every reading: how much later this process's epoch is than the epoch of the
/// process it was aligned with ([`align_to`]); 0 otherwise.
static OFFSET: AtomicU64 = AtomicU64::new(0);

/// Marks the start of the process clock; later calls to [`now_nanos`] count from here.
pub fn init() {
    EPOCH.get_or_init(Instant::now);
}

/// Nanoseconds since the process epoch (monotonic).
pub fn now_nanos() -> u64 {
    let elapsed = EPOCH.get_or_init(Instant::now).elapsed();
    u64::try_from(elapsed.as_nanos())
        .unwrap_or(u64::MAX)
        .saturating_add(OFFSET.load(Ordering::Relaxed))
}

/// This process's epoch as Unix time in nanoseconds: handed to the worker processes of a
/// `cluster` run so their stamps and receipts are on this process's clock.
pub fn epoch_unix_nanos() -> u64 {
    unix_nanos().saturating_sub(now_nanos())
}

/// Puts this process on the clock of the process whose epoch was `earlier` (its
/// [`epoch_unix_nanos`]), started earlier on the same machine. The wall clock is read once
/// here and the monotonic clock used afterwards, so the two processes agree to within the
/// wall clock's drift between their starts.
pub fn align_to(earlier: u64) {
    let offset = OFFSET.load(Ordering::Relaxed);
    let own = epoch_unix_nanos().saturating_add(offset);
    OFFSET.store(own.saturating_sub(earlier), Ordering::Relaxed);
}

fn unix_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// What marks our events' data on the wire: the opening quote of the JSON string included.
const MARK: &[u8] = b"\"lg1 ";

/// A send time stamp found in an event frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// Which run or step the event belongs to.
    pub seq: u64,
    /// When the trigger was sent, in [`now_nanos`] units.
    pub sent: u64,
}

/// The event data for run `seq` sent at `sent`, padded with `x` to at least `size` bytes.
pub fn event_data(seq: u64, sent: u64, size: usize) -> String {
    let mut data = format!("lg1 {seq} {sent} ");
    while data.len() < size {
        data.push('x');
    }
    data
}

/// Finds the stamp in a server frame (`…"data":"lg1 <seq> <nanos> …"…`).
pub fn find_stamp(frame: &[u8]) -> Option<Stamp> {
    let at = frame.windows(MARK.len()).position(|w| w == MARK)?;
    let mut rest = &frame[at + MARK.len()..];
    let seq = take_number(&mut rest)?;
    let sent = take_number(&mut rest)?;
    Some(Stamp { seq, sent })
}

/// Parses a decimal number followed by one space, advancing past both.
fn take_number(rest: &mut &[u8]) -> Option<u64> {
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || rest.get(digits) != Some(&b' ') {
        return None;
    }
    let mut value: u64 = 0;
    for &digit in &rest[..digits] {
        value = value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))?;
    }
    *rest = &rest[digits + 1..];
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stamp_survives_the_round_trip_through_a_frame() {
        let data = event_data(7, 123_456_789, 64);
        assert_eq!(data.len(), 64);
        let frame = format!(r#"{{"event":"lg","channel":"c","data":"{data}"}}"#);
        assert_eq!(find_stamp(frame.as_bytes()), Some(Stamp { seq: 7, sent: 123_456_789 }));
    }

    #[test]
    fn short_data_is_not_truncated() {
        assert_eq!(event_data(1, 2, 0), "lg1 1 2 ");
        let frame = r#"{"data":"lg1 1 2 ","event":"x"}"#;
        assert_eq!(find_stamp(frame.as_bytes()), Some(Stamp { seq: 1, sent: 2 }));
    }

    #[test]
    fn frames_without_a_stamp_are_ignored() {
        assert_eq!(find_stamp(br#"{"event":"pusher:pong","data":{}}"#), None);
        assert_eq!(find_stamp(br#"{"data":"lg1 12"}"#), None);
        assert_eq!(find_stamp(br#"{"data":"lg1 x 1 "}"#), None);
        assert_eq!(find_stamp(br#"{"data":"lg1 99999999999999999999999 1 "}"#), None);
    }

    #[test]
    fn an_aligned_clock_reads_the_earlier_process_s_time() {
        init();
        let earlier = epoch_unix_nanos().saturating_sub(5_000_000_000);
        let before = now_nanos();
        align_to(earlier);
        let after = now_nanos();
        assert!(after >= before + 4_900_000_000, "{before} → {after}");
        assert!(after < before + 5_100_000_000, "{before} → {after}");
    }

    #[test]
    fn the_clock_moves_forward() {
        init();
        let a = now_nanos();
        let b = now_nanos();
        assert!(b >= a);
    }
}
