//! [`Error`]: why an HTTP API call failed.

use pusher_protocol::api::ErrorBody;

/// Why an HTTP API call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request could not be sent or its answer not read (DNS, connection, TLS, timeout).
    #[error("HTTP request failed")]
    Http(#[from] reqwest::Error),
    /// The URL could not be built from the endpoint and path.
    #[error("invalid request URL")]
    Url(#[from] url::ParseError),
    /// The server answered with a status other than 2xx.
    #[error("the server answered {status}: {}", message_of(.body))]
    Status {
        /// The HTTP status code.
        status: u16,
        /// The server's body, as it came.
        body: String,
    },
    /// A 2xx answer whose body is not what the API documents.
    #[error("could not decode the server's answer {body:?}")]
    Decode {
        /// What serde said.
        #[source]
        source: serde_json::Error,
        /// The body, as it came.
        body: String,
    },
}

impl Error {
    /// The HTTP status of a [`Error::Status`] failure.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::Http(_) | Self::Url(_) | Self::Decode { .. } => None,
        }
    }
}

/// The server's `{"error": …}` message, or its whole body when it has another shape.
fn message_of(body: &str) -> String {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(parsed) => parsed.error,
        Err(_) if body.trim().is_empty() => "(empty body)".to_owned(),
        Err(_) => body.trim().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_errors_show_the_server_message() {
        let err =
            Error::Status { status: 401, body: r#"{"error":"invalid signature"}"#.to_owned() };
        assert_eq!(err.to_string(), "the server answered 401: invalid signature");
        assert_eq!(err.status(), Some(401));
        let plain = Error::Status { status: 502, body: "Bad Gateway\n".to_owned() };
        assert_eq!(plain.to_string(), "the server answered 502: Bad Gateway");
    }
}
