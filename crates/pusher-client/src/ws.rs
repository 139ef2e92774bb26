//! [`Connection`]: a small WebSocket client speaking the Pusher protocol, for the
//! `paybell listen` command and for servers' integration tests.
//!
//! It answers the server's `pusher:ping` by itself and never reconnects: a close is reported
//! to the caller as [`WsError::Closed`] with the server's code.

use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use pusher_protocol::{SocketId, SocketIdError};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::frame::Frame;

/// How long [`Connection::connect`] waits for `pusher:connection_established`.
pub const ESTABLISH_TIMEOUT: Duration = Duration::from_secs(10);

/// How long [`Connection::connect`] waits for the close that follows a refusal.
const CLOSE_AFTER_ERROR_TIMEOUT: Duration = Duration::from_secs(2);

/// The close frame the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close code, e.g. 4001; `None` when the close frame had no code.
    pub code: Option<u16>,
    /// The close reason.
    pub reason: String,
}

/// Why the WebSocket client stopped or could not go on.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// The WebSocket handshake or the transport failed.
    #[error("WebSocket error")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    /// Nothing arrived in time.
    #[error("no frame within {0:?}")]
    Timeout(Duration),
    /// The server closed the connection with a close frame.
    #[error("the server closed the connection with code {code:?}: {reason}", code = .0.code, reason = .0.reason)]
    Closed(CloseInfo),
    /// The connection ended without a close frame.
    #[error("the connection ended without a close frame")]
    Dropped,
    /// The server refused the connection with `pusher:error` instead of establishing it.
    #[error("the server refused the connection: {}", .frame.raw)]
    Refused {
        /// The `pusher:error` frame.
        frame: Box<Frame>,
        /// The close that followed, if it came within two seconds.
        close: Option<CloseInfo>,
    },
    /// The server sent something that is not a Pusher frame.
    #[error("unexpected frame from the server: {0}")]
    Protocol(String),
    /// `pusher:connection_established` carried an invalid socket id.
    #[error(transparent)]
    SocketId(#[from] SocketIdError),
}

/// An open, established Pusher connection.
#[derive(Debug)]
pub struct Connection {
    ws: WsStream,
    socket_id: SocketId,
    activity_timeout: Option<u64>,
    closed: Option<CloseInfo>,
}

impl Connection {
    /// Connects to `url` (see [`crate::Target::ws_url`]) and waits up to
    /// [`ESTABLISH_TIMEOUT`] for `pusher:connection_established`.
    ///
    /// # Errors
    /// [`WsError::WebSocket`] when the handshake fails, [`WsError::Refused`] when the server
    /// answers with `pusher:error` (e.g. 4001 for an unknown key), [`WsError::Closed`] or
    /// [`WsError::Dropped`] when it hangs up, [`WsError::Timeout`] when nothing comes.
    pub async fn connect(url: &str) -> Result<Self, WsError> {
        let (mut ws, _response) =
            tokio::time::timeout(ESTABLISH_TIMEOUT, tokio_tungstenite::connect_async(url))
                .await
                .map_err(|_| WsError::Timeout(ESTABLISH_TIMEOUT))??;
        let first = read_frame(&mut ws, ESTABLISH_TIMEOUT).await?;
        match first.event.as_str() {
            "pusher:connection_established" => {
                let socket_id = first
                    .data
                    .get("socket_id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| WsError::Protocol(first.raw.clone()))?;
                Ok(Self {
                    socket_id: SocketId::parse(socket_id)?,
                    activity_timeout: first.data.get("activity_timeout").and_then(Value::as_u64),
                    ws,
                    closed: None,
                })
            }
            "pusher:error" => {
                let close = read_close(&mut ws, CLOSE_AFTER_ERROR_TIMEOUT).await.ok();
                Err(WsError::Refused { frame: Box::new(first), close })
            }
            _ => Err(WsError::Protocol(first.raw)),
        }
    }

    /// The connection's socket id, from `pusher:connection_established`.
    pub fn socket_id(&self) -> SocketId {
        self.socket_id
    }

    /// The `activity_timeout` the server announced, in seconds.
    pub fn activity_timeout(&self) -> Option<u64> {
        self.activity_timeout
    }

    /// Sends a JSON value as one text frame.
    ///
    /// # Errors
    /// [`WsError::WebSocket`] when the connection is gone.
    pub async fn send(&mut self, frame: &Value) -> Result<(), WsError> {
        self.send_text(&frame.to_string()).await
    }

    /// Sends one text frame as is, even if it is not valid JSON (for tests of bad input).
    ///
    /// # Errors
    /// [`WsError::WebSocket`] when the connection is gone.
    pub async fn send_text(&mut self, text: &str) -> Result<(), WsError> {
        self.ws.send(Message::text(text)).await?;
        Ok(())
    }

    /// Sends `pusher:subscribe`. The answer (`pusher_internal:subscription_succeeded` or a
    /// `pusher:error`) arrives through [`Connection::next_frame`].
    ///
    /// # Errors
    /// [`WsError::WebSocket`] when the connection is gone.
    pub async fn subscribe(
        &mut self,
        channel: &str,
        auth: Option<&str>,
        channel_data: Option<&str>,
    ) -> Result<(), WsError> {
        let mut data = json!({ "channel": channel, "auth": auth.unwrap_or("") });
        if let Some(channel_data) = channel_data {
            data["channel_data"] = channel_data.into();
        }
        self.send(&json!({ "event": "pusher:subscribe", "data": data })).await
    }

    /// Sends `pusher:unsubscribe`.
    ///
    /// # Errors
    /// [`WsError::WebSocket`] when the connection is gone.
    pub async fn unsubscribe(&mut self, channel: &str) -> Result<(), WsError> {
        self.send(&json!({ "event": "pusher:unsubscribe", "data": { "channel": channel } })).await
    }

    /// Sends `pusher:signin` with an `auth` and the raw `user_data` it signs.
    ///
    /// # Errors
    /// [`WsError::WebSocket`] when the connection is gone.
    pub async fn signin(&mut self, auth: &str, user_data: &str) -> Result<(), WsError> {
        let data = json!({ "auth": auth, "user_data": user_data });
        self.send(&json!({ "event": "pusher:signin", "data": data })).await
    }

    /// The next frame from the server, answering `pusher:ping` on the way.
    ///
    /// # Errors
    /// [`WsError::Timeout`] when nothing comes within `timeout`, [`WsError::Closed`] when the
    /// server closes (the code is kept for [`Connection::close_frame`]), [`WsError::Dropped`]
    /// when the connection ends without a close frame, [`WsError::Protocol`] for a frame that
    /// is not a Pusher message.
    pub async fn next_frame(&mut self, timeout: Duration) -> Result<Frame, WsError> {
        if let Some(info) = &self.closed {
            return Err(WsError::Closed(info.clone()));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let frame = match read_frame(&mut self.ws, remaining).await {
                Ok(frame) => frame,
                Err(WsError::Closed(info)) => {
                    self.closed = Some(info.clone());
                    return Err(WsError::Closed(info));
                }
                Err(WsError::Timeout(_)) => return Err(WsError::Timeout(timeout)),
                Err(other) => return Err(other),
            };
            if frame.event == "pusher:ping" {
                self.send(&json!({ "event": "pusher:pong", "data": {} })).await?;
                continue;
            }
            return Ok(frame);
        }
    }

    /// Skips frames until one named `event` arrives within `timeout` (in total).
    ///
    /// # Errors
    /// As [`Connection::next_frame`].
    pub async fn expect_event(&mut self, event: &str, timeout: Duration) -> Result<Frame, WsError> {
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let frame = self.next_frame(remaining).await?;
            if frame.event == event {
                return Ok(frame);
            }
        }
    }

    /// Skips frames until the server closes, and returns its close code and reason.
    ///
    /// # Errors
    /// [`WsError::Timeout`] when the server does not close within `timeout`,
    /// [`WsError::Dropped`] when it hangs up without a close frame.
    pub async fn close_frame(&mut self, timeout: Duration) -> Result<CloseInfo, WsError> {
        if let Some(info) = &self.closed {
            return Ok(info.clone());
        }
        let deadline = Instant::now() + timeout;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            match self.next_frame(remaining).await {
                Ok(_) => {}
                Err(WsError::Closed(info)) => return Ok(info),
                Err(other) => return Err(other),
            }
        }
    }

    /// Closes the connection from this side with code 1000.
    ///
    /// # Errors
    /// [`WsError::WebSocket`] when the close cannot be sent.
    pub async fn close(mut self) -> Result<(), WsError> {
        let frame = CloseFrame { code: CloseCode::Normal, reason: "".into() };
        self.ws.close(Some(frame)).await?;
        Ok(())
    }
}

type WsStream = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The next Pusher frame; WebSocket pings are answered by tungstenite itself.
async fn read_frame(ws: &mut WsStream, timeout: Duration) -> Result<Frame, WsError> {
    let read = async {
        loop {
            let message = match ws.next().await {
                None => return Err(WsError::Dropped),
                Some(Err(err)) => return Err(transport_error(err)),
                Some(Ok(message)) => message,
            };
            match message {
                Message::Text(text) => {
                    return Frame::parse(text.as_str())
                        .ok_or_else(|| WsError::Protocol(text.as_str().to_owned()));
                }
                Message::Close(frame) => return Err(WsError::Closed(close_info(frame))),
                Message::Binary(_) => return Err(WsError::Protocol("a binary frame".to_owned())),
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    };
    tokio::time::timeout(timeout, read).await.map_err(|_| WsError::Timeout(timeout))?
}

/// Reads until the server's close frame, for the close that follows a refusal.
async fn read_close(ws: &mut WsStream, timeout: Duration) -> Result<CloseInfo, WsError> {
    let deadline = Instant::now() + timeout;
    loop {
        match read_frame(ws, deadline.saturating_duration_since(Instant::now())).await {
            Ok(_) => {}
            Err(WsError::Closed(info)) => return Ok(info),
            Err(other) => return Err(other),
        }
    }
}

fn close_info(frame: Option<CloseFrame>) -> CloseInfo {
    match frame {
        Some(frame) => CloseInfo {
            code: Some(u16::from(frame.code)),
            reason: frame.reason.as_str().to_owned(),
        },
        None => CloseInfo { code: None, reason: String::new() },
    }
}

/// A reset without a closing handshake is a drop, not a transport failure.
fn transport_error(err: tokio_tungstenite::tungstenite::Error) -> WsError {
    use tokio_tungstenite::tungstenite::Error as E;
    use tokio_tungstenite::tungstenite::error::ProtocolError;
    match err {
        E::ConnectionClosed
        | E::AlreadyClosed
        | E::Protocol(ProtocolError::ResetWithoutClosingHandshake) => WsError::Dropped,
        other => WsError::WebSocket(other),
    }
}
