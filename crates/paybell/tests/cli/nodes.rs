//! Two `paybell serve` nodes on one PostgreSQL database, both publishing to one separate
//! `paybell realtime`: every outbox event arrives exactly once, each invoice's in order
//! (issue #7). Needs PostgreSQL at `PAYBELL_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`); the test works in a database of its own.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::Connection as _;
use tokio::time::Instant;

use crate::cluster_serve::{Received, life, receive};
use crate::helpers::{WAIT, cookie_client, paybell, serve};
use crate::remote::{Api, invoice, realtime, subscribe};

/// A fresh PostgreSQL database, dropped on drop.
pub(crate) struct TestDb {
    pub(crate) url: String,
    name: String,
}

fn admin_url() -> String {
    std::env::var("PAYBELL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

impl TestDb {
    pub(crate) async fn create() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("paybell_nodes_{}_{nanos}", std::process::id());
        let admin = admin_url();
        let mut conn = sqlx::PgConnection::connect(&admin).await.expect("PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        Self { url: format!("{base}/{name}"), name }
    }

    pub(crate) async fn query_count(&self, sql: &str) -> i64 {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    }

    /// `(invoice id, event id)` of the rows written for `channel`, in outbox order.
    pub(crate) async fn rows(&self, channel: &str) -> Vec<(String, String)> {
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query_as("SELECT invoice_id, event_id FROM outbox WHERE channel = $1 ORDER BY seq")
            .bind(channel)
            .fetch_all(&mut conn)
            .await
            .unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin, name) = (admin_url(), self.name.clone());
        // Drop runs inside the test's runtime: clean up on a thread of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&admin).await?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(&sql).execute(&mut conn).await?;
                Ok::<_, sqlx::Error>(())
            })?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

pub(crate) fn copy(api: &Api) -> Api {
    Api { base: api.base.clone(), client: api.client.clone() }
}

/// Logs `owner@example.com` in on the node whose web port is `port`.
pub(crate) async fn login(port: u16) -> (Api, Value) {
    let api = Api { base: format!("http://127.0.0.1:{port}"), client: cookie_client() };
    let body = json!({"email": "owner@example.com", "password": "long password"});
    let me = api.post("/api/auth/login", &body).await;
    (api, me)
}

/// Created on one node, sent on the other, paid in two parts on both.
async fn invoice_life(first: Api, second: Api) {
    let id = first.post("/api/invoices", &invoice()).await["id"].as_str().unwrap().to_owned();
    second.post(&format!("/api/invoices/{id}/send"), &json!({})).await;
    let payments = format!("/api/invoices/{id}/payments");
    first.post(&payments, &json!({"amount": 400, "method": "cash"})).await;
    second.post(&payments, &json!({"amount": 600, "method": "cash"})).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_serve_nodes_on_one_postgres_publish_each_event_once() {
    let db = TestDb::create().await;
    let (_realtime, port) = realtime("127.0.0.1:0").await;
    let port_text = port.to_string();
    let env = [
        ("DATABASE_URL", db.url.as_str()),
        ("PUSHER_APP_ID", "remote-app"),
        ("PUSHER_KEY", "remote-key"),
        ("PUSHER_SECRET", "remote-secret"),
        ("PUSHER_HOST", "127.0.0.1"),
        ("PUSHER_PORT", port_text.as_str()),
    ];
    // Both start on the empty database at once, so both migrate at once.
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (node_a, node_b) = (serve(dir_a.path(), &[], &env), serve(dir_b.path(), &[], &env));
    let port_a = node_a.port("paybell web listening on http://127.0.0.1:").await;
    let port_b = node_b.port("paybell web listening on http://127.0.0.1:").await;
    let args = ["user", "add", "--email", "owner@example.com", "--password", "long password"];
    let added = paybell(&args, &env).output().await.unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let ((a, me), (b, _)) = (login(port_a).await, login(port_b).await);
    let channel = format!("private-user.{}.invoices", me["user"]["id"].as_str().unwrap());
    let mut listener = subscribe(port, &channel).await;

    const INVOICES: usize = 6;
    let mut lives = tokio::task::JoinSet::new();
    for i in 0..INVOICES {
        let (first, second) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        lives.spawn(invoice_life(copy(first), copy(second)));
    }
    while let Some(life) = lives.join_next().await {
        life.unwrap();
    }

    let Received { events: received, ids } = receive(&mut listener, INVOICES * 4, "listener").await;
    assert_eq!(received.len(), INVOICES);
    assert!(received.values().all(|events| *events == life()), "{received:#?}");
    let mut written: HashMap<String, Vec<String>> = HashMap::new();
    for (invoice, event_id) in db.rows(&channel).await {
        written.entry(invoice).or_default().push(event_id);
    }
    assert_eq!(ids, written, "each row once, in outbox order per invoice");

    // Every row of every channel ends up sent.
    let deadline = Instant::now() + WAIT;
    let pending = "SELECT count(*) FROM outbox WHERE sent_at IS NULL";
    while db.query_count(pending).await > 0 {
        assert!(Instant::now() < deadline, "rows still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(db.query_count("SELECT count(*) FROM outbox").await, (INVOICES * 9) as i64);
    assert!(node_a.terminate().await);
    assert!(node_b.terminate().await);
}
