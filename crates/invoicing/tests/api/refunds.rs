//! Refunds of card payments, whole or in part: through the provider, the amount paid and the
//! status move back, `payment_refunded` is published; and the reservations behind checkout
//! expire.

use reqwest::Method;
use serde_json::json;

use invoicing::domain::{Amount, DomainError, Invoice, InvoiceId, Timestamp};
use invoicing::store::{ATTEMPT_TTL, Reserved};

use crate::helpers::{Db, EventRow, event_row, id_of, on_both, rows_since, spawn_app};

on_both!(card_payments_are_refunded_with_their_events, reservations_expire);

fn row(kind: &str, event: &str, status: &str, amount: i64) -> EventRow {
    event_row(kind, event, "payment_refunded", status, amount)
}

async fn card_payments_are_refunded_with_their_events(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let card = json!({"number": "4242424242424242", "expiry": "12/40", "cvc": "123"});
    let paid = app
        .request(
            &reqwest::Client::new(),
            Method::POST,
            &format!("/api/pay/{id}/checkout"),
            Some(&json!({"card": card})),
            &[],
        )
        .await;
    assert_eq!(paid.status, 201, "{:#}", paid.body);
    let payment = id_of(&paid.body["payment"]);
    let shown = app.get(&format!("/api/invoices/{id}")).await.body;
    assert_eq!(shown["payments"][0]["refundable"], true, "{shown:#}");
    assert_eq!(shown["payments"][0]["removable"], false);
    let path = format!("/api/invoices/{id}/payments/{payment}/refunds");

    let before = app.store.all_events().await.unwrap().len();
    let part = app.post(&path, &json!({"amount": 1500})).await;
    assert_eq!(part.status, 201, "{:#}", part.body);
    assert_eq!(part.body["refund"]["amount"], 1500);
    assert_eq!(part.body["payment"]["refunded"], 1500);
    let invoice = &part.body["invoice"];
    assert_eq!(
        (invoice["status"].clone(), invoice["amountPaid"].clone()),
        (json!("partially_paid"), json!(3500))
    );
    assert_eq!(
        rows_since(&app, before).await,
        [
            row("invoice", "invoice.updated", "partially_paid", 1500),
            row("invoice", "invoice.status.changed", "partially_paid", 1500),
            row("user", "invoice.updated", "partially_paid", 1500),
        ]
    );
    for event in &app.store.all_events().await.unwrap()[before..] {
        assert!(event.payload.contains("Payment Refunded"), "{}", event.payload);
    }
    app.post(&path, &json!({"amount": 3501})).await.assert_error(
        422,
        "validation_failed",
        &["amount"],
    );
    app.post(&path, &json!({"amount": 0})).await.assert_error(
        422,
        "validation_failed",
        &["amount"],
    );

    // The rest, by default; the status stays where it is when it does not move.
    let before = app.store.all_events().await.unwrap().len();
    let rest = app.post(&path, &json!({})).await;
    assert_eq!(rest.status, 201, "{:#}", rest.body);
    assert_eq!(rest.body["refund"]["amount"], 3500);
    assert_eq!(
        (rest.body["invoice"]["status"].clone(), rest.body["invoice"]["amountPaid"].clone()),
        (json!("sent"), json!(0))
    );
    assert_eq!(rest.body["payment"]["refundable"], false);
    assert_eq!(rows_since(&app, before).await.len(), 3);
    app.post(&path, &json!({})).await.assert_error(409, "payment_not_refundable", &[]);
    assert_eq!(app.provider.refunds_made(), 2);

    // A manual record is removed, never refunded; another owner sees nothing.
    let manual = id_of(&app.pay(&id, 100).await.body["payment"]);
    let manual_path = format!("/api/invoices/{id}/payments/{manual}/refunds");
    app.post(&manual_path, &json!({})).await.assert_error(409, "payment_not_refundable", &[]);
    let unknown = format!("/api/invoices/{id}/payments/{}/refunds", uuid::Uuid::new_v4());
    app.post(&unknown, &json!({})).await.assert_error(404, "not_found", &[]);
    let anonymous = reqwest::Client::new();
    let refused = app.request(&anonymous, Method::POST, &path, Some(&json!({})), &[]).await;
    refused.assert_error(401, "unauthenticated", &[]);
    assert_eq!(app.provider.refunds_made(), 2, "refused refunds never reach the provider");
}

/// What `reserve_attempt` asks for: `minor`, whatever the invoice.
fn amount(minor: i64) -> impl FnOnce(&Invoice, i64) -> Result<Amount, DomainError> {
    move |_, _| Ok(Amount::parse("amount", minor)?)
}

/// A reservation nobody completes holds the balance until it expires.
async fn reservations_expire(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = InvoiceId::parse(&id_of(&app.sent_invoice().await)).unwrap();
    let start = Timestamp::now();
    let first =
        app.store.reserve_attempt(&id, None, (start, ATTEMPT_TTL), amount(5000)).await.unwrap();
    assert!(matches!(first, Reserved::New(_)));
    let held = app.store.reserve_attempt(&id, None, (start, ATTEMPT_TTL), amount(1)).await;
    assert!(matches!(held, Err(invoicing::store::StoreError::PaymentInProgress)), "{held:?}");
    let owner = app.pay(id.as_str(), 1).await;
    owner.assert_error(409, "payment_in_progress", &[]);
    let ttl = i64::try_from(ATTEMPT_TTL.as_millis()).unwrap();
    let later = Timestamp::from_millis(start.millis() + ttl + 1);
    let again = app
        .store
        .reserve_attempt(&id, Some(("k", "f")), (later, ATTEMPT_TTL), amount(5000))
        .await
        .unwrap();
    let Reserved::New(reservation) = again else { panic!("reserved") };
    app.store.release_attempt(&reservation.attempt_id).await.unwrap();
    assert_eq!(app.pay(id.as_str(), 5000).await.status, 201, "released: the balance is free");
}
