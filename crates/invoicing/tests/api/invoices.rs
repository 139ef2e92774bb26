//! Creating, listing, showing, editing, sending and voiding invoices; every bad input.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Db, create_user, id_of, invoice_body, on_both, spawn_app};

on_both!(
    create_returns_a_draft_with_amounts,
    list_is_newest_first_and_numbers_are_per_user,
    bad_invoices_are_422,
    bad_bodies_are_400_or_415,
    other_owners_invoices_are_not_found,
    edits_only_before_payment,
    send_and_void_follow_the_status_machine,
    the_scheduler_marks_overdue,
    actions_come_from_the_status_machine,
);

async fn create_returns_a_draft_with_amounts(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let invoice = app.create_invoice().await;
    let id = id_of(&invoice);
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_eq!(invoice["number"], 1);
    assert_eq!(invoice["status"], "draft");
    let customer = &invoice["customer"];
    assert_eq!(
        (customer["name"].clone(), customer["email"].clone()),
        (json!("Ada Lovelace"), json!("ada@example.com"))
    );
    assert!(customer["id"].is_string(), "a new name makes a customer of the directory");
    assert_eq!(invoice["currency"], "EUR");
    assert_eq!(
        invoice["items"],
        json!([
            {"description": "Consulting", "quantity": 2, "unitPrice": 1500, "amount": 3000, "taxRate": 0},
            {"description": "Travel", "quantity": 1, "unitPrice": 2000, "amount": 2000, "taxRate": 0}
        ])
    );
    assert_eq!((invoice["total"].clone(), invoice["amountPaid"].clone()), (json!(5000), json!(0)));
    assert_eq!(invoice["balanceDue"], 5000);
    // No tax, no discount, issued today: the figures are the plain sum.
    assert_eq!(
        (invoice["subtotal"].clone(), invoice["discountAmount"].clone()),
        (json!(5000), json!(0))
    );
    assert_eq!((invoice["taxes"].clone(), invoice["discount"].clone()), (json!([]), Value::Null));
    assert_eq!(invoice["displayNumber"], "#1");
    assert_eq!(invoice["dueDate"], "2099-12-31");
    assert_eq!(invoice["notes"], "Thank you");
    assert_eq!(invoice["payments"], json!([]));
    assert_eq!(invoice["payUrl"], format!("{}/pay/{id}", app.base));
    for field in ["createdAt", "updatedAt"] {
        let text = invoice[field].as_str().unwrap();
        assert!(text.ends_with('Z') && text.len() == 24, "{field}: {text}");
    }
    let shown = app.get(&format!("/api/invoices/{id}")).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body, invoice);
}

async fn list_is_newest_first_and_numbers_are_per_user(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let first = app.create_invoice().await;
    let second = app.create_invoice().await;
    assert_eq!(second["number"], 2);
    let list = app.get("/api/invoices").await;
    assert_eq!(list.status, 200);
    let ids: Vec<&str> = list.body["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second["id"].as_str().unwrap(), first["id"].as_str().unwrap()]);

    create_user(&app.store, "other@example.com", "Other").await;
    let other = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = json!({"email": "other@example.com", "password": crate::helpers::PASSWORD});
    app.request(&other, Method::POST, "/api/auth/login", Some(&login), &[]).await;
    let theirs =
        app.request(&other, Method::POST, "/api/invoices", Some(&invoice_body()), &[]).await;
    assert_eq!(theirs.body["number"], 1);
    let their_list = app.request(&other, Method::GET, "/api/invoices", None, &[]).await;
    assert_eq!(their_list.body["invoices"].as_array().unwrap().len(), 1);
}

fn with(change: impl FnOnce(&mut Value)) -> Value {
    let mut body = invoice_body();
    change(&mut body);
    body
}

async fn bad_invoices_are_422(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let cases: Vec<(Value, &[&str])> = vec![
        (with(|b| b["items"] = json!([])), &["items"]),
        (with(|b| b["items"][0]["unitPrice"] = json!(0)), &["items[0].unitPrice"]),
        (with(|b| b["items"][0]["unitPrice"] = json!(-5)), &["items[0].unitPrice"]),
        (with(|b| b["items"][1]["quantity"] = json!(0)), &["items[1].quantity"]),
        (with(|b| b["items"][1]["quantity"] = json!(1.5)), &["items[1].quantity"]),
        (with(|b| b["items"][0]["unitPrice"] = json!(12.5)), &["items[0].unitPrice"]),
        (with(|b| b["items"][0]["unitPrice"] = json!(u64::MAX)), &["items[0].unitPrice"]),
        (with(|b| b["items"][0]["unitPrice"] = json!("12")), &["items[0].unitPrice"]),
        (with(|b| b["items"][0]["unitPrice"] = json!(i64::MAX)), &["items[0].unitPrice"]),
        (with(|b| b["items"][0]["description"] = json!("  ")), &["items[0].description"]),
        (with(|b| b["currency"] = json!("EURO")), &["currency"]),
        (with(|b| b["currency"] = json!("XXX")), &["currency"]),
        (with(|b| b["dueDate"] = json!("31/12/2099")), &["dueDate"]),
        (with(|b| b["customer"]["email"] = json!("nope")), &["customer.email"]),
        (with(|b| b["customer"]["name"] = json!("")), &["customer.name"]),
        (json!({}), &["customer.name", "customer.email", "currency", "dueDate", "items"]),
    ];
    for (body, fields) in cases {
        let answer = app.post("/api/invoices", &body).await;
        answer.assert_error(422, "validation_failed", fields);
    }
    let list = app.get("/api/invoices").await;
    assert_eq!(list.body["invoices"], json!([]), "nothing was created");
}

async fn bad_bodies_are_400_or_415(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let url = format!("{}/api/invoices", app.base);
    let syntax = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(syntax.status(), 400);
    let body: Value = syntax.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_request");
    let plain = app.client.post(&url).body("{}").send().await.unwrap();
    assert_eq!(plain.status(), 415);
    let wrong_type = app.post("/api/invoices", &json!({"items": "many"})).await;
    wrong_type.assert_error(422, "validation_failed", &["body"]);
}

async fn other_owners_invoices_are_not_found(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.create_invoice().await);
    create_user(&app.store, "other@example.com", "Other").await;
    let other = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = json!({"email": "other@example.com", "password": crate::helpers::PASSWORD});
    app.request(&other, Method::POST, "/api/auth/login", Some(&login), &[]).await;
    let attempts = [
        (Method::GET, format!("/api/invoices/{id}"), None),
        (Method::PATCH, format!("/api/invoices/{id}"), Some(json!({"notes": "mine"}))),
        (Method::POST, format!("/api/invoices/{id}/send"), None),
        (Method::POST, format!("/api/invoices/{id}/void"), None),
        (
            Method::POST,
            format!("/api/invoices/{id}/payments"),
            Some(json!({"amount": 1, "method": "cash"})),
        ),
    ];
    for (method, path, body) in attempts {
        let answer = app.request(&other, method, &path, body.as_ref(), &[]).await;
        answer.assert_error(404, "not_found", &[]);
    }
    for missing in [
        "/api/invoices/00000000-0000-4000-8000-000000000000",
        "/api/invoices/1",
        "/api/invoices/x%27",
    ] {
        app.get(missing).await.assert_error(404, "not_found", &[]);
    }
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["status"], "draft");
}

async fn edits_only_before_payment(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.create_invoice().await);
    let path = format!("/api/invoices/{id}");
    let edited = app
        .patch(&path, &json!({"notes": "Updated", "items": [{"description": "One", "quantity": 3, "unitPrice": 700}]}))
        .await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(
        (edited.body["notes"].clone(), edited.body["total"].clone()),
        (json!("Updated"), json!(2100))
    );
    assert_eq!(edited.body["customer"]["name"], "Ada Lovelace", "unchanged fields stay");
    let partial = app.patch(&path, &json!({"customer": {"name": "Ada King"}})).await;
    let customer = &partial.body["customer"];
    assert_eq!(
        (customer["name"].clone(), customer["email"].clone()),
        (json!("Ada King"), json!("ada@example.com"))
    );
    app.patch(&path, &json!({"items": []})).await.assert_error(
        422,
        "validation_failed",
        &["items"],
    );
    app.patch(&path, &json!({"currency": "ABC"})).await.assert_error(
        422,
        "validation_failed",
        &["currency"],
    );

    assert_eq!(app.post_empty(&format!("{path}/send")).await.status, 200);
    assert_eq!(
        app.patch(&path, &json!({"dueDate": "2099-01-01"})).await.status,
        200,
        "sent invoices are editable"
    );
    assert_eq!(app.pay(&id, 100).await.status, 201);
    app.patch(&path, &json!({"notes": "x"})).await.assert_error(409, "illegal_transition", &[]);
    assert_eq!(app.pay(&id, 2000).await.body["invoice"]["status"], "paid");
    app.patch(&path, &json!({"notes": "x"})).await.assert_error(409, "illegal_transition", &[]);

    let void_id = id_of(&app.create_invoice().await);
    app.post_empty(&format!("/api/invoices/{void_id}/void")).await;
    app.patch(&format!("/api/invoices/{void_id}"), &json!({"notes": "x"})).await.assert_error(
        409,
        "illegal_transition",
        &[],
    );
}

async fn send_and_void_follow_the_status_machine(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.create_invoice().await);
    let sent = app.post_empty(&format!("/api/invoices/{id}/send")).await;
    assert_eq!(sent.body["status"], "sent");
    app.post_empty(&format!("/api/invoices/{id}/send")).await.assert_error(
        409,
        "illegal_transition",
        &[],
    );
    let voided = app.post_empty(&format!("/api/invoices/{id}/void")).await;
    assert_eq!(voided.body["status"], "void");
    app.post_empty(&format!("/api/invoices/{id}/void")).await.assert_error(
        409,
        "illegal_transition",
        &[],
    );
    app.post_empty(&format!("/api/invoices/{id}/send")).await.assert_error(
        409,
        "illegal_transition",
        &[],
    );

    let draft = id_of(&app.create_invoice().await);
    assert_eq!(app.post_empty(&format!("/api/invoices/{draft}/void")).await.body["status"], "void");

    let partly = id_of(&app.sent_invoice().await);
    app.pay(&partly, 100).await;
    let refused = app.post_empty(&format!("/api/invoices/{partly}/void")).await;
    refused.assert_error(409, "illegal_transition", &[]);
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("partially_paid"));
    app.pay(&partly, 4900).await;
    app.post_empty(&format!("/api/invoices/{partly}/void")).await.assert_error(
        409,
        "illegal_transition",
        &[],
    );
}

async fn the_scheduler_marks_overdue(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let past = with(|b| b["dueDate"] = json!("2020-01-31"));
    let draft = id_of(&app.post("/api/invoices", &past).await.body);
    let sent = id_of(&app.post("/api/invoices", &past).await.body);
    let partly = id_of(&app.post("/api/invoices", &past).await.body);
    for id in [&sent, &partly] {
        app.post_empty(&format!("/api/invoices/{id}/send")).await;
    }
    app.pay(&partly, 1000).await;
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    loop {
        let a = app.get(&format!("/api/invoices/{sent}")).await.body["status"].clone();
        let b = app.get(&format!("/api/invoices/{partly}")).await.body["status"].clone();
        if a == "overdue" && b == "overdue" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "not overdue: {a} {b}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.get(&format!("/api/invoices/{draft}")).await.body["status"], "draft");
    // Overdue: partial payments keep it overdue, edits are refused, void and settling work.
    assert_eq!(app.pay(&partly, 1000).await.body["invoice"]["status"], "overdue");
    app.patch(&format!("/api/invoices/{sent}"), &json!({"notes": "x"})).await.assert_error(
        409,
        "illegal_transition",
        &[],
    );
    assert_eq!(app.pay(&partly, 3000).await.body["invoice"]["status"], "paid");
    assert_eq!(app.post_empty(&format!("/api/invoices/{sent}/void")).await.body["status"], "void");
}

async fn actions_come_from_the_status_machine(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let draft = app.create_invoice().await;
    assert_eq!(draft["actions"], json!(["edit", "send", "void"]));
    let id = id_of(&draft);
    assert_eq!(app.get(&format!("/api/invoices/{id}")).await.body["actions"], draft["actions"]);

    let sent = app.post_empty(&format!("/api/invoices/{id}/send")).await.body;
    assert_eq!(sent["actions"], json!(["edit", "record_payment", "void"]));
    let paid = app.pay(&id, 5000).await.body["invoice"].clone();
    let only_corrections = json!(["remove_payment"]);
    assert_eq!(
        (paid["status"].clone(), paid["actions"].clone()),
        (json!("paid"), only_corrections)
    );
    let listed = app.get("/api/invoices").await.body["invoices"][0].clone();
    assert_eq!(listed["actions"], json!(["remove_payment"]));

    let public = app.get(&format!("/api/pay/{id}")).await.body;
    assert!(public.get("actions").is_none(), "the payer's view has no actions");
}
