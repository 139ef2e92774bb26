//! The Redis backend: several nodes share presence, counts, users and cache channels.
//!
//! - Routing by interest (`interest`): a channel's frames go out over a pub/sub channel of
//!   its own, which a node subscribes to while it has subscribers of the channel; every
//!   such node, the sender too, delivers them to its subscribers when they come back
//!   (`tasks`): each subscriber gets a frame once, and every node sees the same order.
//!   While this node's subscription is not confirmed, or when Redis fails, it delivers its
//!   own frames directly. Node-wide messages (terminate, watchlists, echoes, debug
//!   records) go over one bus every node listens to.
//! - Shared state changes through atomic Lua scripts (`scripts`, `shared`), so the one
//!   node that sees a change (first member, last connection, empty channel) announces it.
//! - Each node holds a lease it renews every quarter of its length (`lease`). A node whose
//!   lease ran out is released by another within one lease of its death.
//! - When Redis is unreachable, this node goes on serving its own connections; the failure
//!   is logged once, counted in `/metrics`, and when Redis answers again the node registers
//!   its connections anew.
//!
//! - The Debug Console's records cross the bus only while a console somewhere watches the
//!   app; its sign-in throttle and Overview samples are shared too (`console`, `throttle`).
//!
//! What arrives for this node goes to the [`Inbound`](super::Inbound) handler given to
//! [`RedisCluster::start`].

mod bus;
mod console;
mod echo;
mod interest;
mod lease;
mod scripts;
mod shared;
mod tasks;
mod throttle;

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use pusher_protocol::{ChannelName, SocketId, WatchlistChange};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::mpsc;

use super::{Cluster, ClusterError, PubSub, TIMEOUT};
use crate::config::RedisConfig;
use crate::conn::Frame;
use crate::metrics::Metrics;
use bus::Message;

/// Frames and cache writes waiting to go to Redis before new ones are dropped.
const OUTGOING_QUEUE: usize = 64 * 1024;

/// Writes that leave in order through one pipeline.
#[derive(Debug)]
enum Outgoing {
    /// A message for the pub/sub `channel`; `echo` when this node delivers it only when it
    /// comes back.
    Publish {
        channel: String,
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
pub(crate) struct RedisCluster {
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
    /// The channels this node has subscribers of, and the nudge for the listener to
    /// subscribe to new ones.
    interest: interest::Interest,
    nudge: tokio::sync::Notify,
    /// A write failed: shared state may miss some of this node's changes until it
    /// registers its connections anew.
    dirty: AtomicBool,
    metrics: Metrics,
}

impl std::fmt::Debug for RedisCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCluster")
            .field("node", &self.node)
            .field("prefix", &self.keys.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisCluster {
    /// A node with a fresh id on the configured Redis. Connects lazily: a Redis that is down
    /// at start-up is the same as one that goes down later.
    pub(crate) fn new(settings: &RedisConfig, metrics: Metrics) -> Result<Self, ClusterError> {
        let (prefix, lease) = (&settings.prefix, settings.node_lease);
        let client = redis::Client::open(settings.url.clone())?;
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
            keys: Keys { prefix: prefix.clone() },
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
            interest: interest::Interest::default(),
            nudge: tokio::sync::Notify::new(),
            dirty: AtomicBool::new(false),
            metrics,
        })
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

    /// Queues a node-wide message on the bus; this node acted on it already.
    fn send_bus(&self, app: &str, message: &Message<'_>) {
        let bytes = bus::encode(&self.node, app, message);
        self.queue(Outgoing::Publish { channel: self.keys.bus(), bytes, echo: false });
    }

    /// Whether this node's frames on the pub/sub `channel` come back to it now.
    fn comes_back(&self, channel: &str) -> bool {
        self.listening.load(Ordering::Acquire) && self.interest.comes_back(channel)
    }

    /// Queues a frame or presence news on its channel's pub/sub `channel`, built with
    /// whether it comes back here ([`RedisCluster::comes_back`]); `true` when it will, and
    /// this node then delivers it like the others. Otherwise the caller delivers here now.
    fn send_frame<'m>(
        &self,
        app: &str,
        channel: String,
        message: impl FnOnce(bool) -> Message<'m>,
    ) -> bool {
        let echo = self.comes_back(&channel);
        let bytes = bus::encode(&self.node, app, &message(!echo));
        let queued = self.queue(Outgoing::Publish { channel, bytes, echo });
        echo && queued
    }
}

impl Cluster for RedisCluster {
    /// Counts a failed call; the first failure after success is logged as a warning.
    fn failed(&self, what: &str, error: &ClusterError) {
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
}

impl PubSub for RedisCluster {
    /// Sends a frame to `channel`'s subscribers on every node; `true` when this node's
    /// subscribers get it when it comes back from Redis.
    fn publish(
        &self,
        app: &str,
        channel: &ChannelName,
        frame: &Frame,
        except: Option<SocketId>,
    ) -> bool {
        let name = self.keys.channel(app, channel);
        self.send_frame(app, name, |delivered| Message::Frame {
            channel: channel.clone(),
            except,
            frame: frame.as_str(),
            delivered,
        })
    }

    /// Waits (bounded) until everything queued so far has been sent to Redis.
    async fn sent(&self) {
        let (done, sent) = tokio::sync::oneshot::channel();
        if self.outgoing.try_send(Outgoing::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(TIMEOUT * 2, sent).await;
        }
    }

    /// Sends presence news of member-list `version` to every node; `true` as for `publish`.
    fn publish_member_news(
        &self,
        app: &str,
        channel: &ChannelName,
        news: &Frame,
        except: Option<SocketId>,
        version: u64,
    ) -> bool {
        let name = self.keys.channel(app, channel);
        self.send_frame(app, name, |delivered| Message::Member {
            channel: channel.clone(),
            except,
            version,
            frame: news.as_str(),
            delivered,
        })
    }

    /// Counts a subscriber here; the first one of a channel waits (bounded) until Redis
    /// confirmed this node's subscription to the channel's frames.
    async fn follow(&self, app: &str, channel: &ChannelName) {
        // Without a bus connection there is nothing to wait for: it subscribes every
        // followed channel when it is back.
        let listening = self.listening.load(Ordering::Acquire);
        let ready = match self.interest.add(self.keys.channel(app, channel)) {
            interest::Added::Ready => return,
            interest::Added::Wait { ready, nudge } => {
                if nudge {
                    self.nudge.notify_one();
                }
                ready
            }
        };
        if !listening {
            return;
        }
        // A closed sender means the wait is moot (the connection was lost, or everyone
        // left); the listener subscribes again on its next connection.
        if tokio::time::timeout(TIMEOUT, ready).await.is_err() {
            self.failed("channel subscription", &ClusterError::Timeout);
        }
    }

    /// Forgets a subscriber here; the channel is unsubscribed after a while without any.
    fn unfollow(&self, app: &str, channel: &ChannelName) {
        self.interest.remove(&self.keys.channel(app, channel));
    }

    /// Asks the other nodes to close the user's connections.
    fn publish_terminate(&self, app: &str, user_id: &str) {
        self.send_bus(app, &Message::Terminate { user_id });
    }

    /// Tells the other nodes' watchers of `user_id` about it.
    fn publish_watch(&self, app: &str, user_id: &str, change: WatchlistChange) {
        self.send_bus(app, &Message::Watch { change, user_id });
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
    /// The pub/sub channel of one channel's frames. Channel names hold no `:`.
    fn channel(&self, app: &str, channel: &ChannelName) -> String {
        format!("{}:ch:{app}:{channel}", self.prefix)
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
