//! The handle through which the rest of the server reaches a connection: a bounded queue of
//! pre-serialised frames and a way to close it with a code.

use std::sync::{Arc, OnceLock};

use axum::extract::ws::Utf8Bytes;
use pusher_protocol::{ErrorCode, ServerMessage, SocketId};
use tokio::sync::{Notify, mpsc};

/// A frame already serialised once, shared by every receiver.
pub(crate) type Frame = Utf8Bytes;

/// Serialises a server message once, for the queues.
pub(crate) fn frame(message: &ServerMessage<'_>) -> Frame {
    Frame::from(message.to_json())
}

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
    queue: mpsc::Sender<Frame>,
    kicked: Notify,
    kick: OnceLock<Kick>,
}

/// The connection task's side: the queue to drain and the handle whose kick to watch.
#[derive(Debug)]
pub(crate) struct ConnInbox {
    pub(crate) frames: mpsc::Receiver<Frame>,
    pub(crate) handle: ConnHandle,
}

impl ConnHandle {
    /// A handle and the inbox its connection task reads.
    pub(crate) fn new(socket_id: SocketId, capacity: usize) -> (Self, ConnInbox) {
        let (queue, frames) = mpsc::channel(capacity);
        let handle = Self(Arc::new(Shared {
            socket_id,
            queue,
            kicked: Notify::new(),
            kick: OnceLock::new(),
        }));
        (handle.clone(), ConnInbox { frames, handle })
    }

    pub(crate) fn socket_id(&self) -> SocketId {
        self.0.socket_id
    }

    /// Queues a frame. A full queue means the client reads too slowly: it is closed with
    /// 4100 rather than buffered without bound.
    pub(crate) fn send(&self, frame: &Frame) {
        match self.0.queue.try_send(frame.clone()) {
            Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.kick(ErrorCode::OverCapacity, "Client is too slow to read its messages");
            }
        }
    }

    /// Waits until the connection is kicked, and returns why.
    pub(crate) async fn kicked(&self) -> Kick {
        loop {
            self.0.kicked.notified().await;
            if let Some(kick) = self.0.kick.get() {
                return *kick;
            }
        }
    }

    /// Asks the connection task to close with `code`. The first kick wins.
    pub(crate) fn kick(&self, code: ErrorCode, reason: &'static str) {
        if self.0.kick.set(Kick { code, reason }).is_ok() {
            self.0.kicked.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_kicks_with_4100() {
        let (handle, mut inbox) = ConnHandle::new(SocketId::new(1, 1), 2);
        let frame = Frame::from("x");
        for _ in 0..3 {
            handle.send(&frame);
        }
        assert_eq!(inbox.handle.kicked().await.code, ErrorCode::OverCapacity);
        assert_eq!(inbox.frames.recv().await.as_deref(), Some("x"));
    }

    #[tokio::test]
    async fn the_first_kick_code_wins() {
        let (handle, inbox) = ConnHandle::new(SocketId::new(1, 1), 2);
        handle.kick(ErrorCode::Unauthorized, "a");
        handle.kick(ErrorCode::OverCapacity, "b");
        assert_eq!(
            inbox.handle.kicked().await,
            Kick { code: ErrorCode::Unauthorized, reason: "a" }
        );
    }
}
