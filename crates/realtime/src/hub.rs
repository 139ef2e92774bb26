//! One app's shared state: which connection is on which channel, presence members, the
//! cache of cache channels. Connection tasks own their subscriptions; the hub only holds
//! handles. Every method is synchronous and never holds a lock across an `.await`.
//!
//! Delivery: a published frame is serialised once and handed to every subscriber, in the
//! order `publish` is called; at most once per subscriber. The publisher writes it into
//! each socket that is free (see `conn`), under the channel's shard lock, which keeps that
//! order; a large channel's frames are queued for the connection tasks, which every core runs.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use pusher_protocol::api::ChannelAttributes;
use pusher_protocol::{ChannelName, Member, ServerMessage, SocketId};

use crate::conn::{ConnHandle, Frame, frame};
use crate::small_map::SmallMap;

mod cache;
mod users;

pub(crate) use cache::Cache;
pub(crate) use users::Users;

/// Locks over the channel map; a power of two well above the core count.
const SHARDS: usize = 16;

/// Channels up to this many subscribers are written by the publisher itself. Larger ones are
/// queued for their connection tasks, which every core runs: written from one core, a
/// fan-out to thousands is slower and holds the trigger's answer (BENCHMARKS.md, issue #17
/// part 4: all from the publisher, half from it, none from it).
const WRITTEN_BY_PUBLISHER: usize = 1024;

/// Takes a lock. A panic while holding one cannot leave the maps half-updated in a way
/// that matters more than refusing service, so poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One app's channels, members, cache and counts.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    channels: [Mutex<HashMap<ChannelName, Channel>>; SHARDS],
    shard_hasher: RandomState,
    pub(crate) cache: Cache,
    /// Busy channels whose subscription count is sent on the next tick, not at every change.
    changed_counts: Mutex<HashSet<ChannelName>>,
    pub(crate) users: Users,
    connections: AtomicUsize,
}

#[derive(Debug, Default)]
struct Channel {
    subscribers: SmallMap<SocketId, Subscriber>,
    /// Presence members by user id: how many of the user's connections are in, and its info.
    members: SmallMap<Arc<str>, Presence>,
}

#[derive(Debug)]
struct Subscriber {
    conn: ConnHandle,
    /// On presence channels: who the connection is, and which member news it has seen.
    /// Boxed, so subscribers of other channels pay one pointer.
    presence: Option<Box<MemberOf>>,
}

#[derive(Debug)]
struct MemberOf {
    user_id: Arc<str>,
    seen: Seen,
}

/// Which `member_added`/`member_removed` a connection already knows from the member list it
/// was given, by the cluster's version of the channel's members (see `cluster`).
#[derive(Debug)]
enum Seen {
    /// Everything up to this version: later news is delivered, earlier news dropped.
    Upto(u64),
    /// The member list is on its way; news that arrives meanwhile waits here.
    Waiting(Vec<(u64, Frame)>),
}

/// Who tells a presence channel's subscribers that a member came or went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Announce {
    /// The hub, to this node's subscribers, under the lock of the change: exact on one node.
    Here,
    /// The caller, cluster-wide and versioned (`publish_member_news`); the joiner's news
    /// waits until its member list's version is known (`member_list_seen`).
    Cluster,
}

#[derive(Debug)]
struct Presence {
    connections: usize,
    member: Member,
}

/// Why a subscription was refused by the hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoinRefused {
    /// The connection is already subscribed.
    AlreadySubscribed,
    /// The presence channel has its maximum of members.
    PresenceFull,
}

/// What a successful join changed.
#[derive(Debug)]
pub(crate) struct Joined {
    /// The members after the join, on presence channels.
    pub(crate) members: Option<Vec<Member>>,
    /// Whether the channel was empty before.
    pub(crate) occupied: bool,
    /// Whether the user is a new member of the presence channel.
    pub(crate) member_added: bool,
    /// Subscribers after the join.
    pub(crate) subscription_count: usize,
}

/// What leaving a channel changed.
#[derive(Debug)]
pub(crate) struct Left {
    /// Whether the channel is now empty.
    pub(crate) vacated: bool,
    /// The presence member whose last connection left.
    pub(crate) member_removed: Option<Arc<str>>,
    /// Subscribers after the leave.
    pub(crate) subscription_count: usize,
}

impl Hub {
    /// The shard holding `channel`: publishing on one channel does not wait for joins and
    /// leaves on the others.
    fn channels(&self, channel: &ChannelName) -> MutexGuard<'_, HashMap<ChannelName, Channel>> {
        let shard = self.shard_hasher.hash_one(channel) as usize % SHARDS;
        lock(&self.channels[shard])
    }

    /// Counts a new connection unless the app is at `max`.
    pub(crate) fn try_connect(&self, max: Option<usize>) -> bool {
        let limit = max.unwrap_or(usize::MAX);
        self.connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < limit).then_some(n + 1))
            .is_ok()
    }

    /// Connections open now.
    pub(crate) fn connection_count(&self) -> usize {
        self.connections.load(Ordering::Acquire)
    }

    /// Forgets a connection counted by [`Hub::try_connect`].
    pub(crate) fn disconnect(&self) {
        self.connections.fetch_sub(1, Ordering::AcqRel);
    }

    /// Adds `conn` to `channel`; on presence channels `member` joins and, with
    /// [`Announce::Here`], the other subscribers hear `member_added` if the user is new.
    pub(crate) fn join(
        &self,
        conn: &ConnHandle,
        channel: &ChannelName,
        member: Option<Member>,
        max_members: usize,
        announce: Announce,
    ) -> Result<Joined, JoinRefused> {
        let mut channels = self.channels(channel);
        let entry = channels.entry(channel.clone()).or_default();
        if entry.subscribers.contains_key(&conn.socket_id()) {
            return Err(JoinRefused::AlreadySubscribed);
        }
        let occupied = entry.subscribers.is_empty();
        let Some(member) = member else {
            entry
                .subscribers
                .insert(conn.socket_id(), Subscriber { conn: conn.clone(), presence: None });
            let subscription_count = entry.subscribers.len();
            return Ok(Joined { members: None, occupied, member_added: false, subscription_count });
        };
        let user_id: Arc<str> = Arc::from(member.user_id.as_str());
        let is_new = !entry.members.contains_key(&user_id);
        if is_new && entry.members.len() >= max_members {
            if entry.subscribers.is_empty() {
                channels.remove(channel);
            }
            return Err(JoinRefused::PresenceFull);
        }
        if is_new && announce == Announce::Here {
            let added = frame(&ServerMessage::MemberAdded { channel, member: &member });
            for subscriber in entry.subscribers.values() {
                subscriber.conn.send(&added);
            }
        }
        match entry.members.get_mut(&user_id) {
            Some(presence) => presence.connections += 1,
            None => {
                entry.members.insert(user_id.clone(), Presence { connections: 1, member });
            }
        }
        let seen = match announce {
            Announce::Here => Seen::Upto(0),
            Announce::Cluster => Seen::Waiting(Vec::new()),
        };
        let presence = Some(Box::new(MemberOf { user_id, seen }));
        entry.subscribers.insert(conn.socket_id(), Subscriber { conn: conn.clone(), presence });
        let members = entry.members.values().map(|p| p.member.clone()).collect();
        let subscription_count = entry.subscribers.len();
        Ok(Joined { members: Some(members), occupied, member_added: is_new, subscription_count })
    }

    /// Removes a connection from a channel; `None` when it was not subscribed.
    /// On presence channels `member_removed` names the user whose last connection left; with
    /// [`Announce::Here`] the other subscribers hear it.
    pub(crate) fn leave(
        &self,
        socket_id: SocketId,
        channel: &ChannelName,
        announce: Announce,
    ) -> Option<Left> {
        let mut channels = self.channels(channel);
        let entry = channels.get_mut(channel)?;
        let subscriber = entry.subscribers.remove(&socket_id)?;
        let mut member_removed = None;
        if let Some(MemberOf { user_id, .. }) = subscriber.presence.map(|p| *p) {
            let gone = entry.members.get_mut(&user_id).is_some_and(|p| {
                p.connections -= 1;
                p.connections == 0
            });
            if gone {
                entry.members.remove(&user_id);
                if announce == Announce::Here {
                    let removed =
                        frame(&ServerMessage::MemberRemoved { channel, user_id: &user_id });
                    for other in entry.subscribers.values() {
                        other.conn.send(&removed);
                    }
                }
                member_removed = Some(user_id);
            }
        }
        let subscription_count = entry.subscribers.len();
        let vacated = subscription_count == 0;
        if vacated {
            channels.remove(channel);
        }
        Some(Left { vacated, member_removed, subscription_count })
    }

    /// Hands `frame` to every subscriber of `channel` but `except`.
    pub(crate) fn publish(&self, channel: &ChannelName, frame: &Frame, except: Option<SocketId>) {
        self.deliver(channel, frame, except, true);
    }

    /// Like `publish`, but only queues, for the connection tasks to write: for frames from
    /// the cluster, which one reader per node delivers for every channel. Written from that
    /// one task, they would all wait for one core, and the trigger's backlog wait would not
    /// slow the senders (`make bench-cluster`, steady phase: 3.7 of 6 million delivered).
    pub(crate) fn publish_queued(
        &self,
        channel: &ChannelName,
        frame: &Frame,
        except: Option<SocketId>,
    ) {
        self.deliver(channel, frame, except, false);
    }

    fn deliver(&self, channel: &ChannelName, frame: &Frame, except: Option<SocketId>, write: bool) {
        let channels = self.channels(channel);
        let Some(entry) = channels.get(channel) else {
            return;
        };
        let write = write && entry.subscribers.len() <= WRITTEN_BY_PUBLISHER;
        for (socket_id, subscriber) in entry.subscribers.iter() {
            if Some(*socket_id) == except {
                continue;
            }
            if write {
                subscriber.conn.send(frame);
            } else {
                subscriber.conn.queue_frame(frame);
            }
        }
    }

    /// Hands `member_added`/`member_removed` news of cluster `version` to the subscribers
    /// of `channel` but `except` whose member list does not have it yet.
    pub(crate) fn publish_member_news(
        &self,
        channel: &ChannelName,
        news: &Frame,
        except: Option<SocketId>,
        version: u64,
    ) {
        let mut channels = self.channels(channel);
        let Some(entry) = channels.get_mut(channel) else {
            return;
        };
        // Presence news is rare and presence channels are small: look each subscriber up.
        let sockets: Vec<SocketId> = entry.subscribers.keys().copied().collect();
        for socket_id in sockets {
            if Some(socket_id) == except {
                continue;
            }
            let Some(subscriber) = entry.subscribers.get_mut(&socket_id) else { continue };
            match subscriber.presence.as_deref_mut().map(|p| &mut p.seen) {
                Some(Seen::Upto(seen)) if version <= *seen => {}
                Some(Seen::Waiting(held)) => held.push((version, news.clone())),
                Some(Seen::Upto(_)) | None => subscriber.conn.send(news),
            }
        }
    }

    /// Records the version of the member list a connection was given, and delivers the news
    /// that arrived meanwhile and is newer.
    pub(crate) fn member_list_seen(
        &self,
        channel: &ChannelName,
        socket_id: SocketId,
        version: u64,
    ) {
        let mut channels = self.channels(channel);
        let Some(subscriber) =
            channels.get_mut(channel).and_then(|entry| entry.subscribers.get_mut(&socket_id))
        else {
            return;
        };
        let Some(presence) = subscriber.presence.as_deref_mut() else { return };
        if let Seen::Waiting(held) = std::mem::replace(&mut presence.seen, Seen::Upto(version)) {
            for (news_version, news) in held {
                if news_version > version {
                    subscriber.conn.send(&news);
                }
            }
        }
    }

    /// Notes that a busy channel's count changed; [`Hub::take_changed_counts`] collects it.
    pub(crate) fn count_changed_later(&self, channel: &ChannelName) {
        self.changed_counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(channel.clone());
    }

    /// The busy channels whose count changed since the last call.
    pub(crate) fn take_changed_counts(&self) -> HashSet<ChannelName> {
        std::mem::take(&mut *lock(&self.changed_counts))
    }

    /// Attributes of one channel; `None` when nobody is subscribed.
    pub(crate) fn channel(&self, channel: &ChannelName) -> Option<ChannelAttributes> {
        self.channels(channel).get(channel).map(Channel::attributes)
    }

    /// Occupied channels whose name starts with `prefix`, with their attributes.
    pub(crate) fn channels_with_prefix(
        &self,
        prefix: &str,
    ) -> Vec<(ChannelName, ChannelAttributes)> {
        let mut found = Vec::new();
        for shard in &self.channels {
            let shard = lock(shard);
            let matching = shard.iter().filter(|(name, _)| name.as_str().starts_with(prefix));
            found.extend(matching.map(|(name, channel)| (name.clone(), channel.attributes())));
        }
        found
    }

    /// Every subscription on this node, with the presence member where there is one: what
    /// a cluster backend re-registers after it lost its shared state.
    pub(crate) fn subscriptions(&self) -> Vec<(ChannelName, SocketId, Option<Member>)> {
        let mut found = Vec::new();
        for shard in &self.channels {
            let shard = lock(shard);
            for (name, channel) in shard.iter() {
                for (socket_id, subscriber) in channel.subscribers.iter() {
                    let member = subscriber
                        .presence
                        .as_ref()
                        .and_then(|p| channel.members.get(&p.user_id))
                        .map(|p| p.member.clone());
                    found.push((name.clone(), *socket_id, member));
                }
            }
        }
        found
    }

    /// The distinct users of a presence channel.
    pub(crate) fn presence_users(&self, channel: &ChannelName) -> Vec<String> {
        self.channels(channel)
            .get(channel)
            .map(|c| c.members.keys().map(|id| id.to_string()).collect())
            .unwrap_or_default()
    }
}

impl Channel {
    fn attributes(&self) -> ChannelAttributes {
        ChannelAttributes {
            user_count: Some(self.members.len()),
            subscription_count: Some(self.subscribers.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every occupied channel is one entry in its shard's map, most with one subscriber: the
    /// entry's size counts once per channel (and about 1.6 times with the map's spare room).
    #[test]
    fn a_channel_entry_stays_small() {
        let entry = std::mem::size_of::<(ChannelName, Channel)>();
        assert!(entry <= 64, "channel entry: {entry} bytes");
    }
}
