//! Where each channel's event log was last read up to, so a page that was cut off
//! asks the server for exactly what it missed. Kept in memory and in
//! `sessionStorage` (per tab, survives a reload); a storage that throws (private
//! mode, quota) only loses the reload case.

/** The part of `Storage` used here. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const PREFIX = 'paybell.cursor.';

export class CursorBook {
  private readonly memory = new Map<string, string>();

  constructor(private readonly storage: StorageLike | null = browserSessionStorage()) {}

  /** The cursor of `channel`, if it was read before (in this tab). */
  get(channel: string): string | undefined {
    const known = this.memory.get(channel);
    if (known !== undefined) return known;
    try {
      const stored = this.storage?.getItem(PREFIX + channel);
      if (stored) this.memory.set(channel, stored);
      return stored || undefined;
    } catch {
      return undefined;
    }
  }

  /** Records that `channel` was read up to `cursor`. */
  set(channel: string, cursor: string): void {
    this.memory.set(channel, cursor);
    try {
      this.storage?.setItem(PREFIX + channel, cursor);
    } catch {
      // Memory still has it.
    }
  }

  /** Forgets `channel` (its cursor is no longer served). */
  forget(channel: string): void {
    this.memory.delete(channel);
    try {
      this.storage?.removeItem(PREFIX + channel);
    } catch {
      // Nothing to do.
    }
  }
}

function browserSessionStorage(): StorageLike | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}
