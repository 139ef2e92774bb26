import { describe, expect, it } from 'vitest';
import { EventDeduper, invoiceChannel, isSettlement, parseInvoiceEvent, userChannel } from './events';

const wire = {
  title: '✅ Invoice Paid',
  body: 'Invoice #7 has been paid successfully',
  type: 'invoice_completed',
  invoiceId: 'k3j2',
  status: 'paid',
  sentAt: '2025-10-12T18:40:12.153Z',
  eventId: 'e-1',
};

describe('channel names', () => {
  it('follows the contract, with private- in hardened mode', () => {
    expect(invoiceChannel('abc', false)).toBe('invoice.abc');
    expect(invoiceChannel('abc', true)).toBe('private-invoice.abc');
    expect(userChannel('u1', false)).toBe('user.u1.invoices');
    expect(userChannel('u1', true)).toBe('private-user.u1.invoices');
  });
});

describe('parseInvoiceEvent', () => {
  it('accepts the documented payload, parsed or as a JSON string', () => {
    expect(parseInvoiceEvent(wire)).toEqual(wire);
    expect(parseInvoiceEvent(JSON.stringify(wire))).toEqual(wire);
  });

  it('keeps working when fields are added and optional ones are missing', () => {
    const { status: _status, eventId: _eventId, ...required } = wire;
    expect(parseInvoiceEvent({ ...required, extra: 1 })).toEqual(required);
    expect(parseInvoiceEvent({ ...wire, status: null, eventId: null })).toEqual(required);
  });

  it.each([
    ['not an object', 42],
    ['bad JSON', '{'],
    ['missing invoiceId', { ...wire, invoiceId: undefined }],
    ['numeric invoiceId', { ...wire, invoiceId: 7 }],
    ['missing title', { ...wire, title: undefined }],
    ['status of the wrong type', { ...wire, status: 3 }],
    ['an array', [wire]],
  ])('rejects %s', (_, value) => {
    expect(parseInvoiceEvent(value)).toBeNull();
  });

  it('recognises settlements', () => {
    expect(isSettlement(parseInvoiceEvent(wire)!)).toBe(true);
    expect(isSettlement({ ...wire, type: 'payment_received', status: 'partially_paid' })).toBe(false);
  });
});

describe('EventDeduper', () => {
  it('accepts an id once', () => {
    const d = new EventDeduper();
    expect(d.accept('a')).toBe(true);
    expect(d.accept('a')).toBe(false);
    expect(d.accept('b')).toBe(true);
  });

  it('never drops events without an id', () => {
    const d = new EventDeduper();
    expect(d.accept(undefined)).toBe(true);
    expect(d.accept(undefined)).toBe(true);
  });

  it('forgets the oldest ids beyond its capacity', () => {
    const d = new EventDeduper(2);
    d.accept('a');
    d.accept('b');
    d.accept('c');
    expect(d.accept('b')).toBe(false);
    expect(d.accept('a')).toBe(true);
  });
});
