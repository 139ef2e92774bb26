//! The recommended set-up for several nodes: two `paybell serve` processes, each with its
//! built-in realtime server, sharing one PostgreSQL database and one Redis (no `PUSHER_*`
//! settings). A subscriber on either node's realtime port receives every event of every
//! invoice changed through either node's REST API once, each invoice's in order. Needs
//! PostgreSQL at `PAYBELL_TEST_POSTGRES_URL` (see `nodes.rs`) and Redis at
//! `PAYBELL_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`); the test works in a database
//! and a Redis key prefix of its own.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use pusher_client::Connection;
use pusher_protocol::sign;
use serde_json::{Value, json};

use crate::helpers::{Process, WAIT, paybell, serve};
use crate::nodes::{TestDb, copy, login};
use crate::remote::{Api, invoice, next_event};

const APP: (&str, &str, &str) = ("cluster-serve-app", "cluster-serve-key", "cluster-serve-secret");

pub(crate) fn shared_redis() -> String {
    std::env::var("PAYBELL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A node: its process, web API (logged in as the owner) and realtime port.
struct Node {
    process: Process,
    api: Api,
    realtime: u16,
}

async fn logged_in(process: Process) -> (Node, Value) {
    let web = process.port("paybell web listening on http://127.0.0.1:").await;
    let realtime = process.port("paybell realtime listening on 127.0.0.1:").await;
    let (api, me) = login(web).await;
    (Node { process, api, realtime }, me)
}

async fn connect(node: &Node) -> Connection {
    let url =
        format!("ws://127.0.0.1:{}/app/{}?protocol=7&client=test&version=1", node.realtime, APP.1);
    Connection::connect(&url).await.expect("connect")
}

/// Subscribes with a signature from the node's own `POST /pusher/auth` (the owner's session).
async fn subscribe_via_backend(node: &Node, channel: &str) -> Connection {
    let mut connection = connect(node).await;
    let socket_id = connection.socket_id().to_string();
    let form = [("socket_id", socket_id.as_str()), ("channel_name", channel)];
    let response =
        node.api.client.post(format!("{}/pusher/auth", node.api.base)).form(&form).send().await;
    let response = response.unwrap();
    assert!(response.status().is_success(), "/pusher/auth: {}", response.status());
    let auth: Value = response.json().await.unwrap();
    subscribed(connection.subscribe(channel, auth["auth"].as_str(), None).await, &mut connection)
        .await;
    connection
}

/// Subscribes with a signature made from the app secret, as any backend of the app could.
async fn subscribe_signed(node: &Node, channel: &str) -> Connection {
    let mut connection = connect(node).await;
    let auth = sign::channel_auth(APP.1, APP.2, &connection.socket_id().to_string(), channel, None);
    subscribed(connection.subscribe(channel, Some(&auth), None).await, &mut connection).await;
    connection
}

async fn subscribed(sent: Result<(), pusher_client::WsError>, connection: &mut Connection) {
    sent.expect("subscribe");
    let reply = connection.next_frame(WAIT).await.expect("a reply to the subscription");
    assert_eq!(reply.event, "pusher_internal:subscription_succeeded", "{reply:?}");
}

/// Created, sent and paid in two parts, all through `api`; returns the invoice id.
async fn invoice_life(api: Api) -> String {
    let id = api.post("/api/invoices", &invoice()).await["id"].as_str().unwrap().to_owned();
    api.post(&format!("/api/invoices/{id}/send"), &json!({})).await;
    let payments = format!("/api/invoices/{id}/payments");
    api.post(&payments, &json!({"amount": 400, "method": "cash"})).await;
    api.post(&payments, &json!({"amount": 600, "method": "cash"})).await;
    id
}

/// `(event, type)` of one invoice's life on its owner's channel.
pub(crate) fn life() -> Vec<(String, String)> {
    [
        ("invoice.created", "invoice_created"),
        ("invoice.updated", "invoice_sent"),
        ("payment.received", "payment_received"),
        ("payment.received", "invoice_completed"),
    ]
    .into_iter()
    .map(|(e, t)| (e.to_owned(), t.to_owned()))
    .collect()
}

/// What one subscriber received: `(event, type)` and event ids per invoice, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct Received {
    pub(crate) events: HashMap<String, Vec<(String, String)>>,
    pub(crate) ids: HashMap<String, Vec<String>>,
}

/// Reads `count` application events (bounded), failing on any event id seen twice, then
/// checks that nothing else arrives.
pub(crate) async fn receive(connection: &mut Connection, count: usize, who: &str) -> Received {
    let mut seen = HashSet::new();
    let mut received = Received::default();
    while seen.len() < count {
        let (event, payload) = next_event(connection).await;
        let event_id = payload["eventId"].as_str().unwrap().to_owned();
        assert!(seen.insert(event_id.clone()), "{who} received twice: {payload}");
        let invoice = payload["invoiceId"].as_str().unwrap().to_owned();
        let kind = payload["type"].as_str().unwrap().to_owned();
        received.events.entry(invoice.clone()).or_default().push((event, kind));
        received.ids.entry(invoice).or_default().push(event_id);
    }
    let extra = tokio::time::timeout(Duration::from_millis(500), next_event(connection)).await;
    assert!(extra.is_err(), "{who}: no more events: {extra:?}");
    received
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_nodes_on_one_postgres_and_one_redis_deliver_each_event_once_everywhere() {
    let db = TestDb::create().await;
    let (redis, prefix) = (shared_redis(), format!("paybell-serve-{:016x}", rand::random::<u64>()));
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("REDIS_URL", redis.as_str()),
        ("PAYBELL_REDIS_PREFIX", prefix.as_str()),
        ("PAYBELL_APP_ID", APP.0),
        ("PAYBELL_APP_KEY", APP.1),
        ("PAYBELL_APP_SECRET", APP.2),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // Both start on the empty database at once, so both migrate at once.
    let (a, b) = (serve(dir_a.path(), &[], &env), serve(dir_b.path(), &[], &env));
    for process in [&a, &b] {
        process.port("paybell web listening on http://127.0.0.1:").await;
    }
    let args = ["user", "add", "--email", "owner@example.com", "--password", "long password"];
    let added = paybell(&args, &env).output().await.unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let ((a, me), (b, _)) = (logged_in(a).await, logged_in(b).await);
    let config = b.api.client.get(format!("{}/api/config", b.api.base)).send().await.unwrap();
    let config: Value = config.json().await.unwrap();
    assert_eq!(config["privateChannels"], true, "{config}");
    assert_eq!(config["pusher"]["key"], APP.1, "{config}");
    assert_eq!(config["pusher"]["wsPort"], b.realtime, "each node points browsers at itself");

    let channel = format!("private-user.{}.invoices", me["user"]["id"].as_str().unwrap());
    let mut on_b = subscribe_via_backend(&b, &channel).await;
    let mut on_a = subscribe_signed(&a, &channel).await;

    // Half the invoices live entirely on node A's API, half on node B's.
    const INVOICES: usize = 6;
    let mut lives = tokio::task::JoinSet::new();
    for i in 0..INVOICES {
        let node = if i % 2 == 0 { &a } else { &b };
        lives.spawn(invoice_life(copy(&node.api)));
    }
    let mut ids = HashSet::new();
    while let Some(life) = lives.join_next().await {
        ids.insert(life.unwrap());
    }

    let mut written: HashMap<String, Vec<String>> = HashMap::new();
    for (invoice, event_id) in db.rows(&channel).await {
        written.entry(invoice).or_default().push(event_id);
    }
    for (who, connection) in
        [("node A's subscriber", &mut on_a), ("node B's subscriber", &mut on_b)]
    {
        let received = receive(connection, INVOICES * 4, who).await;
        assert_eq!(received.events.len(), INVOICES, "{who}: {received:#?}");
        assert!(received.events.keys().all(|id| ids.contains(id)), "{who}: {received:#?}");
        for (invoice, events) in &received.events {
            assert_eq!(*events, life(), "{who}: invoice {invoice} in order");
        }
        assert_eq!(received.ids, written, "{who}: each row once, in outbox order per invoice");
    }

    assert!(a.process.terminate().await);
    assert!(b.process.terminate().await);
}
