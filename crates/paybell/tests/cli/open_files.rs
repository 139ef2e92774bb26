//! Without `max_connections`, a realtime node holds at most its open-file limit less a
//! reserve: past that, a new connection is refused with 4100 (over capacity) while the node
//! keeps serving, instead of failing `accept` for every socket the process opens.

use std::time::Duration;

use pusher_client::{Connection, WsError};
use tokio::process::Command;

use crate::helpers::Process;
use crate::remote::APP;

/// With an open-file limit of 200, the default leaves 64 files to the node: 136 connections.
const FILES: u32 = 200;
const CONNECTIONS: usize = 136;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_open_file_limit_are_refused_with_4100() {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--nofile={FILES}:{FILES}"))
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_paybell"))
        .args(["realtime", "--addr", "127.0.0.1:0"])
        .env_clear()
        .env("RUST_LOG", "warn")
        .envs(APP.iter().copied());
    let node = Process::start(command);
    let port = node.port("paybell realtime listening on 127.0.0.1:").await;
    let url = format!("ws://127.0.0.1:{port}/app/{}?protocol=7&client=test&version=1", APP[1].1);

    let mut held = Vec::new();
    for n in 0..CONNECTIONS {
        let connection = Connection::connect(&url).await;
        held.push(connection.unwrap_or_else(|e| panic!("connection {n}: {e}")));
    }
    for _ in 0..3 {
        match Connection::connect(&url).await {
            Err(WsError::Refused { frame, .. }) => {
                assert_eq!(frame.data["code"], 4100, "{}", frame.raw)
            }
            other => panic!("expected 4100, got {other:?}"),
        }
    }
    // A connection that leaves makes room for another.
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(200)).await;
    held.push(Connection::connect(&url).await.expect("room again"));
}
