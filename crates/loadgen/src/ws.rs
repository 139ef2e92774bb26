//! WebSocket framing (RFC 6455) and the upgrade handshake, for both ends: the client masks
//! what it sends, the floor server unmasks what it reads. Only what Pusher needs: text,
//! close, ping and pong frames, no extensions.

use tokio_tungstenite::tungstenite::handshake::derive_accept_key;

use crate::http::{find_head_end, header, status_code};
use crate::{Error, Result};

/// Continuation of a fragmented message.
pub const CONTINUATION: u8 = 0x0;
/// A text frame.
pub const TEXT: u8 = 0x1;
/// A binary frame.
pub const BINARY: u8 = 0x2;
/// A close frame.
pub const CLOSE: u8 = 0x8;
/// A ping control frame.
pub const PING: u8 = 0x9;
/// A pong control frame.
pub const PONG: u8 = 0xA;

/// Largest frame either end accepts.
pub const MAX_PAYLOAD: usize = 1 << 20;

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHead {
    /// Whether this is the last frame of its message.
    pub fin: bool,
    /// The opcode.
    pub opcode: u8,
    /// The masking key (client → server frames).
    pub mask: Option<[u8; 4]>,
    /// Bytes of header before the payload.
    pub header_len: usize,
    /// Bytes of payload.
    pub payload_len: usize,
}

impl FrameHead {
    /// Header and payload together.
    pub fn frame_len(&self) -> usize {
        self.header_len + self.payload_len
    }
}

/// Parses the frame header at the start of `buf`; `Ok(None)` until enough bytes are there.
///
/// # Errors
/// [`Error::Protocol`] for reserved bits, a payload over [`MAX_PAYLOAD`] or a fragmented
/// control frame.
pub fn parse_head(buf: &[u8]) -> Result<Option<FrameHead>> {
    let [b0, b1, ..] = *buf else { return Ok(None) };
    if b0 & 0x70 != 0 {
        return Err(Error::protocol("reserved bits set (no extension was negotiated)"));
    }
    let fin = b0 & 0x80 != 0;
    let opcode = b0 & 0x0F;
    if opcode >= CLOSE && !fin {
        return Err(Error::protocol("fragmented control frame"));
    }
    let masked = b1 & 0x80 != 0;
    let (payload_len, mut header_len) = match b1 & 0x7F {
        126 => match buf.get(2..4) {
            Some(len) => (u64::from(u16::from_be_bytes([len[0], len[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(len) => {
                let mut bytes = [0; 8];
                bytes.copy_from_slice(len);
                (u64::from_be_bytes(bytes), 10)
            }
            None => return Ok(None),
        },
        short => (u64::from(short), 2),
    };
    let payload_len = usize::try_from(payload_len)
        .ok()
        .filter(|len| *len <= MAX_PAYLOAD)
        .ok_or_else(|| Error::protocol(format!("frame of {payload_len} bytes is too large")))?;
    let mask = if masked {
        let Some(key) = buf.get(header_len..header_len + 4) else { return Ok(None) };
        header_len += 4;
        Some([key[0], key[1], key[2], key[3]])
    } else {
        None
    };
    Ok(Some(FrameHead { fin, opcode, mask, header_len, payload_len }))
}

/// XORs `payload` with the masking key (masking and unmasking are the same operation).
pub fn apply_mask(payload: &mut [u8], mask: [u8; 4]) {
    for (i, byte) in payload.iter_mut().enumerate() {
        *byte ^= mask[i % 4];
    }
}

/// Appends one final frame to `out`, masked when `mask` is given (client → server).
pub fn encode_frame(out: &mut Vec<u8>, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) {
    out.push(0x80 | opcode);
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        len @ 0..=125 => out.push(mask_bit | u8::try_from(len).unwrap_or(125)),
        len @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
        }
        len => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let start = out.len();
    if let Some(key) = mask {
        out.extend_from_slice(&key);
        out.extend_from_slice(payload);
        apply_mask(&mut out[start + 4..], key);
    } else {
        out.extend_from_slice(payload);
    }
}

/// The client's upgrade request for `path` (e.g. `/app/key?protocol=7`).
pub fn upgrade_request(host: &str, path: &str, key: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
}

/// Checks the server's answer to [`upgrade_request`]; returns the length of the response
/// head (frames may follow it in the same read), or `Ok(None)` until the head is complete.
///
/// # Errors
/// [`Error::Refused`] when the server did not switch protocols, [`Error::Protocol`] when
/// the accept key is wrong.
pub fn check_upgrade_response(buf: &[u8], key: &str) -> Result<Option<usize>> {
    let Some(end) = find_head_end(buf) else { return Ok(None) };
    let head = String::from_utf8_lossy(&buf[..end]);
    let status = status_code(&head)?;
    if status != 101 {
        let line = head.lines().next().unwrap_or_default();
        return Err(Error::Refused(format!("upgrade answered {line:?}")));
    }
    let expected = derive_accept_key(key.as_bytes());
    match header(&head, "sec-websocket-accept") {
        Some(accept) if accept == expected => Ok(Some(end)),
        _ => Err(Error::protocol("wrong or missing Sec-WebSocket-Accept")),
    }
}

/// The server's `101 Switching Protocols` answer to a request carrying `key`.
pub fn upgrade_response(key: &str) -> String {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        derive_accept_key(key.as_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(len: usize, mask: Option<[u8; 4]>) {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let mut out = Vec::new();
        encode_frame(&mut out, TEXT, &payload, mask);
        let head = parse_head(&out).unwrap().unwrap();
        assert_eq!((head.fin, head.opcode, head.mask), (true, TEXT, mask));
        assert_eq!(head.payload_len, len);
        assert_eq!(head.frame_len(), out.len());
        let mut body = out[head.header_len..].to_vec();
        if let Some(key) = head.mask {
            apply_mask(&mut body, key);
        }
        assert_eq!(body, payload);
        // Every prefix is "not yet".
        for cut in 0..head.header_len {
            assert_eq!(parse_head(&out[..cut]).unwrap(), None, "cut at {cut}");
        }
    }

    #[test]
    fn frames_of_every_length_class_round_trip() {
        for len in [0, 1, 125, 126, 127, 65_535, 65_536, 200_000] {
            round_trip(len, None);
            round_trip(len, Some([1, 2, 3, 4]));
        }
    }

    #[test]
    fn a_known_server_frame_parses() {
        // RFC 6455 §5.7: unmasked "Hello".
        let frame = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let head = parse_head(&frame).unwrap().unwrap();
        assert_eq!(&frame[head.header_len..], b"Hello");
        // Masked "Hello".
        let mut masked = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
        let head = parse_head(&masked).unwrap().unwrap();
        let key = head.mask.unwrap();
        apply_mask(&mut masked[head.header_len..], key);
        assert_eq!(&masked[head.header_len..], b"Hello");
    }

    #[test]
    fn bad_frames_are_refused() {
        assert!(parse_head(&[0xC1, 0x00]).is_err(), "RSV1 without an extension");
        assert!(parse_head(&[0x09, 0x00]).is_err(), "fragmented ping");
        let huge = [0x81, 0x7F, 0, 0, 0, 0, 0xFF, 0, 0, 0];
        assert!(parse_head(&huge).is_err());
    }

    #[test]
    fn the_handshake_checks_the_accept_key() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let response = upgrade_response(key);
        assert!(response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "RFC 6455 example");
        let len = check_upgrade_response(response.as_bytes(), key).unwrap();
        assert_eq!(len, Some(response.len()));
        assert!(check_upgrade_response(response.as_bytes(), "b3RoZXIga2V5IDEyMzQ1Ng==").is_err());
        assert_eq!(check_upgrade_response(&response.as_bytes()[..20], key).unwrap(), None);
        let refused = b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n";
        assert!(matches!(check_upgrade_response(refused, key), Err(Error::Refused(_))));
    }
}
