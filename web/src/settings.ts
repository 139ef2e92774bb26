//! The user's sound and notification preferences, remembered in
//! `localStorage` (per browser) and observable so every page reacts at once.

import { useSyncExternalStore } from 'react';

export interface Settings {
  /** Play tones on payments and status changes. */
  sounds: boolean;
  /** Raise desktop notifications (in-page toasts are always shown). */
  notifications: boolean;
  /** Log connection changes, subscriptions and received events to the console (`?debug=1`). */
  debug: boolean;
}

export const DEFAULT_SETTINGS: Settings = { sounds: true, notifications: true, debug: false };
export const SETTINGS_KEY = 'paybell.settings';

/** The part of `Storage` the store needs, so tests can pass a Map-backed fake. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export class SettingsStore {
  private current: Settings;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: KeyValueStorage | null) {
    this.current = SettingsStore.read(storage);
  }

  private static read(storage: KeyValueStorage | null): Settings {
    try {
      const raw = storage?.getItem(SETTINGS_KEY);
      if (!raw) return { ...DEFAULT_SETTINGS };
      const parsed = JSON.parse(raw) as unknown;
      if (typeof parsed !== 'object' || parsed === null) return { ...DEFAULT_SETTINGS };
      const record = parsed as Record<string, unknown>;
      return {
        sounds: typeof record.sounds === 'boolean' ? record.sounds : DEFAULT_SETTINGS.sounds,
        notifications:
          typeof record.notifications === 'boolean' ? record.notifications : DEFAULT_SETTINGS.notifications,
        debug: typeof record.debug === 'boolean' ? record.debug : DEFAULT_SETTINGS.debug,
      };
    } catch {
      return { ...DEFAULT_SETTINGS };
    }
  }

  get = (): Settings => this.current;

  update(patch: Partial<Settings>): void {
    this.current = { ...this.current, ...patch };
    try {
      this.storage?.setItem(SETTINGS_KEY, JSON.stringify(this.current));
    } catch {
      // Storage full or blocked (private mode): the setting still applies to this tab.
    }
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
}

function browserStorage(): KeyValueStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** The app's one settings store. */
export const settings = new SettingsStore(browserStorage());

export function useSettings(): Settings {
  return useSyncExternalStore(settings.subscribe, settings.get, settings.get);
}
