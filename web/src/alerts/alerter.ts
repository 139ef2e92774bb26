//! Announcing events once per browser: the tab holding the alert lock announces
//! at once; any other tab waits a moment, so the leader claims first, and then
//! announces only what no tab has claimed (a tab on the list sees payments the
//! leader, on one invoice, does not). Several alerts at once (a replay after a
//! reconnect) become one summary: one notification, one tone.
import { alertKey, isSettlement, type InvoiceEvent } from '../events';
import type { AlertLedger } from './ledger';
import type { Leadership } from './leader';
import { summarize, type Alert, type Summary } from './summary';
import type { SoundType } from '../sounds';

/** What an announcement does, injectable for tests. */
export interface AlertOutput {
  payment(event: InvoiceEvent): void;
  status(event: InvoiceEvent): void;
  summary(summary: Summary): void;
  sound(type: SoundType): void;
}

/** How long a tab that does not hold the lock lets the leader go first. */
export const FOLLOWER_DELAY_MS = 1000;

export function statusSound(status: string | undefined): SoundType {
  return status === 'overdue' ? 'warning' : status === 'void' ? 'error' : 'info';
}

export class Alerter {
  constructor(
    private readonly ledger: AlertLedger,
    private readonly leadership: Leadership,
    private readonly output: AlertOutput,
    private readonly followerDelayMs = FOLLOWER_DELAY_MS,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Announces the alerts no tab has announced; returns how many that was. */
  async announce(alerts: readonly Alert[]): Promise<number> {
    if (alerts.length === 0) return 0;
    if (!this.leadership.isLeader()) await this.sleep(this.followerDelayMs);
    const fresh: Alert[] = [];
    const keys = new Set<string>();
    for (const alert of alerts) {
      const key = alertKey(alert.event);
      if (keys.has(key)) continue;
      keys.add(key);
      if (await this.ledger.claim(key)) fresh.push(alert);
    }
    const [only] = fresh;
    if (fresh.length === 1 && only) {
      if (only.kind === 'payment') {
        this.output.payment(only.event);
        this.output.sound(isSettlement(only.event) ? 'success' : 'info');
      } else {
        this.output.status(only.event);
        this.output.sound(statusSound(only.event.status));
      }
    } else if (fresh.length > 1) {
      const summary = summarize(fresh);
      this.output.summary(summary);
      this.output.sound(summary.sound);
    }
    return fresh.length;
  }
}
