//! The handle through which the rest of the server reaches a connection: a bounded queue of
//! pre-serialised frames and a way to close it with a code.
//!
//! The queue is a plain `VecDeque` behind a short lock rather than a channel: it costs
//! nothing while empty, which is most of an idle connection's life. One `Notify` wakes the
//! connection task for a queued frame, a kick and its timer (see `wheel`); the task
//! re-checks all three on every wake.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use pusher_protocol::{ErrorCode, ServerMessage, SocketId};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// A frame already serialised once, shared by every receiver.
pub(crate) type Frame = Utf8Bytes;

/// Serialises a server message once, for the queues.
pub(crate) fn frame(message: &ServerMessage<'_>) -> Frame {
    Frame::from(message.to_json())
}

/// What every connection is told when the server stops.
pub(crate) const SHUTDOWN: Kick =
    Kick { code: ErrorCode::ReconnectImmediately, reason: "Server is restarting" };

/// Why a connection is being closed by someone other than itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Kick {
    pub(crate) code: ErrorCode,
    pub(crate) reason: &'static str,
}

/// A cheap handle to one connection.
#[derive(Clone, Debug)]
pub(crate) struct ConnHandle(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    socket_id: SocketId,
    /// Frames waiting to be written. Allocated on the first frame and shrunk when a burst
    /// has drained, so an idle connection holds no queue memory.
    queue: Mutex<VecDeque<Frame>>,
    capacity: usize,
    /// Wakes the connection task: a frame was queued or the connection was kicked.
    wake: Notify,
    kick: OnceLock<Kick>,
    /// The app's serial number (`App::serial`), so the node can close one app's connections.
    app: u32,
    /// The wheel tick at which the connection's timer is due; moved by the connection.
    deadline: AtomicU32,
    /// The tick the wheel filed the connection under; changed under the wheel's lock.
    filed: AtomicU32,
    /// The wheel found the deadline passed: the task must look at its clock.
    timer: AtomicBool,
}

/// Why the connection task was woken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// Frames are queued.
    Frames,
    /// The timer is due.
    Timer,
}

/// Queue capacity an emptied queue keeps; anything above is given back after a burst.
const KEEP_QUEUE_CAPACITY: usize = 8;

impl ConnHandle {
    /// A handle of a connection to app `app` whose queue holds at most `capacity` frames.
    pub(crate) fn new(socket_id: SocketId, capacity: usize, app: u32) -> Self {
        Self(Arc::new(Shared {
            socket_id,
            queue: Mutex::new(VecDeque::new()),
            capacity,
            wake: Notify::new(),
            kick: OnceLock::new(),
            app,
            deadline: AtomicU32::new(u32::MAX),
            filed: AtomicU32::new(u32::MAX),
            timer: AtomicBool::new(false),
        }))
    }

    /// The serial number of the connection's app.
    pub(crate) fn app(&self) -> u32 {
        self.0.app
    }

    /// Whether both handles are of the same connection.
    pub(crate) fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// The wheel tick at which the connection's timer is due.
    pub(crate) fn deadline(&self) -> u32 {
        self.0.deadline.load(Ordering::Relaxed)
    }

    /// Moves the timer to wheel tick `tick`. The wheel finds it when the old one is due.
    pub(crate) fn set_deadline(&self, tick: u32) {
        self.0.deadline.store(tick, Ordering::Relaxed);
    }

    pub(crate) fn filed(&self) -> u32 {
        self.0.filed.load(Ordering::Relaxed)
    }

    pub(crate) fn set_filed(&self, tick: u32) {
        self.0.filed.store(tick, Ordering::Relaxed);
    }

    /// The wheel says the timer is due: wakes the task.
    pub(crate) fn timer_due(&self) {
        self.0.timer.store(true, Ordering::Release);
        self.0.wake.notify_one();
    }

    /// Whether the timer came due since the last call.
    pub(crate) fn take_timer(&self) -> bool {
        self.0.timer.swap(false, Ordering::Acquire)
    }

    pub(crate) fn socket_id(&self) -> SocketId {
        self.0.socket_id
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Frame>> {
        self.0.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues a frame. A full queue means the client reads too slowly: it is closed with
    /// 4100 rather than buffered without bound.
    pub(crate) fn send(&self, frame: &Frame) {
        let mut queue = self.queue();
        if queue.len() >= self.0.capacity {
            drop(queue);
            self.kick(ErrorCode::OverCapacity, "Client is too slow to read its messages");
            return;
        }
        queue.push_back(frame.clone());
        drop(queue);
        self.0.wake.notify_one();
    }

    /// Waits until a frame is queued or the timer is due, or for a kick, which comes first.
    /// Frames stay queued until `pop` takes them.
    pub(crate) async fn woken(&self) -> Result<Wake, Kick> {
        loop {
            self.check_kick()?;
            if self.take_timer() {
                return Ok(Wake::Timer);
            }
            if !self.queue().is_empty() {
                return Ok(Wake::Frames);
            }
            // A frame queued, a timer or a kick after the checks above leaves a permit, so
            // this cannot miss it.
            self.0.wake.notified().await;
        }
    }

    /// Takes the oldest queued frame. The queue gives back what a burst needed once it is
    /// empty.
    pub(crate) fn pop(&self) -> Option<Frame> {
        let mut queue = self.queue();
        let frame = queue.pop_front();
        if queue.is_empty() && queue.capacity() > KEEP_QUEUE_CAPACITY {
            queue.shrink_to(KEEP_QUEUE_CAPACITY);
        }
        frame
    }

    /// Waits until the connection is kicked, and returns why. It may take the wake-up meant
    /// for a queued frame; the frame stays queued, and `queued` finds it without waiting.
    pub(crate) async fn kicked(&self) -> Kick {
        loop {
            if let Err(kick) = self.check_kick() {
                return kick;
            }
            self.0.wake.notified().await;
        }
    }

    /// `Err` with the kick once the connection has been kicked.
    pub(crate) fn check_kick(&self) -> Result<(), Kick> {
        self.0.kick.get().map_or(Ok(()), |kick| Err(*kick))
    }

    /// Asks the connection task to close with `code`. The first kick wins.
    pub(crate) fn kick(&self, code: ErrorCode, reason: &'static str) {
        if self.0.kick.set(Kick { code, reason }).is_ok() {
            self.0.wake.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn frames_come_out_in_order() {
        let handle = ConnHandle::new(SocketId::new(1, 1), 10, 1);
        for text in ["a", "b"] {
            handle.send(&Frame::from(text));
        }
        assert_eq!(handle.woken().await, Ok(Wake::Frames));
        assert_eq!(handle.pop(), Some(Frame::from("a")));
        assert_eq!(handle.pop(), Some(Frame::from("b")));
        assert_eq!(handle.pop(), None);
    }

    #[tokio::test]
    async fn a_waiting_reader_wakes_for_a_new_frame() {
        let handle = ConnHandle::new(SocketId::new(1, 1), 10, 1);
        let reader = handle.clone();
        let task = tokio::spawn(async move {
            assert_eq!(reader.woken().await, Ok(Wake::Frames));
            reader.pop()
        });
        tokio::task::yield_now().await;
        handle.send(&Frame::from("x"));
        assert_eq!(task.await.unwrap(), Some(Frame::from("x")));
    }

    #[tokio::test]
    async fn a_full_queue_kicks_with_4100_before_its_frames() {
        let handle = ConnHandle::new(SocketId::new(1, 1), 100, 1);
        for _ in 0..101 {
            handle.send(&Frame::from("x"));
        }
        assert_eq!(handle.kicked().await.code, ErrorCode::OverCapacity);
        assert_eq!(handle.woken().await.unwrap_err().code, ErrorCode::OverCapacity);
    }

    #[tokio::test]
    async fn a_drained_queue_gives_memory_back() {
        let handle = ConnHandle::new(SocketId::new(1, 1), 100, 1);
        for _ in 0..100 {
            handle.send(&Frame::from("x"));
        }
        while handle.pop().is_some() {}
        assert!(handle.queue().capacity() <= KEEP_QUEUE_CAPACITY);
    }

    #[tokio::test]
    async fn a_kick_wakes_a_waiting_reader() {
        let handle = ConnHandle::new(SocketId::new(1, 1), 10, 1);
        let reader = handle.clone();
        let task = tokio::spawn(async move { reader.woken().await });
        tokio::task::yield_now().await;
        handle.kick(ErrorCode::Unauthorized, "bye");
        assert_eq!(task.await.unwrap().unwrap_err().code, ErrorCode::Unauthorized);
    }

    #[tokio::test]
    async fn a_due_timer_wakes_a_waiting_reader_once() {
        let handle = ConnHandle::new(SocketId::new(1, 1), 10, 1);
        let reader = handle.clone();
        let task = tokio::spawn(async move { reader.woken().await });
        tokio::task::yield_now().await;
        handle.timer_due();
        assert_eq!(task.await.unwrap(), Ok(Wake::Timer));
        assert!(!handle.take_timer());
    }

    #[tokio::test]
    async fn the_first_kick_code_wins() {
        let handle = ConnHandle::new(SocketId::new(1, 1), 2, 1);
        handle.kick(ErrorCode::Unauthorized, "a");
        handle.kick(ErrorCode::OverCapacity, "b");
        assert_eq!(handle.kicked().await, Kick { code: ErrorCode::Unauthorized, reason: "a" });
    }
}
