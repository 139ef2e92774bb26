//! Sign-in throttling: the policy, and what it counts failures against.
//!
//! Failures are counted per account and per client address, in the database
//! (the `login_failures` table of the store), so counts hold across restarts and are
//! shared by every node. An account is keyed by the e-mail address as typed (normalised), so
//! an address with no account is throttled exactly like one with an account and the answers
//! never tell them apart.

use std::net::IpAddr;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use crate::domain::Email;

/// When sign-ins are refused and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures in a row (each within [`ThrottlePolicy::window`] of the last, or of the end
    /// of the last wait) that start a wait.
    pub max_failures: u32,
    /// How long a count is remembered after the last failure or the end of the last wait.
    pub window: Duration,
    /// The wait after the [`ThrottlePolicy::max_failures`]-th failure; each further failure
    /// doubles it.
    pub first_wait: Duration,
    /// The longest wait.
    pub max_wait: Duration,
}

impl Default for ThrottlePolicy {
    /// 5 failures within 15 minutes: a 1-minute wait, doubling up to 15 minutes.
    fn default() -> Self {
        Self {
            max_failures: 5,
            window: Duration::from_secs(15 * 60),
            first_wait: Duration::from_secs(60),
            max_wait: Duration::from_secs(15 * 60),
        }
    }
}

impl ThrottlePolicy {
    /// The wait that starts with the `failures`-th failure in a row; zero below
    /// [`ThrottlePolicy::max_failures`].
    pub fn wait_after(&self, failures: i64) -> Duration {
        let beyond = failures.saturating_sub(i64::from(self.max_failures));
        if beyond < 0 {
            return Duration::ZERO;
        }
        // 2^31 times any wait is past any cap; stopping there keeps the shift in range.
        let doublings = u32::try_from(beyond.min(31)).unwrap_or(31);
        self.first_wait.saturating_mul(1 << doublings).min(self.max_wait)
    }
}

/// What failures are counted against: the account (by e-mail) and the client address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleKeys {
    /// `account:` and the SHA-256 of the normalised e-mail text; reset by a success.
    pub account: String,
    /// `address:` and the client's IP address, when known; never reset by a success (one
    /// could otherwise sign in to one's own account to go on guessing another's).
    pub address: Option<String>,
}

impl ThrottleKeys {
    /// The keys of a sign-in as `email` (as typed) from `address`.
    pub fn new(email: &str, address: Option<IpAddr>) -> Self {
        // Hashed: the table then never holds what someone typed into the e-mail field (at
        // times a password), and keys have one size.
        let normalised = Email::parse(email)
            .map_or_else(|_| email.trim().to_lowercase(), |e| e.as_str().to_owned());
        let digest = Sha256::digest(normalised.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Self {
            account: format!("account:{hex}"),
            address: address.map(|address| format!("address:{}", address.to_canonical())),
        }
    }

    /// Both keys.
    pub fn all(&self) -> Vec<&str> {
        std::iter::once(self.account.as_str()).chain(self.address.as_deref()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_at_the_fifth_failure_and_double_up_to_the_cap() {
        let policy = ThrottlePolicy::default();
        let minutes: Vec<u64> = (1..=10).map(|n| policy.wait_after(n).as_secs() / 60).collect();
        assert_eq!(minutes, [0, 0, 0, 0, 1, 2, 4, 8, 15, 15]);
        assert_eq!(policy.wait_after(i64::MAX), policy.max_wait);
        assert_eq!(policy.wait_after(-3), Duration::ZERO);
    }

    #[test]
    fn keys_normalise_the_address_and_hide_it() {
        let a = ThrottleKeys::new(" Owner@Example.com ", Some("::ffff:10.0.0.1".parse().unwrap()));
        let b = ThrottleKeys::new("owner@example.com", Some("10.0.0.1".parse().unwrap()));
        assert_eq!(a, b);
        assert!(!a.account.contains("owner"));
        assert_eq!(a.address.as_deref(), Some("address:10.0.0.1"));
        let unparsable = ThrottleKeys::new(" Not An Address ", None);
        assert_eq!(unparsable, ThrottleKeys::new("not an address", None));
        assert_eq!(unparsable.all().len(), 1);
    }
}
