import { describe, expect, it, vi } from 'vitest';
import { MemoryLedger } from '../alerts/ledger';
import { alertKey, parseInvoiceEvent } from '../events';
import { handlePush, openInvoice, clickedInvoice, type ShowOptions, type WindowLike } from './worker';

const payload = {
  title: '💰 Payment Received',
  body: 'A payment of 10.00 EUR was received for Invoice #7',
  type: 'payment_received',
  invoiceId: 'inv1',
  status: 'partially_paid',
  sentAt: '2026-01-01T10:00:00.000Z',
  eventId: 'ev-user',
  amount: 1000,
  currency: 'EUR',
};

function shower() {
  const shown: Array<[string, ShowOptions]> = [];
  return { shown, show: async (title: string, options: ShowOptions) => void shown.push([title, options]) };
}

describe('handlePush', () => {
  it('shows the in-tab wording with the invoice tag', async () => {
    const out = shower();
    const outcome = await handlePush(JSON.stringify(payload), { ledger: new MemoryLedger(), show: out.show });
    expect(outcome).toBe('shown');
    const [title, options] = out.shown[0]!;
    expect(title).toBe('💰 Payment Received');
    expect(options.body).toMatch(/^€10\.00 for Invoice #7$/);
    expect(options.tag).toBe('paybell-invoice-inv1');
    expect(options.data).toEqual({ invoiceId: 'inv1', eventId: 'ev-user' });
  });

  it('stays quiet for an event a tab announced (another channel row of the same change)', async () => {
    const ledger = new MemoryLedger();
    const tabsCopy = parseInvoiceEvent({ ...payload, eventId: 'ev-invoice' })!;
    await ledger.claim(alertKey(tabsCopy));
    const out = shower();
    expect(await handlePush(payload, { ledger, show: out.show })).toBe('quiet');
    expect(out.shown).toEqual([]);
  });

  it('ignores what is not a Paybell event, and announces a repeat once', async () => {
    const ledger = new MemoryLedger();
    const out = shower();
    expect(await handlePush('not json', { ledger, show: out.show })).toBe('ignored');
    expect(await handlePush({ hello: 1 }, { ledger, show: out.show })).toBe('ignored');
    expect(await handlePush(payload, { ledger, show: out.show })).toBe('shown');
    expect(await handlePush(payload, { ledger, show: out.show })).toBe('quiet');
    expect(out.shown).toHaveLength(1);
  });
});

describe('openInvoice', () => {
  const origin = 'https://pay.example.com';
  const win = (url: string, navigate = true): WindowLike & { focus: ReturnType<typeof vi.fn> } => ({
    url,
    focus: vi.fn(async () => undefined),
    ...(navigate ? { navigate: vi.fn(async () => undefined) } : {}),
  });

  it('focuses the window already on the invoice', async () => {
    const [list, detail] = [win(`${origin}/app/invoices`), win(`${origin}/app/invoices/inv1`)];
    const open = vi.fn(async () => undefined);
    await openInvoice('inv1', { origin, windows: async () => [list, detail], open });
    expect(detail.focus).toHaveBeenCalled();
    expect(list.focus).not.toHaveBeenCalled();
    expect(open).not.toHaveBeenCalled();
  });

  it('moves another window there, or opens one', async () => {
    const list = win(`${origin}/app/invoices`);
    const open = vi.fn(async () => undefined);
    await openInvoice('inv 2', { origin, windows: async () => [list], open });
    expect(list.navigate).toHaveBeenCalledWith(`${origin}/app/invoices/inv%202`);
    await openInvoice('inv1', { origin, windows: async () => [], open });
    expect(open).toHaveBeenCalledWith(`${origin}/app/invoices/inv1`);
  });

  it('reads the invoice from the notification data', () => {
    expect(clickedInvoice({ invoiceId: 'x' })).toBe('x');
    expect(clickedInvoice(null)).toBeNull();
    expect(clickedInvoice({ invoiceId: 3 })).toBeNull();
  });
});
