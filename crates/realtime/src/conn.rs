//! The handle through which the rest of the server reaches a connection: a bounded queue of
//! pre-serialised frames and a way to close it with a code.
//!
//! The queue is a plain `VecDeque` behind a short lock rather than a channel: it costs
//! nothing while empty, which is most of an idle connection's life. One waker wakes the
//! connection task for a queued frame, a kick and its timer (see `wheel`); the task
//! re-checks all three on every wake. Only the first frame queued since the task last
//! looked wakes it: a fan-out costs one wake-up per connection, not one per frame, and
//! a sender never takes a lock to wake (`Notify` keeps its waiters behind one).

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll};

use futures_util::task::AtomicWaker;
use pusher_protocol::{ErrorCode, ServerMessage, SocketId};
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
    /// The connection task, to wake for a frame, a kick or the timer.
    waker: AtomicWaker,
    /// A frame was queued since the task last looked: later frames need not wake it.
    pending: AtomicBool,
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

impl Drop for Shared {
    fn drop(&mut self) {
        if *self.pending.get_mut() {
            crate::backlog::BACKLOG.looked();
        }
    }
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
            waker: AtomicWaker::new(),
            pending: AtomicBool::new(false),
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
        self.0.waker.wake();
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
        // After the push: a task that clears the flag after this finds the frame.
        if !self.0.pending.swap(true, Ordering::AcqRel) {
            crate::backlog::BACKLOG.woken();
            self.0.waker.wake();
        }
    }

    /// Waits until a frame is queued or the timer is due, or for a kick, which comes first.
    /// Frames stay queued until `pop` takes them.
    pub(crate) fn woken(&self) -> impl Future<Output = Result<Wake, Kick>> + '_ {
        poll_fn(move |cx| self.poll_woken(cx))
    }

    /// Looks, registers the task, and looks again: whatever came between the two looks
    /// found no waker, and the second look finds it.
    fn poll_woken(&self, cx: &mut Context<'_>) -> Poll<Result<Wake, Kick>> {
        if let Some(woken) = self.look() {
            return Poll::Ready(woken);
        }
        self.0.waker.register(cx.waker());
        self.look().map_or(Poll::Pending, Poll::Ready)
    }

    /// Why the task should act now, if it should.
    fn look(&self) -> Option<Result<Wake, Kick>> {
        if let Err(kick) = self.check_kick() {
            return Some(Err(kick));
        }
        if self.take_timer() {
            return Some(Ok(Wake::Timer));
        }
        // Cleared before the queue's lock is taken: a sender that locks it after us then
        // finds the flag clear and wakes the task.
        if self.0.pending.swap(false, Ordering::AcqRel) {
            crate::backlog::BACKLOG.looked();
        }
        (!self.queue().is_empty()).then_some(Ok(Wake::Frames))
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
    /// for a queued frame; the frame stays queued, and `woken` finds it without waiting.
    pub(crate) fn kicked(&self) -> impl Future<Output = Kick> + '_ {
        poll_fn(move |cx| {
            if let Err(kick) = self.check_kick() {
                return Poll::Ready(kick);
            }
            self.0.waker.register(cx.waker());
            self.check_kick().err().map_or(Poll::Pending, Poll::Ready)
        })
    }

    /// `Err` with the kick once the connection has been kicked.
    pub(crate) fn check_kick(&self) -> Result<(), Kick> {
        self.0.kick.get().map_or(Ok(()), |kick| Err(*kick))
    }

    /// Asks the connection task to close with `code`. The first kick wins.
    pub(crate) fn kick(&self, code: ErrorCode, reason: &'static str) {
        if self.0.kick.set(Kick { code, reason }).is_ok() {
            self.0.waker.wake();
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

    /// Counts how often the task it stands for was woken.
    #[derive(Default)]
    struct CountingWaker(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn frames_queued_before_the_task_looks_wake_it_once() {
        let handle = ConnHandle::new(SocketId::new(1, 1), 10, 1);
        let counter = Arc::new(CountingWaker::default());
        let waker = std::task::Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(handle.poll_woken(&mut cx).is_pending());
        for text in ["a", "b", "c"] {
            handle.send(&Frame::from(text));
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(handle.poll_woken(&mut cx), Poll::Ready(Ok(Wake::Frames)));
        while handle.pop().is_some() {}
        // Looked at: the next frame wakes the task again.
        assert!(handle.poll_woken(&mut cx).is_pending());
        handle.send(&Frame::from("d"));
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
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
