//! A client's WebSocket as the server holds it: the upgraded TCP stream and almost nothing
//! beside it while idle.
//!
//! Reads go into a buffer on the stack for the length of one `poll`, and frames are decoded
//! there; only bytes left over (a frame that spans reads, or frames after the one returned)
//! are kept, on the heap, until they are used. Writes hand the queued frames' own bytes to
//! the kernel with vectored writes, header and payload side by side, without copying them
//! into a write buffer; what the kernel does not take waits in a backlog that exists only
//! while the socket is full. A TLS connection (or anything hyper does not hand over as a
//! plain `TcpStream`) is kept boxed behind the same methods.
//!
//! A plain `TcpStream` is shared with the connection's handle, through which senders write
//! whole frames while the task does not hold the socket (see `conn`); the task reads and
//! writes it through `&TcpStream` readiness, as senders do.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use super::frame::{Decoded, Decoder, Header, Incoming, Violation};
use crate::conn::{Direct, Frame, Written};

/// Bytes read at a time, into a buffer on the stack: a burst of client frames is usually
/// taken in one read.
const READ_CHUNK: usize = 4 * 1024;

/// Frames handed to one vectored write (two slices each; Linux takes up to 1,024).
const WRITE_BATCH: usize = 32;

/// Why reading from the client stopped.
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error(transparent)]
    Violation(#[from] Violation),
}

/// Any other byte stream the upgrade can give.
pub(super) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

#[derive(Debug)]
enum Stream {
    /// Shared with the connection's handle once admitted.
    Tcp(Arc<TcpStream>),
    /// TLS: boxed, as it is rare and large.
    Other(Box<dyn Io>),
}

impl std::fmt::Debug for dyn Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Io")
    }
}

/// A frame for the client: its header and its payload, shared with other queues.
#[derive(Debug, Clone)]
pub(super) struct Outgoing {
    header: Header,
    payload: Bytes,
}

impl Outgoing {
    pub(super) fn text(payload: impl Into<Bytes>) -> Self {
        let payload = payload.into();
        Self { header: Header::text(payload.len()), payload }
    }

    pub(super) fn pong(payload: Vec<u8>) -> Self {
        Self { header: Header::pong(payload.len()), payload: payload.into() }
    }

    pub(super) fn close(payload: Vec<u8>) -> Self {
        Self { header: Header::close(payload.len()), payload: payload.into() }
    }

    fn len(&self) -> usize {
        self.header.as_bytes().len() + self.payload.len()
    }
}

/// Frames the kernel has not taken yet, the first one `sent` bytes in.
#[derive(Debug)]
struct Backlog {
    frames: VecDeque<Outgoing>,
    sent: usize,
}

/// An upgraded client connection.
#[derive(Debug)]
pub(super) struct Socket {
    stream: Stream,
    /// Bytes read but not yet decoded, never empty: `None` (no allocation) between messages.
    /// Boxed, as most connections never have any and every byte here is in every task.
    #[expect(clippy::box_collection, reason = "8 B in every task rather than a Vec's 24 B")]
    unread: Option<Box<Vec<u8>>>,
    decoder: Decoder,
    backlog: Option<Box<Backlog>>,
}

impl Socket {
    /// The socket hyper upgraded: the bare `TcpStream` when it is one, with the bytes hyper
    /// had read past the request (a client may send its first frame at once).
    pub(super) fn from_upgraded(upgraded: Upgraded) -> Self {
        match upgraded.downcast::<TokioIo<TcpStream>>() {
            Ok(parts) => {
                let mut socket = Self::tcp(parts.io.into_inner());
                socket.keep(&parts.read_buf);
                socket
            }
            Err(upgraded) => Self::boxed(TokioIo::new(upgraded)),
        }
    }

    /// A socket over a plain TCP stream.
    pub(super) fn tcp(stream: TcpStream) -> Self {
        Self::new(Stream::Tcp(Arc::new(stream)))
    }

    /// A socket over any other stream.
    pub(super) fn boxed(io: impl Io + 'static) -> Self {
        Self::new(Stream::Other(Box::new(io)))
    }

    fn new(stream: Stream) -> Self {
        Self { stream, unread: None, decoder: Decoder::default(), backlog: None }
    }

    /// Whether the socket is the bare TCP stream (not boxed).
    #[cfg(test)]
    pub(super) fn is_tcp(&self) -> bool {
        matches!(self.stream, Stream::Tcp(_))
    }

    /// The stream, for senders to write whole frames into; `None` when it is not plain TCP.
    pub(super) fn direct(&self) -> Option<Arc<dyn Direct>> {
        match &self.stream {
            Stream::Tcp(tcp) => Some(tcp.clone()),
            Stream::Other(_) => None,
        }
    }

    /// Takes over a frame a sender wrote the first `sent` bytes of; it goes out before
    /// anything else. Only while nothing else is in flight, which the handle's hold ensures.
    pub(super) fn resume(&mut self, frame: Outgoing, sent: usize) {
        debug_assert!(self.backlog.is_none(), "a sender wrote past the task's backlog");
        let frames = VecDeque::from([frame]);
        self.backlog = Some(Box::new(Backlog { frames, sent }));
    }

    /// The next message from the client; `Ok(None)` when it has gone. A message over `max`
    /// bytes is a `Violation::TooLarge`.
    pub(super) async fn next(&mut self, max: usize) -> Result<Option<Incoming>, ReadError> {
        std::future::poll_fn(|cx| self.poll_next(cx, max)).await
    }

    fn poll_next(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
    ) -> Poll<Result<Option<Incoming>, ReadError>> {
        loop {
            if let Some(message) = self.decode_unread(max)? {
                return Poll::Ready(Ok(Some(message)));
            }
            let mut chunk = [MaybeUninit::<u8>::uninit(); READ_CHUNK];
            let mut buf = ReadBuf::uninit(&mut chunk);
            ready!(self.stream.poll_read(cx, &mut buf))?;
            let read = buf.filled_mut();
            if read.is_empty() {
                return Poll::Ready(Ok(None));
            }
            if let Some(unread) = self.unread.as_mut() {
                unread.extend_from_slice(read);
                continue;
            }
            if let Some(message) = self.decode_chunk(read, max)? {
                return Poll::Ready(Ok(Some(message)));
            }
        }
    }

    /// Decodes from what was kept of earlier reads, dropping what is used.
    fn decode_unread(&mut self, max: usize) -> Result<Option<Incoming>, Violation> {
        while let Some(unread) = self.unread.as_mut() {
            let Decoded::Frame { len, message } = self.decoder.decode(unread, max)? else {
                return Ok(None);
            };
            if len == unread.len() {
                // Given back, so an idle connection holds no buffer.
                self.unread = None;
            } else {
                unread.drain(..len);
            }
            if message.is_some() {
                return Ok(message);
            }
        }
        Ok(None)
    }

    /// Decodes in place from a fresh read; keeps what follows the first message.
    fn decode_chunk(
        &mut self,
        mut read: &mut [u8],
        max: usize,
    ) -> Result<Option<Incoming>, Violation> {
        while !read.is_empty() {
            match self.decoder.decode(read, max)? {
                Decoded::Incomplete => break,
                Decoded::Frame { len, message } => {
                    read = &mut read[len..];
                    if message.is_some() {
                        self.keep(read);
                        return Ok(message);
                    }
                }
            }
        }
        self.keep(read);
        Ok(None)
    }

    /// Keeps bytes read but not decoded yet.
    fn keep(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.unread.get_or_insert_default().extend_from_slice(bytes);
        }
    }

    /// Writes frames taken from `next` until it has none or the socket is full. A frame is
    /// taken only when the backlog is empty, so frames wait in the caller's queue, not here;
    /// the few taken for a write the kernel did not finish wait in the backlog, and go first.
    /// `Ready(Ok)` once everything taken is written.
    pub(super) fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        mut next: impl FnMut() -> Option<Outgoing>,
    ) -> Poll<io::Result<()>> {
        loop {
            ready!(self.poll_backlog(cx))?;
            let mut batch = [const { None }; WRITE_BATCH];
            let taken = batch.iter_mut().map_while(|slot| next().map(|f| *slot = Some(f))).count();
            if taken == 0 {
                return self.stream.poll_flush(cx);
            }
            let frames = || batch[..taken].iter().flatten();
            let mut slices = [IoSlice::new(&[]); 2 * WRITE_BATCH];
            let count = fill_slices(frames(), 0, &mut slices);
            let written = match self.stream.poll_write_vectored(cx, &slices[..count]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(written)) => written,
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending => 0,
            };
            if written < frames().map(Outgoing::len).sum() {
                let mut backlog =
                    Backlog { frames: batch.into_iter().flatten().collect(), sent: 0 };
                backlog.advance(written);
                self.backlog = Some(Box::new(backlog));
            }
        }
    }

    /// Writes the backlog until it is empty (and then gives it back) or the socket is full.
    fn poll_backlog(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some(backlog) = self.backlog.as_mut() {
            let mut slices = [IoSlice::new(&[]); 2 * WRITE_BATCH];
            let count = fill_slices(backlog.frames.iter(), backlog.sent, &mut slices);
            let written = ready!(self.stream.poll_write_vectored(cx, &slices[..count]))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            if backlog.advance(written) {
                self.backlog = None;
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Fills `slices` with the headers and payloads of `frames`, less the first `skip` bytes;
/// returns how many it filled.
fn fill_slices<'a>(
    frames: impl Iterator<Item = &'a Outgoing>,
    mut skip: usize,
    slices: &mut [IoSlice<'a>],
) -> usize {
    let mut count = 0;
    for part in frames.flat_map(|f| [f.header.as_bytes(), &f.payload[..]]) {
        if count == slices.len() {
            break;
        }
        if skip >= part.len() {
            skip -= part.len();
            continue;
        }
        slices[count] = IoSlice::new(&part[skip..]);
        skip = 0;
        count += 1;
    }
    count
}

impl Backlog {
    /// Counts `written` bytes as sent; `true` when nothing is left.
    fn advance(&mut self, written: usize) -> bool {
        self.sent += written;
        while let Some(front) = self.frames.front() {
            if self.sent < front.len() {
                break;
            }
            self.sent -= front.len();
            self.frames.pop_front();
        }
        self.frames.is_empty()
    }
}

impl Direct for TcpStream {
    fn write_text(&self, frame: &Frame) -> Written {
        let header = Header::text(frame.len());
        let slices = [IoSlice::new(header.as_bytes()), IoSlice::new(frame.as_bytes())];
        match self.try_write_vectored(&slices) {
            Ok(n) if n == header.as_bytes().len() + frame.len() => Written::All(n),
            Ok(0) | Err(_) => Written::Nothing,
            Ok(n) => Written::Part(n),
        }
    }
}

impl Stream {
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self {
            Self::Tcp(tcp) => loop {
                ready!(tcp.poll_read_ready(cx))?;
                match tcp.try_read_buf(buf) {
                    Ok(_) => return Poll::Ready(Ok(())),
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    Err(error) => return Poll::Ready(Err(error)),
                }
            },
            Self::Other(io) => Pin::new(io).poll_read(cx, buf),
        }
    }

    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        slices: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self {
            Self::Tcp(tcp) => loop {
                ready!(tcp.poll_write_ready(cx))?;
                match tcp.try_write_vectored(slices) {
                    Err(error) if error.kind() == io::ErrorKind::WouldBlock => {}
                    written => return Poll::Ready(written),
                }
            },
            Self::Other(io) => Pin::new(io).poll_write_vectored(cx, slices),
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Self::Tcp(_) => Poll::Ready(Ok(())),
            Self::Other(io) => Pin::new(io).poll_flush(cx),
        }
    }
}

#[cfg(test)]
#[path = "socket_tests.rs"]
mod tests;
