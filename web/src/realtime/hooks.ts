//! React's view of the realtime client: the connection state, and a channel
//! watched while a component is mounted, with cleanup.

import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { WatchHandlers } from './client';
import type { LogReader } from './replay';
import type { ConnectionSnapshot } from './connection';
import { connectionStore, getRealtime } from './instance';

export function useConnection(): ConnectionSnapshot {
  return useSyncExternalStore(connectionStore.subscribe, connectionStore.get, connectionStore.get);
}

/** How long a page waits before asking for the realtime settings again after a failure. */
const RETRY_SETTINGS_MS = 5000;

export interface ChannelSpec {
  /** The channel's name given whether the server uses `private-` channels. */
  name(privateChannels: boolean): string;
  events: readonly string[];
  /** The channel's event log, so what was missed while cut off is replayed. */
  log?: LogReader;
}

/**
 * Watches a channel while the component is mounted (or while `spec` is not
 * null). Handlers may change between renders without resubscribing.
 */
export function useChannel(spec: ChannelSpec | null, handlers: WatchHandlers): void {
  const latest = useRef(handlers);
  useEffect(() => {
    latest.current = handlers;
  });
  const key = spec ? `${spec.name(false)}|${spec.events.join(',')}` : null;
  const specRef = useRef(spec);
  specRef.current = spec;
  useEffect(() => {
    const current = specRef.current;
    if (!current) return;
    let cancelled = false;
    let stop: (() => void) | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const start = () => {
      getRealtime()
        .then((client) => {
          if (cancelled) return;
          const handlers: WatchHandlers = {
            onEvent: (name, event) => latest.current.onEvent(name, event),
            onResync: () => latest.current.onResync(),
            onError: (message) => latest.current.onError?.(message),
          };
          if (latest.current.onReplay) {
            handlers.onReplay = (events) => {
              const onReplay = latest.current.onReplay;
              if (onReplay) onReplay(events);
              else events.forEach(([name, event]) => latest.current.onEvent(name, event));
            };
          }
          stop = client.watch(current.name(client.privateChannels), current.events, handlers, current.log);
        })
        .catch(() => {
          // Shown by the connection indicator; try again while the page is open.
          if (!cancelled) retry = setTimeout(start, RETRY_SETTINGS_MS);
        });
    };
    start();
    return () => {
      cancelled = true;
      if (retry !== undefined) clearTimeout(retry);
      stop?.();
    };
  }, [key]);
}
