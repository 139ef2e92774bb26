// Waiting: polling a predicate, pusher-js style events and connection states, all bounded.

/** Default per-wait timeout (ms). Every wait in the suite stays at or below 5 s. */
export const WAIT_MS = 5000;

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Resolve with the first truthy value of `predicate()` (polled every 10 ms), reject with
 * `Timed out after N ms waiting for <what>` otherwise (`what` may be a function, called
 * only on timeout, to describe the state at that moment).
 */
export async function waitFor(predicate, timeoutMs = WAIT_MS, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await predicate();
    if (v) return v;
    if (Date.now() >= deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(10);
  }
}

/**
 * Wait for `event` on anything with pusher-js style `bind`/`unbind` (a channel, the
 * connection, `pusher.user`, a watchlist). Resolves with the event data; `filter` may
 * reject some payloads.
 */
export function waitEvent(target, event, { timeoutMs = WAIT_MS, what, filter } = {}) {
  return new Promise((resolve, reject) => {
    const handler = (data, meta) => {
      if (filter && !filter(data, meta)) return;
      clearTimeout(timer);
      target.unbind(event, handler);
      resolve(data);
    };
    const timer = setTimeout(() => {
      target.unbind(event, handler);
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for event "${event}"${what ? ` (${what})` : ''}`));
    }, timeoutMs);
    target.bind(event, handler);
  });
}

/** Collect every payload of `event` on a pusher-js bindable into an array. */
export function collect(target, event) {
  const seen = [];
  target.bind(event, (data, meta) => seen.push({ data, meta }));
  return seen;
}

/** Wait for a pusher-js connection to reach `state`. */
export function waitState(pusher, state, timeoutMs = WAIT_MS) {
  if (pusher.connection.state === state) return Promise.resolve();
  return waitEvent(pusher.connection, 'state_change', {
    timeoutMs,
    what: `connection state "${state}" (now "${pusher.connection.state}")`,
    filter: (s) => s.current === state,
  });
}
