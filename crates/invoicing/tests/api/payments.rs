//! Payments recorded by the owner: partial, settling, refused, idempotent, concurrent; and
//! removed again as a correction.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    Db, EventRow, WAIT, create_user, event_row, id_of, on_both, rows_since, spawn_app,
};

on_both!(
    partial_then_settling_payment,
    bad_payments_are_refused,
    a_retried_payment_pays_once,
    concurrent_payments_cannot_overpay,
    a_manual_payment_is_removed_with_its_events,
    card_payments_and_void_invoices_keep_their_payments,
    only_the_owner_removes_a_payment,
);

async fn partial_then_settling_payment(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let first = app.pay(&id, 1200).await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    let payment = &first.body["payment"];
    assert_eq!(
        (payment["amount"].clone(), payment["method"].clone()),
        (json!(1200), json!("bank_transfer"))
    );
    assert_eq!(payment["reference"], "REF-1");
    assert!(payment["id"].as_str().is_some() && payment["createdAt"].as_str().is_some());
    let invoice = &first.body["invoice"];
    assert_eq!(invoice["status"], "partially_paid");
    assert_eq!(
        (invoice["amountPaid"].clone(), invoice["balanceDue"].clone()),
        (json!(1200), json!(3800))
    );
    let second = app.pay(&id, 3800).await;
    assert_eq!(second.body["invoice"]["status"], "paid");
    assert_eq!(second.body["invoice"]["balanceDue"], 0);
    let shown = app.get(&format!("/api/invoices/{id}")).await.body;
    assert_eq!(shown["payments"].as_array().unwrap().len(), 2);
    assert_eq!(shown["payments"][0]["amount"], 1200);
    app.pay(&id, 1).await.assert_error(409, "illegal_transition", &[]);
}

async fn bad_payments_are_refused(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let path = format!("/api/invoices/{id}/payments");
    for (body, field) in [
        (json!({"amount": 0, "method": "cash"}), "amount"),
        (json!({"amount": -100, "method": "cash"}), "amount"),
        (json!({"amount": 5001, "method": "cash"}), "amount"),
        (json!({"amount": i64::MAX, "method": "cash"}), "amount"),
        (json!({"amount": 1e30, "method": "cash"}), "amount"),
        (json!({"amount": 10.5, "method": "cash"}), "amount"),
        (json!({"method": "cash"}), "amount"),
        (json!({"amount": 100}), "method"),
        (json!({"amount": 100, "method": " "}), "method"),
    ] {
        app.post(&path, &body).await.assert_error(422, "validation_failed", &[field]);
    }
    let bad_key = app
        .request(
            &app.client,
            Method::POST,
            &path,
            Some(&json!({"amount": 1, "method": "cash"})),
            &[("idempotency-key", "")],
        )
        .await;
    bad_key.assert_error(422, "validation_failed", &["Idempotency-Key"]);
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 0);

    let draft = id_of(&app.create_invoice().await);
    app.pay(&draft, 100).await.assert_error(409, "illegal_transition", &[]);
    let void = id_of(&app.create_invoice().await);
    app.post_empty(&format!("/api/invoices/{void}/void")).await;
    app.pay(&void, 100).await.assert_error(409, "illegal_transition", &[]);
}

async fn a_retried_payment_pays_once(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let path = format!("/api/invoices/{id}/payments");
    let body = json!({"amount": 1000, "method": "cash"});
    let key = [("idempotency-key", "retry-1")];
    let first = app.request(&app.client, Method::POST, &path, Some(&body), &key).await;
    let again = app.request(&app.client, Method::POST, &path, Some(&body), &key).await;
    assert_eq!((first.status.as_u16(), again.status.as_u16()), (201, 201));
    assert_eq!(first.body["payment"], again.body["payment"]);
    assert_eq!(again.body["invoice"]["amountPaid"], 1000);
    let other = json!({"amount": 2000, "method": "cash"});
    app.request(&app.client, Method::POST, &path, Some(&other), &key).await.assert_error(
        422,
        "idempotency_key_reused",
        &[],
    );
    let shown = app.get(&format!("/api/invoices/{id}")).await.body;
    assert_eq!(shown["payments"].as_array().unwrap().len(), 1);
    assert_eq!(shown["amountPaid"], 1000);
    let events = app.store.all_events().await.unwrap();
    let received = events.iter().filter(|e| e.event == "payment.received").count();
    assert_eq!(received, 2, "one payment: one event per channel");
}

async fn concurrent_payments_cannot_overpay(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let requests = (0..4).map(|_| app.pay(&id, 3000));
    let answers = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    for answer in answers.iter().filter(|a| a.status != 201) {
        answer.assert_error(422, "validation_failed", &["amount"]);
    }
    let shown = app.get(&format!("/api/invoices/{id}")).await.body;
    assert_eq!(shown["amountPaid"], 3000);

    // The same key raced from several requests still pays once.
    let key = [("idempotency-key", "race")];
    let path = format!("/api/invoices/{id}/payments");
    let body = json!({"amount": 500, "method": "cash"});
    let raced = (0..4).map(|_| app.request(&app.client, Method::POST, &path, Some(&body), &key));
    let answers = futures_util::future::join_all(raced).await;
    assert!(answers.iter().all(|a| a.status == 201));
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 3500);
}

/// `(channel kind, event, type, status, amount)` of the outbox rows written since `from`.
fn removed(kind: &str, event: &str, status: &str, amount: i64) -> EventRow {
    event_row(kind, event, "payment_removed", status, amount)
}

async fn a_manual_payment_is_removed_with_its_events(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    app.pay(&id, 1200).await;
    let paid = app.pay(&id, 3800).await.body["invoice"].clone();
    assert_eq!(paid["status"], "paid");
    let payments = paid["payments"].as_array().unwrap().clone();
    assert!(payments.iter().all(|p| p["removable"] == true && p["source"] == "owner"), "{paid:#}");
    let (first, second) = (id_of(&payments[0]), id_of(&payments[1]));

    let before = app.store.all_events().await.unwrap().len();
    let path = |payment: &str| format!("/api/invoices/{id}/payments/{payment}");
    let answer = app.request(&app.client, Method::DELETE, &path(&second), None, &[]).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    let after = &answer.body;
    assert_eq!(
        (after["status"].clone(), after["amountPaid"].clone()),
        (json!("partially_paid"), json!(1200))
    );
    assert_eq!(after["balanceDue"], 3800);
    let listed: Vec<String> = after["payments"].as_array().unwrap().iter().map(id_of).collect();
    assert_eq!(listed, std::slice::from_ref(&first));
    assert_eq!(
        rows_since(&app, before).await,
        [
            removed("invoice", "invoice.updated", "partially_paid", 3800),
            removed("invoice", "invoice.status.changed", "partially_paid", 3800),
            removed("user", "invoice.updated", "partially_paid", 3800),
        ]
    );
    let body =
        serde_json::from_str::<Value>(&app.store.all_events().await.unwrap()[before].payload)
            .unwrap()["body"]
            .clone();
    assert_eq!(body, "A payment of 38.00 EUR was removed from Invoice #1");

    let again = app.request(&app.client, Method::DELETE, &path(&second), None, &[]).await;
    again.assert_error(404, "not_found", &[]);
    let before = app.store.all_events().await.unwrap().len();
    let last = app.request(&app.client, Method::DELETE, &path(&first), None, &[]).await;
    assert_eq!(
        (last.body["status"].clone(), last.body["amountPaid"].clone()),
        (json!("sent"), json!(0))
    );
    assert_eq!(
        rows_since(&app, before).await,
        [
            removed("invoice", "invoice.updated", "sent", 1200),
            removed("invoice", "invoice.status.changed", "sent", 1200),
            removed("user", "invoice.updated", "sent", 1200),
        ]
    );
    let shown = app.get(&format!("/api/invoices/{id}")).await.body;
    assert_eq!((shown["payments"].clone(), shown["status"].clone()), (json!([]), json!("sent")));
    // The balance is due again in full: it can be paid again.
    assert_eq!(app.pay(&id, 5000).await.body["invoice"]["status"], "paid");
}

async fn card_payments_and_void_invoices_keep_their_payments(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let card = json!({"amount": 1000, "card": {"number": "4242 4242 4242 4242", "expiry": "12/40", "cvc": "123"}});
    let paid = app
        .request(
            &reqwest::Client::new(),
            Method::POST,
            &format!("/api/pay/{id}/checkout"),
            Some(&card),
            &[],
        )
        .await;
    assert_eq!(paid.status, 201, "{:#}", paid.body);
    let shown = app.get(&format!("/api/invoices/{id}")).await.body;
    let payment = &shown["payments"][0];
    assert_eq!(
        (payment["source"].clone(), payment["removable"].clone()),
        (json!("provider"), json!(false))
    );
    let before = app.store.all_events().await.unwrap().len();
    let path = format!("/api/invoices/{id}/payments/{}", id_of(payment));
    let refused = app.request(&app.client, Method::DELETE, &path, None, &[]).await;
    refused.assert_error(409, "payment_not_removable", &[]);
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 1000);
    assert_eq!(app.store.all_events().await.unwrap().len(), before, "refusals write nothing");

    // An overdue invoice with a part payment, then voided: its payments stay.
    let past = {
        let mut body = crate::helpers::invoice_body();
        body["dueDate"] = json!("2020-01-31");
        body
    };
    let late = id_of(&app.post("/api/invoices", &past).await.body);
    app.post_empty(&format!("/api/invoices/{late}/send")).await;
    let payment = id_of(&app.pay(&late, 1000).await.body["payment"]);
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.get(&format!("/api/invoices/{late}")).await.body["status"] != "overdue" {
        assert!(tokio::time::Instant::now() < deadline, "not overdue");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.post_empty(&format!("/api/invoices/{late}/void")).await.body["status"], "void");
    let shown = app.get(&format!("/api/invoices/{late}")).await.body;
    assert_eq!(shown["payments"][0]["removable"], false);
    let before = app.store.all_events().await.unwrap().len();
    let path = format!("/api/invoices/{late}/payments/{payment}");
    let void = app.request(&app.client, Method::DELETE, &path, None, &[]).await;
    void.assert_error(409, "illegal_transition", &[]);
    assert_eq!(app.store.all_events().await.unwrap().len(), before);
    assert_eq!(app.get(&format!("/api/invoices/{late}")).await.body["amountPaid"], 1000);
}

async fn only_the_owner_removes_a_payment(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let payment = id_of(&app.pay(&id, 1000).await.body["payment"]);
    create_user(&app.store, "other@example.com", "Other").await;
    let other = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = json!({"email": "other@example.com", "password": crate::helpers::PASSWORD});
    app.request(&other, Method::POST, "/api/auth/login", Some(&login), &[]).await;
    let path = format!("/api/invoices/{id}/payments/{payment}");
    app.request(&other, Method::DELETE, &path, None, &[]).await.assert_error(404, "not_found", &[]);
    let anonymous = reqwest::Client::new();
    app.request(&anonymous, Method::DELETE, &path, None, &[]).await.assert_error(
        401,
        "unauthenticated",
        &[],
    );
    for bad in [
        format!("/api/invoices/{id}/payments/1"),
        format!("/api/invoices/{id}/payments/{}", uuid::Uuid::new_v4()),
    ] {
        app.request(&app.client, Method::DELETE, &bad, None, &[]).await.assert_error(
            404,
            "not_found",
            &[],
        );
    }
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 1000);

    // A retry of the removed payment's request is told so, and pays nothing.
    let key = [("idempotency-key", "removed-1")];
    let body = json!({"amount": 500, "method": "cash"});
    let pay_path = format!("/api/invoices/{id}/payments");
    let first = app.request(&app.client, Method::POST, &pay_path, Some(&body), &key).await;
    let removed_id = id_of(&first.body["payment"]);
    let gone = format!("/api/invoices/{id}/payments/{removed_id}");
    assert_eq!(app.request(&app.client, Method::DELETE, &gone, None, &[]).await.status, 200);
    let retried = app.request(&app.client, Method::POST, &pay_path, Some(&body), &key).await;
    retried.assert_error(409, "payment_removed", &[]);
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 1000);
}
