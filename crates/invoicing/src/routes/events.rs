//! The event log, for pages that were disconnected: `GET /api/events` (the signed-in owner's
//! user channel) and `GET /api/pay/{id}/events` (a sent invoice's channel, for its payment
//! page). Both take `?after={cursor}&limit={n}` and answer
//! `{events: [{channel, event, eventId, data}], cursor, hasMore}`; `data` is the payload
//! exactly as it was published. A cursor older than what is kept answers 410.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::ToSchema;

use super::error::ErrorBody;
use super::extract::{CurrentUser, InvoicePath};
use super::{ApiError, AppState};
use crate::domain::ChannelNames;
use crate::store::{Cursor, LogRead, LoggedEvent, StoreError};

/// Events per answer when `limit` is not given, and the most one answer holds.
const DEFAULT_LIMIT: i64 = 100;
const MAX_LIMIT: i64 = 500;

/// `GET /api/events?after=&limit=`: the owner's user channel.
#[utoipa::path(
    get, path = "/api/events", tag = "events", security(("session" = [])),
    params(
        ("after" = Option<String>, Query,
            description = "An `eventId` or a `cursor` this API returned; absent: the cursor only"),
        ("limit" = Option<i64>, Query, description = "1 to 500; 100 when absent"),
    ),
    responses(
        (status = 200, description = "Events after the cursor", body = Page<'_>),
        (status = 400, description = "A malformed cursor or limit", body = ErrorBody),
        (status = 410, description = "The cursor is older than the events kept", body = ErrorBody),
    ),
)]
pub(crate) async fn owner(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref())?;
    let channel = channels(&state).user(user.id.as_str());
    read(&state, &channel, &params).await
}

/// `GET /api/pay/{id}/events?after=&limit=`: a sent invoice's channel; drafts are not found.
#[utoipa::path(
    get, path = "/api/pay/{id}/events", tag = "events",
    params(
        ("id" = String, Path, description = "The invoice id"),
        ("after" = Option<String>, Query,
            description = "An `eventId` or a `cursor` this API returned; absent: the cursor only"),
        ("limit" = Option<i64>, Query, description = "1 to 500; 100 when absent"),
    ),
    responses(
        (status = 200, description = "Events after the cursor", body = Page<'_>),
        (status = 400, description = "A malformed cursor or limit", body = ErrorBody),
        (status = 410, description = "The cursor is older than the events kept", body = ErrorBody),
        (status = 404, description = "No such sent invoice", body = ErrorBody),
    ),
)]
pub(crate) async fn invoice(
    State(state): State<AppState>,
    InvoicePath(id): InvoicePath,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let params = Params::parse(query.as_deref())?;
    let invoice = state.usecases.payable_invoice(&id).await?;
    let channel = channels(&state).invoice(invoice.id.as_str());
    read(&state, &channel, &params).await
}

fn channels(state: &AppState) -> ChannelNames {
    ChannelNames { private: state.settings.private_channels }
}

async fn read(state: &AppState, channel: &str, params: &Params) -> Result<Response, ApiError> {
    match state.store.channel_events(channel, &params.after, params.limit).await? {
        LogRead::Gone => Err(ApiError::Gone(
            "this cursor is older than the events kept, or unknown: fetch the current state",
        )),
        LogRead::Events { events, cursor, has_more } => {
            let events = events.iter().map(EventView::new).collect::<Result<Vec<_>, _>>()?;
            let cursor = match cursor {
                Cursor::Event(id) => id,
                Cursor::Position(n) => n.to_string(),
                // A read never answers "latest"; it names where it stands.
                Cursor::Latest => "0".to_owned(),
            };
            Ok(Json(Page { events, cursor, has_more }).into_response())
        }
    }
}

/// A page of the event log.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Page<'a> {
    /// Oldest first.
    events: Vec<EventView<'a>>,
    /// Where the next read starts (`after`).
    cursor: String,
    /// Whether more events follow this page.
    has_more: bool,
}

/// One event as it was published.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EventView<'a> {
    channel: &'a str,
    event: &'a str,
    event_id: &'a str,
    /// The payload exactly as published (the realtime contract; fields may be added).
    #[schema(value_type = Object)]
    data: &'a RawValue,
}

impl<'a> EventView<'a> {
    fn new(event: &'a LoggedEvent) -> Result<Self, ApiError> {
        let data: &RawValue = serde_json::from_str(&event.payload).map_err(|_| {
            StoreError::Corrupt(format!("outbox payload of {} is not JSON", event.event_id))
        })?;
        Ok(Self { channel: &event.channel, event: &event.event, event_id: &event.event_id, data })
    }
}

/// The query: `after` (an `eventId` or a position; absent: the current cursor only) and
/// `limit` (1 to 500, default 100). Other parameters are ignored.
#[derive(Debug)]
struct Params {
    after: Cursor,
    limit: i64,
}

impl Params {
    fn parse(query: Option<&str>) -> Result<Self, ApiError> {
        let mut params = Self { after: Cursor::Latest, limit: DEFAULT_LIMIT };
        let pairs = url::form_urlencoded::parse(query.unwrap_or("").as_bytes());
        for (name, value) in pairs {
            match name.as_ref() {
                "after" => params.after = parse_cursor(&value)?,
                "limit" => {
                    params.limit = value
                        .parse::<i64>()
                        .ok()
                        .filter(|n| (1..=MAX_LIMIT).contains(n))
                        .ok_or_else(|| bad("limit must be a whole number from 1 to 500"))?;
                }
                _ => {}
            }
        }
        Ok(params)
    }
}

/// A position is digits; an `eventId` is a UUID. Anything else is malformed.
fn parse_cursor(value: &str) -> Result<Cursor, ApiError> {
    if !value.is_empty() && value.len() <= 18 && value.bytes().all(|b| b.is_ascii_digit()) {
        return value.parse().map(Cursor::Position).map_err(|_| bad_cursor());
    }
    uuid::Uuid::try_parse(value).map(|id| Cursor::Event(id.to_string())).map_err(|_| bad_cursor())
}

fn bad_cursor() -> ApiError {
    bad("after must be a cursor this API returned (an eventId)")
}

fn bad(message: &str) -> ApiError {
    ApiError::BadRequest(message.to_owned())
}
