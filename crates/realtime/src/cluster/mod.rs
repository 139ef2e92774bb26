//! The seam between this node and the other nodes of a cluster: what an app asks of the
//! cluster ([`PubSub`], [`Presence`], [`Users`], [`Cache`], gathered in [`Cluster`]) and
//! what the cluster tells this node ([`Inbound`], handed to the backend when it starts).
//!
//! A node without a cluster has no backend at all: its hub is the whole truth. With one,
//! this node's hub still holds its own connections; the cluster decides what changed (a new
//! member, an occupied channel, a user's first connection) and carries frames to every
//! node. The backend never sees the app registry, and the apps call it only through these
//! traits. Static dispatch: [`Backend`] names the one implementation, Redis.
//!
//! Guarantees every backend gives:
//! - **Order**: messages published to the cluster reach every node that receives them in
//!   one order, the same on every node; a node's own messages in the order it published
//!   them.
//! - **Interest**: a channel's frames reach only the nodes that follow it (have subscribers
//!   of it, or had within the last seconds); a node that starts following a channel gets
//!   every frame published after [`PubSub::follow`] returned. Notices for every node
//!   (terminate, watchlists) reach every node.
//! - **At most once**: a frame reaches each subscriber at most once across the nodes. A
//!   node's own frame is delivered here either when it comes back from the cluster or
//!   directly (when it will not come back), never both.
//! - **While the cluster is away**: calls fail within a bounded wait ([`ClusterError`]);
//!   the caller serves this node's connections from its own hub and reports the failure
//!   with [`Cluster::failed`]. Frames published meanwhile reach this node's subscribers
//!   only: the other nodes miss them, nothing is queued for later. When the cluster answers
//!   again, the backend registers this node's connections anew and tells this node what
//!   that changed through [`Inbound`].
//! - **Dead nodes**: each node holds a lease; a node that stops renewing it is released by
//!   another within one lease: its members leave and its channels' counts drop, announced
//!   through [`Inbound`] on the node that released it.

pub(crate) mod redis;

use std::sync::Arc;
use std::time::Duration;

use pusher_protocol::api::{CachedEvent, ChannelAttributes};
use pusher_protocol::{ChannelName, Member, SocketId, WatchlistChange};

use crate::conn::Frame;
use crate::tap::Item;

/// The cluster backend of a node started with a `redis_url`.
pub(crate) type Backend = redis::RedisCluster;

/// Longest wait for one cluster call before it counts as failed.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(2);

/// Why a cluster operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// Redis answered with an error or the connection failed.
    #[error("Redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    /// Redis did not answer in time.
    #[error("Redis did not answer within {} s", TIMEOUT.as_secs())]
    Timeout,
}

/// Everything an app asks of the cluster.
pub(crate) trait Cluster: PubSub + Presence + Users + Cache + Send + Sync {
    /// Counts and logs a failed call the caller worked around with this node's view; the
    /// backend registers this node's connections anew once the cluster answers.
    fn failed(&self, what: &str, error: &ClusterError);
}

/// Frames for the nodes with subscribers of their channel, notices for every node, in one
/// order.
///
/// Publishing never waits: messages leave through a bounded queue, and a full queue drops
/// the message (counted in `/metrics`). A node receives a channel's frames while it
/// follows the channel ([`PubSub::follow`], once per local subscriber).
pub(crate) trait PubSub {
    /// Counts one more subscriber of `channel` on this node. The count is taken before the
    /// first `.await`; the future then waits (bounded by [`TIMEOUT`]) until frames published
    /// on any node from now on reach this node.
    async fn follow(&self, app: &str, channel: &ChannelName);

    /// Counts one subscriber of `channel` fewer on this node; frames of a channel nobody
    /// here follows stop coming (after a short while, so churn does not flap).
    fn unfollow(&self, app: &str, channel: &ChannelName);

    /// Sends `frame` to `channel`'s subscribers on every node but `except`. `true` when this
    /// node's subscribers get it when it comes back ([`Notice::Frame`]); `false` when the
    /// caller must hand it to them now.
    fn publish(
        &self,
        app: &str,
        channel: &ChannelName,
        frame: &Frame,
        except: Option<SocketId>,
    ) -> bool;

    /// Sends presence news of member-list `version` to every node ([`Notice::MemberNews`]);
    /// `true` as for [`PubSub::publish`].
    fn publish_member_news(
        &self,
        app: &str,
        channel: &ChannelName,
        news: &Frame,
        except: Option<SocketId>,
        version: u64,
    ) -> bool;

    /// Asks the other nodes to close the user's connections ([`Notice::Terminate`]).
    fn publish_terminate(&self, app: &str, user_id: &str);

    /// Tells the other nodes' watchers of `user_id` about it ([`Notice::Watch`]).
    fn publish_watch(&self, app: &str, user_id: &str, change: WatchlistChange);

    /// Waits (bounded) until what this node published so far is in the cluster's order:
    /// anything published after, on any node, reaches every subscriber after it.
    async fn sent(&self);
}

/// Subscriptions and presence members of every node. Each call is atomic in the cluster,
/// so when two nodes race exactly one of them sees a change and announces it.
pub(crate) trait Presence {
    /// Records a subscription (idempotent per socket); `None` when the presence channel
    /// already has `max_members` members.
    async fn join(
        &self,
        app: &str,
        channel: &ChannelName,
        socket_id: SocketId,
        member: Option<&Member>,
        max_members: usize,
    ) -> Result<Option<Joined>, ClusterError>;

    /// Removes a subscription; `None` when the cluster did not have it.
    async fn leave(
        &self,
        app: &str,
        channel: &ChannelName,
        socket_id: SocketId,
    ) -> Result<Option<Left>, ClusterError>;

    /// A channel's subscribers and members on every node; `None` when it is empty.
    async fn attributes(
        &self,
        app: &str,
        channel: &ChannelName,
    ) -> Result<Option<ChannelAttributes>, ClusterError>;

    /// Occupied channels starting with `prefix`, with their attributes.
    async fn channels_with_prefix(
        &self,
        app: &str,
        prefix: &str,
    ) -> Result<Vec<(ChannelName, ChannelAttributes)>, ClusterError>;

    /// The distinct users of a presence channel on every node.
    async fn presence_users(
        &self,
        app: &str,
        channel: &ChannelName,
    ) -> Result<Vec<String>, ClusterError>;
}

/// Signed-in users of every node, atomic per call like [`Presence`].
pub(crate) trait Users {
    /// Records a signed-in connection; `first` when the user had none on any node, and the
    /// watched users online on any node.
    async fn sign_in(
        &self,
        app: &str,
        socket_id: SocketId,
        user_id: &str,
        watchlist: &[Arc<str>],
    ) -> Result<SignedIn, ClusterError>;

    /// Forgets a signed-in connection; its user when that was the user's last on any node.
    async fn sign_out(
        &self,
        app: &str,
        socket_id: SocketId,
    ) -> Result<Option<String>, ClusterError>;
}

/// The last event of cache channels, for every node.
pub(crate) trait Cache {
    /// Keeps a cache channel's last event for `ttl`. Queued with the frames, so it lands in
    /// publishing order; dropped like them when the queue is full.
    fn store_cached(
        &self,
        app: &str,
        channel: &ChannelName,
        event: &str,
        data: &str,
        ttl: Duration,
    );

    /// A cache channel's last event, if it has not expired.
    async fn cached(
        &self,
        app: &str,
        channel: &ChannelName,
    ) -> Result<Option<CachedEvent>, ClusterError>;

    /// Records a miss; `true` for the first one on any node since the channel last had an
    /// event, within `ttl`.
    async fn first_cache_miss(
        &self,
        app: &str,
        channel: &ChannelName,
        ttl: Duration,
    ) -> Result<bool, ClusterError>;
}

/// What the Debug Console shares between nodes: debug records while some console watches,
/// the sign-in throttle, and the Overview's samples. Nothing here is on a publish's path.
pub(crate) trait Consoles {
    /// This node's name in the cluster, shown on its debug records.
    fn node(&self) -> &str;

    /// Hands a debug record (or a count of left-out ones) to the consoles of `app` on the
    /// other nodes; `false` when it was dropped because the bus is busy with frames.
    fn relay(&self, app: &str, item: &Item) -> bool;

    /// Says at once that a console here watches `app`, so the other nodes relay its records
    /// from now on rather than from their next round ([`Notice::Watching`]).
    async fn watching(&self, app: &str);

    /// How long a sign-in counted under `keys` must wait; `None` when it may try now.
    async fn throttle_wait(&self, keys: &[String]) -> Result<Option<Duration>, ClusterError>;

    /// Counts a failed sign-in against every key (the policy of `limits::SIGN_IN_*`).
    async fn throttle_failed(&self, keys: &[String]) -> Result<(), ClusterError>;

    /// Forgets the keys' failures.
    async fn throttle_succeeded(&self, keys: &[String]) -> Result<(), ClusterError>;

    /// Keeps this node's newest Overview sample of each app (`(app, sample JSON)`) for an
    /// hour.
    async fn store_samples(&self, samples: &[(String, String)]) -> Result<(), ClusterError>;

    /// Every node's samples of `app` over the last hour, oldest first.
    async fn samples(&self, app: &str) -> Result<Vec<NodeSamples>, ClusterError>;
}

/// One node's Overview samples of an app, as stored (JSON each).
#[derive(Debug)]
pub(crate) struct NodeSamples {
    /// The node's name.
    pub(crate) node: String,
    /// Oldest first.
    pub(crate) samples: Vec<String>,
}

/// What a join changed across the cluster.
#[derive(Debug)]
pub(crate) struct Joined {
    /// Subscribers after the join, on every node.
    pub(crate) count: usize,
    /// The channel went from empty to occupied.
    pub(crate) occupied: bool,
    /// The presence user is a new member.
    pub(crate) member_added: bool,
    /// The members after the join, on presence channels.
    pub(crate) members: Vec<Member>,
    /// The version of the member list `members` is.
    pub(crate) version: u64,
}

/// What a leave changed across the cluster.
#[derive(Debug)]
pub(crate) struct Left {
    /// Subscribers after the leave, on every node.
    pub(crate) count: usize,
    /// The presence user whose last connection left.
    pub(crate) member_removed: Option<Arc<str>>,
    /// The member list's version after the removal.
    pub(crate) version: u64,
}

/// What a sign-in changed across the cluster.
#[derive(Debug)]
pub(crate) struct SignedIn {
    /// The user had no other connection on any node.
    pub(crate) first: bool,
    /// The watched users online on any node.
    pub(crate) online: Vec<String>,
}

/// What the cluster tells this node, for one app.
#[derive(Debug)]
pub(crate) enum Notice<'a> {
    /// A frame for the channel's subscribers here, but `except`.
    Frame { channel: &'a ChannelName, frame: &'a Frame, except: Option<SocketId> },
    /// Presence news of member-list `version`, for subscribers here whose list is older.
    MemberNews {
        channel: &'a ChannelName,
        frame: &'a Frame,
        except: Option<SocketId>,
        version: u64,
    },
    /// Close the user's connections here with 4009.
    Terminate { user_id: &'a str },
    /// Tell this node's watchers of the user.
    Watch { user_id: &'a str, change: WatchlistChange },
    /// A subscription of this node that the cluster had lost is registered again.
    Rejoined {
        channel: &'a ChannelName,
        socket_id: SocketId,
        member: Option<&'a Member>,
        joined: Joined,
    },
    /// A subscription the cluster held for this node, gone here, is removed.
    Left { channel: &'a ChannelName, left: Left },
    /// A released node's presence member is gone (the channel's count comes as
    /// [`Notice::Count`]).
    MemberGone { channel: &'a ChannelName, user_id: &'a str, version: u64 },
    /// A released node's subscribers of a channel are gone; `count` remain.
    Count { channel: &'a ChannelName, count: usize },
    /// A user's first connection on any node, registered again.
    Online { user_id: &'a str },
    /// A user's last connection on any node is gone.
    Offline { user_id: &'a str },
    /// A debug record (or a count of left-out ones) from another node, for consoles here.
    Tap(Item),
    /// A console on another node just started watching the app.
    Watching,
}

/// This node's connections of one app, as its hub holds them.
#[derive(Debug)]
pub(crate) struct Connections {
    /// The app's id.
    pub(crate) app: String,
    /// Every subscription, with the presence member where there is one.
    pub(crate) subscriptions: Vec<(ChannelName, SocketId, Option<Member>)>,
    /// Every signed-in connection and its user.
    pub(crate) users: Vec<(SocketId, Arc<str>)>,
}

/// How the backend reaches this node: given at start, called from the backend's tasks.
/// Called once per bus message (not per subscriber), and never while a lock is held.
pub(crate) trait Inbound: Send + Sync {
    /// Acts on one notice for the app `app`; notices for an app this node does not serve
    /// are ignored.
    fn hear(&self, app: &str, notice: Notice<'_>);

    /// This node's connections, app by app, for registering them anew.
    fn connections(&self) -> Vec<Connections>;

    /// The apps a console on this node watches.
    fn consoles_here(&self) -> Vec<String>;

    /// Tells every app whether a console on another node watches it (`watched(app id)`).
    fn consoles_elsewhere(&self, watched: &dyn Fn(&str) -> bool);

    /// This node's open connections, app by app (apps with none may be left out).
    fn connection_counts(&self) -> Vec<(String, usize)>;

    /// Tells every app how many connections the other nodes had open at their last lease
    /// round (`count(app id)`), for its `max_connections`.
    fn connections_elsewhere(&self, count: &dyn Fn(&str) -> usize);
}
