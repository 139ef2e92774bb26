import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_SETTINGS, SETTINGS_KEY, SettingsStore, type KeyValueStorage } from './settings';

function memory(initial: Record<string, string> = {}): KeyValueStorage & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

describe('SettingsStore', () => {
  it('starts with sounds and notifications on', () => {
    expect(new SettingsStore(memory()).get()).toEqual(DEFAULT_SETTINGS);
  });

  it('remembers changes across instances (page loads)', () => {
    const storage = memory();
    const first = new SettingsStore(storage);
    const listener = vi.fn();
    first.subscribe(listener);
    first.update({ sounds: false });
    expect(listener).toHaveBeenCalledOnce();
    expect(new SettingsStore(storage).get()).toEqual({ sounds: false, notifications: true, debug: false });
    first.update({ notifications: false });
    expect(new SettingsStore(storage).get()).toEqual({ sounds: false, notifications: false, debug: false });
  });

  it('ignores garbage in storage', () => {
    expect(new SettingsStore(memory({ [SETTINGS_KEY]: '{not json' })).get()).toEqual(DEFAULT_SETTINGS);
    expect(new SettingsStore(memory({ [SETTINGS_KEY]: '{"sounds":"no"}' })).get()).toEqual(DEFAULT_SETTINGS);
  });

  it('still works when storage throws', () => {
    const broken: KeyValueStorage = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    const store = new SettingsStore(broken);
    store.update({ sounds: false });
    expect(store.get().sounds).toBe(false);
  });
});
