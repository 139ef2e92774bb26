//! Invoice and receipt PDFs over HTTP, for the owner and the payer.

use reqwest::Method;
use serde_json::json;

use crate::contract::{Received, assert_conforms};
use crate::helpers::{Db, PASSWORD, TestApp, create_user, id_of, on_both, spawn_app};

on_both!(
    owners_download_invoices_and_receipts,
    payers_download_without_owner_data,
    drafts_are_the_owners_alone,
    unknown_and_foreign_ids_are_404,
    paper_sizes,
    the_business_taxes_and_discount_are_on_the_pdf,
);

/// Status, content type, content disposition and body of a GET; every answer is private
/// (`no-store`) and not sniffed.
async fn fetch(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
) -> (u16, String, String, Vec<u8>) {
    let response = client.get(format!("{}{path}", app.base)).send().await.unwrap();
    let header = |name: &str| {
        response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    };
    assert_eq!(header("cache-control"), "no-store", "{path}");
    assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
    let (status, content_type, disposition) =
        (response.status().as_u16(), header("content-type"), header("content-disposition"));
    let bytes = response.bytes().await.unwrap().to_vec();
    let json: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
    assert_conforms(&Received {
        method: &Method::GET,
        path,
        status,
        content_type: Some(&content_type),
        json: json.as_ref(),
        empty: bytes.is_empty(),
    });
    (status, content_type, disposition, bytes)
}

fn pdftotext(pdf: &[u8]) -> String {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), pdf).unwrap();
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", file.path().to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext: install poppler-utils (scripts/install-test-deps.sh)");
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

fn assert_json_404(status: u16, content_type: &str, body: &[u8]) {
    assert_eq!(status, 404);
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let body: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

async fn owners_download_invoices_and_receipts(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let paid = app.pay(&id, 1000).await;
    assert_eq!(paid.status, 201, "{:#}", paid.body);
    let payment = paid.body["payment"]["id"].as_str().unwrap().to_owned();

    let (status, content_type, disposition, pdf) =
        fetch(&app, &app.client, &format!("/api/invoices/{id}/pdf")).await;
    assert_eq!(status, 200);
    assert_eq!(content_type, "application/pdf");
    assert_eq!(disposition, "attachment; filename=\"invoice-1.pdf\"");
    let text = pdftotext(&pdf);
    for expected in [
        "Acme Ltd",
        "Ada Lovelace",
        "ada@example.com",
        "Consulting",
        "Travel",
        "€15.00",
        "€50.00",
        "€40.00",
        "Thank you",
        &format!("/pay/{id}"),
    ] {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }

    let path = format!("/api/invoices/{id}/payments/{payment}/receipt.pdf");
    let (status, content_type, disposition, pdf) = fetch(&app, &app.client, &path).await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    assert_eq!(disposition, format!("attachment; filename=\"receipt-1-{}.pdf\"", &payment[..8]));
    let text = pdftotext(&pdf);
    for expected in ["RECEIPT", "€10.00", "REF-1", "bank transfer", payment.as_str(), "€40.00"]
    {
        assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
    }

    // Without a session: 401, as every owner route.
    let anonymous = reqwest::Client::new();
    let (status, _, _, _) = fetch(&app, &anonymous, &format!("/api/invoices/{id}/pdf")).await;
    assert_eq!(status, 401);
}

async fn payers_download_without_owner_data(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let paid = app.pay(&id, 1000).await;
    let payment = paid.body["payment"]["id"].as_str().unwrap().to_owned();
    let payer = reqwest::Client::new();

    let (status, content_type, disposition, pdf) =
        fetch(&app, &payer, &format!("/api/pay/{id}/pdf")).await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    assert_eq!(disposition, "attachment; filename=\"invoice-1.pdf\"");
    let text = pdftotext(&pdf);
    assert!(text.contains("Ada Lovelace") && text.contains("€40.00"), "{text}");
    assert!(!text.contains("example.com"), "no e-mail addresses for the payer:\n{text}");

    // The receipt page's data: the payment, nothing of the owner's.
    let path = format!("/api/pay/{id}/payments/{payment}");
    let seen = app.request(&payer, Method::GET, &path, None, &[]).await;
    assert_eq!(seen.status, 200, "{:#}", seen.body);
    let mut keys: Vec<&str> = seen.body.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["amount", "createdAt", "id", "method", "refunded"]);
    assert_eq!(seen.body["amount"], 1000);
    let unknown = format!("/api/pay/{id}/payments/{}", uuid::Uuid::new_v4());
    app.request(&payer, Method::GET, &unknown, None, &[]).await.assert_error(404, "not_found", &[]);

    let path = format!("/api/pay/{id}/payments/{payment}/receipt.pdf");
    let (status, content_type, _, pdf) = fetch(&app, &payer, &path).await;
    assert_eq!((status, content_type.as_str()), (200, "application/pdf"));
    let text = pdftotext(&pdf);
    assert!(text.contains("RECEIPT") && text.contains("€10.00"), "{text}");
    assert!(!text.contains("example.com"));
}

async fn drafts_are_the_owners_alone(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let draft = id_of(&app.create_invoice().await);
    let (status, _, _, pdf) = fetch(&app, &app.client, &format!("/api/invoices/{draft}/pdf")).await;
    assert_eq!(status, 200);
    let text = pdftotext(&pdf);
    assert!(text.contains("DRAFT"), "{text}");
    assert!(!text.contains("/pay/"), "no payment link on a draft");

    let payer = reqwest::Client::new();
    let (status, content_type, _, body) =
        fetch(&app, &payer, &format!("/api/pay/{draft}/pdf")).await;
    assert_json_404(status, &content_type, &body);
}

async fn unknown_and_foreign_ids_are_404(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let paid = app.pay(&id, 1000).await;
    let payment = paid.body["payment"]["id"].as_str().unwrap().to_owned();
    let unknown = uuid::Uuid::new_v4().to_string();
    let payer = reqwest::Client::new();
    for (client, path) in [
        (&app.client, format!("/api/invoices/{unknown}/pdf")),
        (&app.client, "/api/invoices/not-an-id/pdf".to_owned()),
        (&app.client, format!("/api/invoices/{id}/payments/{unknown}/receipt.pdf")),
        (&app.client, format!("/api/invoices/{id}/payments/nope/receipt.pdf")),
        (&app.client, format!("/api/invoices/{unknown}/payments/{payment}/receipt.pdf")),
        (&payer, format!("/api/pay/{unknown}/pdf")),
        (&payer, "/api/pay/%00/pdf".to_owned()),
        (&payer, format!("/api/pay/{id}/payments/{unknown}/receipt.pdf")),
    ] {
        let (status, content_type, _, body) = fetch(&app, client, &path).await;
        assert_json_404(status, &content_type, &body);
    }

    // Another owner sees none of it.
    create_user(&app.store, "other@example.com", "Other").await;
    let other = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let body = json!({"email": "other@example.com", "password": PASSWORD});
    let login = app.request(&other, Method::POST, "/api/auth/login", Some(&body), &[]).await;
    assert_eq!(login.status, 200);
    for path in [
        format!("/api/invoices/{id}/pdf"),
        format!("/api/invoices/{id}/payments/{payment}/receipt.pdf"),
    ] {
        let (status, content_type, _, body) = fetch(&app, &other, &path).await;
        assert_json_404(status, &content_type, &body);
    }
}

async fn paper_sizes(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let (status, _, _, pdf) =
        fetch(&app, &app.client, &format!("/api/pay/{id}/pdf?paper=letter")).await;
    assert_eq!(status, 200);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &pdf).unwrap();
    let info = std::process::Command::new("pdfinfo").arg(file.path()).output().unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(info.contains("612 x 792 pts (letter)"), "{info}");

    let bad = app.get(&format!("/api/pay/{id}/pdf?paper=a0")).await;
    bad.assert_error(422, "validation_failed", &["paper"]);
}

/// The seller's profile and logo, the customer's address and tax id, the display number, the
/// taxes per rate and the discount: the same figures as the invoice view, on both PDFs.
async fn the_business_taxes_and_discount_are_on_the_pdf(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let profile = json!({
        "legalName": "Zoë Bakery SARL", "address": "1 Rue du Four\n75006 Paris",
        "taxId": "FR40303265045", "numberPrefix": "INV-2030-",
        "paymentInstructions": "IBAN FR76 3000 6000 0112 3456 7890 189",
    });
    let saved = app.put("/api/profile", &profile).await;
    assert_eq!(saved.status, 200, "{:#}", saved.body);
    let logo = include_bytes!("../fixtures/logo.png").to_vec();
    let uploaded = app.put_bytes("/api/profile/logo", logo, "image/png").await;
    assert_eq!(uploaded.status, 200, "{:#}", uploaded.body);
    let body = json!({
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com",
                     "address": "12 St James's Square\nLondon", "taxId": "GB987"},
        "currency": "EUR", "issueDate": "2030-03-01", "dueDate": "2030-03-31",
        "reference": "PO-4711",
        "items": [
            {"description": "Bread", "quantity": 4, "unitPrice": 2500, "taxRate": 2000},
            {"description": "Books", "quantity": 1, "unitPrice": 5000, "taxRate": 550},
            {"description": "Advice", "quantity": 1, "unitPrice": 1000}
        ],
        "discount": {"percent": 1000},
    });
    let created = app.post("/api/invoices", &body).await;
    assert_eq!(created.status, 201, "{:#}", created.body);
    let id = id_of(&created.body);
    assert_eq!(app.post_empty(&format!("/api/invoices/{id}/send")).await.status, 200);

    for (client, path) in [
        (&app.client, format!("/api/invoices/{id}/pdf")),
        (&reqwest::Client::new(), format!("/api/pay/{id}/pdf")),
    ] {
        let (status, _, disposition, pdf) = fetch(&app, client, &path).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(disposition, "attachment; filename=\"invoice-INV-2030-0001.pdf\"");
        let text = pdftotext(&pdf);
        for expected in [
            "Zoë Bakery SARL",
            "75006 Paris",
            "FR40303265045",
            "INV-2030-0001",
            "PO-4711",
            "12 St James's Square",
            "GB987",
            "2030-03-01",
            "€160.00",
            "-€16.00",
            "Tax 5.5%",
            "€2.48",
            "Tax 20%",
            "€18.00",
            "€164.48",
            "IBAN FR76 3000 6000 0112 3456 7890 189",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from {path}:\n{text}");
        }
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), &pdf).unwrap();
        let images = std::process::Command::new("pdfimages")
            .args(["-list", file.path().to_str().unwrap()])
            .output()
            .expect("pdfimages (poppler-utils)");
        let listed = String::from_utf8_lossy(&images.stdout);
        assert_eq!(listed.lines().count(), 3, "a header of two lines and the logo:\n{listed}");
    }
}
