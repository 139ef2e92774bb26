//! What the Debug Console shares through Redis (the `Consoles` capability): debug records
//! over the bus while some console watches, the sign-in throttle, the Overview's samples.
//!
//! Which apps a console watches is one hash, `P:consoles` (`APP\nNODE` → expiry, Redis
//! clock), refreshed each second by every node in one script call: a node writes the apps
//! its consoles watch and reads the apps watched elsewhere. A node relays records only for
//! those, so with no console open anywhere a publish never touches Redis for them (the tap's
//! one atomic load), and the cost of knowing is one small call per node per second. A
//! console that opens also writes its entry at once and says so on the bus (`C`), so the
//! other nodes start relaying without waiting for their round.

use std::sync::Arc;
use std::sync::LazyLock;
use std::time::Duration;

use redis::Script;
use tokio_util::sync::CancellationToken;

use super::bus::{self, Message};
use super::{OUTGOING_QUEUE, Outgoing, RedisCluster, throttle};
use crate::cluster::{ClusterError, Consoles, Inbound, NodeSamples};
use crate::tap::Item;

/// How often a node says which apps its consoles watch, and hears the others.
const TICK: Duration = Duration::from_secs(1);
/// How long a node's word that its console watches holds, should it stop refreshing it.
const WATCH_TTL: Duration = Duration::from_secs(5);
/// How long the Overview's samples are kept, and how many per node and app at most.
const SAMPLES_FOR: Duration = Duration::from_secs(60 * 60);
const SAMPLES_KEPT: isize = 400;

/// KEYS: the consoles hash. ARGV: ttl ms, this node, then the apps its consoles watch.
/// Writes this node's apps, forgets its others and every expired entry, and returns the
/// apps watched by another node.
static WATCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local node = ARGV[2]
local mine = {}
for i = 3, #ARGV do
  mine[ARGV[i] .. '\n' .. node] = true
  redis.call('HSET', KEYS[1], ARGV[i] .. '\n' .. node, now + ttl)
end
local elsewhere = {}
local entries = redis.call('HGETALL', KEYS[1])
for i = 1, #entries, 2 do
  local field, expiry = entries[i], tonumber(entries[i + 1]) or 0
  local app, owner = string.match(field, '^(.*)\n([^\n]*)$')
  if expiry < now or app == nil or (owner == node and not mine[field]) then
    redis.call('HDEL', KEYS[1], field)
  elseif owner ~= node then
    table.insert(elsewhere, app)
  end
end
if #ARGV > 2 then redis.call('PEXPIRE', KEYS[1], ttl * 2) end
return elsewhere
",
    )
});

/// KEYS: the consoles hash. ARGV: ttl ms, this node's entry for the app. Writes it alone.
static OPEN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[2], now + tonumber(ARGV[1]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]) * 2)
return 0
",
    )
});

impl RedisCluster {
    fn consoles_key(&self) -> String {
        format!("{}:consoles", self.keys.prefix)
    }

    fn samples_key(&self, app: &str, node: &str) -> String {
        format!("{}:app:{app}:samples:{node}", self.keys.prefix)
    }

    fn sample_nodes_key(&self, app: &str) -> String {
        format!("{}:app:{app}:sample_nodes", self.keys.prefix)
    }

    /// Every [`TICK`] until `shutdown`: says which apps this node's consoles watch and
    /// tells every app whether one elsewhere does. While Redis fails, the last answer holds.
    pub(super) async fn watch_consoles(
        self: Arc<Self>,
        inbound: Arc<dyn Inbound>,
        shutdown: CancellationToken,
    ) {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            match self.exchange_consoles(&inbound.consoles_here()).await {
                Ok(elsewhere) => {
                    inbound.consoles_elsewhere(&|app| elsewhere.iter().any(|a| a == app));
                }
                Err(error) => {
                    self.metrics.redis_error();
                    tracing::debug!(node = %self.node, %error, "console watch call failed");
                }
            }
        }
    }

    /// Writes the apps watched here; returns those watched elsewhere.
    async fn exchange_consoles(&self, here: &[String]) -> Result<Vec<String>, ClusterError> {
        let mut invocation = WATCH.prepare_invoke();
        let ttl = u64::try_from(WATCH_TTL.as_millis()).unwrap_or(u64::MAX);
        invocation.key(self.consoles_key()).arg(ttl).arg(&self.node);
        for app in here {
            invocation.arg(app);
        }
        let mut conn = self.conn.clone();
        self.call(invocation.invoke_async(&mut conn)).await
    }
}

impl Consoles for RedisCluster {
    fn node(&self) -> &str {
        &self.node
    }

    /// Queued behind the frames only while the queue is at most half full, so debug
    /// records never take a frame's place.
    fn relay(&self, app: &str, item: &Item) -> bool {
        if self.outgoing.capacity() < OUTGOING_QUEUE / 2 {
            return false;
        }
        let message = match item {
            Item::Record(record) => Message::Record { record },
            Item::Skipped(count) => Message::Skipped { count: *count },
        };
        let bytes = bus::encode(&self.node, app, &message);
        let channel = self.keys.bus();
        self.outgoing.try_send(Outgoing::Publish { channel, bytes, echo: false }).is_ok()
    }

    /// The entry first (so no node's next round undoes the news), then the news on the bus.
    async fn watching(&self, app: &str) {
        let mut invocation = OPEN.prepare_invoke();
        let ttl = u64::try_from(WATCH_TTL.as_millis()).unwrap_or(u64::MAX);
        invocation.key(self.consoles_key()).arg(ttl).arg(format!("{app}\n{}", self.node));
        let mut conn = self.conn.clone();
        if let Err(error) = self.call(invocation.invoke_async::<()>(&mut conn)).await {
            self.metrics.redis_error();
            tracing::debug!(node = %self.node, %error, "console watch call failed");
            return;
        }
        self.send_bus(app, &Message::Watching);
    }

    async fn throttle_wait(&self, keys: &[String]) -> Result<Option<Duration>, ClusterError> {
        let mut invocation = throttle::WAIT.prepare_invoke();
        for key in keys {
            invocation.key(throttle::key(&self.keys.prefix, key));
        }
        let mut conn = self.conn.clone();
        let wait_ms: u64 = self.call(invocation.invoke_async(&mut conn)).await?;
        Ok((wait_ms > 0).then(|| Duration::from_millis(wait_ms)))
    }

    async fn throttle_failed(&self, keys: &[String]) -> Result<(), ClusterError> {
        let mut invocation = throttle::FAILED.prepare_invoke();
        for key in keys {
            invocation.key(throttle::key(&self.keys.prefix, key));
        }
        throttle::policy_args(&mut invocation);
        let mut conn = self.conn.clone();
        self.call(invocation.invoke_async::<()>(&mut conn)).await
    }

    async fn throttle_succeeded(&self, keys: &[String]) -> Result<(), ClusterError> {
        let mut command = redis::cmd("DEL");
        for key in keys {
            command.arg(throttle::key(&self.keys.prefix, key));
        }
        let mut conn = self.conn.clone();
        self.call(command.query_async::<()>(&mut conn)).await
    }

    async fn store_samples(&self, samples: &[(String, String)]) -> Result<(), ClusterError> {
        let ttl = u64::try_from(SAMPLES_FOR.as_millis()).unwrap_or(u64::MAX);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let mut pipe = redis::pipe();
        for (app, sample) in samples {
            let (list, nodes) = (self.samples_key(app, &self.node), self.sample_nodes_key(app));
            pipe.cmd("RPUSH").arg(&list).arg(sample).ignore();
            pipe.cmd("LTRIM").arg(&list).arg(-SAMPLES_KEPT).arg(-1).ignore();
            pipe.cmd("PEXPIRE").arg(&list).arg(ttl).ignore();
            pipe.cmd("HSET").arg(&nodes).arg(&self.node).arg(now).ignore();
            pipe.cmd("PEXPIRE").arg(&nodes).arg(ttl).ignore();
        }
        if pipe.is_empty() {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        self.call(pipe.query_async::<()>(&mut conn)).await
    }

    async fn samples(&self, app: &str) -> Result<Vec<NodeSamples>, ClusterError> {
        let mut conn = self.conn.clone();
        let nodes_key = self.sample_nodes_key(app);
        let nodes: Vec<String> =
            self.call(redis::cmd("HKEYS").arg(&nodes_key).query_async(&mut conn)).await?;
        let mut pipe = redis::pipe();
        for node in &nodes {
            pipe.cmd("LRANGE").arg(self.samples_key(app, node)).arg(0).arg(-1);
        }
        let lists: Vec<Vec<String>> = if nodes.is_empty() {
            Vec::new()
        } else {
            self.call(pipe.query_async(&mut conn)).await?
        };
        let mut found = Vec::new();
        let mut gone = Vec::new();
        for (node, samples) in nodes.into_iter().zip(lists) {
            if samples.is_empty() {
                gone.push(node);
            } else {
                found.push(NodeSamples { node, samples });
            }
        }
        if !gone.is_empty() {
            // Nodes whose samples expired (stopped over an hour ago): forget them.
            let forget = redis::cmd("HDEL").arg(&nodes_key).arg(&gone).to_owned();
            let _ = self.call(forget.query_async::<()>(&mut conn)).await;
        }
        Ok(found)
    }
}
