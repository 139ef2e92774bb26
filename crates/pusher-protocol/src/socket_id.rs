//! Socket ids: `<digits>.<digits>`, the only shape the SDKs accept.

use std::fmt;

/// A connection's id, e.g. `123.456`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketId {
    high: u64,
    low: u64,
}

/// A socket id that is not `^\d+\.\d+$`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid socket id {0:?}: expected digits.digits")]
pub struct SocketIdError(pub String);

impl SocketId {
    /// Builds an id from its two numbers.
    pub fn new(high: u64, low: u64) -> Self {
        Self { high, low }
    }

    /// Parses `digits.digits`.
    ///
    /// # Errors
    /// When the text has another shape or a number overflows.
    pub fn parse(text: &str) -> Result<Self, SocketIdError> {
        let err = || SocketIdError(text.to_owned());
        let (high, low) = text.split_once('.').ok_or_else(err)?;
        let number = |part: &str| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            part.parse::<u64>().map_err(|_| err())
        };
        Ok(Self::new(number(high)?, number(low)?))
    }
}

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.high, self.low)
    }
}

impl fmt::Debug for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SocketId({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_shapes() {
        let id = SocketId::parse("1234.5678").unwrap();
        assert_eq!(id.to_string(), "1234.5678");
        for bad in ["", "1234", "a.b", "1.2.3", ".1", "1.", "-1.2", "1.+2"] {
            assert!(SocketId::parse(bad).is_err(), "{bad}");
        }
    }
}
