//! Outbox claims, part of the store's conformance suite: what one relay holds no other takes,
//! an invoice's rows wait for its earlier ones, expired and released claims are taken over.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use invoicing::Store;
use invoicing::domain::events::outbox_events;
use invoicing::domain::{Action, Change, InvoiceId, Timestamp};
use invoicing::store::Backend;
use sqlx::migrate::Migrator;

use crate::helpers::{Db, TestDb, create_user, on_both};
use crate::store::{CHANNELS, content, store};

on_both!(
    a_claim_takes_whole_invoices_no_one_else_holds,
    an_invoice_waits_for_its_earlier_rows,
    an_expired_claim_is_taken_over,
    released_rows_are_claimed_again,
    racing_claimers_publish_each_row_once_in_invoice_order,
    rows_written_before_claims_existed_are_keyed_by_their_invoice,
);

const LEASE: Duration = Duration::from_secs(30);
const NONE: [i64; 0] = [];

/// A second handle on the same database, as another node would have. SQLite is one
/// process's file: there the "other node" shares the handle, as two relays in one process.
pub(crate) async fn second_handle(first: &Store, db: &TestDb) -> Store {
    match first.backend() {
        Backend::Sqlite => first.clone(),
        Backend::Postgres => Store::connect(&db.url).await.unwrap(),
    }
}

/// A new invoice, created (one row) and sent (two rows).
pub(crate) async fn sent_invoice(store: &Store) -> InvoiceId {
    let user = match store.user_with_password(&email()).await.unwrap() {
        Some((user, _)) => user,
        None => create_user(store, "a@example.com", "A").await,
    };
    let now = Timestamp::now();
    let invoice = store
        .create_invoice(&user.id, content("2099-01-01"), now, |i| {
            outbox_events(Change::Created, i, CHANNELS, now)
        })
        .await
        .unwrap();
    store
        .update_invoice(
            &invoice.id,
            None,
            |i| i.transition(Action::Send, now),
            |i, _| outbox_events(Change::StatusChanged, i, CHANNELS, now),
        )
        .await
        .unwrap();
    invoice.id
}

fn email() -> invoicing::domain::Email {
    invoicing::domain::Email::parse("a@example.com").unwrap()
}

/// An edit: two more rows for `id`.
async fn edit(store: &Store, id: &InvoiceId) {
    let now = Timestamp::now();
    store
        .update_invoice(
            id,
            None,
            |_| Ok(()),
            |i, _| outbox_events(Change::Edited, i, CHANNELS, now),
        )
        .await
        .unwrap();
}

fn seqs(events: &[invoicing::store::PendingEvent]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

async fn claim(store: &Store, claimer: &str, at: Timestamp, invoices: i64) -> Vec<i64> {
    seqs(&store.claim_events(claimer, at, LEASE, invoices).await.unwrap())
}

async fn a_claim_takes_whole_invoices_no_one_else_holds(db: Db) {
    let (a, db) = store(db).await;
    let b = second_handle(&a, &db).await;
    let x = sent_invoice(&a).await;
    let y = sent_invoice(&a).await;
    let now = Timestamp::now();
    let claimed = a.claim_events("a", now, LEASE, 1).await.unwrap();
    assert_eq!(seqs(&claimed), [1, 2, 3], "all of the oldest invoice");
    assert!(claimed.iter().all(|e| e.invoice_id == x.as_str()));
    let other = b.claim_events("b", now, LEASE, 10).await.unwrap();
    assert_eq!(seqs(&other), [4, 5, 6]);
    assert!(other.iter().all(|e| e.invoice_id == y.as_str()));
    assert_eq!(claim(&a, "a", now, 10).await, NONE, "a claim is not taken twice");
    assert_eq!(claim(&b, "c", now, 10).await, NONE);
    assert_eq!(a.pending_events(10).await.unwrap().len(), 6, "claimed rows are still pending");
}

async fn an_invoice_waits_for_its_earlier_rows(db: Db) {
    let (a, db) = store(db).await;
    let b = second_handle(&a, &db).await;
    let x = sent_invoice(&a).await;
    let now = Timestamp::now();
    assert_eq!(claim(&a, "a", now, 10).await, [1, 2, 3]);
    edit(&b, &x).await;
    assert_eq!(claim(&b, "b", now, 10).await, NONE, "rows 4 and 5 wait for 1 to 3");
    a.mark_sent(1, now).await.unwrap();
    assert_eq!(claim(&b, "b", now, 10).await, NONE, "2 and 3 are still a's");
    a.mark_sent(2, now).await.unwrap();
    a.mark_failed(3, "refused", now).await.unwrap();
    assert_eq!(claim(&b, "b", now, 10).await, [4, 5], "sent and failed rows block nothing");
    edit(&a, &x).await;
    assert_eq!(claim(&a, "a", now, 10).await, NONE, "6 and 7 wait for b");
    b.mark_sent(4, now).await.unwrap();
    b.mark_sent(5, now).await.unwrap();
    assert_eq!(claim(&a, "a", now, 10).await, [6, 7]);
}

async fn an_expired_claim_is_taken_over(db: Db) {
    let (a, db) = store(db).await;
    let b = second_handle(&a, &db).await;
    sent_invoice(&a).await;
    let now = Timestamp::now();
    assert_eq!(claim(&a, "a", now, 10).await, [1, 2, 3]);
    let almost = now.plus(LEASE - Duration::from_millis(1));
    assert_eq!(claim(&b, "b", almost, 10).await, NONE, "the lease still holds");
    assert_eq!(claim(&b, "b", now.plus(LEASE), 10).await, [1, 2, 3], "a crashed; b takes over");
    a.release_claims("a").await.unwrap();
    let later = now.plus(LEASE + LEASE / 2);
    assert_eq!(claim(&a, "a2", later, 10).await, NONE, "a's release leaves b's claim alone");
}

async fn released_rows_are_claimed_again(db: Db) {
    let (a, db) = store(db).await;
    let b = second_handle(&a, &db).await;
    sent_invoice(&a).await;
    let now = Timestamp::now();
    assert_eq!(claim(&a, "a", now, 10).await, [1, 2, 3]);
    a.mark_sent(1, now).await.unwrap();
    a.mark_attempt_failed(2, "server down").await.unwrap();
    a.release_claims("a").await.unwrap();
    let claimed = b.claim_events("b", now, LEASE, 10).await.unwrap();
    assert_eq!(seqs(&claimed), [2, 3], "released rows are not lost, nor sent ones repeated");
    assert_eq!(claimed[0].attempts, 1);
    a.release_claims("a").await.unwrap();
    assert_eq!(claim(&a, "a", now, 10).await, NONE, "a release leaves others' claims alone");
}

/// Four claimers on two handles, each "publishing" (recording) what it claimed, then marking
/// it sent, while new rows keep arriving.
async fn racing_claimers_publish_each_row_once_in_invoice_order(db: Db) {
    let (a, db) = store(db).await;
    let b = second_handle(&a, &db).await;
    let mut invoices = Vec::new();
    for _ in 0..6 {
        invoices.push(sent_invoice(&a).await);
    }
    let published = Arc::new(Mutex::new(Vec::new()));
    let done = tokio_util::sync::CancellationToken::new();
    let mut claimers = Vec::new();
    for (n, handle) in [&a, &b, &a, &b].into_iter().enumerate() {
        let (store, published, done) = (handle.clone(), published.clone(), done.clone());
        claimers.push(tokio::spawn(async move {
            let name = format!("claimer-{n}");
            loop {
                let finishing = done.is_cancelled();
                let claimed = store.claim_events(&name, Timestamp::now(), LEASE, 2).await.unwrap();
                if claimed.is_empty() && finishing {
                    return;
                }
                for event in claimed {
                    published.lock().unwrap().push((event.invoice_id.clone(), event.seq));
                    tokio::task::yield_now().await;
                    store.mark_sent(event.seq, Timestamp::now()).await.unwrap();
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }));
    }
    for (n, id) in invoices.iter().cycle().take(12).enumerate() {
        edit(if n % 2 == 0 { &a } else { &b }, id).await;
    }
    done.cancel();
    for claimer in claimers {
        claimer.await.unwrap();
    }
    let published = published.lock().unwrap().clone();
    let written = a.all_events().await.unwrap();
    assert_eq!(written.len(), 6 * 3 + 12 * 2);
    let unique: HashSet<i64> = published.iter().map(|(_, seq)| *seq).collect();
    assert_eq!(unique.len(), published.len(), "no row published twice");
    assert_eq!(unique, written.iter().map(|e| e.seq).collect(), "every row published");
    let mut last: HashMap<&str, i64> = HashMap::new();
    for (invoice, seq) in &published {
        let previous = last.insert(invoice, *seq).unwrap_or(0);
        assert!(previous < *seq, "invoice {invoice}: {seq} after {previous}");
    }
    assert!(a.pending_events(1).await.unwrap().is_empty());
}

/// The claims migration on an outbox written by the first schema: each row gets the invoice id
/// of its payload (or, lacking one, its own event id, so it blocks nothing).
async fn rows_written_before_claims_existed_are_keyed_by_their_invoice(db: Db) {
    let db = TestDb::new(db).await;
    let store = Store::connect(&db.url).await.unwrap();
    let all = match store.backend() {
        Backend::Sqlite => &invoicing::store::sqlite::MIGRATOR,
        Backend::Postgres => &invoicing::store::postgres::MIGRATOR,
    };
    let first = all.iter().next().unwrap().clone();
    let first = Migrator { migrations: Cow::Owned(vec![first]), ..Migrator::DEFAULT };
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    first.run(&pool).await.unwrap();
    for (event_id, payload) in [("e1", r#"{"invoiceId":"inv-1"}"#), ("e2", "{}")] {
        sqlx::query(
            "INSERT INTO outbox (event_id, channel, event, payload, created_at) \
             VALUES ($1, 'c', 'e', $2, 0)",
        )
        .bind(event_id)
        .bind(payload)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
    store.migrate().await.unwrap();
    let keys: Vec<String> =
        store.all_events().await.unwrap().into_iter().map(|e| e.invoice_id).collect();
    assert_eq!(keys, ["inv-1", "e2"]);
    assert_eq!(claim(&store, "a", Timestamp::now(), 10).await, [1, 2]);
}
