//! Where to connect: the build-time `VITE_PUSHER_*` settings when the app key is
//! set, else `GET /api/config` at run time, and the pusher-js options they give.

import type { Options as PusherOptions } from 'pusher-js';
import type { RuntimeConfig } from '../api';

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
  const key = nonEmpty(env.VITE_PUSHER_APP_KEY);
  if (key) return fromBuild(key, env, fetchConfig, page);
  return fromServer(await fetchConfig(), page);
}

async function fromBuild(
  key: string,
  env: BuildEnv,
  fetchConfig: () => Promise<RuntimeConfig>,
  page: PageLocation,
): Promise<RealtimeSettings> {
  const host = nonEmpty(env.VITE_PUSHER_WS_HOST);
  const port = nonEmpty(env.VITE_PUSHER_WS_PORT);
  const tls = nonEmpty(env.VITE_PUSHER_FORCE_TLS);
  const settings: RealtimeSettings = {
    key,
    cluster: nonEmpty(env.VITE_PUSHER_CLUSTER) ?? DEFAULT_CLUSTER,
    forceTLS: tls === undefined ? page.protocol === 'https:' : parseBool('VITE_PUSHER_FORCE_TLS', tls),
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

function fromServer(config: RuntimeConfig, page: PageLocation): RealtimeSettings {
  const settings: RealtimeSettings = {
    key: config.pusher.key,
    cluster: nonEmpty(config.pusher.cluster) ?? DEFAULT_CLUSTER,
    forceTLS: config.pusher.forceTLS ?? page.protocol === 'https:',
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
