import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api';
import { disablePush, enablePush, keyBytes, pushState, refusalText, type PushEnv, type PushSubscriptionLike } from './client';

function fakeEnv(overrides: Partial<PushEnv> = {}) {
  let current: PushSubscriptionLike | null = null;
  const subscribe = vi.fn(async (options: { applicationServerKey: Uint8Array }) => {
    const sub: PushSubscriptionLike = {
      endpoint: `https://push.example/${options.applicationServerKey.length}`,
      toJSON: () => ({ endpoint: sub.endpoint, keys: { p256dh: 'p', auth: 'a' } }),
      unsubscribe: vi.fn(async () => {
        current = null;
        return true;
      }),
    };
    current = sub;
    return sub;
  });
  const registered: unknown[] = [];
  const unregistered: string[] = [];
  const env: PushEnv = {
    supported: true,
    secure: true,
    requestPermission: async () => 'granted',
    registration: async () => ({ pushManager: { getSubscription: async () => current, subscribe } }),
    serverKey: async () => 'BAAA',
    register: async (s) => void registered.push(s),
    unregister: async (e) => void unregistered.push(e),
    ...overrides,
  };
  return { env, subscribe, registered, unregistered, current: () => current };
}

describe('enablePush', () => {
  it('asks, subscribes with the server key, and registers the subscription', async () => {
    const fake = fakeEnv();
    expect(await enablePush(fake.env)).toEqual({ ok: true });
    expect(fake.subscribe).toHaveBeenCalledWith({ userVisibleOnly: true, applicationServerKey: keyBytes('BAAA') });
    expect(fake.registered).toEqual([{ endpoint: 'https://push.example/3', keys: { p256dh: 'p', auth: 'a' } }]);
    expect(await pushState(fake.env)).toBe('on');
  });

  it('explains each refusal', async () => {
    expect(await enablePush(fakeEnv({ supported: false }).env)).toMatchObject({ reason: 'unsupported' });
    expect(await enablePush(fakeEnv({ secure: false }).env)).toMatchObject({ reason: 'insecure' });
    expect(await enablePush(fakeEnv({ requestPermission: async () => 'denied' }).env)).toMatchObject({ reason: 'denied' });
    expect(await enablePush(fakeEnv({ requestPermission: async () => 'default' }).env)).toMatchObject({ reason: 'dismissed' });
    const failing = fakeEnv();
    failing.env.registration = async () => ({
      pushManager: { getSubscription: async () => null, subscribe: async () => Promise.reject(new Error('push service not available')) },
    });
    const failed = await enablePush(failing.env);
    expect(failed).toMatchObject({ reason: 'subscribe_failed' });
    if (!failed.ok) expect(refusalText(failed)).toContain('push service not available');
    expect(refusalText({ reason: 'denied' })).toContain('site settings');
  });

  it('unsubscribes again when the server refuses', async () => {
    const fake = fakeEnv({
      register: async () => Promise.reject(new ApiError(409, 'too_many_subscriptions', 'at most 10 browsers')),
    });
    expect(await enablePush(fake.env)).toEqual({ ok: false, reason: 'server', message: 'at most 10 browsers' });
    expect(fake.current()).toBeNull();
  });
});

describe('disablePush', () => {
  it('forgets the endpoint on the server and unsubscribes the browser', async () => {
    const fake = fakeEnv();
    await enablePush(fake.env);
    await disablePush(fake.env);
    expect(fake.unregistered).toEqual(['https://push.example/3']);
    expect(await pushState(fake.env)).toBe('off');
  });

  it('still unsubscribes when the server had forgotten it', async () => {
    const fake = fakeEnv({ unregister: async () => Promise.reject(new ApiError(404, 'not_found', 'not found')) });
    await enablePush(fake.env);
    await disablePush(fake.env);
    expect(fake.current()).toBeNull();
  });
});

describe('keyBytes', () => {
  it('decodes unpadded base64url', () => {
    expect([...keyBytes('-_8')]).toEqual([0xfb, 0xff]);
    expect(keyBytes('BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8')).toHaveLength(65);
  });
});
