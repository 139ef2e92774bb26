//! The customer directory: CRUD, invoices by `customerId` or inline name, snapshots that
//! later edits do not rewrite, the customer page's invoices and outstanding totals.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Db, PASSWORD, create_user, id_of, invoice_body, on_both, spawn_app};

on_both!(
    customers_are_created_listed_searched_and_edited,
    invoices_link_customers_and_keep_their_snapshot,
    the_customer_page_sums_what_is_outstanding_per_currency,
    a_full_directory_refuses_new_customers_and_leaves_invoices_unlinked,
);

fn ada() -> Value {
    json!({
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "address": "12 St James's Square\nLondon",
        "taxId": "GB987",
        "notes": "Prefers e-mail"
    })
}

async fn customers_are_created_listed_searched_and_edited(db: Db) {
    let app = spawn_app(db).await;
    assert_eq!(app.get("/api/customers").await.status, 401);
    app.login().await;
    let created = app.post("/api/customers", &ada()).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let id = id_of(&created.body);
    assert_eq!(created.body["address"], "12 St James's Square\nLondon");
    app.post("/api/customers", &json!({"name": "Charles Babbage", "email": "cb@example.com"}))
        .await;

    let all = app.get("/api/customers").await;
    let names: Vec<&str> = all.body["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ada Lovelace", "Charles Babbage"]);
    let found = app.get("/api/customers?q=LOVE").await;
    assert_eq!(found.body["customers"].as_array().unwrap().len(), 1);
    assert_eq!(found.body["customers"][0]["id"], id.as_str());
    let limited = app.get("/api/customers?limit=1").await;
    assert_eq!(limited.body["customers"].as_array().unwrap().len(), 1);

    let edited =
        app.patch(&format!("/api/customers/{id}"), &json!({"email": "ada@newmail.example"})).await;
    assert_eq!(edited.status, 200, "{:#}", edited.body);
    assert_eq!(
        (edited.body["email"].clone(), edited.body["name"].clone()),
        (json!("ada@newmail.example"), json!("Ada Lovelace"))
    );

    // Bad input and clashes.
    app.post("/api/customers", &json!({"name": " ", "email": "x"})).await.assert_error(
        422,
        "validation_failed",
        &["name", "email"],
    );
    app.post("/api/customers", &json!({"name": "ada lovelace", "email": "a@example.com"}))
        .await
        .assert_error(422, "validation_failed", &["name"]);
    app.patch(&format!("/api/customers/{id}"), &json!({"name": "Charles Babbage"}))
        .await
        .assert_error(422, "validation_failed", &["name"]);
    app.patch(&format!("/api/customers/{id}"), &json!({"address": "a\u{202E}b"}))
        .await
        .assert_error(422, "validation_failed", &["address"]);
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(app.get(&format!("/api/customers/{unknown}")).await.status, 404);
    assert_eq!(app.get("/api/customers/not-a-uuid").await.status, 404);
    assert_eq!(app.patch(&format!("/api/customers/{unknown}"), &json!({})).await.status, 404);

    // Another owner sees none of them.
    create_user(&app.store, "other@example.com", "Other").await;
    let other = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let login = json!({"email": "other@example.com", "password": PASSWORD});
    app.request(&other, Method::POST, "/api/auth/login", Some(&login), &[]).await;
    let theirs = app.request(&other, Method::GET, "/api/customers", None, &[]).await;
    assert_eq!(theirs.body["customers"], json!([]));
    let peek = app.request(&other, Method::GET, &format!("/api/customers/{id}"), None, &[]).await;
    assert_eq!(peek.status, 404);
    let mut body = invoice_body();
    body["customerId"] = json!(id);
    let borrowed = app.request(&other, Method::POST, "/api/invoices", Some(&body), &[]).await;
    borrowed.assert_error(422, "validation_failed", &["customerId"]);
}

async fn invoices_link_customers_and_keep_their_snapshot(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let customer = app.post("/api/customers", &ada()).await.body;
    let id = id_of(&customer);
    let mut body = invoice_body();
    body.as_object_mut().unwrap().remove("customer");
    body["customerId"] = json!(id);
    let invoice = app.post("/api/invoices", &body).await;
    assert_eq!(invoice.status, 201, "{:#}", invoice.body);
    let expected = json!({
        "id": id, "name": "Ada Lovelace", "email": "ada@example.com",
        "address": "12 St James's Square\nLondon", "taxId": "GB987"
    });
    assert_eq!(invoice.body["customer"], expected);
    let invoice_id = id_of(&invoice.body);
    app.post_empty(&format!("/api/invoices/{invoice_id}/send")).await;

    // Editing the customer does not rewrite the invoice already sent.
    app.patch(
        &format!("/api/customers/{id}"),
        &json!({"name": "Ada King", "address": "Elsewhere"}),
    )
    .await;
    let kept = app.get(&format!("/api/invoices/{invoice_id}")).await;
    assert_eq!(kept.body["customer"], expected);
    let public = app.get(&format!("/api/pay/{invoice_id}")).await;
    assert_eq!(public.body["customer"]["name"], "Ada Lovelace");
    // Editing the invoice's other fields keeps its copy and its link.
    let edited =
        app.patch(&format!("/api/invoices/{invoice_id}"), &json!({"notes": "Thanks"})).await;
    assert_eq!(edited.body["customer"], expected, "{:#}", edited.body);
    let address = json!({"customer": {"address": "New address"}});
    let moved = app.patch(&format!("/api/invoices/{invoice_id}"), &address).await.body;
    assert_eq!(
        (moved["customer"]["id"].clone(), moved["customer"]["address"].clone()),
        (json!(id), json!("New address"))
    );

    // An inline customer with a new name creates one; the same name (any case) links to it.
    let inline = app
        .post(
            "/api/invoices",
            &json!({
                "customer": {"name": "Grace Hopper", "email": "grace@example.com"},
                "currency": "USD", "dueDate": "2099-01-01",
                "items": [{"description": "Compiler", "quantity": 1, "unitPrice": 100}]
            }),
        )
        .await;
    assert_eq!(inline.status, 201, "{:#}", inline.body);
    let grace = inline.body["customer"]["id"].as_str().unwrap().to_owned();
    let again = app
        .post(
            "/api/invoices",
            &json!({
                "customer": {"name": "grace hopper", "email": "grace@example.com"},
                "currency": "USD", "dueDate": "2099-01-01",
                "items": [{"description": "Debugging", "quantity": 1, "unitPrice": 100}]
            }),
        )
        .await;
    assert_eq!(again.body["customer"]["id"], grace.as_str());
    let list = app.get("/api/customers").await;
    assert_eq!(list.body["customers"].as_array().unwrap().len(), 2);

    // An unknown customerId is refused and takes no number.
    let mut unknown = invoice_body();
    unknown["customerId"] = json!(uuid::Uuid::new_v4().to_string());
    app.post("/api/invoices", &unknown).await.assert_error(
        422,
        "validation_failed",
        &["customerId"],
    );
    unknown["customerId"] = json!("nope");
    app.post("/api/invoices", &unknown).await.assert_error(
        422,
        "validation_failed",
        &["customerId"],
    );
    let next = app.create_invoice().await;
    assert_eq!(next["number"], 4, "numbers stay gap-free");
}

async fn the_customer_page_sums_what_is_outstanding_per_currency(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.post("/api/customers", &ada()).await.body);
    let make = |currency: &str, price: i64| {
        json!({
            "customerId": id, "currency": currency, "dueDate": "2099-01-01",
            "items": [{"description": "Work", "quantity": 1, "unitPrice": price}]
        })
    };
    let mut ids = Vec::new();
    for (currency, price) in [("EUR", 1000), ("EUR", 500), ("USD", 700), ("EUR", 9999)] {
        let created = app.post("/api/invoices", &make(currency, price)).await;
        ids.push(id_of(&created.body));
    }
    for sent in &ids[..3] {
        app.post_empty(&format!("/api/invoices/{sent}/send")).await;
    }
    app.pay(&ids[0], 400).await;
    app.pay(&ids[1], 500).await;
    // Another customer's invoice is not theirs; an inline "ada lovelace" is.
    let mut other = invoice_body();
    other["customer"] = json!({"name": "Charles Babbage", "email": "cb@example.com"});
    app.post("/api/invoices", &other).await;
    let mut same = invoice_body();
    same["customer"] = json!({"name": "ada lovelace", "email": "ada@example.com"});
    ids.push(id_of(&app.post("/api/invoices", &same).await.body));

    let page = app.get(&format!("/api/customers/{id}")).await;
    assert_eq!(page.status, 200, "{:#}", page.body);
    assert_eq!(page.body["customer"]["name"], "Ada Lovelace");
    assert_eq!(page.body["invoices"].as_array().unwrap().len(), 5);
    assert_eq!(
        page.body["outstanding"],
        json!([{"currency": "EUR", "amount": 600}, {"currency": "USD", "amount": 700}])
    );
}

async fn a_full_directory_refuses_new_customers_and_leaves_invoices_unlinked(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let max = invoicing::store::customers::MAX_CUSTOMERS;
    app.execute(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {max}) \
         INSERT INTO customers (id, user_id, name, name_key, email, created_at, updated_at) \
         SELECT 'filler-' || i, '{}', 'Filler ' || i, 'filler ' || i, 'f@example.com', 0, 0 FROM n",
        app.user.id
    ))
    .await;
    assert_eq!(app.count_rows("customers").await, max);
    app.post("/api/customers", &ada()).await.assert_error(422, "validation_failed", &["name"]);
    let invoice = app.post("/api/invoices", &invoice_body()).await;
    assert_eq!(invoice.status, 201, "{:#}", invoice.body);
    assert!(invoice.body["customer"].get("id").is_none(), "{:#}", invoice.body);
    assert_eq!(invoice.body["customer"]["name"], "Ada Lovelace");
    // A name already in the directory still links.
    let mut known = invoice_body();
    known["customer"]["name"] = json!("Filler 42");
    let linked = app.post("/api/invoices", &known).await.body;
    assert_eq!(linked["customer"]["id"], "filler-42");
    assert_eq!(app.count_rows("customers").await, max);
}
