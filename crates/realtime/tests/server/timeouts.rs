//! The realtime port closes sockets that never finish a request head, while WebSocket
//! clients and the HTTP API are served, and upgraded sockets outlive the timeout.

use std::time::{Duration, Instant};

use realtime::{RealtimeConfig, Timeouts};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, app, next, spawn_with, subscribed};

const HEADER_READ: Duration = Duration::from_millis(400);

/// How long after `since` the server closed `socket`.
async fn closed_after(socket: &mut TcpStream, since: Instant) -> Duration {
    let mut buf = [0u8; 256];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(5), socket.read(&mut buf)).await;
        match read.expect("the server kept the socket open") {
            Ok(0) | Err(_) => return since.elapsed(),
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn half_sent_heads_are_closed_while_clients_are_served() {
    let timeouts = Timeouts {
        header_read: HEADER_READ,
        keep_alive: Duration::from_secs(5),
        ..Timeouts::default()
    };
    let config = RealtimeConfig { apps: vec![app()], timeouts, ..RealtimeConfig::default() };
    let server = spawn_with(Backend::Local, config).await;
    let opened = Instant::now();
    let mut stalled = Vec::new();
    for head in ["GET /app/app-key?protocol=7 HTTP/1.1\r\nHost: x\r\n", "POST /apps/app-id/ev", ""]
    {
        let mut socket = TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
        socket.write_all(head.as_bytes()).await.unwrap();
        stalled.push(socket);
    }
    let mut client = subscribed(&server, "invoice.1").await;
    for mut socket in stalled {
        let after = closed_after(&mut socket, opened).await;
        assert!(after < Duration::from_secs(2), "closed after {after:?}");
    }
    // Well past the header-read timeout, the WebSocket is still served.
    tokio::time::sleep(HEADER_READ).await;
    server.api().trigger(&["invoice.1"], "payment.received", "{}", None, None).await.unwrap();
    assert_eq!(next(&mut client).await.event, "payment.received");
    server.stop().await;
}
