//! Fixed limits of the server that several modules share; the configurable ones live in
//! `config`, the protocol's own in `pusher_protocol::limits`.

use std::time::Duration;

use pusher_protocol::limits::CACHE_TTL_SECS;

/// Channels with more subscribers get their count every [`COUNT_INTERVAL`], not at every
/// change, so a busy channel is not flooded with counts.
pub(crate) const COUNT_EVERY_CHANGE_UP_TO: usize = 100;

/// How often busy channels get their coalesced subscription count.
pub(crate) const COUNT_INTERVAL: Duration = Duration::from_secs(5);

/// How long a cache channel keeps its last event.
pub(crate) const CACHE_TTL: Duration = Duration::from_secs(CACHE_TTL_SECS);
