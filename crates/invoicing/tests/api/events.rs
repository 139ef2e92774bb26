//! The events of each change (DESIGN.md's table), as written to the outbox and as received by
//! a WebSocket client of the built-in server.

use std::collections::HashSet;

use serde_json::Value;

use crate::helpers::{Db, Options, WAIT, id_of, on_both, spawn_app, spawn_app_with};

on_both!(
    each_change_writes_the_table_rows,
    subscribers_receive_them_in_order,
    channels_are_private_unless_public_names_are_asked_for
);

/// `(channel kind, event, type, status)` of one outbox row.
type Row = (String, String, String, String);

/// The rows written since `from`, and their payloads.
async fn rows_since(
    app: &crate::helpers::TestApp,
    from: usize,
) -> (Vec<(String, String, String, String)>, Vec<Value>) {
    let events = app.store.all_events().await.unwrap();
    let mut rows = Vec::new();
    let mut payloads = Vec::new();
    for event in &events[from..] {
        let payload: Value = serde_json::from_str(&event.payload).unwrap();
        let name = event.channel.strip_prefix("private-").unwrap_or(&event.channel);
        let kind = if name.starts_with("invoice.") { "invoice" } else { "user" };
        rows.push((
            kind.to_owned(),
            event.event.clone(),
            payload["type"].as_str().unwrap().to_owned(),
            payload["status"].as_str().unwrap().to_owned(),
        ));
        payloads.push(payload);
    }
    (rows, payloads)
}

fn row(kind: &str, event: &str, ty: &str, status: &str) -> Row {
    (kind.to_owned(), event.to_owned(), ty.to_owned(), status.to_owned())
}

async fn each_change_writes_the_table_rows(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let invoice = app.create_invoice().await;
    let id = id_of(&invoice);
    let (rows, payloads) = rows_since(&app, 0).await;
    assert_eq!(rows, [row("user", "invoice.created", "invoice_created", "draft")]);
    let payload = &payloads[0];
    let keys: Vec<&str> = payload.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["body", "eventId", "invoiceId", "sentAt", "status", "title", "type"]);
    assert_eq!(payload["invoiceId"], id.as_str());
    assert_eq!(payload["body"], "Invoice #1 has been created");
    let sent_at = payload["sentAt"].as_str().unwrap();
    assert!(sent_at.len() == 24 && sent_at.ends_with('Z'), "{sent_at}");

    let steps: Vec<(&str, Vec<Row>)> = vec![
        (
            "edit",
            vec![
                row("invoice", "invoice.updated", "invoice_updated", "draft"),
                row("user", "invoice.updated", "invoice_updated", "draft"),
            ],
        ),
        (
            "send",
            vec![
                row("invoice", "invoice.status.changed", "invoice_sent", "sent"),
                row("user", "invoice.updated", "invoice_sent", "sent"),
            ],
        ),
        (
            "pay 1000",
            vec![
                row("invoice", "payment.received", "payment_received", "partially_paid"),
                row("invoice", "invoice.status.changed", "payment_received", "partially_paid"),
                row("user", "payment.received", "payment_received", "partially_paid"),
            ],
        ),
        (
            "pay 1000",
            vec![
                row("invoice", "payment.received", "payment_received", "partially_paid"),
                row("user", "payment.received", "payment_received", "partially_paid"),
            ],
        ),
        (
            "pay 3000",
            vec![
                row("invoice", "payment.received", "invoice_completed", "paid"),
                row("invoice", "invoice.status.changed", "invoice_completed", "paid"),
                row("user", "payment.received", "invoice_completed", "paid"),
            ],
        ),
    ];
    for (step, expected) in steps {
        let before = app.store.all_events().await.unwrap().len();
        let answer = match step {
            "edit" => {
                app.patch(&format!("/api/invoices/{id}"), &serde_json::json!({"notes": "x"})).await
            }
            "send" => app.post_empty(&format!("/api/invoices/{id}/send")).await,
            pay => app.pay(&id, pay.trim_start_matches("pay ").parse().unwrap()).await,
        };
        assert!(answer.status.is_success(), "{step}: {:#}", answer.body);
        let (rows, payloads) = rows_since(&app, before).await;
        assert_eq!(rows, expected, "{step}");
        if let Some(amount) = step.strip_prefix("pay ") {
            // Payment events carry the amount (minor units) and currency, on every row.
            for payload in &payloads {
                assert_eq!(payload["amount"], amount.parse::<i64>().unwrap(), "{step}");
                assert_eq!(payload["currency"], "EUR", "{step}");
            }
        } else {
            assert!(payloads.iter().all(|p| p.get("amount").is_none()), "{step}");
        }
        if step == "pay 3000" {
            assert_eq!(payloads[0]["title"], "✅ Invoice Paid");
            assert_eq!(payloads[0]["body"], "Invoice #1 has been paid successfully");
        }
        if step == "send" {
            assert_eq!(payloads[0]["title"], "Invoice Status: sent");
            assert_eq!(payloads[0]["body"], "Invoice #1 status changed to sent");
        }
    }
    let other = id_of(&app.create_invoice().await);
    let before = app.store.all_events().await.unwrap().len();
    app.post_empty(&format!("/api/invoices/{other}/void")).await;
    let (rows, _) = rows_since(&app, before).await;
    assert_eq!(
        rows,
        [
            row("invoice", "invoice.status.changed", "invoice_void", "void"),
            row("user", "invoice.updated", "invoice_void", "void")
        ]
    );
    // Refused changes write nothing.
    let before = app.store.all_events().await.unwrap().len();
    app.pay(&other, 100).await.assert_error(409, "illegal_transition", &[]);
    assert_eq!(app.store.all_events().await.unwrap().len(), before);
    let ids: HashSet<String> =
        app.store.all_events().await.unwrap().into_iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), before, "event ids are unique");
}

async fn subscribers_receive_them_in_order(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    app.relayed().await;
    let channels =
        [format!("private-invoice.{id}"), format!("private-user.{}.invoices", app.user.id)];
    let mut connection = app.listen(&channels).await;
    app.pay(&id, 5000).await;
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let frame = connection.next_frame(WAIT).await.expect("an event");
        if frame.event.starts_with("pusher") {
            continue;
        }
        let data: Value = serde_json::from_str(&frame.data_text()).unwrap();
        assert_eq!(data["invoiceId"], id.as_str());
        seen.push((frame.channel.unwrap_or_default(), frame.event));
    }
    assert_eq!(
        seen,
        [
            (channels[0].clone(), "payment.received".to_owned()),
            (channels[0].clone(), "invoice.status.changed".to_owned()),
            (channels[1].clone(), "payment.received".to_owned()),
        ]
    );
    app.relayed().await;
}

async fn channels_are_private_unless_public_names_are_asked_for(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let channels: Vec<String> =
        app.store.all_events().await.unwrap().into_iter().map(|e| e.channel).collect();
    let user = format!("private-user.{}.invoices", app.user.id);
    assert_eq!(channels, [user.clone(), format!("private-invoice.{id}"), user]);

    let app = spawn_app_with(db, Options { public_channels: true, ..Options::default() }).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let channels: Vec<String> =
        app.store.all_events().await.unwrap().into_iter().map(|e| e.channel).collect();
    let user = format!("user.{}.invoices", app.user.id);
    assert_eq!(channels, [user.clone(), format!("invoice.{id}"), user]);
}
