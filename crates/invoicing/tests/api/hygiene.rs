//! Amounts stop at 2^53 − 1 minor units (what a browser's JSON numbers hold exactly), and text
//! fields refuse control and text-direction characters, each with a field-level 422; a body
//! over 2 MiB gets 413.

use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, invoice_body, on_both, spawn_app};

on_both!(
    amounts_stop_at_2_pow_53_minus_1,
    text_refuses_controls_and_direction_overrides,
    a_body_over_2_mib_is_refused_with_413
);

const MAX: i64 = (1 << 53) - 1;

/// Puts a text into one field of an invoice body.
type SetText = fn(&mut Value, &str);

fn with(change: impl FnOnce(&mut Value)) -> Value {
    let mut body = invoice_body();
    change(&mut body);
    body
}

fn one_line(quantity: i64, unit_price: i64) -> Value {
    with(|b| {
        b["items"] = json!([{"description": "a", "quantity": quantity, "unitPrice": unit_price}])
    })
}

async fn refused(app: &TestApp, body: &Value, field: &str) {
    let answer = app.post("/api/invoices", body).await;
    answer.assert_error(422, "validation_failed", &[field]);
}

async fn amounts_stop_at_2_pow_53_minus_1(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    refused(&app, &one_line(1, MAX + 1), "items[0].unitPrice").await;
    refused(&app, &one_line(2, MAX / 2 + 1), "items[0].amount").await;
    let two = with(|b| {
        b["items"] = json!([
            {"description": "a", "quantity": 1, "unitPrice": MAX},
            {"description": "b", "quantity": 1, "unitPrice": 1}
        ]);
    });
    refused(&app, &two, "total").await;

    let created = app.post("/api/invoices", &one_line(1, MAX)).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["total"], json!(MAX));
    let list = app.get("/api/invoices").await;
    assert_eq!(list.body["invoices"][0]["total"], json!(MAX));
}

async fn text_refuses_controls_and_direction_overrides(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let bad_text: [(&str, SetText); 4] = [
        ("customer.name", |b, t| b["customer"]["name"] = json!(t)),
        ("customer.email", |b, t| b["customer"]["email"] = json!(format!("a{t}@example.com"))),
        ("items[1].description", |b, t| b["items"][1]["description"] = json!(t)),
        ("notes", |b, t| b["notes"] = json!(t)),
    ];
    for (field, set) in bad_text {
        for text in ["Ada\u{202E}ecivni", "Ada\u{2067}x", "Ada\u{7}", "Ada\u{9B}x"] {
            let answer = app.post("/api/invoices", &with(|b| set(b, text))).await;
            answer.assert_error(422, "validation_failed", &[field]);
            let message = answer.body["error"]["fields"][field].as_str().unwrap();
            let named = field == "customer.email" || message.contains("U+");
            assert!(named, "{field} {text:?}: {message}");
        }
    }
    refused(&app, &with(|b| b["customer"]["name"] = json!("Ada\nLovelace")), "customer.name").await;
    refused(&app, &with(|b| b["items"][0]["description"] = json!("a\tb")), "items[0].description")
        .await;

    let notes = "Bank: IBAN DE00 1234\n\tReference: 42\r\nThanks \u{200F}שלום";
    let created = app.post("/api/invoices", &with(|b| b["notes"] = json!(notes))).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    assert_eq!(created.body["notes"], notes);
    let list = app.get("/api/invoices").await;
    assert_eq!(list.body["invoices"].as_array().unwrap().len(), 1, "only the good one");
}

async fn a_body_over_2_mib_is_refused_with_413(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let body = with(|b| b["notes"] = json!("n".repeat(2 * 1024 * 1024 + 1)));
    let answer = app.post("/api/invoices", &body).await;
    answer.assert_error(413, "payload_too_large", &[]);
}
