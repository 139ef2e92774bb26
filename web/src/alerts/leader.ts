//! Which tab of the browser announces first: the one holding the Web Lock
//! `paybell-alerts`. The lock is held until the tab closes, when the browser
//! hands it to the next tab waiting for it. Without Web Locks, every tab leads
//! (the ledger still keeps announcements to one).

export interface Leadership {
  isLeader(): boolean;
}

interface LockManagerLike {
  request(name: string, callback: () => Promise<unknown>): Promise<unknown>;
}

const LOCK = 'paybell-alerts';

export class WebLockLeadership implements Leadership {
  private leader = false;

  constructor(locks: LockManagerLike | undefined) {
    if (!locks) {
      this.leader = true;
      return;
    }
    locks
      .request(LOCK, () => {
        this.leader = true;
        // Never resolves: the lock is released when the tab goes away.
        return new Promise<never>(() => undefined);
      })
      .catch(() => {
        this.leader = true;
      });
  }

  isLeader(): boolean {
    return this.leader;
  }
}

export function browserLeadership(): Leadership {
  const locks = typeof navigator === 'undefined' ? undefined : (navigator as { locks?: LockManagerLike }).locks;
  return new WebLockLeadership(locks);
}
