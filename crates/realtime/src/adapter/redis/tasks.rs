//! The node's background work: sending frames out, receiving the other nodes' frames,
//! renewing its lease, reaping dead nodes and registering its connections anew after
//! Redis lost them.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;
use pusher_protocol::{ChannelName, SocketId, WatchlistChange};
use redis::aio::PubSubStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::bus::{self, Envelope, Message};
use super::{
    ClusterError, Outgoing, RedisAdapter, echo, scripts, subscription_record, user_record,
};
use crate::adapter::{Change, News, new_member};
use crate::apps::Apps;
use crate::conn::Frame;

/// Items sent to Redis in one pipeline.
const PIPELINE: usize = 256;

/// Longest pause between attempts to re-subscribe to the bus.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

impl RedisAdapter {
    /// Joins the cluster (first lease and subscription, each a bounded wait, so a node
    /// serves nobody before it hears the others) and starts the background tasks.
    pub(crate) async fn start(self: &Arc<Self>, apps: Apps, shutdown: CancellationToken) {
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
            tokio::spawn(self.clone().send_outgoing(outgoing, apps.clone()));
        }
        tokio::spawn(self.clone().listen(bus, apps.clone(), shutdown.clone()));
        tokio::spawn(self.clone().keep_lease(apps, shutdown));
        tracing::info!(node = %self.node, prefix = %self.keys.prefix, "joined the Redis cluster");
    }

    /// Sends queued frames and cache writes, many per round trip, in order. Frames this node
    /// was waiting to get back are delivered here directly when the write fails.
    async fn send_outgoing(self: Arc<Self>, mut queue: mpsc::Receiver<Outgoing>, apps: Apps) {
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
            if !pipe.is_empty() {
                if let Err(error) = self.call(pipe.query_async::<()>(&mut conn)).await {
                    self.failed("publish", &error);
                    for bytes in &echoes {
                        self.deliver(&apps, bytes);
                    }
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
        apps: Apps,
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
                    self.deliver(&apps, message.get_payload_bytes());
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

    /// Acts on one message from another node.
    fn deliver(&self, apps: &Apps, bytes: &[u8]) {
        let Some(Envelope { node, app, message }) = bus::decode(bytes) else {
            tracing::warn!(node = %self.node, "malformed message on the Redis bus ignored");
            return;
        };
        // This node's own frames come back to be delivered here; its user messages were
        // acted on when sent.
        let own = node == self.node;
        if message == Message::Echo {
            if own {
                self.echo.heard(std::time::Instant::now());
            }
            return;
        }
        let Some(app) = apps.by_id(app) else { return };
        match message {
            Message::Frame { channel, except, frame } => {
                app.hub.publish(&channel, &Frame::from(frame), except);
            }
            Message::Member { channel, except, version, frame } => {
                app.hub.publish_member_news(&channel, &Frame::from(frame), except, version);
            }
            Message::Terminate { .. } | Message::Watch { .. } | Message::Echo if own => {}
            Message::Terminate { user_id } => {
                app.hub.users.terminate(user_id);
            }
            Message::Watch { change, user_id } => app.hub.users.notify(user_id, change),
            Message::Echo => {}
        }
    }

    /// Every quarter of the lease: renews it, reaps dead nodes, and registers this node's
    /// connections again when Redis lost them or a write failed.
    ///
    /// Each renewal holds for three quarters of the lease, so a node survives two missed
    /// renewals, and a dead node's expiry (at most ¾ lease after its death) is seen by the
    /// next round (¼ later): its members are gone within one lease.
    async fn keep_lease(self: Arc<Self>, apps: Apps, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(self.lease / 4);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = tick.tick() => {}
            }
            self.check_bus();
            match self.renew().await {
                Ok(registered) => {
                    let dirty = self.dirty.swap(false, Ordering::AcqRel);
                    if registered || dirty {
                        if let Err(error) = self.reconcile(&apps).await {
                            self.failed("re-registration", &error);
                        }
                    }
                    match self.release(None).await {
                        Ok(changes) => self.announce(&apps, &changes),
                        Err(error) => self.failed("reaping", &error),
                    }
                }
                Err(error) => self.failed("lease", &error),
            }
        }
    }

    /// Sends the bus an echo, or, when the last one never came back, subscribes again.
    fn check_bus(&self) {
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

    /// Gives back what this node holds, announcing it; called once connections are closed.
    pub(crate) async fn stop(&self, apps: &Apps) {
        // The bus is no longer read: what this node still sends is delivered here directly.
        self.listening.store(false, Ordering::Release);
        match self.release(Some(&self.node)).await {
            Ok(changes) => self.announce(apps, &changes),
            Err(error) => self.failed("leaving the cluster", &error),
        }
        // The announcements leave through the outgoing queue: wait (bounded) until sent.
        let (done, sent) = tokio::sync::oneshot::channel();
        if self.outgoing.try_send(Outgoing::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(2), sent).await;
        }
    }

    /// Renews the lease; `true` when this node was not registered.
    async fn renew(&self) -> Result<bool, ClusterError> {
        let mut invocation = scripts::RENEW.prepare_invoke();
        invocation
            .key(self.keys.nodes())
            .arg(&self.node)
            .arg(u64::try_from((self.lease * 3 / 4).as_millis()).unwrap_or(u64::MAX));
        let mut conn = self.conn.clone();
        let added: i64 = self.call(invocation.invoke_async(&mut conn)).await?;
        Ok(added == 1)
    }

    /// Releases `node`, or every node whose lease ran out; returns what changed.
    async fn release(&self, node: Option<&str>) -> Result<Vec<String>, ClusterError> {
        let mut invocation = scripts::RELEASE.prepare_invoke();
        invocation
            .key(self.keys.nodes())
            .arg(&self.keys.prefix)
            .arg(node.unwrap_or(""))
            .arg(&self.node);
        let mut conn = self.conn.clone();
        self.call(invocation.invoke_async(&mut conn)).await
    }

    /// Announces a release's changes: members gone, channels vacated or with fewer
    /// subscribers, users offline.
    fn announce(&self, apps: &Apps, changes: &[String]) {
        for change in changes {
            let mut fields = change.splitn(5, '\n');
            let (Some(kind), Some(app)) = (fields.next(), fields.next()) else { continue };
            let Some(app) = apps.by_id(app) else { continue };
            match (kind, fields.next(), fields.next(), fields.next()) {
                ("m", Some(channel), Some(version), Some(user_id)) => {
                    let (Ok(channel), Ok(version)) = (ChannelName::parse(channel), version.parse())
                    else {
                        continue;
                    };
                    // The channel's count comes in its own `c` line.
                    app.member_left(&channel, Arc::from(user_id), News::Versioned(version));
                }
                ("c", Some(channel), Some(count), None) => {
                    let (Ok(channel), Ok(count)) = (ChannelName::parse(channel), count.parse())
                    else {
                        continue;
                    };
                    let change = Change { count, edge: count == 0, member: None, news: News::Told };
                    app.left(&channel, change);
                }
                ("o", Some(user_id), None, None) => {
                    app.watched_user(user_id, WatchlistChange::Offline);
                }
                _ => tracing::warn!(%change, "unexpected change from Redis ignored"),
            }
        }
        if !changes.is_empty() {
            tracing::info!(node = %self.node, changes = changes.len(), "released a node's connections");
        }
    }

    /// Makes Redis hold exactly this node's connections: registers the missing ones (with
    /// the events a join brings) and releases the ones that are gone.
    async fn reconcile(&self, apps: &Apps) -> Result<(), ClusterError> {
        let mut conn = self.conn.clone();
        let key = self.keys.node(&self.node);
        let records: Vec<String> =
            self.call(redis::cmd("HKEYS").arg(&key).query_async(&mut conn)).await?;
        let records: HashSet<String> = records.into_iter().collect();
        let mut here = HashSet::new();
        let (mut joined, mut left) = (0, 0);
        for app in apps.iter() {
            let id = &app.config.id;
            for (channel, socket_id, member) in app.hub.subscriptions() {
                let record = subscription_record(id, &channel, socket_id);
                if !records.contains(&record) {
                    if let Some(cluster) =
                        self.join(id, &channel, socket_id, member.as_ref(), usize::MAX).await?
                    {
                        let change = Change {
                            count: cluster.count,
                            edge: cluster.occupied,
                            member: new_member(cluster.member_added, member.as_ref()),
                            news: News::Versioned(cluster.version),
                        };
                        app.joined(&channel, member.as_ref(), socket_id, change);
                        joined += 1;
                    }
                }
                here.insert(record);
            }
            for (socket_id, user_id) in app.hub.users.signed_in() {
                let record = user_record(id, socket_id);
                if !records.contains(&record)
                    && self.sign_in(id, socket_id, &user_id, &[]).await?.first
                {
                    app.watched_user(&user_id, WatchlistChange::Online);
                }
                here.insert(record);
            }
        }
        for record in records.difference(&here) {
            let mut fields = record.splitn(4, '\n');
            let parsed = (fields.next(), fields.next(), fields.next(), fields.next());
            let Some(app) = parsed.1.and_then(|id| apps.by_id(id)) else { continue };
            match parsed {
                (Some("s"), _, Some(channel), Some(socket_id)) => {
                    let (Ok(channel), Ok(socket_id)) =
                        (ChannelName::parse(channel), SocketId::parse(socket_id))
                    else {
                        continue;
                    };
                    if let Some(gone) = self.leave(&app.config.id, &channel, socket_id).await? {
                        app.left(&channel, gone.into());
                        left += 1;
                    }
                }
                (Some("u"), _, Some(socket_id), None) => {
                    let Ok(socket_id) = SocketId::parse(socket_id) else { continue };
                    if let Some(user_id) = self.sign_out(&app.config.id, socket_id).await? {
                        app.watched_user(&user_id, WatchlistChange::Offline);
                    }
                }
                _ => {}
            }
        }
        tracing::info!(node = %self.node, joined, left, "registered this node's connections in Redis");
        Ok(())
    }
}
