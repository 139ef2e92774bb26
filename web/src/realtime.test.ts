import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeConfig } from './api';
import type { InvoiceEvent } from './events';
import {
  ConnectionStore,
  Refetcher,
  RealtimeClient,
  pusherOptions,
  resolveRealtimeSettings,
  type ChannelLike,
  type PusherLike,
} from './realtime';

const page = { hostname: 'invoices.example', protocol: 'http:' };
const runtime = (overrides: Partial<RuntimeConfig['pusher']> = {}, privateChannels = false): RuntimeConfig => ({
  pusher: { key: 'srv-key', cluster: 'eu', wsHost: 'rt.example', wsPort: 6001, forceTLS: false, ...overrides },
  privateChannels,
});

describe('resolveRealtimeSettings', () => {
  it('uses GET /api/config when no build-time key is set', async () => {
    const fetchConfig = vi.fn(async () => runtime({}, true));
    await expect(resolveRealtimeSettings({}, fetchConfig, page)).resolves.toEqual({
      key: 'srv-key',
      cluster: 'eu',
      wsHost: 'rt.example',
      wsPort: 6001,
      forceTLS: false,
      privateChannels: true,
    });
    expect(fetchConfig).toHaveBeenCalledOnce();
  });

  it('prefers build-time VITE_PUSHER_* over the server', async () => {
    const env = {
      VITE_PUSHER_APP_KEY: 'build-key',
      VITE_PUSHER_CLUSTER: 'ap1',
      VITE_PUSHER_WS_HOST: 'ws.example',
      VITE_PUSHER_WS_PORT: '443',
      VITE_PUSHER_FORCE_TLS: 'true',
    };
    await expect(resolveRealtimeSettings(env, async () => runtime({}, true), page)).resolves.toEqual({
      key: 'build-key',
      cluster: 'ap1',
      wsHost: 'ws.example',
      wsPort: 443,
      forceTLS: true,
      privateChannels: true,
    });
  });

  it('works from the build alone when the API is unreachable', async () => {
    const settings = await resolveRealtimeSettings(
      { VITE_PUSHER_APP_KEY: 'k' },
      async () => {
        throw new Error('offline');
      },
      { hostname: 'x', protocol: 'https:' },
    );
    expect(settings).toEqual({ key: 'k', cluster: 'mt1', forceTLS: true, privateChannels: false });
  });

  it('treats empty build variables as unset', async () => {
    const settings = await resolveRealtimeSettings({ VITE_PUSHER_APP_KEY: '  ' }, async () => runtime(), page);
    expect(settings.key).toBe('srv-key');
  });

  it('names the bad build variable', async () => {
    const fetchConfig = async () => runtime();
    await expect(
      resolveRealtimeSettings({ VITE_PUSHER_APP_KEY: 'k', VITE_PUSHER_WS_PORT: 'http' }, fetchConfig, page),
    ).rejects.toThrow(/VITE_PUSHER_WS_PORT/);
    await expect(
      resolveRealtimeSettings({ VITE_PUSHER_APP_KEY: 'k', VITE_PUSHER_FORCE_TLS: 'maybe' }, fetchConfig, page),
    ).rejects.toThrow(/VITE_PUSHER_FORCE_TLS/);
  });

  it('fills defaults: page host beside a bare port, TLS like the page, cluster mt1', async () => {
    const settings = await resolveRealtimeSettings(
      {},
      async () => ({ pusher: { key: 'k', wsPort: 6001 }, privateChannels: false }),
      { hostname: 'box.local', protocol: 'https:' },
    );
    expect(settings).toEqual({
      key: 'k',
      cluster: 'mt1',
      wsHost: 'box.local',
      wsPort: 6001,
      forceTLS: true,
      privateChannels: false,
    });
  });

  it('fails when neither the build nor the server has settings', async () => {
    await expect(
      resolveRealtimeSettings({}, async () => Promise.reject(new Error('502')), page),
    ).rejects.toThrow('502');
  });
});

describe('pusherOptions', () => {
  it('targets a self-hosted server with WebSocket only and /pusher/auth', () => {
    const options = pusherOptions({
      key: 'k',
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: 6001,
      forceTLS: false,
      privateChannels: true,
    });
    expect(options).toMatchObject({
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: 6001,
      wssPort: 6001,
      forceTLS: false,
      enabledTransports: ['ws', 'wss'],
      channelAuthorization: { endpoint: '/pusher/auth', transport: 'ajax' },
    });
  });

  it('leaves the host to the cluster for Pusher Cloud', () => {
    const options = pusherOptions({ key: 'k', cluster: 'eu', forceTLS: true, privateChannels: false });
    expect(options.wsHost).toBeUndefined();
    expect(options.enabledTransports).toBeUndefined();
  });
});

// ------------------------------------------------------------ fake pusher --

type Cb = (data: unknown) => void;

class FakeChannel implements ChannelLike {
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

class FakePusher implements PusherLike {
  channels = new Map<string, FakeChannel>();
  unsubscribed: string[] = [];
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
  setState(current: string) {
    const previous = this.connection.state;
    this.connection.state = current;
    this.stateHandlers.forEach((cb) => cb({ previous, current }));
  }
}

const payload = (eventId: string, extra: Partial<InvoiceEvent> = {}): InvoiceEvent => ({
  title: 'Payment received',
  body: 'Invoice #3 received a payment',
  type: 'payment_received',
  invoiceId: 'inv1',
  status: 'partially_paid',
  sentAt: '2025-10-12T18:40:12.153Z',
  eventId,
  ...extra,
});

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
