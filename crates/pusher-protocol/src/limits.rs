//! Protocol limits: the defaults Pusher and its SDKs agree on. Servers may make them configurable.

/// Longest channel name accepted (Pusher says 164; the SDKs allow 200).
pub const MAX_CHANNEL_NAME_LEN: usize = 200;
/// Longest event name accepted.
pub const MAX_EVENT_NAME_LEN: usize = 200;
/// Largest `data` of one event triggered through the HTTP API, in bytes.
pub const MAX_EVENT_DATA_BYTES: usize = 10 * 1024;
/// Most channels one HTTP API trigger may name.
pub const MAX_CHANNELS_PER_EVENT: usize = 100;
/// Most events in one `batch_events` request.
pub const MAX_BATCH_EVENTS: usize = 10;
/// Most members of one presence channel.
pub const MAX_PRESENCE_MEMBERS: usize = 100;
/// Largest presence `user_info`, in bytes of JSON.
pub const MAX_PRESENCE_USER_INFO_BYTES: usize = 1024;
/// Longest presence user id, in characters.
pub const MAX_PRESENCE_USER_ID_LEN: usize = 128;
/// Client events one connection may send per second.
pub const MAX_CLIENT_EVENTS_PER_SECOND: u32 = 10;
/// Most ids in a sign-in watchlist; the rest are ignored with a 4302 error.
pub const MAX_WATCHLIST_IDS: usize = 100;
/// Seconds of silence after which a side pings the other.
pub const ACTIVITY_TIMEOUT_SECS: u64 = 120;
/// Seconds to wait for a pong before closing with 4201.
pub const PONG_TIMEOUT_SECS: u64 = 30;
/// Largest WebSocket message accepted from a client, in bytes.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Longest time a cache channel keeps its last event, in seconds.
pub const CACHE_TTL_SECS: u64 = 30 * 60;
/// Allowed distance between a signed HTTP request's `auth_timestamp` and the server clock.
pub const API_TIMESTAMP_WINDOW_SECS: u64 = 600;
