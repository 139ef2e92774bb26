//! The store's conformance suite, mail rows: the same behaviour from SQLite and PostgreSQL.

use std::time::Duration;

use invoicing::domain::events::outbox_events;
use invoicing::domain::{Action, Change, MailId, MailKind, NewMail, Timestamp};
use invoicing::store::{MAIL, MailRow, Written};

use crate::helpers::{Db, create_user, on_both};
use crate::store::{CHANNELS, content, store};

on_both!(mail_commits_with_its_change_and_is_claimed_once);

async fn mail_commits_with_its_change_and_is_claimed_once(db: Db) {
    let (store, _db) = store(db).await;
    let user = create_user(&store, "owner@example.com", "Owner").await;
    let now = Timestamp::now();
    let invoice =
        store.create_invoice(&user.id, content("2099-01-01"), now, |_| Vec::new()).await.unwrap();
    let mail = |invoice: &invoicing::domain::Invoice| NewMail {
        id: MailId::new(),
        user_id: user.id.clone(),
        invoice_id: invoice.id.clone(),
        kind: MailKind::Invoice,
        recipient: "ada@example.com".to_owned(),
        reply_to: "owner@example.com".to_owned(),
        subject: "Invoice #1".to_owned(),
        text: "text".to_owned(),
        html: "<p>html</p>".to_owned(),
        message_id: format!("<{}@example.com>", MailId::new()),
        created_at: now,
    };
    // A refused change writes no mail; an accepted one writes its mail with its events.
    let refused = store
        .update_invoice(
            &invoice.id,
            None,
            |i| i.transition(Action::Pay { settles: true }, now),
            |i, _| Written { events: Vec::new(), mail: vec![mail(i)] },
        )
        .await;
    assert!(refused.is_err());
    assert!(store.all_mail().await.unwrap().is_empty());
    store
        .update_invoice(
            &invoice.id,
            None,
            |i| i.transition(Action::Send, now),
            |i, _| Written {
                events: outbox_events(Change::StatusChanged, i, CHANNELS, now),
                mail: vec![mail(i)],
            },
        )
        .await
        .unwrap();
    let rows = store.all_mail().await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].kind.as_str(), rows[0].status()), ("invoice", "queued"));
    assert_eq!(store.mail_of_invoice(&invoice.id).await.unwrap(), rows);
    assert_eq!(store.mail_of(&user.id, 10).await.unwrap(), rows);
    assert_eq!(store.mail(&rows[0].mail_id()).await.unwrap().as_ref(), Some(&rows[0]));

    // Two workers: the first claims it, the second finds nothing; done once, it is sent.
    let lease = Duration::from_secs(30);
    let queue = store.work(&MAIL);
    let first: Vec<MailRow> = queue.claim("node-a", now, lease, 10).await.unwrap();
    let second: Vec<MailRow> = queue.claim("node-b", now, lease, 10).await.unwrap();
    assert_eq!((first.len(), second.len()), (1, 0));
    queue.mark_attempt_failed(first[0].seq, "451 try again").await.unwrap();
    store.set_mail_delivered_via(first[0].seq, "smtp").await.unwrap();
    queue.mark_done(first[0].seq, Timestamp::now()).await.unwrap();
    let row = store.all_mail().await.unwrap().remove(0);
    assert_eq!((row.status(), row.attempts), ("sent", 1));
    assert_eq!(row.last_error.as_deref(), Some("451 try again"));
    let later: Vec<MailRow> = queue.claim("node-b", Timestamp::now(), lease, 10).await.unwrap();
    assert!(later.is_empty());
}
