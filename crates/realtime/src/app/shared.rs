//! Frames to every subscriber, cluster-wide queries, cache channels and signed-in users.

use std::sync::Arc;
use std::time::Instant;

use pusher_protocol::api::{CachedEvent, ChannelAttributes};
use pusher_protocol::{ChannelName, ServerMessage, SocketId, WatchlistChange};

use super::App;
use crate::cluster::{
    Cache as _, Cluster as _, ClusterError, Presence as _, PubSub as _, SignedIn, Users as _,
};
use crate::conn::{ConnHandle, Frame};
use crate::limits::CACHE_TTL;

impl App {
    /// An event's frame, serialised once. On a node alone it is timed for the fan-out
    /// histogram from `received`; with a cluster the frame that comes back from the bus is
    /// timed instead (the one sent here is dropped once it is on its way).
    pub(crate) fn event_frame(&self, message: &ServerMessage<'_>, received: Instant) -> Frame {
        match &self.cluster {
            None => self.usage.fanout.timed_frame(message.to_json(), received),
            Some(_) => crate::conn::frame(message),
        }
    }

    /// Hands `frame` to every subscriber of `channel` but `except`, on every node.
    pub(crate) fn broadcast(&self, channel: &ChannelName, frame: &Frame, except: Option<SocketId>) {
        let comes_back = match &self.cluster {
            None => false,
            Some(cluster) => cluster.publish(self.id.as_str(), channel, frame, except),
        };
        if !comes_back {
            self.hub.publish(channel, frame, except);
        }
    }

    /// Waits until what this node published so far is in the cluster's order: anything
    /// published after, on any node, reaches every subscriber after it.
    pub(crate) async fn published(&self) {
        if let Some(cluster) = &self.cluster {
            cluster.sent().await;
        }
    }

    /// A channel's attributes across the cluster; `None` when nobody is subscribed.
    pub(crate) async fn attributes(
        &self,
        channel: &ChannelName,
    ) -> Result<Option<ChannelAttributes>, ClusterError> {
        match &self.cluster {
            None => Ok(self.hub.channel(channel)),
            Some(cluster) => cluster.attributes(self.id.as_str(), channel).await,
        }
    }

    /// Occupied channels whose name starts with `prefix`, across the cluster.
    pub(crate) async fn channels_with_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(ChannelName, ChannelAttributes)>, ClusterError> {
        match &self.cluster {
            None => Ok(self.hub.channels_with_prefix(prefix)),
            Some(cluster) => cluster.channels_with_prefix(self.id.as_str(), prefix).await,
        }
    }

    /// The distinct users of a presence channel, across the cluster.
    pub(crate) async fn presence_users(
        &self,
        channel: &ChannelName,
    ) -> Result<Vec<String>, ClusterError> {
        match &self.cluster {
            None => Ok(self.hub.presence_users(channel)),
            Some(cluster) => cluster.presence_users(self.id.as_str(), channel).await,
        }
    }

    /// Keeps the last event of a cache channel.
    pub(crate) fn store_cached(&self, channel: &ChannelName, event: &str, data: &str) {
        self.hub.cache.store(channel, event, data, CACHE_TTL);
        if let Some(cluster) = &self.cluster {
            cluster.store_cached(self.id.as_str(), channel, event, data, CACHE_TTL);
        }
    }

    /// The cached event of a cache channel, if one has not expired.
    pub(crate) async fn cached(&self, channel: &ChannelName) -> Option<CachedEvent> {
        let Some(cluster) = &self.cluster else { return self.hub.cache.get(channel) };
        match cluster.cached(self.id.as_str(), channel).await {
            Ok(cached) => cached,
            Err(error) => {
                cluster.failed("cache read", &error);
                self.hub.cache.get(channel)
            }
        }
    }

    /// Records a cache miss; `true` the first time, cluster-wide, since the channel last had
    /// an event (so the `cache_miss` webhook goes out once).
    pub(crate) async fn first_cache_miss(&self, channel: &ChannelName) -> bool {
        let Some(cluster) = &self.cluster else {
            return self.hub.cache.first_miss(channel, CACHE_TTL);
        };
        match cluster.first_cache_miss(self.id.as_str(), channel, CACHE_TTL).await {
            Ok(first) => first,
            Err(error) => {
                cluster.failed("cache miss", &error);
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
        let (first, online) = match &self.cluster {
            None => (local.first, local.online),
            Some(cluster) => {
                let id = self.id.as_str();
                match cluster.sign_in(id, conn.socket_id(), user_id, watchlist).await {
                    Ok(SignedIn { first, online }) => (first, online),
                    Err(error) => {
                        cluster.failed("sign-in", &error);
                        (local.first, local.online)
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
        if let Some(cluster) = &self.cluster {
            cluster.publish_watch(self.id.as_str(), user_id, change);
        }
    }

    /// Closes every connection of `user_id`, on every node, with 4009. Returns how many
    /// were closed here.
    pub(crate) fn terminate(&self, user_id: &str) -> usize {
        if let Some(cluster) = &self.cluster {
            cluster.publish_terminate(self.id.as_str(), user_id);
        }
        self.hub.users.terminate(user_id)
    }
}
