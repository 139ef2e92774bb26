//! Catching up on a channel after being cut off: read the event log from the
//! channel's cursor, page by page, and hand back the events as pusher-js would
//! have delivered them. A cursor the server no longer keeps (410) starts the
//! channel again from "now"; the page re-fetches its data on every re-sync anyway.
import { ApiError, type EventPage } from '../api';
import { parseInvoiceEvent, type InvoiceEvent } from '../events';
import type { CursorBook } from './cursors';

/** Reads a channel's log: `after` omitted answers the current cursor only. */
export type LogReader = (after?: string) => Promise<EventPage>;

/** Events read from the log, in order, as `[event name, payload]`. */
export type Replayed = [string, InvoiceEvent][];

/** Pages read in one catch-up at most (100 events each): past that the re-fetch alone brings the page up to date. */
const MAX_PAGES = 20;

export class ChannelLog {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly channel: string,
    private readonly read: LogReader,
    private readonly cursors: CursorBook,
  ) {}

  /** Notes "now" as the cursor, unless this tab has read the channel before. */
  prime(): Promise<void> {
    return this.serial(async () => {
      if (this.cursors.get(this.channel) === undefined) await this.restart();
    });
  }

  /**
   * The events after the cursor, oldest first, and the cursor moved past them.
   * Calls run one after another, so two re-syncs never read the same page twice.
   */
  catchUp(): Promise<Replayed> {
    return this.serial(async () => {
      const after = this.cursors.get(this.channel);
      if (after === undefined) {
        await this.restart();
        return [];
      }
      const out: Replayed = [];
      let cursor = after;
      for (let page = 0; page < MAX_PAGES; page++) {
        let answer: EventPage;
        try {
          answer = await this.read(cursor);
        } catch (error) {
          if (error instanceof ApiError && (error.status === 410 || error.status === 404)) {
            await this.restart();
            return out;
          }
          throw error;
        }
        for (const logged of answer.events) {
          const event = parseInvoiceEvent(logged.data);
          if (event) out.push([logged.event, event]);
        }
        cursor = answer.cursor;
        this.cursors.set(this.channel, cursor);
        if (!answer.hasMore) break;
      }
      return out;
    });
  }

  private async restart(): Promise<void> {
    try {
      const now = await this.read();
      this.cursors.set(this.channel, now.cursor);
    } catch {
      // No log for this channel (e.g. a draft's page): re-fetching covers it.
      this.cursors.forget(this.channel);
    }
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task);
    this.chain = next.catch(() => undefined);
    return next;
  }
}
