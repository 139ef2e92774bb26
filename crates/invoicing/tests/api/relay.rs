//! The relay publishing to a remote server in batches: a batch the server refuses because of
//! one bad event is published event by event, and only that event is set aside.

use std::sync::Arc;

use invoicing::Store;
use invoicing::domain::events::outbox_events;
use invoicing::domain::{Action, Change, Invoice, Timestamp};
use invoicing::sink::PusherSink;
use pusher_client::{Connection, Endpoint, PusherClient, Secret, Target};
use serde_json::Value;
use sqlx::Connection as _;

use crate::helpers::{Db, Node, Options, TestDb, TestRealtime, WAIT, create_user, on_both};
use crate::store::{CHANNELS, content};

on_both!(a_refused_batch_sets_aside_only_the_bad_event);

async fn subscribe(port: u16, channels: &[String]) -> Connection {
    let url = format!("ws://127.0.0.1:{port}/app/app-key?protocol=7&client=test&version=1");
    let mut connection = Connection::connect(&url).await.unwrap();
    for channel in channels {
        connection.subscribe(channel, None, None).await.unwrap();
        connection.expect_event("pusher_internal:subscription_succeeded", WAIT).await.unwrap();
    }
    connection
}

/// Writes an event no server accepts (an invalid channel name) straight into the outbox.
async fn insert_bad_row(url: &str, invoice_id: &str) {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    sqlx::query(
        "INSERT INTO outbox (event_id, invoice_id, channel, event, payload, created_at) \
         VALUES ('bad', $1, 'no spaces allowed', 'invoice.updated', '{}', 0)",
    )
    .bind(invoice_id)
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
}

async fn a_refused_batch_sets_aside_only_the_bad_event(db: Db) {
    // Everything is written before the node (and its relay) starts, so one claim takes it all.
    let db = Arc::new(TestDb::new(db).await);
    let store = Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let user = create_user(&store, "owner@example.com", "Acme Ltd").await;
    let now = Timestamp::now();
    let created = |i: &Invoice| outbox_events(Change::Created, i, CHANNELS, now);
    let x = store.create_invoice(&user.id, content("2099-01-01"), now, created).await.unwrap();
    insert_bad_row(&db.url, x.id.as_str()).await;
    store
        .update_invoice(
            &x.id,
            None,
            |i| i.transition(Action::Send, now),
            |i, _| outbox_events(Change::StatusChanged, i, CHANNELS, now),
        )
        .await
        .unwrap();
    store.create_invoice(&user.id, content("2099-01-01"), now, created).await.unwrap();
    store.close().await;

    let realtime = TestRealtime::spawn().await;
    let channels = [format!("invoice.{}", x.id), format!("user.{}.invoices", user.id)];
    let mut listener = subscribe(realtime.port, &channels).await;
    let target = Target::new("app-id", "app-key", Secret::new("app-secret"))
        .unwrap()
        .with_endpoint(Endpoint::host("127.0.0.1", realtime.port, false).unwrap());
    let publisher = Arc::new(PusherSink::new(PusherClient::new(target).unwrap()));
    let node = Node { db, realtime, publisher, options: Options::default(), user: Some(user) };
    let app = crate::helpers::spawn_node(node).await;
    app.relayed().await;

    let written = app.store.all_events().await.unwrap();
    let (bad, good): (Vec<_>, Vec<_>) = written.into_iter().partition(|e| e.event_id == "bad");
    assert_eq!(bad[0].attempts, 1, "refused once, then set aside");
    let mut received = Vec::new();
    while received.len() < good.len() {
        let frame = listener.next_frame(WAIT).await.unwrap();
        if !frame.event.starts_with("pusher") {
            let data: Value = serde_json::from_str(&frame.data_text()).unwrap();
            received.push(data["eventId"].as_str().unwrap().to_owned());
        }
    }
    let expected: Vec<String> = good.into_iter().map(|e| e.event_id).collect();
    assert_eq!(received, expected, "the others once each, in order");
}
