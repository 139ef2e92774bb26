//! The Debug Console under `/console`: sign-in (constant-time secret, throttled, CSRF),
//! the session cookie's flags, nothing without a session, the switches, and the live log
//! over server-sent events: what each cause records, and sampling when it is too fast.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{COOKIE, ORIGIN, RETRY_AFTER, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::{
    Backend, ID, SECRET, TestServer, WAIT, app, next, on_both, spawn, spawn_with, subscribe,
};

on_both!(the_log_shows_what_happens);

pub(crate) struct Console {
    http: reqwest::Client,
    base: String,
}

impl Console {
    pub(crate) fn of(server: &TestServer) -> Self {
        Self { http: reqwest::Client::new(), base: format!("http://127.0.0.1:{}", server.port) }
    }

    fn origin(&self) -> &str {
        &self.base
    }

    /// Signs in from the server's own origin; the answer's status and `Set-Cookie`.
    pub(crate) async fn sign_in(&self, id: &str, secret: &str) -> (StatusCode, Option<String>) {
        let response = self
            .http
            .post(format!("{}/console/api/session", self.base))
            .header(ORIGIN, self.origin())
            .json(&json!({ "app_id": id, "secret": secret }))
            .send()
            .await
            .unwrap();
        let cookie = response.headers().get(SET_COOKIE).map(|c| c.to_str().unwrap().to_owned());
        (response.status(), cookie)
    }

    /// A signed-in session's `Cookie` header.
    pub(crate) async fn session(&self) -> String {
        let (status, cookie) = self.sign_in(ID, SECRET).await;
        assert_eq!(status, StatusCode::OK);
        cookie.unwrap().split(';').next().unwrap().to_owned()
    }

    pub(crate) async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    async fn send_event(&self, cookie: &str, origin: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(format!("{}/console/api/events", self.base))
            .header(COOKIE, cookie)
            .header(ORIGIN, origin)
            .json(body)
            .send()
            .await
            .unwrap();
        (response.status(), response.json().await.unwrap_or(Value::Null))
    }

    pub(crate) async fn log(&self, cookie: &str) -> Log {
        let response = self.get("/console/api/log", Some(cookie)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let mut log = Log { response, buffer: String::new() };
        assert_eq!(log.next().await["kind"], "watching");
        log
    }
}

/// The log's server-sent events, one JSON record at a time.
pub(crate) struct Log {
    response: reqwest::Response,
    buffer: String,
}

impl Log {
    pub(crate) async fn next(&mut self) -> Value {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let event: String = self.buffer.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                    return serde_json::from_str(data).unwrap();
                }
                continue;
            }
            let chunk = tokio::time::timeout(WAIT, self.response.chunk()).await;
            let chunk = chunk.expect("a record in time").unwrap().expect("the log went on");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }

    /// Reads until a record of `kind` for which `also` holds.
    pub(crate) async fn until(&mut self, kind: &str, also: impl Fn(&Value) -> bool) -> Value {
        loop {
            let record = self.next().await;
            if record["kind"] == kind && also(&record) {
                return record;
            }
        }
    }
}

#[tokio::test]
async fn a_wrong_secret_is_refused_and_a_session_cookie_is_scoped_to_the_console() {
    let server = spawn(Backend::Local, vec![app()]).await;
    let console = Console::of(&server);
    assert_eq!(console.sign_in(ID, "wrong").await, (StatusCode::UNAUTHORIZED, None));
    assert_eq!(console.sign_in("no-such-app", SECRET).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(console.sign_in(ID, &format!("{SECRET}x")).await.0, StatusCode::UNAUTHORIZED);
    let (status, cookie) = console.sign_in(ID, SECRET).await;
    assert_eq!(status, StatusCode::OK);
    let cookie = cookie.unwrap();
    assert!(cookie.starts_with("paybell_console="), "{cookie}");
    for flag in ["; Path=/console", "; HttpOnly", "; SameSite=Strict", "; Max-Age="] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let session = cookie.split(';').next().unwrap();
    let who = console.get("/console/api/session", Some(session)).await;
    assert_eq!(who.status(), StatusCode::OK);
    assert_eq!(who.json::<Value>().await.unwrap()["app_id"], ID);
    server.stop().await;
}

#[tokio::test]
async fn nothing_of_the_console_answers_without_a_valid_session() {
    let server = spawn(Backend::Local, vec![app()]).await;
    let console = Console::of(&server);
    let session = console.session().await;
    let forged = session.replace(ID, "other-app");
    let tampered = session.replacen("paybell_console=", "paybell_console=9", 1);
    for path in [
        "/console/api/session",
        "/console/api/log",
        "/console/api/channels",
        "/console/api/overview",
    ] {
        for cookie in [None, Some(forged.as_str()), Some(tampered.as_str())] {
            let response = console.get(path, cookie).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path} with {cookie:?}");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "unauthorized");
        }
    }
    let event = json!({ "channels": ["a"], "name": "e", "data": "{}" });
    let (status, _) =
        console.send_event("paybell_console=1.2.app-id", console.origin(), &event).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The page itself is public: it signs in.
    assert_eq!(console.get("/console", None).await.status(), StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn unsafe_requests_from_another_origin_are_refused() {
    let server = spawn(Backend::Local, vec![app()]).await;
    let console = Console::of(&server);
    let session = console.session().await;
    let event = json!({ "channels": ["a"], "name": "e", "data": "{}" });
    let (status, body) = console.send_event(&session, "http://evil.example", &event).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::FORBIDDEN, Some("cross_origin")));
    let other_port = format!("http://127.0.0.1:{}", server.port + 1);
    assert_eq!(console.send_event(&session, &other_port, &event).await.0, StatusCode::FORBIDDEN);
    let no_origin = console
        .http
        .post(format!("{}/console/api/session", console.base))
        .json(&json!({ "app_id": ID, "secret": SECRET }))
        .send()
        .await
        .unwrap();
    assert_eq!(no_origin.status(), StatusCode::FORBIDDEN, "a sign-in without Origin");
    let (status, body) = console.send_event(&session, console.origin(), &event).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    server.stop().await;
}

#[tokio::test]
async fn five_wrong_secrets_make_even_the_right_one_wait() {
    let server = spawn(Backend::Local, vec![app()]).await;
    let console = Console::of(&server);
    for _ in 0..5 {
        assert_eq!(console.sign_in(ID, "guess").await.0, StatusCode::UNAUTHORIZED);
    }
    let response = console
        .http
        .post(format!("{}/console/api/session", console.base))
        .header(ORIGIN, console.origin())
        .json(&json!({ "app_id": ID, "secret": SECRET }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()[RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((55..=60).contains(&wait), "Retry-After {wait}");
    server.stop().await;
}

#[tokio::test]
async fn the_console_can_be_switched_off_globally_or_per_app() {
    let config =
        realtime::RealtimeConfig { apps: vec![app()], console: false, ..Default::default() };
    let server = spawn_with(Backend::Local, config).await;
    let console = Console::of(&server);
    assert_eq!(console.get("/console", None).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(console.sign_in(ID, SECRET).await.0, StatusCode::NOT_FOUND);
    server.stop().await;

    let server = spawn(Backend::Local, vec![app()]).await;
    let console = Console::of(&server);
    let session = console.session().await;
    server.stop().await;
    let mut off = app();
    off.console = false;
    let server = spawn(Backend::Local, vec![off]).await;
    let console = Console::of(&server);
    assert_eq!(console.sign_in(ID, SECRET).await.0, StatusCode::NOT_FOUND);
    let old = console.get("/console/api/session", Some(&session)).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED, "a session from before the switch");
    server.stop().await;
}

async fn the_log_shows_what_happens(backend: Backend) {
    let server = spawn(backend, vec![app()]).await;
    let console = Console::of(&server);
    let session = console.session().await;
    let mut log = console.log(&session).await;

    let mut conn = server.connect().await;
    let socket_id = conn.socket_id().to_string();
    let connected = log.until("connection", |_| true).await;
    assert_eq!(connected["socket_id"], socket_id.as_str());
    assert_eq!(
        (connected["client"].as_str(), connected["version"].as_str()),
        (Some("test"), Some("1"))
    );

    subscribe(&mut conn, "presence-room", Some(("u1", json!({ "name": "Ann" })))).await;
    // The join's consequences are recorded as it happens, the subscription once it holds.
    log.until("member_added", |r| r["user_id"] == "u1").await;
    log.until("occupied", |r| r["channel"] == "presence-room").await;
    let subscribed = log.until("subscribed", |_| true).await;
    assert_eq!(
        (subscribed["channel"].as_str(), subscribed["user_id"].as_str()),
        (Some("presence-room"), Some("u1"))
    );

    conn.send(&json!({ "event": "client-typing", "channel": "presence-room", "data": { "x": 1 } }))
        .await
        .unwrap();
    let client = log.until("client_event", |_| true).await;
    assert_eq!(client["event"], "client-typing");

    server.api().trigger(&["presence-room"], "paid", "{\"n\":1}", None, None).await.unwrap();
    let api = log.until("api_message", |_| true).await;
    assert_eq!((api["event"].as_str(), api["size"].as_u64()), (Some("paid"), Some(7)));
    assert!(api["from"].as_str().unwrap().starts_with("HTTP API from 127.0.0.1"), "{api}");
    next(&mut conn).await;

    let (status, _) = console
        .send_event(
            &session,
            console.origin(),
            &json!({ "channels": ["presence-room"], "name": "hi", "data": "{}" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sent = log.until("api_message", |_| true).await;
    assert!(sent["from"].as_str().unwrap().starts_with("Debug Console"), "{sent}");

    subscribe_refused(&mut conn).await;
    let refused = log.until("refused", |_| true).await;
    assert_eq!(
        (refused["what"].as_str(), refused["channel"].as_str()),
        (Some("subscribe"), Some("private-x"))
    );

    conn.unsubscribe("presence-room").await.unwrap();
    log.until("unsubscribed", |r| r["channel"] == "presence-room").await;
    log.until("member_removed", |r| r["user_id"] == "u1").await;
    log.until("vacated", |r| r["channel"] == "presence-room").await;
    drop(conn);
    let gone = log.until("disconnection", |_| true).await;
    assert_eq!(gone["socket_id"], socket_id.as_str());

    let bad =
        tokio_tungstenite::connect_async(format!("ws://127.0.0.1:{}/app/app-key", server.port))
            .await
            .unwrap()
            .0;
    let refused = log.until("refused", |r| r["what"] == "connection").await;
    assert_eq!(refused["code"], 4008, "no protocol version: {refused}");
    drop(bad);
    server.stop().await;
}

async fn subscribe_refused(conn: &mut pusher_client::Connection) {
    conn.subscribe("private-x", Some("app-key:bad"), None).await.unwrap();
    while next(conn).await.event != "pusher:error" {}
}

#[tokio::test]
async fn a_log_faster_than_a_person_reads_is_sampled_and_says_what_it_skipped() {
    let server = spawn(Backend::Local, vec![app()]).await;
    let console = Console::of(&server);
    let mut log = console.log(&console.session().await).await;
    for i in 0..5_000 {
        server.publisher.trigger(ID, &["busy".to_owned()], "tick", &i.to_string()).await.unwrap();
    }
    let skipped = tokio::time::timeout(Duration::from_secs(5), log.until("skipped", |_| true))
        .await
        .expect("a skipped count");
    assert!(skipped["count"].as_u64().unwrap() > 0, "{skipped}");
    server.stop().await;
}

#[tokio::test]
async fn webhook_deliveries_show_retrying_then_sent_with_their_status() {
    let sink = crate::sink::Sink::start(&[503]).await;
    let mut with_hook = app();
    with_hook.webhooks = vec![realtime::WebhookConfig::new(sink.url.parse().unwrap())];
    let server = spawn(Backend::Local, vec![with_hook]).await;
    let console = Console::of(&server);
    let mut log = console.log(&console.session().await).await;
    let _conn = crate::helpers::subscribed(&server, "hooked").await;
    let retrying = log.until("webhook", |_| true).await;
    assert_eq!(
        (retrying["outcome"].as_str(), retrying["status"].as_u64()),
        (Some("retrying"), Some(503))
    );
    let sent = log.until("webhook", |_| true).await;
    assert_eq!((sent["outcome"].as_str(), sent["status"].as_u64()), (Some("sent"), Some(200)));
    assert_eq!(sent["attempt"], 2);
    assert!(sent["body"].as_str().unwrap().contains("channel_occupied"), "{sent}");
    server.stop().await;
}

#[tokio::test]
async fn after_a_rotation_the_old_secret_signs_in_until_its_grace_period_ends() {
    let server = spawn(Backend::Local, vec![app()]).await;
    let console = Console::of(&server);
    let before = console.session().await;
    let mut rotated = crate::helpers::app_config(ID, crate::helpers::KEY, "rotated-secret");
    rotated.previous_secret = Some(realtime::PreviousSecret {
        secret: realtime::Secret::new(SECRET),
        until: std::time::SystemTime::now() + Duration::from_secs(2),
    });
    server.apps.replace(vec![rotated]);
    assert_eq!(console.sign_in(ID, SECRET).await.0, StatusCode::OK, "the old secret");
    assert_eq!(console.sign_in(ID, "rotated-secret").await.0, StatusCode::OK, "the new one");
    let kept = console.get("/console/api/session", Some(&before)).await;
    assert_eq!(kept.status(), StatusCode::OK, "a cookie signed with the old secret");
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    assert_eq!(console.sign_in(ID, SECRET).await.0, StatusCode::UNAUTHORIZED);
    let ended = console.get("/console/api/session", Some(&before)).await;
    assert_eq!(ended.status(), StatusCode::UNAUTHORIZED, "the old cookie after the grace period");
    assert_eq!(console.sign_in(ID, "rotated-secret").await.0, StatusCode::OK);
    server.stop().await;
}
