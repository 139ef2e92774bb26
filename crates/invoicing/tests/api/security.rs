//! Cross-origin unsafe requests refused (CSRF) and the security headers on every response.

use reqwest::Method;

use crate::helpers::{Db, Options, TestApp, id_of, on_both, spawn_app, spawn_app_with};

on_both!(
    foreign_origins_are_refused,
    same_origin_and_non_browser_requests_pass,
    the_public_url_is_the_origin_when_set,
    security_headers_on_api_and_pages
);

const FOREIGN: [(&str, &str); 4] = [
    ("origin", "http://127.0.0.1:1"),
    ("origin", "https://evil.example"),
    ("origin", "null"),
    ("sec-fetch-site", "same-site"),
];

/// A POST without a body, with one header, answered by the signed-in client.
async fn post_with(app: &TestApp, path: &str, header: (&str, &str)) -> crate::helpers::Answer {
    app.request(&app.client, Method::POST, path, None, &[header]).await
}

async fn foreign_origins_are_refused(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let id = id_of(&app.create_invoice().await);
    let sent = id_of(&app.sent_invoice().await);
    let checkout = serde_json::json!({"card": {"number": "4242424242424242"}});
    for header in FOREIGN {
        for path in [
            format!("/api/invoices/{id}/send"),
            format!("/api/invoices/{id}/void"),
            "/api/auth/logout".to_owned(),
            "/api/auth/logout-all".to_owned(),
        ] {
            post_with(&app, &path, header).await.assert_error(403, "forbidden", &[]);
        }
        let edit = serde_json::json!({"notes": "x"});
        let path = format!("/api/invoices/{id}");
        let patched = app.request(&app.client, Method::PATCH, &path, Some(&edit), &[header]).await;
        patched.assert_error(403, "forbidden", &[]);
        let payer = reqwest::Client::new();
        let path = format!("/api/pay/{sent}/checkout");
        let paid = app.request(&payer, Method::POST, &path, Some(&checkout), &[header]).await;
        paid.assert_error(403, "forbidden", &[]);
    }
    assert_eq!(app.get("/api/me").await.status, 200, "logout was refused");
    let draft = app.get(&format!("/api/invoices/{id}")).await;
    assert_eq!(draft.body["status"], "draft", "send was refused");
}

async fn same_origin_and_non_browser_requests_pass(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let own = app.base.clone();
    let first = id_of(&app.create_invoice().await);
    let sent = post_with(&app, &format!("/api/invoices/{first}/send"), ("origin", &own)).await;
    assert_eq!(sent.status, 200, "{:#}", sent.body);
    let second = id_of(&app.create_invoice().await);
    let fetch_site = ("sec-fetch-site", "same-origin");
    let voided = post_with(&app, &format!("/api/invoices/{second}/void"), fetch_site).await;
    assert_eq!(voided.status, 200, "{:#}", voided.body);
    // No Origin and no Sec-Fetch-Site: not a browser (curl, an SDK).
    let third = id_of(&app.create_invoice().await);
    assert_eq!(app.post_empty(&format!("/api/invoices/{third}/void")).await.status, 200);
    let out = post_with(&app, "/api/auth/logout", ("origin", &own)).await;
    assert_eq!(out.status, 204, "{:#}", out.body);
    assert_eq!(app.get("/api/me").await.status, 401);
}

async fn the_public_url_is_the_origin_when_set(db: Db) {
    let options = Options { public_url: Some("https://pay.example"), ..Options::default() };
    let app = spawn_app_with(db, options).await;
    app.login().await;
    let id = id_of(&app.create_invoice().await);
    let path = format!("/api/invoices/{id}/send");
    let own = app.base.clone();
    post_with(&app, &path, ("origin", &own)).await.assert_error(403, "forbidden", &[]);
    let sent = post_with(&app, &path, ("origin", "https://pay.example")).await;
    assert_eq!(sent.status, 200, "{:#}", sent.body);
}

async fn security_headers_on_api_and_pages(db: Db) {
    let app = spawn_app(db).await;
    let header = |answer: &crate::helpers::Answer, name: &str| {
        answer.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
    };
    let api = app.get("/api/me").await;
    assert_eq!(header(&api, "cache-control"), "no-store");
    assert_eq!(header(&api, "x-content-type-options"), "nosniff");
    assert_eq!(header(&api, "referrer-policy"), "same-origin");
    let pay = app.get("/api/pay/00000000-0000-4000-8000-000000000000").await;
    assert_eq!(header(&pay, "referrer-policy"), "no-referrer");

    // The pages (here the API's 404 for an unknown path: the test app has no web fallback).
    let page = app.client.get(format!("{}/pay/x", app.base)).send().await.unwrap();
    let get = |name: &str| page.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(get("referrer-policy"), "no-referrer");
    assert_eq!(get("x-content-type-options"), "nosniff");
    let csp = get("content-security-policy");
    let realtime = format!("ws://127.0.0.1:{}", app.realtime_port);
    for part in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", &realtime] {
        assert!(csp.contains(part), "{part} missing in {csp}");
    }
    let home = app.client.get(format!("{}/", app.base)).send().await.unwrap();
    assert_eq!(home.headers()["referrer-policy"], "same-origin");
    assert!(home.headers().get("cache-control").is_none(), "pages keep their caching");
}
