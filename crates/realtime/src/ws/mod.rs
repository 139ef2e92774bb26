//! The WebSocket endpoint `/app/{key}`: one task per connection that owns its socket, its
//! session and its clock; the node's wheel (`crate::wheel`) wakes it when the clock is due,
//! and kicks it at shutdown. A connection goes through three phases: the upgrade and
//! admission (`upgrade`), the loop that reads the client and writes its queue (`run`),
//! and the ending: forgetting it, then telling the client why (`Connection::end`).

mod clock;
mod frame;
mod io;
mod session;
mod socket;
mod upgrade;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use pusher_protocol::{ErrorCode, ServerMessage};
use serde_json::json;
use tokio_util::task::task_tracker::TaskTrackerToken;

use crate::app::App;
use crate::config::RealtimeConfig;
use crate::conn::{ConnHandle, Kick, SHUTDOWN, Wake};
use crate::state::AppState;
use crate::tap::Kind;
use crate::wheel::ticks;
use clock::Clock;
use frame::{Incoming, Violation};
use io::{
    close_back, close_with, detach, flush_replies, hold, read_failed, refuse, send, send_frame,
    write_queued,
};
use session::{Fatal, Session};
use socket::{Outgoing, ReadError, Socket};
use upgrade::{Handshake, admit, next_socket_id};

/// The WebSocket routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/app/{key}", get(upgrade::upgrade))
        .route("/{*prefixed}", get(upgrade::prefixed_upgrade))
}

/// The connection's task. Admission is decided when the upgrade completes, before the
/// first poll, so the task keeps nothing of the handshake.
///
/// Not an `async fn`: one would keep each argument twice in the task, as the call's argument
/// and as its local (rust-lang/rust#62958), and this future lives as long as the connection.
fn connection(
    socket: Socket,
    state: AppState,
    handshake: Handshake,
) -> impl Future<Output = ()> + Send + 'static {
    // Shutdown waits for this token to drop.
    let tracked = state.connections.token();
    let admitted = match admit(&state, &handshake) {
        Ok(app) => {
            let open = Open::new(app, &state);
            if let Some(direct) = socket.direct() {
                open.handle().attach(direct);
            }
            handshake.tap_connected(open.session.app(), open.handle().socket_id());
            Ok(open)
        }
        Err(fatal) => {
            handshake.tap_refused(&state, &fatal);
            Err(fatal)
        }
    };
    drop(handshake);
    let mut connection = Connection { socket, admitted, _tracked: tracked };
    async move {
        let ending = match &mut connection.admitted {
            Ok(open) => run(&mut connection.socket, open).await,
            Err(fatal) => Ending::Refuse(fatal.code, std::mem::take(&mut fatal.message)),
        };
        // Boxed: it runs once, and would otherwise widen every idle task.
        Box::pin(connection.end(ending)).await;
    }
}

/// Everything a connection's task owns. Its methods borrow it, so the task stores it once.
#[derive(Debug)]
struct Connection {
    socket: Socket,
    admitted: Result<Open, Fatal>,
    _tracked: TaskTrackerToken,
}

/// An admitted connection's state, besides its socket. Only what the loop needs of the
/// server's state is kept: every byte here is in every connection's task.
#[derive(Debug)]
struct Open {
    config: Arc<RealtimeConfig>,
    node_connections: Arc<AtomicUsize>,
    /// The protocol state, which also holds the connection's handle and app.
    session: Session,
    clock: Clock,
}

impl Open {
    fn new(app: Arc<App>, state: &AppState) -> Self {
        app.usage().connections_total.fetch_add(1, Ordering::Relaxed);
        let sent = app.usage().sent.clone();
        let handle =
            ConnHandle::new(next_socket_id(), state.config.outbound_queue, app.serial(), sent);
        let clock = clock(&app, &state.config);
        handle.set_deadline(clock.next());
        app.opened(&handle);
        // Filed before the check, so the wheel's shutdown kick cannot miss it.
        if state.shutdown.is_cancelled() {
            handle.kick(SHUTDOWN.code, SHUTDOWN.reason);
        }
        Self {
            config: state.config.clone(),
            node_connections: state.node_connections.clone(),
            session: Session::new(app, handle),
            clock,
        }
    }

    fn handle(&self) -> &ConnHandle {
        self.session.conn()
    }

    /// `pusher:connection_established`, the first thing the client hears.
    fn established(&self) -> String {
        ServerMessage::ConnectionEstablished {
            socket_id: self.handle().socket_id(),
            activity_timeout: self.config.activity_timeout.as_secs(),
        }
        .to_json()
    }

    /// The wheel tick now.
    fn now(&self) -> u32 {
        self.session.app().wheel().now()
    }

    /// Tells the wheel when the clock is next due.
    fn rewind(&self) {
        self.handle().set_deadline(self.clock.next());
    }
}

/// The connection's clock, started now.
fn clock(app: &App, config: &RealtimeConfig) -> Clock {
    let app_config = app.config();
    let sign_in_within = app_config
        .require_user_authentication
        .then(|| ticks(app_config.user_authentication_timeout));
    Clock::start(app.wheel().now(), ticks(config.activity_timeout), sign_in_within)
}

impl Connection {
    /// Forgets the connection, then tells the client why it ends.
    async fn end(&mut self, ending: Ending) {
        if let Ok(open) = &mut self.admitted {
            detach(&mut self.socket, open.session.conn());
            open.session.finish();
            let app = open.session.app();
            app.disconnected(open.session.conn());
            open.node_connections.fetch_sub(1, Ordering::AcqRel);
            if matches!(ending, Ending::Refuse(ErrorCode::OverCapacity, _)) {
                app.usage().slow_client_closes.fetch_add(1, Ordering::Relaxed);
            }
            tap_ended(app, open.session.conn().socket_id(), &ending);
        }
        match ending {
            Ending::Gone => {}
            Ending::ClientClosed(code) => close_back(&mut self.socket, code).await,
            Ending::Refuse(code, message) => refuse(&mut self.socket, code, &message).await,
            Ending::Violation(violation) => {
                let (code, reason) = violation.close();
                close_with(&mut self.socket, code, reason).await;
            }
        }
    }
}

/// Tells the app's console how a connection ended: a close with a 4xxx code is also a
/// refusal.
fn tap_ended(app: &App, socket_id: pusher_protocol::SocketId, ending: &Ending) {
    let (code, reason) = match ending {
        Ending::Gone | Ending::ClientClosed(_) => (None, "closed by the client or the network"),
        Ending::Refuse(code, message) => (Some(code.code()), message.as_str()),
        Ending::Violation(violation) => {
            let (code, reason) = violation.close();
            (Some(code), reason)
        }
    };
    let fields = || json!({ "socket_id": socket_id.to_string(), "code": code, "reason": reason });
    if code.is_some_and(|c| (4000..4200).contains(&c) || (4300..4400).contains(&c)) {
        app.tap().record(Kind::Refused, || {
            let mut record = fields();
            record["what"] = "connection".into();
            record
        });
    }
    app.tap().record(Kind::Disconnected, fields);
}

/// How a connection ends, decided before the closing handshake so the hub forgets it at once.
#[derive(Debug)]
enum Ending {
    /// The client left or the socket failed: nothing more to say.
    Gone,
    /// The client sent a close frame: it is answered with the same code.
    ClientClosed(Option<u16>),
    /// `pusher:error` with the code, then a close frame with the same code.
    Refuse(ErrorCode, String),
    /// A frame the protocol forbids, or a message over the size limit (1009): a close frame
    /// with the violation's code.
    Violation(Violation),
}

impl From<Kick> for Ending {
    fn from(kick: Kick) -> Self {
        Self::Refuse(kick.code, kick.reason.to_owned())
    }
}

/// The connection loop: the client's frames, the queue, kicks (shutdown too) and the clock.
///
/// Its state is most of an idle connection's memory, so it keeps few locals: fields are
/// reached through `open` rather than borrowed into locals, messages from the client are
/// handled in a boxed future, the timer is the node's wheel rather than a `Sleep` here, and
/// the write happens outside the `select!` whose output would otherwise stay alive beside it.
async fn run(socket: &mut Socket, open: &mut Open) -> Ending {
    if send(socket, open.established()).await.is_err() {
        return Ending::Gone;
    }
    open.handle().release();
    loop {
        let write = tokio::select! {
            biased;
            incoming = socket.next(open.config.max_frame_bytes) => {
                // Held while the message is handled: its replies go before frames sent
                // meanwhile, as the client expects (`subscription_succeeded` first).
                hold(socket, open.handle());
                // A kick outranks whatever the client says.
                if let Err(kick) = open.handle().check_kick() {
                    return kicked(kick, &open.config).await;
                }
                // Boxed: messages from the client are rare, and this state would otherwise
                // widen every idle task.
                open.clock.heard(open.now(), ticks(open.config.activity_timeout));
                let received = receive(socket, &mut open.session, &mut open.clock, incoming);
                if let Some(ending) = Box::pin(received).await {
                    return ending;
                }
                open.rewind();
                false
            }
            woken = open.handle().woken() => match woken {
                Ok(Wake::Frames) => true,
                Ok(Wake::Timer) => {
                    let ping = match open.clock.fired(open.now(), ticks(open.config.pong_timeout)) {
                        Ok(ping) => ping,
                        Err(ending) => return ending,
                    };
                    open.rewind();
                    if ping {
                        hold(socket, open.handle());
                        if send(socket, ServerMessage::Ping.to_json()).await.is_err() {
                            return Ending::Gone;
                        }
                    }
                    false
                }
                Err(kick) => return kicked(kick, &open.config).await,
            },
        };
        if write {
            // A client that stops reading blocks the write; a kick or shutdown must still
            // get through, so a write that cannot finish at once races them. The write is
            // polled first, so a write that finishes at once registers no waiter.
            tokio::select! {
                biased;
                written = write_queued(socket, open.handle()) => if written.is_err() {
                    return Ending::Gone;
                },
                kick = open.handle().kicked() => return kicked(kick, &open.config).await,
            }
        }
        // Everything written: senders may write straight into the socket again.
        open.handle().release();
    }
}

/// How a kicked connection ends; at shutdown, after a random part of the jitter window.
async fn kicked(kick: Kick, config: &RealtimeConfig) -> Ending {
    if kick == SHUTDOWN {
        // Boxed: it runs once, and would otherwise widen every idle task.
        return Box::pin(shutdown(config)).await;
    }
    kick.into()
}

/// Waits a random part of the jitter window, so clients do not all reconnect at once.
async fn shutdown(config: &RealtimeConfig) -> Ending {
    if !config.shutdown_jitter.is_zero() {
        tokio::time::sleep(rand::random_range(Duration::ZERO..config.shutdown_jitter)).await;
    }
    SHUTDOWN.into()
}

/// Handles one message from the client; `Some` when the connection must end.
async fn receive(
    socket: &mut Socket,
    session: &mut Session,
    clock: &mut Clock,
    incoming: Result<Option<Incoming>, ReadError>,
) -> Option<Ending> {
    let text = match incoming {
        Ok(Some(Incoming::Text(text))) => text,
        Ok(Some(Incoming::Binary)) => {
            let error = ServerMessage::Error {
                code: None,
                message: "Binary frames are not supported",
                channel: None,
            };
            return send(socket, error.to_json()).await.err().map(|_| Ending::Gone);
        }
        Ok(Some(Incoming::Ping(payload))) => {
            let pong = send_frame(socket, Outgoing::pong(payload)).await;
            return pong.err().map(|_| Ending::Gone);
        }
        Ok(Some(Incoming::Pong)) => return None,
        Ok(Some(Incoming::Close(code))) => return Some(Ending::ClientClosed(code)),
        Ok(None) => return Some(Ending::Gone),
        Err(error) => return Some(read_failed(&error)),
    };
    let usage = session.app().usage();
    usage.messages_in.fetch_add(1, Ordering::Relaxed);
    usage.bytes_in.fetch_add(text.len() as u64, Ordering::Relaxed);
    // Boxed: a handler may wait on Redis, and its state would otherwise be part of every
    // idle connection's task.
    let result = Box::pin(session.handle_text(&text)).await;
    if flush_replies(socket, session).await.is_err() {
        return Some(Ending::Gone);
    }
    if session.signed_in() {
        clock.signed_in();
    }
    result.err().map(|fatal| Ending::Refuse(fatal.code, fatal.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The size of what `f` returns, here a future, without making one.
    fn returned_size<A, R>(_: impl Fn(A) -> R) -> usize {
        std::mem::size_of::<R>()
    }

    /// The connection's task is most of an idle connection's memory (BENCHMARKS.md, idle):
    /// something large awaited inline in `run` (rather than boxed, like `receive`) widens
    /// every connection. tokio stores the task's future in a cell of about its size plus
    /// 104 B, aligned to 128 B, and jemalloc rounds that to 640 B, then 768 B: the task
    /// must stay at 536 B or under to keep the 640 B cell.
    #[test]
    fn a_connection_task_stays_small() {
        let future = returned_size(|(socket, state, handshake): (Socket, AppState, Handshake)| {
            connection(socket, state, handshake)
        });
        let run = returned_size(|(socket, open): (&mut Socket, &mut Open)| run(socket, open));
        let task = returned_size(
            |(on_upgrade, pending): (hyper::upgrade::OnUpgrade, Box<(AppState, Handshake)>)| {
                upgrade::upgraded(on_upgrade, move |socket| {
                    let (state, handshake) = *pending;
                    connection(socket, state, handshake)
                })
            },
        );
        eprintln!("connection {future} B, run {run} B, task {task} B");
        assert!(task <= 536, "connection task: {task} bytes");
        assert!(future <= 512, "connection future: {future} bytes");
        assert!(run <= 320, "run future: {run} bytes");
    }
}
