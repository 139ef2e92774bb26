//! Payments recorded by the owner: partial, settling, refused, idempotent, concurrent.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Db, id_of, on_both, spawn_app};

on_both!(
    partial_then_settling_payment,
    bad_payments_are_refused,
    a_retried_payment_pays_once,
    concurrent_payments_cannot_overpay,
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
