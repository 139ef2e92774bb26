//! What the cluster shares besides frames: subscriptions and presence members, signed-in
//! users and cache channels, each change an atomic script (`scripts`) or one pipeline.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pusher_protocol::api::{CachedEvent, ChannelAttributes};
use pusher_protocol::{ChannelName, Member, SocketId};
use serde_json::Value;

use super::{Outgoing, RedisCluster, scripts, subscription_record, user_record};
use crate::cluster::{Cache, ClusterError, Joined, Left, Presence, SignedIn, Users};

impl Presence for RedisCluster {
    /// Records a subscription; `None` when the presence channel is full.
    async fn join(
        &self,
        app: &str,
        channel: &ChannelName,
        socket_id: SocketId,
        member: Option<&Member>,
        max_members: usize,
    ) -> Result<Option<Joined>, ClusterError> {
        let (user, info) = match member {
            Some(m) => (m.user_id.as_str(), m.user_info.to_string()),
            None => ("", String::new()),
        };
        let mut invocation = scripts::JOIN.prepare_invoke();
        invocation
            .key(self.keys.node(&self.node))
            .key(self.keys.channels(app))
            .key(self.keys.members(app, channel))
            .key(self.keys.info(app, channel))
            .key(self.keys.versions(app))
            .arg(subscription_record(app, channel, socket_id))
            .arg(channel.as_str())
            .arg(user)
            .arg(info)
            .arg(max_members);
        let mut conn = self.conn.clone();
        let (count, added, fresh, flat, version): (i64, i64, i64, Vec<String>, String) =
            self.call(invocation.invoke_async(&mut conn)).await?;
        if count < 0 {
            return Ok(None);
        }
        let members = flat
            .chunks_exact(2)
            .map(|pair| Member {
                user_id: pair[0].clone(),
                user_info: serde_json::from_str(&pair[1]).unwrap_or(Value::Null),
            })
            .collect();
        Ok(Some(Joined {
            count: usize::try_from(count).unwrap_or(0),
            occupied: fresh == 1 && count == 1,
            member_added: added == 1,
            members,
            version: version.parse().unwrap_or(0),
        }))
    }

    /// Removes a subscription; `None` when the cluster did not have it.
    async fn leave(
        &self,
        app: &str,
        channel: &ChannelName,
        socket_id: SocketId,
    ) -> Result<Option<Left>, ClusterError> {
        let mut invocation = scripts::LEAVE.prepare_invoke();
        invocation
            .key(self.keys.node(&self.node))
            .key(self.keys.channels(app))
            .key(self.keys.members(app, channel))
            .key(self.keys.info(app, channel))
            .key(self.keys.versions(app))
            .arg(subscription_record(app, channel, socket_id))
            .arg(channel.as_str());
        let mut conn = self.conn.clone();
        let (count, removed, user, version): (i64, i64, String, String) =
            self.call(invocation.invoke_async(&mut conn)).await?;
        if count < 0 {
            return Ok(None);
        }
        Ok(Some(Left {
            count: usize::try_from(count).unwrap_or(0),
            member_removed: (removed == 1).then(|| Arc::from(user)),
            version: version.parse().unwrap_or(0),
        }))
    }

    /// A channel's subscribers and members on every node; `None` when it is empty.
    async fn attributes(
        &self,
        app: &str,
        channel: &ChannelName,
    ) -> Result<Option<ChannelAttributes>, ClusterError> {
        let mut pipe = redis::pipe();
        pipe.hget(self.keys.channels(app), channel.as_str()).hlen(self.keys.members(app, channel));
        let mut conn = self.conn.clone();
        let (count, users): (Option<i64>, i64) = self.call(pipe.query_async(&mut conn)).await?;
        Ok(count.filter(|c| *c > 0).map(|count| ChannelAttributes {
            user_count: Some(usize::try_from(users).unwrap_or(0)),
            subscription_count: Some(usize::try_from(count).unwrap_or(0)),
        }))
    }

    /// Occupied channels starting with `prefix`, with their attributes.
    async fn channels_with_prefix(
        &self,
        app: &str,
        prefix: &str,
    ) -> Result<Vec<(ChannelName, ChannelAttributes)>, ClusterError> {
        let mut conn = self.conn.clone();
        let all: HashMap<String, i64> = self
            .call(redis::cmd("HGETALL").arg(self.keys.channels(app)).query_async(&mut conn))
            .await?;
        let occupied: Vec<(ChannelName, i64)> = all
            .into_iter()
            .filter(|(name, count)| *count > 0 && name.starts_with(prefix))
            .filter_map(|(name, count)| Some((ChannelName::parse(&name).ok()?, count)))
            .collect();
        let mut pipe = redis::pipe();
        for (channel, _) in &occupied {
            pipe.hlen(self.keys.members(app, channel));
        }
        let users: Vec<i64> = if occupied.is_empty() {
            Vec::new()
        } else {
            self.call(pipe.query_async(&mut conn)).await?
        };
        Ok(occupied
            .into_iter()
            .zip(users)
            .map(|((channel, count), users)| {
                let attributes = ChannelAttributes {
                    user_count: Some(usize::try_from(users).unwrap_or(0)),
                    subscription_count: Some(usize::try_from(count).unwrap_or(0)),
                };
                (channel, attributes)
            })
            .collect())
    }

    /// The distinct users of a presence channel on every node.
    async fn presence_users(
        &self,
        app: &str,
        channel: &ChannelName,
    ) -> Result<Vec<String>, ClusterError> {
        let mut conn = self.conn.clone();
        let key = self.keys.members(app, channel);
        self.call(redis::cmd("HKEYS").arg(key).query_async(&mut conn)).await
    }
}

impl Users for RedisCluster {
    /// Records a signed-in connection; `first` when the user had none on any node.
    async fn sign_in(
        &self,
        app: &str,
        socket_id: SocketId,
        user_id: &str,
        watchlist: &[Arc<str>],
    ) -> Result<SignedIn, ClusterError> {
        let mut invocation = scripts::SIGN_IN.prepare_invoke();
        invocation
            .key(self.keys.node(&self.node))
            .key(self.keys.online(app))
            .arg(user_record(app, socket_id))
            .arg(user_id);
        for watched in watchlist {
            invocation.arg(&**watched);
        }
        let mut conn = self.conn.clone();
        let (first, online): (i64, Vec<String>) =
            self.call(invocation.invoke_async(&mut conn)).await?;
        Ok(SignedIn { first: first == 1, online })
    }

    /// Forgets a signed-in connection; its user when that was the user's last on any node.
    async fn sign_out(
        &self,
        app: &str,
        socket_id: SocketId,
    ) -> Result<Option<String>, ClusterError> {
        let mut invocation = scripts::SIGN_OUT.prepare_invoke();
        invocation
            .key(self.keys.node(&self.node))
            .key(self.keys.online(app))
            .arg(user_record(app, socket_id));
        let mut conn = self.conn.clone();
        let last: String = self.call(invocation.invoke_async(&mut conn)).await?;
        Ok(Some(last).filter(|user| !user.is_empty()))
    }
}

impl Cache for RedisCluster {
    /// Keeps a cache channel's last event for every node, in publishing order.
    fn store_cached(
        &self,
        app: &str,
        channel: &ChannelName,
        event: &str,
        data: &str,
        ttl: Duration,
    ) {
        self.queue(Outgoing::Cache {
            key: self.keys.cache(app, channel),
            miss: self.keys.miss(app, channel),
            value: serde_json::json!([event, data]).to_string(),
            ttl_ms: u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX),
        });
    }

    /// A cache channel's last event, if it has not expired.
    async fn cached(
        &self,
        app: &str,
        channel: &ChannelName,
    ) -> Result<Option<CachedEvent>, ClusterError> {
        let key = self.keys.cache(app, channel);
        let mut pipe = redis::pipe();
        pipe.get(&key).pttl(&key);
        let mut conn = self.conn.clone();
        let (value, ttl_ms): (Option<String>, i64) = self.call(pipe.query_async(&mut conn)).await?;
        let parsed = value.and_then(|v| serde_json::from_str::<(String, String)>(&v).ok());
        Ok(parsed.map(|(event, data)| CachedEvent {
            event,
            data,
            ttl: u64::try_from(ttl_ms.max(0)).unwrap_or(0) / 1000,
        }))
    }

    /// Records a miss; `true` for the first one on any node.
    async fn first_cache_miss(
        &self,
        app: &str,
        channel: &ChannelName,
        ttl: Duration,
    ) -> Result<bool, ClusterError> {
        let mut invocation = scripts::FIRST_MISS.prepare_invoke();
        invocation
            .key(self.keys.cache(app, channel))
            .key(self.keys.miss(app, channel))
            .arg(u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX));
        let mut conn = self.conn.clone();
        let first: i64 = self.call(invocation.invoke_async(&mut conn)).await?;
        Ok(first == 1)
    }
}
