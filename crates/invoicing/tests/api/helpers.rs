//! Spawns the API on port 0 with its own database (see `db`) and an in-process realtime
//! server, and talks to it over HTTP.

use std::sync::Arc;
use std::time::Duration;

use invoicing::auth::HashingLimits;
use invoicing::domain::{Email, Password, Timestamp, User, UserName};
use invoicing::net::TrustedProxies;
use invoicing::relay::RelayOptions;
use invoicing::sink::{Cause, EventSink, PublishError, SinkFuture};
use invoicing::store::PendingEvent;
use invoicing::{
    Application, BrowserEndpoint, Clock, DatabaseUrl, RealtimeAccess, Settings, Store, WsHost,
};
use pusher_client::{Connection, Secret, Target};
use realtime::{AppConfig, AppId, AppKey, RealtimeConfig, Server};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

pub(crate) const WAIT: Duration = Duration::from_secs(5);
pub(crate) const PASSWORD: &str = "correct horse battery";

use crate::contract::{Received, assert_conforms};
pub(crate) use crate::db::{Db, TestDb, on_both};

/// How the app is set up.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// The integration guide's public channel names (`PAYBELL_PRIVATE_CHANNELS=false`)
    /// instead of the default `private-` ones.
    pub(crate) public_channels: bool,
    /// The clock; the system's when `None`.
    pub(crate) clock: Option<Clock>,
    /// `PAYBELL_TRUSTED_PROXIES`; none when `None`.
    pub(crate) trusted_proxies: Option<&'static str>,
    /// Password-hashing slots and wait; the default when `None`.
    pub(crate) hashing: Option<HashingLimits>,
    /// `PAYBELL_PUBLIC_URL`; none derives it from the bound address.
    pub(crate) public_url: Option<&'static str>,
    /// An SMTP server on 127.0.0.1 (plain), with [`crate::smtp::FROM`] as the sender; none
    /// keeps mail in the local mailbox.
    pub(crate) smtp_port: Option<u16>,
    /// The payment provider; the `test` one when `None`.
    pub(crate) provider: Option<invoicing::provider::Provider>,
}

pub(crate) struct TestApp {
    pub(crate) base: String,
    pub(crate) store: Store,
    pub(crate) realtime_port: u16,
    pub(crate) client: reqwest::Client,
    pub(crate) user: User,
    /// The payment provider this node charges through (the `test` one).
    pub(crate) provider: invoicing::provider::Provider,
    stop: CancellationToken,
    realtime: Arc<TestRealtime>,
    db: Arc<TestDb>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// An in-process realtime server, which several nodes of a test may share; stopped on drop.
pub(crate) struct TestRealtime {
    pub(crate) port: u16,
    publisher: realtime::Publisher,
    stop: CancellationToken,
}

impl TestRealtime {
    pub(crate) async fn spawn() -> Arc<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let id = AppId::parse("app-id").expect("app id");
        let key = AppKey::parse("app-key").expect("app key");
        let config = RealtimeConfig {
            apps: vec![AppConfig::new(id, key, "app-secret")],
            ..RealtimeConfig::default()
        };
        let server = Server::build(config, listener).expect("realtime server");
        let stop = CancellationToken::new();
        let (port, publisher) = (server.port(), server.publisher());
        tokio::spawn(server.run_until_stopped(stop.clone().cancelled_owned()));
        Arc::new(Self { port, publisher, stop })
    }

    /// Publishing to it in-process, as `paybell serve` does with its built-in server.
    pub(crate) fn publisher(&self) -> Arc<dyn EventSink> {
        Arc::new(BuiltInSink(self.publisher.clone()))
    }
}

/// The in-process server as a sink, classified as `paybell serve`'s own.
#[derive(Debug)]
struct BuiltInSink(realtime::Publisher);

impl EventSink for BuiltInSink {
    fn publish<'a>(&'a self, event: &'a PendingEvent) -> SinkFuture<'a, Result<(), PublishError>> {
        Box::pin(async move {
            let channels = [event.channel.clone()];
            let published = self.0.trigger("app-id", &channels, &event.event, &event.payload);
            published.await.map_err(|error| match error {
                realtime::TriggerError::UnknownApp(_) => {
                    PublishError::Transient(Cause::from(error))
                }
                _ => PublishError::Permanent(Cause::from(error)),
            })
        })
    }
}

impl Drop for TestRealtime {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// One API node: its database and realtime server may be shared with other nodes.
pub(crate) struct Node {
    pub(crate) db: Arc<TestDb>,
    pub(crate) realtime: Arc<TestRealtime>,
    pub(crate) publisher: Arc<dyn EventSink>,
    pub(crate) options: Options,
    /// The owner, when an earlier node on the same database created it.
    pub(crate) user: Option<User>,
}

pub(crate) async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, Options::default()).await
}

pub(crate) async fn spawn_app_with(db: Db, options: Options) -> TestApp {
    let db = Arc::new(TestDb::new(db).await);
    let realtime = TestRealtime::spawn().await;
    let publisher = realtime.publisher();
    spawn_node(Node { db, realtime, publisher, options, user: None }).await
}

pub(crate) async fn spawn_node(node: Node) -> TestApp {
    let Node { db, realtime, publisher, options, user } = node;
    let signer = Target::new("app-id", "app-key", Secret::new("app-secret")).expect("target");
    let browser = BrowserEndpoint {
        cluster: "mt1".to_owned(),
        ws_host: WsHost::FromRequest,
        ws_port: realtime.port,
        force_tls: false,
    };
    let mut settings =
        Settings::new(DatabaseUrl::new(&db.url), RealtimeAccess { signer: signer.into(), browser });
    settings.private_channels = !options.public_channels;
    if let Some(hashing) = options.hashing {
        settings.hashing = hashing;
    }
    settings.public_url = options.public_url.map(|url| url.parse().expect("public URL"));
    if let Some(clock) = options.clock {
        settings.clock = clock;
    }
    if let Some(list) = options.trusted_proxies {
        settings.trusted_proxies = TrustedProxies::parse(list).expect("trusted proxies");
    }
    settings.overdue_interval = Duration::from_millis(100);
    settings.housekeeping_interval = Duration::from_millis(100);
    if let Some(port) = options.smtp_port {
        settings.mail = crate::smtp::settings(port);
    }
    // A lease far beyond WAIT: a test that waits for a claim to expire times out instead.
    settings.relay = RelayOptions {
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(200),
        poll_interval: Duration::from_millis(200),
        lease: Duration::from_secs(30),
        step_timeout: Duration::from_millis(7500),
    };
    if let Some(provider) = options.provider {
        settings.provider = provider;
    }
    let provider = settings.provider.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let app = Application::build(settings, listener, publisher).await.expect("application");
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.store().clone();
    let stop = CancellationToken::new();
    tokio::spawn(app.run_until_stopped(stop.clone().cancelled_owned()));

    let user = match user {
        Some(user) => user,
        None => create_user(&store, "owner@example.com", "Acme Ltd").await,
    };
    let client = reqwest::Client::builder().cookie_store(true).build().expect("client");
    let realtime_port = realtime.port;
    TestApp { base, store, realtime_port, client, user, provider, stop, realtime, db }
}

pub(crate) async fn create_user(store: &Store, email: &str, name: &str) -> User {
    let hash = invoicing::auth::hash_password(&Password::parse(PASSWORD).expect("password"))
        .await
        .expect("hash");
    store
        .create_user(
            &Email::parse(email).expect("email"),
            &UserName::parse(name).expect("name"),
            &hash,
            Timestamp::now(),
        )
        .await
        .expect("user")
}

/// A JSON answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
}

impl Answer {
    /// Asserts that the answer is what the OpenAPI document says ([`crate::contract`]).
    fn conforms(&self, method: &Method, path: &str, empty: bool) {
        let json = self.headers.get("content-type").and_then(|v| v.to_str().ok());
        let is_json = json.is_some_and(|t| t.starts_with("application/json"));
        assert_conforms(&Received {
            method,
            path,
            status: self.status.as_u16(),
            content_type: json,
            json: is_json.then_some(&self.body),
            empty,
        });
    }

    /// The error code of an error answer.
    pub(crate) fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("(no error code)")
    }

    /// Asserts an error with a status, a code and (for 422) the fields named.
    pub(crate) fn assert_error(&self, status: u16, code: &str, fields: &[&str]) {
        assert_eq!(self.status.as_u16(), status, "{:#}", self.body);
        assert_eq!(self.code(), code, "{:#}", self.body);
        assert!(self.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
        for field in fields {
            assert!(
                self.body["error"]["fields"].get(*field).is_some(),
                "field {field} missing in {:#}",
                self.body
            );
        }
    }
}

impl TestApp {
    /// Another node on this app's database and realtime server, for the same owner: a
    /// restart when `self` is dropped before it is spawned.
    pub(crate) fn same_database(&self, options: Options) -> Node {
        let (db, realtime) = (self.db.clone(), self.realtime.clone());
        let publisher = realtime.publisher();
        Node { db, realtime, publisher, options, user: Some(self.user.clone()) }
    }

    /// Rows of `table`, counted over a connection of its own (no store method is involved).
    pub(crate) async fn count_rows(&self, table: &str) -> i64 {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.db.url)
            .await
            .expect("a connection to the test database");
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut conn)
            .await
            .expect("count")
    }

    /// Runs `sql` over a connection of its own (to break or mend the schema under the node).
    pub(crate) async fn execute(&self, sql: &str) {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.db.url)
            .await
            .expect("a connection to the test database");
        sqlx::query(sql).execute(&mut conn).await.expect("execute");
    }

    /// The kinds of the owner's mail rows.
    pub(crate) async fn mail_kinds(&self) -> Vec<String> {
        let rows = self.store.mail_of(&self.user.id, 1000).await.unwrap();
        rows.into_iter().map(|row| row.kind).collect()
    }

    pub(crate) async fn request(
        &self,
        client: &reqwest::Client,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = client.request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON") };
        let answer = Answer { status, headers, body };
        answer.conforms(&method, path, text.is_empty());
        answer
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.request(&self.client, Method::GET, path, None, &[]).await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Answer {
        self.request(&self.client, Method::POST, path, Some(body), &[]).await
    }

    pub(crate) async fn post_empty(&self, path: &str) -> Answer {
        self.request(&self.client, Method::POST, path, None, &[]).await
    }

    pub(crate) async fn put(&self, path: &str, body: &Value) -> Answer {
        self.request(&self.client, Method::PUT, path, Some(body), &[]).await
    }

    /// `PUT` of raw bytes with a `Content-Type`; the answer's body is JSON or raw text.
    pub(crate) async fn put_bytes(&self, path: &str, bytes: Vec<u8>, content_type: &str) -> Answer {
        let response = self
            .client
            .put(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(bytes)
            .send()
            .await
            .expect("request");
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.text().await.expect("body");
        let empty = text.is_empty();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        let answer = Answer { status, headers, body };
        answer.conforms(&Method::PUT, path, empty);
        answer
    }

    /// `GET` of raw bytes.
    pub(crate) async fn get_bytes(
        &self,
        client: &reqwest::Client,
        path: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Vec<u8>) {
        let response = client.get(format!("{}{path}", self.base)).send().await.expect("request");
        let (status, headers) = (response.status(), response.headers().clone());
        let bytes = response.bytes().await.expect("body").to_vec();
        let json: Option<Value> = serde_json::from_slice(&bytes).ok();
        assert_conforms(&Received {
            method: &Method::GET,
            path,
            status: status.as_u16(),
            content_type: headers.get("content-type").and_then(|v| v.to_str().ok()),
            json: json.as_ref(),
            empty: bytes.is_empty(),
        });
        (status, headers, bytes)
    }

    pub(crate) async fn patch(&self, path: &str, body: &Value) -> Answer {
        self.request(&self.client, Method::PATCH, path, Some(body), &[]).await
    }

    /// Signs in the owner on `self.client`.
    pub(crate) async fn login(&self) {
        let answer = self
            .post(
                "/api/auth/login",
                &json!({"email": self.user.email.as_str(), "password": PASSWORD}),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
    }

    /// Creates an invoice of two lines (2 × 1500 + 1 × 2000 = 5000 EUR cents), as a draft.
    pub(crate) async fn create_invoice(&self) -> Value {
        let answer = self.post("/api/invoices", &invoice_body()).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{:#}", answer.body);
        answer.body
    }

    /// Creates and sends an invoice.
    pub(crate) async fn sent_invoice(&self) -> Value {
        let id = self.create_invoice().await["id"].as_str().expect("id").to_owned();
        let answer = self.post_empty(&format!("/api/invoices/{id}/send")).await;
        assert_eq!(answer.status, StatusCode::OK, "{:#}", answer.body);
        answer.body
    }

    pub(crate) async fn pay(&self, id: &str, amount: i64) -> Answer {
        self.post(
            &format!("/api/invoices/{id}/payments"),
            &json!({"amount": amount, "method": "bank_transfer", "reference": "REF-1"}),
        )
        .await
    }

    /// Waits until the relay has published every event.
    pub(crate) async fn relayed(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !self.store.pending_events(1).await.expect("outbox").is_empty() {
            assert!(tokio::time::Instant::now() < deadline, "events still pending");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Deletes one outbox row, as the outbox purge does.
    pub(crate) async fn delete_event(&self, event_id: &str) {
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&self.db.url)
            .await
            .expect("connect");
        let deleted = sqlx::query("DELETE FROM outbox WHERE event_id = $1")
            .bind(event_id)
            .execute(&mut conn)
            .await
            .expect("delete");
        assert_eq!(deleted.rows_affected(), 1);
    }

    /// A WebSocket client of the in-process realtime server, subscribed to `channels`.
    /// A WebSocket client subscribed to `channels` (`private-` ones signed).
    pub(crate) async fn listen(&self, channels: &[String]) -> Connection {
        let url = format!(
            "ws://127.0.0.1:{}/app/app-key?protocol=7&client=test&version=1",
            self.realtime_port
        );
        let mut connection = Connection::connect(&url).await.expect("connect");
        let socket_id = connection.socket_id().to_string();
        for channel in channels {
            // Signed with the app secret, as `POST /pusher/auth` would for its owner.
            let auth = channel.starts_with("private-").then(|| {
                pusher_protocol::sign::channel_auth(
                    "app-key",
                    "app-secret",
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
        }
        connection
    }
}

pub(crate) fn invoice_body() -> Value {
    json!({
        "customer": {"name": "Ada Lovelace", "email": "ada@example.com"},
        "currency": "EUR",
        "dueDate": "2099-12-31",
        "items": [
            {"description": "Consulting", "quantity": 2, "unitPrice": 1500},
            {"description": "Travel", "quantity": 1, "unitPrice": 2000}
        ],
        "notes": "Thank you"
    })
}

pub(crate) fn id_of(invoice: &Value) -> String {
    invoice["id"].as_str().expect("id").to_owned()
}

/// `(channel kind, event, type, status, amount)` of one outbox row.
pub(crate) type EventRow = (String, String, String, String, Value);

/// The outbox rows written since `from` (an earlier count of all rows), each checked to be
/// in EUR, as the API tests' invoices are.
pub(crate) async fn rows_since(app: &TestApp, from: usize) -> Vec<EventRow> {
    let events = app.store.all_events().await.unwrap();
    events[from..]
        .iter()
        .map(|event| {
            let payload: Value = serde_json::from_str(&event.payload).unwrap();
            let kind = if event.channel.contains("invoice.") { "invoice" } else { "user" };
            assert_eq!(payload["currency"], "EUR", "{payload}");
            (
                kind.to_owned(),
                event.event.clone(),
                payload["type"].as_str().unwrap().to_owned(),
                payload["status"].as_str().unwrap().to_owned(),
                payload["amount"].clone(),
            )
        })
        .collect()
}

/// An expected [`EventRow`].
pub(crate) fn event_row(kind: &str, event: &str, ty: &str, status: &str, amount: i64) -> EventRow {
    (kind.to_owned(), event.to_owned(), ty.to_owned(), status.to_owned(), serde_json::json!(amount))
}
