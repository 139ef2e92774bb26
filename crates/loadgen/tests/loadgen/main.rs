//! The harness tested end to end: small scenarios against the real server in-process on
//! port 0, and against the floor.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use loadgen::Target;
use loadgen::floor::{self, FloorApp};
use loadgen::scenario::{Ctx, churn, fanout, idle, trigger};
use loadgen::target::loopback_sources;
use realtime::{AppConfig, AppId, AppKey, RealtimeConfig, Server};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const ID: &str = "bench";
const KEY: &str = "bench-key";
const SECRET: &str = "bench-secret";

fn ctx(port: u16, label: &str) -> Ctx {
    loadgen::clock::init();
    let target = Target {
        addr: format!("127.0.0.1:{port}").parse().unwrap(),
        api_addr: format!("127.0.0.1:{port}").parse().unwrap(),
        app_id: ID.into(),
        key: KEY.into(),
        secret: SECRET.into(),
        sources: loopback_sources(2),
    };
    Ctx {
        target: Arc::new(target),
        // In-process: our own memory stands in for the server's.
        server_pid: Some(std::process::id()),
        label: label.into(),
        name: None,
        concurrency: 8,
        payload: 64,
    }
}

async fn realtime_server() -> (u16, CancellationToken) {
    let app = AppConfig::new(AppId::parse(ID).unwrap(), AppKey::parse(KEY).unwrap(), SECRET);
    let config = RealtimeConfig { apps: vec![app], ..RealtimeConfig::default() };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = Server::build(config, listener).unwrap();
    let port = server.port();
    let stop = CancellationToken::new();
    let stopped = stop.clone().cancelled_owned();
    tokio::spawn(server.run_until_stopped(stopped));
    (port, stop)
}

async fn floor_server() -> (u16, CancellationToken) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = FloorApp { app_id: ID.into(), key: KEY.into(), secret: SECRET.into() };
    let stop = CancellationToken::new();
    tokio::spawn(floor::serve(listener, app, stop.clone()));
    (port, stop)
}

fn small_fanout() -> fanout::Fanout {
    fanout::Fanout { subscribers: 10, runs: 3, gap_ms: 10, timeout_secs: 5 }
}

fn headline(outcome: &loadgen::report::Outcome, label: &str) -> f64 {
    outcome.headlines.iter().find(|h| h.label == label).unwrap().value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_reaches_every_subscriber_of_the_real_server() {
    let (port, stop) = realtime_server().await;
    let outcome = fanout::run(&ctx(port, "paybell"), &small_fanout()).await.unwrap();
    assert_eq!(outcome.name, "fanout-10");
    assert_eq!(headline(&outcome, "deliveries missing"), 0.0);
    assert_eq!(headline(&outcome, "subscribers dropped"), 0.0);
    let last = headline(&outcome, "trigger → last receipt, median (ms)");
    assert!(last > 0.0 && last < 1_000.0, "last receipt {last} ms");
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_reaches_every_subscriber_of_the_floor() {
    let (port, stop) = floor_server().await;
    let outcome = fanout::run(&ctx(port, "floor"), &small_fanout()).await.unwrap();
    assert_eq!(headline(&outcome, "deliveries missing"), 0.0);
    stop.cancel();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_trigger_and_churn_run_against_the_real_server() {
    let (port, stop) = realtime_server().await;
    let ctx = ctx(port, "paybell");
    let params = idle::Idle { connections: 20, channels: 0, settle_secs: 0, hold_secs: 0 };
    let outcome = idle::run(&ctx, &params).await.unwrap();
    assert_eq!(headline(&outcome, "connections held"), 20.0);
    let params = trigger::Trigger { concurrency: 2, secs: 0.3, channel: "lg-trigger".into() };
    let outcome = trigger::run(&ctx, &params).await.unwrap();
    assert!(headline(&outcome, "signed triggers/s") > 0.0);
    assert_eq!(headline(&outcome, "failed triggers"), 0.0);
    let params = churn::Churn {
        base: 5,
        rate: 20.0,
        secs: 0.5,
        cycles: 2,
        min_life_ms: 50,
        max_life_ms: 100,
        events_per_sec: 20.0,
        settle_secs: 0,
        groups: 2,
    };
    let outcome = churn::run(&ctx, &params).await.unwrap();
    assert_eq!(headline(&outcome, "churn errors"), 0.0, "{}", outcome.render());
    assert!(headline(&outcome, "joins completed") > 0.0);
    stop.cancel();
}

#[tokio::test]
async fn a_wrong_secret_is_reported_not_hidden() {
    let (port, stop) = realtime_server().await;
    let mut ctx = ctx(port, "paybell");
    let mut target = (*ctx.target).clone();
    target.secret = "wrong".into();
    ctx.target = Arc::new(target);
    let error = fanout::run(&ctx, &small_fanout()).await.unwrap_err();
    assert!(error.to_string().contains("401"), "{error}");
    stop.cancel();
}
