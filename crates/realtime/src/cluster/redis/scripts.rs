//! The Lua scripts that change shared state. Each runs atomically in Redis, so when two
//! nodes race (the same user joining on both, two nodes reaping one dead node) exactly one
//! of them sees the change and announces it.
//!
//! Every subscription and sign-in is recorded per socket in its node's hash, which makes
//! joins and leaves idempotent and lets a dead node's share be taken back exactly.
//!
//! Key layout (`P` is the prefix; every key a script touches is built by `Keys` in Rust or,
//! for the cleanup of a node, by the same rule in Lua):
//! - `P:nodes`: sorted set of node ids by lease expiry (ms, Redis clock);
//! - `P:node:N`: hash of node N's records: `s\nAPP\nCHANNEL\nSOCKET` → presence user id or
//!   ``, and `u\nAPP\nSOCKET` → signed-in user id;
//! - `P:app:A:channels`: hash channel → subscribers on every node;
//! - `P:app:A:members:C`, `P:app:A:info:C`: presence user → connections, and → `user_info`;
//! - `P:app:A:versions`: hash presence channel → version of its member list, bumped by every
//!   member added or removed. Versions are Redis clock microseconds (and at least one more
//!   than the last), so they keep growing across a Redis restart that lost the hash;
//! - `P:app:A:online`: hash signed-in user → connections;
//! - `P:app:A:cache:C`, `P:app:A:miss:C`: a cache channel's last event, and its reported miss;
//! - `P:node:N:connections`: hash app → node N's open connections at its last lease round,
//!   expiring with its lease (and deleted when the node is released).

use std::sync::LazyLock;

use redis::Script;

/// Lua: `bump(versions_key, channel)` gives the channel's member list a new, larger version
/// and returns it as a decimal string (Lua numbers would print large values as `1.7e+15`).
const BUMP: &str = r"
local function bump(key, channel)
  local t = redis.call('TIME')
  local version = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = tonumber(redis.call('HGET', key, channel) or '0')
  if version <= last then version = last + 1 end
  local text = string.format('%.0f', version)
  redis.call('HSET', key, channel, text)
  return text
end
";

/// Lua: the current version of a channel's member list, as a string.
const CURRENT: &str = r"
local function current(key, channel)
  return redis.call('HGET', key, channel) or '0'
end
";

/// KEYS: node hash, channels, members, info, versions. ARGV: record, channel, user id or
/// ``, user_info, most members. Returns `{count, member_added, new_record, members,
/// version}` where members is a flat `user, info` list of that version; `{-1, ...}` when
/// the presence channel is full.
pub(super) static JOIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{BUMP}{CURRENT}{}",
        r"
local user = ARGV[3]
local added = 0
local fresh = 0
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  fresh = 1
  if user ~= '' then
    if redis.call('HEXISTS', KEYS[3], user) == 0 then
      if redis.call('HLEN', KEYS[3]) >= tonumber(ARGV[5]) then
        return {-1, 0, 0, {}, '0'}
      end
      added = 1
      redis.call('HSET', KEYS[4], user, ARGV[4])
    end
    redis.call('HINCRBY', KEYS[3], user, 1)
  end
  redis.call('HSET', KEYS[1], ARGV[1], user)
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
end
local count = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
local members = {}
local version = '0'
if user ~= '' then
  if added == 1 then version = bump(KEYS[5], ARGV[2]) else version = current(KEYS[5], ARGV[2]) end
  members = redis.call('HGETALL', KEYS[4])
end
return {count, added, fresh, members, version}
"
    ))
});

/// KEYS: node hash, channels, members, info, versions. ARGV: record, channel. Returns
/// `{count, member_removed, user, version}`, or `{-1, 0, '', '0'}` when there was no such
/// record.
pub(super) static LEAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{BUMP}{}",
        r"
local user = redis.call('HGET', KEYS[1], ARGV[1])
if not user then return {-1, 0, '', '0'} end
redis.call('HDEL', KEYS[1], ARGV[1])
local removed = 0
local version = '0'
if user ~= '' and redis.call('HINCRBY', KEYS[3], user, -1) <= 0 then
  redis.call('HDEL', KEYS[3], user)
  redis.call('HDEL', KEYS[4], user)
  removed = 1
  version = bump(KEYS[5], ARGV[2])
end
local count = redis.call('HINCRBY', KEYS[2], ARGV[2], -1)
if count <= 0 then
  redis.call('HDEL', KEYS[2], ARGV[2])
  count = 0
end
return {count, removed, user, version}
"
    ))
});

/// KEYS: node hash, online. ARGV: record, user id, watched ids…. Returns
/// `{first_connection, online_watched_ids}`.
pub(super) static SIGN_IN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local first = 0
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then first = 1 end
end
local online = {}
for i = 3, #ARGV do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then table.insert(online, ARGV[i]) end
end
return {first, online}
",
    )
});

/// KEYS: node hash, online. ARGV: record. Returns the user id when it was the user's last
/// connection, else ``.
pub(super) static SIGN_OUT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local user = redis.call('HGET', KEYS[1], ARGV[1])
if not user then return '' end
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
  redis.call('HDEL', KEYS[2], user)
  return user
end
return ''
",
    )
});

/// KEYS: nodes. ARGV: node id, lease ms. Renews the lease; returns 1 when the node was
/// not registered (new, reaped by the others, or Redis lost its data).
pub(super) static RENEW: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
return redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
",
    )
});

/// KEYS: nodes. ARGV: prefix, node id to release or `` for every expired node, this node
/// (never reaped by itself). Takes the nodes' records back from the shared counts and
/// returns what changed, one string each: `c\nAPP\nCHANNEL\nCOUNT` per channel touched,
/// `m\nAPP\nCHANNEL\nVERSION\nUSER` per presence member gone, `o\nAPP\nUSER` per user gone
/// offline.
pub(super) static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{BUMP}{}",
        r"
local prefix = ARGV[1]
local nodes
if ARGV[2] ~= '' then
  nodes = {ARGV[2]}
else
  local t = redis.call('TIME')
  local now = t[1] * 1000 + math.floor(t[2] / 1000)
  nodes = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
end
local out = {}
local counts = {}
for _, node in ipairs(nodes) do
  if node ~= ARGV[3] or ARGV[2] ~= '' then
    local key = prefix .. ':node:' .. node
    local records = redis.call('HGETALL', key)
    for i = 1, #records, 2 do
      local record, user = records[i], records[i + 1]
      local kind = string.sub(record, 1, 1)
      if kind == 's' then
        local app, channel = string.match(record, '^s\n([^\n]*)\n([^\n]*)\n')
        local base = prefix .. ':app:' .. app
        local count = redis.call('HINCRBY', base .. ':channels', channel, -1)
        if count <= 0 then
          redis.call('HDEL', base .. ':channels', channel)
          count = 0
        end
        counts[app .. '\n' .. channel] = count
        if user ~= '' then
          local members = base .. ':members:' .. channel
          if redis.call('HINCRBY', members, user, -1) <= 0 then
            redis.call('HDEL', members, user)
            redis.call('HDEL', base .. ':info:' .. channel, user)
            local version = bump(base .. ':versions', channel)
            table.insert(out, 'm\n' .. app .. '\n' .. channel .. '\n' .. version .. '\n' .. user)
          end
        end
      elseif kind == 'u' then
        local app = string.match(record, '^u\n([^\n]*)\n')
        local online = prefix .. ':app:' .. app .. ':online'
        if redis.call('HINCRBY', online, user, -1) <= 0 then
          redis.call('HDEL', online, user)
          table.insert(out, 'o\n' .. app .. '\n' .. user)
        end
      end
    end
    redis.call('DEL', key)
    redis.call('DEL', key .. ':connections')
    redis.call('ZREM', KEYS[1], node)
  end
end
for channel, count in pairs(counts) do
  table.insert(out, 'c\n' .. channel .. '\n' .. count)
end
return out
"
    ))
});

/// KEYS: nodes. ARGV: prefix, this node, ttl ms, then `app, connections` pairs. Replaces
/// this node's counts (kept for `ttl`, as long as its lease) and returns the flat list
/// `app, connections` summed over the other nodes whose lease holds.
pub(super) static CONNECTIONS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local prefix, me = ARGV[1], ARGV[2]
local key = prefix .. ':node:' .. me .. ':connections'
redis.call('DEL', key)
for i = 4, #ARGV, 2 do
  redis.call('HSET', key, ARGV[i], ARGV[i + 1])
end
if #ARGV >= 4 then redis.call('PEXPIRE', key, ARGV[3]) end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local sums = {}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf')) do
  if node ~= me then
    local counts = redis.call('HGETALL', prefix .. ':node:' .. node .. ':connections')
    for i = 1, #counts, 2 do
      sums[counts[i]] = (sums[counts[i]] or 0) + tonumber(counts[i + 1])
    end
  end
end
local out = {}
for app, sum in pairs(sums) do
  table.insert(out, app)
  table.insert(out, string.format('%d', sum))
end
return out
",
    )
});

/// KEYS: cache, miss. ARGV: ttl ms. Returns 1 when the channel has no cached event and no
/// miss was reported within the ttl (and records this one).
pub(super) static FIRST_MISS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
",
    )
});
