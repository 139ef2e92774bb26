//! The Debug Console's sign-in throttle in Redis, so every node counts the same failures:
//! one hash per key (`P:console:throttle:KEY`: failures, last, blocked until; ms on the
//! Redis clock) that expires once forgotten. The policy is `limits::SIGN_IN_*`, the same
//! as the in-memory throttle of a node alone.

use std::sync::LazyLock;

use redis::{Script, ScriptInvocation};

use crate::limits::{SIGN_IN_FIRST_WAIT, SIGN_IN_MAX_FAILURES, SIGN_IN_MAX_WAIT, SIGN_IN_WINDOW};

/// The Redis key of a throttle key (`app:ID` or `addr:IP`, already bounded in length).
pub(super) fn key(prefix: &str, key: &str) -> String {
    format!("{prefix}:console:throttle:{key}")
}

const NOW: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
";

/// KEYS: the counters. Returns the longest wait left among them, in ms (0: none).
pub(super) static WAIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{NOW}{}",
        r"
local wait = 0
for _, key in ipairs(KEYS) do
  local blocked = tonumber(redis.call('HGET', key, 'blocked') or '0') or 0
  if blocked - now > wait then wait = blocked - now end
end
return wait
"
    ))
});

/// KEYS: the counters. ARGV: max failures, window, first wait, max wait (ms). Counts one
/// failure against each key: a failure more than a window after the last starts again at
/// one; from the limit on, a wait that doubles, and the window counts from its end.
pub(super) static FAILED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        "{NOW}{}",
        r"
local max, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local first, longest = tonumber(ARGV[3]), tonumber(ARGV[4])
for _, key in ipairs(KEYS) do
  local stored = redis.call('HMGET', key, 'failures', 'last')
  local failures = tonumber(stored[1]) or 0
  local last = tonumber(stored[2]) or now
  if now - last >= window then failures = 0 end
  failures = failures + 1
  last = now
  local blocked = 0
  if failures >= max then
    local wait = math.min(first * 2 ^ math.min(failures - max, 10), longest)
    blocked = now + wait
    last = blocked
  end
  redis.call('HSET', key, 'failures', failures, 'last', last, 'blocked', blocked)
  redis.call('PEXPIRE', key, last - now + window)
end
return 0
"
    ))
});

/// The policy's figures, as [`FAILED`]'s arguments.
pub(super) fn policy_args(invocation: &mut ScriptInvocation<'_>) {
    let ms = |d: std::time::Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    invocation
        .arg(SIGN_IN_MAX_FAILURES)
        .arg(ms(SIGN_IN_WINDOW))
        .arg(ms(SIGN_IN_FIRST_WAIT))
        .arg(ms(SIGN_IN_MAX_WAIT));
}
