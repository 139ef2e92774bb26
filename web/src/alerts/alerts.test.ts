import { describe, expect, it, vi } from 'vitest';
import type { InvoiceEvent } from '../events';
import { payload } from '../realtime/fakes';
import { Alerter, type AlertOutput } from './alerter';
import { MemoryLedger } from './ledger';
import { summarize, type Alert } from './summary';

const paid = (id: string, amount: number, extra: Partial<InvoiceEvent> = {}): Alert => ({
  kind: 'payment',
  event: payload(id, { amount, currency: 'EUR', sentAt: `2026-01-01T00:00:0${id.length}.000Z`, invoiceId: id, ...extra }),
});

describe('summarize (collapsing)', () => {
  it('sums the payments missed while offline', () => {
    const s = summarize([paid('a', 10000), paid('b', 12000), paid('c', 20000)], 'en-IE');
    expect(s.body).toBe('3 payments received while you were offline — €420.00');
    expect(s.sound).toBe('info');
    expect(s.invoiceId).toBeUndefined();
  });

  it('names each currency, counts other updates, and marks a settlement', () => {
    const s = summarize(
      [
        paid('a', 500, { currency: 'USD' }),
        paid('b', 1000, { type: 'invoice_completed', status: 'paid' }),
        { kind: 'status', event: payload('c', { invoiceId: 'b', type: 'invoice_void', status: 'void' }) },
      ],
      'en-US',
    );
    expect(s.body).toBe('2 payments received while you were offline — $5.00 + €10.00 (and 1 other update)');
    expect([s.sound, s.tone]).toEqual(['success', 'success']);
  });

  it('leaves the total out when an amount is unknown, and keeps one invoice as the target', () => {
    const one = { invoiceId: 'inv1' };
    const s = summarize([paid('a', 100, one), { kind: 'payment', event: payload('b', one) }]);
    expect(s.body).toBe('2 payments received while you were offline');
    expect(s.invoiceId).toBe('inv1');
  });

  it('summarises status changes alone', () => {
    const s = summarize([
      { kind: 'status', event: payload('a', { invoiceId: 'x', status: 'overdue' }) },
      { kind: 'status', event: payload('b', { invoiceId: 'y', status: 'void', sentAt: '2026-01-02T00:00:00.000Z' }) },
    ]);
    expect(s.body).toBe('2 invoice updates while you were offline');
  });
});

function recorder(): AlertOutput & { log: string[] } {
  const log: string[] = [];
  return {
    log,
    payment: (e) => log.push(`payment:${e.eventId}`),
    status: (e) => log.push(`status:${e.eventId}`),
    summary: (s) => log.push(`summary:${s.body}`),
    sound: (t) => log.push(`sound:${t}`),
  };
}

describe('Alerter', () => {
  const leader = { isLeader: () => true };
  const follower = { isLeader: () => false };

  it('announces one event with its own notification and tone', async () => {
    const out = recorder();
    await new Alerter(new MemoryLedger(), leader, out).announce([paid('a', 100)]);
    expect(out.log).toEqual(['payment:a', 'sound:info']);
  });

  it('collapses a replayed batch into one notification and one tone', async () => {
    const out = recorder();
    const n = await new Alerter(new MemoryLedger(), leader, out).announce([paid('a', 100), paid('bb', 200)]);
    expect(n).toBe(2);
    expect(out.log).toEqual(['summary:2 payments received while you were offline — €3.00', 'sound:info']);
  });

  it('announces an event once across tabs sharing a ledger, the leader first', async () => {
    const ledger = new MemoryLedger();
    const [first, second] = [recorder(), recorder()];
    const sleep = vi.fn(async () => undefined);
    const alert = paid('a', 100);
    // The same change seen on the user channel by one tab and the invoice channel by another.
    const twin: Alert = { ...alert, event: { ...alert.event, eventId: 'other-row' } };
    await new Alerter(ledger, leader, first).announce([alert]);
    await new Alerter(ledger, follower, second, 1000, sleep).announce([twin]);
    expect(first.log).toEqual(['payment:a', 'sound:info']);
    expect(second.log).toEqual([]);
    expect(sleep).toHaveBeenCalledWith(1000);
    // A reload's replay of the same event: still nothing.
    await new Alerter(ledger, leader, second).announce([alert, paid('bb', 5)]);
    expect(second.log).toEqual(['payment:bb', 'sound:info']);
  });
});
