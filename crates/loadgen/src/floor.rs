//! The floor: the thinnest tokio WebSocket broadcaster that still speaks enough Pusher for
//! the load generator (upgrade, `connection_established`, subscribe/unsubscribe, ping, and a
//! signed `POST /apps/{id}/events`). An event is serialised to one WebSocket frame once and
//! written straight into each subscriber's socket from the request's task (`try_write`, no
//! queue, no per-subscriber task wake-up); only a socket whose kernel buffer is full gets a
//! backlog that its own task flushes. Large channels are split in chunks written by several
//! tasks, so both cores work. Every figure of the server is reported as a ratio to this.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use pusher_protocol::api::TriggerRequest;
use pusher_protocol::sign::SignedRequest;
use pusher_protocol::{ChannelName, ClientMessage, ServerMessage, SocketId};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::http::{find_head_end, header, unix_now};
use crate::ws;

/// Subscribers written by one task; bigger channels are split over several tasks.
const CHUNK: usize = 2048;

/// Bytes a slow subscriber may have pending before it is dropped.
const MAX_BACKLOG: usize = 1 << 20;

/// Largest request head or body read.
const MAX_REQUEST: usize = 1 << 20;

/// The one app the floor serves.
#[derive(Debug, Clone)]
pub struct FloorApp {
    /// App id in `/apps/{id}`.
    pub app_id: String,
    /// App key (any key is accepted on the WebSocket side).
    pub key: String,
    /// Secret that signs API requests.
    pub secret: String,
}

#[derive(Debug)]
struct State {
    app: FloorApp,
    channels: Mutex<HashMap<String, HashMap<u64, Arc<Peer>>>>,
    next_id: AtomicU64,
}

impl State {
    fn channels(&self) -> MutexGuard<'_, HashMap<String, HashMap<u64, Arc<Peer>>>> {
        self.channels.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Serves until `stop` is cancelled.
///
/// # Errors
/// When accepting fails.
pub async fn serve(
    listener: TcpListener,
    app: FloorApp,
    stop: CancellationToken,
) -> std::io::Result<()> {
    let state = Arc::new(State { app, channels: Mutex::default(), next_id: AtomicU64::new(1) });
    loop {
        let (stream, _) = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors or a reset before accept: keep serving the others.
                Err(_) => { tokio::time::sleep(std::time::Duration::from_millis(5)).await; continue }
            },
        };
        tokio::spawn(handle(stream, state.clone()));
    }
}

async fn handle(mut stream: TcpStream, state: Arc<State>) {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(1024);
    let Some(head_len) = read_head(&mut stream, &mut buf).await else { return };
    let head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
    buf.drain(..head_len);
    let upgrade = header(&head, "upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    match (upgrade, header(&head, "sec-websocket-key")) {
        (true, Some(key)) => {
            // Nothing of the request is kept for the connection's life.
            let accept = ws::upgrade_response(key);
            drop(head);
            websocket(stream, buf, accept, state).await;
        }
        _ => http(stream, head, buf, state).await,
    }
}

/// Reads until `buf` holds a complete head; returns its length.
async fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<usize> {
    loop {
        if let Some(len) = find_head_end(buf) {
            return Some(len);
        }
        if buf.len() > MAX_REQUEST {
            return None;
        }
        buf.reserve(1024);
        if stream.read_buf(buf).await.ok()? == 0 {
            return None;
        }
    }
}

// ---- HTTP API -------------------------------------------------------------------------

async fn http(mut stream: TcpStream, mut head: String, mut buf: Vec<u8>, state: Arc<State>) {
    loop {
        let length: usize =
            header(&head, "content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
        if length > MAX_REQUEST {
            return;
        }
        while buf.len() < length {
            buf.reserve(length - buf.len());
            if !matches!(stream.read_buf(&mut buf).await, Ok(n) if n > 0) {
                return;
            }
        }
        let body: Vec<u8> = buf.drain(..length).collect();
        let (status, answer) = api(&state, &head, &body).await;
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if stream.write_all(response.as_bytes()).await.is_err() {
            return;
        }
        let Some(head_len) = read_head(&mut stream, &mut buf).await else { return };
        head = String::from_utf8_lossy(&buf[..head_len]).into_owned();
        buf.drain(..head_len);
    }
}

/// Answers one API request: only a signed `POST /apps/{id}/events` succeeds.
async fn api(state: &Arc<State>, head: &str, body: &[u8]) -> (&'static str, String) {
    let mut request_line = head.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (request_line.next().unwrap_or(""), request_line.next().unwrap_or(""));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let events_path = format!("/apps/{}/events", state.app.app_id);
    if method != "POST" || path != events_path {
        return ("404 Not Found", r#"{"error":"not found"}"#.to_owned());
    }
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let signed = SignedRequest { method, path, params: &params, body };
    if let Err(error) = signed.verify(&state.app.key, &state.app.secret, unix_now()) {
        return ("401 Unauthorized", serde_json::json!({ "error": error.to_string() }).to_string());
    }
    let Ok(request) = serde_json::from_slice::<TriggerRequest>(body) else {
        return ("400 Bad Request", r#"{"error":"bad body"}"#.to_owned());
    };
    let channels = request.channels.unwrap_or_default().into_iter().chain(request.channel);
    for channel in channels {
        let Ok(name) = ChannelName::parse(&channel) else { continue };
        let message = ServerMessage::Event {
            event: &request.name,
            channel: &name,
            data: &request.data,
            user_id: None,
        };
        let mut frame = Vec::new();
        ws::encode_frame(&mut frame, ws::TEXT, message.to_json().as_bytes(), None);
        broadcast(state, &channel, frame.into()).await;
    }
    ("200 OK", "{}".to_owned())
}

/// Writes `frame` to every subscriber of `channel`, in chunks over several tasks.
async fn broadcast(state: &Arc<State>, channel: &str, frame: Arc<[u8]>) {
    let peers: Vec<Arc<Peer>> = match state.channels().get(channel) {
        Some(peers) => peers.values().cloned().collect(),
        None => return,
    };
    let mut chunks = peers.chunks(CHUNK);
    let mine = chunks.next().unwrap_or_default();
    let others: Vec<_> = chunks
        .map(|chunk| {
            let (chunk, frame) = (chunk.to_vec(), frame.clone());
            tokio::spawn(async move { chunk.iter().for_each(|peer| peer.deliver(&frame)) })
        })
        .collect();
    mine.iter().for_each(|peer| peer.deliver(&frame));
    for task in others {
        let _ = task.await;
    }
}

// ---- WebSocket --------------------------------------------------------------------------

#[derive(Debug)]
struct Peer {
    id: u64,
    stream: TcpStream,
    backlog: Mutex<Vec<u8>>,
    wake: Notify,
}

impl Peer {
    fn backlog(&self) -> MutexGuard<'_, Vec<u8>> {
        self.backlog.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes straight into the socket; what does not fit waits in the backlog, in order.
    fn deliver(&self, bytes: &[u8]) {
        let mut backlog = self.backlog();
        if backlog.is_empty() {
            match self.stream.try_write(bytes) {
                Ok(n) if n == bytes.len() => return,
                Ok(n) => backlog.extend_from_slice(&bytes[n..]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    backlog.extend_from_slice(bytes);
                }
                Err(_) => return,
            }
        } else if backlog.len() < MAX_BACKLOG {
            backlog.extend_from_slice(bytes);
        }
        drop(backlog);
        self.wake.notify_one();
    }

    /// Writes the backlog out, waiting for the socket as needed.
    async fn flush(&self) -> std::io::Result<()> {
        loop {
            {
                let mut backlog = self.backlog();
                if backlog.len() >= MAX_BACKLOG {
                    return Err(std::io::Error::other("subscriber too slow"));
                }
                while !backlog.is_empty() {
                    match self.stream.try_write(&backlog) {
                        Ok(n) => drop(backlog.drain(..n)),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => return Err(e),
                    }
                }
                if backlog.is_empty() {
                    return Ok(());
                }
            }
            self.stream.writable().await?;
        }
    }
}

fn text_frame(text: &str) -> Vec<u8> {
    let mut frame = Vec::with_capacity(text.len() + 4);
    ws::encode_frame(&mut frame, ws::TEXT, text.as_bytes(), None);
    frame
}

async fn websocket(mut stream: TcpStream, mut buf: Vec<u8>, accept: String, state: Arc<State>) {
    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
    let established = ServerMessage::ConnectionEstablished {
        socket_id: SocketId::new(1, id),
        activity_timeout: 120,
    };
    let mut hello = accept.into_bytes();
    hello.extend_from_slice(&text_frame(&established.to_json()));
    if stream.write_all(&hello).await.is_err() {
        return;
    }
    let peer = Arc::new(Peer { id, stream, backlog: Mutex::default(), wake: Notify::new() });
    let mut joined: Vec<String> = Vec::new();
    let _ = serve_peer(&peer, &mut buf, &state, &mut joined).await;
    let mut channels = state.channels();
    for channel in joined {
        if let Some(peers) = channels.get_mut(&channel) {
            peers.remove(&id);
            if peers.is_empty() {
                channels.remove(&channel);
            }
        }
    }
}

async fn serve_peer(
    peer: &Arc<Peer>,
    buf: &mut Vec<u8>,
    state: &Arc<State>,
    joined: &mut Vec<String>,
) -> std::io::Result<()> {
    loop {
        while let Some(head) = ws::parse_head(buf).map_err(std::io::Error::other)? {
            if buf.len() < head.frame_len() {
                break;
            }
            let payload = &mut buf[head.header_len..head.frame_len()];
            if let Some(mask) = head.mask {
                ws::apply_mask(payload, mask);
            }
            match head.opcode {
                ws::TEXT => on_text(peer, payload, state, joined),
                ws::PING => {
                    let mut pong = Vec::new();
                    ws::encode_frame(&mut pong, ws::PONG, payload, None);
                    peer.deliver(&pong);
                }
                ws::CLOSE => return Ok(()),
                _ => {}
            }
            buf.drain(..head.frame_len());
        }
        if buf.is_empty() && buf.capacity() > 0 {
            // An idle subscriber keeps no read buffer.
            *buf = Vec::new();
        }
        tokio::select! {
            readable = peer.stream.readable() => {
                readable?;
                buf.reserve(512);
                match peer.stream.try_read_buf(buf) {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            () = peer.wake.notified() => peer.flush().await?,
        }
    }
}

fn on_text(peer: &Arc<Peer>, text: &[u8], state: &State, joined: &mut Vec<String>) {
    let Ok(text) = std::str::from_utf8(text) else { return };
    match ClientMessage::decode(text) {
        Ok(ClientMessage::Subscribe(subscribe)) => {
            let channel = subscribe.channel;
            state
                .channels()
                .entry(channel.as_str().to_owned())
                .or_default()
                .insert(peer.id, peer.clone());
            joined.push(channel.as_str().to_owned());
            let reply = ServerMessage::SubscriptionSucceeded { channel: &channel, members: None };
            peer.deliver(&text_frame(&reply.to_json()));
        }
        Ok(ClientMessage::Unsubscribe { channel }) => {
            if let Some(peers) = state.channels().get_mut(channel.as_str()) {
                peers.remove(&peer.id);
            }
        }
        Ok(ClientMessage::Ping) => peer.deliver(&text_frame(&ServerMessage::Pong.to_json())),
        Ok(_) | Err(_) => {}
    }
}
