//! Where requests go and with which credentials: [`Target`], [`Endpoint`], and the wrapped
//! secrets that never print.

use std::fmt;

use base64::Engine as _;

/// Host of the built-in Paybell realtime server.
pub const LOCAL_HOST: &str = "127.0.0.1";
/// Port of the built-in Paybell realtime server.
pub const LOCAL_PORT: u16 = 6001;

pub use pusher_protocol::Secret;

/// The 32-byte master key of end-to-end encrypted channels. Never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionMasterKey([u8; 32]);

impl EncryptionMasterKey {
    /// Parses the base64 form the SDKs take (`encryptionMasterKeyBase64`).
    ///
    /// # Errors
    /// [`TargetError::MasterKey`] when the text is not base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, TargetError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| TargetError::MasterKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| TargetError::MasterKey)?;
        Ok(Self(key))
    }

    /// The key bytes, for deriving shared secrets.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for EncryptionMasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionMasterKey(***)")
    }
}

/// Why a target setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// The cluster name is empty or has characters other than `[a-z0-9-]`.
    #[error("invalid cluster {0:?}: expected a name such as eu, mt1 or us2")]
    Cluster(String),
    /// The host is empty or looks like a URL rather than a host name.
    #[error("invalid host {0:?}: expected a host name or IP address, without scheme or path")]
    Host(String),
    /// Port 0 cannot be connected to.
    #[error("invalid port 0")]
    Port,
    /// The app id is empty or would not fit in a URL path segment.
    #[error("invalid app id {0:?}: expected letters, digits, '-' or '_'")]
    AppId(String),
    /// The key is empty or holds a `:`, which would break `<key>:<signature>`.
    #[error("invalid app key {0:?}: must be non-empty and must not contain ':'")]
    Key(String),
    /// The encryption master key is not base64 of 32 bytes.
    #[error("the encryption master key must be base64 of exactly 32 bytes")]
    MasterKey,
}

/// Where the HTTP API and the WebSocket endpoint live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// Pusher Cloud: `api-{cluster}.pusher.com` and `ws-{cluster}.pusher.com`, TLS on 443.
    Cluster(String),
    /// An explicit server, such as Paybell's own or soketi.
    Host {
        /// Host name or IP address.
        host: String,
        /// TCP port.
        port: u16,
        /// Whether to speak `https`/`wss`.
        tls: bool,
    },
}

impl Default for Endpoint {
    /// The built-in Paybell realtime server: `127.0.0.1:6001`, no TLS.
    fn default() -> Self {
        Self::Host { host: LOCAL_HOST.to_owned(), port: LOCAL_PORT, tls: false }
    }
}

impl Endpoint {
    /// Pusher Cloud in `cluster`.
    ///
    /// # Errors
    /// [`TargetError::Cluster`] unless the name is non-empty `[a-z0-9-]`.
    pub fn cluster(cluster: &str) -> Result<Self, TargetError> {
        let valid = !cluster.is_empty()
            && cluster.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self::Cluster(cluster.to_owned()))
        } else {
            Err(TargetError::Cluster(cluster.to_owned()))
        }
    }

    /// An explicit server.
    ///
    /// # Errors
    /// [`TargetError::Host`] for an empty host or one with a scheme, path or space;
    /// [`TargetError::Port`] for port 0.
    pub fn host(host: &str, port: u16, tls: bool) -> Result<Self, TargetError> {
        let valid = !host.is_empty()
            && !host.chars().any(|c| c.is_whitespace() || matches!(c, '/' | '?' | '#' | '@'))
            && (host.parse::<std::net::IpAddr>().is_ok() || url::Host::parse(host).is_ok());
        if !valid {
            return Err(TargetError::Host(host.to_owned()));
        }
        if port == 0 {
            return Err(TargetError::Port);
        }
        Ok(Self::Host { host: host.to_owned(), port, tls })
    }

    /// Whether the endpoint speaks TLS.
    pub fn tls(&self) -> bool {
        match self {
            Self::Cluster(_) => true,
            Self::Host { tls, .. } => *tls,
        }
    }

    /// `http[s]://host[:port]` of the HTTP API, without a trailing slash.
    pub fn api_base(&self) -> String {
        match self {
            Self::Cluster(cluster) => format!("https://api-{cluster}.pusher.com"),
            Self::Host { host, port, tls } => {
                base_url(if *tls { "https" } else { "http" }, host, *port)
            }
        }
    }

    /// `ws[s]://host[:port]` of the WebSocket endpoint, without a trailing slash.
    pub fn ws_base(&self) -> String {
        match self {
            Self::Cluster(cluster) => format!("wss://ws-{cluster}.pusher.com"),
            Self::Host { host, port, tls } => {
                base_url(if *tls { "wss" } else { "ws" }, host, *port)
            }
        }
    }
}

fn base_url(scheme: &str, host: &str, port: u16) -> String {
    let host = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]")
    } else {
        host.to_owned()
    };
    format!("{scheme}://{host}:{port}")
}

/// An app on a server: its credentials and where the server is.
///
/// `Debug` never shows the secret or the master key.
#[derive(Debug, Clone)]
pub struct Target {
    app_id: String,
    key: String,
    secret: Secret,
    endpoint: Endpoint,
    master_key: Option<EncryptionMasterKey>,
}

impl Target {
    /// An app on the built-in Paybell server ([`Endpoint::default`]).
    ///
    /// # Errors
    /// [`TargetError::AppId`] or [`TargetError::Key`] for values that cannot be sent.
    pub fn new(app_id: &str, key: &str, secret: Secret) -> Result<Self, TargetError> {
        let app_id_ok = !app_id.is_empty()
            && app_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !app_id_ok {
            return Err(TargetError::AppId(app_id.to_owned()));
        }
        if key.is_empty() || key.contains(':') {
            return Err(TargetError::Key(key.to_owned()));
        }
        Ok(Self {
            app_id: app_id.to_owned(),
            key: key.to_owned(),
            secret,
            endpoint: Endpoint::default(),
            master_key: None,
        })
    }

    /// The same app at another endpoint.
    #[must_use]
    pub fn with_endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = endpoint;
        self
    }

    /// Enables `shared_secret` in channel authorisations of `private-encrypted-` channels.
    #[must_use]
    pub fn with_encryption_master_key(mut self, key: EncryptionMasterKey) -> Self {
        self.master_key = Some(key);
        self
    }

    /// The app id, as in `/apps/{app_id}`.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The public app key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The app secret.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// Where the server is.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The encryption master key, if configured.
    pub fn encryption_master_key(&self) -> Option<&EncryptionMasterKey> {
        self.master_key.as_ref()
    }

    /// The WebSocket URL clients connect to:
    /// `ws[s]://host:port/app/{key}?protocol=7&client=…&version=…&flash=false`.
    pub fn ws_url(&self) -> String {
        format!(
            "{}/app/{}?protocol={}&client={CLIENT_NAME}&version={}&flash=false",
            self.endpoint.ws_base(),
            self.key,
            pusher_protocol::PROTOCOL_VERSION,
            env!("CARGO_PKG_VERSION"),
        )
    }
}

/// The `client` query parameter of WebSocket connections.
const CLIENT_NAME: &str = "paybell-rust";

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target::new("app-id", "app-key", Secret::new("app-secret")).unwrap()
    }

    #[test]
    fn secrets_never_print() {
        let target = target().with_encryption_master_key(
            EncryptionMasterKey::from_base64("nxzvbGF+f8FGhk/jOaZvgMle1tqxzF/VfUZLBLhhaH0=")
                .unwrap(),
        );
        let debug = format!("{target:?}");
        assert!(!debug.contains("app-secret"), "{debug}");
        assert!(debug.contains("Secret(***)"), "{debug}");
        assert!(debug.contains("EncryptionMasterKey(***)"), "{debug}");
        assert_eq!(Secret::new("x").to_string(), "***");
    }

    #[test]
    fn urls_follow_the_endpoint() {
        let local = target();
        assert_eq!(local.endpoint().api_base(), "http://127.0.0.1:6001");
        assert_eq!(
            local.ws_url(),
            format!(
                "ws://127.0.0.1:6001/app/app-key?protocol=7&client=paybell-rust&version={}&flash=false",
                env!("CARGO_PKG_VERSION")
            )
        );
        let cloud = target().with_endpoint(Endpoint::cluster("eu").unwrap());
        assert_eq!(cloud.endpoint().api_base(), "https://api-eu.pusher.com");
        assert!(cloud.ws_url().starts_with("wss://ws-eu.pusher.com/app/app-key?"));
        let tls = Endpoint::host("example.com", 443, true).unwrap();
        assert_eq!(tls.api_base(), "https://example.com:443");
        assert_eq!(tls.ws_base(), "wss://example.com:443");
        let v6 = Endpoint::host("::1", 6001, false).unwrap();
        assert_eq!(v6.api_base(), "http://[::1]:6001");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert_eq!(Endpoint::cluster("EU 1"), Err(TargetError::Cluster("EU 1".to_owned())));
        assert!(Endpoint::cluster("").is_err());
        for bad in ["", "http://x", "a/b", "a b", "user@host"] {
            assert!(Endpoint::host(bad, 80, false).is_err(), "{bad}");
        }
        assert_eq!(Endpoint::host("x", 0, false), Err(TargetError::Port));
        assert!(Target::new("", "k", Secret::new("s")).is_err());
        assert!(Target::new("a/b", "k", Secret::new("s")).is_err());
        assert!(Target::new("12345", "k:x", Secret::new("s")).is_err());
        assert!(Target::new("12345", "k", Secret::new("s")).is_ok());
        assert_eq!(EncryptionMasterKey::from_base64("c2hvcnQ="), Err(TargetError::MasterKey));
    }
}
