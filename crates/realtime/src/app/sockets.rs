//! Every open connection of one app on this node, so that disabling the app can close them
//! all. Touched on connect and disconnect only, never per frame; sharded so a connection
//! storm does not queue on one lock.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard};

use pusher_protocol::{ErrorCode, SocketId};

use crate::conn::ConnHandle;

const SHARDS: usize = 16;

#[derive(Debug, Default)]
pub(super) struct Sockets {
    shards: [Mutex<HashMap<SocketId, ConnHandle>>; SHARDS],
    hasher: RandomState,
}

impl Sockets {
    fn shard(&self, socket_id: SocketId) -> MutexGuard<'_, HashMap<SocketId, ConnHandle>> {
        let shard = self.hasher.hash_one(socket_id) as usize % SHARDS;
        self.shards[shard].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(super) fn insert(&self, conn: &ConnHandle) {
        self.shard(conn.socket_id()).insert(conn.socket_id(), conn.clone());
    }

    pub(super) fn remove(&self, socket_id: SocketId) {
        self.shard(socket_id).remove(&socket_id);
    }

    /// Kicks every connection; each one's task then ends it and calls `remove`.
    pub(super) fn kick_all(&self, code: ErrorCode, reason: &'static str) {
        for shard in &self.shards {
            let conns: Vec<ConnHandle> = shard
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .values()
                .cloned()
                .collect();
            for conn in conns {
                conn.kick(code, reason);
            }
        }
    }
}
