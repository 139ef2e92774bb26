import { renderToStaticMarkup } from 'react-dom/server';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import type { Invoice, InvoiceAction, InvoiceStatus } from '../../api';
import { InvoiceDetail, sendLabel } from './InvoiceDetail';

function invoice(status: InvoiceStatus, actions: InvoiceAction[]): Invoice {
  return {
    id: 'inv_1',
    number: 7,
    status,
    customer: { name: 'Ada', email: 'ada@example.com', address: '', taxId: '' },
    currency: 'EUR',
    items: [{ description: 'Design', quantity: 1, unitPrice: 5000, amount: 5000, taxRate: 0 }],
    displayNumber: '#7',
    issueDate: '2025-10-01',
    reference: '',
    subtotal: 5000,
    discount: null,
    discountAmount: 0,
    taxes: [],
    paymentInstructions: '',
    total: 5000,
    amountPaid: 0,
    balanceDue: 5000,
    dueDate: '2099-12-31',
    createdAt: '2025-10-01T10:00:00.000Z',
    updatedAt: '2025-10-01T10:00:00.000Z',
    payments: [],
    actions,
  };
}

const noop = async () => undefined;

function html(inv: Invoice): string {
  return renderToStaticMarkup(
    <MemoryRouter>
      <InvoiceDetail
        invoice={inv}
        onSend={noop}
        onVoid={noop}
        onPaymentSubmitting={noop}
        onPaymentRecorded={noop}
        onRemovePayment={noop}
        onRefundPayment={noop}
      />
    </MemoryRouter>,
  );
}

/** The page as HTML: which controls it offers. */
function controls(inv: Invoice) {
  const page = html(inv);
  return {
    edit: page.includes('href="/app/invoices/inv_1/edit"'),
    send: page.includes('Send by e-mail'),
    void: page.includes('Void…'),
    recordPayment: page.includes('Record a payment'),
  };
}

describe('InvoiceDetail offers what the server allows', () => {
  it('a draft: edit, send, void', () => {
    expect(controls(invoice('draft', ['edit', 'send', 'void']))).toEqual({
      edit: true,
      send: true,
      void: true,
      recordPayment: false,
    });
  });

  it('a sent invoice: edit, record a payment, void', () => {
    expect(controls(invoice('sent', ['edit', 'record_payment', 'void']))).toEqual({
      edit: true,
      send: false,
      void: true,
      recordPayment: true,
    });
  });

  it('a paid invoice: nothing', () => {
    const paid = { ...invoice('paid', []), amountPaid: 5000, balanceDue: 0 };
    expect(controls(paid)).toEqual({ edit: false, send: false, void: false, recordPayment: false });
  });

  it('reads the list, not the status', () => {
    // The server is the judge: a status alone draws no button.
    expect(controls(invoice('draft', ['record_payment']))).toEqual({
      edit: false,
      send: false,
      void: false,
      recordPayment: true,
    });
  });
});

describe('InvoiceDetail payments and balance', () => {
  const payment = (id: string, removable: boolean) => ({
    id,
    amount: 1000,
    method: removable ? 'cash' : 'card',
    createdAt: '2025-10-02T10:00:00.000Z',
    source: removable ? 'owner' : 'provider',
    removable,
    refunded: 0,
    refundable: !removable,
  });

  it('offers removal for the payments the server marks removable', () => {
    const paid = { ...invoice('partially_paid', ['record_payment', 'remove_payment']), payments: [payment('p1', true), payment('p2', false)] };
    const page = html(paid);
    expect(page.match(/Remove…/g)?.length).toBe(1);
    expect(page).toContain('aria-label="Remove the €10.00 payment"');
  });

  it('offers a refund for the card payments the server marks refundable, and shows what was refunded', () => {
    const refunded = { ...payment('p3', false), refunded: 400, refundable: false };
    const paid = { ...invoice('partially_paid', ['record_payment', 'remove_payment']), payments: [payment('p1', true), payment('p2', false), refunded] };
    const page = html(paid);
    expect(page.match(/Refund…/g)?.length).toBe(1);
    expect(page).toContain('aria-label="Refund the €10.00 payment"');
    expect(page).toContain('€4.00 refunded');
  });

  it('a void invoice shows no balance due', () => {
    expect(html(invoice('sent', []))).toContain('data-testid="balance-due"');
    expect(html(invoice('void', []))).not.toContain('Balance due');
  });
});

describe('the Send button says what will happen', () => {
  it('e-mails a customer with an address, else only marks the invoice sent', () => {
    const draft = invoice('draft', ['send']);
    expect(sendLabel(draft)).toBe('Send by e-mail');
    expect(sendLabel({ ...draft, customer: { name: 'Ada', email: '' } })).toBe('Mark as sent');
  });
});
