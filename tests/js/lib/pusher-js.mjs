// Unmodified pusher-js clients pointed at a server, signing auth with the `pusher` SDK.

import PusherClient from 'pusher-js';

import { signer } from './signing.mjs';
import { trackClient } from './tracking.mjs';
import { waitEvent, waitState } from './wait.mjs';

/**
 * An unmodified pusher-js 8 client. Channel authorisation and user authentication use
 * custom handlers that sign with the `pusher` SDK (`authorizeChannel`/`authenticateUser`).
 *
 * @param {object} server
 * @param {object} app
 * @param {object} [opts]
 * @param {object} [opts.presence]  presence data {user_id, user_info} for presence channels
 * @param {object} [opts.userData]  user data for signin ({id, ...})
 * @param {object} [opts.signWith]  an app whose secret signs auth (to forge bad signatures)
 * @param {object} [opts.sdkOptions] extra SDK options (encryptionMasterKeyBase64)
 * @param {object} [opts.pusherOptions] extra pusher-js options
 */
export function pusherClient(server, app, opts = {}) {
  const sdk = signer(opts.signWith ?? app, opts.sdkOptions ?? {});
  const client = new PusherClient(app.key, {
    wsHost: server.host,
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    cluster: 'mt1',
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        try {
          const presence = channelName.startsWith('presence-') ? opts.presence : undefined;
          callback(null, sdk.authorizeChannel(socketId, channelName, presence));
        } catch (e) {
          callback(e, null);
        }
      },
    },
    userAuthentication: {
      customHandler: ({ socketId }, callback) => {
        try {
          callback(null, sdk.authenticateUser(socketId, opts.userData));
        } catch (e) {
          callback(e, null);
        }
      },
    },
    ...(opts.pusherOptions ?? {}),
  });
  trackClient({ close: () => client.disconnect() });
  return client;
}

/** A pusher-js client that is connected (state "connected"). */
export async function connectedPusher(server, app, opts = {}) {
  const client = pusherClient(server, app, opts);
  await waitState(client, 'connected');
  return client;
}

/** Subscribe with pusher-js and wait for `pusher:subscription_succeeded`. */
export async function subscribed(client, channelName) {
  const channel = client.subscribe(channelName);
  if (channel.subscribed) return channel;
  await waitEvent(channel, 'pusher:subscription_succeeded', { what: `subscription to ${channelName}` });
  return channel;
}
