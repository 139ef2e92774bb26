//! The handle through which the rest of the server reaches a connection: its socket while
//! the connection task is not writing, a bounded queue of pre-serialised frames for when it
//! is, and a way to close it with a code.
//!
//! A frame is written straight into the socket by whoever sends it (`send`), under the
//! queue's lock, when nothing is queued, the task holds no bytes the kernel has not taken
//! and the task is not handling a message (whose replies go first): a delivery then costs
//! one `sendto` and no task wake-up (issue #17 part 4). Otherwise, and on TLS, it is queued.
//!
//! The queue is a plain `VecDeque` behind a short lock rather than a channel: it costs
//! nothing while empty, which is most of an idle connection's life. One waker wakes the
//! connection task for a queued frame, a kick and its timer (see `wheel`); the task
//! re-checks all three on every wake. Only the first frame queued since the task last
//! looked wakes it: a fan-out costs one wake-up per connection, not one per frame, and
//! a sender never takes a lock to wake (`Notify` keeps its waiters behind one).

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
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

/// A socket a sender may write a whole text frame into without waiting.
pub(crate) trait Direct: Send + Sync + std::fmt::Debug {
    /// Writes `frame` as one text frame if the kernel takes it now, without blocking.
    fn write_text(&self, frame: &Frame) -> Written;
}

/// How much of a frame a direct write got into the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// All of it: `len` bytes on the wire.
    All(usize),
    /// The first `n` bytes; the connection task writes the rest before anything else.
    Part(usize),
    /// None: the socket is full, or failed (the task's own write finds out which).
    Nothing,
}

/// Frames and bytes written to an app's clients, counted by whoever wrote them.
#[derive(Debug, Default)]
pub(crate) struct Sent {
    pub(crate) messages: AtomicU64,
    pub(crate) bytes: AtomicU64,
}

impl Sent {
    pub(crate) fn add(&self, messages: u64, bytes: u64) {
        self.messages.fetch_add(messages, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }
}

/// A cheap handle to one connection.
#[derive(Clone, Debug)]
pub(crate) struct ConnHandle(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    socket_id: SocketId,
    queue: Mutex<Queue>,
    capacity: usize,
    /// The app's count of frames written to clients.
    sent: Arc<Sent>,
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

/// Who writes to the socket next, and what waits for it.
#[derive(Debug)]
struct Queue {
    /// Frames waiting for the task. Allocated on the first frame and shrunk when a burst
    /// has drained, so an idle connection holds no queue memory.
    frames: VecDeque<Frame>,
    /// Bytes of the front frame a sender already wrote; the task writes the rest first.
    front_sent: usize,
    /// The task is writing, holds bytes the kernel has not taken, or is handling a message:
    /// senders queue rather than write.
    held: bool,
    /// The socket, for senders; `None` on TLS and once the connection ends.
    direct: Option<Arc<dyn Direct>>,
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
    /// Held until the task has greeted the client (`release`).
    pub(crate) fn new(socket_id: SocketId, capacity: usize, app: u32, sent: Arc<Sent>) -> Self {
        let queue = Queue { frames: VecDeque::new(), front_sent: 0, held: true, direct: None };
        Self(Arc::new(Shared {
            socket_id,
            queue: Mutex::new(queue),
            capacity,
            sent,
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

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.0.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The app's count of frames written to clients.
    pub(crate) fn sent(&self) -> &Sent {
        &self.0.sent
    }

    /// Lets senders write into `socket` while the task does not hold it.
    pub(crate) fn attach(&self, socket: Arc<dyn Direct>) {
        self.queue().direct = Some(socket);
    }

    /// Ends direct writes for good: the connection is ending, and its socket closes with
    /// the task's copy. Returns a frame a sender began, as `hold` does.
    pub(crate) fn detach(&self) -> Option<(Frame, usize)> {
        let mut queue = self.queue();
        queue.direct = None;
        Self::hold_queue(&mut queue)
    }

    /// The task is about to write or handle a message: senders queue until `release`.
    /// Returns the frame a sender wrote only part of, and how much: the task writes the
    /// rest before anything else.
    pub(crate) fn hold(&self) -> Option<(Frame, usize)> {
        Self::hold_queue(&mut self.queue())
    }

    fn hold_queue(queue: &mut Queue) -> Option<(Frame, usize)> {
        queue.held = true;
        if queue.front_sent == 0 {
            return None;
        }
        let sent = std::mem::take(&mut queue.front_sent);
        queue.frames.pop_front().map(|frame| (frame, sent))
    }

    /// The task has nothing more in flight: senders may write directly again, unless frames
    /// are queued (the task writes those first, and releases after).
    pub(crate) fn release(&self) {
        let mut queue = self.queue();
        if queue.frames.is_empty() && queue.direct.is_some() {
            queue.held = false;
        }
    }

    /// Writes a frame into the socket when nothing is ahead of it, else queues it.
    pub(crate) fn send(&self, frame: &Frame) {
        let mut queue = self.queue();
        if queue.frames.is_empty() && !queue.held {
            match queue.direct.as_ref().map_or(Written::Nothing, |d| d.write_text(frame)) {
                Written::All(bytes) => {
                    drop(queue);
                    self.0.sent.add(1, bytes as u64);
                    return;
                }
                Written::Part(n) => {
                    queue.front_sent = n;
                    queue.held = true;
                }
                Written::Nothing => {}
            }
        }
        self.push(queue, frame);
    }

    /// Queues a frame for the task to write, even when it could be written now: a large
    /// fan-out is spread over every core this way.
    pub(crate) fn queue_frame(&self, frame: &Frame) {
        let queue = self.queue();
        self.push(queue, frame);
    }

    /// Queues a frame. A full queue means the client reads too slowly: it is closed with
    /// 4100 rather than buffered without bound.
    fn push(&self, mut queue: MutexGuard<'_, Queue>, frame: &Frame) {
        if queue.frames.len() >= self.0.capacity {
            drop(queue);
            self.kick(ErrorCode::OverCapacity, "Client is too slow to read its messages");
            return;
        }
        queue.frames.push_back(frame.clone());
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
        (!self.queue().frames.is_empty()).then_some(Ok(Wake::Frames))
    }

    /// Takes the oldest queued frame, once the task holds the socket (`hold`). The queue
    /// gives back what a burst needed once it is empty.
    pub(crate) fn pop(&self) -> Option<Frame> {
        let mut queue = self.queue();
        debug_assert!(queue.held && queue.front_sent == 0, "pop before hold");
        let frame = queue.frames.pop_front();
        if queue.frames.is_empty() && queue.frames.capacity() > KEEP_QUEUE_CAPACITY {
            queue.frames.shrink_to(KEEP_QUEUE_CAPACITY);
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

/// A stand-in for a connection's socket, for tests here and in the modules that deliver.
#[cfg(test)]
pub(crate) mod fake {
    use std::collections::VecDeque;
    use std::sync::{Arc, Mutex};

    use pusher_protocol::SocketId;

    use super::{ConnHandle, Direct, Frame, Written};

    /// A socket that takes what `takes` says and keeps what it took.
    #[derive(Debug, Default)]
    pub(crate) struct FakeSocket {
        pub(crate) takes: Mutex<VecDeque<Written>>,
        pub(crate) took: Mutex<Vec<Frame>>,
    }

    impl Direct for FakeSocket {
        fn write_text(&self, frame: &Frame) -> Written {
            let written = self.takes.lock().unwrap().pop_front().unwrap_or(Written::All(0));
            if written != Written::Nothing {
                self.took.lock().unwrap().push(frame.clone());
            }
            written
        }
    }

    /// A greeted connection whose sends go straight into a fake socket that takes them all.
    pub(crate) fn connection(socket_id: SocketId) -> (ConnHandle, Arc<FakeSocket>) {
        let socket = Arc::new(FakeSocket::default());
        let handle = ConnHandle::new(socket_id, 10, 1, Arc::default());
        handle.attach(socket.clone());
        handle.release();
        (handle, socket)
    }
}

#[cfg(test)]
mod tests {
    use super::fake::{self, FakeSocket};
    use super::*;

    /// A released handle with room for `capacity` frames and no socket to write into.
    fn handle(capacity: usize) -> ConnHandle {
        let handle = ConnHandle::new(SocketId::new(1, 1), capacity, 1, Arc::default());
        handle.release();
        handle
    }

    /// Takes the next frame as the task does: holding the socket first.
    fn pop_text(handle: &ConnHandle) -> Option<Frame> {
        assert_eq!(handle.hold(), None, "no frame was begun by a sender");
        handle.pop()
    }

    #[tokio::test]
    async fn frames_come_out_in_order() {
        let handle = handle(10);
        for text in ["a", "b"] {
            handle.send(&Frame::from(text));
        }
        assert_eq!(handle.woken().await, Ok(Wake::Frames));
        assert_eq!(pop_text(&handle), Some(Frame::from("a")));
        assert_eq!(pop_text(&handle), Some(Frame::from("b")));
        assert_eq!(pop_text(&handle), None);
    }

    #[tokio::test]
    async fn a_waiting_reader_wakes_for_a_new_frame() {
        let handle = handle(10);
        let reader = handle.clone();
        let task = tokio::spawn(async move {
            assert_eq!(reader.woken().await, Ok(Wake::Frames));
            pop_text(&reader)
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
        let handle = handle(10);
        let counter = Arc::new(CountingWaker::default());
        let waker = std::task::Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        assert!(handle.poll_woken(&mut cx).is_pending());
        for text in ["a", "b", "c"] {
            handle.send(&Frame::from(text));
        }
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(handle.poll_woken(&mut cx), Poll::Ready(Ok(Wake::Frames)));
        while pop_text(&handle).is_some() {}
        // Looked at: the next frame wakes the task again.
        assert!(handle.poll_woken(&mut cx).is_pending());
        handle.send(&Frame::from("d"));
        assert_eq!(counter.0.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_full_queue_kicks_with_4100_before_its_frames() {
        let handle = handle(100);
        for _ in 0..101 {
            handle.send(&Frame::from("x"));
        }
        assert_eq!(handle.kicked().await.code, ErrorCode::OverCapacity);
        assert_eq!(handle.woken().await.unwrap_err().code, ErrorCode::OverCapacity);
    }

    #[tokio::test]
    async fn a_drained_queue_gives_memory_back() {
        let handle = handle(100);
        for _ in 0..100 {
            handle.send(&Frame::from("x"));
        }
        while pop_text(&handle).is_some() {}
        assert!(handle.queue().frames.capacity() <= KEEP_QUEUE_CAPACITY);
    }

    #[tokio::test]
    async fn a_kick_wakes_a_waiting_reader() {
        let handle = handle(10);
        let reader = handle.clone();
        let task = tokio::spawn(async move { reader.woken().await });
        tokio::task::yield_now().await;
        handle.kick(ErrorCode::Unauthorized, "bye");
        assert_eq!(task.await.unwrap().unwrap_err().code, ErrorCode::Unauthorized);
    }

    #[tokio::test]
    async fn a_due_timer_wakes_a_waiting_reader_once() {
        let handle = handle(10);
        let reader = handle.clone();
        let task = tokio::spawn(async move { reader.woken().await });
        tokio::task::yield_now().await;
        handle.timer_due();
        assert_eq!(task.await.unwrap(), Ok(Wake::Timer));
        assert!(!handle.take_timer());
    }

    #[tokio::test]
    async fn the_first_kick_code_wins() {
        let handle = handle(2);
        handle.kick(ErrorCode::Unauthorized, "a");
        handle.kick(ErrorCode::OverCapacity, "b");
        assert_eq!(handle.kicked().await, Kick { code: ErrorCode::Unauthorized, reason: "a" });
    }

    fn attached(takes: impl IntoIterator<Item = Written>) -> (ConnHandle, Arc<FakeSocket>) {
        let (handle, socket) = fake::connection(SocketId::new(1, 1));
        socket.takes.lock().unwrap().extend(takes);
        (handle, socket)
    }

    #[test]
    fn a_frame_goes_straight_into_a_free_socket_and_is_counted() {
        let (handle, socket) = attached([Written::All(3)]);
        handle.send(&Frame::from("a"));
        assert_eq!(*socket.took.lock().unwrap(), [Frame::from("a")]);
        assert!(handle.queue().frames.is_empty());
        assert!(!handle.0.pending.load(Ordering::SeqCst), "the task is not woken");
        assert_eq!(handle.sent().messages.load(Ordering::SeqCst), 1);
        assert_eq!(handle.sent().bytes.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_held_connection_queues_until_released_and_emptied() {
        let (handle, socket) = attached([]);
        handle.hold();
        handle.send(&Frame::from("a"));
        handle.release();
        handle.send(&Frame::from("b"));
        assert!(socket.took.lock().unwrap().is_empty(), "b waits behind a");
        assert_eq!(pop_text(&handle), Some(Frame::from("a")));
        assert_eq!(pop_text(&handle), Some(Frame::from("b")));
        handle.send(&Frame::from("c"));
        assert!(socket.took.lock().unwrap().is_empty(), "popped frames are still the task's");
        assert_eq!(pop_text(&handle), Some(Frame::from("c")));
        handle.release();
        handle.send(&Frame::from("d"));
        assert_eq!(*socket.took.lock().unwrap(), [Frame::from("d")]);
    }

    #[test]
    fn a_new_connection_is_held_until_it_has_greeted_its_client() {
        let handle = ConnHandle::new(SocketId::new(1, 1), 10, 1, Arc::default());
        let socket = Arc::new(FakeSocket::default());
        handle.attach(socket.clone());
        handle.send(&Frame::from("early"));
        assert!(socket.took.lock().unwrap().is_empty());
        assert_eq!(pop_text(&handle), Some(Frame::from("early")));
    }

    #[test]
    fn the_rest_of_a_partly_written_frame_goes_first_and_later_frames_wait() {
        let (handle, socket) = attached([Written::Part(2)]);
        handle.send(&Frame::from("abcdef"));
        handle.send(&Frame::from("next"));
        assert_eq!(socket.took.lock().unwrap().len(), 1);
        assert!(handle.0.pending.load(Ordering::SeqCst), "the task is woken for the rest");
        assert_eq!(handle.hold(), Some((Frame::from("abcdef"), 2)));
        assert_eq!(handle.pop(), Some(Frame::from("next")));
    }

    #[test]
    fn a_full_socket_queues_and_wakes_the_task() {
        let (handle, socket) = attached([Written::Nothing]);
        handle.send(&Frame::from("a"));
        assert!(socket.took.lock().unwrap().is_empty());
        assert!(handle.0.pending.load(Ordering::SeqCst));
        assert_eq!(pop_text(&handle), Some(Frame::from("a")));
    }

    #[test]
    fn a_queued_share_is_left_to_the_task_and_a_detached_socket_is_never_written() {
        let (handle, socket) = attached([]);
        handle.queue_frame(&Frame::from("a"));
        assert!(socket.took.lock().unwrap().is_empty());
        assert_eq!(pop_text(&handle), Some(Frame::from("a")));
        handle.detach();
        handle.release();
        handle.send(&Frame::from("b"));
        assert!(socket.took.lock().unwrap().is_empty());
        assert_eq!(Arc::strong_count(&socket), 1, "the handle let go of the socket");
    }
}
