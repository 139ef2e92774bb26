//! In-page toasts: the fallback for desktop notifications and the place for
//! short confirmations. Toasts with the same `key` (an invoice id) replace each
//! other, so a burst of events about one invoice shows one message.

import { useSyncExternalStore } from 'react';

export type ToastTone = 'success' | 'info' | 'warning' | 'error';

export interface ToastInput {
  title: string;
  body?: string;
  tone?: ToastTone;
  /** Toasts sharing a key collapse into the newest. */
  key?: string;
}

export interface Toast extends Required<Omit<ToastInput, 'key'>> {
  id: number;
  key: string | undefined;
}

type Timer = ReturnType<typeof setTimeout>;

export class ToastStore {
  private toasts: readonly Toast[] = [];
  private nextId = 1;
  private readonly timers = new Map<number, Timer>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly lifetimeMs = 8000,
    private readonly maxVisible = 4,
  ) {}

  get = (): readonly Toast[] => this.toasts;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  push(input: ToastInput): number {
    const toast: Toast = {
      id: this.nextId++,
      key: input.key,
      title: input.title,
      body: input.body ?? '',
      tone: input.tone ?? 'info',
    };
    const replaced = input.key === undefined ? [] : this.toasts.filter((t) => t.key === input.key);
    replaced.forEach((t) => this.clearTimer(t.id));
    const kept = this.toasts.filter((t) => !replaced.includes(t));
    const next = [...kept, toast];
    next.slice(0, Math.max(0, next.length - this.maxVisible)).forEach((t) => this.clearTimer(t.id));
    this.toasts = next.slice(-this.maxVisible);
    if (this.lifetimeMs > 0) {
      this.timers.set(toast.id, setTimeout(() => this.dismiss(toast.id), this.lifetimeMs));
    }
    this.emit();
    return toast.id;
  }

  dismiss = (id: number): void => {
    this.clearTimer(id);
    const next = this.toasts.filter((t) => t.id !== id);
    if (next.length !== this.toasts.length) {
      this.toasts = next;
      this.emit();
    }
  };

  private clearTimer(id: number) {
    const timer = this.timers.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(id);
  }

  private emit() {
    for (const listener of this.listeners) listener();
  }
}

/** The app's one toast stack. */
export const toasts = new ToastStore();

export function useToasts(): readonly Toast[] {
  return useSyncExternalStore(toasts.subscribe, toasts.get, toasts.get);
}
