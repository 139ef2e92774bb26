//! `paybell serve` closes sockets that never finish a request head, on both ports, with the
//! timeouts from the environment, while other requests are served.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::serve;

/// How long after `since` the server closed `socket`.
async fn closed_after(socket: &mut TcpStream, since: Instant) -> Duration {
    let mut buf = [0u8; 256];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(10), socket.read(&mut buf)).await;
        match read.expect("the server kept the socket open") {
            Ok(0) | Err(_) => return since.elapsed(),
            Ok(_) => {}
        }
    }
}

#[tokio::test]
async fn half_sent_heads_are_closed_on_both_ports() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("PAYBELL_HTTP_HEADER_READ_TIMEOUT_SECS", "1"),
        ("PAYBELL_REALTIME_HEADER_READ_TIMEOUT_SECS", "1"),
    ];
    let process = serve(&dir.path().join("data"), &[], &env);
    let web = process.port("paybell web listening on http://127.0.0.1:").await;
    let realtime = process.port("paybell realtime listening on 127.0.0.1:").await;
    let opened = Instant::now();
    let mut stalled = Vec::new();
    for port in [web, web, realtime, realtime] {
        let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        socket.write_all(b"GET /api/config HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        stalled.push(socket);
    }
    let config = reqwest::get(format!("http://127.0.0.1:{web}/api/config")).await.unwrap();
    assert_eq!(config.status(), 200);
    let health = reqwest::get(format!("http://127.0.0.1:{realtime}/health")).await.unwrap();
    assert_eq!(health.status(), 200);
    for mut socket in stalled {
        let after = closed_after(&mut socket, opened).await;
        assert!(after < Duration::from_secs(4), "closed after {after:?}");
    }
    assert!(process.terminate().await);
}
