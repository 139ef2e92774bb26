//! The one error of start-up configuration: which key is bad, and why.

/// A configuration value that is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {key}: {problem}")]
pub struct ConfigError {
    /// The key path, e.g. `realtime.apps[0].key`, with its variable and flag when it has
    /// them: `http.addr (PAYBELL_HTTP_ADDR, --http-addr)`.
    pub key: String,
    /// What is wrong with it.
    pub problem: String,
}

impl ConfigError {
    /// A problem with `key`.
    pub fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self { key: key.into(), problem: problem.into() }
    }
}
