//! The outbox read as an event log per channel, for pages that were disconnected.
//!
//! Every outbox row has a position in its channel (`channel_seq`: 1, 2, 3…, no gaps), taken
//! under a row lock in the change's transaction (migration 0004), so a row committed late
//! by another node can never sit below a position a reader has already passed. A reader
//! hands back a [`Cursor`]: the `eventId` of the last event it has, or a bare position when
//! the channel had no kept event to name. A cursor whose events are gone (purged, unknown,
//! or from another channel) is [`LogRead::Gone`]: the page then re-fetches everything.

use super::{Store, StoreError};

/// Where to read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// Nothing: answer only the channel's current cursor (a page starting from now).
    Latest,
    /// After the event with this `eventId`.
    Event(String),
    /// After the channel's `n`-th event (0: from its start).
    Position(i64),
}

/// One event as published.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoggedEvent {
    /// Its position in the channel.
    pub channel_seq: i64,
    /// The payload's `eventId`.
    pub event_id: String,
    /// Channel name.
    pub channel: String,
    /// Event name.
    pub event: String,
    /// The payload, JSON text byte for byte as published.
    pub payload: String,
}

/// What a read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogRead {
    /// The events after the cursor, oldest first.
    Events {
        /// Up to the limit asked for.
        events: Vec<LoggedEvent>,
        /// The cursor to read on from: the last event's id (or the one given).
        cursor: Cursor,
        /// Whether more events follow.
        has_more: bool,
    },
    /// The cursor is unknown, of another channel, or older than what is kept.
    Gone,
}

impl Store {
    /// Up to `limit` events of `channel` after `after`, oldest first.
    ///
    /// # Errors
    /// [`StoreError::Database`].
    pub async fn channel_events(
        &self,
        channel: &str,
        after: &Cursor,
        limit: i64,
    ) -> Result<LogRead, StoreError> {
        // Read first: every row at or below it is committed, so the rows read next must
        // hold each position up to it; one missing was purged.
        let last: i64 =
            sqlx::query_scalar("SELECT last_seq FROM channel_positions WHERE channel = $1")
                .bind(channel)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or(0);
        let from = match after {
            Cursor::Latest => return self.latest(channel, last).await,
            Cursor::Position(n) if *n > last || *n < 0 => return Ok(LogRead::Gone),
            Cursor::Position(n) => *n,
            Cursor::Event(id) => {
                let position: Option<i64> = sqlx::query_scalar(
                    "SELECT channel_seq FROM outbox WHERE event_id = $1 AND channel = $2",
                )
                .bind(id)
                .bind(channel)
                .fetch_optional(&self.pool)
                .await?;
                match position {
                    Some(position) => position,
                    None => return Ok(LogRead::Gone),
                }
            }
        };
        let mut events: Vec<LoggedEvent> = sqlx::query_as(
            "SELECT channel_seq, event_id, channel, event, payload FROM outbox \
             WHERE channel = $1 AND channel_seq > $2 AND channel_seq <= $3 \
             ORDER BY channel_seq LIMIT $4",
        )
        .bind(channel)
        .bind(from)
        .bind(last)
        .bind(limit.saturating_add(1))
        .fetch_all(&self.pool)
        .await?;
        let contiguous = (from + 1..).zip(&events).all(|(want, event)| event.channel_seq == want);
        let has_more = i64::try_from(events.len()).unwrap_or(i64::MAX) > limit;
        events.truncate(usize::try_from(limit).unwrap_or(0));
        let reaches_end = has_more || events.last().map_or(from, |e| e.channel_seq) == last;
        if !contiguous || !reaches_end {
            return Ok(LogRead::Gone);
        }
        let cursor = match events.last() {
            Some(event) => Cursor::Event(event.event_id.clone()),
            None => after.clone(),
        };
        Ok(LogRead::Events { events, cursor, has_more })
    }

    /// No events, and the cursor of the channel's newest event (a position if none is kept).
    async fn latest(&self, channel: &str, last: i64) -> Result<LogRead, StoreError> {
        let newest: Option<String> = sqlx::query_scalar(
            "SELECT event_id FROM outbox WHERE channel = $1 AND channel_seq = $2",
        )
        .bind(channel)
        .bind(last)
        .fetch_optional(&self.pool)
        .await?;
        let cursor = newest.map_or(Cursor::Position(last), Cursor::Event);
        Ok(LogRead::Events { events: Vec::new(), cursor, has_more: false })
    }
}
