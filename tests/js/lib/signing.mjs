// Signing and the HTTP API: the official `pusher` server SDK pointed at a server, our own
// channel/user auth signatures, and hand-signed HTTP API requests (every knob overridable to
// produce bad requests).

import { createHash, createHmac } from 'node:crypto';

import PusherServer from 'pusher';

import { WAIT_MS } from './wait.mjs';

/** The official `pusher` server SDK pointed at a running server. */
export function serverSdk(server, app, extra = {}) {
  return new PusherServer({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: server.host,
    port: String(server.port),
    useTLS: false,
    timeout: WAIT_MS,
    ...extra,
  });
}

/** An SDK instance used only for signing (no server needed). */
export function signer(app, extra = {}) {
  return new PusherServer({ appId: app.id, key: app.key, secret: app.secret, useTLS: false, ...extra });
}

export function hmacHex(secret, text) {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

export function md5Hex(text) {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** Our own auth signature for a private/presence subscription (not the SDK's). */
export function channelAuth(app, socketId, channel, channelData) {
  const text = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${app.key}:${hmacHex(app.secret, text)}`;
}

/** Our own auth signature for pusher:signin. */
export function userAuth(app, socketId, userData) {
  return `${app.key}:${hmacHex(app.secret, `${socketId}::user::${userData}`)}`;
}

/**
 * Build the signed query string of an HTTP API request by hand (auth_version 1.0).
 * Every knob can be overridden to produce bad requests.
 */
export function signQuery({
  method,
  path: reqPath,
  params = {},
  body,
  key,
  secret,
  timestamp = Math.floor(Date.now() / 1000),
  bodyMd5,
  signature,
  omitBodyMd5 = false,
}) {
  const q = { auth_key: key, auth_timestamp: String(timestamp), auth_version: '1.0', ...params };
  if (body !== undefined && body !== '' && !omitBodyMd5) q.body_md5 = bodyMd5 ?? md5Hex(body);
  const pairs = Object.keys(q)
    .map((k) => [k.toLowerCase(), q[k]])
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  const qs = pairs.join('&');
  const sig = signature ?? hmacHex(secret, `${method.toUpperCase()}\n${reqPath}\n${qs}`);
  return `${qs}&auth_signature=${sig}`;
}

/**
 * A signed HTTP API request made with fetch. `body` may be an object (JSON-encoded) or a
 * raw string. Returns `{status, text, json, headers}`; `json` is undefined if not JSON.
 */
export async function api(server, app, { method = 'GET', path: p, params, body, ...sign } = {}) {
  const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const fullPath = p.startsWith('/apps/') ? p : `/apps/${app.id}${p}`;
  const qs = signQuery({ method, path: fullPath, params, body: raw, key: app.key, secret: app.secret, ...sign });
  const res = await fetch(`http://${server.host}:${server.port}${fullPath}?${qs}`, {
    method,
    body: raw,
    headers: raw === undefined ? {} : { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, headers: res.headers };
}
