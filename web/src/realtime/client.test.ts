import { describe, expect, it, vi } from 'vitest';
import type { InvoiceEvent } from '../events';
import { RealtimeClient } from './client';
import { ConnectionStore } from './connection';
import { FakePusher, payload } from './fakes';

function setup() {
  const pusher = new FakePusher();
  const store = new ConnectionStore();
  const client = new RealtimeClient(pusher, false, store);
  const events: [string, InvoiceEvent][] = [];
  const onResync = vi.fn();
  const stop = client.watch('invoice.inv1', ['payment.received', 'invoice.updated'], {
    onEvent: (name, event) => events.push([name, event]),
    onResync,
  });
  const channel = pusher.channels.get('invoice.inv1')!;
  return { pusher, store, client, events, onResync, stop, channel };
}

describe('RealtimeClient.watch', () => {
  it('delivers valid events once per eventId', () => {
    const { channel, events } = setup();
    channel.emit('payment.received', payload('e1'));
    channel.emit('payment.received', payload('e1'));
    channel.emit('invoice.updated', payload('e2', { type: 'invoice_updated' }));
    expect(events.map(([name, e]) => `${name}:${e.eventId}`)).toEqual(['payment.received:e1', 'invoice.updated:e2']);
  });

  it('drops payloads that are not Paybell events', () => {
    const { channel, events } = setup();
    channel.emit('payment.received', { hello: 'world' });
    channel.emit('payment.received', 'not json');
    expect(events).toEqual([]);
  });

  it('asks for a re-sync whenever the channel (re)subscribes', () => {
    const { channel, onResync } = setup();
    channel.emit('pusher:subscription_succeeded');
    channel.emit('pusher:subscription_succeeded');
    expect(onResync).toHaveBeenCalledTimes(2);
  });

  it('asks for a re-sync after a reconnect, not on the first connect', () => {
    const { pusher, onResync, store } = setup();
    expect(store.get().status).toBe('connecting');
    pusher.setState('connected');
    expect(onResync).not.toHaveBeenCalled();
    expect(store.get().status).toBe('connected');
    pusher.setState('unavailable');
    expect(store.get().status).toBe('unavailable');
    pusher.setState('connecting');
    pusher.setState('connected');
    expect(onResync).toHaveBeenCalledTimes(1);
  });

  it('unbinds and unsubscribes when the page leaves', () => {
    const { pusher, channel, stop, events, onResync } = setup();
    stop();
    stop(); // idempotent
    expect(pusher.unsubscribed).toEqual(['invoice.inv1']);
    expect(channel.bound()).toBe(0);
    pusher.setState('connected');
    pusher.setState('connecting');
    pusher.setState('connected');
    channel.emit('payment.received', payload('late'));
    expect(events).toEqual([]);
    expect(onResync).not.toHaveBeenCalled();
  });

  it('keeps a shared channel until its last watcher leaves', () => {
    const { pusher, client, stop } = setup();
    const second = client.watch('invoice.inv1', ['payment.received'], { onEvent: vi.fn(), onResync: vi.fn() });
    stop();
    expect(pusher.unsubscribed).toEqual([]);
    second();
    expect(pusher.unsubscribed).toEqual(['invoice.inv1']);
  });

  it('reports a refused subscription', () => {
    const pusher = new FakePusher();
    const client = new RealtimeClient(pusher, true);
    const onError = vi.fn();
    client.watch('private-invoice.x', ['payment.received'], { onEvent: vi.fn(), onResync: vi.fn(), onError });
    pusher.channels.get('private-invoice.x')!.emit('pusher:subscription_error', { status: 403 });
    expect(onError).toHaveBeenCalledWith(expect.stringMatching(/not allowed/));
  });
});
