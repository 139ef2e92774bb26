//! A `paybell serve` node killed with SIGKILL in the middle of a run of card payments (issue
//! #15): 60 invoices paid by 4 payers with `Idempotency-Key`s, the node killed after 25,
//! the payers retrying what failed with the same key on the node that serves next. Every
//! payment is recorded once, every event arrives, and the dead node's claimed outbox rows are
//! published without waiting for a long expiry: by the same node restarted on its data
//! directory (it takes its own claims back at start), or by another node already running
//! (once the dead node's short lease runs out). Needs PostgreSQL, as `nodes.rs`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pusher_client::Connection;
use serde_json::{Value, json};
use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

use crate::helpers::{Process, cookie_client, paybell, serve};
use crate::nodes::{TestDb, login};
use crate::remote::{invoice, realtime, subscribe};

const INVOICES: usize = 60;
const PAYERS: usize = 4;
const KILL_AFTER: usize = 25;
/// The target for the same node restarted.
const RESTART_BOUND: Duration = Duration::from_secs(5);
/// The design's bound for another node: one lease (6 s) plus one poll interval (2 s), plus
/// slack for a loaded machine; far below the 30 s the issue measured before.
const TAKEOVER_BOUND: Duration = Duration::from_secs(12);

/// Who carries on after the kill.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Successor {
    /// The same node, restarted on the same data directory.
    Restarted,
    /// A second node on another data directory, running from the start.
    OtherNode,
}

/// Events seen by the listener: `(arrival, event, payload)`.
type Log = Arc<Mutex<Vec<(Instant, String, Value)>>>;

/// Reads every application event until the connection has been quiet for a while.
async fn listen(mut connection: Connection, log: Log) {
    while let Ok(frame) = connection.next_frame(Duration::from_secs(60)).await {
        if frame.event.starts_with("pusher") {
            continue;
        }
        let Ok(payload) = serde_json::from_str::<Value>(&frame.data_text()) else { continue };
        log.lock().await.push((Instant::now(), frame.event.clone(), payload));
    }
}

/// Pays each invoice through the pay page's checkout on whichever node `base` names,
/// retrying with the same key until it is answered; returns when each was answered.
async fn pay(
    ids: Vec<String>,
    base: watch::Receiver<String>,
    paid: Arc<AtomicUsize>,
) -> Vec<(String, Instant)> {
    let client = cookie_client();
    let card = json!({"card": {"number": "4242 4242 4242 4242", "expiry": "12/40", "cvc": "123"}});
    let mut answered = Vec::new();
    for id in ids {
        let key = format!("crash-{id}");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(Instant::now() < deadline, "payment of {id} never answered");
            let url = format!("{}/api/pay/{id}/checkout", base.borrow().clone());
            let sent = client.post(url).header("Idempotency-Key", &key).json(&card).send().await;
            match sent {
                Ok(response) if response.status().is_success() => break,
                Ok(response) if response.status().is_server_error() => {}
                // The dead node's attempt with this key holds it until its time to live ends.
                Ok(response) if response.status() == 409 => {
                    let body = response.text().await.unwrap_or_default();
                    assert!(body.contains("idempotency_in_progress"), "{id}: 409 {body}");
                }
                Ok(response) => {
                    let status = response.status();
                    panic!("{id}: {status} {}", response.text().await.unwrap_or_default());
                }
                Err(_) => {} // the node is gone: retry on the next one
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        answered.push((id, Instant::now()));
        paid.fetch_add(1, Ordering::SeqCst);
    }
    answered
}

async fn kill(mut process: Process) {
    process.child.start_kill().unwrap();
    process.child.wait().await.unwrap();
}

async fn crash_run(successor: Successor) {
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
        ("PAYBELL_PRIVATE_CHANNELS", "false"),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = serve(dir_a.path(), &[], &env);
    let web = first.port("paybell web listening on http://127.0.0.1:").await;
    let other = (successor == Successor::OtherNode).then(|| serve(dir_b.path(), &[], &env));
    let args = ["user", "add", "--email", "owner@example.com", "--password", "long password"];
    let added = paybell(&args, &env).output().await.unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let (owner, me) = login(web).await;
    let channel = format!("user.{}.invoices", me["user"]["id"].as_str().unwrap());
    let log = Log::default();
    let listener = tokio::spawn(listen(subscribe(port, &channel).await, log.clone()));

    let mut ids = Vec::new();
    for _ in 0..INVOICES {
        let id = owner.post("/api/invoices", &invoice()).await["id"].as_str().unwrap().to_owned();
        owner.post(&format!("/api/invoices/{id}/send"), &json!({})).await;
        ids.push(id);
    }

    let (base_tx, base_rx) = watch::channel(owner.base.clone());
    let paid = Arc::new(AtomicUsize::new(0));
    let mut payers = tokio::task::JoinSet::new();
    for p in 0..PAYERS {
        let mine = ids.iter().skip(p).step_by(PAYERS).cloned().collect();
        payers.spawn(pay(mine, base_rx.clone(), paid.clone()));
    }
    while paid.load(Ordering::SeqCst) < KILL_AFTER {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    kill(first).await;
    let killed_at = Instant::now();
    let (next, bound) = match successor {
        Successor::Restarted => (serve(dir_a.path(), &[], &env), RESTART_BOUND),
        Successor::OtherNode => (other.unwrap(), TAKEOVER_BOUND),
    };
    let next_web = next.port("paybell web listening on http://127.0.0.1:").await;
    let resumed_at = Instant::now();
    base_tx.send(format!("http://127.0.0.1:{next_web}")).unwrap();
    let mut answered = HashMap::new();
    while let Some(done) = payers.join_next().await {
        answered.extend(done.unwrap());
    }

    // Every payment's event arrives (bounded), each once.
    let deadline = Instant::now() + Duration::from_secs(40);
    let payments = loop {
        let seen: Vec<_> = log
            .lock()
            .await
            .iter()
            .filter(|(_, event, _)| event == "payment.received")
            .map(|(at, _, payload)| (*at, payload.clone()))
            .collect();
        let invoices: std::collections::HashSet<_> =
            seen.iter().map(|(_, p)| p["invoiceId"].as_str().unwrap().to_owned()).collect();
        if invoices.len() == INVOICES {
            break seen;
        }
        assert!(Instant::now() < deadline, "{} of {INVOICES} payments heard", invoices.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut first_heard: HashMap<String, Instant> = HashMap::new();
    let mut by_event_id: HashMap<String, usize> = HashMap::new();
    for (at, payload) in &payments {
        assert_eq!(payload["type"], "invoice_completed", "{payload}");
        *by_event_id.entry(payload["eventId"].as_str().unwrap().to_owned()).or_default() += 1;
        first_heard.entry(payload["invoiceId"].as_str().unwrap().to_owned()).or_insert(*at);
    }
    // At least once by design; a repeat is possible only for a row published but not yet
    // marked sent at the kill, and its eventId lets clients drop it.
    let repeats: usize = by_event_id.values().map(|n| n - 1).sum();
    assert_eq!(by_event_id.len(), INVOICES, "one payment.received row per payment");

    // How late each event was: from its payment's answer, or from when the next node served
    // (for a payment answered by the dead node whose event it had not published yet).
    let late = |id: &String| {
        let start = answered[id].max(resumed_at);
        first_heard[id].saturating_duration_since(start)
    };
    let worst = ids.iter().map(late).max().unwrap();
    let last_after_resume =
        first_heard.values().max().unwrap().saturating_duration_since(resumed_at);
    let name = if successor == Successor::Restarted { "restarted node" } else { "other node" };
    println!(
        "{name}: worst event delay {worst:?} (serving again {:?} after the kill; last event \
         {last_after_resume:?} after that; {repeats} repeated)",
        resumed_at - killed_at
    );
    assert!(worst <= bound, "{name}: an event arrived {worst:?} late (bound {bound:?})");

    // Every payment recorded once, every invoice paid, and nothing left to publish.
    let count = |sql: &'static str| db.query_count(sql);
    assert_eq!(count("SELECT count(*) FROM payments").await, INVOICES as i64);
    assert_eq!(count("SELECT count(*) FROM invoices WHERE status = 'paid'").await, INVOICES as i64);
    let deadline = Instant::now() + Duration::from_secs(20);
    while count("SELECT count(*) FROM outbox WHERE sent_at IS NULL").await > 0 {
        assert!(Instant::now() < deadline, "outbox rows still pending");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    listener.abort();
    assert!(next.terminate().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_node_restarted_on_its_data_dir_publishes_its_claimed_events_at_once() {
    crash_run(Successor::Restarted).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_node_publishes_a_killed_nodes_claimed_events_within_its_lease() {
    crash_run(Successor::OtherNode).await;
}
