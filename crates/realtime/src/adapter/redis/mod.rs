//! The Redis adapter: several nodes share presence, counts, users and cache channels.
//!
//! - Frames go out over one pub/sub channel and every node, the sender too, delivers them
//!   to its own subscribers when they come back: each subscriber gets a frame once, and
//!   every node sees the same order. A publisher that waits for `sent` knows its frames are
//!   ahead of anything published after, on any node. While this node is not subscribed, or
//!   when Redis fails, it delivers its own frames directly.
//! - Shared state changes through atomic Lua scripts (`scripts`), so the one node that sees
//!   a change (first member, last connection, empty channel) announces it.
//! - Each node holds a lease it renews every quarter of its length (`tasks`). A node whose
//!   lease ran out is reaped by another within one lease of its death: its members leave
//!   and its channels' counts drop, with the events and webhooks that go with it.
//! - When Redis is unreachable, this node goes on serving its own connections; the failure
//!   is logged once, counted in `/metrics`, and when Redis answers again the node registers
//!   its connections anew.

mod bus;
mod echo;
mod scripts;
mod tasks;

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pusher_protocol::api::{CachedEvent, ChannelAttributes};
use pusher_protocol::{ChannelName, Member, SocketId, WatchlistChange};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde_json::Value;
use tokio::sync::mpsc;

use super::{Change, News};
use crate::conn::Frame;
use crate::hub::SignIn;
use crate::metrics::Metrics;
use bus::Message;

/// Longest wait for one Redis command before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Frames and cache writes waiting to go to Redis before new ones are dropped.
const OUTGOING_QUEUE: usize = 64 * 1024;

/// Why a cluster operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Redis answered with an error or the connection failed.
    #[error("Redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis did not answer in time.
    #[error("Redis did not answer within {} s", TIMEOUT.as_secs())]
    Timeout,
}

/// Writes that leave in order through one pipeline.
#[derive(Debug)]
enum Outgoing {
    /// A bus message; `echo` when this node delivers it only when it comes back.
    Publish {
        bytes: Vec<u8>,
        echo: bool,
    },
    Cache {
        key: String,
        miss: String,
        value: String,
        ttl_ms: u64,
    },
    /// Answered once everything queued before it has been sent (or failed).
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// One node's link to the cluster. Shared by every app of the node.
pub(crate) struct RedisAdapter {
    node: String,
    keys: Keys,
    client: redis::Client,
    conn: ConnectionManager,
    lease: Duration,
    outgoing: mpsc::Sender<Outgoing>,
    /// Taken by the task that sends them, when the server runs.
    outgoing_rx: Mutex<Option<mpsc::Receiver<Outgoing>>>,
    /// Whether the last Redis call succeeded; failures are logged on the change only.
    up: AtomicBool,
    /// Whether this node is subscribed to the bus, so its own frames come back to it.
    listening: AtomicBool,
    /// Whether the bus still answers, and the nudge to subscribe again when it does not.
    echo: echo::Echo,
    resubscribe: tokio::sync::Notify,
    /// A write failed: shared state may miss some of this node's changes until it
    /// registers its connections anew.
    dirty: AtomicBool,
    metrics: Metrics,
}

impl std::fmt::Debug for RedisAdapter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisAdapter")
            .field("node", &self.node)
            .field("prefix", &self.keys.prefix)
            .finish_non_exhaustive()
    }
}

/// What a join changed across the cluster.
#[derive(Debug)]
pub(crate) struct Joined {
    pub(crate) count: usize,
    pub(crate) occupied: bool,
    pub(crate) member_added: bool,
    pub(crate) members: Vec<Member>,
    /// The version of the member list `members` is.
    pub(crate) version: u64,
}

/// What a leave changed across the cluster.
#[derive(Debug)]
pub(crate) struct Left {
    count: usize,
    member_removed: Option<Arc<str>>,
    /// The member list's version after the removal.
    version: u64,
}

impl From<Left> for Change {
    fn from(left: Left) -> Self {
        Self {
            count: left.count,
            edge: left.count == 0,
            member: left.member_removed,
            news: News::Versioned(left.version),
        }
    }
}

impl RedisAdapter {
    /// A node with a fresh id on the Redis at `url`. Connects lazily: a Redis that is down
    /// at start-up is the same as one that goes down later.
    pub(crate) fn new(
        url: &str,
        prefix: &str,
        lease: Duration,
        metrics: Metrics,
    ) -> Result<Self, ClusterError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let conn = client.get_connection_manager_lazy(config)?;
        let (outgoing, outgoing_rx) = mpsc::channel(OUTGOING_QUEUE);
        metrics.redis_enabled();
        Ok(Self {
            node: format!("{:016x}", rand::random::<u64>()),
            keys: Keys { prefix: prefix.to_owned() },
            client,
            conn,
            lease,
            outgoing,
            outgoing_rx: Mutex::new(Some(outgoing_rx)),
            up: AtomicBool::new(true),
            listening: AtomicBool::new(false),
            // A round trip gets two lease rounds, and never less than a call's timeout.
            echo: echo::Echo::new((lease / 2).max(TIMEOUT)),
            resubscribe: tokio::sync::Notify::new(),
            dirty: AtomicBool::new(false),
            metrics,
        })
    }

    /// Counts a failed call; the first failure after success is logged as a warning.
    pub(crate) fn failed(&self, what: &str, error: &ClusterError) {
        self.metrics.redis_error();
        self.dirty.store(true, Ordering::Release);
        if self.up.swap(false, Ordering::AcqRel) {
            self.metrics.redis_up(false);
            tracing::warn!(
                node = %self.node, %error, during = what,
                "Redis unreachable: serving this node's connections only until it is back"
            );
        } else {
            tracing::debug!(node = %self.node, %error, during = what, "Redis call failed");
        }
    }

    fn succeeded(&self) {
        if !self.up.swap(true, Ordering::AcqRel) {
            self.metrics.redis_up(true);
            tracing::info!(node = %self.node, "Redis reachable again");
        }
    }

    async fn call<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, ClusterError> {
        let result = match tokio::time::timeout(TIMEOUT, call).await {
            Ok(result) => result.map_err(ClusterError::from),
            Err(_) => Err(ClusterError::Timeout),
        };
        if result.is_ok() {
            self.succeeded();
        }
        result
    }

    /// Queues a write; `false` when the queue is full and it was dropped.
    fn queue(&self, item: Outgoing) -> bool {
        let queued = self.outgoing.try_send(item).is_ok();
        if !queued {
            self.metrics.redis_dropped();
            tracing::debug!(node = %self.node, "Redis outgoing queue full: message dropped");
        }
        queued
    }

    /// Queues a bus message; `true` when it will come back to this node, which then
    /// delivers it like the others. Otherwise the caller delivers here at once.
    fn send(&self, app: &str, message: &Message<'_>) -> bool {
        let echo = self.listening.load(Ordering::Acquire);
        let queued =
            self.queue(Outgoing::Publish { bytes: bus::encode(&self.node, app, message), echo });
        echo && queued
    }

    /// Sends a frame to `channel`'s subscribers on every node; `true` when this node's
    /// subscribers get it when it comes back from Redis.
    pub(crate) fn publish(
        &self,
        app: &str,
        channel: &ChannelName,
        frame: &Frame,
        except: Option<SocketId>,
    ) -> bool {
        let message = Message::Frame { channel: channel.clone(), except, frame: frame.as_str() };
        self.send(app, &message)
    }

    /// Waits (bounded) until everything queued so far has been sent to Redis.
    pub(crate) async fn sent(&self) {
        let (done, sent) = tokio::sync::oneshot::channel();
        if self.outgoing.try_send(Outgoing::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(TIMEOUT * 2, sent).await;
        }
    }

    /// Sends presence news of member-list `version` to every node; `true` as for `publish`.
    pub(crate) fn publish_member_news(
        &self,
        app: &str,
        channel: &ChannelName,
        news: &Frame,
        except: Option<SocketId>,
        version: u64,
    ) -> bool {
        let message =
            Message::Member { channel: channel.clone(), except, version, frame: news.as_str() };
        self.send(app, &message)
    }

    /// Asks the other nodes to close the user's connections.
    pub(crate) fn publish_terminate(&self, app: &str, user_id: &str) {
        let message = Message::Terminate { user_id };
        let bytes = bus::encode(&self.node, app, &message);
        self.queue(Outgoing::Publish { bytes, echo: false });
    }

    /// Tells the other nodes' watchers of `user_id` about it.
    pub(crate) fn publish_watch(&self, app: &str, user_id: &str, change: WatchlistChange) {
        let message = Message::Watch { change, user_id };
        let bytes = bus::encode(&self.node, app, &message);
        self.queue(Outgoing::Publish { bytes, echo: false });
    }

    /// Records a subscription; `None` when the presence channel is full.
    pub(crate) async fn join(
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
    pub(crate) async fn leave(
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

    /// Records a signed-in connection; `first` when the user had none on any node.
    pub(crate) async fn sign_in(
        &self,
        app: &str,
        socket_id: SocketId,
        user_id: &str,
        watchlist: &[Arc<str>],
    ) -> Result<SignIn, ClusterError> {
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
        Ok(SignIn { first: first == 1, online })
    }

    /// Forgets a signed-in connection; its user when that was the user's last on any node.
    pub(crate) async fn sign_out(
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

    /// A channel's subscribers and members on every node; `None` when it is empty.
    pub(crate) async fn attributes(
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
    pub(crate) async fn channels_with_prefix(
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
    pub(crate) async fn presence_users(
        &self,
        app: &str,
        channel: &ChannelName,
    ) -> Result<Vec<String>, ClusterError> {
        let mut conn = self.conn.clone();
        let key = self.keys.members(app, channel);
        self.call(redis::cmd("HKEYS").arg(key).query_async(&mut conn)).await
    }

    /// Keeps a cache channel's last event for every node, in publishing order.
    pub(crate) fn store_cached(
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
    pub(crate) async fn cached(
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
    pub(crate) async fn first_cache_miss(
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

/// The record of one subscription in its node's hash.
fn subscription_record(app: &str, channel: &ChannelName, socket_id: SocketId) -> String {
    format!("s\n{app}\n{channel}\n{socket_id}")
}

/// The record of one signed-in connection in its node's hash.
fn user_record(app: &str, socket_id: SocketId) -> String {
    format!("u\n{app}\n{socket_id}")
}

/// Key names; the Lua that releases a node builds the same names.
#[derive(Debug)]
struct Keys {
    prefix: String,
}

impl Keys {
    fn nodes(&self) -> String {
        format!("{}:nodes", self.prefix)
    }
    fn node(&self, node: &str) -> String {
        format!("{}:node:{node}", self.prefix)
    }
    fn bus(&self) -> String {
        format!("{}:bus", self.prefix)
    }
    fn channels(&self, app: &str) -> String {
        format!("{}:app:{app}:channels", self.prefix)
    }
    fn members(&self, app: &str, channel: &ChannelName) -> String {
        format!("{}:app:{app}:members:{channel}", self.prefix)
    }
    fn info(&self, app: &str, channel: &ChannelName) -> String {
        format!("{}:app:{app}:info:{channel}", self.prefix)
    }
    fn versions(&self, app: &str) -> String {
        format!("{}:app:{app}:versions", self.prefix)
    }
    fn online(&self, app: &str) -> String {
        format!("{}:app:{app}:online", self.prefix)
    }
    fn cache(&self, app: &str, channel: &ChannelName) -> String {
        format!("{}:app:{app}:cache:{channel}", self.prefix)
    }
    fn miss(&self, app: &str, channel: &ChannelName) -> String {
        format!("{}:app:{app}:miss:{channel}", self.prefix)
    }
}
