//! Sign-in throttling over HTTP: per account and per client address, counted in the
//! database, with `X-Forwarded-For` believed only from a trusted proxy.

use std::time::Duration;

use futures_util::future::join_all;
use invoicing::Clock;
use invoicing::auth::HashingLimits;
use invoicing::domain::Timestamp;
use reqwest::Method;
use serde_json::json;

use crate::helpers::{
    Answer, Db, Options, PASSWORD, TestApp, on_both, spawn_app, spawn_app_with, spawn_node,
};

on_both!(
    the_sixth_sign_in_is_429_even_with_the_right_password,
    an_unknown_address_is_throttled_alike,
    waits_double_and_success_resets_the_account,
    counts_survive_a_restart,
    the_address_limit_spans_accounts,
    forwarded_for_is_ignored_unless_the_peer_is_trusted,
    a_burst_of_guesses_in_parallel_learns_no_more_than_the_limit,
);

const OWNER: &str = "owner@example.com";
const WRONG: &str = "not the password";

/// The test's client connects from 127.0.0.1: trusting it makes `X-Forwarded-For` the address.
fn behind_proxy(clock: Option<Clock>) -> Options {
    Options { trusted_proxies: Some("127.0.0.1"), clock, ..Options::default() }
}

async fn sign_in(app: &TestApp, email: &str, password: &str, from: Option<&str>) -> Answer {
    let body = json!({"email": email, "password": password});
    let headers: Vec<(&str, &str)> = from.map(|ip| ("x-forwarded-for", ip)).into_iter().collect();
    app.request(&reqwest::Client::new(), Method::POST, "/api/auth/login", Some(&body), &headers)
        .await
}

/// Asserts a 429 and returns its `Retry-After`.
fn throttled(answer: &Answer) -> u64 {
    answer.assert_error(429, "too_many_attempts", &[]);
    let header: u64 = answer.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(answer.body["error"]["retryAfter"], header, "{:#}", answer.body);
    assert!(header >= 1);
    header
}

async fn the_sixth_sign_in_is_429_even_with_the_right_password(db: Db) {
    let app = spawn_app(db).await;
    for _ in 0..5 {
        sign_in(&app, OWNER, WRONG, None).await.assert_error(401, "invalid_credentials", &[]);
    }
    let answer = sign_in(&app, OWNER, PASSWORD, None).await;
    let wait = throttled(&answer);
    assert!((1..=60).contains(&wait), "the first wait is a minute: {wait}");
    assert!(answer.headers.get("set-cookie").is_none());
    throttled(&sign_in(&app, OWNER, WRONG, None).await);
}

async fn an_unknown_address_is_throttled_alike(db: Db) {
    let clock = Clock::manual(Timestamp::now());
    let app = spawn_app_with(db, behind_proxy(Some(clock))).await;
    // The same answers for an account and for an address with none (no user enumeration),
    // each run from its own client address.
    let mut runs = Vec::new();
    for (email, from) in [(OWNER, "203.0.113.1"), ("nobody@example.com", "203.0.113.2")] {
        let mut answers = Vec::new();
        for password in [WRONG, WRONG, WRONG, WRONG, WRONG, PASSWORD, WRONG] {
            let answer = sign_in(&app, email, password, Some(from)).await;
            let retry_after = answer.headers.get("retry-after").cloned();
            answers.push((answer.status, answer.body, retry_after));
        }
        runs.push(answers);
    }
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0][5].0, 429);
}

async fn waits_double_and_success_resets_the_account(db: Db) {
    let clock = Clock::manual(Timestamp::now());
    let app = spawn_app_with(db, behind_proxy(Some(clock.clone()))).await;
    // Each attempt from its own address: only the account counts.
    let mut n = 0;
    let mut attempt = |password: &'static str| {
        n += 1;
        let from = format!("203.0.113.{n}");
        let app = &app;
        async move { sign_in(app, OWNER, password, Some(&from)).await }
    };
    for _ in 0..5 {
        attempt(WRONG).await.assert_error(401, "invalid_credentials", &[]);
    }
    assert_eq!(throttled(&attempt(PASSWORD).await), 60);
    clock.advance(Duration::from_secs(30));
    assert_eq!(throttled(&attempt(PASSWORD).await), 30);
    clock.advance(Duration::from_secs(30));
    let answer = attempt(PASSWORD).await;
    assert_eq!(answer.status, 200, "the wait is over: {:#}", answer.body);

    // Success forgot the account's count: five more failures before a wait, and each
    // failure after a wait doubles the next, up to 15 minutes.
    for _ in 0..4 {
        attempt(WRONG).await.assert_error(401, "invalid_credentials", &[]);
    }
    let mut waits = Vec::new();
    for _ in 0..6 {
        attempt(WRONG).await.assert_error(401, "invalid_credentials", &[]);
        let wait = throttled(&attempt(PASSWORD).await);
        waits.push(wait);
        clock.advance(Duration::from_secs(wait));
    }
    assert_eq!(waits, [60, 120, 240, 480, 900, 900]);
    assert_eq!(attempt(PASSWORD).await.status, 200);
}

async fn counts_survive_a_restart(db: Db) {
    let app = spawn_app(db).await;
    for _ in 0..3 {
        sign_in(&app, OWNER, WRONG, None).await.assert_error(401, "invalid_credentials", &[]);
    }
    let node = app.same_database(Options::default());
    drop(app);
    let app = spawn_node(node).await;
    for _ in 0..2 {
        sign_in(&app, OWNER, WRONG, None).await.assert_error(401, "invalid_credentials", &[]);
    }
    throttled(&sign_in(&app, OWNER, PASSWORD, None).await);
}

async fn the_address_limit_spans_accounts(db: Db) {
    let app = spawn_app_with(db, behind_proxy(None)).await;
    let guesser = Some("198.51.100.7");
    for n in 0..5 {
        let answer = sign_in(&app, &format!("user{n}@example.com"), WRONG, guesser).await;
        answer.assert_error(401, "invalid_credentials", &[]);
    }
    // That address is refused for any account; the owner elsewhere is not.
    throttled(&sign_in(&app, OWNER, PASSWORD, guesser).await);
    throttled(&sign_in(&app, "user9@example.com", WRONG, guesser).await);
    let answer = sign_in(&app, OWNER, PASSWORD, Some("198.51.100.8")).await;
    assert_eq!(answer.status, 200, "{:#}", answer.body);
}

async fn forwarded_for_is_ignored_unless_the_peer_is_trusted(db: Db) {
    let app = spawn_app(db).await;
    // Without a trusted proxy, a made-up X-Forwarded-For changes nothing: every attempt
    // counts against 127.0.0.1.
    for n in 0..5 {
        let (email, from) = (format!("user{n}@example.com"), format!("192.0.2.{n}"));
        let answer = sign_in(&app, &email, WRONG, Some(&from)).await;
        answer.assert_error(401, "invalid_credentials", &[]);
    }
    throttled(&sign_in(&app, OWNER, PASSWORD, Some("192.0.2.200")).await);
}

async fn a_burst_of_guesses_in_parallel_learns_no_more_than_the_limit(db: Db) {
    // One hashing slot: the guesses are checked one after another while all of them passed
    // the first look at the throttle together.
    let hashing = HashingLimits { concurrent: 1, wait: Duration::from_secs(20) };
    let app = spawn_app_with(db, Options { hashing: Some(hashing), ..Options::default() }).await;
    let guesses = (0..12).map(|n| format!("guess number {n}")).collect::<Vec<_>>();
    let answers = join_all(guesses.iter().map(|guess| sign_in(&app, OWNER, guess, None))).await;
    let wrong = answers.iter().filter(|a| a.status == 401).count();
    let refused = answers.iter().filter(|a| a.status == 429).count();
    assert_eq!(wrong + refused, answers.len());
    // The fifth failure starts the wait; every later guess finds it, at the second look or
    // when its failure is counted (one statement). Without those, all 12 were answered.
    assert_eq!(wrong, 5, "{wrong} guesses answered 401, {refused} refused");
}
