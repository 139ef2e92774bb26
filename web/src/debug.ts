//! The debug switch (Settings, or `?debug=1` in any page's address; `?debug=0` turns it off):
//! logs connection state changes, subscriptions and received events to the browser console,
//! as the troubleshooting steps of the integration guide expect. It observes the pusher-js
//! client from outside (`instrument`), so the realtime code stays as it is.

import type { PusherLike } from './realtime/client';
import { settings, type SettingsStore } from './settings';

/** Where debug lines go: the console, or a test's array. */
export type DebugSink = (...args: unknown[]) => void;

const PREFIX = '[paybell]';

/** Applies `?debug=1` / `?debug=0` from a page address to the settings. */
export function applyDebugParam(search: string, store: Pick<SettingsStore, 'update'> = settings): void {
  const value = new URLSearchParams(search).get('debug');
  if (value === '1' || value === 'true') store.update({ debug: true });
  else if (value === '0' || value === 'false') store.update({ debug: false });
}

/** The part of a pusher-js connection's incoming message that is logged. */
interface Message {
  event?: unknown;
  channel?: unknown;
  data?: unknown;
}

function describeMessage(message: Message): unknown[] | null {
  const event = typeof message.event === 'string' ? message.event : '?';
  const channel = typeof message.channel === 'string' ? message.channel : undefined;
  if (event === 'pusher_internal:subscription_succeeded') return ['subscribed', channel];
  if (event === 'pusher:error') return ['server error', message.data];
  if (event.startsWith('pusher')) return null; // pings, connection frames: noise
  return ['event', event, channel ? `on ${channel}` : '', message.data];
}

/**
 * Returns `pusher` with its subscribe/unsubscribe logged, and logs its state changes and
 * incoming events, each only while `enabled()` says so (the switch works without a reload).
 */
export function instrument<P extends PusherLike>(
  pusher: P,
  enabled: () => boolean = () => settings.get().debug,
  sink: DebugSink = (...args) => console.info(PREFIX, ...args),
): P {
  const log = (...args: unknown[]) => {
    if (enabled()) sink(...args);
  };
  pusher.connection.bind('state_change', (change) => {
    const { previous, current } = (change ?? {}) as { previous?: unknown; current?: unknown };
    log('connection', `${String(previous)} → ${String(current)}`);
  });
  pusher.connection.bind('message', (message) => {
    const line = describeMessage((message ?? {}) as Message);
    if (line) log(...line);
  });
  const subscribe = pusher.subscribe.bind(pusher);
  const unsubscribe = pusher.unsubscribe.bind(pusher);
  pusher.subscribe = (name: string) => {
    log('subscribe', name);
    return subscribe(name);
  };
  pusher.unsubscribe = (name: string) => {
    log('unsubscribe', name);
    unsubscribe(name);
  };
  return pusher;
}
