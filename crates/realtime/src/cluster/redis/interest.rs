//! Which channels this node listens to on Redis: routing by interest.
//!
//! Each channel's frames go to a pub/sub channel of its own (`Keys::channel`). A node
//! subscribes to it on its bus connection while it has a local subscriber of the channel, so
//! it receives only the frames its connections want; node-wide messages stay on the bus.
//!
//! This is the bookkeeping, with no I/O: how many local subscribers each channel has, and
//! where its Redis subscription stands. The listener (`tasks`) sends the SUBSCRIBE and
//! UNSUBSCRIBE commands it is told to, one at a time per channel, and reports back.
//! - The first local subscriber waits until Redis confirmed the SUBSCRIBE, so a frame
//!   published anywhere after its `subscription_succeeded` reaches it.
//! - A channel whose last local subscriber left stays subscribed for one to two sweeps
//!   ([`LINGER`]), so a page reload does not flap the subscription.
//! - While the subscription is confirmed, this node's own frames come back to it and are
//!   delivered then, in Redis's order; otherwise they are delivered here at once.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

/// How often channels without local subscribers are unsubscribed: one that lost its last
/// subscriber stays subscribed for between one and two of these.
pub(super) const LINGER: Duration = Duration::from_secs(2);

/// A command for the listener to send on the bus connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Subscribe,
    Unsubscribe,
}

/// Where one channel's Redis subscription stands on this node's bus connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    Off,
    Subscribing,
    On,
    Unsubscribing,
}

#[derive(Debug)]
struct Channel {
    /// Subscribers of the channel on this node.
    local: usize,
    link: Link,
    /// The sweep round in which `local` last dropped to 0.
    idle_since: u64,
    /// Joins waiting for the SUBSCRIBE to be confirmed.
    waiters: Vec<oneshot::Sender<()>>,
}

#[derive(Debug, Default)]
struct State {
    channels: HashMap<String, Channel>,
    /// Channels that may need a command, for the listener's next look.
    todo: Vec<String>,
    /// Channels that lost their last local subscriber, for the sweeps.
    idle: Vec<String>,
    round: u64,
    /// Channels whose subscription Redis confirmed.
    on: usize,
}

/// The node's channels and their Redis subscriptions. Every method is synchronous.
#[derive(Debug, Default)]
pub(super) struct Interest {
    state: Mutex<State>,
}

/// What [`Interest::add`] asks of the caller.
#[derive(Debug)]
pub(super) enum Added {
    /// The channel's frames already reach this node.
    Ready,
    /// Wait for this (it closes when the wait is pointless); `nudge` when the listener must
    /// look at its to-do list.
    Wait { ready: oneshot::Receiver<()>, nudge: bool },
}

impl Interest {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One more local subscriber of `name`.
    pub(super) fn add(&self, name: String) -> Added {
        let mut state = self.state();
        let state = &mut *state;
        let channel = state.channels.entry(name.clone()).or_insert_with(|| Channel {
            local: 0,
            link: Link::Off,
            idle_since: 0,
            waiters: Vec::new(),
        });
        channel.local += 1;
        if channel.link == Link::On {
            return Added::Ready;
        }
        let (done, ready) = oneshot::channel();
        channel.waiters.push(done);
        // Under way already: the answer wakes this join too.
        let nudge = channel.link == Link::Off;
        if nudge {
            state.todo.push(name);
        }
        Added::Wait { ready, nudge }
    }

    /// One local subscriber of `name` fewer.
    pub(super) fn remove(&self, name: &str) {
        let mut state = self.state();
        let round = state.round;
        let Some(channel) = state.channels.get_mut(name) else { return };
        channel.local = channel.local.saturating_sub(1);
        if channel.local == 0 {
            channel.idle_since = round;
            state.idle.push(name.to_owned());
        }
    }

    /// Whether this node's own frames on `name` come back to it from Redis now.
    pub(super) fn comes_back(&self, name: &str) -> bool {
        self.state().channels.get(name).is_some_and(|c| c.link == Link::On)
    }

    /// Channels whose subscription Redis confirmed.
    pub(super) fn subscribed(&self) -> usize {
        self.state().on
    }

    /// The SUBSCRIBEs the listener should send now (each marked as under way).
    pub(super) fn take_todo(&self) -> Vec<String> {
        let mut state = self.state();
        let state = &mut *state;
        let mut start = Vec::new();
        for name in std::mem::take(&mut state.todo) {
            let Some(channel) = state.channels.get_mut(&name) else { continue };
            if channel.local > 0 && channel.link == Link::Off {
                channel.link = Link::Subscribing;
                start.push(name);
            }
        }
        start
    }

    /// A sweep: the UNSUBSCRIBEs due for channels idle since before the previous sweep.
    pub(super) fn sweep(&self) -> Vec<String> {
        let mut state = self.state();
        let state = &mut *state;
        state.round += 1;
        let round = state.round;
        let mut stop = Vec::new();
        let mut keep = Vec::new();
        for name in std::mem::take(&mut state.idle) {
            let Some(channel) = state.channels.get_mut(&name) else { continue };
            match channel.link {
                _ if channel.local > 0 => {}
                Link::On if channel.idle_since + 2 <= round => {
                    channel.link = Link::Unsubscribing;
                    state.on -= 1;
                    stop.push(name);
                }
                Link::Off => {
                    state.channels.remove(&name);
                }
                // Too fresh, or a command under way: look again next time.
                Link::On | Link::Subscribing | Link::Unsubscribing => keep.push(name),
            }
        }
        keep.sort_unstable();
        keep.dedup();
        state.idle = keep;
        stop
    }

    /// The outcome of a command for `name`; the command to send next, if any.
    pub(super) fn done(&self, name: &str, op: Op, ok: bool) -> Option<Op> {
        let mut state = self.state();
        let state = &mut *state;
        let channel = state.channels.get_mut(name)?;
        match (op, ok) {
            (Op::Subscribe, true) if channel.link == Link::Subscribing => {
                channel.link = Link::On;
                state.on += 1;
                for waiter in channel.waiters.drain(..) {
                    let _ = waiter.send(());
                }
                if channel.local == 0 {
                    channel.idle_since = state.round;
                    state.idle.push(name.to_owned());
                }
                None
            }
            (Op::Unsubscribe, true) if channel.link == Link::Unsubscribing => {
                if channel.local > 0 {
                    channel.link = Link::Subscribing;
                    return Some(Op::Subscribe);
                }
                state.channels.remove(name);
                None
            }
            // A failed command, or one from a connection since lost: the listener subscribes
            // every wanted channel again on its next connection.
            _ => None,
        }
    }

    /// The bus connection is gone, and with it every subscription: this node delivers its
    /// own frames directly until a channel is confirmed again.
    pub(super) fn lost(&self) {
        let mut state = self.state();
        state.channels.retain(|_, channel| channel.local > 0);
        for channel in state.channels.values_mut() {
            channel.link = Link::Off;
        }
        state.on = 0;
        state.todo.clear();
        state.idle.clear();
    }

    /// On a new bus connection: every channel with local subscribers, marked as under way.
    pub(super) fn resubscribe(&self) -> Vec<String> {
        let mut state = self.state();
        state.todo.clear();
        let mut start = Vec::new();
        for (name, channel) in &mut state.channels {
            if channel.local > 0 && channel.link == Link::Off {
                channel.link = Link::Subscribing;
                start.push(name.clone());
            }
        }
        start
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waits(added: Added) -> oneshot::Receiver<()> {
        match added {
            Added::Wait { ready, .. } => ready,
            Added::Ready => panic!("expected to wait"),
        }
    }

    #[test]
    fn the_first_subscriber_waits_for_the_subscribe_and_later_ones_do_not() {
        let interest = Interest::default();
        let mut first = waits(interest.add("c".into()));
        let mut second = waits(interest.add("c".into()));
        assert!(!interest.comes_back("c"));
        assert_eq!(interest.take_todo(), ["c"]);
        assert!(interest.take_todo().is_empty(), "one SUBSCRIBE at a time");
        assert_eq!(interest.done("c", Op::Subscribe, true), None);
        assert_eq!((first.try_recv(), second.try_recv()), (Ok(()), Ok(())));
        assert!(interest.comes_back("c"));
        assert!(matches!(interest.add("c".into()), Added::Ready));
        assert_eq!(interest.subscribed(), 1);
    }

    #[test]
    fn an_idle_channel_is_unsubscribed_after_a_full_sweep_unless_someone_came_back() {
        let interest = Interest::default();
        let _ = interest.add("c".into());
        interest.take_todo();
        interest.done("c", Op::Subscribe, true);
        interest.remove("c");
        assert!(interest.sweep().is_empty(), "not idle for a whole sweep yet");
        let _ = interest.add("c".into());
        interest.remove("c");
        assert!(interest.sweep().is_empty(), "idle again only since the last sweep");
        assert_eq!(interest.sweep(), ["c"]);
        assert!(!interest.comes_back("c"), "own frames are delivered here from now on");
        assert_eq!(interest.subscribed(), 0);
        // Someone subscribes while the UNSUBSCRIBE is under way: subscribe again after it.
        let mut waiter = waits(interest.add("c".into()));
        assert!(interest.take_todo().is_empty());
        assert_eq!(interest.done("c", Op::Unsubscribe, true), Some(Op::Subscribe));
        interest.done("c", Op::Subscribe, true);
        assert_eq!(waiter.try_recv(), Ok(()));
    }

    #[test]
    fn a_lost_connection_subscribes_every_wanted_channel_again() {
        let interest = Interest::default();
        let _ = interest.add("kept".into());
        let _ = interest.add("gone".into());
        interest.take_todo();
        interest.done("kept", Op::Subscribe, true);
        interest.done("gone", Op::Subscribe, true);
        interest.remove("gone");
        interest.lost();
        assert!(!interest.comes_back("kept"));
        assert_eq!(interest.resubscribe(), ["kept"]);
        // A late answer from the old connection changes nothing.
        assert_eq!(interest.done("gone", Op::Unsubscribe, true), None);
    }
}
