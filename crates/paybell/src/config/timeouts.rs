//! `header_read_timeout` and `keep_alive_timeout` of a port (`[realtime]` or `[http]`),
//! parsed into the serving timeouts both ports use.

use std::time::Duration;

use http_serve::Timeouts;

use super::ConfigError;

/// The timeouts of the `section` port: whole seconds above 0, each defaulting.
///
/// # Errors
/// [`ConfigError`] naming `section.header_read_timeout` or `section.keep_alive_timeout`.
pub(super) fn parse(
    section: &str,
    header_read: Option<u64>,
    keep_alive: Option<u64>,
) -> Result<Timeouts, ConfigError> {
    let d = Timeouts::default();
    Ok(Timeouts {
        header_read: seconds(section, "header_read_timeout", header_read, d.header_read)?,
        keep_alive: seconds(section, "keep_alive_timeout", keep_alive, d.keep_alive)?,
        request: d.request,
    })
}

fn seconds(
    section: &str,
    key: &str,
    value: Option<u64>,
    default: Duration,
) -> Result<Duration, ConfigError> {
    match value {
        None => Ok(default),
        Some(0) => Err(ConfigError::new(format!("{section}.{key}"), "must be greater than 0")),
        Some(secs) => Ok(Duration::from_secs(secs)),
    }
}
