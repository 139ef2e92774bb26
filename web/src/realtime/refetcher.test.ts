import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RealtimeClient } from './client';
import { FakePusher, payload } from './fakes';
import { Refetcher } from './refetcher';

describe('Refetcher (event → re-fetch)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('turns a burst of events into one fetch', async () => {
    const run = vi.fn(async () => undefined);
    const r = new Refetcher(run, 100);
    for (let i = 0; i < 10; i++) r.request();
    await vi.advanceTimersByTimeAsync(100);
    expect(run).toHaveBeenCalledTimes(1);
  });

  it('fetches once more when events arrive during a fetch', async () => {
    let finish: () => void = () => undefined;
    const run = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const r = new Refetcher(run, 50);
    r.request();
    await vi.advanceTimersByTimeAsync(50);
    expect(run).toHaveBeenCalledTimes(1);
    r.request();
    r.request();
    r.request();
    finish();
    await vi.advanceTimersByTimeAsync(50);
    expect(run).toHaveBeenCalledTimes(2);
    finish();
    await vi.advanceTimersByTimeAsync(500);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('keeps working after a failed fetch', async () => {
    const run = vi.fn().mockRejectedValueOnce(new Error('500')).mockResolvedValue(undefined);
    const r = new Refetcher(run, 10);
    r.request();
    await vi.advanceTimersByTimeAsync(10);
    r.request();
    await vi.advanceTimersByTimeAsync(10);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('does nothing once stopped (page left)', async () => {
    const run = vi.fn(async () => undefined);
    const r = new Refetcher(run, 10);
    r.request();
    r.stop();
    r.request();
    await vi.advanceTimersByTimeAsync(100);
    expect(run).not.toHaveBeenCalled();
  });

  it('end to end: reconnect and resubscribe right after each other cost one fetch', async () => {
    const run = vi.fn(async () => undefined);
    const r = new Refetcher(run, 100);
    const { pusher, channel } = (() => {
      const pusher = new FakePusher();
      const client = new RealtimeClient(pusher, false);
      client.watch('invoice.inv1', ['payment.received'], { onEvent: r.request, onResync: r.request });
      return { pusher, channel: pusher.channels.get('invoice.inv1')! };
    })();
    pusher.setState('connected');
    pusher.setState('connecting');
    pusher.setState('connected');
    channel.emit('pusher:subscription_succeeded');
    channel.emit('payment.received', payload('x'));
    await vi.advanceTimersByTimeAsync(100);
    expect(run).toHaveBeenCalledTimes(1);
  });
});
