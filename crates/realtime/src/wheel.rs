//! The node's one timer for all its connections, and the list of them.
//!
//! A connection does not keep a timer of its own (a tokio `Sleep` is 112 B in every task):
//! it writes when its timer is next due into its handle, and this wheel files the handle
//! under that tick. Every tick the wheel looks at the handles filed under it: one whose
//! deadline has moved on (the client spoke meanwhile) is filed again later, the others are
//! woken to ping or close. A deadline that moves costs one atomic store, never the lock.
//!
//! Every open connection is filed exactly once, so the wheel is also how the node finds its
//! connections to close them all (shutdown) or an app's (disabled or removed), with no
//! per-app registry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::conn::{ConnHandle, Kick};

/// The wheel's resolution: a timer fires at most this late.
pub(crate) const TICK: Duration = Duration::from_millis(100);

/// Ticks until a woken connection is looked at again if it has not moved its deadline
/// (it moves it as soon as its task runs; this only bounds a stuck one).
const RECHECK: u32 = 1;

/// `duration` in ticks, rounded up.
pub(crate) fn ticks(duration: Duration) -> u32 {
    u32::try_from(duration.as_nanos().div_ceil(TICK.as_nanos())).unwrap_or(u32::MAX)
}

/// Connections by the tick they are filed under.
#[derive(Debug)]
pub(crate) struct Wheel {
    epoch: Instant,
    slots: Mutex<BTreeMap<u32, Vec<ConnHandle>>>,
}

impl Wheel {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self { epoch: Instant::now(), slots: Mutex::new(BTreeMap::new()) })
    }

    fn slots(&self) -> MutexGuard<'_, BTreeMap<u32, Vec<ConnHandle>>> {
        self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The first tick at or after `at`.
    #[cfg(test)]
    fn tick_of(&self, at: Instant) -> u32 {
        ticks(at.saturating_duration_since(self.epoch))
    }

    /// The tick that has passed last.
    pub(crate) fn now(&self) -> u32 {
        let ticks = self.epoch.elapsed().as_nanos() / TICK.as_nanos();
        u32::try_from(ticks).unwrap_or(u32::MAX)
    }

    /// Files a new connection under its deadline.
    pub(crate) fn file(&self, conn: &ConnHandle) {
        let mut slots = self.slots();
        file_at(&mut slots, conn.deadline(), conn.clone());
    }

    /// Forgets a connection that ended.
    pub(crate) fn remove(&self, conn: &ConnHandle) {
        let mut slots = self.slots();
        let filed = conn.filed();
        let Some(slot) = slots.get_mut(&filed) else { return };
        if let Some(index) = slot.iter().position(|c| c.same(conn)) {
            slot.swap_remove(index);
        }
        if slot.is_empty() {
            slots.remove(&filed);
        } else if slot.capacity() > 4 * slot.len() {
            slot.shrink_to(2 * slot.len());
        }
    }

    /// Kicks every connection `which` picks. One that is filed afterwards must check for
    /// itself whether it should have been (the apps and the server do, right after filing).
    pub(crate) fn kick_where(&self, which: impl Fn(&ConnHandle) -> bool, kick: Kick) {
        for conn in self.slots().values().flatten().filter(|c| which(c)) {
            conn.kick(kick.code, kick.reason);
        }
    }

    /// Connections filed now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots().values().map(Vec::len).sum()
    }

    /// Handles every connection filed up to tick `now`.
    fn turn(&self, now: u32) {
        let mut slots = self.slots();
        let later = slots.split_off(&now.saturating_add(1));
        let due = std::mem::replace(&mut *slots, later);
        for conn in due.into_values().flatten() {
            let deadline = conn.deadline();
            let at = if deadline <= now {
                conn.timer_due();
                now.saturating_add(RECHECK)
            } else {
                deadline
            };
            file_at(&mut slots, at, conn);
        }
    }

    /// Turns the wheel every tick while the node lives; when `shutdown` is cancelled, kicks
    /// every connection with `stopping` once.
    pub(crate) async fn run(wheel: Weak<Self>, shutdown: CancellationToken, stopping: Kick) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut told = false;
        loop {
            tokio::select! {
                () = shutdown.cancelled(), if !told => {
                    told = true;
                    let Some(wheel) = wheel.upgrade() else { return };
                    wheel.kick_where(|_| true, stopping);
                }
                _ = tick.tick() => {
                    let Some(wheel) = wheel.upgrade() else { return };
                    wheel.turn(wheel.now());
                }
            }
        }
    }
}

fn file_at(slots: &mut BTreeMap<u32, Vec<ConnHandle>>, tick: u32, conn: ConnHandle) {
    conn.set_filed(tick);
    slots.entry(tick).or_default().push(conn);
}

#[cfg(test)]
mod tests {
    use pusher_protocol::{ErrorCode, SocketId};

    use super::*;

    fn conn(id: u64, app: u32, deadline: u32) -> ConnHandle {
        let conn = ConnHandle::new(SocketId::new(1, id), 8, app, Arc::default());
        conn.set_deadline(deadline);
        conn
    }

    #[tokio::test]
    async fn a_due_connection_is_woken_and_a_moved_one_refiled() {
        let wheel = Wheel::new();
        let (due, moved) = (conn(1, 1, 5), conn(2, 1, 5));
        wheel.file(&due);
        wheel.file(&moved);
        moved.set_deadline(50);
        wheel.turn(4);
        assert!(!due.take_timer() && !moved.take_timer());
        wheel.turn(5);
        assert!(due.take_timer(), "the due one is woken");
        assert!(!moved.take_timer(), "the one whose client spoke is not");
        assert_eq!(moved.filed(), 50);
        assert_eq!(due.filed(), 5 + RECHECK);
        assert_eq!(wheel.len(), 2);
    }

    #[tokio::test]
    async fn an_ended_connection_is_forgotten_wherever_it_is_filed() {
        let wheel = Wheel::new();
        let conns: Vec<_> = (0..10).map(|i| conn(i, 1, 7)).collect();
        for c in &conns {
            wheel.file(c);
        }
        wheel.remove(&conns[3]);
        wheel.turn(100);
        wheel.remove(&conns[4]);
        assert_eq!(wheel.len(), 8);
        for c in &conns {
            wheel.remove(c);
        }
        assert_eq!(wheel.len(), 0);
        assert!(wheel.slots().is_empty());
    }

    #[tokio::test]
    async fn kicks_reach_only_the_connections_picked() {
        let wheel = Wheel::new();
        let (a, b) = (conn(1, 1, 10), conn(2, 2, 20));
        wheel.file(&a);
        wheel.file(&b);
        let kick = Kick { code: ErrorCode::AppDisabled, reason: "off" };
        wheel.kick_where(|c| c.app() == 2, kick);
        assert!(a.check_kick().is_ok());
        assert_eq!(b.check_kick(), Err(kick));
    }

    #[test]
    fn a_deadline_rounds_up_to_a_tick() {
        let wheel = Wheel::new();
        assert_eq!(wheel.tick_of(wheel.epoch), 0);
        assert_eq!(wheel.tick_of(wheel.epoch + TICK), 1);
        assert_eq!(wheel.tick_of(wheel.epoch + TICK + Duration::from_millis(1)), 2);
    }
}
