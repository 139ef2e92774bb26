//! Who sent a request: the TCP peer, or, when that peer is one of the operator's trusted
//! proxies, the address the proxies recorded in `X-Forwarded-For`.
//!
//! Anyone can send an `X-Forwarded-For` header, so it is read only behind a trusted proxy,
//! and then from the right: each trusted proxy appends the address it received the request
//! from, so the first address from the right that is not a trusted proxy is the client. What
//! a client wrote to the left of that is not believed.

use std::fmt;
use std::net::IpAddr;

use axum::http::HeaderMap;

/// A parse failure of [`TrustedProxies::parse`], naming the bad entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or CIDR block (such as 10.0.0.0/8 or fd00::/8)")]
pub struct BadProxy(pub String);

/// One address or block: `10.0.0.1` or `10.0.0.0/8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Block {
    network: IpAddr,
    prefix: u8,
}

impl Block {
    fn parse(text: &str) -> Option<Self> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.trim().parse().ok()?;
        let network = network.to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix.trim().parse::<u8>().ok().filter(|p| *p <= bits)?,
            None => bits,
        };
        Some(Self { network, prefix })
    }

    fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => same_prefix(
                u128::from(u32::from(net)) << 96,
                u128::from(u32::from(ip)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                same_prefix(u128::from(net), u128::from(ip), self.prefix)
            }
            (IpAddr::V4(_), IpAddr::V6(_)) | (IpAddr::V6(_), IpAddr::V4(_)) => false,
        }
    }
}

/// Whether the first `prefix` bits of `a` and `b` (both left-aligned in 128 bits) agree.
fn same_prefix(a: u128, b: u128, prefix: u8) -> bool {
    let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
    (a & mask) == (b & mask)
}

/// The proxies whose `X-Forwarded-For` is believed (`PAYBELL_TRUSTED_PROXIES`); none by
/// default.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<Block>);

impl TrustedProxies {
    /// No proxy trusted: the TCP peer is the client.
    pub fn none() -> Self {
        Self::default()
    }

    /// A comma-separated list of IP addresses and CIDR blocks; blank entries are skipped.
    ///
    /// # Errors
    /// [`BadProxy`] naming the first entry that is neither.
    pub fn parse(list: &str) -> Result<Self, BadProxy> {
        let blocks = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| Block::parse(entry).ok_or_else(|| BadProxy(entry.to_owned())))
            .collect::<Result<_, _>>()?;
        Ok(Self(blocks))
    }

    /// Whether `address` is one of them.
    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|block| block.contains(address))
    }

    /// The client behind a request from `peer` with `headers`: `peer` itself unless it is a
    /// trusted proxy, else the right-most `X-Forwarded-For` address that is not one (or the
    /// left-most, when all are). A header that does not parse is ignored.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let Some(forwarded) = forwarded_for(headers) else { return peer };
        let mut client = peer;
        for address in forwarded.into_iter().rev() {
            client = address;
            if !self.contains(address) {
                break;
            }
        }
        client
    }
}

impl fmt::Debug for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let blocks: Vec<String> =
            self.0.iter().map(|b| format!("{}/{}", b.network, b.prefix)).collect();
        f.debug_tuple("TrustedProxies").field(&blocks).finish()
    }
}

/// Every `X-Forwarded-For` address, left to right over all such headers; `None` when there
/// is none or one entry is not an address.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<IpAddr>> {
    let mut addresses = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        for entry in value.to_str().ok()?.split(',') {
            addresses.push(entry.trim().parse::<IpAddr>().ok()?.to_canonical());
        }
    }
    (!addresses.is_empty()).then_some(addresses)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn xff(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn lists_parse_addresses_and_blocks() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8,").unwrap();
        assert!(proxies.contains(ip("10.200.3.4")));
        assert!(proxies.contains(ip("127.0.0.1")));
        assert!(proxies.contains(ip("::ffff:127.0.0.1")), "IPv4-mapped peers count as IPv4");
        assert!(proxies.contains(ip("fd12::1")));
        assert!(!proxies.contains(ip("11.0.0.1")));
        assert!(!proxies.contains(ip("127.0.0.2")));
        assert!(!proxies.contains(ip("fe80::1")));
        assert!(TrustedProxies::parse("0.0.0.0/0").unwrap().contains(ip("8.8.8.8")));
        assert_eq!(TrustedProxies::parse("").unwrap(), TrustedProxies::none());
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.1/", "::/129", "1.2.3"] {
            let error = TrustedProxies::parse(&format!("127.0.0.1,{bad}")).unwrap_err();
            assert_eq!(error, BadProxy(bad.to_owned()));
        }
    }

    #[test]
    fn forwarded_for_is_read_only_behind_a_trusted_proxy() {
        let headers = xff("203.0.113.9");
        assert_eq!(
            TrustedProxies::none().client_address(ip("127.0.0.1"), &headers),
            ip("127.0.0.1")
        );
        let proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        assert_eq!(proxies.client_address(ip("127.0.0.1"), &headers), ip("203.0.113.9"));
        assert_eq!(proxies.client_address(ip("198.51.100.1"), &headers), ip("198.51.100.1"));
        assert_eq!(proxies.client_address(ip("127.0.0.1"), &HeaderMap::new()), ip("127.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_address_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // A client's own "1.1.1.1" is to the left of what the proxies saw: not believed.
        let headers = xff("1.1.1.1, 203.0.113.9, 10.0.0.7");
        assert_eq!(proxies.client_address(ip("10.0.0.1"), &headers), ip("203.0.113.9"));
        let all_trusted = xff("10.0.0.9, 10.0.0.7");
        assert_eq!(proxies.client_address(ip("10.0.0.1"), &all_trusted), ip("10.0.0.9"));
        let garbage = xff("203.0.113.9, not-an-ip");
        assert_eq!(proxies.client_address(ip("10.0.0.1"), &garbage), ip("10.0.0.1"));
    }
}
