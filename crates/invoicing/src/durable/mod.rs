//! Durable work: rows written in a change's transaction (outbox events today; e-mails and
//! Web Push next) and carried out by a worker on each node, the one component they all use.
//!
//! A kind of work is a [`Work`]: a [`WorkTable`] to claim from, and how to perform a few
//! claimed rows. [`run`] is the one worker loop: claim a batch, perform it step by step, mark
//! rows done, give back on failure, retry with back-off.
//!
//! # Guarantees
//! - **At least once.** A row is marked done only after [`Work::perform`] reported it done,
//!   so a crash in between performs it again. Performing must tolerate repeats (outbox events
//!   carry an `eventId`).
//! - **In order per key.** Workers claim whole keys through their oldest pending row
//!   ([`crate::store::claims`]), so a key's rows are performed in `seq` order, one worker at a
//!   time; rows of different keys may be performed in parallel, on one node or several.
//! - **Leases.** Claimed rows are leased to the worker for [`WorkerOptions::lease`], renewed
//!   every third of it while the worker works on them. A worker that finds some of its rows
//!   taken over (its renewal came too late) stops and claims afresh.
//! - **Give-back.** A temporary failure leaves the row in its place (attempts counted), gives
//!   back everything the worker holds so a healthy node can take it at once, and waits
//!   ([`WorkerOptions::initial_backoff`] doubling to [`WorkerOptions::max_backoff`]) before
//!   claiming again. A row retrying cannot help is set aside as failed, so it cannot block
//!   its key. Stopping gives back too.
//! - **Takeover.** Claims name the worker's [`NodeId`]. A restarted node with the same id
//!   takes its dead predecessor's claims back at start, at once. Another node takes a dead
//!   node's claims once their lease runs out, which renewal keeps short: within
//!   [`WorkerOptions::lease`] plus one [`WorkerOptions::poll_interval`] (8 s by default).
//!   A node id must belong to one live process at a time; [`NodeId::in_dir`] keeps one per
//!   data directory.

mod node;
mod worker;

use std::future::Future;
use std::time::Duration;

use sqlx::any::AnyRow;

use crate::store::{Claimed, WorkTable};

pub use node::{NodeId, NodeIdError};
pub use worker::run;

/// A kind of durable work.
pub trait Work: Send + Sync {
    /// A claimed row.
    type Item: Claimed + for<'r> sqlx::FromRow<'r, AnyRow> + Send + Sync + Unpin;
    /// Why performing failed.
    type Error: std::error::Error + Send + Sync + 'static;
    /// Where the rows are.
    const TABLE: &'static WorkTable;
    /// The worker's name in logs.
    const NAME: &'static str;
    /// Most rows in one [`Work::perform`] call.
    const STEP: usize;
    /// Most keys claimed at once.
    const KEYS: i64;

    /// Performs `items` (at most [`Work::STEP`]) in order, stopping at the first failure.
    fn perform(&self, items: &[Self::Item]) -> impl Future<Output = Performed<Self::Error>> + Send;

    /// Whether retrying `error` cannot help, so its row is set aside.
    fn is_permanent(error: &Self::Error) -> bool;
}

/// How far [`Work::perform`] got.
#[derive(Debug)]
pub struct Performed<E> {
    /// The first `done` items are done.
    pub done: usize,
    /// Why the next one is not; `None` when all are.
    pub failure: Option<E>,
}

/// Timing of a worker.
#[derive(Debug, Clone, Copy)]
pub struct WorkerOptions {
    /// Wait after the first failure.
    pub initial_backoff: Duration,
    /// Longest wait between attempts.
    pub max_backoff: Duration,
    /// How often to look for rows written by another process, or left by a dead node (this
    /// process notifies itself of its own).
    pub poll_interval: Duration,
    /// How long claimed rows stay the worker's without renewal: after a crash, other nodes
    /// wait at most this long before taking them over.
    pub lease: Duration,
    /// Longest [`Work::perform`] call; one that takes longer counts as a temporary failure.
    pub step_timeout: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            poll_interval: Duration::from_secs(2),
            lease: Duration::from_secs(6),
            step_timeout: Duration::from_secs(10),
        }
    }
}

/// `error` and its sources, `: `-separated, as logs and `last_error` record it.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(next) = source {
        text.push_str(": ");
        text.push_str(&next.to_string());
        source = next.source();
    }
    text
}
