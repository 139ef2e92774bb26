use std::future::poll_fn;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

const MAX: usize = 64 * 1024;

/// A masked client text frame.
fn client_text(text: &str) -> Vec<u8> {
    super::super::frame::tests::client_frame(0x81, text.as_bytes())
}

/// A socket on the server's end of a loopback TCP connection, and the client's end.
async fn tcp_pair() -> (Socket, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    let (server, _) = listener.accept().await.unwrap();
    (Socket::tcp(server), client)
}

fn text(text: &str) -> Option<Incoming> {
    Some(Incoming::Text(text.to_owned()))
}

#[tokio::test]
async fn a_frame_split_across_reads_is_kept_only_until_it_is_whole() {
    let (mut socket, mut client) = tcp_pair().await;
    let frame = client_text(&"x".repeat(300));
    client.write_all(&frame[..3]).await.unwrap();
    client.flush().await.unwrap();
    let reading = tokio::time::timeout(Duration::from_millis(100), socket.next(MAX)).await;
    assert!(reading.is_err(), "a partial header is not a message");
    assert_eq!(socket.unread.as_ref().map(|u| u.len()), Some(3));
    client.write_all(&frame[3..]).await.unwrap();
    assert_eq!(socket.next(MAX).await.unwrap(), text(&"x".repeat(300)));
    assert!(socket.unread.is_none(), "the buffer is given back");
}

#[tokio::test]
async fn frames_that_arrive_together_come_out_one_by_one() {
    let (mut socket, mut client) = tcp_pair().await;
    let mut burst = client_text("one");
    burst.extend(client_text("two"));
    burst.extend(client_text("three"));
    client.write_all(&burst).await.unwrap();
    for expected in ["one", "two", "three"] {
        assert_eq!(socket.next(MAX).await.unwrap(), text(expected));
    }
    assert!(socket.unread.is_none());
    drop(client);
    assert_eq!(socket.next(MAX).await.unwrap(), None, "end of stream");
}

#[tokio::test]
async fn bytes_read_before_the_upgrade_are_decoded_first() {
    let (mut socket, mut client) = tcp_pair().await;
    socket.keep(&client_text("early"));
    client.write_all(&client_text("later")).await.unwrap();
    assert_eq!(socket.next(MAX).await.unwrap(), text("early"));
    assert_eq!(socket.next(MAX).await.unwrap(), text("later"));
}

#[tokio::test]
async fn a_violation_ends_reading() {
    let (mut socket, mut client) = tcp_pair().await;
    client.write_all(&[0x81, 0x01, b'a']).await.unwrap();
    let error = socket.next(MAX).await.unwrap_err();
    assert!(matches!(error, ReadError::Violation(Violation::Protocol(_))), "{error:?}");
}

/// Sends `frames` as text frames and returns what the client reads, reading only after the
/// socket has filled up when `full` is set.
async fn send_all(
    mut socket: Socket,
    mut client: impl AsyncRead + Unpin + Send + 'static,
    frames: Vec<String>,
) -> Vec<u8> {
    let expected: usize = frames.iter().map(|f| Outgoing::text(f.clone()).len()).sum();
    let reader = tokio::spawn(async move {
        let mut read = vec![0; expected];
        client.read_exact(&mut read).await.unwrap();
        read
    });
    let mut frames = frames.into_iter();
    poll_fn(|cx| socket.poll_send(cx, || frames.next().map(Outgoing::text))).await.unwrap();
    assert!(socket.backlog.is_none(), "the backlog is given back");
    reader.await.unwrap()
}

fn encoded(frames: &[String]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for frame in frames {
        bytes.extend_from_slice(Header::text(frame.len()).as_bytes());
        bytes.extend_from_slice(frame.as_bytes());
    }
    bytes
}

#[tokio::test]
async fn frames_go_out_whole_and_in_order_through_a_full_socket() {
    let (socket, client) = tcp_pair().await;
    // Several megabytes: far more than the kernel's buffers, so writes stop half-way.
    let frames: Vec<String> = (0..2000).map(|i| format!("{i:05}").repeat(400 + i % 7)).collect();
    let read = send_all(socket, client, frames.clone()).await;
    assert!(read == encoded(&frames), "bytes differ");
}

#[tokio::test]
async fn a_boxed_stream_takes_partial_writes_too() {
    // A 64-byte pipe: every frame is written in pieces.
    let (server, client) = tokio::io::duplex(64);
    let frames: Vec<String> = (0..50).map(|i| "y".repeat(i * 10)).collect();
    let read = send_all(Socket::boxed(server), client, frames.clone()).await;
    assert!(read == encoded(&frames), "bytes differ");
}

#[tokio::test]
async fn a_boxed_stream_reads_frames() {
    let (server, mut client) = tokio::io::duplex(64);
    let mut socket = Socket::boxed(server);
    let long = "z".repeat(1000);
    let writer = tokio::spawn(async move { client.write_all(&client_text(&long)).await.unwrap() });
    assert_eq!(socket.next(MAX).await.unwrap(), text(&"z".repeat(1000)));
    writer.await.unwrap();
}

#[tokio::test]
async fn a_dropped_write_is_finished_by_the_next_one() {
    let (mut socket, mut client) = tcp_pair().await;
    let big = "b".repeat(32 << 20);
    let mut frame = Some(Outgoing::text(big.clone()));
    // One poll: the kernel takes part of it, the rest waits in the backlog.
    let first = poll_fn(|cx| Poll::Ready(socket.poll_send(cx, || frame.take()))).await;
    assert!(first.is_pending());
    assert!(socket.backlog.is_some());
    let reader = tokio::spawn(async move {
        let mut read = vec![0; 10 + big.len() + 2 + 5];
        client.read_exact(&mut read).await.unwrap();
        read
    });
    let mut next = Some(Outgoing::text("after"));
    poll_fn(|cx| socket.poll_send(cx, || next.take())).await.unwrap();
    let read = reader.await.unwrap();
    assert_eq!(&read[..10], Header::text(32 << 20).as_bytes());
    assert_eq!(&read[read.len() - 7..], b"\x81\x05after");
}

/// What hyper hands over after a real upgrade over TCP is the bare stream, with the bytes
/// the client sent right behind its request.
#[tokio::test]
async fn a_tcp_upgrade_gives_the_bare_stream_and_the_early_bytes() {
    use hyper::service::service_fn;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let (sender, upgraded) = tokio::sync::oneshot::channel();
        let sender = std::sync::Mutex::new(Some(sender));
        let service = service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            let on_upgrade = hyper::upgrade::on(&mut request);
            if let Some(sender) = sender.lock().unwrap().take() {
                let _ = sender.send(on_upgrade);
            }
            async {
                let mut response = hyper::Response::new(axum::body::Body::empty());
                *response.status_mut() = hyper::StatusCode::SWITCHING_PROTOCOLS;
                let headers = response.headers_mut();
                headers.insert("connection", "upgrade".parse().unwrap());
                headers.insert("upgrade", "websocket".parse().unwrap());
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        let conn = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(tcp), service)
            .with_upgrades();
        tokio::spawn(conn);
        let upgraded = upgraded.await.unwrap().await.unwrap();
        let mut socket = Socket::from_upgraded(upgraded);
        assert!(socket.is_tcp());
        socket.next(MAX).await.unwrap()
    });
    let mut client = TcpStream::connect(addr).await.unwrap();
    let mut request =
        b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n".to_vec();
    request.extend(client_text("right behind"));
    client.write_all(&request).await.unwrap();
    assert_eq!(server.await.unwrap(), text("right behind"));
}
