//! The seam between the protocol code and where shared state lives. Sessions, the HTTP API
//! and publishers call the `App` methods here; they do not know whether the app runs on one
//! node (`Adapter::Local`: the hub is the whole truth) or on several that share presence,
//! counts, users and cache channels through Redis (`Adapter::Redis`).
//!
//! Either way this node's hub holds its own connections. What the Redis adapter adds: the
//! cluster decides what changed (a new member, an occupied channel, a user's first
//! connection), and frames reach subscribers on every node.

pub(crate) mod redis;

use std::sync::Arc;

use pusher_protocol::api::{CachedEvent, ChannelAttributes};
use pusher_protocol::{ChannelName, Member, ServerMessage, SocketId, WatchlistChange};

use crate::apps::App;
use crate::conn::{ConnHandle, Frame, frame};
use crate::hub::{Announce, JoinRefused, SignIn};
use crate::webhooks::WebhookEvent;
use crate::ws::{CACHE_TTL, COUNT_EVERY_CHANGE_UP_TO};
pub use redis::ClusterError;
pub(crate) use redis::RedisAdapter;

/// Where an app's shared state lives.
#[derive(Debug, Clone)]
pub(crate) enum Adapter {
    /// This node alone.
    Local,
    /// Every node on the same Redis and key prefix.
    Redis(Arc<RedisAdapter>),
}

/// What a join or a leave changed, as decided by the node or the cluster.
#[derive(Debug)]
struct Change {
    /// Subscribers after the change.
    count: usize,
    /// The channel went from empty to occupied, or from occupied to empty.
    edge: bool,
    /// The presence user whose first connection joined or whose last one left.
    member: Option<Arc<str>>,
    /// How the other subscribers hear about `member`.
    news: News,
}

/// How a presence change reaches the channel's other subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum News {
    /// The hub told this node's subscribers under its lock (one node).
    Told,
    /// Every node's subscribers, tagged with the cluster's version of the member list, so
    /// a subscriber whose list already has the change does not hear it twice.
    Versioned(u64),
    /// Redis did not answer: this node's subscribers only.
    HereOnly,
}

impl App {
    /// Hands `frame` to every subscriber of `channel` but `except`, on every node.
    pub(crate) fn broadcast(&self, channel: &ChannelName, frame: &Frame, except: Option<SocketId>) {
        let comes_back = match &self.adapter {
            Adapter::Local => false,
            Adapter::Redis(redis) => redis.publish(&self.config.id, channel, frame, except),
        };
        if !comes_back {
            self.hub.publish(channel, frame, except);
        }
    }

    /// Waits until what this node published so far is in the cluster's order: anything
    /// published after, on any node, reaches every subscriber after it.
    pub(crate) async fn published(&self) {
        if let Adapter::Redis(redis) = &self.adapter {
            redis.sent().await;
        }
    }

    /// Subscribes `conn` to `channel`; on presence channels `member` joins. Returns the
    /// members after the join on presence channels.
    pub(crate) async fn join(
        &self,
        conn: &ConnHandle,
        channel: &ChannelName,
        member: Option<Member>,
    ) -> Result<Option<Vec<Member>>, JoinRefused> {
        let max_members = self.config.max_presence_members;
        let socket_id = conn.socket_id();
        let Adapter::Redis(redis) = &self.adapter else {
            let joined =
                self.hub.join(conn, channel, member.clone(), max_members, Announce::Here)?;
            let change = Change {
                count: joined.subscription_count,
                edge: joined.occupied,
                member: new_member(joined.member_added, member.as_ref()),
                news: News::Told,
            };
            self.joined(channel, member.as_ref(), socket_id, change);
            return Ok(joined.members);
        };
        // Joined here first, so a reconciliation running meanwhile sees the subscription;
        // the cluster's limit on members decides, not this node's share.
        let local = self.hub.join(conn, channel, member.clone(), usize::MAX, Announce::Cluster)?;
        match redis.join(&self.config.id, channel, socket_id, member.as_ref(), max_members).await {
            Ok(Some(joined)) => {
                self.hub.member_list_seen(channel, socket_id, joined.version);
                let change = Change {
                    count: joined.count,
                    edge: joined.occupied,
                    member: new_member(joined.member_added, member.as_ref()),
                    news: News::Versioned(joined.version),
                };
                self.joined(channel, member.as_ref(), socket_id, change);
                Ok(member.is_some().then_some(joined.members))
            }
            Ok(None) => {
                self.hub.leave(socket_id, channel, Announce::Cluster);
                Err(JoinRefused::PresenceFull)
            }
            Err(error) => {
                // Degraded: this node's view is the best there is until Redis is back.
                redis.failed("join", &error);
                self.hub.member_list_seen(channel, socket_id, 0);
                let change = Change {
                    count: local.subscription_count,
                    edge: local.occupied,
                    member: new_member(local.member_added, member.as_ref()),
                    news: News::HereOnly,
                };
                self.joined(channel, member.as_ref(), socket_id, change);
                Ok(local.members)
            }
        }
    }

    /// The consequences of a join: `member_added` to the others, webhooks, counts.
    fn joined(
        &self,
        channel: &ChannelName,
        member: Option<&Member>,
        joiner: SocketId,
        change: Change,
    ) {
        if let (Some(user_id), Some(member)) = (&change.member, member) {
            if change.news != News::Told {
                let added = frame(&ServerMessage::MemberAdded { channel, member });
                self.member_news(channel, &added, Some(joiner), change.news);
            }
            let user_id = user_id.clone();
            self.webhook(WebhookEvent::MemberAdded { channel: channel.clone(), user_id });
        }
        if change.edge {
            self.webhook(WebhookEvent::ChannelOccupied { channel: channel.clone() });
        }
        self.count_changed(channel, change.count);
    }

    /// Unsubscribes a connection from `channel`; nothing happens when it was not subscribed.
    /// Awaited, so a quick re-subscribe of the same connection cannot overtake it.
    pub(crate) async fn leave(&self, socket_id: SocketId, channel: &ChannelName) {
        let Some(local) = self.leave_here(socket_id, channel) else { return };
        match &self.adapter {
            Adapter::Local => self.left(channel, local),
            Adapter::Redis(redis) => self.leave_cluster(redis, socket_id, channel, local).await,
        }
    }

    /// Everything a closed connection held: its channels and its sign-in. On Redis the
    /// cluster's part runs in the background, in order; the connection is gone already.
    pub(crate) fn disconnect(
        self: &Arc<Self>,
        socket_id: SocketId,
        channels: Vec<ChannelName>,
        user: Option<(Arc<str>, Vec<Arc<str>>)>,
    ) {
        let left: Vec<(ChannelName, Change)> = channels
            .into_iter()
            .filter_map(|channel| {
                let change = self.leave_here(socket_id, &channel)?;
                Some((channel, change))
            })
            .collect();
        let last_here = user
            .as_ref()
            .is_some_and(|(id, watchlist)| self.hub.users.sign_out(socket_id, id, watchlist));
        let Adapter::Redis(redis) = &self.adapter else {
            for (channel, change) in left {
                self.left(&channel, change);
            }
            if let (Some((user_id, _)), true) = (&user, last_here) {
                self.watched_user(user_id, WatchlistChange::Offline);
            }
            return;
        };
        let (app, redis) = (self.clone(), redis.clone());
        tokio::spawn(async move {
            for (channel, change) in left {
                app.leave_cluster(&redis, socket_id, &channel, change).await;
            }
            let Some((user_id, _)) = user else { return };
            let last = match redis.sign_out(&app.config.id, socket_id).await {
                Ok(last) => last.is_some(),
                Err(error) => {
                    redis.failed("sign-out", &error);
                    last_here
                }
            };
            if last {
                app.watched_user(&user_id, WatchlistChange::Offline);
            }
        });
    }

    /// This node's part of a leave; `None` when the connection was not subscribed. On one
    /// node the hub tells the other members; on Redis the change stands in for the
    /// cluster's when Redis cannot answer.
    fn leave_here(&self, socket_id: SocketId, channel: &ChannelName) -> Option<Change> {
        let (announce, news) = match self.adapter {
            Adapter::Local => (Announce::Here, News::Told),
            Adapter::Redis(_) => (Announce::Cluster, News::HereOnly),
        };
        let left = self.hub.leave(socket_id, channel, announce)?;
        Some(Change {
            count: left.subscription_count,
            edge: left.vacated,
            member: left.member_removed,
            news,
        })
    }

    /// The cluster's part of a leave; this node's view stands in when Redis cannot answer.
    async fn leave_cluster(
        &self,
        redis: &RedisAdapter,
        socket_id: SocketId,
        channel: &ChannelName,
        local: Change,
    ) {
        match redis.leave(&self.config.id, channel, socket_id).await {
            Ok(Some(left)) => self.left(channel, left.into()),
            // Already gone from the cluster's view (a reconciliation removed it).
            Ok(None) => {}
            Err(error) => {
                redis.failed("leave", &error);
                self.left(channel, local);
            }
        }
    }

    /// The consequences of a leave: `member_removed` to the others, webhooks, counts.
    fn left(&self, channel: &ChannelName, change: Change) {
        if let Some(user_id) = change.member {
            self.member_left(channel, user_id, change.news);
        }
        if change.edge {
            self.webhook(WebhookEvent::ChannelVacated { channel: channel.clone() });
        } else {
            self.count_changed(channel, change.count);
        }
    }

    /// A presence member's last connection left: `member_removed` and the webhook.
    fn member_left(&self, channel: &ChannelName, user_id: Arc<str>, news: News) {
        if news != News::Told {
            let removed = frame(&ServerMessage::MemberRemoved { channel, user_id: &user_id });
            self.member_news(channel, &removed, None, news);
        }
        self.webhook(WebhookEvent::MemberRemoved { channel: channel.clone(), user_id });
    }

    /// Tells a presence channel's subscribers that a member came or went.
    fn member_news(
        &self,
        channel: &ChannelName,
        news: &Frame,
        except: Option<SocketId>,
        how: News,
    ) {
        match (how, &self.adapter) {
            (News::Told, _) => {}
            (News::Versioned(version), Adapter::Redis(redis)) => {
                let id = &self.config.id;
                if !redis.publish_member_news(id, channel, news, except, version) {
                    self.hub.publish_member_news(channel, news, except, version);
                }
            }
            (News::Versioned(_) | News::HereOnly, _) => {
                self.hub.publish_member_news(channel, news, except, u64::MAX);
            }
        }
    }

    /// Tells subscribers (when the app counts) and webhooks the channel's new count.
    /// Above [`COUNT_EVERY_CHANGE_UP_TO`] subscribers the count goes out with the next
    /// periodic tick instead, so a busy channel is not flooded with counts.
    fn count_changed(&self, channel: &ChannelName, count: usize) {
        if !self.config.subscription_count || channel.kind().is_presence() {
            return;
        }
        if count > COUNT_EVERY_CHANGE_UP_TO {
            self.hub.count_changed_later(channel);
        } else {
            self.send_subscription_count(channel, count);
        }
    }

    /// Sends `channel`'s subscribers, and the webhooks, its count.
    fn send_subscription_count(&self, channel: &ChannelName, count: usize) {
        let message = frame(&ServerMessage::SubscriptionCount { channel, count });
        self.broadcast(channel, &message, None);
        self.webhook(WebhookEvent::SubscriptionCount { channel: channel.clone(), count });
    }

    /// Sends the counts that changed on busy channels since the last tick.
    pub(crate) async fn send_changed_counts(&self) {
        for channel in self.hub.take_changed_counts() {
            if let Some(count) = self.attributes(&channel).await.ok().flatten() {
                self.send_subscription_count(&channel, count.subscription_count.unwrap_or(0));
            }
        }
    }

    /// A channel's attributes across the cluster; `None` when nobody is subscribed.
    pub(crate) async fn attributes(
        &self,
        channel: &ChannelName,
    ) -> Result<Option<ChannelAttributes>, ClusterError> {
        match &self.adapter {
            Adapter::Local => Ok(self.hub.channel(channel)),
            Adapter::Redis(redis) => redis.attributes(&self.config.id, channel).await,
        }
    }

    /// Occupied channels whose name starts with `prefix`, across the cluster.
    pub(crate) async fn channels_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(ChannelName, ChannelAttributes)>, ClusterError> {
        match &self.adapter {
            Adapter::Local => Ok(self.hub.channels_with_prefix(prefix)),
            Adapter::Redis(redis) => redis.channels_with_prefix(&self.config.id, prefix).await,
        }
    }

    /// The distinct users of a presence channel, across the cluster.
    pub(crate) async fn presence_users(
        &self,
        channel: &ChannelName,
    ) -> Result<Vec<String>, ClusterError> {
        match &self.adapter {
            Adapter::Local => Ok(self.hub.presence_users(channel)),
            Adapter::Redis(redis) => redis.presence_users(&self.config.id, channel).await,
        }
    }

    /// Keeps the last event of a cache channel.
    pub(crate) fn store_cached(&self, channel: &ChannelName, event: &str, data: &str) {
        self.hub.cache.store(channel, event, data, CACHE_TTL);
        if let Adapter::Redis(redis) = &self.adapter {
            redis.store_cached(&self.config.id, channel, event, data, CACHE_TTL);
        }
    }

    /// The cached event of a cache channel, if one has not expired.
    pub(crate) async fn cached(&self, channel: &ChannelName) -> Option<CachedEvent> {
        let Adapter::Redis(redis) = &self.adapter else { return self.hub.cache.get(channel) };
        match redis.cached(&self.config.id, channel).await {
            Ok(cached) => cached,
            Err(error) => {
                redis.failed("cache read", &error);
                self.hub.cache.get(channel)
            }
        }
    }

    /// Records a cache miss; `true` the first time, cluster-wide, since the channel last had
    /// an event (so the `cache_miss` webhook goes out once).
    pub(crate) async fn first_cache_miss(&self, channel: &ChannelName) -> bool {
        let Adapter::Redis(redis) = &self.adapter else {
            return self.hub.cache.first_miss(channel, CACHE_TTL);
        };
        match redis.first_cache_miss(&self.config.id, channel, CACHE_TTL).await {
            Ok(first) => first,
            Err(error) => {
                redis.failed("cache miss", &error);
                self.hub.cache.first_miss(channel, CACHE_TTL)
            }
        }
    }

    /// Records a sign-in and returns the watched users online now.
    pub(crate) async fn sign_in(
        &self,
        conn: &ConnHandle,
        user_id: &Arc<str>,
        watchlist: &[Arc<str>],
    ) -> Vec<String> {
        let local = self.hub.users.sign_in(conn, user_id, watchlist);
        let SignIn { first, online } = match &self.adapter {
            Adapter::Local => local,
            Adapter::Redis(redis) => {
                match redis.sign_in(&self.config.id, conn.socket_id(), user_id, watchlist).await {
                    Ok(cluster) => cluster,
                    Err(error) => {
                        redis.failed("sign-in", &error);
                        local
                    }
                }
            }
        };
        if first {
            self.watched_user(user_id, WatchlistChange::Online);
        }
        online
    }

    /// Tells every watcher of `user_id`, on every node, that it came online or went offline.
    pub(crate) fn watched_user(&self, user_id: &str, change: WatchlistChange) {
        self.hub.users.notify(user_id, change);
        if let Adapter::Redis(redis) = &self.adapter {
            redis.publish_watch(&self.config.id, user_id, change);
        }
    }

    /// Closes every connection of `user_id`, on every node, with 4009. Returns how many
    /// were closed here.
    pub(crate) fn terminate(&self, user_id: &str) -> usize {
        if let Adapter::Redis(redis) = &self.adapter {
            redis.publish_terminate(&self.config.id, user_id);
        }
        self.hub.users.terminate(user_id)
    }
}

/// The user id of `member` when the join made it a new member.
fn new_member(added: bool, member: Option<&Member>) -> Option<Arc<str>> {
    member.filter(|_| added).map(|m| Arc::from(m.user_id.as_str()))
}
