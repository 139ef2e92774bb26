//! Which alerts were raised, shared by every tab of the browser (IndexedDB), so
//! an event is announced once: by one tab, and never again after a reload's
//! replay. `claim` is atomic across tabs: IndexedDB's `add` refuses a key that
//! exists, and only the tab whose `add` succeeded announces.

export interface AlertLedger {
  /** True for the first caller with `key` (in any tab), false after. */
  claim(key: string): Promise<boolean>;
}

/** A ledger for one tab, where IndexedDB is missing (tests, some private modes). */
export class MemoryLedger implements AlertLedger {
  private readonly claimed = new Set<string>();

  async claim(key: string): Promise<boolean> {
    if (this.claimed.has(key)) return false;
    this.claimed.add(key);
    return true;
  }
}

const DB_NAME = 'paybell';
const STORE = 'alerted';
/** Claims are kept this long: longer than any replay reaches back. */
const KEEP_MS = 14 * 24 * 3600 * 1000;

export class IndexedDbLedger implements AlertLedger {
  private db: Promise<IDBDatabase> | null = null;
  private readonly fallback = new MemoryLedger();

  constructor(
    private readonly factory: IDBFactory,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(key: string): Promise<boolean> {
    let db: IDBDatabase;
    try {
      db = await this.open();
    } catch {
      return this.fallback.claim(key);
    }
    return new Promise<boolean>((resolve) => {
      let added = false;
      const tx = db.transaction(STORE, 'readwrite');
      const request = tx.objectStore(STORE).add(this.now(), key);
      request.onsuccess = () => {
        added = true;
      };
      request.onerror = (event) => {
        // ConstraintError: another tab (or an earlier load) claimed it.
        event.preventDefault();
      };
      tx.oncomplete = () => resolve(added);
      tx.onabort = () => resolve(added);
      tx.onerror = () => undefined;
    });
  }

  private open(): Promise<IDBDatabase> {
    if (!this.db) {
      this.db = new Promise<IDBDatabase>((resolve, reject) => {
        const request = this.factory.open(DB_NAME, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE);
        request.onsuccess = () => {
          const db = request.result;
          this.prune(db);
          resolve(db);
        };
        request.onerror = () => reject(request.error ?? new Error('IndexedDB refused'));
        request.onblocked = () => reject(new Error('IndexedDB blocked'));
      });
      this.db.catch(() => undefined);
    }
    return this.db;
  }

  private prune(db: IDBDatabase) {
    try {
      const cutoff = this.now() - KEEP_MS;
      const tx = db.transaction(STORE, 'readwrite');
      const cursor = tx.objectStore(STORE).openCursor();
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return;
        if (typeof at.value !== 'number' || at.value < cutoff) at.delete();
        at.continue();
      };
    } catch {
      // Pruning is housekeeping.
    }
  }
}

/** The browser's ledger: IndexedDB when there is one. */
export function browserLedger(): AlertLedger {
  try {
    if (typeof indexedDB !== 'undefined') return new IndexedDbLedger(indexedDB);
  } catch {
    // Fall through: some browsers throw on access in private mode.
  }
  return new MemoryLedger();
}
