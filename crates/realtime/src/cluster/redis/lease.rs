//! The node's lease: renewing it, releasing dead nodes (and this one when it stops), and
//! making Redis hold exactly this node's connections after it lost some of them. What
//! that changes is told to this node's [`Inbound`] handler, which sends the events and
//! webhooks that go with it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use pusher_protocol::{ChannelName, SocketId};
use tokio_util::sync::CancellationToken;

use super::{Outgoing, RedisCluster, scripts, subscription_record, user_record};
use crate::cluster::{Cluster, ClusterError, Connections, Inbound, Notice, Presence, Users};

impl RedisCluster {
    /// Every quarter of the lease: renews it, reaps dead nodes, and registers this node's
    /// connections again when Redis lost them or a write failed.
    ///
    /// Each renewal holds for three quarters of the lease, so a node survives two missed
    /// renewals, and a dead node's expiry (at most ¾ lease after its death) is seen by the
    /// next round (¼ later): its members are gone within one lease.
    pub(super) async fn keep_lease(
        self: Arc<Self>,
        inbound: Arc<dyn Inbound>,
        shutdown: CancellationToken,
    ) {
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
                    if (registered || dirty)
                        && let Err(error) = self.reconcile(&*inbound).await
                    {
                        self.failed("re-registration", &error);
                    }
                    match self.release(None).await {
                        Ok(changes) => self.announce(&*inbound, &changes),
                        Err(error) => self.failed("reaping", &error),
                    }
                    if let Err(error) = self.share_connections(&*inbound).await {
                        self.failed("connection counts", &error);
                    }
                }
                Err(error) => self.failed("lease", &error),
            }
        }
    }

    /// Gives back what this node holds, announcing it through `inbound`; called once
    /// connections are closed.
    pub(crate) async fn stop(&self, inbound: &dyn Inbound) {
        // The bus is no longer read: what this node still sends is delivered here directly.
        self.listening.store(false, Ordering::Release);
        match self.release(Some(&self.node)).await {
            Ok(changes) => self.announce(inbound, &changes),
            Err(error) => self.failed("leaving the cluster", &error),
        }
        // The announcements leave through the outgoing queue: wait (bounded) until sent.
        let (done, sent) = tokio::sync::oneshot::channel();
        if self.outgoing.try_send(Outgoing::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(crate::cluster::TIMEOUT, sent).await;
        }
    }

    /// Renews the lease; `true` when this node was not registered.
    pub(super) async fn renew(&self) -> Result<bool, ClusterError> {
        let mut invocation = scripts::RENEW.prepare_invoke();
        invocation
            .key(self.keys.nodes())
            .arg(&self.node)
            .arg(u64::try_from((self.lease * 3 / 4).as_millis()).unwrap_or(u64::MAX));
        let mut conn = self.conn.clone();
        let added: i64 = self.call(invocation.invoke_async(&mut conn)).await?;
        Ok(added == 1)
    }

    /// Publishes this node's open connections per app (kept as long as its lease) and tells
    /// the apps how many the other live nodes had at their last round, so an app's
    /// `max_connections` counts across the cluster, approximately: within one round.
    async fn share_connections(&self, inbound: &dyn Inbound) -> Result<(), ClusterError> {
        let mut invocation = scripts::CONNECTIONS.prepare_invoke();
        invocation
            .key(self.keys.nodes())
            .arg(&self.keys.prefix)
            .arg(&self.node)
            .arg(u64::try_from((self.lease * 3 / 4).as_millis()).unwrap_or(u64::MAX));
        for (app, count) in inbound.connection_counts() {
            invocation.arg(app).arg(count);
        }
        let mut conn = self.conn.clone();
        let flat: Vec<String> = self.call(invocation.invoke_async(&mut conn)).await?;
        let elsewhere: HashMap<&str, usize> = flat
            .chunks_exact(2)
            .filter_map(|pair| Some((pair[0].as_str(), pair[1].parse().ok()?)))
            .collect();
        inbound.connections_elsewhere(&|app| elsewhere.get(app).copied().unwrap_or(0));
        Ok(())
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
    fn announce(&self, inbound: &dyn Inbound, changes: &[String]) {
        for change in changes {
            if !announce_one(inbound, change) {
                tracing::warn!(%change, "unexpected change from Redis ignored");
            }
        }
        if !changes.is_empty() {
            tracing::info!(node = %self.node, changes = changes.len(), "released a node's connections");
        }
    }

    /// Makes Redis hold exactly this node's connections: registers the missing ones (with
    /// the events a join brings) and releases the ones that are gone.
    async fn reconcile(&self, inbound: &dyn Inbound) -> Result<(), ClusterError> {
        let mut conn = self.conn.clone();
        let key = self.keys.node(&self.node);
        let records: Vec<String> =
            self.call(redis::cmd("HKEYS").arg(&key).query_async(&mut conn)).await?;
        let records: HashSet<String> = records.into_iter().collect();
        let mut here = HashSet::new();
        let mut served = HashSet::new();
        let mut joined = 0;
        for connections in inbound.connections() {
            joined += self.register(inbound, &connections, &records, &mut here).await?;
            served.insert(connections.app);
        }
        let mut left = 0;
        for record in records.difference(&here) {
            left += self.unregister(inbound, record, &served).await?;
        }
        tracing::info!(node = %self.node, joined, left, "registered this node's connections in Redis");
        Ok(())
    }

    /// Registers one app's connections that Redis does not hold (`records`), adding every
    /// connection's record to `here`; returns how many subscriptions were joined.
    async fn register(
        &self,
        inbound: &dyn Inbound,
        connections: &Connections,
        records: &HashSet<String>,
        here: &mut HashSet<String>,
    ) -> Result<usize, ClusterError> {
        let Connections { app, subscriptions, users } = connections;
        let mut count = 0;
        for (channel, socket_id, member) in subscriptions {
            let record = subscription_record(app, channel, *socket_id);
            if !records.contains(&record) {
                let member = member.as_ref();
                if let Some(joined) =
                    self.join(app, channel, *socket_id, member, usize::MAX).await?
                {
                    let socket_id = *socket_id;
                    inbound.hear(app, Notice::Rejoined { channel, socket_id, member, joined });
                    count += 1;
                }
            }
            here.insert(record);
        }
        for (socket_id, user_id) in users {
            let record = user_record(app, *socket_id);
            if !records.contains(&record)
                && self.sign_in(app, *socket_id, user_id, &[]).await?.first
            {
                inbound.hear(app, Notice::Online { user_id });
            }
            here.insert(record);
        }
        Ok(count)
    }

    /// Removes a record of this node whose connection is gone, for an app this node
    /// serves; returns how many subscriptions were left.
    async fn unregister(
        &self,
        inbound: &dyn Inbound,
        record: &str,
        served: &HashSet<String>,
    ) -> Result<usize, ClusterError> {
        let mut fields = record.splitn(4, '\n');
        let parsed = (fields.next(), fields.next(), fields.next(), fields.next());
        let Some(app) = parsed.1.filter(|id| served.contains(*id)) else { return Ok(0) };
        match parsed {
            (Some("s"), _, Some(channel), Some(socket_id)) => {
                let (Ok(channel), Ok(socket_id)) =
                    (ChannelName::parse(channel), SocketId::parse(socket_id))
                else {
                    return Ok(0);
                };
                if let Some(left) = self.leave(app, &channel, socket_id).await? {
                    inbound.hear(app, Notice::Left { channel: &channel, left });
                    return Ok(1);
                }
            }
            (Some("u"), _, Some(socket_id), None) => {
                let Ok(socket_id) = SocketId::parse(socket_id) else { return Ok(0) };
                if let Some(user_id) = self.sign_out(app, socket_id).await? {
                    inbound.hear(app, Notice::Offline { user_id: &user_id });
                }
            }
            _ => {}
        }
        Ok(0)
    }
}

/// Tells `inbound` one change of a release; `false` when the change is not understood.
fn announce_one(inbound: &dyn Inbound, change: &str) -> bool {
    let mut fields = change.splitn(5, '\n');
    let (Some(kind), Some(app)) = (fields.next(), fields.next()) else { return true };
    match (kind, fields.next(), fields.next(), fields.next()) {
        ("m", Some(channel), Some(version), Some(user_id)) => {
            let (Ok(channel), Ok(version)) = (ChannelName::parse(channel), version.parse()) else {
                return true;
            };
            // The channel's count comes in its own `c` line.
            inbound.hear(app, Notice::MemberGone { channel: &channel, user_id, version });
        }
        ("c", Some(channel), Some(count), None) => {
            let (Ok(channel), Ok(count)) = (ChannelName::parse(channel), count.parse()) else {
                return true;
            };
            inbound.hear(app, Notice::Count { channel: &channel, count });
        }
        ("o", Some(user_id), None, None) => inbound.hear(app, Notice::Offline { user_id }),
        _ => return false,
    }
    true
}
