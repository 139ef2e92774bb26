//! Joining and leaving channels, and what follows: presence news, webhooks and counts.

use std::sync::Arc;

use pusher_protocol::{ChannelName, Member, ServerMessage, SocketId, WatchlistChange};
use serde_json::json;

use super::{App, Change, News, new_member};
use crate::cluster::{Backend, Cluster as _, Presence as _, PubSub as _, Users as _};
use crate::conn::{ConnHandle, Frame, frame};
use crate::hub::{Announce, JoinRefused};
use crate::limits::COUNT_EVERY_CHANGE_UP_TO;
use crate::tap::Kind;
use crate::webhooks::WebhookEvent;

impl App {
    /// Subscribes `conn` to `channel`; on presence channels `member` joins. Returns the
    /// members after the join on presence channels.
    pub(crate) async fn join(
        &self,
        conn: &ConnHandle,
        channel: &ChannelName,
        member: Option<Member>,
    ) -> Result<Option<Vec<Member>>, JoinRefused> {
        let max_members = self.config().max_presence_members;
        let socket_id = conn.socket_id();
        let Some(cluster) = &self.cluster else {
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
        // The channel's frames come here before the cluster records the join: presence news
        // newer than the member list the join returns, and any frame published after
        // `subscription_succeeded`, is then on its way to this node.
        let id = self.id.as_str();
        cluster.follow(id, channel).await;
        match cluster.join(id, channel, socket_id, member.as_ref(), max_members).await {
            Ok(Some(joined)) => {
                self.hub.member_list_seen(channel, socket_id, joined.version);
                let change = Change::joined(&joined, member.as_ref());
                self.joined(channel, member.as_ref(), socket_id, change);
                Ok(member.is_some().then_some(joined.members))
            }
            Ok(None) => {
                if self.hub.leave(socket_id, channel, Announce::Cluster).is_some() {
                    cluster.unfollow(id, channel);
                }
                Err(JoinRefused::PresenceFull)
            }
            Err(error) => {
                // Degraded: this node's view is the best there is until the cluster is back.
                cluster.failed("join", &error);
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
    pub(super) fn joined(
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
            self.tap.record(Kind::MemberAdded, || {
                json!({ "channel": channel.as_str(), "user_id": &**user_id, "socket_id": joiner.to_string() })
            });
            let user_id = user_id.clone();
            self.webhook(WebhookEvent::MemberAdded { channel: channel.clone(), user_id });
        }
        if change.edge {
            self.tap.record(Kind::Occupied, || json!({ "channel": channel.as_str() }));
            self.webhook(WebhookEvent::ChannelOccupied { channel: channel.clone() });
        }
        self.count_changed(channel, change.count);
    }

    /// Unsubscribes a connection from `channel`; nothing happens when it was not subscribed.
    /// Awaited, so a quick re-subscribe of the same connection cannot overtake it.
    pub(crate) async fn leave(&self, socket_id: SocketId, channel: &ChannelName) {
        let Some(local) = self.leave_here(socket_id, channel) else { return };
        match &self.cluster {
            None => self.left(channel, local),
            Some(cluster) => self.leave_cluster(cluster, socket_id, channel, local).await,
        }
    }

    /// Everything a closed connection held: its channels and its sign-in. In a cluster the
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
        let Some(cluster) = &self.cluster else {
            for (channel, change) in left {
                self.left(&channel, change);
            }
            if let (Some((user_id, _)), true) = (&user, last_here) {
                self.watched_user(user_id, WatchlistChange::Offline);
            }
            return;
        };
        let (app, cluster) = (self.clone(), cluster.clone());
        tokio::spawn(async move {
            for (channel, change) in left {
                app.leave_cluster(&cluster, socket_id, &channel, change).await;
            }
            let Some((user_id, _)) = user else { return };
            let last = match cluster.sign_out(app.id().as_str(), socket_id).await {
                Ok(last) => last.is_some(),
                Err(error) => {
                    cluster.failed("sign-out", &error);
                    last_here
                }
            };
            if last {
                app.watched_user(&user_id, WatchlistChange::Offline);
            }
        });
    }

    /// This node's part of a leave; `None` when the connection was not subscribed. On one
    /// node the hub tells the other members; in a cluster the change stands in for the
    /// cluster's when it cannot answer.
    fn leave_here(&self, socket_id: SocketId, channel: &ChannelName) -> Option<Change> {
        let (announce, news) = match self.cluster {
            None => (Announce::Here, News::Told),
            Some(_) => (Announce::Cluster, News::HereOnly),
        };
        let left = self.hub.leave(socket_id, channel, announce)?;
        if let Some(cluster) = &self.cluster {
            cluster.unfollow(self.id.as_str(), channel);
        }
        Some(Change {
            count: left.subscription_count,
            edge: left.vacated,
            member: left.member_removed,
            news,
        })
    }

    /// The cluster's part of a leave; this node's view stands in when it cannot answer.
    async fn leave_cluster(
        &self,
        cluster: &Backend,
        socket_id: SocketId,
        channel: &ChannelName,
        local: Change,
    ) {
        match cluster.leave(self.id.as_str(), channel, socket_id).await {
            Ok(Some(left)) => self.left(channel, left.into()),
            // Already gone from the cluster's view (a reconciliation removed it).
            Ok(None) => {}
            Err(error) => {
                cluster.failed("leave", &error);
                self.left(channel, local);
            }
        }
    }

    /// The consequences of a leave: `member_removed` to the others, webhooks, counts.
    pub(super) fn left(&self, channel: &ChannelName, change: Change) {
        if let Some(user_id) = change.member {
            self.member_left(channel, user_id, change.news);
        }
        if change.edge {
            self.tap.record(Kind::Vacated, || json!({ "channel": channel.as_str() }));
            self.webhook(WebhookEvent::ChannelVacated { channel: channel.clone() });
        } else {
            self.count_changed(channel, change.count);
        }
    }

    /// A presence member's last connection left: `member_removed` and the webhook.
    pub(super) fn member_left(&self, channel: &ChannelName, user_id: Arc<str>, news: News) {
        if news != News::Told {
            let removed = frame(&ServerMessage::MemberRemoved { channel, user_id: &user_id });
            self.member_news(channel, &removed, None, news);
        }
        self.tap.record(
            Kind::MemberRemoved,
            || json!({ "channel": channel.as_str(), "user_id": &*user_id }),
        );
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
        match (how, &self.cluster) {
            (News::Told, _) => {}
            (News::Versioned(version), Some(cluster)) => {
                let id = self.id.as_str();
                if !cluster.publish_member_news(id, channel, news, except, version) {
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
        if !self.config().subscription_count || channel.kind().is_presence() {
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
}
