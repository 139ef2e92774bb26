//! Payment reminders: [`BEFORE_DUE_DAYS`] days before the due date, then once overdue and every
//! [`OVERDUE_EVERY_DAYS`] days after, at most [`OVERDUE_TIMES`] times. Each stage is written
//! once ([`Store::record_reminder`] keys it by invoice and stage, in the mail row's
//! transaction), so several nodes ticking at once send it once. Reminders are switched per
//! owner and per invoice; only invoices awaiting money (sent, partly paid, overdue) get them.
//!
//! [`tick`] takes the time, so tests drive it with any date; [`run`] calls it periodically.

use std::sync::Arc;
use std::time::Duration;

use time::Date;
use tokio_util::sync::CancellationToken;

use super::Composer;
use crate::domain::Timestamp;
use crate::store::{ReminderCandidate, Store, StoreError};

/// Days before the due date the first reminder goes out.
pub const BEFORE_DUE_DAYS: i64 = 3;
/// Days between overdue reminders.
pub const OVERDUE_EVERY_DAYS: i64 = 7;
/// Most overdue reminders per invoice.
pub const OVERDUE_TIMES: i64 = 3;

/// The stage due for an invoice on `today`, with every stage it stands for (a late tick after
/// downtime sends the latest overdue stage once and counts the ones it skipped).
fn due_stages(due: Date, today: Date) -> Option<(bool, Vec<String>)> {
    let days_late = (today - due).whole_days();
    if days_late >= 1 {
        let stage = (1 + (days_late - 1) / OVERDUE_EVERY_DAYS).min(OVERDUE_TIMES);
        let stages = (1..=stage).map(|k| format!("overdue_{k}")).collect();
        return Some((true, stages));
    }
    (-days_late <= BEFORE_DUE_DAYS).then(|| (false, vec!["before_due".to_owned()]))
}

/// One pass at `now`: writes the reminders due; returns how many.
///
/// # Errors
/// [`StoreError`] from the store.
pub async fn tick(store: &Store, composer: &Composer, now: Timestamp) -> Result<usize, StoreError> {
    let mut sent = 0;
    for ReminderCandidate { invoice_id, due_date, done } in store.reminder_candidates().await? {
        let Some((overdue, stages)) = due_stages(due_date, now.date()) else { continue };
        if stages.last().is_none_or(|last| done.contains(last)) {
            continue;
        }
        let Some(invoice) = store.invoice(&invoice_id).await? else { continue };
        let Some(owner) = store.user(&invoice.user_id).await? else { continue };
        let mail = composer.reminder(&owner, &invoice, overdue, now);
        let stages: Vec<&str> = stages.iter().map(String::as_str).collect();
        if store.record_reminder(&invoice_id, &stages, mail, now).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Runs [`tick`] now and then every `every` until `stop` is cancelled.
pub async fn run(store: Store, composer: Arc<Composer>, every: Duration, stop: CancellationToken) {
    loop {
        match tick(&store, &composer, Timestamp::now()).await {
            Ok(0) => {}
            Ok(count) => tracing::info!(count, "payment reminders written"),
            Err(error) => tracing::warn!(%error, "reminders: pass failed"),
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(every) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::invoice::parse_date;

    #[test]
    fn stages_follow_the_calendar() {
        let due = parse_date("2030-03-10").unwrap();
        let on = |day: &str| due_stages(due, parse_date(day).unwrap());
        assert_eq!(on("2030-03-06"), None);
        assert_eq!(on("2030-03-07"), Some((false, vec!["before_due".to_owned()])));
        assert_eq!(on("2030-03-10"), Some((false, vec!["before_due".to_owned()])));
        assert_eq!(on("2030-03-11"), Some((true, vec!["overdue_1".to_owned()])));
        assert_eq!(on("2030-03-17"), Some((true, vec!["overdue_1".to_owned()])));
        let second = vec!["overdue_1".to_owned(), "overdue_2".to_owned()];
        assert_eq!(on("2030-03-18"), Some((true, second)));
        let third = on("2030-04-30").unwrap().1;
        assert_eq!(third.last().map(String::as_str), Some("overdue_3"), "at most three");
    }
}
