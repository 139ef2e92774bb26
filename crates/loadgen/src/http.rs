//! A minimal HTTP/1.1 client for the Pusher HTTP API: keep-alive, `Content-Length` and
//! chunked bodies, requests signed as PROTOCOL.md §6 says. Hand-written so one request costs
//! one write and usually one read, and so the trigger's send time is taken right before the
//! write.

use std::net::{IpAddr, SocketAddr};
use std::time::{SystemTime, UNIX_EPOCH};

use pusher_protocol::sign;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::{Error, Result, Target};

/// The end of a head (`\r\n\r\n` included), if complete.
pub(crate) fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|at| at + 4)
}

/// A header's value, by case-insensitive name.
pub(crate) fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// The status code of a response head.
pub(crate) fn status_code(head: &str) -> Result<u16> {
    head.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| Error::protocol(format!("bad status line {:?}", head.lines().next())))
}

/// How a response's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// `Content-Length` bytes.
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed response head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code.
    pub status: u16,
    /// Bytes of head, blank line included.
    pub head_len: usize,
    /// How the body ends.
    pub body: BodyKind,
    /// Whether the server closes the connection after this response.
    pub close: bool,
}

/// Parses the response head at the start of `buf`; `Ok(None)` until it is complete.
///
/// # Errors
/// [`Error::Protocol`] for a bad status line or a body without a length.
pub fn parse_response_head(buf: &[u8]) -> Result<Option<ResponseHead>> {
    let Some(head_len) = find_head_end(buf) else { return Ok(None) };
    let head = std::str::from_utf8(&buf[..head_len])
        .map_err(|_| Error::protocol("response head is not UTF-8"))?;
    let status = status_code(head)?;
    let chunked = header(head, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let body = if chunked {
        BodyKind::Chunked
    } else if let Some(length) = header(head, "content-length") {
        BodyKind::Length(length.parse().map_err(|_| Error::protocol("bad content-length"))?)
    } else if status == 204 || status == 304 {
        BodyKind::Length(0)
    } else {
        return Err(Error::protocol("response without content-length"));
    };
    let close = header(head, "connection").is_some_and(|v| v.eq_ignore_ascii_case("close"));
    Ok(Some(ResponseHead { status, head_len, body, close }))
}

/// Decodes a chunked body at the start of `buf`: the body and the bytes it took, or
/// `Ok(None)` until the last chunk is there.
///
/// # Errors
/// [`Error::Protocol`] for a bad chunk size.
pub fn parse_chunked(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(line_end) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&buf[at..at + line_end])
            .map_err(|_| Error::protocol("bad chunk size"))?;
        let size = line.split(';').next().unwrap_or_default().trim();
        let size =
            usize::from_str_radix(size, 16).map_err(|_| Error::protocol("bad chunk size"))?;
        let data = at + line_end + 2;
        if size == 0 {
            // No trailers are expected: the blank line ends the body.
            return Ok((buf.len() >= data + 2).then(|| (body, data + 2)));
        }
        if buf.len() < data + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[data..data + size]);
        at = data + size + 2;
    }
}

/// A response: status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The body.
    pub body: Vec<u8>,
}

/// One keep-alive connection to the HTTP API.
#[derive(Debug)]
pub struct HttpConn {
    stream: TcpStream,
    buf: Vec<u8>,
    closed: bool,
}

/// Connects a TCP socket from `source` (port chosen by the kernel) to `addr`.
pub(crate) async fn connect_from(addr: SocketAddr, source: Option<IpAddr>) -> Result<TcpStream> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(addr).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

impl HttpConn {
    /// Opens a connection.
    ///
    /// # Errors
    /// [`Error::Io`] when the connection fails.
    pub async fn connect(addr: SocketAddr, source: Option<IpAddr>) -> Result<Self> {
        let stream = connect_from(addr, source).await?;
        Ok(Self { stream, buf: Vec::with_capacity(1024), closed: false })
    }

    /// Whether the server closed the connection (a new one is needed).
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Sends a complete request and reads the response.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Protocol`]; the connection is then unusable.
    pub async fn send(&mut self, request: &[u8]) -> Result<Response> {
        self.closed = true;
        self.stream.write_all(request).await?;
        let head = loop {
            if let Some(head) = parse_response_head(&self.buf)? {
                break head;
            }
            self.fill().await?;
        };
        self.buf.drain(..head.head_len);
        let body = match head.body {
            BodyKind::Length(len) => {
                while self.buf.len() < len {
                    self.fill().await?;
                }
                self.buf.drain(..len).collect()
            }
            BodyKind::Chunked => loop {
                if let Some((body, used)) = parse_chunked(&self.buf)? {
                    self.buf.drain(..used);
                    break body;
                }
                self.fill().await?;
            },
        };
        self.closed = head.close;
        Ok(Response { status: head.status, body })
    }

    async fn fill(&mut self) -> Result<()> {
        self.buf.reserve(4096);
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(Error::protocol("server closed the connection mid-response"));
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch, for `auth_timestamp`.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The JSON body of `POST /apps/{id}/events`.
pub fn trigger_body(channels: &[&str], name: &str, data: &str) -> Vec<u8> {
    let body = serde_json::json!({ "name": name, "channels": channels, "data": data });
    body.to_string().into_bytes()
}

/// Percent-encodes a path segment (RFC 3986 unreserved characters stay).
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A complete, signed `POST /apps/{id}/{tail}` request with a JSON body, as signed at
/// `timestamp` (unix seconds).
pub fn signed_post(target: &Target, tail: &str, body: &[u8], timestamp: u64) -> Vec<u8> {
    let path = format!("/apps/{}/{tail}", encode_segment(&target.app_id));
    let timestamp = timestamp.to_string();
    let md5 = sign::body_md5(body);
    let params = [
        ("auth_key", target.key.as_str()),
        ("auth_timestamp", timestamp.as_str()),
        ("auth_version", "1.0"),
        ("body_md5", md5.as_str()),
    ];
    let signature = sign::api_signature(&target.secret, "POST", &path, params);
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(params).append_pair("auth_signature", &signature);
    let head = format!(
        "POST {path}?{} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        query.finish(),
        target.api_addr,
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::loopback_sources;

    #[test]
    fn response_heads_parse() {
        let response = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}";
        let head = parse_response_head(response).unwrap().unwrap();
        assert_eq!(head.status, 200);
        assert_eq!(head.body, BodyKind::Length(2));
        assert!(head.close);
        assert_eq!(&response[head.head_len..], b"{}");
        assert_eq!(parse_response_head(&response[..10]).unwrap(), None);
        let chunked = b"HTTP/1.1 413 Payload Too Large\r\ntransfer-encoding: chunked\r\n\r\n";
        let head = parse_response_head(chunked).unwrap().unwrap();
        assert_eq!((head.status, head.body, head.close), (413, BodyKind::Chunked, false));
        assert!(parse_response_head(b"HTTP/1.1 200 OK\r\n\r\n").is_err());
    }

    #[test]
    fn chunked_bodies_decode() {
        let body = b"2\r\n{}\r\n3;x=y\r\nabc\r\n0\r\n\r\nNEXT";
        let (decoded, used) = parse_chunked(body).unwrap().unwrap();
        assert_eq!(decoded, b"{}abc");
        assert_eq!(&body[used..], b"NEXT");
        assert_eq!(parse_chunked(&body[..12]).unwrap(), None);
        assert!(parse_chunked(b"zz\r\n").is_err());
    }

    #[test]
    fn signed_requests_verify_with_the_protocol_crate() {
        let target = Target {
            addr: "127.0.0.1:6001".parse().unwrap(),
            api_addr: "127.0.0.1:6001".parse().unwrap(),
            app_id: "app id".into(),
            key: "the-key".into(),
            secret: "the-secret".into(),
            sources: loopback_sources(1),
        };
        let body = trigger_body(&["c"], "e", "lg1 1 2 ");
        let request = signed_post(&target, "events", &body, 1_700_000_000);
        let text = String::from_utf8(request).unwrap();
        let target_line = text.lines().next().unwrap().split(' ').nth(1).unwrap();
        let (path, query) = target_line.split_once('?').unwrap();
        assert_eq!(path, "/apps/app%20id/events");
        let params: Vec<(String, String)> =
            url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let signed = sign::SignedRequest { method: "POST", path, params: &params, body: &body };
        signed.verify("the-key", "the-secret", 1_700_000_000).unwrap();
        assert!(text.ends_with(std::str::from_utf8(&body).unwrap()));
        assert!(text.contains(&format!("Content-Length: {}\r\n", body.len())));
    }
}
