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

/// The open files a node keeps for itself (its HTTP API clients, Redis, a database, logs)
/// out of its open-file limit when `max_connections` is not set: a tenth, between 64 and 1024.
fn reserved_files(limit: u64) -> u64 {
    (limit / 10).clamp(64, 1024)
}

/// The default `max_connections`: the open-file limit less [`reserved_files`], so a flood of
/// connections is answered with 4100 instead of failing `accept` and starving everything
/// else the process opens. The soft limit is raised to the hard one first, as servers do.
pub(crate) fn default_max_connections() -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX)
        .or_else(|_| rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft))
        .unwrap_or(1024);
    connections_for(limit)
}

fn connections_for(limit: u64) -> usize {
    let connections = limit.saturating_sub(reserved_files(limit)).max(1);
    usize::try_from(connections).unwrap_or(usize::MAX)
}

/// The Debug Console's sign-in throttle, the owner login's policy: this many failures in a
/// row, each within [`SIGN_IN_WINDOW`] of the last, start a wait of [`SIGN_IN_FIRST_WAIT`]
/// that doubles with each further failure up to [`SIGN_IN_MAX_WAIT`].
pub(crate) const SIGN_IN_MAX_FAILURES: u32 = 5;
/// How long a failure is remembered.
pub(crate) const SIGN_IN_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The first wait.
pub(crate) const SIGN_IN_FIRST_WAIT: Duration = Duration::from_secs(60);
/// The longest wait.
pub(crate) const SIGN_IN_MAX_WAIT: Duration = Duration::from_secs(15 * 60);

#[cfg(test)]
mod tests {
    use super::connections_for;

    #[test]
    fn connections_leave_a_tenth_of_the_open_files_between_64_and_1024() {
        assert_eq!(connections_for(1024), 922);
        assert_eq!(connections_for(20_000), 18_976);
        assert_eq!(connections_for(1_048_576), 1_047_552);
        assert_eq!(connections_for(100), 36);
        assert_eq!(connections_for(10), 1);
    }
}
