//! The one place that talks to pusher-js, as the rest of the app sees it.
//!
//! - `settings`: where to connect (`VITE_PUSHER_*` at build time, else `GET /api/config`).
//! - `connection`: the connection state for the indicator.
//! - `client`: watching a channel; events validated, de-duplicated, re-sync on reconnect.
//! - `instance`: the app's single client, created on first use.
//! - `hooks`: `useConnection`, `useChannel`.
//! - `refetcher`: re-fetches coalesced so a burst of events costs one request.
//! - `cursors`, `replay`: each channel's event-log cursor, and catching up from it.
//! - `nudge`: a fresh connection attempt as soon as the server answers again.

export type { WatchHandlers } from './client';
export type { ConnectionSnapshot, ConnectionStatus } from './connection';
export { useChannel, useConnection, type ChannelSpec } from './hooks';
export { getRealtime } from './instance';
export { Refetcher } from './refetcher';
export type { LogReader, Replayed } from './replay';
