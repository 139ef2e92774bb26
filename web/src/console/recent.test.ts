import { describe, expect, test } from 'vitest';
import { RECENT_KEY, jsonProblem, loadRecent, remember, splitChannels, type Sent } from './recent';

function memory(): Pick<Storage, 'getItem' | 'setItem'> & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return { data, getItem: (k) => data.get(k) ?? null, setItem: (k, v) => void data.set(k, v) };
}

const sent = (name: string): Sent => ({ channels: ['a'], name, data: '{}', socketId: '' });

describe('recent sends', () => {
  test('newest first, a repeat moves to the front, ten kept', () => {
    const storage = memory();
    for (let i = 0; i < 12; i++) remember(storage, sent(`e${i}`));
    remember(storage, sent('e5'));
    const names = loadRecent(storage).map((s) => s.name);
    expect(names).toHaveLength(10);
    expect(names.slice(0, 3)).toEqual(['e5', 'e11', 'e10']);
    expect(names.filter((n) => n === 'e5')).toHaveLength(1);
  });

  test('what is not ours is ignored', () => {
    const storage = memory();
    storage.data.set(RECENT_KEY, 'garbage');
    expect(loadRecent(storage)).toEqual([]);
    storage.data.set(RECENT_KEY, JSON.stringify([{ name: 1 }, sent('ok')]));
    expect(loadRecent(storage).map((s) => s.name)).toEqual(['ok']);
  });

  test('channels split on commas and spaces; data must be JSON', () => {
    expect(splitChannels(' a, b  c,,')).toEqual(['a', 'b', 'c']);
    expect(jsonProblem('{"a":1}')).toBeNull();
    expect(jsonProblem('{a:1}')).not.toBeNull();
  });
});
