//! RFC 6455 as the server reads it, with a raw client over TCP: what a browser never sends
//! (unmasked frames, bad UTF-8, reserved bits) and what it may (fragments, control frames,
//! a first frame right behind the upgrade request).

use std::time::Duration;

use realtime::RealtimeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{self, Backend, KEY, WAIT, app, on_both, spawn};

on_both!(
    a_first_frame_right_behind_the_request_is_read,
    fragments_and_control_frames_between_them_work,
    a_close_is_answered_with_its_code,
    broken_frames_get_1002_and_bad_utf8_1007,
    a_huge_declared_length_closes_with_1009_at_once
);

const OPEN: u8 = 0x1;
const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x81;
const CLOSE: u8 = 0x88;
const PING: u8 = 0x89;
const PONG: u8 = 0x8A;

/// A masked client frame; `first` is FIN, reserved bits and opcode.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let key = [9, 8, 7, 6];
    let mut out = vec![first];
    match payload.len() {
        len @ 0..=125 => out.push(0x80 | len as u8),
        len => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(&key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}

/// Upgrades a raw TCP connection, sending `early` right behind the request, and reads
/// `connection_established`.
async fn raw(port: u16, early: &[u8]) -> TcpStream {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut request = format!(
        "GET /app/{KEY}?protocol=7 HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    .into_bytes();
    request.extend_from_slice(early);
    tcp.write_all(&request).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(tcp.read_u8().await.unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101"), "{}", String::from_utf8_lossy(&head));
    let (first, established) = read_frame(&mut tcp).await;
    assert_eq!(first, TEXT);
    assert!(String::from_utf8(established).unwrap().contains("connection_established"));
    tcp
}

/// The next server frame: its first byte and payload. Server frames are never masked.
async fn read_frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    tokio::time::timeout(WAIT, async {
        let first = tcp.read_u8().await.unwrap();
        let len = match tcp.read_u8().await.unwrap() {
            126 => u64::from(tcp.read_u16().await.unwrap()),
            127 => tcp.read_u64().await.unwrap(),
            len => u64::from(len),
        };
        let mut payload = vec![0; usize::try_from(len).unwrap()];
        tcp.read_exact(&mut payload).await.unwrap();
        (first, payload)
    })
    .await
    .unwrap()
}

/// The code of the close frame that should come next.
async fn close_code(tcp: &mut TcpStream) -> u16 {
    let (first, payload) = read_frame(tcp).await;
    assert_eq!(first, CLOSE, "{}", String::from_utf8_lossy(&payload));
    u16::from_be_bytes([payload[0], payload[1]])
}

async fn text(tcp: &mut TcpStream) -> String {
    let (first, payload) = read_frame(tcp).await;
    assert_eq!(first, TEXT);
    String::from_utf8(payload).unwrap()
}

const PUSHER_PING: &[u8] = br#"{"event":"pusher:ping","data":{}}"#;

async fn a_first_frame_right_behind_the_request_is_read(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut tcp = raw(server.port, &frame(TEXT, PUSHER_PING)).await;
    assert!(text(&mut tcp).await.contains("pusher:pong"));
    server.stop().await;
}

async fn fragments_and_control_frames_between_them_work(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut tcp = raw(server.port, &[]).await;
    let (a, b) = PUSHER_PING.split_at(10);
    let (b, c) = b.split_at(10);
    tcp.write_all(&frame(OPEN, a)).await.unwrap();
    tcp.write_all(&frame(PING, b"between")).await.unwrap();
    assert_eq!(read_frame(&mut tcp).await, (PONG, b"between".to_vec()));
    // The rest in one write, split mid-frame across two.
    let mut rest = frame(CONTINUATION, b);
    rest.extend(frame(0x80 | CONTINUATION, c));
    let (first, second) = rest.split_at(7);
    tcp.write_all(first).await.unwrap();
    tcp.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    tcp.write_all(second).await.unwrap();
    assert!(text(&mut tcp).await.contains("pusher:pong"));
    // A pong from the client is taken quietly; the connection still answers.
    tcp.write_all(&frame(PONG, b"")).await.unwrap();
    tcp.write_all(&frame(TEXT, PUSHER_PING)).await.unwrap();
    assert!(text(&mut tcp).await.contains("pusher:pong"));
    server.stop().await;
}

async fn a_close_is_answered_with_its_code(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let mut tcp = raw(server.port, &[]).await;
    tcp.write_all(&frame(CLOSE, &4321u16.to_be_bytes())).await.unwrap();
    assert_eq!(close_code(&mut tcp).await, 4321);
    let mut rest = Vec::new();
    let end = tokio::time::timeout(WAIT, tcp.read_to_end(&mut rest)).await.unwrap();
    assert!(end.is_ok() && rest.is_empty(), "nothing after the close: {rest:?}");
    server.stop().await;
}

async fn broken_frames_get_1002_and_bad_utf8_1007(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let unmasked = [TEXT, 0x01, b'a'];
    let reserved_bit = frame(0xC1, b"a");
    let reserved_opcode = frame(0x83, b"a");
    let lone_continuation = frame(0x80, b"a");
    let long_ping = frame(PING, &[0; 126]);
    for (bytes, code) in [
        (&unmasked[..], 1002),
        (&reserved_bit, 1002),
        (&reserved_opcode, 1002),
        (&lone_continuation, 1002),
        (&long_ping, 1002),
        (&frame(TEXT, &[b'"', 0xFF, b'"']), 1007),
    ] {
        let mut tcp = raw(server.port, &[]).await;
        tcp.write_all(bytes).await.unwrap();
        assert_eq!(close_code(&mut tcp).await, code, "{bytes:?}");
    }
    server.stop().await;
}

async fn a_huge_declared_length_closes_with_1009_at_once(backend: Backend) {
    let config =
        RealtimeConfig { apps: vec![app()], max_frame_bytes: 1024, ..RealtimeConfig::default() };
    let server = helpers::spawn_with(backend, config).await;
    let mut tcp = raw(server.port, &[]).await;
    // The header alone: 2^40 bytes declared, none sent.
    let mut header = vec![TEXT, 0x80 | 127];
    header.extend_from_slice(&(1u64 << 40).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    tcp.write_all(&header).await.unwrap();
    assert_eq!(close_code(&mut tcp).await, 1009);
    // Fragments adding up to more than the limit, each under it.
    let mut tcp = raw(server.port, &[]).await;
    tcp.write_all(&frame(OPEN, &[b'a'; 1000])).await.unwrap();
    tcp.write_all(&frame(0x80 | CONTINUATION, &[b'a'; 100])).await.unwrap();
    assert_eq!(close_code(&mut tcp).await, 1009);
    server.stop().await;
}
