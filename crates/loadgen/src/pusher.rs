//! A lean Pusher client connection: the upgrade, `pusher:connection_established`,
//! subscriptions, and a read loop that answers pings itself and hands text frames out as
//! borrowed bytes (no allocation or JSON parsing per event).

use std::time::Duration;

use pusher_protocol::sign;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::clock::{Stamp, find_stamp};
use crate::http::connect_from;
use crate::ws::{self, FrameHead};
use crate::{Error, Result, Target};

/// Read buffer reserved per connection; it grows only for a larger frame.
const READ_CHUNK: usize = 2048;

/// A subscription request.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The channel.
    pub channel: String,
    /// For presence channels: the member's user id.
    pub presence_user: Option<String>,
}

impl Subscription {
    /// A subscription to `channel`; presence channels join as user `u{index}`.
    pub fn new(channel: impl Into<String>, index: usize) -> Self {
        let channel = channel.into();
        let presence_user = channel.starts_with("presence-").then(|| format!("u{index}"));
        Self { channel, presence_user }
    }
}

/// What a text frame is, as far as the load generator cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One of our events, with its send time.
    Event(Stamp),
    /// `pusher:error`.
    Error,
    /// Anything else (member added, subscription count, …).
    Other,
}

/// Classifies a text frame with byte searches only.
pub fn classify(text: &[u8]) -> Kind {
    if let Some(stamp) = find_stamp(text) {
        Kind::Event(stamp)
    } else if contains(text, b"\"pusher:error\"") {
        Kind::Error
    } else {
        Kind::Other
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[derive(Debug, Deserialize)]
struct Envelope {
    event: String,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    data: Option<Value>,
}

/// `data` as the object it encodes (servers send a JSON string; tolerate an object).
fn data_object(data: Option<Value>) -> Value {
    match data {
        Some(Value::String(text)) => serde_json::from_str(&text).unwrap_or(Value::Null),
        Some(other) => other,
        None => Value::Null,
    }
}

/// One WebSocket connection speaking Pusher protocol 7.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Bytes of `buf` already handed out and to drop on the next read.
    consumed: usize,
    socket_id: String,
}

impl Conn {
    /// Connects (from the `index`-th source address) and waits for
    /// `pusher:connection_established`.
    ///
    /// # Errors
    /// [`Error`] when the connection, the upgrade or the first frame fails.
    pub async fn connect(target: &Target, index: usize) -> Result<Self> {
        let stream = connect_from(target.addr, target.source(index)).await?;
        let key = base64_key();
        let path = format!(
            "/app/{}?protocol=7&client=paybell-loadgen&version=0.1.0&flash=false",
            target.key
        );
        let request = ws::upgrade_request(&target.addr.to_string(), &path, &key);
        let mut conn = Self {
            stream,
            buf: Vec::with_capacity(READ_CHUNK),
            consumed: 0,
            socket_id: String::new(),
        };
        conn.stream.write_all(request.as_bytes()).await?;
        let head_len = loop {
            if let Some(len) = ws::check_upgrade_response(&conn.buf, &key)? {
                break len;
            }
            conn.fill().await?;
        };
        conn.consumed = head_len;
        let text = conn.next_text().await?;
        let envelope: Envelope = serde_json::from_slice(text)
            .map_err(|e| Error::protocol(format!("first frame is not JSON: {e}")))?;
        if envelope.event != "pusher:connection_established" {
            let message = data_object(envelope.data)["message"].as_str().map(str::to_owned);
            return Err(Error::Refused(message.unwrap_or(envelope.event)));
        }
        let data = data_object(envelope.data);
        conn.socket_id = data["socket_id"]
            .as_str()
            .ok_or_else(|| Error::protocol("connection_established without socket_id"))?
            .to_owned();
        Ok(conn)
    }

    /// The server-assigned socket id.
    pub fn socket_id(&self) -> &str {
        &self.socket_id
    }

    /// Sends one text frame.
    ///
    /// # Errors
    /// [`Error::Io`] when the write fails.
    pub async fn send_text(&mut self, text: &str) -> Result<()> {
        let mut frame = Vec::with_capacity(text.len() + 8);
        ws::encode_frame(&mut frame, ws::TEXT, text.as_bytes(), Some(rand::random()));
        self.stream.write_all(&frame).await?;
        Ok(())
    }

    /// Sends every subscription (signed for private and presence channels), then waits for
    /// each `subscription_succeeded`. Events arriving meanwhile are dropped.
    ///
    /// # Errors
    /// [`Error::Refused`] with the server's message on a `pusher:error`,
    /// [`Error::Timeout`] after `timeout`.
    pub async fn subscribe(
        &mut self,
        target: &Target,
        subscriptions: &[Subscription],
        timeout: Duration,
    ) -> Result<()> {
        for subscription in subscriptions {
            let message = subscribe_message(target, &self.socket_id, subscription);
            self.send_text(&message).await?;
        }
        let wait = async {
            let mut pending = subscriptions.len();
            while pending > 0 {
                let text = self.next_text().await?;
                if matches!(classify(text), Kind::Event(_)) {
                    continue;
                }
                let Ok(envelope) = serde_json::from_slice::<Envelope>(text) else { continue };
                match envelope.event.as_str() {
                    "pusher_internal:subscription_succeeded" => pending -= 1,
                    "pusher:error" => {
                        let data = data_object(envelope.data);
                        let message = data["message"].as_str().unwrap_or("pusher:error");
                        let channel = envelope.channel.unwrap_or_default();
                        return Err(Error::Refused(format!("{channel}: {message}")));
                    }
                    _ => {}
                }
            }
            Ok(())
        };
        tokio::time::timeout(timeout, wait).await.map_err(|_| Error::Timeout("subscribe"))?
    }

    /// Sends `pusher:unsubscribe`.
    ///
    /// # Errors
    /// [`Error::Io`] when the write fails.
    pub async fn unsubscribe(&mut self, channel: &str) -> Result<()> {
        let message = serde_json::json!({
            "event": "pusher:unsubscribe",
            "data": { "channel": channel },
        });
        self.send_text(&message.to_string()).await
    }

    /// The next text frame. WebSocket pings and `pusher:ping` are answered here.
    ///
    /// # Errors
    /// [`Error::Refused`] with the close code when the server closes, [`Error::Io`] or
    /// [`Error::Protocol`] when the connection breaks.
    pub async fn next_text(&mut self) -> Result<&[u8]> {
        loop {
            let head = self.next_frame().await?;
            let start = self.consumed;
            let payload = start + head.header_len..start + head.frame_len();
            self.consumed += head.frame_len();
            match head.opcode {
                ws::TEXT => {
                    if contains(&self.buf[payload.clone()], b"\"pusher:ping\"") {
                        self.send_text(r#"{"event":"pusher:pong","data":{}}"#).await?;
                        continue;
                    }
                    return Ok(&self.buf[payload]);
                }
                ws::PING => {
                    let body = self.buf[payload].to_vec();
                    let mut frame = Vec::with_capacity(body.len() + 8);
                    ws::encode_frame(&mut frame, ws::PONG, &body, Some(rand::random()));
                    self.stream.write_all(&frame).await?;
                }
                ws::CLOSE => {
                    let code = self.buf[payload].get(..2).map(|c| u16::from_be_bytes([c[0], c[1]]));
                    return Err(Error::Refused(format!("closed by the server ({code:?})")));
                }
                ws::PONG | ws::BINARY => {}
                other => {
                    return Err(Error::protocol(format!("unsupported frame opcode {other}")));
                }
            }
        }
    }

    /// Sends a close frame (1000) and drops the connection without waiting.
    pub async fn close(mut self) {
        let mut frame = Vec::with_capacity(8);
        ws::encode_frame(&mut frame, ws::CLOSE, &1000u16.to_be_bytes(), Some(rand::random()));
        let _ = self.stream.write_all(&frame).await;
        let _ = self.stream.shutdown().await;
    }

    /// Waits for a complete frame after the consumed bytes.
    async fn next_frame(&mut self) -> Result<FrameHead> {
        loop {
            if let Some(head) = ws::parse_head(&self.buf[self.consumed..])?
                && self.buf.len() - self.consumed >= head.frame_len()
            {
                return Ok(head);
            }
            self.fill().await?;
        }
    }

    /// Drops consumed bytes and reads more.
    async fn fill(&mut self) -> Result<()> {
        if self.consumed > 0 {
            self.buf.drain(..self.consumed);
            self.consumed = 0;
        }
        if self.buf.capacity() - self.buf.len() < READ_CHUNK / 2 {
            self.buf.reserve(READ_CHUNK);
        }
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(Error::protocol("connection closed without a close frame"));
        }
        Ok(())
    }
}

/// A random `Sec-WebSocket-Key`.
fn base64_key() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>())
}

/// `pusher:subscribe`, with `auth` and `channel_data` where the channel kind needs them.
pub fn subscribe_message(target: &Target, socket_id: &str, subscription: &Subscription) -> String {
    let channel = subscription.channel.as_str();
    let mut data = serde_json::json!({ "channel": channel, "auth": "" });
    let signed = channel.starts_with("private-") || channel.starts_with("presence-");
    if signed {
        let channel_data = subscription
            .presence_user
            .as_ref()
            .map(|user| serde_json::json!({ "user_id": user, "user_info": {} }).to_string());
        let auth = sign::channel_auth(
            &target.key,
            &target.secret,
            socket_id,
            channel,
            channel_data.as_deref(),
        );
        data["auth"] = Value::String(auth);
        if let Some(channel_data) = channel_data {
            data["channel_data"] = Value::String(channel_data);
        }
    }
    serde_json::json!({ "event": "pusher:subscribe", "data": data }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::loopback_sources;

    #[test]
    fn frames_are_classified_without_parsing() {
        let event = br#"{"event":"lg","channel":"c","data":"lg1 3 99 xx"}"#;
        assert_eq!(classify(event), Kind::Event(Stamp { seq: 3, sent: 99 }));
        let error = br#"{"event":"pusher:error","data":{"code":null,"message":"x"}}"#;
        assert_eq!(classify(error), Kind::Error);
        assert_eq!(classify(br#"{"event":"pusher_internal:member_added"}"#), Kind::Other);
    }

    #[test]
    fn presence_subscriptions_are_signed_over_the_channel_data() {
        let target = Target {
            addr: "127.0.0.1:1".parse().unwrap(),
            api_addr: "127.0.0.1:1".parse().unwrap(),
            app_id: "1".into(),
            key: "278d425bdf160c739803".into(),
            secret: "7ad3773142a6692b25b8".into(),
            sources: loopback_sources(1),
        };
        let public = subscribe_message(&target, "1.1", &Subscription::new("c", 0));
        assert_eq!(public, r#"{"data":{"auth":"","channel":"c"},"event":"pusher:subscribe"}"#);
        let private =
            subscribe_message(&target, "1234.1234", &Subscription::new("private-foobar", 0));
        assert!(private.contains(
            "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
        ));
        let presence = Subscription::new("presence-x", 7);
        let message: Value =
            serde_json::from_str(&subscribe_message(&target, "1.2", &presence)).unwrap();
        let channel_data = message["data"]["channel_data"].as_str().unwrap();
        let expected = sign::channel_auth(
            &target.key,
            &target.secret,
            "1.2",
            "presence-x",
            Some(channel_data),
        );
        assert_eq!(message["data"]["auth"], expected);
        assert!(channel_data.contains("\"u7\""));
    }
}
