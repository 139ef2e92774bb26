import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RealtimeClient } from './client';
import { ConnectionStore } from './connection';
import { FakePusher } from './fakes';
import { ReconnectNudger } from './nudge';

describe('ReconnectNudger', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(up: () => boolean) {
    const pusher = new FakePusher();
    const store = new ConnectionStore();
    const client = new RealtimeClient(pusher, false, store);
    const probe = vi.fn(async () => up());
    client.useNudger(new ReconnectNudger(pusher, probe, 1000));
    pusher.setState('connected');
    return { pusher, store, probe };
  }

  it('starts a fresh attempt once the probe answers, without showing "disconnected"', async () => {
    let serverUp = false;
    const { pusher, store, probe } = setup(() => serverUp);
    pusher.setState('connecting');
    await vi.advanceTimersByTimeAsync(3000);
    expect(probe).toHaveBeenCalledTimes(3);
    expect(pusher.calls).toEqual([]);
    serverUp = true;
    const seen: string[] = [];
    store.subscribe(() => seen.push(store.get().status));
    await vi.advanceTimersByTimeAsync(1000);
    expect(pusher.calls).toEqual(['disconnect', 'connect']);
    expect(seen).not.toContain('disconnected');
    pusher.setState('connected');
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe).toHaveBeenCalledTimes(4);
  });

  it('does nothing while connected', async () => {
    const { pusher, probe } = setup(() => true);
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe).not.toHaveBeenCalled();
    expect(pusher.calls).toEqual([]);
  });
});
