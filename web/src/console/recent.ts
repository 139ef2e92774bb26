// The Event Creator's recent sends, kept in localStorage so they survive a reload.

export interface Sent {
  readonly channels: string[];
  readonly name: string;
  readonly data: string;
  readonly socketId: string;
}

export const RECENT_KEY = 'paybell.console.recent';
const KEPT = 10;

function isSent(value: unknown): value is Sent {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    Array.isArray(v.channels) &&
    v.channels.every((c) => typeof c === 'string') &&
    typeof v.name === 'string' &&
    typeof v.data === 'string' &&
    typeof v.socketId === 'string'
  );
}

/** The recent sends stored, newest first; nothing when the stored text is not ours. */
export function loadRecent(storage: Pick<Storage, 'getItem'>): Sent[] {
  try {
    const value: unknown = JSON.parse(storage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(value) ? value.filter(isSent).slice(0, KEPT) : [];
  } catch {
    return [];
  }
}

/** Adds a send in front (a repeat moves to the front), keeps 10, stores and returns them. */
export function remember(storage: Pick<Storage, 'getItem' | 'setItem'>, sent: Sent): Sent[] {
  const same = (a: Sent) => JSON.stringify(a) === JSON.stringify(sent);
  const next = [sent, ...loadRecent(storage).filter((s) => !same(s))].slice(0, KEPT);
  try {
    storage.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    // Storage full or refused: the list lives for this page only.
  }
  return next;
}

/** The channels typed into one field: separated by commas or spaces. */
export function splitChannels(text: string): string[] {
  return text.split(/[\s,]+/).filter((c) => c.length > 0);
}

/** `null` when `data` is JSON, else why not. */
export function jsonProblem(data: string): string | null {
  try {
    JSON.parse(data);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : 'not JSON';
  }
}
