//! Taxes per line, the invoice discount, the rounding rule (`domain::totals`) through the
//! API, identical on SQLite and PostgreSQL; duplicating an invoice.

use serde_json::{Value, json};

use crate::helpers::{Db, id_of, on_both, spawn_app};

on_both!(
    two_rates_and_a_percent_discount_add_up,
    awkward_currencies_and_thirds_round_by_the_rule,
    bad_taxes_and_discounts_are_422,
    edits_change_the_discount_and_keep_the_rest,
    duplicate_makes_a_new_draft_without_payments,
);

fn body(currency: &str, items: Value, discount: Value) -> Value {
    json!({
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "currency": currency,
        "issueDate": "2030-03-01",
        "dueDate": "2030-03-31",
        "reference": "PO-4711",
        "items": items,
        "discount": discount,
    })
}

fn figures(invoice: &Value) -> Value {
    json!({
        "subtotal": invoice["subtotal"], "discountAmount": invoice["discountAmount"],
        "taxes": invoice["taxes"], "total": invoice["total"],
    })
}

async fn two_rates_and_a_percent_discount_add_up(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let items = json!([
        {"description": "Bread", "quantity": 4, "unitPrice": 2500, "taxRate": 2000},
        {"description": "Books", "quantity": 1, "unitPrice": 5000, "taxRate": 550},
        {"description": "Advice", "quantity": 1, "unitPrice": 1000}
    ]);
    let created = app.post("/api/invoices", &body("EUR", items, json!({"percent": 1000}))).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let invoice = created.body;
    // 160.00 − 16.00; shares 10.00 / 5.00 / 1.00; 90.00 × 20 % = 18.00; 45.00 × 5.5 % = 2.475.
    assert_eq!(
        figures(&invoice),
        json!({"subtotal": 16000, "discountAmount": 1600,
               "taxes": [{"rate": 550, "amount": 248}, {"rate": 2000, "amount": 1800}],
               "total": 16000 - 1600 + 248 + 1800})
    );
    assert_eq!(invoice["discount"], json!({"percent": 1000}));
    assert_eq!(
        (invoice["issueDate"].clone(), invoice["reference"].clone()),
        (json!("2030-03-01"), json!("PO-4711"))
    );
    assert_eq!(invoice["items"][1]["taxRate"], 550);
    assert_eq!(invoice["balanceDue"], invoice["total"]);
    let id = id_of(&invoice);
    app.post_empty(&format!("/api/invoices/{id}/send")).await;
    let public = app.get(&format!("/api/pay/{id}")).await;
    assert_eq!(figures(&public.body), figures(&invoice), "the payer sees the same figures");
    assert_eq!(public.body["reference"], "PO-4711");
    // Paying the total settles it.
    let paid = app.pay(&id, 16448).await;
    assert_eq!(paid.status, 201, "{:#}", paid.body);
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["status"], "paid");
    let mail = app.store.mail_of(&app.user.id, 10).await.unwrap();
    let sent = mail.iter().find(|m| m.kind == "invoice").unwrap();
    for needle in [
        "Subtotal: €160.00",
        "Discount: -€16.00",
        "Tax 5.5%: €2.48",
        "Tax 20%: €18.00",
        "Total: €164.48",
        "PO-4711",
    ] {
        assert!(sent.body_text.contains(needle), "{needle} in {}", sent.body_text);
    }
}

async fn awkward_currencies_and_thirds_round_by_the_rule(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    // JPY (no decimals): ¥1,000 × 3 at 10 %, ¥333 off: base 2,667 → tax 266.7 → 267.
    let yen = json!([
        {"description": "A", "quantity": 1, "unitPrice": 1000, "taxRate": 1000},
        {"description": "B", "quantity": 1, "unitPrice": 1000, "taxRate": 1000},
        {"description": "C", "quantity": 1, "unitPrice": 1000, "taxRate": 1000}
    ]);
    let invoice = app.post("/api/invoices", &body("JPY", yen, json!({"amount": 333}))).await.body;
    assert_eq!(
        figures(&invoice),
        json!({"subtotal": 3000, "discountAmount": 333, "taxes": [{"rate": 1000, "amount": 267}], "total": 2934})
    );
    // KWD (three decimals): 1.237 at 15 % = 0.18555 → 0.186.
    let dinar = json!([{"description": "A", "quantity": 1, "unitPrice": 1237, "taxRate": 1500}]);
    let invoice = app.post("/api/invoices", &body("KWD", dinar, Value::Null)).await.body;
    assert_eq!(figures(&invoice)["taxes"], json!([{"rate": 1500, "amount": 186}]));
    assert_eq!(invoice["total"], 1423);
    // 33.33 % of 1.00 over 0.33 + 0.33 + 0.34 at 7 %: 0.33 off, base 0.67 → 0.0469 → 0.05.
    let thirds = json!([
        {"description": "A", "quantity": 1, "unitPrice": 33, "taxRate": 700},
        {"description": "B", "quantity": 1, "unitPrice": 33, "taxRate": 700},
        {"description": "C", "quantity": 1, "unitPrice": 34, "taxRate": 700}
    ]);
    let invoice =
        app.post("/api/invoices", &body("EUR", thirds, json!({"percent": 3333}))).await.body;
    assert_eq!(
        figures(&invoice),
        json!({"subtotal": 100, "discountAmount": 33, "taxes": [{"rate": 700, "amount": 5}], "total": 72})
    );
    // 100 lines of 0.05 at 10 %: per line would be 100 × 0.01; per rate total 5.00 × 10 % = 0.50.
    let many: Vec<Value> = (0..100)
        .map(|i| json!({"description": format!("Line {i}"), "quantity": 1, "unitPrice": 5, "taxRate": 1000}))
        .collect();
    let invoice = app.post("/api/invoices", &body("EUR", json!(many), Value::Null)).await.body;
    assert_eq!(figures(&invoice)["taxes"], json!([{"rate": 1000, "amount": 50}]));
    assert_eq!(invoice["total"], 550);
    // Read back from the database, the figures are the same.
    let shown = app.get(&format!("/api/invoices/{}", id_of(&invoice))).await.body;
    assert_eq!(figures(&shown), figures(&invoice));
}

async fn bad_taxes_and_discounts_are_422(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let line = |rate: Value| json!([{"description": "A", "quantity": 1, "unitPrice": 100, "taxRate": rate}]);
    for (rate, field) in [
        (json!(10_001), "items[0].taxRate"),
        (json!(-1), "items[0].taxRate"),
        (json!(12.5), "items[0].taxRate"),
        (json!("20%"), "items[0].taxRate"),
    ] {
        app.post("/api/invoices", &body("EUR", line(rate), Value::Null)).await.assert_error(
            422,
            "validation_failed",
            &[field],
        );
    }
    let ok = line(json!(0));
    for (discount, field) in [
        (json!({"percent": 10_001}), "discount.percent"),
        (json!({"percent": -5}), "discount.percent"),
        (json!({"amount": 101}), "discount.amount"),
        (json!({"amount": 1, "percent": 1}), "discount"),
        (json!({"amount": 0.5}), "discount.amount"),
        (json!("10%"), "discount"),
        (json!({"percent": 10_000}), "total"),
        (json!({"amount": 100}), "total"),
    ] {
        app.post("/api/invoices", &body("EUR", ok.clone(), discount.clone())).await.assert_error(
            422,
            "validation_failed",
            &[field],
        );
    }
    let mut long = body("EUR", ok.clone(), Value::Null);
    long["reference"] = json!("x".repeat(101));
    app.post("/api/invoices", &long).await.assert_error(422, "validation_failed", &["reference"]);
    long["reference"] = json!("PO\n1");
    app.post("/api/invoices", &long).await.assert_error(422, "validation_failed", &["reference"]);
    // Nothing was created by the refusals: the next invoice is number 1.
    let created = app.post("/api/invoices", &body("EUR", ok, Value::Null)).await;
    assert_eq!(created.body["number"], 1);
}

async fn edits_change_the_discount_and_keep_the_rest(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let items = json!([{"description": "A", "quantity": 2, "unitPrice": 5000, "taxRate": 2000}]);
    let id =
        id_of(&app.post("/api/invoices", &body("EUR", items, json!({"amount": 1000}))).await.body);
    let edited = app.patch(&format!("/api/invoices/{id}"), &json!({"notes": "thanks"})).await.body;
    assert_eq!(edited["discount"], json!({"amount": 1000}));
    assert_eq!(edited["total"], 10_800);
    let cleared = app.patch(&format!("/api/invoices/{id}"), &json!({"discount": null})).await.body;
    assert_eq!(
        (cleared["discount"].clone(), cleared["total"].clone()),
        (Value::Null, json!(12_000))
    );
    let pct = app
        .patch(
            &format!("/api/invoices/{id}"),
            &json!({"discount": {"percent": 2500}, "reference": "PO-9"}),
        )
        .await
        .body;
    assert_eq!(
        (pct["discountAmount"].clone(), pct["total"].clone(), pct["reference"].clone()),
        (json!(2500), json!(9000), json!("PO-9"))
    );
}

async fn duplicate_makes_a_new_draft_without_payments(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let items = json!([{"description": "A", "quantity": 3, "unitPrice": 1000, "taxRate": 1000}]);
    let original =
        app.post("/api/invoices", &body("EUR", items, json!({"percent": 500}))).await.body;
    let id = id_of(&original);
    app.post_empty(&format!("/api/invoices/{id}/send")).await;
    app.pay(&id, 1000).await;

    let copy = app.post_empty(&format!("/api/invoices/{id}/duplicate")).await;
    assert_eq!(copy.status, 201, "{:#}", copy.body);
    let copy = copy.body;
    assert_ne!(copy["id"], original["id"]);
    assert_eq!((copy["number"].clone(), copy["status"].clone()), (json!(2), json!("draft")));
    assert_eq!((copy["payments"].clone(), copy["amountPaid"].clone()), (json!([]), json!(0)));
    for field in
        ["items", "customer", "discount", "reference", "subtotal", "taxes", "total", "currency"]
    {
        assert_eq!(copy[field], original[field], "{field}");
    }
    let today = invoicing::domain::invoice::format_date(invoicing::domain::Timestamp::now().date());
    assert_eq!(copy["issueDate"], today.as_str());
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["amountPaid"], 1000);
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(app.post_empty(&format!("/api/invoices/{unknown}/duplicate")).await.status, 404);
}
