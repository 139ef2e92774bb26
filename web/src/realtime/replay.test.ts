import { describe, expect, it, vi } from 'vitest';
import { ApiError, type EventPage } from '../api';
import { RealtimeClient } from './client';
import { CursorBook, type StorageLike } from './cursors';
import { FakePusher, payload } from './fakes';
import { ChannelLog } from './replay';

class MapStorage implements StorageLike {
  map = new Map<string, string>();
  getItem = (key: string) => this.map.get(key) ?? null;
  setItem = (key: string, value: string) => void this.map.set(key, value);
  removeItem = (key: string) => void this.map.delete(key);
}

const logged = (id: string, name = 'payment.received') => ({
  channel: 'user.u.invoices',
  event: name,
  eventId: id,
  data: payload(id),
});

/** A fake event log: `now` is the cursor for "after omitted"; pages keyed by `after`. */
function fakeLog(now: string, pages: Record<string, EventPage | ApiError>) {
  return vi.fn(async (after?: string): Promise<EventPage> => {
    if (after === undefined) return { events: [], cursor: now, hasMore: false };
    const page = pages[after];
    if (page instanceof ApiError) throw page;
    return page ?? { events: [], cursor: after, hasMore: false };
  });
}

describe('CursorBook (cursor bookkeeping)', () => {
  it('keeps each channel apart, in memory and in session storage', () => {
    const storage = new MapStorage();
    const book = new CursorBook(storage);
    expect(book.get('a')).toBeUndefined();
    book.set('a', 'e1');
    book.set('b', '7');
    expect([book.get('a'), book.get('b')]).toEqual(['e1', '7']);
    // A reload: a new book over the same storage.
    expect(new CursorBook(storage).get('a')).toBe('e1');
    book.forget('a');
    expect(new CursorBook(storage).get('a')).toBeUndefined();
  });

  it('works from memory when storage throws', () => {
    const broken: StorageLike = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
      removeItem: () => undefined,
    };
    const book = new CursorBook(broken);
    book.set('a', 'e1');
    expect(book.get('a')).toBe('e1');
  });
});

describe('ChannelLog (catching up)', () => {
  it('starts from "now" on a first visit, then reads what came after, page by page', async () => {
    const read = fakeLog('0', {
      '0': { events: [logged('e1'), logged('e2')], cursor: 'e2', hasMore: true },
      e2: { events: [logged('e3', 'invoice.updated')], cursor: 'e3', hasMore: false },
    });
    const book = new CursorBook(null);
    const log = new ChannelLog('user.u.invoices', read, book);
    await log.prime();
    expect(book.get('user.u.invoices')).toBe('0');
    const replayed = await log.catchUp();
    expect(replayed.map(([name, e]) => `${name}:${e.eventId}`)).toEqual([
      'payment.received:e1',
      'payment.received:e2',
      'invoice.updated:e3',
    ]);
    expect(book.get('user.u.invoices')).toBe('e3');
    expect(await log.catchUp()).toEqual([]);
  });

  it('after a reload reads on from the stored cursor instead of "now"', async () => {
    const storage = new MapStorage();
    new CursorBook(storage).set('c', 'e1');
    const read = fakeLog('e9', { e1: { events: [logged('e2')], cursor: 'e2', hasMore: false } });
    const log = new ChannelLog('c', read, new CursorBook(storage));
    await log.prime();
    expect((await log.catchUp()).map(([, e]) => e.eventId)).toEqual(['e2']);
    expect(read).not.toHaveBeenCalledWith(undefined);
  });

  it('starts again from "now" when the cursor is gone (410)', async () => {
    const book = new CursorBook(null);
    book.set('c', 'old');
    const read = fakeLog('e9', { old: new ApiError(410, 'cursor_gone', 'gone') });
    const log = new ChannelLog('c', read, book);
    expect(await log.catchUp()).toEqual([]);
    expect(book.get('c')).toBe('e9');
  });

  it('skips payloads that are not Paybell events', async () => {
    const read = fakeLog('0', {
      '0': { events: [{ ...logged('e1'), data: { nope: 1 } }, logged('e2')], cursor: 'e2', hasMore: false },
    });
    const log = new ChannelLog('c', read, new CursorBook(null));
    await log.prime();
    expect((await log.catchUp()).map(([, e]) => e.eventId)).toEqual(['e2']);
  });
});

describe('RealtimeClient with an event log', () => {
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

  it('replays what was missed after a reconnect, once, as one batch, skipping what came live', async () => {
    const pusher = new FakePusher();
    const client = new RealtimeClient(pusher, false);
    const read = fakeLog('0', {
      '0': { events: [logged('live'), logged('m1'), logged('m2')], cursor: 'm2', hasMore: false },
    });
    const onEvent = vi.fn();
    const onReplay = vi.fn();
    client.watch('user.u.invoices', ['payment.received'], { onEvent, onReplay, onResync: vi.fn() }, read);
    const channel = pusher.channels.get('user.u.invoices')!;
    pusher.setState('connected');
    await flush();
    channel.emit('payment.received', payload('live'));
    pusher.setState('connecting');
    pusher.setState('connected');
    channel.emit('pusher:subscription_succeeded');
    await flush();
    await flush();
    expect(onEvent.mock.calls.map(([, e]) => e.eventId)).toEqual(['live']);
    expect(onReplay).toHaveBeenCalledTimes(1);
    expect(onReplay.mock.calls[0]![0].map(([, e]: [string, { eventId: string }]) => e.eventId)).toEqual(['m1', 'm2']);
    // A replayed event that then arrives live is not delivered again.
    channel.emit('payment.received', payload('m1'));
    expect(onEvent).toHaveBeenCalledTimes(1);
  });
});
