import { describe, expect, it } from 'vitest';
import { applyDebugParam, instrument } from './debug';
import { FakePusher } from './realtime/fakes';

class ObservedPusher extends FakePusher {
  private listeners = new Map<string, ((data: unknown) => void)[]>();
  override connection = {
    state: 'connecting',
    bind: (event: string, cb: (data: unknown) => void) => {
      this.listeners.set(event, [...(this.listeners.get(event) ?? []), cb]);
    },
  };
  fire(event: string, data: unknown) {
    this.listeners.get(event)?.forEach((cb) => cb(data));
  }
}

describe('the debug switch', () => {
  it('logs state changes, subscriptions and events only while on', () => {
    const lines: unknown[][] = [];
    let on = true;
    const pusher = instrument(new ObservedPusher(), () => on, (...args) => lines.push(args));
    pusher.fire('state_change', { previous: 'connecting', current: 'connected' });
    pusher.subscribe('invoice.1');
    pusher.fire('message', { event: 'pusher_internal:subscription_succeeded', channel: 'invoice.1' });
    pusher.fire('message', { event: 'pusher:pong', data: {} });
    pusher.fire('message', { event: 'payment.received', channel: 'invoice.1', data: { amount: 5 } });
    pusher.unsubscribe('invoice.1');
    on = false;
    pusher.subscribe('invoice.2');
    expect(lines).toEqual([
      ['connection', 'connecting → connected'],
      ['subscribe', 'invoice.1'],
      ['subscribed', 'invoice.1'],
      ['event', 'payment.received', 'on invoice.1', { amount: 5 }],
      ['unsubscribe', 'invoice.1'],
    ]);
    expect(pusher.channels.has('invoice.2')).toBe(true);
  });

  it('?debug=1 turns it on, ?debug=0 off, anything else leaves it', () => {
    const updates: unknown[] = [];
    const store = { update: (patch: unknown) => void updates.push(patch) };
    applyDebugParam('?debug=1', store);
    applyDebugParam('?x=1&debug=0', store);
    applyDebugParam('?q=ada', store);
    expect(updates).toEqual([{ debug: true }, { debug: false }]);
  });
});
