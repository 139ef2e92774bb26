//! Payment reminders, driven by `mail::reminders::tick` at chosen dates: before the due date,
//! then overdue every 7 days at most 3 times; each stage once, also when two nodes tick;
//! switched off per invoice and per owner.

use invoicing::domain::Timestamp;
use invoicing::domain::invoice::parse_date;
use invoicing::mail::Composer;
use invoicing::mail::reminders::tick;
use serde_json::json;

use crate::helpers::{Db, TestApp, id_of, invoice_body, on_both, spawn_app};

on_both!(each_stage_is_sent_once, reminders_can_be_switched_off);

const DUE: &str = "2030-03-10";

/// Noon UTC on `day`.
fn at(day: &str) -> Timestamp {
    let date = parse_date(day).unwrap();
    Timestamp::from_millis(date.midnight().assume_utc().unix_timestamp() * 1000 + 12 * 3_600_000)
}

fn composer(app: &TestApp) -> Composer {
    Composer::new(app.base.parse().unwrap(), &"Acme <billing@example.com>".parse().unwrap())
}

async fn sent_invoice_due(app: &TestApp) -> String {
    let mut body = invoice_body();
    body["dueDate"] = json!(DUE);
    let created = app.post("/api/invoices", &body).await;
    let id = id_of(&created.body);
    assert_eq!(app.post_empty(&format!("/api/invoices/{id}/send")).await.status.as_u16(), 200);
    id
}

async fn reminder_subjects(app: &TestApp) -> Vec<String> {
    let rows = app.store.all_mail().await.unwrap();
    rows.into_iter().filter(|r| r.kind == "reminder").map(|r| r.subject).collect()
}

async fn each_stage_is_sent_once(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    sent_invoice_due(&app).await;
    let (one, two) = (composer(&app), composer(&app));
    let mut expected = Vec::new();
    for (day, written) in [
        ("2030-03-06", 0),
        ("2030-03-07", 1),
        ("2030-03-09", 0),
        ("2030-03-11", 1),
        ("2030-03-17", 0),
        ("2030-03-18", 1),
        ("2030-03-25", 1),
        ("2030-04-01", 0),
        ("2030-06-01", 0),
    ] {
        // Two nodes ticking at the same moment write each stage once between them.
        let (a, b) = tokio::join!(tick(&app.store, &one, at(day)), tick(&app.store, &two, at(day)));
        assert_eq!(a.unwrap() + b.unwrap(), written, "on {day}");
        if written == 1 {
            expected.push(day);
        }
    }
    let subjects = reminder_subjects(&app).await;
    assert_eq!(subjects.len(), 4, "{subjects:#?}");
    assert_eq!(subjects[0], "Reminder: invoice #1 from Acme Ltd is due on 2030-03-10");
    assert!(
        subjects[1..].iter().all(|s| s == "Overdue: invoice #1 from Acme Ltd"),
        "{subjects:#?}"
    );
    let rows = app.store.all_mail().await.unwrap();
    let reminder = rows.iter().find(|r| r.kind == "reminder").unwrap();
    assert_eq!(reminder.recipient, "ada@example.com");
    assert!(reminder.body_text.contains("/pay/"), "{}", reminder.body_text);
}

async fn reminders_can_be_switched_off(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = sent_invoice_due(&app).await;
    let other = sent_invoice_due(&app).await;
    let off = json!({"enabled": false});
    let answer = app
        .request(
            &app.client,
            reqwest::Method::PUT,
            &format!("/api/invoices/{id}/reminders"),
            Some(&off),
            &[],
        )
        .await;
    assert_eq!(answer.body, json!({"enabled": false}), "{:#}", answer.body);
    assert_eq!(
        app.get(&format!("/api/invoices/{id}/reminders")).await.body,
        json!({"enabled": false})
    );
    let composer = composer(&app);
    assert_eq!(tick(&app.store, &composer, at("2030-03-08")).await.unwrap(), 1, "only the other");
    let rows = app.store.all_mail().await.unwrap();
    let reminded: Vec<_> =
        rows.iter().filter(|r| r.kind == "reminder").map(|r| r.invoice_id.clone()).collect();
    assert_eq!(reminded, [other]);

    let answer = app
        .request(&app.client, reqwest::Method::PUT, "/api/settings/reminders", Some(&off), &[])
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{:#}", answer.body);
    assert_eq!(app.get("/api/settings/reminders").await.body, json!({"enabled": false}));
    assert_eq!(
        tick(&app.store, &composer, at("2030-03-12")).await.unwrap(),
        0,
        "owner switched off"
    );
    let on = json!({"enabled": true});
    app.request(&app.client, reqwest::Method::PUT, "/api/settings/reminders", Some(&on), &[]).await;
    assert_eq!(tick(&app.store, &composer, at("2030-03-12")).await.unwrap(), 1);
    let bad = app
        .request(
            &app.client,
            reqwest::Method::PUT,
            "/api/settings/reminders",
            Some(&json!({"enabled": "yes"})),
            &[],
        )
        .await;
    assert_eq!(bad.status.as_u16(), 422, "{:#}", bad.body);
}
