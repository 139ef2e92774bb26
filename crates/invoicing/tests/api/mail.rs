//! E-mail, against a real SMTP server (`smtp`): the invoice on send, a receipt and the owner's
//! notice on payment, written in the change's transaction and delivered by the mail worker;
//! 4xx retried, 5xx failed with the answer, a server that is down waited for across a restart,
//! each mail once from several nodes; without SMTP, the local mailbox.

use std::sync::Arc;
use std::time::Duration;

use invoicing::store::MailRow;
use serde_json::{Value, json};

use crate::helpers::{
    Db, Node, Options, TestApp, TestDb, TestRealtime, WAIT, id_of, invoice_body, on_both,
    spawn_app_with, spawn_node,
};
use crate::smtp::{FROM, SmtpServer, free_port};

on_both!(
    the_invoice_reaches_the_customer_with_its_link,
    a_payment_sends_a_receipt_and_a_notice_to_the_owner,
    a_refused_change_writes_no_mail,
    a_4xx_is_retried_and_the_mail_delivered_once,
    a_5xx_fails_the_mail_with_the_servers_answer,
    mail_waits_for_a_server_that_is_down_even_across_a_restart,
    resend_queues_the_invoice_again,
);

fn with_smtp(port: u16) -> Options {
    Options { smtp_port: Some(port), ..Options::default() }
}

/// Waits until the mail rows satisfy `done`; returns them.
async fn mail_rows(app: &TestApp, done: impl Fn(&[MailRow]) -> bool) -> Vec<MailRow> {
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    loop {
        let rows = app.store.all_mail().await.unwrap();
        if done(&rows) {
            return rows;
        }
        assert!(tokio::time::Instant::now() < deadline, "mail rows: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn all_settled(rows: &[MailRow]) -> bool {
    !rows.is_empty() && rows.iter().all(|r| r.sent_at.is_some() || r.failed_at.is_some())
}

async fn sent_to(app: &TestApp, customer_email: &str, customer_name: &str) -> String {
    let mut body = invoice_body();
    body["customer"] = json!({"name": customer_name, "email": customer_email});
    let created = app.post("/api/invoices", &body).await;
    assert_eq!(created.status.as_u16(), 201, "{:#}", created.body);
    let id = id_of(&created.body);
    let sent = app.post_empty(&format!("/api/invoices/{id}/send")).await;
    assert_eq!(sent.status.as_u16(), 200, "{:#}", sent.body);
    id
}

fn header<'a>(message: &'a Value, name: &str) -> &'a str {
    message["headers"][name].as_str().unwrap_or_else(|| panic!("no {name} in {message:#}"))
}

async fn the_invoice_reaches_the_customer_with_its_link(db: Db) {
    let smtp = SmtpServer::start(0);
    let app = spawn_app_with(db, with_smtp(smtp.port)).await;
    app.login().await;
    let id = sent_to(&app, "ada@example.com", "Ada <b>Lovelace</b> & Co").await;
    let message = smtp.expect(1).await.remove(0);
    assert_eq!(message["rcpt_tos"], json!(["ada@example.com"]));
    assert_eq!(message["mail_from"], "billing@example.com");
    assert_eq!(header(&message, "From"), FROM);
    assert_eq!(header(&message, "To"), "ada@example.com");
    assert_eq!(header(&message, "Reply-To"), "owner@example.com");
    assert_eq!(header(&message, "Subject"), "Invoice #1 from Acme Ltd");
    assert!(!header(&message, "Date").is_empty());
    assert_eq!(message["content_type"], "multipart/alternative");
    let rows = mail_rows(&app, all_settled).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(header(&message, "Message-ID"), rows[0].message_id);
    assert_eq!(rows[0].status(), "sent");

    let link = format!("{}/pay/{id}", app.base);
    let text = message["text"].as_str().unwrap();
    let html = message["html"].as_str().unwrap();
    assert!(text.contains(&format!("Pay online: {link}")), "{text}");
    assert!(html.contains(&link) && html.contains("Pay online"), "{html}");
    for amount in ["€50.00", "€15.00", "€30.00", "€20.00"] {
        assert!(text.contains(amount) && html.contains(amount), "{amount}");
    }
    assert!(text.contains("Ada <b>Lovelace</b> & Co"), "plain text is not escaped");
    assert!(html.contains("Ada &lt;b&gt;Lovelace&lt;&#x2f;b&gt; &amp; Co"), "{html}");
    assert!(!html.contains("<b>Lovelace"), "customer text is escaped in HTML");

    // The owner sees it: the list, the rendered view, the invoice's history.
    let list = app.get("/api/mail").await;
    assert_eq!(list.body["mail"][0]["subject"], "Invoice #1 from Acme Ltd", "{:#}", list.body);
    assert_eq!(list.body["mail"][0]["status"], "sent");
    assert_eq!(list.body["mail"][0]["recipient"], "ada@example.com");
    let mail_id = list.body["mail"][0]["id"].as_str().unwrap();
    let view = app.get(&format!("/api/mail/{mail_id}")).await;
    assert_eq!(view.body["from"], FROM);
    assert!(view.body["html"].as_str().unwrap().contains(&link));
    // Its HTML part as a document the Mail page frames: as sent, under a sandboxing policy.
    let framed = app.client.get(format!("{}/api/mail/{mail_id}/html", app.base)).send().await;
    let framed = framed.unwrap();
    assert_eq!(framed.status().as_u16(), 200);
    let csp = framed.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'self'"), "{csp}");
    assert!(framed.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(framed.text().await.unwrap(), view.body["html"].as_str().unwrap());
    let anonymous = reqwest::Client::new();
    let refused = anonymous.get(format!("{}/api/mail/{mail_id}/html", app.base)).send().await;
    assert_eq!(refused.unwrap().status().as_u16(), 401, "the owner's session only");
    let history = app.get(&format!("/api/invoices/{id}/mail")).await;
    assert_eq!(history.body["mail"].as_array().unwrap().len(), 1, "{:#}", history.body);
}

async fn a_payment_sends_a_receipt_and_a_notice_to_the_owner(db: Db) {
    let smtp = SmtpServer::start(0);
    let app = spawn_app_with(db, with_smtp(smtp.port)).await;
    app.login().await;
    let id = sent_to(&app, "ada@example.com", "Ada").await;
    smtp.expect(1).await;
    let paid = app.pay(&id, 2000).await;
    assert_eq!(paid.status.as_u16(), 201, "{:#}", paid.body);
    let received = smtp.expect(3).await;
    let receipt = received
        .iter()
        .find(|m| {
            m["rcpt_tos"] == json!(["ada@example.com"])
                && header(m, "Subject").starts_with("Receipt")
        })
        .expect("receipt");
    let text = receipt["text"].as_str().unwrap();
    for needle in ["€20.00", "€30.00", "R-1-1", "Bank transfer", &format!("/pay/{id}")] {
        assert!(text.contains(needle), "{needle} in {text}");
    }
    let notice =
        received.iter().find(|m| m["rcpt_tos"] == json!(["owner@example.com"])).expect("notice");
    assert_eq!(header(notice, "Subject"), "Payment received: €20.00 on invoice #1");
    assert_eq!(notice["content_type"], "multipart/alternative");

    // The owner turns "payment received" off: the next payment sends the receipt alone.
    let path = "/api/settings/payment-notices";
    assert_eq!(app.get(path).await.body, json!({"enabled": true}));
    let off = json!({"enabled": false});
    let answer = app.request(&app.client, reqwest::Method::PUT, path, Some(&off), &[]).await;
    assert_eq!(answer.body, off, "{:#}", answer.body);
    assert_eq!(app.pay(&id, 1000).await.status.as_u16(), 201);
    let received = smtp.expect(4).await;
    assert_eq!(received[3]["rcpt_tos"], json!(["ada@example.com"]), "the receipt only");
}

async fn a_refused_change_writes_no_mail(db: Db) {
    let app = spawn_app_with(db, Options::default()).await;
    app.login().await;
    let id = id_of(&app.sent_invoice().await);
    let over = app.pay(&id, 999_999).await;
    assert_eq!(over.status.as_u16(), 422);
    let draft = id_of(&app.create_invoice().await);
    assert_eq!(app.pay(&draft, 100).await.status.as_u16(), 409);
    let rows = mail_rows(&app, all_settled).await;
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["invoice"], "only the send wrote mail");
    // Without SMTP it is kept as delivered to the local mailbox.
    assert_eq!(rows[0].status(), "delivered_locally");
    assert_eq!(rows[0].delivered_via.as_deref(), Some("local"));
}

async fn a_4xx_is_retried_and_the_mail_delivered_once(db: Db) {
    let smtp = SmtpServer::start(0);
    let app = spawn_app_with(db, with_smtp(smtp.port)).await;
    app.login().await;
    sent_to(&app, "tempfail-2-ada@example.com", "Ada").await;
    let received = smtp.expect(1).await;
    assert_eq!(received[0]["rcpt_tos"], json!(["tempfail-2-ada@example.com"]));
    let rows = mail_rows(&app, all_settled).await;
    assert_eq!((rows[0].status(), rows[0].attempts), ("sent", 2), "{rows:#?}");
    assert!(rows[0].last_error.as_deref().unwrap_or_default().contains("451"), "{rows:#?}");
}

async fn a_5xx_fails_the_mail_with_the_servers_answer(db: Db) {
    let smtp = SmtpServer::start(0);
    let app = spawn_app_with(db, with_smtp(smtp.port)).await;
    app.login().await;
    let id = sent_to(&app, "reject-ada@example.com", "Ada").await;
    let rows = mail_rows(&app, all_settled).await;
    assert_eq!((rows[0].status(), rows[0].attempts), ("failed", 1), "{rows:#?}");
    let error = rows[0].last_error.clone().unwrap_or_default();
    assert!(error.contains("550") && error.contains("mailbox unavailable"), "{error}");
    let history = app.get(&format!("/api/invoices/{id}/mail")).await;
    assert_eq!(history.body["mail"][0]["status"], "failed");
    assert!(history.body["mail"][0]["error"].as_str().unwrap().contains("550"));
    assert!(smtp.received().is_empty());
}

async fn mail_waits_for_a_server_that_is_down_even_across_a_restart(db: Db) {
    let port = free_port();
    let db = Arc::new(TestDb::new(db).await);
    let realtime = TestRealtime::spawn().await;
    let node = |user| Node {
        db: db.clone(),
        realtime: realtime.clone(),
        publisher: realtime.publisher(),
        options: with_smtp(port),
        user,
    };
    let first = spawn_node(node(None)).await;
    first.login().await;
    sent_to(&first, "ada@example.com", "Ada").await;
    let rows = mail_rows(&first, |rows| rows.iter().any(|r| r.attempts >= 2)).await;
    assert_eq!(rows[0].status(), "queued");
    let user = first.user.clone();
    drop(first);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = spawn_node(node(Some(user))).await;
    let smtp = SmtpServer::start(port);
    let received = smtp.expect(1).await;
    assert_eq!(header(&received[0], "Subject"), "Invoice #1 from Acme Ltd");
    let rows = mail_rows(&second, all_settled).await;
    assert_eq!(rows[0].status(), "sent");
}

async fn resend_queues_the_invoice_again(db: Db) {
    let smtp = SmtpServer::start(0);
    let app = spawn_app_with(db, with_smtp(smtp.port)).await;
    app.login().await;
    let id = sent_to(&app, "ada@example.com", "Ada").await;
    let again = app.post_empty(&format!("/api/invoices/{id}/resend")).await;
    assert_eq!(again.status.as_u16(), 200, "{:#}", again.body);
    let received = smtp.expect(2).await;
    assert_ne!(header(&received[0], "Message-ID"), header(&received[1], "Message-ID"));
    let draft = id_of(&app.create_invoice().await);
    app.post_empty(&format!("/api/invoices/{draft}/resend")).await.assert_error(
        409,
        "illegal_transition",
        &[],
    );
    let history = app.get(&format!("/api/invoices/{id}/mail")).await;
    assert_eq!(history.body["mail"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn two_nodes_on_one_postgres_send_each_mail_once() {
    let smtp = SmtpServer::start(0);
    let db = Arc::new(TestDb::new(Db::Postgres).await);
    let realtime = TestRealtime::spawn().await;
    let node = |user| Node {
        db: db.clone(),
        realtime: realtime.clone(),
        publisher: realtime.publisher(),
        options: with_smtp(smtp.port),
        user,
    };
    let first = spawn_node(node(None)).await;
    let second = spawn_node(node(Some(first.user.clone()))).await;
    first.login().await;
    second.login().await;
    for i in 0..12 {
        let app = if i % 2 == 0 { &first } else { &second };
        sent_to(app, &format!("customer{i}@example.com"), "Customer").await;
    }
    let received = smtp.expect(12).await;
    let mut ids: Vec<&str> = received.iter().map(|m| header(m, "Message-ID")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 12, "each mail once");
    let rows = mail_rows(&first, all_settled).await;
    assert!(rows.iter().all(|r| r.status() == "sent"), "{rows:#?}");
}
