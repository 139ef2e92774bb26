//! Web Push against a local stand-in for a push service (an HTTP server on 127.0.0.1, which
//! the subscription checks allow on loopback): subscriptions through the API, a payment's
//! push encrypted and signed as a browser and a push service check it — with an independent
//! implementation, `tests/push/browser.py` (Python's `cryptography` and `http_ece`) — and the
//! push service's answers: 404/410 remove the subscription, 429 with `Retry-After` is retried
//! once after it. The outbox purge keeps an event while its push is pending.

use std::collections::HashMap;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use invoicing::domain::Timestamp;
use invoicing::store::{PushRow, Retention};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, WAIT, id_of, on_both, spawn_app};

on_both!(
    a_payment_is_pushed_encrypted_and_signed_to_each_subscription,
    subscriptions_are_checked_and_limited,
    a_gone_subscription_is_removed,
    a_rate_limited_push_is_retried_once_after_retry_after,
    the_outbox_purge_waits_for_a_pending_push,
);

/// What the stand-in received.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

/// Answers a path is scripted to give: a status and maybe a `Retry-After`.
type Script = HashMap<String, Vec<(u16, Option<&'static str>)>>;

/// The stand-in push service: answers each path from its script (then 201), records all.
#[derive(Clone, Default)]
struct PushService {
    received: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<Script>>,
}

impl PushService {
    async fn start() -> (Self, String) {
        let service = Self::default();
        let app = Router::new()
            .route("/push/{id}", axum::routing::post(receive))
            .with_state(service.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (service, base)
    }

    /// Answers the next pushes to `path` with these statuses (and `Retry-After`s).
    fn script(&self, path: &str, answers: Vec<(u16, Option<&'static str>)>) {
        self.script.lock().unwrap().insert(path.to_owned(), answers);
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + WAIT * 2;
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(tokio::time::Instant::now() < deadline, "{} pushes of {count}", received.len());
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn receive(
    State(service): State<PushService>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("/push/{id}");
    service.received.lock().unwrap().push(Received {
        path: path.clone(),
        headers,
        body,
        at: Instant::now(),
    });
    let next = service
        .script
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(|answers| if answers.is_empty() { None } else { Some(answers.remove(0)) });
    let (status, retry_after) = next.unwrap_or((201, None));
    let mut response = StatusCode::from_u16(status).unwrap().into_response();
    if let Some(value) = retry_after {
        response.headers_mut().insert("retry-after", value.parse().unwrap());
    }
    response
}

fn python() -> std::path::PathBuf {
    if let Some(python) = std::env::var_os("PAYBELL_TEST_PYTHON") {
        return python.into();
    }
    let venv = root().join(".venv-test/bin/python");
    assert!(venv.exists(), "no {} : run scripts/install-test-deps.sh", venv.display());
    venv
}

fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs `tests/push/browser.py {command}` with `input` on stdin; its JSON answer.
fn browser(command: &str, input: &Value) -> Value {
    let mut child = Command::new(python())
        .arg(root().join("tests/push/browser.py"))
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python");
    child.stdin.take().unwrap().write_all(input.to_string().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "browser.py {command}: {stderr}");
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A browser's subscription: its private key stays here, the rest is registered.
struct Browser {
    keys: Value,
    endpoint: String,
}

impl Browser {
    fn new(endpoint: String) -> Self {
        Self { keys: browser("keys", &json!({})), endpoint }
    }

    fn subscription(&self) -> Value {
        json!({
            "endpoint": self.endpoint,
            "expirationTime": null,
            "keys": {"p256dh": self.keys["p256dh"], "auth": self.keys["auth"]},
        })
    }

    async fn register(&self, app: &TestApp) {
        let answer = app.post("/api/push/subscriptions", &self.subscription()).await;
        assert_eq!(answer.status.as_u16(), 201, "{:#}", answer.body);
    }

    /// Checks a received push as the push service (VAPID) and the browser (decryption) would.
    fn open(&self, push: &Received, vapid_public_key: &str, origin: &str) -> Value {
        let authorization = push.headers["authorization"].to_str().unwrap();
        browser(
            "open",
            &json!({
                "authorization": authorization,
                "vapid_public_key": vapid_public_key,
                "origin": origin,
                "private": self.keys["private"],
                "auth": self.keys["auth"],
                "body": URL_SAFE_NO_PAD.encode(&push.body),
            }),
        )
    }
}

async fn push_rows(app: &TestApp, done: impl Fn(&[PushRow]) -> bool) -> Vec<PushRow> {
    let deadline = tokio::time::Instant::now() + WAIT * 2;
    loop {
        let rows = app.store.all_push_deliveries().await.unwrap();
        if done(&rows) {
            return rows;
        }
        assert!(tokio::time::Instant::now() < deadline, "push rows: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn signed_in_app(db: Db) -> TestApp {
    let app = spawn_app(db).await;
    app.login().await;
    app
}

async fn a_payment_is_pushed_encrypted_and_signed_to_each_subscription(db: Db) {
    let app = signed_in_app(db).await;
    let (service, base) = PushService::start().await;
    let key = app.get("/api/push/key").await;
    assert_eq!(key.status.as_u16(), 200);
    let vapid_public_key = key.body["publicKey"].as_str().unwrap().to_owned();
    assert_eq!(URL_SAFE_NO_PAD.decode(&vapid_public_key).unwrap().len(), 65);
    let browsers = [Browser::new(format!("{base}/push/a")), Browser::new(format!("{base}/push/b"))];
    for browser in &browsers {
        browser.register(&app).await;
    }
    let invoice = app.sent_invoice().await;
    let id = id_of(&invoice);
    assert_eq!(app.pay(&id, 1000).await.status.as_u16(), 201);
    let received = service.wait_for(2).await;
    let events = app.store.all_events().await.unwrap();
    let pushed = app.store.all_push_deliveries().await.unwrap();
    assert_eq!(pushed.len(), 2, "one row per subscription: {pushed:#?}");
    let event = events.iter().find(|e| e.event_id == pushed[0].event_id).unwrap();
    assert!(event.channel.starts_with("private-user."), "the owner's event: {event:?}");
    for browser in &browsers {
        let push = received.iter().find(|r| browser.endpoint.ends_with(&r.path)).unwrap();
        let header = |name: &str| push.headers[name].to_str().unwrap().to_owned();
        assert_eq!(header("content-encoding"), "aes128gcm");
        assert_eq!(header("ttl"), "86400");
        assert_eq!(header("urgency"), "high");
        let topic = header("topic");
        assert!(
            topic.len() <= 32
                && topic.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        let opened = browser.open(push, &vapid_public_key, &base);
        assert_eq!(opened["plaintext"].as_str().unwrap(), event.payload, "the whole payload");
        assert_eq!(opened["claims"]["sub"], "mailto:owner@example.com");
        let payload: Value = serde_json::from_str(&event.payload).unwrap();
        assert_eq!(payload["type"], "payment_received");
        assert_eq!(payload["invoiceId"], id.as_str());
        assert!(payload["sentAt"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    let rows = push_rows(&app, |rows| rows.iter().all(|r| r.delivered_at.is_some())).await;
    assert!(rows.iter().all(|r| r.status_code == Some(201) && r.attempts == 0), "{rows:#?}");
    // The invoice's next push has the same Topic, so a queued one is replaced.
    assert_eq!(app.pay(&id, 4000).await.status.as_u16(), 201);
    let received = service.wait_for(4).await;
    assert!(received.iter().all(|r| r.headers["topic"] == received[0].headers["topic"]));
    let second = received[2..].iter().find(|r| browsers[0].endpoint.ends_with(&r.path)).unwrap();
    let settled = browsers[0].open(second, &vapid_public_key, &base);
    let payload: Value = serde_json::from_str(settled["plaintext"].as_str().unwrap()).unwrap();
    assert_eq!(
        (payload["type"].as_str(), payload["title"].as_str()),
        (Some("invoice_completed"), Some("✅ Invoice Paid"))
    );
}

async fn subscriptions_are_checked_and_limited(db: Db) {
    let app = spawn_app(db).await;
    let browser = Browser::new("https://push.example.net/wpush/1".to_owned());
    let anonymous = app.post("/api/push/subscriptions", &browser.subscription()).await;
    anonymous.assert_error(401, "unauthenticated", &[]);
    assert_eq!(app.get("/api/push/key").await.status.as_u16(), 401);
    app.login().await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = browser.subscription();
        change(&mut body);
        body
    };
    for (body, field) in [
        (with(&|b| b["endpoint"] = json!("http://push.example.net/1")), "endpoint"),
        (with(&|b| b["endpoint"] = json!("not a url")), "endpoint"),
        (with(&|b| b["keys"]["p256dh"] = json!(URL_SAFE_NO_PAD.encode([4_u8; 64]))), "keys.p256dh"),
        (with(&|b| b["keys"]["auth"] = json!(URL_SAFE_NO_PAD.encode([1_u8; 15]))), "keys.auth"),
    ] {
        let answer = app.post("/api/push/subscriptions", &body).await;
        answer.assert_error(422, "validation_failed", &[field]);
    }
    let missing = app.post("/api/push/subscriptions", &json!({"endpoint": browser.endpoint})).await;
    assert_eq!(missing.status.as_u16(), 422, "{:#}", missing.body);
    browser.register(&app).await;
    let again = app.post("/api/push/subscriptions", &browser.subscription()).await;
    assert_eq!(again.status.as_u16(), 200, "the same endpoint updates: {:#}", again.body);
    for n in 2..=10 {
        Browser {
            keys: browser.keys.clone(),
            endpoint: format!("https://push.example.net/wpush/{n}"),
        }
        .register(&app)
        .await;
    }
    let eleventh = Browser {
        keys: browser.keys.clone(),
        endpoint: "https://push.example.net/wpush/11".to_owned(),
    };
    let refused = app.post("/api/push/subscriptions", &eleventh.subscription()).await;
    refused.assert_error(409, "too_many_subscriptions", &[]);
    assert_eq!(app.store.push_subscriptions_of(&app.user.id).await.unwrap().len(), 10);
    let delete = |endpoint: &str| {
        let body = json!({"endpoint": endpoint});
        let app = &app;
        async move {
            app.request(&app.client, Method::DELETE, "/api/push/subscriptions", Some(&body), &[])
                .await
        }
    };
    assert_eq!(delete(&browser.endpoint).await.status.as_u16(), 204);
    delete(&browser.endpoint).await.assert_error(404, "not_found", &[]);
    assert_eq!(app.store.push_subscriptions_of(&app.user.id).await.unwrap().len(), 9);
}

async fn a_gone_subscription_is_removed(db: Db) {
    let app = signed_in_app(db).await;
    let (service, base) = PushService::start().await;
    service.script("/push/gone", vec![(410, None)]);
    service.script("/push/unknown", vec![(404, None)]);
    let (gone, unknown, kept) = (
        Browser::new(format!("{base}/push/gone")),
        Browser::new(format!("{base}/push/unknown")),
        Browser::new(format!("{base}/push/kept")),
    );
    for browser in [&gone, &unknown, &kept] {
        browser.register(&app).await;
    }
    let id = id_of(&app.sent_invoice().await);
    assert_eq!(app.pay(&id, 1000).await.status.as_u16(), 201);
    let rows =
        push_rows(&app, |rows| rows.len() == 3 && rows.iter().all(|r| r.delivered_at.is_some()))
            .await;
    let mut codes: Vec<_> = rows.iter().map(|r| r.status_code).collect();
    codes.sort();
    assert_eq!(codes, [Some(201), Some(404), Some(410)]);
    let left = app.store.push_subscriptions_of(&app.user.id).await.unwrap();
    assert_eq!(
        left.iter().map(|s| s.endpoint.as_str()).collect::<Vec<_>>(),
        [kept.endpoint.as_str()]
    );
    // The next payment goes to the one left only.
    assert_eq!(app.pay(&id, 1000).await.status.as_u16(), 201);
    let received = service.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(service.received().len(), 4, "{received:#?}");
    assert_eq!(received[3].path, "/push/kept");
}

async fn a_rate_limited_push_is_retried_once_after_retry_after(db: Db) {
    let app = signed_in_app(db).await;
    let (service, base) = PushService::start().await;
    service.script("/push/busy", vec![(429, Some("2"))]);
    Browser::new(format!("{base}/push/busy")).register(&app).await;
    let id = id_of(&app.sent_invoice().await);
    assert_eq!(app.pay(&id, 1000).await.status.as_u16(), 201);
    let received = service.wait_for(2).await;
    let gap = received[1].at - received[0].at;
    assert!(gap >= Duration::from_millis(1950), "retried after {gap:?}, before Retry-After: 2");
    assert!(gap < Duration::from_secs(5), "retried only after {gap:?}");
    let rows = push_rows(&app, |rows| rows.iter().all(|r| r.delivered_at.is_some())).await;
    assert_eq!((rows[0].attempts, rows[0].status_code), (1, Some(201)), "{rows:#?}");
    assert!(rows[0].last_error.as_deref().is_some_and(|e| e.contains("429")), "{rows:#?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(service.received().len(), 2, "retried once");
}

async fn the_outbox_purge_waits_for_a_pending_push(db: Db) {
    let app = signed_in_app(db).await;
    let (service, base) = PushService::start().await;
    service.script("/push/later", vec![(503, Some("3600"))]);
    Browser::new(format!("{base}/push/later")).register(&app).await;
    let id = id_of(&app.sent_invoice().await);
    assert_eq!(app.pay(&id, 1000).await.status.as_u16(), 201);
    service.wait_for(1).await;
    app.relayed().await;
    let rows = push_rows(&app, |rows| rows.iter().all(|r| r.attempts == 1)).await;
    let pushed = rows[0].event_id.clone();
    let retention =
        Retention { published_events: Duration::from_millis(1), ..Retention::default() };
    let later = Timestamp::now().plus(Duration::from_secs(60));
    let purged = app.store.purge(later, &retention).await.unwrap();
    assert!(purged.published_events > 0, "other events go: {purged:?}");
    let left: Vec<String> =
        app.store.all_events().await.unwrap().into_iter().map(|e| e.event_id).collect();
    assert_eq!(
        left,
        std::slice::from_ref(&pushed),
        "the pushed event stays while its push is pending"
    );
    assert!(app.store.event_payload(&pushed).await.unwrap().is_some());
    assert_eq!(service.received().len(), 1, "not before Retry-After");
}
