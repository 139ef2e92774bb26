//! The business profile and logo (`/api/profile`, `/api/profile/logo`, `/api/pay/{id}/logo`),
//! the display number with a prefix in views, events and e-mails.

use invoicing::domain::logo::{MAX_LOGO_BYTES, tiny_png};
use serde_json::{Value, json};

use crate::helpers::{Db, id_of, invoice_body, on_both, spawn_app};

on_both!(
    the_profile_round_trips_and_bad_fields_are_named,
    the_logo_is_checked_by_content_and_served_safely,
    a_number_prefix_shows_in_views_events_and_mail,
    new_invoices_start_from_the_profile,
);

fn full_profile() -> Value {
    json!({
        "legalName": "Demo Bakery Ltd",
        "address": "1 High Street\nLondon",
        "taxId": "GB123456789",
        "email": "billing@bakery.example",
        "phone": "+44 20 7946 0000",
        "brandColor": "#AA3300",
        "defaultCurrency": "GBP",
        "paymentTermsDays": 14,
        "paymentInstructions": "IBAN GB00 0000 0000 0000\nRef: the invoice number",
        "numberPrefix": "INV-2026-"
    })
}

async fn the_profile_round_trips_and_bad_fields_are_named(db: crate::helpers::Db) {
    let app = spawn_app(db).await;
    assert_eq!(app.get("/api/profile").await.status, 401);
    app.login().await;
    let empty = app.get("/api/profile").await;
    assert_eq!(empty.status, 200, "{:#}", empty.body);
    assert_eq!(empty.body["legalName"], "");
    assert_eq!(empty.body["defaultCurrency"], Value::Null);
    assert_eq!(empty.body["logoUrl"], Value::Null);

    let saved = app.put("/api/profile", &full_profile()).await;
    assert_eq!(saved.status, 200, "{:#}", saved.body);
    let mut expected = full_profile();
    expected["brandColor"] = json!("#aa3300");
    expected["logoUrl"] = Value::Null;
    assert_eq!(saved.body, expected);
    assert_eq!(app.get("/api/profile").await.body, expected);

    let bad = json!({
        "brandColor": "red",
        "defaultCurrency": "POUNDS",
        "paymentTermsDays": 1000,
        "numberPrefix": "INV 2026 <script>",
        "email": "not an address",
        "legalName": "Evil\u{202E}Corp",
    });
    let answer = app.put("/api/profile", &bad).await;
    answer.assert_error(
        422,
        "validation_failed",
        &[
            "brandColor",
            "defaultCurrency",
            "paymentTermsDays",
            "numberPrefix",
            "email",
            "legalName",
        ],
    );
    let answer = app.put("/api/profile", &json!({"paymentTermsDays": 1.5})).await;
    answer.assert_error(422, "validation_failed", &["paymentTermsDays"]);
    assert_eq!(app.get("/api/profile").await.body, expected, "a refused PUT changes nothing");
}

async fn the_logo_is_checked_by_content_and_served_safely(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let png = tiny_png(64, 32);
    let answer = app.put_bytes("/api/profile/logo", png.clone(), "image/png").await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    assert_eq!(answer.body["contentType"], "image/png");
    assert_eq!(
        (answer.body["width"].clone(), answer.body["height"].clone()),
        (json!(64), json!(32))
    );
    assert_eq!(app.get("/api/profile").await.body["logoUrl"], "/api/profile/logo");

    let (status, headers, bytes) = app.get_bytes(&app.client, "/api/profile/logo").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(bytes, png);

    // Wrong type, whatever the Content-Type says.
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    app.put_bytes("/api/profile/logo", html, "image/png").await.assert_error(
        415,
        "unsupported_image",
        &[],
    );
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    app.put_bytes("/api/profile/logo", gif, "image/gif").await.assert_error(
        415,
        "unsupported_image",
        &[],
    );
    // A PNG signature in front of something else, and a PNG whose header lies (CRC).
    let mut lying = b"\x89PNG\r\n\x1a\n".to_vec();
    lying.extend_from_slice(b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>");
    app.put_bytes("/api/profile/logo", lying, "image/png").await.assert_error(
        422,
        "bad_image",
        &[],
    );
    let mut bad_crc = tiny_png(64, 32);
    bad_crc[19] = 0xFF; // width grows to 16 million pixels, CRC unchanged
    app.put_bytes("/api/profile/logo", bad_crc, "image/png").await.assert_error(
        422,
        "bad_image",
        &[],
    );
    // Too big: refused after reading one byte over the limit.
    let mut big = tiny_png(64, 32);
    big.resize(MAX_LOGO_BYTES + 10, 0);
    app.put_bytes("/api/profile/logo", big, "image/png").await.assert_error(
        413,
        "payload_too_large",
        &[],
    );
    let (_, _, still) = app.get_bytes(&app.client, "/api/profile/logo").await;
    assert_eq!(still, png, "refused uploads leave the logo as it was");

    // The payer sees it through the invoice, once sent; a stranger without a session too.
    let draft = app.create_invoice().await;
    let stranger = reqwest::Client::new();
    let path = format!("/api/pay/{}/logo", id_of(&draft));
    assert_eq!(app.get_bytes(&stranger, &path).await.0, 404, "drafts are not public");
    app.post_empty(&format!("/api/invoices/{}/send", id_of(&draft))).await;
    let (status, headers, bytes) = app.get_bytes(&stranger, &path).await;
    assert_eq!((status.as_u16(), bytes), (200, png));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    let public = app
        .request(&stranger, reqwest::Method::GET, &format!("/api/pay/{}", id_of(&draft)), None, &[])
        .await;
    assert_eq!(public.body["seller"]["logoUrl"], path);
}

async fn a_number_prefix_shows_in_views_events_and_mail(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let plain = app.sent_invoice().await;
    assert_eq!(plain["displayNumber"], "#1");
    app.put("/api/profile", &json!({"numberPrefix": "INV-2026-"})).await;
    let before = app.store.all_events().await.unwrap().len();
    let prefixed = app.sent_invoice().await;
    let id = id_of(&prefixed);
    assert_eq!(
        (prefixed["number"].clone(), prefixed["displayNumber"].clone()),
        (json!(2), json!("INV-2026-0002"))
    );
    let paid = app.pay(&id, 5000).await;
    assert_eq!(paid.status, 201, "{:#}", paid.body);

    let events = app.store.all_events().await.unwrap();
    let bodies: Vec<Value> = events[before..]
        .iter()
        .map(|e| serde_json::from_str::<Value>(&e.payload).unwrap())
        .collect();
    let texts: Vec<&str> = bodies.iter().map(|b| b["body"].as_str().unwrap()).collect();
    assert!(texts.contains(&"Invoice INV-2026-0002 has been created"), "{texts:?}");
    assert!(texts.contains(&"Invoice INV-2026-0002 status changed to sent"), "{texts:?}");
    assert!(texts.contains(&"Invoice INV-2026-0002 has been paid successfully"), "{texts:?}");
    let completed = bodies.iter().find(|b| b["type"] == "invoice_completed").unwrap();
    for field in
        ["title", "body", "type", "invoiceId", "status", "sentAt", "eventId", "amount", "currency"]
    {
        assert!(completed.get(field).is_some(), "{field} in {completed}");
    }
    assert_eq!(completed["title"], "✅ Invoice Paid");

    // The first invoice keeps its number; e-mails use the display number.
    let first = app.get(&format!("/api/invoices/{}", id_of(&plain))).await;
    assert_eq!(first.body["displayNumber"], "#1");
    let mail = app.store.mail_of(&app.user.id, 100).await.unwrap();
    let subjects: Vec<&str> = mail.iter().map(|m| m.subject.as_str()).collect();
    assert!(subjects.contains(&"Invoice INV-2026-0002 from Acme Ltd"), "{subjects:?}");
    assert!(subjects.contains(&"Invoice #1 from Acme Ltd"), "{subjects:?}");
    let public = app.get(&format!("/api/pay/{id}")).await;
    assert_eq!(public.body["displayNumber"], "INV-2026-0002");
}

async fn new_invoices_start_from_the_profile(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    app.put("/api/profile", &full_profile()).await;
    let mut body = invoice_body();
    let fields = body.as_object_mut().unwrap();
    fields.remove("currency");
    fields.remove("dueDate");
    fields.insert("issueDate".to_owned(), json!("2030-01-10"));
    let created = app.post("/api/invoices", &body).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let invoice = created.body;
    assert_eq!(invoice["currency"], "GBP");
    assert_eq!(
        (invoice["issueDate"].clone(), invoice["dueDate"].clone()),
        (json!("2030-01-10"), json!("2030-01-24"))
    );
    let instructions = "IBAN GB00 0000 0000 0000\nRef: the invoice number";
    assert_eq!(invoice["paymentInstructions"], instructions);
    let id = id_of(&invoice);
    app.post_empty(&format!("/api/invoices/{id}/send")).await;

    let public = app.get(&format!("/api/pay/{id}")).await;
    assert_eq!(public.body["paymentInstructions"], instructions);
    let seller = &public.body["seller"];
    assert_eq!(seller["name"], "Demo Bakery Ltd");
    assert_eq!(seller["address"], "1 High Street\nLondon");
    assert_eq!(seller["taxId"], "GB123456789");
    assert_eq!(public.body["businessName"], "Demo Bakery Ltd");
    assert!(public.body["customer"].get("email").is_none(), "no e-mail on the public page");

    let mail = app.store.mail_of(&app.user.id, 10).await.unwrap();
    let sent = mail.iter().find(|m| m.kind == "invoice").unwrap();
    assert!(sent.body_text.contains("IBAN GB00 0000 0000 0000"), "{}", sent.body_text);
    assert!(sent.body_html.contains("IBAN GB00 0000 0000 0000"), "{}", sent.body_html);

    // A due date before the issue date is refused.
    let mut early = invoice_body();
    early["issueDate"] = json!("2099-12-31");
    early["dueDate"] = json!("2099-01-01");
    app.post("/api/invoices", &early).await.assert_error(422, "validation_failed", &["dueDate"]);
    early["issueDate"] = json!("31/12/2099");
    app.post("/api/invoices", &early).await.assert_error(422, "validation_failed", &["issueDate"]);
}
