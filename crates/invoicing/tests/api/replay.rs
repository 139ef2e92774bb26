//! The event log over HTTP: `GET /api/events` (owner) and `GET /api/pay/{id}/events` (payer).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, TestApp, create_user, id_of, on_both, spawn_app};

on_both!(
    the_owner_reads_what_was_missed,
    pages_of_events_follow_the_cursor,
    bad_parameters_are_400_and_old_cursors_410,
    owners_read_only_their_own_channel,
    the_payment_page_reads_its_invoice_channel,
    a_purged_gap_is_gone,
);

fn events_of(answer: &Value) -> Vec<(String, String)> {
    answer["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_owned(),
                e["data"]["type"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn cursor(answer: &Value) -> String {
    answer["cursor"].as_str().unwrap().to_owned()
}

async fn the_owner_reads_what_was_missed(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let start = app.get("/api/events").await;
    assert_eq!(start.status, 200, "{:#}", start.body);
    assert_eq!(start.body, json!({"events": [], "cursor": "0", "hasMore": false}));

    let id = id_of(&app.sent_invoice().await);
    assert_eq!(app.pay(&id, 1000).await.status, 201);
    let missed = app.get("/api/events?after=0").await;
    assert_eq!(missed.status, 200, "{:#}", missed.body);
    assert_eq!(
        events_of(&missed.body),
        [
            ("invoice.created".to_owned(), "invoice_created".to_owned()),
            ("invoice.updated".to_owned(), "invoice_sent".to_owned()),
            ("payment.received".to_owned(), "payment_received".to_owned()),
        ]
    );
    assert_eq!(missed.body["hasMore"], false);
    // Each event as published: the outbox row's payload, byte for byte the same JSON.
    let outbox = app.store.all_events().await.unwrap();
    let user_rows: Vec<_> = outbox.iter().filter(|e| e.channel.contains("user.")).collect();
    for (row, event) in user_rows.iter().zip(missed.body["events"].as_array().unwrap()) {
        assert_eq!(event["channel"], row.channel.as_str());
        assert_eq!(event["eventId"], row.event_id.as_str());
        assert_eq!(event["data"], serde_json::from_str::<Value>(&row.payload).unwrap());
        assert_eq!(event["data"]["eventId"], row.event_id.as_str());
    }
    let last = cursor(&missed.body);
    assert_eq!(last, user_rows[2].event_id);

    // Nothing new: no events, the same cursor; "now" is the newest event.
    let none = app.get(&format!("/api/events?after={last}")).await;
    assert_eq!(none.body, json!({"events": [], "cursor": last, "hasMore": false}));
    assert_eq!(cursor(&app.get("/api/events").await.body), last);
    assert_eq!(app.pay(&id, 500).await.status, 201);
    let next = app.get(&format!("/api/events?after={last}")).await;
    assert_eq!(events_of(&next.body).len(), 1);
    assert_eq!(next.body["events"][0]["data"]["invoiceId"], id.as_str());
}

async fn pages_of_events_follow_the_cursor(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    for _ in 0..3 {
        app.create_invoice().await;
    }
    let mut after = "0".to_owned();
    let mut seen = Vec::new();
    loop {
        let page = app.get(&format!("/api/events?after={after}&limit=2")).await;
        assert_eq!(page.status, 200, "{:#}", page.body);
        for event in page.body["events"].as_array().unwrap() {
            seen.push(event["eventId"].as_str().unwrap().to_owned());
        }
        after = cursor(&page.body);
        if page.body["hasMore"] == false {
            break;
        }
        assert_eq!(page.body["events"].as_array().unwrap().len(), 2);
    }
    let all: Vec<String> =
        app.store.all_events().await.unwrap().into_iter().map(|e| e.event_id).collect();
    assert_eq!(seen, all);
}

async fn bad_parameters_are_400_and_old_cursors_410(db: Db) {
    let app = spawn_app(db).await;
    let anonymous = app.get("/api/events").await;
    anonymous.assert_error(401, "unauthenticated", &[]);
    app.login().await;
    app.create_invoice().await;
    for query in ["after=x", "after=", "after=-1", "after=1e3", "limit=0", "limit=501", "limit=ten"]
    {
        app.get(&format!("/api/events?{query}")).await.assert_error(400, "bad_request", &[]);
    }
    assert_eq!(app.get("/api/events?limit=500&other=1").await.status, 200);
    let unknown = uuid::Uuid::new_v4();
    app.get(&format!("/api/events?after={unknown}")).await.assert_error(410, "cursor_gone", &[]);
    // A position beyond the channel's end was never handed out.
    app.get("/api/events?after=99").await.assert_error(410, "cursor_gone", &[]);
}

async fn owners_read_only_their_own_channel(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    app.sent_invoice().await;
    let a_events = app.get("/api/events?after=0").await;
    let a_cursor = cursor(&a_events.body);

    let b_user = create_user(&app.store, "b@example.com", "B").await;
    let b = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = json!({"email": b_user.email.as_str(), "password": PASSWORD});
    assert_eq!(
        app.request(&b, Method::POST, "/api/auth/login", Some(&login), &[]).await.status,
        200
    );
    let b_events = app.request(&b, Method::GET, "/api/events?after=0", None, &[]).await;
    assert_eq!(b_events.body, json!({"events": [], "cursor": "0", "hasMore": false}));
    // A's cursor is not a cursor of B's channel: nothing of A's comes back.
    let path = format!("/api/events?after={a_cursor}");
    app.request(&b, Method::GET, &path, None, &[]).await.assert_error(410, "cursor_gone", &[]);
}

async fn the_payment_page_reads_its_invoice_channel(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let get = |path: String| payer_get(&app, path);
    let now = get(format!("/api/pay/{id}/events")).await;
    assert_eq!(now.status, 200, "{:#}", now.body);
    assert_eq!(now.body["events"], json!([]));
    let from = cursor(&now.body);
    assert_eq!(app.pay(&id, 5000).await.status, 201);
    let missed = get(format!("/api/pay/{id}/events?after={from}")).await;
    assert_eq!(
        events_of(&missed.body),
        [
            ("payment.received".to_owned(), "invoice_completed".to_owned()),
            ("invoice.status.changed".to_owned(), "invoice_completed".to_owned()),
        ]
    );
    assert!(
        missed.body["events"][0]["channel"].as_str().unwrap().ends_with(&format!("invoice.{id}"))
    );
    let all = get(format!("/api/pay/{id}/events?after=0")).await;
    assert_eq!(events_of(&all.body).len(), 3, "sent, then the payment's two");

    let draft = id_of(&app.create_invoice().await);
    get(format!("/api/pay/{draft}/events")).await.assert_error(404, "not_found", &[]);
    let unknown = uuid::Uuid::new_v4();
    get(format!("/api/pay/{unknown}/events?after=0")).await.assert_error(404, "not_found", &[]);
    get(format!("/api/pay/{id}/events?limit=0")).await.assert_error(400, "bad_request", &[]);
    // Another invoice's cursor does not read this one.
    let other = id_of(&app.sent_invoice().await);
    let path = format!("/api/pay/{other}/events?after={from}");
    get(path).await.assert_error(410, "cursor_gone", &[]);
}

async fn payer_get(app: &TestApp, path: String) -> crate::helpers::Answer {
    app.request(&reqwest::Client::new(), Method::GET, &path, None, &[]).await
}

async fn a_purged_gap_is_gone(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let start = cursor(&app.get("/api/events").await.body);
    for _ in 0..3 {
        app.create_invoice().await;
    }
    let first = cursor(&app.get("/api/events?after=0&limit=1").await.body);
    // A purge of the oldest row: reading from before it would skip it.
    app.delete_event(&first).await;
    app.get(&format!("/api/events?after={start}")).await.assert_error(410, "cursor_gone", &[]);
    app.get(&format!("/api/events?after={first}")).await.assert_error(410, "cursor_gone", &[]);
    let kept = app.get("/api/events").await;
    let newest = cursor(&kept.body);
    assert_eq!(app.get(&format!("/api/events?after={newest}")).await.status, 200);
    // Everything purged: "now" is a position, and reading on from it works.
    for event in app.store.all_events().await.unwrap() {
        app.delete_event(&event.event_id).await;
    }
    let now = cursor(&app.get("/api/events").await.body);
    assert_eq!(now, "3");
    app.create_invoice().await;
    let after = app.get(&format!("/api/events?after={now}")).await;
    assert_eq!(events_of(&after.body).len(), 1);
}
