//! Signed-in users: their connections (for `terminate_connections`) and who watches them
//! (for watchlist online/offline events).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use pusher_protocol::{ErrorCode, ServerMessage, SocketId, WatchlistChange, WatchlistEvent};

use crate::conn::{ConnHandle, frame};

/// What a sign-in changed.
#[derive(Debug)]
pub(crate) struct SignIn {
    /// The user had no other connection here.
    pub(crate) first: bool,
    /// The watched users online here now.
    pub(crate) online: Vec<String>,
}

/// Signed-in users of one app.
#[derive(Debug, Default)]
pub(crate) struct Users {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Connections signed in as each user.
    online: HashMap<Arc<str>, HashMap<SocketId, ConnHandle>>,
    /// Connections watching each user.
    watchers: HashMap<Arc<str>, HashMap<SocketId, ConnHandle>>,
}

impl Users {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a sign-in. Telling watchers that the user came online is the caller's part,
    /// as it may be cluster-wide.
    pub(crate) fn sign_in(
        &self,
        conn: &ConnHandle,
        user_id: &Arc<str>,
        watchlist: &[Arc<str>],
    ) -> SignIn {
        let mut inner = self.lock();
        let connections = inner.online.entry(user_id.clone()).or_default();
        let first = connections.is_empty();
        connections.insert(conn.socket_id(), conn.clone());
        for watched in watchlist {
            inner
                .watchers
                .entry(watched.clone())
                .or_default()
                .insert(conn.socket_id(), conn.clone());
        }
        let online = watchlist
            .iter()
            .filter(|w| inner.online.get(*w).is_some_and(|c| !c.is_empty()))
            .map(|w| w.to_string())
            .collect();
        SignIn { first, online }
    }

    /// Forgets a signed-in connection; `true` when it was the user's last one here.
    pub(crate) fn sign_out(
        &self,
        socket_id: SocketId,
        user_id: &Arc<str>,
        watchlist: &[Arc<str>],
    ) -> bool {
        let mut inner = self.lock();
        for watched in watchlist {
            if let Some(watchers) = inner.watchers.get_mut(watched) {
                watchers.remove(&socket_id);
                if watchers.is_empty() {
                    inner.watchers.remove(watched);
                }
            }
        }
        let Some(connections) = inner.online.get_mut(user_id) else {
            return false;
        };
        connections.remove(&socket_id);
        let last = connections.is_empty();
        if last {
            inner.online.remove(user_id);
        }
        last
    }

    /// Tells this node's watchers of `user_id` that it came online or went offline.
    pub(crate) fn notify(&self, user_id: &str, change: WatchlistChange) {
        let inner = self.lock();
        let Some(watchers) = inner.watchers.get(user_id) else {
            return;
        };
        let events = [WatchlistEvent { name: change, user_ids: vec![user_id.to_owned()] }];
        let event = frame(&ServerMessage::WatchlistEvents { events: &events });
        for conn in watchers.values() {
            conn.send(&event);
        }
    }

    /// Every signed-in connection on this node and its user.
    pub(crate) fn signed_in(&self) -> Vec<(SocketId, Arc<str>)> {
        let inner = self.lock();
        let by_user = inner.online.iter();
        by_user.flat_map(|(user, conns)| conns.keys().map(|s| (*s, user.clone()))).collect()
    }

    /// Closes every connection signed in as `user_id` with 4009. Returns how many.
    pub(crate) fn terminate(&self, user_id: &str) -> usize {
        let inner = self.lock();
        let Some(connections) = inner.online.get(user_id) else {
            return 0;
        };
        for conn in connections.values() {
            conn.kick(ErrorCode::Unauthorized, "Connection terminated for this user");
        }
        connections.len()
    }
}
