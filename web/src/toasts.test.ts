import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ToastStore } from './toasts';

describe('ToastStore', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('replaces a toast with the same key instead of stacking', () => {
    const store = new ToastStore(1000);
    store.push({ title: 'Payment received', key: 'inv1' });
    store.push({ title: 'Other', key: 'inv2' });
    store.push({ title: 'Invoice Paid', key: 'inv1', tone: 'success' });
    expect(store.get().map((t) => t.title)).toEqual(['Other', 'Invoice Paid']);
  });

  it('dismisses after its lifetime and on request', () => {
    const store = new ToastStore(1000);
    const listener = vi.fn();
    store.subscribe(listener);
    const a = store.push({ title: 'a' });
    store.push({ title: 'b' });
    store.dismiss(a);
    expect(store.get().map((t) => t.title)).toEqual(['b']);
    vi.advanceTimersByTime(1000);
    expect(store.get()).toEqual([]);
    expect(listener).toHaveBeenCalledTimes(4);
  });

  it('keeps at most a few toasts', () => {
    const store = new ToastStore(0, 2);
    ['a', 'b', 'c'].forEach((title) => store.push({ title }));
    expect(store.get().map((t) => t.title)).toEqual(['b', 'c']);
  });
});
