// Shared helpers for the Paybell end-to-end suite.
//
// Everything here talks to the real `paybell` binary: `startServer` spawns it on an
// ephemeral port with a generated TOML config, the client helpers build unmodified
// pusher-js / laravel-echo / pusher (server SDK) instances pointed at it, and `RawClient`
// is a thin `ws` wrapper for exact-frame assertions.
//
// Every server and client created through these helpers is tracked; test files call
// `cleanupClients()` in `afterEach` and `cleanupAll()` in `after` so the process exits.
//
// The helpers live in `lib/` by concern; test files import them all from here.

export { cleanupAll, cleanupClients } from './lib/tracking.mjs';
export { makeApp, renderConfig } from './lib/config.mjs';
export { BIN, HOST, runCli, spawnCli, startServer } from './lib/process.mjs';
export { WAIT_MS, collect, sleep, waitEvent, waitFor, waitState } from './lib/wait.mjs';
export { api, channelAuth, hmacHex, md5Hex, serverSdk, signQuery, signer, userAuth } from './lib/signing.mjs';
export { connectedPusher, pusherClient, subscribed } from './lib/pusher-js.mjs';
export {
  DEFAULT_QUERY,
  RawClient,
  SOCKET_ID_RE,
  decode,
  decodeString,
  errorData,
  rawConnect,
  rawSocket,
} from './lib/raw.mjs';
