//! The node's bus: starting up, sending frames out in order, receiving the messages of the
//! bus and of the channels this node follows (subscribing and unsubscribing as `interest`
//! says) and handing them to this node's [`Inbound`] handler, and noticing a bus that
//! went deaf. The lease and the registration of connections are in `lease`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::bus::{self, Envelope, Message};
use super::interest::{LINGER, Op};
use super::{Outgoing, RedisCluster, echo};
use crate::cluster::{Cluster, ClusterError, Inbound, Notice};
use crate::conn::Frame;
use crate::tap::Item;

/// Items sent to Redis in one pipeline.
const PIPELINE: usize = 256;

/// Longest pause between attempts to re-subscribe to the bus.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

impl RedisCluster {
    /// Joins the cluster (first lease and subscription, each a bounded wait, so a node
    /// serves nobody before it hears the others) and starts the background tasks, which
    /// tell this node what the cluster says through `inbound` until `shutdown`.
    pub(crate) async fn start(
        self: &Arc<Self>,
        inbound: Arc<dyn Inbound>,
        shutdown: CancellationToken,
    ) {
        if let Err(error) = self.renew().await {
            self.failed("start-up", &error);
        }
        let bus = match self.subscribe_bus().await {
            Ok(bus) => Some(bus),
            Err(error) => {
                self.failed("subscribe", &error);
                None
            }
        };
        let outgoing = self.outgoing_rx.lock().ok().and_then(|mut rx| rx.take());
        if let Some(outgoing) = outgoing {
            tokio::spawn(self.clone().send_outgoing(outgoing, inbound.clone()));
        }
        tokio::spawn(self.clone().listen(bus, inbound.clone(), shutdown.clone()));
        tokio::spawn(self.clone().watch_consoles(inbound.clone(), shutdown.clone()));
        tokio::spawn(self.clone().keep_lease(inbound, shutdown));
        tracing::info!(node = %self.node, prefix = %self.keys.prefix, "joined the Redis cluster");
    }

    /// Sends queued frames and cache writes, many per round trip, in order. Frames this node
    /// was waiting to get back are delivered here directly when the write fails.
    async fn send_outgoing(
        self: Arc<Self>,
        mut queue: mpsc::Receiver<Outgoing>,
        inbound: Arc<dyn Inbound>,
    ) {
        let mut items = Vec::with_capacity(PIPELINE);
        let mut conn = self.conn.clone();
        let mut flushed = Vec::new();
        let mut echoes = Vec::new();
        while queue.recv_many(&mut items, PIPELINE).await > 0 {
            let mut pipe = redis::pipe();
            for item in items.drain(..) {
                match item {
                    Outgoing::Publish { channel, bytes, echo } => {
                        pipe.cmd("PUBLISH").arg(channel).arg(&bytes).ignore();
                        if echo {
                            echoes.push(bytes);
                        }
                    }
                    Outgoing::Cache { key, miss, value, ttl_ms } => {
                        pipe.cmd("SET").arg(key).arg(value).arg("PX").arg(ttl_ms).ignore();
                        pipe.cmd("DEL").arg(miss).ignore();
                    }
                    Outgoing::Flush(done) => flushed.push(done),
                }
            }
            if !pipe.is_empty()
                && let Err(error) = self.call(pipe.query_async::<()>(&mut conn)).await
            {
                self.failed("publish", &error);
                for bytes in &echoes {
                    self.deliver(&*inbound, bytes, false);
                }
            }
            echoes.clear();
            for done in flushed.drain(..) {
                let _ = done.send(());
            }
        }
    }

    /// A new bus connection, subscribed to the bus (and nothing else yet).
    async fn subscribe_bus(&self) -> Result<(PubSubSink, PubSubStream), ClusterError> {
        let pubsub = self.call(self.client.get_async_pubsub()).await?;
        let (mut sink, stream) = pubsub.split();
        self.call(sink.subscribe(self.keys.bus())).await?;
        Ok((sink, stream))
    }

    /// Receives the bus and the followed channels; re-subscribes after the connection drops.
    async fn listen(
        self: Arc<Self>,
        mut bus: Option<(PubSubSink, PubSubStream)>,
        inbound: Arc<dyn Inbound>,
        shutdown: CancellationToken,
    ) {
        let mut backoff = Duration::from_millis(100);
        loop {
            if let Some((sink, messages)) = bus.take() {
                backoff = Duration::from_millis(100);
                self.echo.reset();
                self.listening.store(true, Ordering::Release);
                let stopped = self.hear(sink, messages, &*inbound, &shutdown).await;
                self.listening.store(false, Ordering::Release);
                self.interest.lost();
                self.metrics.redis_channels(0);
                if stopped {
                    return;
                }
                // Frames sent while this node was away are lost; shared state is not.
                let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
                self.failed("subscription", &ClusterError::Redis(reset.into()));
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
            let subscribed = tokio::select! {
                () = shutdown.cancelled() => return,
                subscribed = self.subscribe_bus() => subscribed,
            };
            match subscribed {
                Ok(connection) => bus = Some(connection),
                Err(error) => self.failed("subscribe", &error),
            }
        }
    }

    /// Serves one bus connection until it fails (`false`) or the node stops (`true`):
    /// delivers what arrives, and subscribes to and unsubscribes from channels as the
    /// interest says, at most one command per channel under way.
    async fn hear(
        &self,
        sink: PubSubSink,
        mut messages: PubSubStream,
        inbound: &dyn Inbound,
        shutdown: &CancellationToken,
    ) -> bool {
        let mut commands = FuturesUnordered::new();
        for name in self.interest.resubscribe() {
            commands.push(command(&sink, name, Op::Subscribe));
        }
        let mut sweep = tokio::time::interval(LINGER);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return true,
                () = self.resubscribe.notified() => return false,
                () = self.nudge.notified() => {
                    for name in self.interest.take_todo() {
                        commands.push(command(&sink, name, Op::Subscribe));
                    }
                }
                _ = sweep.tick() => {
                    for name in self.interest.sweep() {
                        commands.push(command(&sink, name, Op::Unsubscribe));
                    }
                    self.metrics.redis_channels(self.interest.subscribed());
                }
                Some((name, op, result)) = commands.next(), if !commands.is_empty() => {
                    if let Err(error) = result {
                        self.failed("channel subscription", &error);
                        return false;
                    }
                    if let Some(next) = self.interest.done(&name, op, true) {
                        commands.push(command(&sink, name, next));
                    }
                    self.metrics.redis_channels(self.interest.subscribed());
                }
                message = messages.next() => {
                    let Some(message) = message else { return false };
                    self.deliver(inbound, message.get_payload_bytes(), true);
                }
            }
        }
    }

    /// Acts on one message from the bus or a followed channel, counted in `/metrics` first
    /// when it came from Redis (`received`).
    fn deliver(&self, inbound: &dyn Inbound, bytes: &[u8], received: bool) {
        let decoded = bus::decode(bytes);
        if received {
            let frame = decoded.as_ref().is_some_and(|envelope| {
                matches!(envelope.message, Message::Frame { .. } | Message::Member { .. })
            });
            self.metrics.redis_received(bytes.len(), frame);
        }
        let Some(Envelope { node, app, message }) = decoded else {
            tracing::warn!(node = %self.node, "malformed message on the Redis bus ignored");
            return;
        };
        // This node's own frames come back to be delivered here unless it delivered them
        // when it sent them; its user messages were acted on when sent.
        let own = node == self.node;
        match message {
            Message::Frame { delivered: true, .. } | Message::Member { delivered: true, .. }
                if own => {}
            Message::Frame { channel, except, frame, .. } => {
                let frame = Frame::from(frame);
                inbound.hear(app, Notice::Frame { channel: &channel, frame: &frame, except });
            }
            Message::Member { channel, except, version, frame, .. } => {
                let frame = Frame::from(frame);
                let news = Notice::MemberNews { channel: &channel, frame: &frame, except, version };
                inbound.hear(app, news);
            }
            Message::Echo if own => self.echo.heard(std::time::Instant::now()),
            Message::Terminate { .. } | Message::Watch { .. } if own => {}
            Message::Terminate { user_id } => inbound.hear(app, Notice::Terminate { user_id }),
            Message::Watch { change, user_id } => {
                inbound.hear(app, Notice::Watch { user_id, change });
            }
            Message::Record { .. } | Message::Skipped { .. } | Message::Watching if own => {}
            Message::Watching => inbound.hear(app, Notice::Watching),
            Message::Record { record } => {
                inbound.hear(app, Notice::Tap(Item::Record(Arc::from(record))));
            }
            Message::Skipped { count } => inbound.hear(app, Notice::Tap(Item::Skipped(count))),
            Message::Echo => {}
        }
    }

    /// Sends the bus an echo, or, when the last one never came back, subscribes again.
    pub(super) fn check_bus(&self) {
        if !self.listening.load(Ordering::Acquire) {
            return;
        }
        match self.echo.check(std::time::Instant::now()) {
            echo::Check::Send => {
                self.send_bus("", &Message::Echo);
            }
            echo::Check::Wait => {}
            echo::Check::Deaf => {
                self.failed("bus echo", &ClusterError::Timeout);
                self.resubscribe.notify_one();
            }
        }
    }
}

/// Sends one SUBSCRIBE or UNSUBSCRIBE of `name` on the bus connection; the answer names it.
fn command(
    sink: &PubSubSink,
    name: String,
    op: Op,
) -> BoxFuture<'static, (String, Op, Result<(), ClusterError>)> {
    let mut sink = sink.clone();
    Box::pin(async move {
        let sent = match op {
            Op::Subscribe => sink.subscribe(&name).await,
            Op::Unsubscribe => sink.unsubscribe(&name).await,
        };
        (name, op, sent.map_err(ClusterError::from))
    })
}
