//! One app: its configuration, its live state, and the policy every caller goes through
//! (joining and leaving channels, signing in, broadcasting, counts, cache and webhooks).
//!
//! Whether the app runs on one node or in a cluster is decided here and nowhere else.
//! Alone, the hub is the whole truth. In a cluster, the [`Backend`] decides what changed
//! and carries frames to every node; when it cannot answer, this node's hub stands in so
//! its own connections go on being served. Callers use the methods: the hub and the
//! backend are private.

mod inbound;
mod membership;
mod shared;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};

use arc_swap::{ArcSwap, ArcSwapOption, Guard};
use pusher_protocol::api::ChannelAttributes;
use pusher_protocol::{ChannelName, ErrorCode};

use crate::cluster::{self, Backend, Consoles};
use crate::config::{AppConfig, AppId};
use crate::conn::{ConnHandle, Kick};
use crate::hub::Hub;
pub(crate) use crate::hub::JoinRefused;
use crate::metrics::Usage;
use crate::rate::RateLimiter;
use crate::tap::Tap;
use crate::webhooks::{WebhookEvent, Webhooks};
use crate::wheel::Wheel;

/// One app: its configuration and its live state.
#[derive(Debug)]
pub(crate) struct App {
    /// The id, which never changes (the configuration may).
    id: AppId,
    /// Replaced whole when the app is changed at run time; loading it takes no lock.
    config: ArcSwap<AppConfig>,
    /// This node's connections.
    hub: Hub,
    /// The app's connections on the other nodes at their last lease round (0 alone).
    elsewhere: AtomicUsize,
    /// Tells this app's connections apart from other apps' (and from an earlier app of the
    /// same id) on the node's wheel, which holds every connection.
    serial: u32,
    /// The node's timer wheel and list of connections, to close this app's.
    wheel: Arc<Wheel>,
    /// Where state shared with other nodes lives; `None` on a node alone.
    cluster: Option<Arc<Backend>>,
    usage: Usage,
    webhooks: Webhooks,
    /// The HTTP API rate limit, when the app has one.
    api_rate: ArcSwapOption<RateLimiter>,
    /// Debug records for the console; free while no console watches.
    tap: Arc<Tap>,
}

impl App {
    /// A fresh app; `cluster` and `wheel` are shared by every app of the node.
    pub(crate) fn new(
        config: AppConfig,
        webhooks: Webhooks,
        cluster: Option<Arc<Backend>>,
        wheel: Arc<Wheel>,
    ) -> Self {
        static SERIAL: AtomicU32 = AtomicU32::new(1);
        let tap = Arc::new(Tap::default());
        if let Some(cluster) = &cluster {
            let (relay_to, app) = (cluster.clone(), config.id.to_string());
            tap.join_cluster(cluster.node(), Box::new(move |item| relay_to.relay(&app, item)));
        }
        Self {
            id: config.id.clone(),
            api_rate: ArcSwapOption::new(api_limiter(&config)),
            config: ArcSwap::from_pointee(config),
            hub: Hub::default(),
            elsewhere: AtomicUsize::new(0),
            serial: SERIAL.fetch_add(1, Ordering::Relaxed),
            wheel,
            cluster,
            usage: Usage::default(),
            webhooks,
            tap,
        }
    }

    /// The app's id.
    pub(crate) fn id(&self) -> &AppId {
        &self.id
    }

    /// The app's validated configuration, as it is now.
    pub(crate) fn config(&self) -> Guard<Arc<AppConfig>> {
        self.config.load()
    }

    /// Takes a changed configuration (same id and key): limits apply to what comes next;
    /// when the app is now disabled, its connections on this node close with 4003.
    pub(crate) fn update(&self, config: AppConfig) {
        let enabled = config.enabled;
        if self.config().max_api_requests_per_second != config.max_api_requests_per_second {
            self.api_rate.store(api_limiter(&config));
        }
        self.config.store(Arc::new(config));
        if !enabled {
            self.close_all(ErrorCode::AppDisabled, "Application is disabled");
        }
    }

    /// Closes every connection of this app on this node with `code`: the node's wheel holds
    /// them all, so no list is kept per app.
    pub(crate) fn close_all(&self, code: ErrorCode, reason: &'static str) {
        self.wheel.kick_where(|conn| conn.app() == self.serial, Kick { code, reason });
    }

    /// The node's timer wheel.
    pub(crate) fn wheel(&self) -> &Wheel {
        &self.wheel
    }

    /// The number that marks this app's connections ([`ConnHandle::app`]).
    pub(crate) fn serial(&self) -> u32 {
        self.serial
    }

    /// Files an admitted connection on the node's wheel; one admitted while the app was
    /// being disabled is closed at once (filed first, so `close_all` cannot miss it).
    pub(crate) fn opened(&self, conn: &ConnHandle) {
        self.wheel.file(conn);
        if !self.config().enabled {
            conn.kick(ErrorCode::AppDisabled, "Application is disabled");
        }
    }

    /// The app's counters for `/metrics`.
    pub(crate) fn usage(&self) -> &Usage {
        &self.usage
    }

    /// The app's debug tap.
    pub(crate) fn tap(&self) -> &Arc<Tap> {
        &self.tap
    }

    /// Sends a webhook event if the app has a webhook that wants it.
    pub(crate) fn webhook(&self, event: WebhookEvent) {
        self.webhooks.emit(&self.config(), &self.tap, event);
    }

    /// Counts a new connection on this node unless the app is at its quota: this node's
    /// connections plus the other nodes' last counts (see [`App::set_connections_elsewhere`]).
    pub(crate) fn try_connect(&self) -> bool {
        let elsewhere = self.elsewhere.load(Ordering::Relaxed);
        let max = self.config().max_connections.map(|max| max.saturating_sub(elsewhere));
        self.hub.try_connect(max)
    }

    /// Takes the app's connection count on the other nodes, as of their last lease round.
    pub(crate) fn set_connections_elsewhere(&self, count: usize) {
        self.elsewhere.store(count, Ordering::Relaxed);
    }

    /// Forgets a connection counted by [`App::try_connect`] (and [`App::opened`]).
    pub(crate) fn disconnected(&self, conn: &ConnHandle) {
        self.wheel.remove(conn);
        self.hub.disconnect();
    }

    /// Connections open on this node now.
    pub(crate) fn connection_count(&self) -> usize {
        self.hub.connection_count()
    }

    /// Takes a token from the HTTP API rate limit; `Some(rate)` when none is left.
    pub(crate) fn api_rate_exceeded(&self) -> Option<u32> {
        let limiter = self.api_rate.load();
        let limiter = limiter.as_ref()?;
        let rate = self.config().max_api_requests_per_second?;
        (!limiter.allow()).then_some(rate)
    }

    /// A channel's attributes on this node alone; `None` when nobody here is subscribed.
    pub(crate) fn local_attributes(&self, channel: &ChannelName) -> Option<ChannelAttributes> {
        self.hub.channel(channel)
    }
}

fn api_limiter(config: &AppConfig) -> Option<Arc<RateLimiter>> {
    config.max_api_requests_per_second.map(|rate| Arc::new(RateLimiter::per_second(rate)))
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

impl Change {
    /// The change a cluster join made, for `member` when it joined.
    fn joined(joined: &cluster::Joined, member: Option<&pusher_protocol::Member>) -> Self {
        Self {
            count: joined.count,
            edge: joined.occupied,
            member: new_member(joined.member_added, member),
            news: News::Versioned(joined.version),
        }
    }
}

impl From<cluster::Left> for Change {
    fn from(left: cluster::Left) -> Self {
        Self {
            count: left.count,
            edge: left.count == 0,
            member: left.member_removed,
            news: News::Versioned(left.version),
        }
    }
}

/// How a presence change reaches the channel's other subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum News {
    /// The hub told this node's subscribers under its lock (one node).
    Told,
    /// Every node's subscribers, tagged with the cluster's version of the member list, so
    /// a subscriber whose list already has the change does not hear it twice.
    Versioned(u64),
    /// The cluster did not answer: this node's subscribers only.
    HereOnly,
}

/// The user id of `member` when the join made it a new member.
fn new_member(added: bool, member: Option<&pusher_protocol::Member>) -> Option<Arc<str>> {
    member.filter(|_| added).map(|m| Arc::from(m.user_id.as_str()))
}
