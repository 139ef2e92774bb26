//! Writing to the socket: single messages, the session's replies, batches of queued frames,
//! and the closing handshake. Each is a `poll_fn` over `Socket::poll_send`, whose state is
//! in the socket, so a write that is dropped half-way (a kick won the race) loses nothing:
//! the next write finishes it first.

use std::future::poll_fn;
use std::io;
use std::time::Duration;

use pusher_protocol::{ErrorCode, ServerMessage};

use super::Ending;
use super::frame::close_payload;
use super::session::Session;
use super::socket::{Outgoing, ReadError, Socket};
use crate::conn::{ConnHandle, Frame};

/// Frames drained from the queue before one flush, so a burst costs one write.
const FLUSH_BATCH: usize = 64;

/// How long a closing handshake may take before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends one frame and waits until the kernel has it.
pub(super) async fn send_frame(socket: &mut Socket, frame: Outgoing) -> io::Result<()> {
    let mut frame = Some(frame);
    poll_fn(|cx| socket.poll_send(cx, || frame.take())).await
}

/// Sends one text message.
pub(super) async fn send(socket: &mut Socket, text: String) -> io::Result<()> {
    send_frame(socket, Outgoing::text(text)).await
}

pub(super) async fn flush_replies(socket: &mut Socket, session: &mut Session) -> io::Result<()> {
    if session.replies.is_empty() {
        return Ok(());
    }
    // Taken, not drained, so an idle connection keeps no reply buffer.
    let mut replies = std::mem::take(&mut session.replies).into_iter();
    poll_fn(|cx| socket.poll_send(cx, || replies.next().map(Outgoing::text))).await
}

/// Writes up to `FLUSH_BATCH` queued frames, and counts them as sent. A frame leaves the
/// queue only when the socket takes it; one a sender began goes on where it stopped.
pub(super) async fn write_queued(socket: &mut Socket, handle: &ConnHandle) -> io::Result<()> {
    hold(socket, handle);
    let (mut count, mut bytes) = (0, 0);
    poll_fn(|cx| {
        socket.poll_send(cx, || {
            if count == FLUSH_BATCH as u64 {
                return None;
            }
            let frame = handle.pop()?;
            count += 1;
            bytes += frame.len() as u64;
            Some(Outgoing::text(frame))
        })
    })
    .await?;
    handle.sent().add(count, bytes);
    Ok(())
}

/// Takes the socket from senders before the task writes: they queue from now on, and the
/// rest of a frame one of them began goes out first.
pub(super) fn hold(socket: &mut Socket, handle: &ConnHandle) {
    if let Some(begun) = handle.hold() {
        take_over(socket, handle, begun);
    }
}

/// Takes the socket from senders for good, as the connection ends.
pub(super) fn detach(socket: &mut Socket, handle: &ConnHandle) {
    if let Some(begun) = handle.detach() {
        take_over(socket, handle, begun);
    }
}

fn take_over(socket: &mut Socket, handle: &ConnHandle, (frame, sent): (Frame, usize)) {
    handle.sent().add(1, frame.len() as u64);
    socket.resume(Outgoing::text(frame), sent);
}

/// Sends `pusher:error` with the code, then closes with the same code.
pub(super) async fn refuse(socket: &mut Socket, code: ErrorCode, message: &str) {
    let error = ServerMessage::Error { code: Some(code), message, channel: None };
    let sent = tokio::time::timeout(CLOSE_TIMEOUT, send(socket, error.to_json())).await;
    if matches!(sent, Ok(Ok(()))) {
        close_with(socket, code.code(), message).await;
    }
}

/// Sends a close frame; a client that does not read within the timeout is just dropped.
pub(super) async fn close_with(socket: &mut Socket, code: u16, reason: &str) {
    let frame = Outgoing::close(close_payload(code, reason));
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, send_frame(socket, frame)).await;
}

/// Answers the client's close: the same code, or none when it gave none.
pub(super) async fn close_back(socket: &mut Socket, code: Option<u16>) {
    let payload = code.map(|code| close_payload(code, "")).unwrap_or_default();
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, send_frame(socket, Outgoing::close(payload))).await;
}

pub(super) fn read_failed(error: &ReadError) -> Ending {
    tracing::debug!(%error, "websocket read failed");
    match error {
        ReadError::Io(_) => Ending::Gone,
        ReadError::Violation(violation) => Ending::Violation(*violation),
    }
}
