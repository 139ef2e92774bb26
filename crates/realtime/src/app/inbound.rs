//! What the cluster tells this node about the app: frames and news from the other nodes,
//! and the changes that registering or releasing connections made.

use std::sync::Arc;
use std::time::Instant;

use pusher_protocol::WatchlistChange;

use super::{App, Change, News};
use crate::cluster::{Connections, Notice};

impl App {
    /// Acts on one notice from the cluster.
    pub(crate) fn hear(&self, notice: Notice<'_>) {
        match notice {
            Notice::Frame { channel, frame, except } => {
                // Timed from its arrival here: the trigger's clock is another node's.
                let timed =
                    self.usage.fanout.timed_frame(frame.as_str().to_owned(), Instant::now());
                self.hub.publish_queued(channel, &timed, except);
            }
            Notice::MemberNews { channel, frame, except, version } => {
                self.hub.publish_member_news(channel, frame, except, version);
            }
            Notice::Terminate { user_id } => {
                self.hub.users.terminate(user_id);
            }
            Notice::Watch { user_id, change } => self.hub.users.notify(user_id, change),
            Notice::Rejoined { channel, socket_id, member, joined } => {
                self.joined(channel, member, socket_id, Change::joined(&joined, member));
            }
            Notice::Left { channel, left } => self.left(channel, left.into()),
            Notice::MemberGone { channel, user_id, version } => {
                self.member_left(channel, Arc::from(user_id), News::Versioned(version));
            }
            Notice::Count { channel, count } => {
                let change = Change { count, edge: count == 0, member: None, news: News::Told };
                self.left(channel, change);
            }
            Notice::Online { user_id } => self.watched_user(user_id, WatchlistChange::Online),
            Notice::Offline { user_id } => self.watched_user(user_id, WatchlistChange::Offline),
            Notice::Tap(item) => self.tap.heard(item),
            Notice::Watching => self.tap.set_watched_elsewhere(true),
        }
    }

    /// This node's connections of the app, for the cluster to register anew.
    pub(crate) fn connections(&self) -> Connections {
        Connections {
            app: self.id.to_string(),
            subscriptions: self.hub.subscriptions(),
            users: self.hub.users.signed_in(),
        }
    }
}

#[cfg(test)]
mod tests {
    use pusher_protocol::{ChannelName, SocketId};

    use super::*;
    use crate::config::{AppConfig, AppId, AppKey};
    use crate::conn::{Frame, fake};
    use crate::hub::Announce;
    use crate::metrics::Metrics;
    use crate::webhooks::Webhooks;
    use crate::wheel::Wheel;

    /// One node reads every frame the other nodes publish. Written by that reader, a busy
    /// cluster's frames all wait for one core (`make bench-cluster` lost 2.3 of 6 million
    /// deliveries that way), so they are queued for the connections' own tasks; a trigger
    /// on this node still writes into free sockets itself.
    #[test]
    fn a_frame_from_another_node_is_queued_and_a_local_one_written() {
        let config =
            AppConfig::new(AppId::parse("1").unwrap(), AppKey::parse("key").unwrap(), "secret");
        let (webhooks, _jobs) = Webhooks::new(Metrics::default());
        let app = App::new(config, webhooks, None, Wheel::new());
        let channel = ChannelName::parse("invoices").unwrap();
        let (conn, socket) = fake::connection(SocketId::new(1, 1));
        app.hub.join(&conn, &channel, None, 10, Announce::Here).unwrap();

        let remote = Frame::from("from another node");
        app.hear(Notice::Frame { channel: &channel, frame: &remote, except: None });
        assert!(socket.took.lock().unwrap().is_empty(), "the reader wrote into the socket");
        assert_eq!(conn.hold(), None);
        assert_eq!(conn.pop().as_deref(), Some("from another node"));
        conn.release();

        let local = Frame::from("from this node");
        app.hub.publish(&channel, &local, None);
        assert_eq!(*socket.took.lock().unwrap(), [local]);
    }
}
