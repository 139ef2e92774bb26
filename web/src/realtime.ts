//! The one place that talks to pusher-js. It resolves the connection settings
//! (`VITE_PUSHER_*` at build time, else `GET /api/config` at run time), builds
//! the app's single client, publishes the connection state for the indicator,
//! and lets pages watch a channel with cleanup. Events are validated and
//! de-duplicated by `eventId` before a page sees them. Because an event can be
//! missed while the socket is down, every watcher is told to re-sync after a
//! reconnect and whenever its channel (re)subscribes; pages answer by
//! re-fetching, coalesced by `Refetcher` so a burst costs one request.

import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { Options as PusherOptions } from 'pusher-js';
import { api, errorMessage, type RuntimeConfig } from './api';
import { EventDeduper, parseInvoiceEvent, type InvoiceEvent } from './events';

// ---------------------------------------------------------------- settings --

export interface RealtimeSettings {
  key: string;
  cluster: string;
  /** Absent for Pusher Cloud (the cluster decides the host). */
  wsHost?: string;
  wsPort?: number;
  forceTLS: boolean;
  privateChannels: boolean;
}

/** The build-time variables, as `import.meta.env` holds them. */
export interface BuildEnv {
  VITE_PUSHER_APP_KEY?: string;
  VITE_PUSHER_CLUSTER?: string;
  VITE_PUSHER_WS_HOST?: string;
  VITE_PUSHER_WS_PORT?: string;
  VITE_PUSHER_FORCE_TLS?: string;
}

/** Facts about the page the settings default from. */
export interface PageLocation {
  hostname: string;
  protocol: string;
}

const DEFAULT_CLUSTER = 'mt1';

function parseBool(name: string, raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  throw new Error(`${name} must be true or false, not "${raw}"`);
}

function parsePort(name: string, raw: string): number {
  const port = Number(raw.trim());
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name} must be a port number, not "${raw}"`);
  }
  return port;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * Resolves where to connect. Build-time `VITE_PUSHER_*` win when the app key is
 * set; otherwise everything comes from `/api/config`. Whether channels are
 * `private-` is a property of the server, so it is read from `/api/config` in
 * both cases (public channels when that fails and the build has settings).
 *
 * # Errors
 * A malformed build-time value, or `/api/config` failing when there is no
 * build-time key.
 */
export async function resolveRealtimeSettings(
  env: BuildEnv,
  fetchConfig: () => Promise<RuntimeConfig>,
  page: PageLocation,
): Promise<RealtimeSettings> {
  const pageIsHttps = page.protocol === 'https:';
  const key = nonEmpty(env.VITE_PUSHER_APP_KEY);
  if (key) {
    const host = nonEmpty(env.VITE_PUSHER_WS_HOST);
    const port = nonEmpty(env.VITE_PUSHER_WS_PORT);
    const tls = nonEmpty(env.VITE_PUSHER_FORCE_TLS);
    const settings: RealtimeSettings = {
      key,
      cluster: nonEmpty(env.VITE_PUSHER_CLUSTER) ?? DEFAULT_CLUSTER,
      forceTLS: tls === undefined ? pageIsHttps : parseBool('VITE_PUSHER_FORCE_TLS', tls),
      privateChannels: false,
    };
    if (host) settings.wsHost = host;
    if (port) settings.wsPort = parsePort('VITE_PUSHER_WS_PORT', port);
    if (settings.wsPort !== undefined && !settings.wsHost) settings.wsHost = page.hostname;
    try {
      settings.privateChannels = (await fetchConfig()).privateChannels;
    } catch {
      // A static deployment without the API: public channels.
    }
    return settings;
  }
  const config = await fetchConfig();
  const settings: RealtimeSettings = {
    key: config.pusher.key,
    cluster: nonEmpty(config.pusher.cluster) ?? DEFAULT_CLUSTER,
    forceTLS: config.pusher.forceTLS ?? pageIsHttps,
    privateChannels: config.privateChannels,
  };
  const host = nonEmpty(config.pusher.wsHost);
  if (host) settings.wsHost = host;
  if (config.pusher.wsPort !== undefined) {
    settings.wsPort = config.pusher.wsPort;
    // A port without a host means "the realtime server beside this web server".
    if (!settings.wsHost) settings.wsHost = page.hostname;
  }
  return settings;
}

/** pusher-js options for the settings; private channels authorise at `/pusher/auth`. */
export function pusherOptions(settings: RealtimeSettings): PusherOptions {
  const options: PusherOptions = {
    cluster: settings.cluster,
    forceTLS: settings.forceTLS,
    channelAuthorization: { endpoint: '/pusher/auth', transport: 'ajax' },
  };
  if (settings.wsHost) {
    // Self-hosted: WebSocket only, no fallbacks to Pusher's HTTP transports.
    options.wsHost = settings.wsHost;
    options.enabledTransports = ['ws', 'wss'];
  }
  if (settings.wsPort !== undefined) {
    options.wsPort = settings.wsPort;
    options.wssPort = settings.wsPort;
  }
  return options;
}

// -------------------------------------------------------- connection state --

/** pusher-js's states, plus `loading` (settings not known yet) and `error` (they could not be had). */
export type ConnectionStatus =
  | 'loading'
  | 'initialized'
  | 'connecting'
  | 'connected'
  | 'unavailable'
  | 'failed'
  | 'disconnected'
  | 'error';

export interface ConnectionSnapshot {
  status: ConnectionStatus;
  detail?: string;
}

export class ConnectionStore {
  private snapshot: ConnectionSnapshot = { status: 'loading' };
  private readonly listeners = new Set<() => void>();

  get = (): ConnectionSnapshot => this.snapshot;

  set(status: ConnectionStatus, detail?: string): void {
    if (status === this.snapshot.status && detail === this.snapshot.detail) return;
    this.snapshot = detail === undefined ? { status } : { status, detail };
    this.listeners.forEach((listener) => listener());
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

function toStatus(state: string): ConnectionStatus {
  switch (state) {
    case 'initialized':
    case 'connecting':
    case 'connected':
    case 'unavailable':
    case 'failed':
    case 'disconnected':
      return state;
    default:
      return 'connecting';
  }
}

// ------------------------------------------------------------------ client --

type Callback = (data: unknown) => void;

/** The part of a pusher-js channel used here. */
export interface ChannelLike {
  bind(event: string, callback: Callback): unknown;
  unbind(event: string, callback: Callback): unknown;
}

/** The part of the pusher-js client used here, so tests can pass a fake. */
export interface PusherLike {
  subscribe(name: string): ChannelLike;
  unsubscribe(name: string): void;
  connection: {
    readonly state: string;
    bind(event: string, callback: Callback): unknown;
  };
}

export interface WatchHandlers {
  /** A valid, not yet seen event on the channel. */
  onEvent(name: string, event: InvoiceEvent): void;
  /** Something may have been missed: fetch the current state. */
  onResync(): void;
  /** The channel could not be joined (e.g. private channel refused). */
  onError?(message: string): void;
}

const SUBSCRIBED = 'pusher:subscription_succeeded';
const SUBSCRIPTION_ERROR = 'pusher:subscription_error';

export class RealtimeClient {
  private readonly refCounts = new Map<string, number>();
  private readonly resyncListeners = new Set<() => void>();
  private hasConnected = false;

  constructor(
    private readonly pusher: PusherLike,
    readonly privateChannels: boolean,
    readonly connection: ConnectionStore = new ConnectionStore(),
  ) {
    this.onState(pusher.connection.state);
    pusher.connection.bind('state_change', (change) => {
      const current = (change as { current?: unknown } | null)?.current;
      if (typeof current === 'string') this.onState(current);
    });
  }

  private onState(state: string) {
    this.connection.set(toStatus(state));
    if (state !== 'connected') return;
    if (this.hasConnected) this.resyncListeners.forEach((listener) => listener());
    this.hasConnected = true;
  }

  /**
   * Subscribes to `channelName` (shared between watchers) and delivers `events`
   * to `handlers`. Returns the cleanup that unbinds, and unsubscribes when the
   * last watcher of the channel leaves.
   */
  watch(channelName: string, events: readonly string[], handlers: WatchHandlers): () => void {
    const channel = this.pusher.subscribe(channelName);
    this.refCounts.set(channelName, (this.refCounts.get(channelName) ?? 0) + 1);
    const deduper = new EventDeduper();
    const bound: [string, Callback][] = events.map((name) => [
      name,
      (data: unknown) => {
        const event = parseInvoiceEvent(data);
        if (event && deduper.accept(event.eventId)) handlers.onEvent(name, event);
      },
    ]);
    const resync = () => handlers.onResync();
    bound.push([SUBSCRIBED, resync]);
    bound.push([
      SUBSCRIPTION_ERROR,
      (data) => handlers.onError?.(subscriptionErrorMessage(data)),
    ]);
    bound.forEach(([name, callback]) => channel.bind(name, callback));
    this.resyncListeners.add(resync);

    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.resyncListeners.delete(resync);
      bound.forEach(([name, callback]) => channel.unbind(name, callback));
      const left = (this.refCounts.get(channelName) ?? 1) - 1;
      if (left > 0) {
        this.refCounts.set(channelName, left);
      } else {
        this.refCounts.delete(channelName);
        this.pusher.unsubscribe(channelName);
      }
    };
  }
}

function subscriptionErrorMessage(data: unknown): string {
  const status =
    typeof data === 'object' && data !== null && 'status' in data ? (data as { status: unknown }).status : undefined;
  if (status === 401 || status === 403) return 'Live updates are not allowed for this page.';
  return 'Live updates could not be started.';
}

// --------------------------------------------------------------- refetcher --

/**
 * Coalesces re-fetch requests: requests within `delayMs` of each other cause
 * one run, and requests during a run cause exactly one more run after it.
 */
export class Refetcher {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly run: () => Promise<unknown>,
    private readonly delayMs = 150,
  ) {}

  request = (): void => {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.execute();
    }, this.delayMs);
  };

  private async execute() {
    this.running = true;
    try {
      await this.run();
    } catch {
      // The page shows its own error; a later request tries again.
    } finally {
      this.running = false;
    }
    if (this.again && !this.stopped) {
      this.again = false;
      this.request();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

// ------------------------------------------------------------- app wiring --

/** The connection state shown by the indicator. */
export const connectionStore = new ConnectionStore();

let clientPromise: Promise<RealtimeClient> | null = null;

async function createClient(): Promise<RealtimeClient> {
  connectionStore.set('loading');
  const settings = await resolveRealtimeSettings(import.meta.env, api.config, window.location);
  // Loaded on demand: pages without live updates (login) do not pay for it.
  const { default: Pusher } = await import('pusher-js');
  const pusher = new Pusher(settings.key, pusherOptions(settings));
  return new RealtimeClient(pusher, settings.privateChannels, connectionStore);
}

/** The app's one realtime client, created on first use. */
export function getRealtime(): Promise<RealtimeClient> {
  if (!clientPromise) {
    clientPromise = createClient().catch((error: unknown) => {
      connectionStore.set('error', errorMessage(error));
      clientPromise = null; // the next page that needs it tries again
      throw error;
    });
  }
  return clientPromise;
}

export function useConnection(): ConnectionSnapshot {
  return useSyncExternalStore(connectionStore.subscribe, connectionStore.get, connectionStore.get);
}

/** How long a page waits before asking for the realtime settings again after a failure. */
const RETRY_SETTINGS_MS = 5000;

export interface ChannelSpec {
  /** The channel's name given whether the server uses `private-` channels. */
  name(privateChannels: boolean): string;
  events: readonly string[];
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
          stop = client.watch(current.name(client.privateChannels), current.events, {
            onEvent: (name, event) => latest.current.onEvent(name, event),
            onResync: () => latest.current.onResync(),
            onError: (message) => latest.current.onError?.(message),
          });
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
