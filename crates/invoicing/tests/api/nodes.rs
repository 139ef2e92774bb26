//! Several API nodes on one PostgreSQL database, each with its own outbox relay, publishing to
//! one realtime server: every event arrives once, each invoice's events in order, and a node
//! that cannot publish does not hold others up.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use invoicing::EventSink;
use invoicing::sink::PusherSink;
use pusher_client::{Connection, Endpoint, PusherClient, Secret, Target};
use serde_json::Value;

use crate::helpers::{Db, Node, Options, TestApp, TestDb, TestRealtime, WAIT, id_of, spawn_node};

async fn node(
    db: &Arc<TestDb>,
    realtime: &Arc<TestRealtime>,
    publisher: Arc<dyn EventSink>,
) -> TestApp {
    let options = Options::default();
    let (db, realtime) = (db.clone(), realtime.clone());
    spawn_node(Node { db, realtime, publisher, options, user: None }).await
}

async fn second_node(first: &TestApp, db: &Arc<TestDb>, realtime: &Arc<TestRealtime>) -> TestApp {
    let (db, realtime, publisher) = (db.clone(), realtime.clone(), realtime.publisher());
    let user = Some(first.user.clone());
    spawn_node(Node { db, realtime, publisher, options: Options::default(), user }).await
}

/// A publisher whose server is gone: every attempt fails as temporary.
async fn unreachable() -> Arc<dyn EventSink> {
    let port = {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap().port()
    };
    let target = Target::new("app-id", "app-key", Secret::new("app-secret"))
        .unwrap()
        .with_endpoint(Endpoint::host("127.0.0.1", port, false).unwrap());
    Arc::new(PusherSink::new(PusherClient::new(target).unwrap()))
}

/// Receives `count` events and checks them against the outbox rows of `channel`: each row
/// once, none twice, each invoice's rows in outbox order.
async fn expect_each_once_in_order(app: &TestApp, listener: &mut Connection, channel: &str) {
    app.relayed().await;
    let rows: Vec<_> = app
        .store
        .all_events()
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.channel == channel)
        .collect();
    let mut received: HashMap<String, Vec<String>> = HashMap::new();
    let mut seen = HashSet::new();
    while seen.len() < rows.len() {
        let frame = listener.next_frame(WAIT).await.expect("an event");
        if frame.event.starts_with("pusher") {
            continue;
        }
        let data: Value = serde_json::from_str(&frame.data_text()).unwrap();
        let event_id = data["eventId"].as_str().unwrap().to_owned();
        assert!(seen.insert(event_id.clone()), "published twice: {data}");
        let invoice = data["invoiceId"].as_str().unwrap().to_owned();
        received.entry(invoice).or_default().push(event_id);
    }
    let mut written: HashMap<String, Vec<String>> = HashMap::new();
    for row in rows {
        written.entry(row.invoice_id).or_default().push(row.event_id);
    }
    assert_eq!(received, written, "every event, in order per invoice");
    let extra = listener.next_frame(Duration::from_millis(500)).await;
    assert!(extra.is_err(), "nothing more: {extra:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_publish_every_event_once_in_invoice_order() {
    let db = Arc::new(TestDb::new(Db::Postgres).await);
    let realtime = TestRealtime::spawn().await;
    let a = node(&db, &realtime, realtime.publisher()).await;
    let b = second_node(&a, &db, &realtime).await;
    a.login().await;
    b.login().await;
    let channel = format!("private-user.{}.invoices", a.user.id);
    let mut listener = a.listen(std::slice::from_ref(&channel)).await;

    // Eight invoices at once, each step on the other node than the one before.
    let nodes = [&a, &b];
    let lives = (0..8).map(|i| async move {
        let (first, second) = (nodes[i % 2], nodes[(i + 1) % 2]);
        let id = id_of(&first.create_invoice().await);
        let sent = second.post_empty(&format!("/api/invoices/{id}/send")).await;
        assert!(sent.status.is_success(), "{:#}", sent.body);
        assert!(first.pay(&id, 1000).await.status.is_success());
        assert!(second.pay(&id, 4000).await.status.is_success());
    });
    futures_util::future::join_all(lives).await;
    assert_eq!(a.store.all_events().await.unwrap().len(), 8 * (1 + 2 + 3 + 3));
    expect_each_once_in_order(&a, &mut listener, &channel).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_cannot_publish_gives_its_claims_back() {
    let db = Arc::new(TestDb::new(Db::Postgres).await);
    let realtime = TestRealtime::spawn().await;
    let broken = node(&db, &realtime, unreachable().await).await;
    broken.login().await;
    let channel = format!("private-user.{}.invoices", broken.user.id);
    let mut listener = broken.listen(std::slice::from_ref(&channel)).await;
    for _ in 0..3 {
        broken.sent_invoice().await;
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while !broken.store.all_events().await.unwrap().iter().any(|e| e.attempts > 0) {
        assert!(tokio::time::Instant::now() < deadline, "the broken node never tried");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Far sooner than the 30 s lease: the broken node released what it held.
    let healthy = second_node(&broken, &db, &realtime).await;
    expect_each_once_in_order(&healthy, &mut listener, &channel).await;
    assert!(healthy.store.pending_events(1).await.unwrap().is_empty(), "none lost");
}
