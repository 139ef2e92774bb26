//! Writing to the socket: single messages, the session's replies, batches of queued frames,
//! and the closing handshake. Written against the `Sink` methods where a future lives in
//! every connection's task, because `SinkExt`'s futures are larger.

use std::future::poll_fn;
use std::task::ready;
use std::time::Duration;

use futures_util::SinkExt;
use pusher_protocol::{ErrorCode, ServerMessage};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message, Utf8Bytes};

use super::Ending;
use super::session::Session;
use super::upgrade::Socket;
use crate::conn::ConnHandle;

/// Frames drained from the queue before one flush, so a burst costs one write.
const FLUSH_BATCH: usize = 64;

/// How long a closing handshake may take before the socket is simply dropped.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends one message and flushes. Written against the `Sink` methods rather than with
/// `SinkExt::send`, whose future is twice the size, because this runs inside every
/// connection's task.
pub(super) async fn send(socket: &mut Socket, text: String) -> Result<(), Error> {
    let mut message = Some(Message::Text(Utf8Bytes::from(text)));
    poll_fn(|cx| {
        if message.is_some() {
            ready!(socket.poll_ready_unpin(cx))?;
        }
        if let Some(message) = message.take() {
            socket.start_send_unpin(message)?;
        }
        socket.poll_flush_unpin(cx)
    })
    .await
}

pub(super) async fn flush_replies(socket: &mut Socket, session: &mut Session) -> Result<(), Error> {
    if session.replies.is_empty() {
        return Ok(());
    }
    // Taken, not drained, so an idle connection keeps no reply buffer.
    for reply in std::mem::take(&mut session.replies) {
        socket.feed(Message::Text(Utf8Bytes::from(reply))).await?;
    }
    socket.flush().await
}

/// Writes up to `FLUSH_BATCH` queued frames and flushes once. Returns how many frames and
/// bytes went out. A frame leaves the queue only when the socket takes it, and, like `send`,
/// the state is two counts rather than `SinkExt` futures.
pub(super) async fn write_queued(
    socket: &mut Socket,
    handle: &ConnHandle,
) -> Result<(u64, u64), Error> {
    let (mut count, mut bytes) = (0, 0);
    poll_fn(|cx| {
        while count < FLUSH_BATCH as u64 {
            ready!(socket.poll_ready_unpin(cx))?;
            let Some(frame) = handle.pop() else { break };
            count += 1;
            bytes += frame.len() as u64;
            socket.start_send_unpin(Message::Text(frame))?;
        }
        socket.poll_flush_unpin(cx)
    })
    .await?;
    Ok((count, bytes))
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
    // Close reasons are limited to 123 bytes by the WebSocket protocol.
    let reason: String = reason.chars().take(100).collect();
    let frame = CloseFrame { code: CloseCode::from(code), reason: Utf8Bytes::from(reason) };
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, socket.send(Message::Close(Some(frame)))).await;
}

pub(super) fn read_failed(error: &Error) -> Ending {
    tracing::debug!(%error, "websocket read failed");
    // Only a message over the size limit is worth telling the client about.
    if matches!(error, Error::Capacity(_)) { Ending::TooLarge } else { Ending::Gone }
}
