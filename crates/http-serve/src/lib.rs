//! Serves an axum `Router` on a listener the way a public address needs: HTTP/1.1 with
//! WebSocket upgrades, a socket closed when its first request head is late or when it sits
//! idle between requests, and graceful shutdown. The web port (`invoicing`) and the realtime
//! port (`realtime`, plain or TLS) both serve through [`serve`].
//!
//! `axum::serve` has no timer, so a client sending half a request head held its socket
//! forever. Here the first head must arrive within [`Timeouts::header_read`] of the
//! connection being handed over (after the TLS handshake, which has its own limit); after
//! a response, the next head must arrive within [`Timeouts::keep_alive`] (hyper's
//! header-read timer, which starts when it waits for a head). A WebSocket upgrade is a
//! request like any other, so a socket that has not become a WebSocket within
//! `header_read` is closed; once upgraded, the connection is its handler's, and this
//! module adds nothing to its frames. Each request must be answered within
//! [`Timeouts::request`] of its head (the body read included), or it gets 408.
//!
//! Each request carries its connection's peer address as axum's
//! [`ConnectInfo`](axum::extract::ConnectInfo), as `into_make_service_with_connect_info` would
//! give it (the sign-in throttle keys on it).
//!
//! HTTP/2 is not offered: no listener here negotiates it (no ALPN), and HTTP/1.1's timers
//! are the ones this module relies on.
#![deny(missing_docs)]

use std::convert::Infallible;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::Listener;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// How long a connection may take before, during and between its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// The first request head (a WebSocket upgrade too) must arrive within this.
    pub header_read: Duration,
    /// After a response, the next request head must arrive within this, or the idle
    /// connection is closed.
    pub keep_alive: Duration,
    /// A request must be answered within this of its head, body read included: a client
    /// trickling its body gets 408 and its connection closed. An upgraded WebSocket is past
    /// its answer, so this does not limit it.
    pub request: Duration,
}

impl Timeouts {
    /// The first request head within 10 s, like nginx's `client_header_timeout` (60 s)
    /// but tighter, since every real client sends its head at once.
    pub const DEFAULT_HEADER_READ: Duration = Duration::from_secs(10);
    /// Idle keep-alive connections closed after 60 s, beyond browsers' own reuse window.
    pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(60);
    /// Requests answered within 30 s: Paybell's slowest answer (a sign-in waiting for a
    /// password-hashing slot) takes at most a few seconds.
    pub const DEFAULT_REQUEST: Duration = Duration::from_secs(30);
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            header_read: Self::DEFAULT_HEADER_READ,
            keep_alive: Self::DEFAULT_KEEP_ALIVE,
            request: Self::DEFAULT_REQUEST,
        }
    }
}

/// Serves `router` on `listener` until `signal` completes, then stops accepting, lets each
/// connection finish the request it is serving (connections still waiting for their first
/// request are dropped), and returns once they are done. Upgraded connections are their
/// handlers' to close.
pub async fn serve<L>(
    mut listener: L,
    router: Router,
    timeouts: Timeouts,
    signal: impl Future<Output = ()> + Send,
) where
    L: Listener,
    L::Addr: Clone + Send + Sync + 'static,
{
    let router = router.layer(axum::middleware::from_fn_with_state(timeouts.request, deadline));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(timeouts.keep_alive);
    let http = Arc::new(http);
    let stop = CancellationToken::new();
    let connections = TaskTracker::new();
    let mut signal = pin!(signal);
    loop {
        let (io, peer) = tokio::select! {
            () = &mut signal => break,
            accepted = listener.accept() => accepted,
        };
        let service = FirstRequest::new(router.clone(), peer);
        let conn = Conn { http: http.clone(), timeouts, stop: stop.clone() };
        connections.spawn(conn.serve(TokioIo::new(io), service));
    }
    drop(listener);
    stop.cancel();
    connections.close();
    connections.wait().await;
}

/// Answers 408 (and closes the connection) when `next` has not answered within `limit`.
async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::debug!(?limit, "request not answered within its deadline: 408");
            let body = format!(
                r#"{{"error":{{"code":"request_timeout","message":"the request was not complete within {} s"}}}}"#,
                limit.as_secs()
            );
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::REQUEST_TIMEOUT;
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

/// What one connection's task needs besides its socket.
struct Conn {
    http: Arc<http1::Builder>,
    timeouts: Timeouts,
    stop: CancellationToken,
}

impl Conn {
    async fn serve<I, A>(self, io: I, service: FirstRequest<A>)
    where
        I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
        A: Clone + Send + Sync + 'static,
    {
        let arrived = service.arrived.clone();
        let mut conn = pin!(self.http.serve_connection(io, service).with_upgrades());
        // Until the first head arrives, the connection has cost the client nothing to open
        // and is dropped on its deadline or on shutdown.
        tokio::select! {
            biased;
            done = conn.as_mut() => return report(done),
            () = arrived.notified() => {}
            () = tokio::time::sleep(self.timeouts.header_read) => {
                tracing::debug!("no request head within the header-read timeout: closed");
                return;
            }
            () = self.stop.cancelled() => return,
        }
        tokio::select! {
            done = conn.as_mut() => return report(done),
            () = self.stop.cancelled() => conn.as_mut().graceful_shutdown(),
        }
        report(conn.await);
    }
}

fn report(done: Result<(), hyper::Error>) {
    if let Err(error) = done {
        // Clients that vanish or time out are routine on a public address.
        tracing::debug!(%error, "connection ended with an error");
    }
}

/// The router, telling its connection when a request head has arrived, and giving each
/// request the connection's peer address.
#[derive(Clone)]
struct FirstRequest<A> {
    router: TowerToHyperService<Router>,
    arrived: Arc<Notify>,
    peer: A,
}

impl<A> FirstRequest<A> {
    fn new(router: Router, peer: A) -> Self {
        Self { router: TowerToHyperService::new(router), arrived: Arc::new(Notify::new()), peer }
    }
}

impl<A: Clone + Send + Sync + 'static> hyper::service::Service<Request<Incoming>>
    for FirstRequest<A>
{
    type Response = Response<Body>;
    type Error = Infallible;
    type Future =
        <TowerToHyperService<Router> as hyper::service::Service<Request<Incoming>>>::Future;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        self.arrived.notify_one();
        request.extensions_mut().insert(ConnectInfo(self.peer.clone()));
        self.router.call(request)
    }
}
