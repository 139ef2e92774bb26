//! Stripe payments against localstripe (a real Stripe API stand-in, `localstripe.rs`): a
//! PaymentIntent per reserved attempt, confirmed as Stripe.js would, recorded once by
//! `complete` and the webhook whichever comes first (on two nodes too), declines release the
//! reservation, 20 racing intents make one, refunds, expiry and late successes given back.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use invoicing::domain::{ChannelNames, InvoiceId, Timestamp};
use invoicing::store::{ATTEMPT_TTL, Reserved};
use invoicing::stripe::NewIntent;
use invoicing::usecases::UseCases;

use crate::helpers::{
    Answer, Db, Options, TestApp, WAIT, event_row, id_of, on_both, rows_since, spawn_app_with,
    spawn_node,
};
use crate::localstripe::{DECLINED, LocalStripe, PUBLISHABLE_KEY, SUCCEEDS, now, sign};

on_both!(
    an_intent_is_confirmed_then_completed_once,
    a_declined_card_releases_the_reservation,
    the_webhook_records_and_releases,
    twenty_racing_intents_make_one,
    webhooks_are_verified_and_handled_once,
    a_webhook_the_database_cannot_take_is_retried,
    refunds_go_through_stripe_and_its_reports,
    a_refund_whose_webhook_comes_first_counts_once,
    a_late_success_the_invoice_no_longer_takes_is_given_back,
);

async fn stripe_app(db: Db, stripe: &LocalStripe) -> TestApp {
    let provider = Some(stripe.provider());
    let app = spawn_app_with(db, Options { provider, ..Options::default() }).await;
    app.login().await;
    app
}

/// `POST` as the payer (no session).
async fn payer_post(app: &TestApp, path: &str, body: &Value) -> Answer {
    app.request(&reqwest::Client::new(), Method::POST, path, Some(body), &[]).await
}

async fn new_intent(app: &TestApp, id: &str) -> Answer {
    payer_post(app, &format!("/api/pay/{id}/intents"), &json!({})).await
}

async fn complete(app: &TestApp, id: &str, intent: &str) -> Answer {
    payer_post(app, &format!("/api/pay/{id}/intents/{intent}/complete"), &json!({})).await
}

fn intent_of(answer: &Answer) -> String {
    assert_eq!(answer.status, 201, "{:#}", answer.body);
    answer.body["paymentIntentId"].as_str().unwrap().to_owned()
}

fn settled() -> Vec<crate::helpers::EventRow> {
    vec![
        event_row("invoice", "payment.received", "invoice_completed", "paid", 5000),
        event_row("invoice", "invoice.status.changed", "invoice_completed", "paid", 5000),
        event_row("user", "payment.received", "invoice_completed", "paid", 5000),
    ]
}

async fn wait_for_status(app: &TestApp, id: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let invoice = app.get(&format!("/api/invoices/{id}")).await.body;
        if invoice["status"] == status {
            return invoice;
        }
        assert!(tokio::time::Instant::now() < deadline, "not {status}: {invoice:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn an_intent_is_confirmed_then_completed_once(db: Db) {
    let stripe = LocalStripe::start();
    let app = stripe_app(db, &stripe).await;
    let id = id_of(&app.sent_invoice().await);
    let created = new_intent(&app, &id).await;
    let intent = intent_of(&created);
    assert_eq!(created.body["publishableKey"], PUBLISHABLE_KEY);
    assert_eq!(created.body["amount"], 5000);
    assert!(created.body["clientSecret"].as_str().unwrap().starts_with(&intent));
    let at_stripe = stripe.get(&format!("/v1/payment_intents/{intent}")).await;
    assert_eq!(
        (at_stripe["amount"].clone(), at_stripe["currency"].clone()),
        (json!(5000), json!("eur"))
    );
    assert_eq!(at_stripe["metadata"]["paybell_invoice_id"], id.as_str());
    assert!(at_stripe["metadata"]["paybell_attempt_id"].is_string(), "{at_stripe:#}");

    // Not confirmed yet: nothing to record.
    complete(&app, &id, &intent).await.assert_error(409, "payment_pending", &[]);
    let confirmed = stripe.pay(&intent, SUCCEEDS).await;
    assert_eq!(confirmed["status"], "succeeded", "{confirmed:#}");
    let before = app.store.all_events().await.unwrap().len();
    let done = complete(&app, &id, &intent).await;
    assert_eq!(done.status, 200, "{:#}", done.body);
    assert_eq!(done.body["payment"]["amount"], 5000);
    assert_eq!(done.body["invoice"]["status"], "paid");
    assert_eq!(rows_since(&app, before).await, settled());
    // Again: the same payment, nothing new.
    let again = complete(&app, &id, &intent).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body["payment"]["id"], done.body["payment"]["id"]);
    assert_eq!(app.store.all_events().await.unwrap().len(), before + 3);
    assert_eq!(app.count_rows("payments").await, 1);
    // Another invoice's intent, or one that is not an intent id, is not found here.
    let other = id_of(&app.sent_invoice().await);
    complete(&app, &other, &intent).await.assert_error(404, "not_found", &[]);
    complete(&app, &id, "ch_1").await.assert_error(404, "not_found", &[]);
    // A paid invoice takes no intent.
    new_intent(&app, &id).await.assert_error(409, "illegal_transition", &[]);
}

async fn a_declined_card_releases_the_reservation(db: Db) {
    let stripe = LocalStripe::start();
    let app = stripe_app(db, &stripe).await;
    let id = id_of(&app.sent_invoice().await);
    let intent = intent_of(&new_intent(&app, &id).await);
    // The whole balance is held: a second payer waits.
    new_intent(&app, &id).await.assert_error(409, "payment_in_progress", &[]);
    let declined = stripe.pay(&intent, DECLINED).await;
    assert_eq!(declined["error"]["code"], "card_declined", "{declined:#}");
    let answer = complete(&app, &id, &intent).await;
    answer.assert_error(402, "card_declined", &[]);
    assert_eq!(answer.body["error"]["message"], "Your card was declined.");
    // Released: a new intent for the whole balance is taken at once.
    let second = intent_of(&new_intent(&app, &id).await);
    assert_ne!(second, intent);
    assert_eq!(app.count_rows("payments").await, 0);
    // A part payment.
    let part = payer_post(&app, &format!("/api/pay/{id}/intents"), &json!({"amount": 10})).await;
    part.assert_error(409, "payment_in_progress", &[]);
}

async fn the_webhook_records_and_releases(db: Db) {
    let stripe = LocalStripe::start();
    let app = stripe_app(db, &stripe).await;
    stripe.register_webhook("paybell", &format!("{}/api/stripe/webhook", app.base)).await;
    let id = id_of(&app.sent_invoice().await);
    let intent = intent_of(&new_intent(&app, &id).await);
    // Declined: localstripe sends payment_intent.payment_failed, which releases the
    // reservation (the page never calls complete here).
    stripe.pay(&intent, DECLINED).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    let second = loop {
        let answer = new_intent(&app, &id).await;
        if answer.status == 201 {
            break intent_of(&answer);
        }
        answer.assert_error(409, "payment_in_progress", &[]);
        assert!(tokio::time::Instant::now() < deadline, "the reservation was not released");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let before = app.store.all_events().await.unwrap().len();
    stripe.pay(&second, SUCCEEDS).await;
    wait_for_status(&app, &id, "paid").await;
    assert_eq!(rows_since(&app, before).await, settled());
    // The page's complete, after the webhook: the same payment.
    let done = complete(&app, &id, &second).await;
    assert_eq!(done.status, 200, "{:#}", done.body);
    assert_eq!(app.count_rows("payments").await, 1);
    assert_eq!(app.count_rows("stripe_events").await, 2);
}

async fn twenty_racing_intents_make_one(db: Db) {
    let stripe = LocalStripe::start();
    let app = stripe_app(db, &stripe).await;
    let id = id_of(&app.sent_invoice().await);
    let answers = futures_util::future::join_all((0..20).map(|_| new_intent(&app, &id))).await;
    let made: Vec<&Answer> = answers.iter().filter(|a| a.status == 201).collect();
    assert_eq!(made.len(), 1, "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    for refused in answers.iter().filter(|a| a.status != 201) {
        refused.assert_error(409, "payment_in_progress", &[]);
    }
    assert_eq!(stripe.intents().await.len(), 1);
    let intent = intent_of(made[0]);
    stripe.pay(&intent, SUCCEEDS).await;
    let completes =
        futures_util::future::join_all((0..5).map(|_| complete(&app, &id, &intent))).await;
    assert!(
        completes.iter().all(|a| a.status == 200),
        "{:?}",
        completes.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    assert_eq!(app.count_rows("payments").await, 1);
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 5000);
}

/// A `payment_intent.succeeded` event for the intent as localstripe has it now.
async fn succeeded_event(stripe: &LocalStripe, event_id: &str, intent: &str) -> String {
    let object = stripe.get(&format!("/v1/payment_intents/{intent}")).await;
    let event = json!({"id": event_id, "object": "event", "type": "payment_intent.succeeded",
                       "data": {"object": object}});
    serde_json::to_string_pretty(&event).unwrap()
}

async fn post_webhook(app: &TestApp, body: &str, signature: &str) -> Answer {
    let response = reqwest::Client::new()
        .post(format!("{}/api/stripe/webhook", app.base))
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let body = response.json().await.unwrap_or(Value::Null);
    Answer { status, headers, body }
}

async fn webhooks_are_verified_and_handled_once(db: Db) {
    let stripe = LocalStripe::start();
    let app = stripe_app(db, &stripe).await;
    let id = id_of(&app.sent_invoice().await);
    let intent = intent_of(&new_intent(&app, &id).await);
    stripe.pay(&intent, SUCCEEDS).await;
    let body = succeeded_event(&stripe, "evt_paybell_1", &intent).await;
    let t = now();
    for bad in [
        String::new(),
        format!("t={t},v1={}", "0".repeat(64)),
        sign(&body, t - 301),
        sign(&body.replace("5000", "5001"), t),
    ] {
        let refused = post_webhook(&app, &body, &bad).await;
        refused.assert_error(400, "bad_signature", &[]);
    }
    assert_eq!(app.count_rows("payments").await, 0);
    let unknown = r#"{"id":"evt_x","type":"customer.created","data":{"object":{}}}"#;
    let ignored = post_webhook(&app, unknown, &sign(unknown, t)).await;
    assert_eq!(ignored.status, 200);
    assert_eq!(ignored.body["outcome"], "ignored");
    let not_json = post_webhook(&app, "nope", &sign("nope", t)).await;
    not_json.assert_error(400, "bad_request", &[]);

    // Several v1 values: a rolled secret's, then this one's.
    let header = format!("{},v1={}", sign(&body, t).replace("v1=", "v1=00,v1="), "1".repeat(64));
    let handled = post_webhook(&app, &body, &header).await;
    assert_eq!(handled.status, 200, "{:#}", handled.body);
    assert_eq!(handled.body["outcome"], "handled");
    let repeated = post_webhook(&app, &body, &sign(&body, t)).await;
    assert_eq!(repeated.body["outcome"], "repeated");
    // The same intent in another event (Stripe can send one twice under two ids).
    let other = succeeded_event(&stripe, "evt_paybell_2", &intent).await;
    assert_eq!(post_webhook(&app, &other, &sign(&other, t)).await.status, 200);
    assert_eq!(app.count_rows("payments").await, 1);
    assert_eq!(complete(&app, &id, &intent).await.status, 200);
    assert_eq!(app.count_rows("payments").await, 1);
}

async fn a_webhook_the_database_cannot_take_is_retried(db: Db) {
    let stripe = LocalStripe::start();
    let app = stripe_app(db, &stripe).await;
    let id = id_of(&app.sent_invoice().await);
    let intent = intent_of(&new_intent(&app, &id).await);
    stripe.pay(&intent, SUCCEEDS).await;
    let body = succeeded_event(&stripe, "evt_paybell_db", &intent).await;
    // The event table away (as in a failing database): 5xx, so Stripe retries.
    app.execute("ALTER TABLE stripe_events RENAME TO stripe_events_away").await;
    let failed = post_webhook(&app, &body, &sign(&body, now())).await;
    assert!(failed.status.is_server_error(), "{} {:#}", failed.status, failed.body);
    app.execute("ALTER TABLE stripe_events_away RENAME TO stripe_events").await;
    for _ in 0..2 {
        let retried = post_webhook(&app, &body, &sign(&body, now())).await;
        assert_eq!(retried.status, 200, "{:#}", retried.body);
    }
    assert_eq!(app.count_rows("payments").await, 1);
    assert_eq!(app.count_rows("stripe_events").await, 1);
}

async fn refunds_go_through_stripe_and_its_reports(db: Db) {
    let stripe = LocalStripe::start();
    let app = stripe_app(db, &stripe).await;
    let id = id_of(&app.sent_invoice().await);
    let intent = intent_of(&new_intent(&app, &id).await);
    stripe.pay(&intent, SUCCEEDS).await;
    let paid = complete(&app, &id, &intent).await;
    let payment = id_of(&paid.body["payment"]);
    let path = format!("/api/invoices/{id}/payments/{payment}/refunds");
    let part = app.post(&path, &json!({"amount": 1500})).await;
    assert_eq!(part.status, 201, "{:#}", part.body);
    let refunds = stripe.refunds(&intent).await;
    assert_eq!(refunds.len(), 1, "{refunds:#?}");
    assert_eq!(refunds[0]["amount"], 1500);

    // Stripe's charge.refunded reports the total: what is recorded already changes nothing.
    let t = now();
    let report = |event: &str, total: i64| {
        json!({"id": event, "type": "charge.refunded", "data": {"object":
            {"id": "ch_1", "object": "charge", "payment_intent": intent, "amount": 5000,
             "amount_refunded": total, "currency": "eur"}}})
        .to_string()
    };
    let same = report("evt_refund_1", 1500);
    assert_eq!(post_webhook(&app, &same, &sign(&same, t)).await.status, 200);
    let shown = app.get(&format!("/api/invoices/{id}")).await.body;
    assert_eq!(shown["amountPaid"], 3500);
    // A refund made in Stripe's dashboard: 2000 more, reported as 3500 in all.
    let before = app.store.all_events().await.unwrap().len();
    let more = report("evt_refund_2", 3500);
    assert_eq!(post_webhook(&app, &more, &sign(&more, t)).await.status, 200);
    let shown = app.get(&format!("/api/invoices/{id}")).await.body;
    assert_eq!(
        (shown["amountPaid"].clone(), shown["status"].clone()),
        (json!(1500), json!("partially_paid"))
    );
    assert_eq!(
        rows_since(&app, before).await,
        [
            event_row("invoice", "invoice.updated", "payment_refunded", "partially_paid", 2000),
            event_row("user", "invoice.updated", "payment_refunded", "partially_paid", 2000),
        ]
    );
    // Refund e-mails to the customer (mail is kept in the local mailbox here).
    let kinds = app.mail_kinds().await;
    assert_eq!(kinds.iter().filter(|k| *k == "refund").count(), 2, "{kinds:?}");
}

async fn a_refund_whose_webhook_comes_first_counts_once(db: Db) {
    let stripe = LocalStripe::start();
    let (proxy, app_base) = crate::stripe_proxy::start(&stripe).await;
    let provider = Some(stripe.provider_at(&proxy));
    let app = spawn_app_with(db, Options { provider, ..Options::default() }).await;
    app_base.set(app.base.clone()).unwrap();
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let intent = intent_of(&new_intent(&app, &id).await);
    stripe.pay(&intent, SUCCEEDS).await;
    let payment = id_of(&complete(&app, &id, &intent).await.body["payment"]);
    let path = format!("/api/invoices/{id}/payments/{payment}/refunds");
    let before = app.store.all_events().await.unwrap().len();

    // The proxy has Paybell record charge.refunded (1500 in all) before Stripe's answer.
    let first = app.post(&path, &json!({"amount": 1500})).await;
    assert_eq!(first.status, 201, "{:#}", first.body);
    assert_eq!(first.body["refund"]["amount"], 1500);
    assert_eq!(first.body["invoice"]["amountPaid"], 3500, "counted twice: {:#}", first.body);
    let second = app.post(&path, &json!({"amount": 1000})).await;
    assert_eq!(second.body["invoice"]["amountPaid"], 2500, "{:#}", second.body);
    let row = |channel, event, amount| {
        event_row(channel, event, "payment_refunded", "partially_paid", amount)
    };
    let once_each = [
        row("invoice", "invoice.updated", 1500),
        row("invoice", "invoice.status.changed", 1500),
        row("user", "invoice.updated", 1500),
        row("invoice", "invoice.updated", 1000),
        row("user", "invoice.updated", 1000),
    ];
    assert_eq!(rows_since(&app, before).await, once_each);
    assert_eq!(stripe.refunds(&intent).await.len(), 2);
    let kinds = app.mail_kinds().await;
    assert_eq!(kinds.iter().filter(|k| *k == "refund").count(), 2, "{kinds:?}");
}

async fn a_late_success_the_invoice_no_longer_takes_is_given_back(db: Db) {
    let stripe = LocalStripe::start();
    let app = stripe_app(db, &stripe).await;
    let id = id_of(&app.sent_invoice().await);
    let invoice = InvoiceId::parse(&id).unwrap();
    // An attempt reserved long ago, with its intent: expired now.
    let long_ago = Timestamp::from_millis(Timestamp::now().millis() - 2 * 1000 * 60 * 31);
    let decide = |_: &invoicing::domain::Invoice, _| {
        invoicing::domain::Amount::parse("amount", 5000).map_err(Into::into)
    };
    let reserved = app.store.reserve_attempt(&invoice, None, (long_ago, ATTEMPT_TTL), decide).await;
    let Ok(Reserved::New(reservation)) = reserved else { panic!("not reserved") };
    let client = app.provider.stripe_client().unwrap();
    let new = NewIntent {
        amount: 5000,
        currency: "EUR",
        invoice_id: &id,
        attempt_id: &reservation.attempt_id,
    };
    let intent = client.create_intent(new).await.unwrap().id;
    app.store.attach_intent(&reservation.attempt_id, &intent).await.unwrap();
    // Nothing holds the balance any more: the owner records a bank transfer for all of it.
    assert_eq!(app.pay(&id, 5000).await.status, 201);
    // The payer, still on the old page, pays anyway.
    stripe.pay(&intent, SUCCEEDS).await;
    let before = app.store.all_events().await.unwrap().len();
    complete(&app, &id, &intent).await.assert_error(409, "payment_refunded", &[]);
    let refunds = stripe.refunds(&intent).await;
    assert_eq!(refunds.len(), 1, "{refunds:#?}");
    assert_eq!(refunds[0]["amount"], 5000);
    assert_eq!(
        rows_since(&app, before).await,
        [
            event_row("invoice", "invoice.updated", "payment_refunded", "paid", 5000),
            event_row("user", "invoice.updated", "payment_refunded", "paid", 5000),
        ]
    );
    assert!(app.mail_kinds().await.contains(&"late_payment_refunded".to_owned()));
    // Its webhook later changes nothing more.
    let body = succeeded_event(&stripe, "evt_late", &intent).await;
    assert_eq!(post_webhook(&app, &body, &sign(&body, now())).await.status, 200);
    assert_eq!(stripe.refunds(&intent).await.len(), 1);
    assert_eq!(app.store.all_events().await.unwrap().len(), before + 2);
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 5000);

    // An expired intent nobody confirmed is cancelled at Stripe by the expiry pass.
    let other = InvoiceId::parse(&id_of(&app.sent_invoice().await)).unwrap();
    let reserved = app.store.reserve_attempt(&other, None, (long_ago, ATTEMPT_TTL), decide).await;
    let Ok(Reserved::New(reservation)) = reserved else { panic!("not reserved") };
    let new = NewIntent {
        amount: 5000,
        currency: "EUR",
        invoice_id: other.as_str(),
        attempt_id: &reservation.attempt_id,
    };
    let abandoned = client.create_intent(new).await.unwrap().id;
    app.store.attach_intent(&reservation.attempt_id, &abandoned).await.unwrap();
    let usecases =
        UseCases::new(app.store.clone(), app.provider.clone(), ChannelNames { private: true });
    assert_eq!(usecases.cancel_expired_intents().await.unwrap(), 1);
    let at_stripe = stripe.get(&format!("/v1/payment_intents/{abandoned}")).await;
    assert_eq!(at_stripe["status"], "canceled");
    assert_eq!(usecases.cancel_expired_intents().await.unwrap(), 0);
}

/// Two nodes on one PostgreSQL: the webhook on one and the page's `complete` on the other,
/// sent at once, record the payment once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhook_and_complete_racing_on_two_nodes_record_once() {
    let stripe = LocalStripe::start();
    let first = stripe_app(Db::Postgres, &stripe).await;
    let options = Options { provider: Some(first.provider.clone()), ..Options::default() };
    let second = spawn_node(first.same_database(options)).await;
    for round in 0..5 {
        let id = id_of(&first.sent_invoice().await);
        let intent = intent_of(&new_intent(&second, &id).await);
        stripe.pay(&intent, SUCCEEDS).await;
        let body = succeeded_event(&stripe, &format!("evt_race_{round}"), &intent).await;
        let signature = sign(&body, now());
        let (hook, page, hook2, page2) = tokio::join!(
            post_webhook(&first, &body, &signature),
            complete(&second, &id, &intent),
            post_webhook(&second, &body, &signature),
            complete(&first, &id, &intent),
        );
        for answer in [&hook, &page, &hook2, &page2] {
            assert_eq!(answer.status, 200, "{:#}", answer.body);
        }
        assert_eq!(page.body["payment"]["id"], page2.body["payment"]["id"]);
    }
    assert_eq!(first.count_rows("payments").await, 5);
    // Each payment published its three rows once.
    let events = first.store.all_events().await.unwrap();
    let completed = events.iter().filter(|e| e.payload.contains("invoice_completed")).count();
    assert_eq!(completed, 5 * 3);
}
