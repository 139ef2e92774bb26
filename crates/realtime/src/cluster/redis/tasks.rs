//! The node's bus: starting up, sending frames out in order, receiving every node's
//! messages and handing them to this node's [`Inbound`] handler, and noticing a bus that
//! went deaf. The lease and the registration of connections are in `lease`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::PubSubStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::bus::{self, Envelope, Message};
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
        let bus = self.keys.bus();
        let mut items = Vec::with_capacity(PIPELINE);
        let mut conn = self.conn.clone();
        let mut flushed = Vec::new();
        let mut echoes = Vec::new();
        while queue.recv_many(&mut items, PIPELINE).await > 0 {
            let mut pipe = redis::pipe();
            for item in items.drain(..) {
                match item {
                    Outgoing::Publish { bytes, echo } => {
                        pipe.cmd("PUBLISH").arg(&bus).arg(&bytes).ignore();
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
                    self.deliver(&*inbound, bytes);
                }
            }
            echoes.clear();
            for done in flushed.drain(..) {
                let _ = done.send(());
            }
        }
    }

    async fn subscribe_bus(&self) -> Result<PubSubStream, ClusterError> {
        let mut pubsub = self.call(self.client.get_async_pubsub()).await?;
        self.call(pubsub.subscribe(self.keys.bus())).await?;
        Ok(pubsub.into_on_message())
    }

    /// Receives the other nodes' messages; re-subscribes after the connection drops.
    async fn listen(
        self: Arc<Self>,
        mut bus: Option<PubSubStream>,
        inbound: Arc<dyn Inbound>,
        shutdown: CancellationToken,
    ) {
        let mut backoff = Duration::from_millis(100);
        loop {
            if let Some(mut messages) = bus.take() {
                backoff = Duration::from_millis(100);
                self.echo.reset();
                self.listening.store(true, Ordering::Release);
                loop {
                    let message = tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = self.resubscribe.notified() => None,
                        message = messages.next() => message,
                    };
                    let Some(message) = message else { break };
                    self.deliver(&*inbound, message.get_payload_bytes());
                }
                self.listening.store(false, Ordering::Release);
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
                Ok(messages) => bus = Some(messages),
                Err(error) => self.failed("subscribe", &error),
            }
        }
    }

    /// Acts on one message from the bus.
    fn deliver(&self, inbound: &dyn Inbound, bytes: &[u8]) {
        let Some(Envelope { node, app, message }) = bus::decode(bytes) else {
            tracing::warn!(node = %self.node, "malformed message on the Redis bus ignored");
            return;
        };
        // This node's own frames come back to be delivered here; its user messages were
        // acted on when sent.
        let own = node == self.node;
        match message {
            Message::Frame { channel, except, frame } => {
                let frame = Frame::from(frame);
                inbound.hear(app, Notice::Frame { channel: &channel, frame: &frame, except });
            }
            Message::Member { channel, except, version, frame } => {
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
                let bytes = bus::encode(&self.node, "", &Message::Echo);
                self.queue(Outgoing::Publish { bytes, echo: false });
            }
            echo::Check::Wait => {}
            echo::Check::Deaf => {
                self.failed("bus echo", &ClusterError::Timeout);
                self.resubscribe.notify_one();
            }
        }
    }
}
