//! The store's conformance suite: the same behaviour from SQLite and PostgreSQL.

use invoicing::Store;
use invoicing::StoreError;
use invoicing::domain::events::outbox_events;
use invoicing::domain::invoice::parse_date;
use invoicing::domain::{
    Action, Change, ChannelNames, Currency, Customer, DomainError, Email, InvoiceContent,
    InvoiceStatus, LineItem, Timestamp, UserName,
};
use invoicing::store::{Cursor, LogRead};

use crate::helpers::{Db, TestDb, create_user, on_both};

on_both!(
    users_and_sessions,
    numbers_are_a_per_user_sequence,
    refused_changes_leave_no_trace,
    the_outbox_is_ordered_and_marked,
    overdue_candidates_are_past_due_and_unpaid,
    migrations_are_idempotent,
    each_channel_counts_its_events_from_one,
);

pub(crate) async fn store(db: Db) -> (Store, TestDb) {
    let test_db = TestDb::new(db).await;
    let store = Store::connect(&test_db.url).await.unwrap();
    store.migrate().await.unwrap();
    (store, test_db)
}

pub(crate) fn content(due: &str) -> InvoiceContent {
    InvoiceContent::new(
        Customer::parse("Ada", "ada@example.com").unwrap(),
        Currency::parse("EUR").unwrap(),
        parse_date(due).unwrap(),
        vec![LineItem::parse("items[0]", "Work", 2, 500).unwrap()],
        "",
    )
    .unwrap()
}

const IDLE: std::time::Duration = invoicing::store::Retention::DEFAULT_SESSION_IDLE;

pub(crate) const CHANNELS: ChannelNames = ChannelNames { private: false };

async fn users_and_sessions(db: Db) {
    let (store, _db) = store(db).await;
    let user = create_user(&store, "a@example.com", "A").await;
    let email = Email::parse("A@Example.com").unwrap();
    let name = UserName::parse("B").unwrap();
    let duplicate = store.create_user(&email, &name, "hash", Timestamp::now()).await;
    assert!(matches!(duplicate, Err(StoreError::EmailTaken)));
    let (found, hash) = store.user_with_password(&email).await.unwrap().unwrap();
    assert_eq!(found, user);
    assert!(hash.starts_with("$argon2id$"));
    assert_eq!(store.user(&user.id).await.unwrap(), Some(user.clone()));

    let now = Timestamp::now();
    store.create_session("live", &user.id, now, now.plus_seconds(60)).await.unwrap();
    store.create_session("old", &user.id, now, now.plus_seconds(-1)).await.unwrap();
    assert_eq!(store.session_user("live", now, IDLE).await.unwrap(), Some(user.clone()));
    assert_eq!(store.session_user("old", now, IDLE).await.unwrap(), None);
    assert_eq!(store.session_user("unknown", now, IDLE).await.unwrap(), None);
    store.delete_session("live", now).await.unwrap();
    assert_eq!(store.session_user("live", now, IDLE).await.unwrap(), None);
}

async fn numbers_are_a_per_user_sequence(db: Db) {
    let (store, _db) = store(db).await;
    let a = create_user(&store, "a@example.com", "A").await;
    let b = create_user(&store, "b@example.com", "B").await;
    let now = Timestamp::now();
    let mut numbers = Vec::new();
    for user in [&a, &a, &b, &a] {
        let invoice = store
            .create_invoice(&user.id, content("2099-01-01"), now, |_| Vec::new())
            .await
            .unwrap();
        numbers.push(invoice.number);
    }
    assert_eq!(numbers, [1, 2, 1, 3]);
    let listed = store.invoices_of(&a.id).await.unwrap();
    assert_eq!(listed.iter().map(|i| i.number).collect::<Vec<_>>(), [3, 2, 1]);
    let unknown = invoicing::domain::UserId::new();
    let missing = store.create_invoice(&unknown, content("2099-01-01"), now, |_| Vec::new()).await;
    assert!(matches!(missing, Err(StoreError::NotFound)));
}

async fn refused_changes_leave_no_trace(db: Db) {
    let (store, _db) = store(db).await;
    let user = create_user(&store, "a@example.com", "A").await;
    let now = Timestamp::now();
    let invoice = store
        .create_invoice(&user.id, content("2099-01-01"), now, |i| {
            outbox_events(Change::Created, i, CHANNELS, now)
        })
        .await
        .unwrap();
    let refused = store
        .update_invoice(
            &invoice.id,
            Some(&user.id),
            |i| i.transition(Action::MarkOverdue, now),
            |i, _| outbox_events(Change::StatusChanged, i, CHANNELS, now),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Rejected(DomainError::Illegal(_)))));
    let stranger = invoicing::domain::UserId::new();
    let not_theirs = store
        .update_invoice(
            &invoice.id,
            Some(&stranger),
            |i| i.transition(Action::Send, now),
            |_, _| Vec::new(),
        )
        .await;
    assert!(matches!(not_theirs, Err(StoreError::NotFound)));
    assert_eq!(store.invoice(&invoice.id).await.unwrap(), Some(invoice));
    assert_eq!(store.all_events().await.unwrap().len(), 1);
}

async fn the_outbox_is_ordered_and_marked(db: Db) {
    let (store, _db) = store(db).await;
    crate::claims::sent_invoice(&store).await;
    let now = Timestamp::now();
    let pending = store.pending_events(10).await.unwrap();
    let names: Vec<&str> = pending.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(names, ["invoice.created", "invoice.status.changed", "invoice.updated"]);
    assert!(pending.windows(2).all(|w| w[0].seq < w[1].seq));
    store.mark_attempt_failed(pending[0].seq, "down").await.unwrap();
    store.mark_sent(pending[0].seq, now).await.unwrap();
    store.mark_failed(pending[1].seq, "refused", now).await.unwrap();
    let left = store.pending_events(10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].event, "invoice.updated");
    assert_eq!(store.all_events().await.unwrap()[0].attempts, 1);
    assert_eq!(store.pending_events(0).await.unwrap().len(), 0);
}

async fn overdue_candidates_are_past_due_and_unpaid(db: Db) {
    let (store, _db) = store(db).await;
    let user = create_user(&store, "a@example.com", "A").await;
    let now = Timestamp::now();
    let mut ids = Vec::new();
    for due in ["2020-01-01", "2020-01-01", "2099-01-01"] {
        let invoice =
            store.create_invoice(&user.id, content(due), now, |_| Vec::new()).await.unwrap();
        ids.push(invoice.id);
    }
    for id in &ids[1..] {
        store
            .update_invoice(id, None, |i| i.transition(Action::Send, now), |_, _| Vec::new())
            .await
            .unwrap();
    }
    let today = parse_date("2026-06-01").unwrap();
    assert_eq!(store.overdue_candidates(today).await.unwrap(), [ids[1].clone()]);
    let moved = invoicing::scheduler::mark_overdue(&store, CHANNELS, now).await.unwrap();
    assert_eq!(moved, 1);
    let invoice = store.invoice(&ids[1]).await.unwrap().unwrap();
    assert_eq!(invoice.status, InvoiceStatus::Overdue);
    assert_eq!(invoicing::scheduler::mark_overdue(&store, CHANNELS, now).await.unwrap(), 0);
    assert_eq!(store.all_events().await.unwrap().len(), 2, "status changed on both channels");
}

async fn migrations_are_idempotent(db: Db) {
    let (store, _db) = store(db).await;
    store.migrate().await.unwrap();
    store.close().await;
}

async fn each_channel_counts_its_events_from_one(db: Db) {
    let (store, _db) = store(db).await;
    let id = crate::claims::sent_invoice(&store).await;
    let user = store.invoice(&id).await.unwrap().unwrap().user_id;
    let read = |channel: String, after: Cursor| {
        let store = store.clone();
        async move { store.channel_events(&channel, &after, 10).await.unwrap() }
    };
    let LogRead::Events { events, cursor, has_more } =
        read(CHANNELS.user(user.as_str()), Cursor::Position(0)).await
    else {
        panic!("gone")
    };
    assert_eq!(events.iter().map(|e| e.channel_seq).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(cursor, Cursor::Event(events[1].event_id.clone()));
    assert!(!has_more);
    let on_invoice = read(CHANNELS.invoice(id.as_str()), Cursor::Position(0)).await;
    let LogRead::Events { events, .. } = on_invoice else { panic!("gone") };
    assert_eq!(
        events.iter().map(|e| (e.channel_seq, e.event.as_str())).collect::<Vec<_>>(),
        [(1, "invoice.status.changed")]
    );
    let unknown = read(CHANNELS.user(user.as_str()), Cursor::Event("nope".to_owned())).await;
    assert_eq!(unknown, LogRead::Gone);
    assert_eq!(read("user.nobody.invoices".to_owned(), Cursor::Position(1)).await, LogRead::Gone);
}

/// Writers on several invoices of one owner commit concurrently, each taking the next
/// position of the owner's channel; a reader following the cursor all along must end with
/// every event exactly once, in order: no row committed late was passed over.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_reader_never_skips_a_late_commit_postgres() {
    const WRITERS: usize = 6;
    const EDITS: usize = 25;
    let (store, _db) = store(Db::Postgres).await;
    let user = create_user(&store, "a@example.com", "A").await;
    let channel = CHANNELS.user(user.id.as_str());
    let now = Timestamp::now();
    let mut invoices = Vec::new();
    for _ in 0..WRITERS {
        let invoice = store
            .create_invoice(&user.id, content("2099-01-01"), now, |_| Vec::new())
            .await
            .unwrap();
        invoices.push(invoice.id);
    }
    let writers: Vec<_> = invoices
        .into_iter()
        .map(|id| {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..EDITS {
                    store
                        .update_invoice(
                            &id,
                            None,
                            |_| Ok(()),
                            |i, _| outbox_events(Change::Edited, i, CHANNELS, now),
                        )
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    let mut seen = Vec::new();
    let mut cursor = Cursor::Position(0);
    let mut reads = 0;
    loop {
        let done = writers.iter().all(tokio::task::JoinHandle::is_finished);
        let LogRead::Events { events, cursor: next, has_more } =
            store.channel_events(&channel, &cursor, 7).await.unwrap()
        else {
            panic!("a live cursor read as gone after {} events", seen.len())
        };
        reads += 1;
        seen.extend(events.into_iter().map(|e| e.channel_seq));
        cursor = next;
        if done && !has_more {
            break;
        }
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let expected: Vec<i64> = (1..=i64::try_from(WRITERS * EDITS).unwrap()).collect();
    assert_eq!(seen, expected, "after {reads} reads");
    assert!(reads > 3, "the reader ran alongside the writers ({reads} reads)");
}
