//! Signed-in users: their connections (for `terminate_connections`) and who watches them
//! (for watchlist online/offline events).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use pusher_protocol::{ErrorCode, ServerMessage, SocketId, WatchlistChange, WatchlistEvent};

use crate::conn::{ConnHandle, frame};

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

    /// Records a sign-in. The user's first connection tells its watchers it is online.
    /// Returns the watched users that are online now.
    pub(crate) fn sign_in(
        &self,
        conn: &ConnHandle,
        user_id: &Arc<str>,
        watchlist: &[Arc<str>],
    ) -> Vec<String> {
        let mut inner = self.lock();
        let connections = inner.online.entry(user_id.clone()).or_default();
        let first = connections.is_empty();
        connections.insert(conn.socket_id(), conn.clone());
        if first {
            notify(&inner, user_id, WatchlistChange::Online);
        }
        for watched in watchlist {
            inner
                .watchers
                .entry(watched.clone())
                .or_default()
                .insert(conn.socket_id(), conn.clone());
        }
        watchlist
            .iter()
            .filter(|w| inner.online.get(*w).is_some_and(|c| !c.is_empty()))
            .map(|w| w.to_string())
            .collect()
    }

    /// Forgets a signed-in connection. The user's last connection tells its watchers it is
    /// offline.
    pub(crate) fn sign_out(&self, socket_id: SocketId, user_id: &Arc<str>, watchlist: &[Arc<str>]) {
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
            return;
        };
        connections.remove(&socket_id);
        if connections.is_empty() {
            inner.online.remove(user_id);
            notify(&inner, user_id, WatchlistChange::Offline);
        }
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

fn notify(inner: &Inner, user_id: &str, change: WatchlistChange) {
    let Some(watchers) = inner.watchers.get(user_id) else {
        return;
    };
    let events = [WatchlistEvent { name: change, user_ids: vec![user_id.to_owned()] }];
    let event = frame(&ServerMessage::WatchlistEvents { events: &events });
    for conn in watchers.values() {
        conn.send(&event);
    }
}
