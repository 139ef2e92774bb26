//! The server under test: where it listens, the app's credentials, and the loopback source
//! addresses client sockets are spread over.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// One app on one Pusher-compatible server.
#[derive(Debug, Clone)]
pub struct Target {
    /// Where the WebSocket endpoint listens (and the HTTP API, unless `api_addr` differs).
    pub addr: SocketAddr,
    /// Where HTTP API triggers go: another node of the same cluster measures cross-node
    /// delivery.
    pub api_addr: SocketAddr,
    /// The app id of `/apps/{id}`.
    pub app_id: String,
    /// The app key of `/app/{key}`.
    pub key: String,
    /// The app secret, to sign API requests and channel auth.
    pub secret: String,
    /// Client sockets bind to these in turn (each has its own ephemeral port range).
    pub sources: Vec<IpAddr>,
}

impl Target {
    /// The source address of the `index`-th connection.
    pub fn source(&self, index: usize) -> Option<IpAddr> {
        if self.sources.is_empty() { None } else { Some(self.sources[index % self.sources.len()]) }
    }
}

/// `count` loopback addresses 127.0.0.1, 127.0.0.2, … (Linux routes all of 127.0.0.0/8 to
/// the loopback interface, so no set-up is needed).
pub fn loopback_sources(count: u8) -> Vec<IpAddr> {
    (1..=count.max(1)).map(|last| IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_rotate_over_loopback_addresses() {
        let target = Target {
            addr: "127.0.0.1:1".parse().unwrap(),
            api_addr: "127.0.0.1:1".parse().unwrap(),
            app_id: "a".into(),
            key: "k".into(),
            secret: "s".into(),
            sources: loopback_sources(3),
        };
        assert_eq!(target.source(0), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(target.source(4), Some("127.0.0.2".parse().unwrap()));
        assert_eq!(loopback_sources(0).len(), 1);
    }
}
