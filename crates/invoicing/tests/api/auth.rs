//! Signing in and out, and routes that need a session.

use reqwest::Method;
use serde_json::json;

use std::time::Duration;

use futures_util::future::join_all;
use invoicing::Clock;
use invoicing::auth::HashingLimits;
use invoicing::domain::Timestamp;

use crate::helpers::{
    Db, Options, PASSWORD, TestApp, create_user, on_both, spawn_app, spawn_app_with,
};

const DAY: Duration = Duration::from_secs(24 * 3600);

/// A new cookie client signed in as `email`.
async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
    let body = json!({"email": email, "password": PASSWORD});
    let answer = app.request(&client, Method::POST, "/api/auth/login", Some(&body), &[]).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
    client
}

on_both!(
    login_sets_a_session_cookie,
    sign_ins_beyond_the_hashing_slots_get_503,
    bad_logins_are_401,
    logout_ends_the_session,
    logout_all_ends_every_session_of_the_owner,
    sessions_end_after_a_week_unused_and_after_30_days,
    housekeeping_runs_by_the_application_clock,
    owner_routes_need_a_session
);

async fn login_sets_a_session_cookie(db: Db) {
    let app = spawn_app(db).await;
    let answer = app
        .post("/api/auth/login", &json!({"email": "OWNER@example.com", "password": PASSWORD}))
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({"user": {"id": app.user.id.as_str(), "email": "owner@example.com", "name": "Acme Ltd"}})
    );
    let cookie = answer.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("paybell_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let me = app.get("/api/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["user"]["id"], app.user.id.as_str());
}

async fn bad_logins_are_401(db: Db) {
    let app = spawn_app(db).await;
    for body in [
        json!({"email": "owner@example.com", "password": "wrong password"}),
        json!({"email": "nobody@example.com", "password": PASSWORD}),
        json!({"email": "not an address", "password": PASSWORD}),
        json!({}),
    ] {
        let answer = app.post("/api/auth/login", &body).await;
        answer.assert_error(401, "invalid_credentials", &[]);
        assert!(answer.headers.get("set-cookie").is_none());
    }
    app.get("/api/me").await.assert_error(401, "unauthenticated", &[]);
}

async fn logout_ends_the_session(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let answer = app.post_empty("/api/auth/logout").await;
    assert_eq!(answer.status, 204);
    assert!(answer.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    app.get("/api/me").await.assert_error(401, "unauthenticated", &[]);
    // Logging out without a session is harmless.
    assert_eq!(app.post_empty("/api/auth/logout").await.status, 204);
}

async fn owner_routes_need_a_session(db: Db) {
    let app = spawn_app(db).await;
    let id = uuid::Uuid::new_v4().to_string();
    let routes = [
        (Method::GET, "/api/invoices".to_owned()),
        (Method::POST, "/api/invoices".to_owned()),
        (Method::GET, format!("/api/invoices/{id}")),
        (Method::PATCH, format!("/api/invoices/{id}")),
        (Method::POST, format!("/api/invoices/{id}/send")),
        (Method::POST, format!("/api/invoices/{id}/void")),
        (Method::POST, format!("/api/invoices/{id}/payments")),
    ];
    for (method, path) in routes {
        let answer = app.request(&app.client, method.clone(), &path, Some(&json!({})), &[]).await;
        answer.assert_error(401, "unauthenticated", &[]);
    }
    // A forged cookie is no session either.
    let answer = app
        .request(&app.client, Method::GET, "/api/me", None, &[("cookie", "paybell_session=forged")])
        .await;
    answer.assert_error(401, "unauthenticated", &[]);
    app.get("/api/nothing-here").await.assert_error(404, "not_found", &[]);
}

async fn sign_ins_beyond_the_hashing_slots_get_503(db: Db) {
    let hashing = HashingLimits { concurrent: 1, wait: Duration::ZERO };
    let app = spawn_app_with(db, Options { hashing: Some(hashing), ..Options::default() }).await;
    let body = json!({"email": "owner@example.com", "password": PASSWORD});
    let clients: Vec<reqwest::Client> = (0..16).map(|_| reqwest::Client::new()).collect();
    let answers = join_all(
        clients
            .iter()
            .map(|client| app.request(client, Method::POST, "/api/auth/login", Some(&body), &[])),
    )
    .await;
    let busy: Vec<_> = answers.iter().filter(|a| a.status == 503).collect();
    assert!(!busy.is_empty(), "16 sign-ins at once and a single slot: some must wait");
    assert!(answers.iter().all(|a| a.status == 200 || a.status == 503));
    for answer in busy {
        answer.assert_error(503, "busy", &[]);
        assert_eq!(answer.headers["retry-after"], "1");
    }
    let later = app.post("/api/auth/login", &body).await;
    assert_eq!(later.status, 200, "a sign-in alone still works: {:#}", later.body);
}

async fn logout_all_ends_every_session_of_the_owner(db: Db) {
    let app = spawn_app(db).await;
    app.login().await;
    let elsewhere = signed_in(&app, "owner@example.com").await;
    create_user(&app.store, "other@example.com", "Other").await;
    let other = signed_in(&app, "other@example.com").await;

    let answer = app.request(&elsewhere, Method::POST, "/api/auth/logout-all", None, &[]).await;
    assert_eq!(answer.status, 204, "{:#}", answer.body);
    assert!(answer.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    app.get("/api/me").await.assert_error(401, "unauthenticated", &[]);
    let me = app.request(&elsewhere, Method::GET, "/api/me", None, &[]).await;
    me.assert_error(401, "unauthenticated", &[]);
    let theirs = app.request(&other, Method::GET, "/api/me", None, &[]).await;
    assert_eq!(theirs.status, 200, "another owner's sessions stay");
    // Without a session there is nothing to end.
    app.post_empty("/api/auth/logout-all").await.assert_error(401, "unauthenticated", &[]);
}

async fn sessions_end_after_a_week_unused_and_after_30_days(db: Db) {
    let clock = Clock::manual(Timestamp::now());
    let app =
        spawn_app_with(db, Options { clock: Some(clock.clone()), ..Options::default() }).await;
    app.login().await;
    // Used every 6 days, a session lives on, but not past its 30 days.
    for _ in 0..4 {
        clock.advance(6 * DAY);
        assert_eq!(app.get("/api/me").await.status, 200);
    }
    clock.advance(6 * DAY);
    app.get("/api/me").await.assert_error(401, "unauthenticated", &[]);

    // Unused for 7 days, it has ended.
    app.login().await;
    clock.advance(7 * DAY - Duration::from_secs(1));
    assert_eq!(app.get("/api/me").await.status, 200);
    clock.advance(7 * DAY);
    app.get("/api/me").await.assert_error(401, "unauthenticated", &[]);
}

async fn housekeeping_runs_by_the_application_clock(db: Db) {
    let clock = Clock::manual(Timestamp::now());
    let app =
        spawn_app_with(db, Options { clock: Some(clock.clone()), ..Options::default() }).await;
    let now = clock.now();
    app.store.create_session("idle", &app.user.id, now, now.plus(30 * DAY)).await.unwrap();
    // Passes run every 100 ms in tests: a fresh session outlives a few of them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.count_rows("sessions").await, 1);
    clock.advance(8 * DAY);
    let deadline = tokio::time::Instant::now() + crate::helpers::WAIT;
    while app.count_rows("sessions").await > 0 {
        assert!(tokio::time::Instant::now() < deadline, "the idle session was never purged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
