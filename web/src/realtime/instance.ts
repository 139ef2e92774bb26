//! The app's one realtime client, created on first use from the resolved
//! settings, and the connection store the indicator reads.
import { api, errorMessage } from '../api';
import { instrument } from '../debug';
import { RealtimeClient } from './client';
import { ConnectionStore } from './connection';
import { CursorBook } from './cursors';
import { healthProbe, ReconnectNudger } from './nudge';
import { pusherOptions, resolveRealtimeSettings } from './settings';

/** The connection state shown by the indicator. */
export const connectionStore = new ConnectionStore();

let clientPromise: Promise<RealtimeClient> | null = null;

async function createClient(): Promise<RealtimeClient> {
  connectionStore.set('loading');
  const settings = await resolveRealtimeSettings(import.meta.env, api.config, window.location);
  // Loaded on demand: pages without live updates (login) do not pay for it.
  const { default: Pusher } = await import('pusher-js');
  // The debug switch's observer (see debug.ts); silent unless the switch is on.
  const pusher = instrument(new Pusher(settings.key, pusherOptions(settings)));
  const client = new RealtimeClient(pusher, settings.privateChannels, connectionStore, new CursorBook());
  client.useNudger(new ReconnectNudger(pusher, healthProbe));
  return client;
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
