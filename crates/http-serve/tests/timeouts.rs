//! Half-sent heads, trickled bodies and idle keep-alive connections are closed on time, while
//! other clients are served; shutdown still completes.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use http_serve::{Timeouts, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const TIMEOUTS: Timeouts = Timeouts {
    header_read: Duration::from_millis(300),
    keep_alive: Duration::from_millis(900),
    request: Duration::from_millis(600),
};

async fn start() -> (u16, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router =
        Router::new().route("/", get(|| async { "ok" }).post(|body: String| async { body }));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, router, TIMEOUTS, async {
        let _ = stopped.await;
    }));
    (port, stop, task)
}

/// Waits for the server to close `socket`; how long that took.
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
async fn half_sent_heads_are_closed_while_others_are_served() {
    let (port, stop, task) = start().await;
    let opened = Instant::now();
    let mut halves = Vec::new();
    for _ in 0..3 {
        let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        socket.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        halves.push(socket);
    }
    let silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let body = reqwest::get(format!("http://127.0.0.1:{port}/")).await.unwrap().text().await;
    assert_eq!(body.unwrap(), "ok");
    for mut socket in halves.into_iter().chain([silent]) {
        let after = closed_after(&mut socket, opened).await;
        assert!(after < Duration::from_millis(900), "closed after {after:?}");
    }
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_timeout() {
    let (port, stop, task) = start().await;
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    socket.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    while !answer.ends_with(b"ok") {
        let mut buf = [0u8; 256];
        let n = socket.read(&mut buf).await.unwrap();
        assert!(n > 0, "closed before the answer: {}", String::from_utf8_lossy(&answer));
        answer.extend_from_slice(&buf[..n]);
    }
    // Past the first-head deadline the connection lives on: it has served a request.
    let idle = Instant::now();
    let after = closed_after(&mut socket, idle).await;
    assert!(after >= Duration::from_millis(800), "closed after {after:?}");
    assert!(after < Duration::from_millis(2_500), "closed after {after:?}");
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test]
async fn a_trickled_body_gets_408_and_its_connection_closed_while_others_are_served() {
    let (port, stop, task) = start().await;
    let mut slow = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789";
    let sent = Instant::now();
    slow.write_all(head.as_bytes()).await.unwrap();
    let client = reqwest::Client::new();
    let echoed = client.post(format!("http://127.0.0.1:{port}/")).body("whole").send().await;
    assert_eq!(echoed.unwrap().text().await.unwrap(), "whole");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut answer)).await;
    let took = sent.elapsed();
    read.expect("the server closed the connection").unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(took >= Duration::from_millis(500) && took < Duration::from_secs(3), "{took:?}");
    stop.send(()).unwrap();
    task.await.unwrap();
}
