//! The public payment page API: what the payer sees, and the `test` provider's checkout.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use invoicing::provider::Provider;
use invoicing::stripe::StripeConfig;

use crate::helpers::{Db, Options, WAIT, id_of, on_both, spawn_app, spawn_app_with};

on_both!(
    payers_see_no_owner_data,
    checkout_pays_with_the_test_card,
    bad_checkouts_are_refused,
    racing_checkouts_charge_once,
    racing_keys_charge_once,
    stripe_is_announced_and_allowed_by_the_csp,
    a_charge_the_invoice_no_longer_takes_is_refunded,
);

fn card(number: &str) -> Value {
    json!({"number": number, "expiry": "12/40", "cvc": "123"})
}

async fn payers_see_no_owner_data(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let anonymous = reqwest::Client::new();
    let answer = app.request(&anonymous, Method::GET, &format!("/api/pay/{id}"), None, &[]).await;
    assert_eq!(answer.status, 200);
    let keys: Vec<&str> = answer.body.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = [
        "amountPaid",
        "balanceDue",
        "businessName",
        "currency",
        "customer",
        "discount",
        "discountAmount",
        "displayNumber",
        "dueDate",
        "id",
        "issueDate",
        "items",
        "notes",
        "number",
        "paymentInstructions",
        "reference",
        "seller",
        "status",
        "subtotal",
        "taxes",
        "total",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(
        answer.body["customer"],
        json!({"name": "Ada Lovelace", "address": "", "taxId": ""})
    );
    assert_eq!(answer.body["businessName"], "Acme Ltd");
    assert_eq!(answer.body["notes"], "Thank you", "the owner's notes to the customer");
    assert!(!answer.body.to_string().contains("example.com"), "no e-mail addresses");

    let draft = id_of(&app.create_invoice().await);
    let hidden =
        app.request(&anonymous, Method::GET, &format!("/api/pay/{draft}"), None, &[]).await;
    hidden.assert_error(404, "not_found", &[]);
    let unknown = format!("/api/pay/{}", uuid::Uuid::new_v4());
    app.request(&anonymous, Method::GET, &unknown, None, &[]).await.assert_error(
        404,
        "not_found",
        &[],
    );
}

async fn checkout_pays_with_the_test_card(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let payer = reqwest::Client::new();
    let path = format!("/api/pay/{id}/checkout");
    let partial = json!({"amount": 1000, "card": card("4242 4242 4242 4242")});
    let key = [("idempotency-key", "checkout-1")];
    let first = app.request(&payer, Method::POST, &path, Some(&partial), &key).await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    assert_eq!(first.body["invoice"]["status"], "partially_paid");
    assert!(first.body["invoice"].get("payments").is_none(), "the public view");
    assert_eq!(first.body["payment"]["method"], "card");
    let retried = app.request(&payer, Method::POST, &path, Some(&partial), &key).await;
    assert_eq!(retried.status, 201);
    assert_eq!(retried.body["payment"]["id"], first.body["payment"]["id"]);
    assert_eq!(retried.body["invoice"]["amountPaid"], 1000);

    let rest = json!({"card": card("4242424242424242")});
    let settled = app.request(&payer, Method::POST, &path, Some(&rest), &[]).await;
    assert_eq!(settled.status, 201, "{:#}", settled.body);
    assert_eq!(settled.body["payment"]["amount"], 4000, "defaults to the balance");
    assert_eq!(settled.body["invoice"]["status"], "paid");
    let again = app.request(&payer, Method::POST, &path, Some(&rest), &[]).await;
    again.assert_error(409, "illegal_transition", &[]);
}

async fn bad_checkouts_are_refused(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let payer = reqwest::Client::new();
    let path = format!("/api/pay/{id}/checkout");
    let post = |body: Value| {
        let (app, payer, path) = (&app, &payer, &path);
        async move { app.request(payer, Method::POST, path, Some(&body), &[]).await }
    };
    let declined = post(json!({"card": card("4000 0000 0000 0002")})).await;
    declined.assert_error(402, "card_declined", &[]);
    assert!(declined.body["error"]["message"].as_str().unwrap().contains("declined"));
    post(json!({"card": card("4242 4242 4242 4241")})).await.assert_error(
        422,
        "validation_failed",
        &["card.number"],
    );
    post(json!({"card": card("5555 5555 5555 4444")})).await.assert_error(
        422,
        "validation_failed",
        &["card.number"],
    );
    let expired = json!({"card": {"number": "4242424242424242", "expiry": "01/20", "cvc": "1"}});
    post(expired).await.assert_error(422, "validation_failed", &["card.expiry", "card.cvc"]);
    post(json!({})).await.assert_error(422, "validation_failed", &["card.number"]);
    for amount in [json!(0), json!(-1), json!(5001), json!(1e20)] {
        let body = json!({"amount": amount, "card": card("4242424242424242")});
        post(body).await.assert_error(422, "validation_failed", &["amount"]);
    }
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 0, "nothing paid");

    app.post_empty(&format!("/api/invoices/{id}/void")).await;
    post(json!({"card": card("4242424242424242")})).await.assert_error(
        409,
        "illegal_transition",
        &[],
    );
    let draft = id_of(&app.create_invoice().await);
    let body = json!({"card": card("4242424242424242")});
    app.request(&payer, Method::POST, &format!("/api/pay/{draft}/checkout"), Some(&body), &[])
        .await
        .assert_error(404, "not_found", &[]);
}

/// 20 payers racing for the whole balance, lined up at the provider's door: one charge, one
/// payment; the others are refused before the provider is asked (409 `payment_in_progress`).
async fn racing_checkouts_charge_once(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let url = format!("{}/api/pay/{id}/checkout", app.base);
    let body = json!({"card": card("4242424242424242")});
    let held = app.provider.hold_charges().await.expect("the test provider");
    let answered = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (url, body, answered) = (url.clone(), body.clone(), answered.clone());
            tokio::spawn(async move {
                let sent = reqwest::Client::new().post(&url).json(&body).send().await;
                let answer = sent.expect("answer");
                let status = answer.status().as_u16();
                let body: Value = answer.json().await.expect("JSON");
                answered.fetch_add(1, Ordering::SeqCst);
                (status, body)
            })
        })
        .collect();
    // Every request is either answered or waiting to charge before any charge goes through.
    let lined_up = || answered.load(Ordering::SeqCst) + app.provider.charges_waiting() as usize;
    let deadline = tokio::time::Instant::now() + WAIT;
    while lined_up() < 20 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(app.provider.charges_waiting(), 1, "one attempt reached the provider");
    drop(held);
    let mut paid = 0;
    for task in tasks {
        let (status, body) = task.await.expect("task");
        if status == 201 {
            paid += 1;
        } else {
            assert_eq!((status, &body["error"]["code"]), (409, &json!("payment_in_progress")));
        }
    }
    assert_eq!(paid, 1);
    assert_eq!(app.provider.charges_made(), 1, "one provider charge");
    let shown = app.get(&format!("/api/invoices/{id}")).await.body;
    assert_eq!(shown["payments"].as_array().unwrap().len(), 1);
    assert_eq!(shown["amountPaid"], 5000);
}

/// One `Idempotency-Key` sent 20 times at once: one charge; every answer is the payment or
/// 409 `idempotency_in_progress`; a declined card releases its reservation.
async fn racing_keys_charge_once(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let path = format!("/api/pay/{id}/checkout");
    let payer = reqwest::Client::new();
    let declined = json!({"amount": 5000, "card": card("4000000000000002")});
    let refused = app.request(&payer, Method::POST, &path, Some(&declined), &[]).await;
    refused.assert_error(402, "card_declined", &[]);

    let body = json!({"amount": 5000, "card": card("4242424242424242")});
    let key = [("idempotency-key", "same")];
    let raced = (0..20).map(|_| app.request(&payer, Method::POST, &path, Some(&body), &key));
    let answers = futures_util::future::join_all(raced).await;
    let mut ids = std::collections::BTreeSet::new();
    for answer in &answers {
        if answer.status == 201 {
            ids.insert(answer.body["payment"]["id"].to_string());
        } else {
            answer.assert_error(409, "idempotency_in_progress", &[]);
        }
    }
    assert_eq!(ids.len(), 1, "one payment, replayed to the others");
    assert_eq!(app.provider.charges_made(), 1);
    let retried = app.request(&payer, Method::POST, &path, Some(&body), &key).await;
    assert_eq!(retried.status, 201);
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 5000);
}

/// With `stripe`, `GET /api/config` names it with the publishable key and Stripe.js's URL, the
/// CSP allows exactly Stripe.js's origins, and a card sent to Paybell is refused.
async fn stripe_is_announced_and_allowed_by_the_csp(db: Db) {
    let js = "http://127.0.0.1:9/js.stripe.com/v3/";
    let stripe = StripeConfig::new(
        "sk_test_1",
        "pk_test_1",
        "whsec_1",
        Some("http://127.0.0.1:9"),
        Some(js),
    )
    .unwrap();
    let provider = Some(Provider::from_stripe(stripe).unwrap());
    let app = spawn_app_with(db, Options { provider, ..Options::default() }).await;
    let config = app.get("/api/config").await.body;
    assert_eq!(
        config["payments"],
        json!({"provider": "stripe", "publishableKey": "pk_test_1", "jsUrl": js})
    );
    let page = app.client.get(format!("{}/", app.base)).send().await.unwrap();
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self' http://127.0.0.1:9;"), "{csp}");
    assert!(csp.contains("frame-src http://127.0.0.1:9;"), "{csp}");
    assert!(csp.contains("connect-src 'self' http://127.0.0.1:9 "), "{csp}");
    assert!(!csp.contains("stripe.com"), "{csp}");

    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let body = json!({"card": card("4242424242424242")});
    let path = format!("/api/pay/{id}/checkout");
    let refused = app.request(&reqwest::Client::new(), Method::POST, &path, Some(&body), &[]).await;
    refused.assert_error(409, "provider_unavailable", &[]);
    let test = spawn_app(db).await;
    assert_eq!(test.get("/api/config").await.body["payments"], json!({"provider": "test"}));
}

/// The invoice is voided while a card is being charged: the charge cannot be recorded, so it
/// is refunded at once and the payer told the invoice's state (409).
async fn a_charge_the_invoice_no_longer_takes_is_refunded(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let url = format!("{}/api/pay/{id}/checkout", app.base);
    let held = app.provider.hold_charges().await.expect("the test provider");
    let body = json!({"card": card("4242424242424242")});
    let paying = tokio::spawn(async move {
        let answer = reqwest::Client::new().post(&url).json(&body).send().await.expect("answer");
        (answer.status().as_u16(), answer.json::<Value>().await.expect("JSON"))
    });
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.provider.charges_waiting() == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(app.post_empty(&format!("/api/invoices/{id}/void")).await.status, 200);
    drop(held);
    let (status, body) = paying.await.expect("task");
    assert_eq!((status, &body["error"]["code"]), (409, &json!("illegal_transition")), "{body}");
    assert_eq!((app.provider.charges_made(), app.provider.refunds_made()), (1, 1));
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 0);
}
