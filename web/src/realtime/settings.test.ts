import { describe, expect, it, vi } from 'vitest';
import type { RuntimeConfig } from '../api';
import { pusherOptions, resolveRealtimeSettings } from './settings';

const page = { hostname: 'invoices.example', protocol: 'http:' };
const runtime = (overrides: Partial<RuntimeConfig['pusher']> = {}, privateChannels = false): RuntimeConfig => ({
  pusher: { key: 'srv-key', cluster: 'eu', wsHost: 'rt.example', wsPort: 6001, forceTLS: false, ...overrides },
  privateChannels,
  payments: { provider: 'test' },
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
      async () => ({ pusher: { key: 'k', wsPort: 6001 }, privateChannels: false, payments: { provider: 'test' } }),
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
