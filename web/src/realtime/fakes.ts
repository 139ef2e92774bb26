//! Test doubles for the realtime client: a fake pusher-js and Paybell payloads.

import type { InvoiceEvent } from '../events';
import type { ChannelLike, PusherLike } from './client';

type Cb = (data: unknown) => void;

export class FakeChannel implements ChannelLike {
  handlers = new Map<string, Set<Cb>>();
  bind(event: string, cb: Cb) {
    if (!this.handlers.has(event)) this.handlers.set(event, new Set());
    this.handlers.get(event)!.add(cb);
  }
  unbind(event: string, cb: Cb) {
    this.handlers.get(event)?.delete(cb);
  }
  emit(event: string, data: unknown = {}) {
    this.handlers.get(event)?.forEach((cb) => cb(data));
  }
  bound() {
    return [...this.handlers.values()].reduce((n, set) => n + set.size, 0);
  }
}

export class FakePusher implements PusherLike {
  channels = new Map<string, FakeChannel>();
  unsubscribed: string[] = [];
  /** `connect`/`disconnect` calls, in order. */
  calls: string[] = [];
  private stateHandlers: Cb[] = [];
  connection = {
    state: 'connecting',
    bind: (event: string, cb: Cb) => {
      if (event === 'state_change') this.stateHandlers.push(cb);
    },
  };
  subscribe(name: string) {
    if (!this.channels.has(name)) this.channels.set(name, new FakeChannel());
    return this.channels.get(name)!;
  }
  unsubscribe(name: string) {
    this.unsubscribed.push(name);
    this.channels.delete(name);
  }
  connect() {
    this.calls.push('connect');
    this.setState('connecting');
  }
  disconnect() {
    this.calls.push('disconnect');
    this.setState('disconnected');
  }
  setState(current: string) {
    const previous = this.connection.state;
    this.connection.state = current;
    this.stateHandlers.forEach((cb) => cb({ previous, current }));
  }
}

export const payload = (eventId: string, extra: Partial<InvoiceEvent> = {}): InvoiceEvent => ({
  title: 'Payment received',
  body: 'Invoice #3 received a payment',
  type: 'payment_received',
  invoiceId: 'inv1',
  status: 'partially_paid',
  sentAt: '2025-10-12T18:40:12.153Z',
  eventId,
  ...extra,
});
