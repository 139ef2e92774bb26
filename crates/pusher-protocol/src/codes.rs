//! Error and close codes: what the server tells a client, and how pusher-js reacts.

/// A Pusher close or error code.
///
/// Fatal codes are sent in a `pusher:error` and then as the WebSocket close code;
/// 4301 and 4302 are sent in a `pusher:error` without closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum ErrorCode {
    /// The app only accepts TLS connections.
    TlsOnly = 4000,
    /// No app has this key.
    AppNotFound = 4001,
    /// The app is disabled.
    AppDisabled = 4003,
    /// The app is over its connection quota.
    OverConnectionQuota = 4004,
    /// The path is not `/app/{key}`.
    PathNotFound = 4005,
    /// The `protocol` parameter is not a number.
    InvalidVersion = 4006,
    /// The protocol version is not supported.
    UnsupportedProtocol = 4007,
    /// No `protocol` parameter.
    NoProtocol = 4008,
    /// Authentication failed (sign-in, or a connection closed for its user).
    Unauthorized = 4009,
    /// The server is over capacity, or the client reads too slowly: retry after a pause.
    OverCapacity = 4100,
    /// The server is going away: reconnect now.
    ReconnectImmediately = 4200,
    /// No pong arrived in time.
    PongNotReceived = 4201,
    /// Closed after inactivity.
    ClosedAfterInactivity = 4202,
    /// A client event or a subscription was rejected for going over the connection's rate
    /// (Pusher uses it for client events); the connection stays open.
    RateLimited = 4301,
    /// The watchlist is over its limit; the connection stays open.
    WatchlistOverLimit = 4302,
}

impl ErrorCode {
    /// The numeric code.
    pub fn code(self) -> u16 {
        self as u16
    }

    /// Whether the connection is closed after this error.
    pub fn is_fatal(self) -> bool {
        !matches!(self, Self::RateLimited | Self::WatchlistOverLimit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_protocol() {
        assert_eq!(ErrorCode::AppNotFound.code(), 4001);
        assert_eq!(ErrorCode::OverCapacity.code(), 4100);
        assert_eq!(ErrorCode::ReconnectImmediately.code(), 4200);
        assert_eq!(ErrorCode::WatchlistOverLimit.code(), 4302);
        assert!(!ErrorCode::RateLimited.is_fatal());
        assert!(ErrorCode::Unauthorized.is_fatal());
    }
}
