//! RFC 6455 framing for the server's side, with no I/O: client frames decoded (unmasked in
//! place, fragments reassembled, text checked as UTF-8) into messages, and the headers of
//! the server's unmasked frames. Only what the server needs: no extensions are negotiated,
//! so reserved bits are refused.

use thiserror::Error;

const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;
const PONG: u8 = 0xA;

/// Largest payload of a control frame (RFC 6455 §5.5).
const MAX_CONTROL: usize = 125;

/// A message from the client.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Incoming {
    Text(String),
    /// Pusher speaks text only; the payload is not kept.
    Binary,
    /// Answered with a pong carrying the same payload.
    Ping(Vec<u8>),
    Pong,
    /// The client's close, with its code when it gave one.
    Close(Option<u16>),
}

/// A client frame that ends the connection, with the close code it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub(super) enum Violation {
    /// A frame or message over the size limit: 1009.
    #[error("message too large")]
    TooLarge,
    /// A frame RFC 6455 forbids: 1002.
    #[error("protocol error: {0}")]
    Protocol(&'static str),
    /// A text message or close reason that is not UTF-8: 1007.
    #[error("invalid UTF-8")]
    InvalidUtf8,
}

impl Violation {
    /// The close code and reason the client is told.
    pub(super) fn close(self) -> (u16, &'static str) {
        match self {
            Self::TooLarge => (1009, "Message too large"),
            Self::Protocol(reason) => (1002, reason),
            Self::InvalidUtf8 => (1007, "Invalid UTF-8"),
        }
    }
}

/// The start of a message sent in fragments, kept until its last frame.
#[derive(Debug)]
struct Fragments {
    text: bool,
    payload: Vec<u8>,
}

/// What `Decoder::decode` found at the start of a buffer.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Decoded {
    /// The buffer does not hold a whole frame yet.
    Incomplete,
    /// A whole frame of `len` bytes, and the message it completes, if any.
    Frame { len: usize, message: Option<Incoming> },
}

/// Decodes client frames. Its only state is a fragmented message in progress, boxed so an
/// idle connection keeps one pointer.
#[derive(Debug, Default)]
pub(super) struct Decoder {
    fragments: Option<Box<Fragments>>,
}

/// A frame's header.
struct Head {
    fin: bool,
    opcode: u8,
    mask: [u8; 4],
    header_len: usize,
    payload_len: usize,
}

impl Decoder {
    /// Decodes the frame at the start of `buf`, unmasking its payload in place. A message
    /// (or a fragment, or fragments together) over `max` bytes is refused as soon as its
    /// header says so, before its payload is read or anything is allocated for it.
    pub(super) fn decode(&mut self, buf: &mut [u8], max: usize) -> Result<Decoded, Violation> {
        let Some(head) = parse_head(buf, max)? else { return Ok(Decoded::Incomplete) };
        let so_far = self.fragments.as_ref().map_or(0, |f| f.payload.len());
        if head.opcode == CONTINUATION && head.payload_len > max - so_far {
            return Err(Violation::TooLarge);
        }
        let len = head.header_len + head.payload_len;
        let Some(payload) = buf.get_mut(head.header_len..len) else {
            return Ok(Decoded::Incomplete);
        };
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= head.mask[i % 4];
        }
        let message = self.message(&head, payload)?;
        Ok(Decoded::Frame { len, message })
    }

    /// The message a whole, unmasked frame completes.
    fn message(&mut self, head: &Head, payload: &[u8]) -> Result<Option<Incoming>, Violation> {
        match (head.opcode, head.fin) {
            (PING, _) => Ok(Some(Incoming::Ping(payload.to_vec()))),
            (PONG, _) => Ok(Some(Incoming::Pong)),
            (CLOSE, _) => close_code(payload).map(|code| Some(Incoming::Close(code))),
            (TEXT | BINARY, _) if self.fragments.is_some() => {
                Err(Violation::Protocol("new message before the last one ended"))
            }
            (TEXT, true) => text(payload).map(Some),
            (BINARY, true) => Ok(Some(Incoming::Binary)),
            (TEXT | BINARY, false) => {
                let text = head.opcode == TEXT;
                self.fragments = Some(Box::new(Fragments { text, payload: payload.to_vec() }));
                Ok(None)
            }
            (CONTINUATION, fin) => {
                let Some(mut fragments) = self.fragments.take() else {
                    return Err(Violation::Protocol("continuation of no message"));
                };
                fragments.payload.extend_from_slice(payload);
                match (fin, fragments.text) {
                    (false, _) => {
                        self.fragments = Some(fragments);
                        Ok(None)
                    }
                    (true, true) => text(&fragments.payload).map(Some),
                    (true, false) => Ok(Some(Incoming::Binary)),
                }
            }
            _ => Err(Violation::Protocol("reserved opcode")),
        }
    }
}

fn text(payload: &[u8]) -> Result<Incoming, Violation> {
    let text = std::str::from_utf8(payload).map_err(|_| Violation::InvalidUtf8)?;
    Ok(Incoming::Text(text.to_owned()))
}

/// The code of a close frame's payload, checked as RFC 6455 §7.4 asks.
fn close_code(payload: &[u8]) -> Result<Option<u16>, Violation> {
    let (code, reason) = match payload {
        [] => return Ok(None),
        [_] => return Err(Violation::Protocol("close payload of one byte")),
        [a, b, reason @ ..] => (u16::from_be_bytes([*a, *b]), reason),
    };
    // 1004–1006 and 1015 are reserved for endpoints' own use and never sent.
    if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
        return Err(Violation::Protocol("invalid close code"));
    }
    std::str::from_utf8(reason).map_err(|_| Violation::InvalidUtf8)?;
    Ok(Some(code))
}

/// The header at the start of `buf`; `None` until it is all there.
fn parse_head(buf: &[u8], max: usize) -> Result<Option<Head>, Violation> {
    let [b0, b1, ..] = *buf else { return Ok(None) };
    if b0 & 0x70 != 0 {
        return Err(Violation::Protocol("reserved bits set"));
    }
    let (fin, opcode) = (b0 & 0x80 != 0, b0 & 0x0F);
    if !matches!(opcode, CONTINUATION | TEXT | BINARY | CLOSE | PING | PONG) {
        return Err(Violation::Protocol("reserved opcode"));
    }
    if b1 & 0x80 == 0 {
        return Err(Violation::Protocol("unmasked client frame"));
    }
    let (declared, len_bytes) = match b1 & 0x7F {
        126 => (buf.get(2..4).map(|b| u64::from(u16::from_be_bytes([b[0], b[1]]))), 2),
        127 => (buf.get(2..10).map(|b| u64::from_be_bytes(b.try_into().unwrap_or([0xFF; 8]))), 8),
        short => (Some(u64::from(short)), 0),
    };
    let Some(declared) = declared else { return Ok(None) };
    if declared >> 63 != 0 {
        return Err(Violation::Protocol("length with its high bit set"));
    }
    if opcode >= CLOSE && (!fin || declared > MAX_CONTROL as u64) {
        return Err(Violation::Protocol("fragmented or long control frame"));
    }
    let payload_len = usize::try_from(declared).ok().filter(|len| *len <= max);
    let Some(payload_len) = payload_len else { return Err(Violation::TooLarge) };
    let header_len = 2 + len_bytes + 4;
    let Some(mask) = buf.get(header_len - 4..header_len) else { return Ok(None) };
    let mask = [mask[0], mask[1], mask[2], mask[3]];
    Ok(Some(Head { fin, opcode, mask, header_len, payload_len }))
}

/// The header of a server frame (final, unmasked): at most 10 bytes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Header {
    bytes: [u8; 10],
    len: u8,
}

impl Header {
    const fn new(opcode: u8, payload_len: usize) -> Self {
        let mut bytes = [0; 10];
        bytes[0] = 0x80 | opcode;
        let len = if payload_len <= 125 {
            bytes[1] = payload_len as u8;
            2
        } else if payload_len <= 0xFFFF {
            bytes[1] = 126;
            let be = (payload_len as u16).to_be_bytes();
            bytes[2] = be[0];
            bytes[3] = be[1];
            4
        } else {
            bytes[1] = 127;
            let be = (payload_len as u64).to_be_bytes();
            let mut i = 0;
            while i < 8 {
                bytes[2 + i] = be[i];
                i += 1;
            }
            10
        };
        Self { bytes, len }
    }

    /// A text frame's header.
    pub(super) const fn text(payload_len: usize) -> Self {
        Self::new(TEXT, payload_len)
    }

    /// A close frame's header.
    pub(super) const fn close(payload_len: usize) -> Self {
        Self::new(CLOSE, payload_len)
    }

    /// A pong frame's header.
    pub(super) const fn pong(payload_len: usize) -> Self {
        Self::new(PONG, payload_len)
    }

    pub(super) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }
}

/// A close frame's payload: the code, then the reason cut to fit a control frame.
pub(super) fn close_payload(code: u16, reason: &str) -> Vec<u8> {
    let mut end = reason.len().min(MAX_CONTROL - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut payload = Vec::with_capacity(2 + end);
    payload.extend_from_slice(&code.to_be_bytes());
    payload.extend_from_slice(&reason.as_bytes()[..end]);
    payload
}

#[cfg(test)]
#[path = "frame_tests.rs"]
pub(super) mod tests;
