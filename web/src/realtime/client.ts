//! The client wrapper pages watch channels through. Events are validated and
//! de-duplicated by `eventId` before a page sees them. Because an event can be
//! missed while the socket is down, every watcher is told to re-sync after a
//! reconnect and whenever its channel (re)subscribes; a watcher given the
//! channel's event log also gets what it missed, once, as a replayed batch.

import { EventDeduper, parseInvoiceEvent, type InvoiceEvent } from '../events';
import { ConnectionStore, toStatus } from './connection';
import { CursorBook } from './cursors';
import type { ReconnectNudger } from './nudge';
import { ChannelLog, type LogReader, type Replayed } from './replay';

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
  connect(): void;
  disconnect(): void;
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
  /**
   * Events read from the log after a re-sync that were not seen live, oldest
   * first (only with a log reader). Without this handler each goes to `onEvent`.
   */
  onReplay?(events: Replayed): void;
  /** The channel could not be joined (e.g. private channel refused). */
  onError?(message: string): void;
}

const SUBSCRIBED = 'pusher:subscription_succeeded';
const SUBSCRIPTION_ERROR = 'pusher:subscription_error';

export class RealtimeClient {
  private readonly refCounts = new Map<string, number>();
  private readonly resyncListeners = new Set<() => void>();
  private hasConnected = false;
  private nudger: ReconnectNudger | undefined;

  constructor(
    private readonly pusher: PusherLike,
    readonly privateChannels: boolean,
    readonly connection: ConnectionStore = new ConnectionStore(),
    private readonly cursors: CursorBook = new CursorBook(null),
  ) {
    this.onState(pusher.connection.state);
    pusher.connection.bind('state_change', (change) => {
      const current = (change as { current?: unknown } | null)?.current;
      if (typeof current === 'string') this.onState(current);
    });
  }

  /** Reconnects soon after the server is back (see `nudge`). */
  useNudger(nudger: ReconnectNudger): void {
    this.nudger = nudger;
    nudger.onState(this.pusher.connection.state);
  }

  private onState(state: string) {
    // The nudger's own disconnect is immediately followed by a new attempt.
    if (this.nudger?.nudging && state === 'disconnected') return;
    this.nudger?.onState(state);
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
  watch(
    channelName: string,
    events: readonly string[],
    handlers: WatchHandlers,
    readLog?: LogReader,
  ): () => void {
    const deduper = new EventDeduper();
    const log = readLog ? new ChannelLog(channelName, readLog, this.cursors) : undefined;
    void log?.prime();
    const channel = this.pusher.subscribe(channelName);
    this.refCounts.set(channelName, (this.refCounts.get(channelName) ?? 0) + 1);
    // Set before anything can call `resync`; cleared by the returned cleanup.
    let active = true;
    const resync = () => {
      handlers.onResync();
      log
        ?.catchUp()
        .then((replayed) => {
          const fresh = replayed.filter(([, event]) => deduper.accept(event.eventId));
          if (!active || fresh.length === 0) return;
          if (handlers.onReplay) handlers.onReplay(fresh);
          else fresh.forEach(([name, event]) => handlers.onEvent(name, event));
        })
        .catch(() => undefined); // the re-fetch above still brings the page up to date
    };
    const bound = bindings(events, handlers, resync, deduper);
    bound.forEach(([name, callback]) => channel.bind(name, callback));
    this.resyncListeners.add(resync);

    return () => {
      if (!active) return;
      active = false;
      this.resyncListeners.delete(resync);
      bound.forEach(([name, callback]) => channel.unbind(name, callback));
      this.release(channelName);
    };
  }

  private release(channelName: string) {
    const left = (this.refCounts.get(channelName) ?? 1) - 1;
    if (left > 0) {
      this.refCounts.set(channelName, left);
    } else {
      this.refCounts.delete(channelName);
      this.pusher.unsubscribe(channelName);
    }
  }
}

/** The callbacks one watcher binds on its channel: its events, (re)subscription, refusal. */
function bindings(
  events: readonly string[],
  handlers: WatchHandlers,
  resync: () => void,
  deduper: EventDeduper,
): [string, Callback][] {
  const bound: [string, Callback][] = events.map((name) => [
    name,
    (data: unknown) => {
      const event = parseInvoiceEvent(data);
      if (event && deduper.accept(event.eventId)) handlers.onEvent(name, event);
    },
  ]);
  bound.push([SUBSCRIBED, resync]);
  bound.push([SUBSCRIPTION_ERROR, (data) => handlers.onError?.(subscriptionErrorMessage(data))]);
  return bound;
}

function subscriptionErrorMessage(data: unknown): string {
  const status =
    typeof data === 'object' && data !== null && 'status' in data ? (data as { status: unknown }).status : undefined;
  if (status === 401 || status === 403) return 'Live updates are not allowed for this page.';
  return 'Live updates could not be started.';
}
