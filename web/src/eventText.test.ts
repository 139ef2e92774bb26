import { describe, expect, it } from 'vitest';
import { parseInvoiceEvent, type InvoiceEvent } from './events';
import { withPageText } from './eventText';

const base: InvoiceEvent = {
  title: '💰 Payment Received',
  body: 'A payment of 10.00 EUR was received for Invoice #7',
  type: 'payment_received',
  invoiceId: 'inv7',
  status: 'partially_paid',
  sentAt: '2025-10-12T18:40:12.153Z',
  eventId: 'e1',
  amount: 1000,
  currency: 'EUR',
};

describe('event text for toasts and notifications', () => {
  it('writes money as the pages do and names the customer', () => {
    const text = withPageText(base, { customerName: 'Grace Hopper', number: 7 }, 'en-US');
    expect(text.title).toBe('💰 Payment Received');
    expect(text.body).toBe('€10.00 from Grace Hopper for Invoice #7');
    expect(text.eventId).toBe('e1');
  });

  it('settlements, removals and unknown customers', () => {
    const paid = { ...base, type: 'invoice_completed', status: 'paid', body: 'Invoice #7 has been paid successfully' };
    expect(withPageText(paid, { customerName: 'Ada' }, 'en-US').body).toBe('€10.00 from Ada · Invoice #7 is paid in full');
    expect(withPageText(paid, {}, 'en-US').body).toBe('€10.00 · Invoice #7 is paid in full');
    const removed = { ...base, type: 'payment_removed', status: 'sent' };
    expect(withPageText(removed, { customerName: 'Ada', number: 'INV-7' }, 'en-US').body).toBe(
      'A €10.00 payment was removed from Invoice INV-7 (Ada)',
    );
    const refunded = { ...base, type: 'payment_refunded', status: 'partially_paid' };
    expect(withPageText(refunded, { customerName: 'Ada', number: 7 }, 'en-US')).toMatchObject({
      title: '↩️ Payment Refunded',
      body: 'A €10.00 payment was refunded on Invoice #7 (Ada)',
    });
    const noAmount: InvoiceEvent = { ...base, amount: undefined, currency: undefined };
    expect(withPageText(noAmount, {}, 'en-US').body).toBe('Invoice #7 received a payment');
  });

  it('other events keep their text, with the customer added', () => {
    const sent = { ...base, type: 'invoice_sent', title: 'Invoice Status: sent', body: 'Invoice #7 status changed to sent' };
    expect(withPageText(sent, { customerName: 'Ada' }).body).toBe('Invoice #7 status changed to sent · Ada');
    expect(withPageText(sent)).toEqual(sent);
  });

  it('the payload parser keeps amount and currency', () => {
    const parsed = parseInvoiceEvent(JSON.stringify(base));
    expect(parsed?.amount).toBe(1000);
    expect(parsed?.currency).toBe('EUR');
    const bad = parseInvoiceEvent({ ...base, amount: '10' });
    expect(bad?.amount).toBeUndefined();
  });
});
