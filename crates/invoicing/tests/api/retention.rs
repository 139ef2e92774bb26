//! Session idle time, sign-in failure counts and housekeeping, part of the store's
//! conformance suite: the same behaviour from SQLite and PostgreSQL.

use std::time::Duration;

use invoicing::StoreError;
use invoicing::domain::events::payment_events;
use invoicing::domain::{Action, Amount, Email, Payment, PaymentSource, Timestamp};
use invoicing::store::{PaymentRequest, Retention};
use invoicing::throttle::ThrottlePolicy;

use crate::helpers::{Db, create_user, on_both};
use crate::store::{CHANNELS, content, store};

on_both!(
    sessions_end_when_idle_and_use_renews_them_hourly,
    sessions_of_a_user_end_together,
    failures_count_up_to_a_doubling_wait_and_are_forgotten,
    housekeeping_purges_what_has_served_its_time,
);

const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);
const IDLE: Duration = Retention::DEFAULT_SESSION_IDLE;

async fn sessions_end_when_idle_and_use_renews_them_hourly(db: Db) {
    let (store, _db) = store(db).await;
    let user = create_user(&store, "a@example.com", "A").await;
    let t0 = Timestamp::now();
    let far = t0.plus(30 * DAY);
    for token in ["unused", "used-soon", "used-later"] {
        store.create_session(token, &user.id, t0, far).await.unwrap();
    }
    let just_idle = t0.plus(IDLE).plus(Duration::from_millis(1));

    // Used within the hour: no renewal is written, so it ends 7 days after creation.
    assert!(store.session_user("used-soon", t0.plus(HOUR / 2), IDLE).await.unwrap().is_some());
    // Used after an hour: renewed, so it lives on past the first 7 days.
    assert!(store.session_user("used-later", t0.plus(2 * HOUR), IDLE).await.unwrap().is_some());

    assert_eq!(store.session_user("unused", just_idle, IDLE).await.unwrap(), None);
    assert_eq!(store.session_user("used-soon", just_idle, IDLE).await.unwrap(), None);
    assert_eq!(store.session_user("used-later", just_idle, IDLE).await.unwrap(), Some(user));
    // Renewals never outlive the absolute expiry.
    let mut now = just_idle;
    while now < far {
        now = now.plus(6 * DAY).min(far);
        let alive = store.session_user("used-later", now, IDLE).await.unwrap().is_some();
        assert_eq!(alive, now < far, "at {now:?} (expiry {far:?})");
    }
}

async fn sessions_of_a_user_end_together(db: Db) {
    let (store, _db) = store(db).await;
    let a = create_user(&store, "a@example.com", "A").await;
    let b = create_user(&store, "b@example.com", "B").await;
    let now = Timestamp::now();
    let later = now.plus(DAY);
    for (token, user) in [("a1", &a), ("a2", &a), ("b1", &b)] {
        store.create_session(token, &user.id, now, later).await.unwrap();
    }
    assert_eq!(store.delete_sessions_of(&a.id).await.unwrap(), 2);
    assert_eq!(store.session_user("a1", now, IDLE).await.unwrap(), None);
    assert_eq!(store.session_user("a2", now, IDLE).await.unwrap(), None);
    assert_eq!(store.session_user("b1", now, IDLE).await.unwrap(), Some(b.clone()));

    // A new password ends the owner's sessions in the same transaction.
    store.create_session("b2", &b.id, now, later).await.unwrap();
    let changed = store.set_password(&b.email, "new-hash").await.unwrap();
    assert_eq!(changed, b);
    assert_eq!(store.session_user("b1", now, IDLE).await.unwrap(), None);
    assert_eq!(store.session_user("b2", now, IDLE).await.unwrap(), None);
    let (_, hash) = store.user_with_password(&b.email).await.unwrap().unwrap();
    assert_eq!(hash, "new-hash");
    let nobody = Email::parse("nobody@example.com").unwrap();
    assert!(matches!(store.set_password(&nobody, "x").await, Err(StoreError::NotFound)));
}

async fn failures_count_up_to_a_doubling_wait_and_are_forgotten(db: Db) {
    let (store, _db) = store(db).await;
    let policy = ThrottlePolicy::default();
    let t0 = Timestamp::now();
    let (key, other) = ("account:x", "address:10.0.0.1");
    for n in 1..=4 {
        assert_eq!(store.record_login_failure(key, t0, &policy).await.unwrap(), Some(n));
        assert_eq!(store.login_locked_until(&[key], t0).await.unwrap(), None);
    }
    assert_eq!(store.record_login_failure(key, t0, &policy).await.unwrap(), Some(5));
    // During the wait nothing is counted.
    assert_eq!(store.record_login_failure(key, t0, &policy).await.unwrap(), None);
    let minute = t0.plus(Duration::from_secs(60));
    assert_eq!(store.login_locked_until(&[other, key], t0).await.unwrap(), Some(minute));
    assert_eq!(store.login_locked_until(&[other], t0).await.unwrap(), None);
    assert_eq!(store.login_locked_until(&[key], minute).await.unwrap(), None, "wait over");

    // The next failure doubles the wait.
    assert_eq!(store.record_login_failure(key, minute, &policy).await.unwrap(), Some(6));
    let until = store.login_locked_until(&[key], minute).await.unwrap();
    assert_eq!(until, Some(minute.plus(Duration::from_secs(120))));

    // A count is forgotten 15 minutes after its wait ends; clearing forgets it at once.
    let forgotten = minute.plus(Duration::from_secs(120)).plus(policy.window);
    assert_eq!(store.record_login_failure(key, forgotten, &policy).await.unwrap(), Some(1));
    store.record_login_failure(other, t0, &policy).await.unwrap();
    store.clear_login_failures(other).await.unwrap();
    assert_eq!(store.record_login_failure(other, t0, &policy).await.unwrap(), Some(1));
}

async fn housekeeping_purges_what_has_served_its_time(db: Db) {
    let (store, _db) = store(db).await;
    let user = create_user(&store, "a@example.com", "A").await;
    let retention = Retention::default();
    let now = Timestamp::now();
    let long_ago = now.minus(40 * DAY);

    // Sessions: one expired, one idle past 7 days, one live.
    store.create_session("expired", &user.id, long_ago, now.minus(HOUR)).await.unwrap();
    store.create_session("idle", &user.id, now.minus(8 * DAY), now.plus(DAY)).await.unwrap();
    store.create_session("live", &user.id, now.minus(DAY), now.plus(DAY)).await.unwrap();

    // Idempotency keys: one 25 hours old, one an hour old.
    let invoice = store.create_invoice(&user.id, content("2099-01-01"), long_ago, |_| Vec::new());
    let invoice = invoice.await.unwrap();
    store
        .update_invoice(
            &invoice.id,
            None,
            |i| i.transition(Action::Send, long_ago),
            |_, _| Vec::new(),
        )
        .await
        .unwrap();
    for (key, at) in [("old-key", now.minus(25 * HOUR)), ("new-key", now.minus(HOUR))] {
        let amount = Amount::parse("amount", 100).unwrap();
        let payment = Payment::new(PaymentSource::Owner, amount, "cash", None, at).unwrap();
        let request =
            PaymentRequest { payment, idempotency: Some((key.to_owned(), key.to_owned())) };
        let events = payment_events(CHANNELS, amount, at);
        store.record_payment(&invoice.id, None, request, events).await.unwrap();
    }

    // Payment attempts: one ended long ago (purged with the old key), one in flight now.
    let attempt = |minor: i64| {
        move |_: &invoicing::domain::Invoice, _: i64| {
            Amount::parse("amount", minor).map_err(Into::into)
        }
    };
    let old = (now.minus(25 * HOUR), invoicing::store::ATTEMPT_TTL);
    store.reserve_attempt(&invoice.id, None, old, attempt(100)).await.unwrap();
    let live = (now, invoicing::store::ATTEMPT_TTL);
    store.reserve_attempt(&invoice.id, Some(("k", "f")), live, attempt(100)).await.unwrap();

    // Outbox: rows published 31 days ago and yesterday, one never published, one failed.
    let events = store.all_events().await.unwrap();
    assert!(events.len() >= 4, "{} rows", events.len());
    store.mark_sent(events[0].seq, now.minus(31 * DAY)).await.unwrap();
    store.mark_sent(events[1].seq, now.minus(DAY)).await.unwrap();
    store.mark_failed(events[2].seq, "refused", now.minus(31 * DAY)).await.unwrap();

    // Sign-in failure counts: one forgotten, one live.
    let policy = ThrottlePolicy::default();
    store.record_login_failure("old", now.minus(DAY), &policy).await.unwrap();
    store.record_login_failure("new", now, &policy).await.unwrap();

    let purged = store.purge(now, &retention).await.unwrap();
    assert_eq!(purged.sessions, 2);
    assert_eq!(purged.idempotency_keys, 2, "the old key and the old attempt");
    assert_eq!(purged.published_events, 1);
    assert_eq!(purged.login_failures, 1);
    assert_eq!(store.session_user("live", now, IDLE).await.unwrap(), Some(user));
    let left: Vec<i64> = store.all_events().await.unwrap().iter().map(|e| e.seq).collect();
    assert!(!left.contains(&events[0].seq) && left.contains(&events[1].seq));
    assert!(left.contains(&events[2].seq), "failed rows stay for inspection");
    assert_eq!(left.len(), events.len() - 1);
    let replayed = store.replayed_payment(&invoice.id, "new-key", "new-key").await.unwrap();
    assert!(replayed.is_some_and(|outcome| outcome.replayed));
    let forgotten = store.replayed_payment(&invoice.id, "old-key", "old-key").await.unwrap();
    assert!(forgotten.is_none());
    // A second pass finds nothing more.
    assert_eq!(store.purge(now, &retention).await.unwrap().total(), 0);
}
