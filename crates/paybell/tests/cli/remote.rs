//! Remote mode: `paybell serve` publishing, signed, to a separate `paybell realtime`; and the
//! outbox holding events while that server is down, delivering them in order once it is back.

use std::collections::HashSet;
use std::time::Duration;

use pusher_client::Connection;
use serde_json::{Value, json};

use crate::helpers::{Process, WAIT, cookie_client, serve};

pub(crate) const APP: [(&str, &str); 3] = [
    ("PAYBELL_APP_ID", "remote-app"),
    ("PAYBELL_APP_KEY", "remote-key"),
    ("PAYBELL_APP_SECRET", "remote-secret"),
];

pub(crate) async fn realtime(addr: &str) -> (Process, u16) {
    let process = Process::spawn(&["realtime", "--addr", addr], &APP);
    let port = process.port("paybell realtime listening on 127.0.0.1:").await;
    (process, port)
}

/// A client of the remote server in `channel`; a `private-` one signed with the app secret,
/// as the backend's `POST /pusher/auth` would for its owner.
pub(crate) async fn subscribe(port: u16, channel: &str) -> Connection {
    let url = format!("ws://127.0.0.1:{port}/app/remote-key?protocol=7&client=test&version=1");
    let mut connection = Connection::connect(&url).await.expect("connect");
    let socket_id = connection.socket_id().to_string();
    let auth = channel.starts_with("private-").then(|| {
        pusher_protocol::sign::channel_auth(
            "remote-key",
            "remote-secret",
            &socket_id,
            channel,
            None,
        )
    });
    connection.subscribe(channel, auth.as_deref(), None).await.expect("subscribe");
    connection
        .expect_event("pusher_internal:subscription_succeeded", WAIT)
        .await
        .expect("subscribed");
    connection
}

/// The next application event: `(event, payload)`.
pub(crate) async fn next_event(connection: &mut Connection) -> (String, Value) {
    loop {
        let frame = connection.next_frame(WAIT).await.expect("an event");
        if !frame.event.starts_with("pusher") {
            return (frame.event.clone(), serde_json::from_str(&frame.data_text()).expect("JSON"));
        }
    }
}

pub(crate) struct Api {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
}

impl Api {
    pub(crate) async fn post(&self, path: &str, body: &Value) -> Value {
        let response =
            self.client.post(format!("{}{path}", self.base)).json(body).send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.json().await.unwrap()
    }
}

pub(crate) fn invoice() -> Value {
    json!({
        "customer": {"name": "Ada", "email": "ada@example.com"},
        "currency": "EUR",
        "dueDate": "2099-01-01",
        "items": [{"description": "Work", "quantity": 1, "unitPrice": 1000}]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remote_publishing_survives_a_realtime_restart() {
    let (realtime_process, port) = realtime("127.0.0.1:0").await;
    let dir = tempfile::tempdir().unwrap();
    let port_text = port.to_string();
    let env = [
        ("PUSHER_APP_ID", "remote-app"),
        ("PUSHER_KEY", "remote-key"),
        ("PUSHER_SECRET", "remote-secret"),
        ("PUSHER_HOST", "127.0.0.1"),
        ("PUSHER_PORT", port_text.as_str()),
    ];
    let web = serve(dir.path(), &["--demo"], &env);
    let web_port = web.port("paybell web listening on http://127.0.0.1:").await;
    // Waited for, not read at once: the line may still be on its way.
    let target = web.line("paybell realtime: publishing to ").await;
    assert!(target.starts_with("http://127.0.0.1:"), "{target}");
    let (email, password) = {
        let login = web.line("demo login: ").await;
        let (e, p) = login.split_once(" / ").unwrap();
        (e.to_owned(), p.to_owned())
    };
    let api = Api { base: format!("http://127.0.0.1:{web_port}"), client: cookie_client() };
    let me = api.post("/api/auth/login", &json!({"email": email, "password": password})).await;
    let channel = format!("private-user.{}.invoices", me["user"]["id"].as_str().unwrap());
    let config: Value = api
        .client
        .get(format!("{}/api/config", api.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["pusher"]["key"], "remote-key");
    assert_eq!(config["pusher"]["wsPort"], port);

    // Signed publishing to the separate process works.
    let mut listener = subscribe(port, &channel).await;
    let created = api.post("/api/invoices", &invoice()).await;
    // The demo's own invoice.created events may still be on their way: they come first.
    let event = loop {
        let (event, payload) = next_event(&mut listener).await;
        if payload["invoiceId"] == created["id"] {
            break event;
        }
        assert_eq!(event, "invoice.created", "only demo invoices come before: {payload}");
    };
    assert_eq!(event, "invoice.created");
    drop(listener);

    // Down: changes still succeed.
    drop(realtime_process);
    let first = api.post("/api/invoices", &invoice()).await;
    let id = first["id"].as_str().unwrap().to_owned();
    api.post(&format!("/api/invoices/{id}/send"), &json!({})).await;
    api.post(&format!("/api/invoices/{id}/payments"), &json!({"amount": 400, "method": "cash"}))
        .await;
    api.post(&format!("/api/invoices/{id}/payments"), &json!({"amount": 600, "method": "cash"}))
        .await;
    let second = api.post("/api/invoices", &invoice()).await;
    let expected = [
        ("invoice.created", first["id"].clone()),
        ("invoice.updated", first["id"].clone()),
        ("payment.received", first["id"].clone()),
        ("payment.received", first["id"].clone()),
        ("invoice.created", second["id"].clone()),
    ];
    // Wait until the relay backs off for over a second, so the restarted server has a
    // subscriber before the next attempt.
    web.wait_for(|_, err| {
        err.lines()
            .any(|l| l.contains("retry_in_ms=1600") || l.contains("retry_in_ms=3200"))
            .then_some(())
    })
    .await;

    // Back: every event arrives, in order, none twice.
    let (_realtime_process, _) = realtime(&format!("127.0.0.1:{port}")).await;
    let mut listener = subscribe(port, &channel).await;
    let mut seen = Vec::new();
    let mut ids = HashSet::new();
    while seen.len() < expected.len() {
        let (event, payload) = next_event(&mut listener).await;
        assert!(ids.insert(payload["eventId"].as_str().unwrap().to_owned()), "duplicate {payload}");
        seen.push((event, payload["invoiceId"].clone()));
    }
    let expected: Vec<(String, Value)> =
        expected.into_iter().map(|(e, id)| (e.to_owned(), id)).collect();
    assert_eq!(seen, expected);
    let extra = tokio::time::timeout(Duration::from_millis(500), next_event(&mut listener)).await;
    assert!(extra.is_err(), "no more events: {extra:?}");
    assert!(web.terminate().await);
}
