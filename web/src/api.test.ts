import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, decodeInvoice, decodeRuntimeConfig, errorMessage, newIdempotencyKey } from './api';
import { DecodeError } from './decode';

const invoice = {
  id: 'inv_1',
  number: 7,
  status: 'partially_paid',
  customer: { name: 'Ada', email: 'ada@example.com' },
  currency: 'EUR',
  items: [{ description: 'Design', quantity: 2, unitPrice: 5000, amount: 10000 }],
  total: 10000,
  amountPaid: 4000,
  balanceDue: 6000,
  dueDate: '2025-11-01',
  notes: null,
  createdAt: '2025-10-01T10:00:00.000Z',
  updatedAt: '2025-10-02T10:00:00.000Z',
  payments: [{ id: 'p1', amount: 4000, method: 'card', reference: null, createdAt: '2025-10-02T10:00:00.000Z' }],
  payUrl: 'http://localhost:8080/pay/inv_1',
  actions: ['record_payment'],
};

function respond(status: number, body: unknown) {
  return vi.fn(async (_url: string, _init?: RequestInit) =>
    new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: { 'Content-Type': 'application/json' },
    }),
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('decoders', () => {
  it('decode a full invoice', () => {
    const decoded = decodeInvoice(invoice);
    expect(decoded.notes).toBeUndefined();
    expect(decoded.payments[0]!.reference).toBeUndefined();
    expect(decoded.amountPaid).toBe(4000);
  });

  it('name the field that does not fit', () => {
    expect(() => decodeInvoice({ ...invoice, total: 100.5 })).toThrow(new DecodeError('total', 'an integer'));
    expect(() => decodeInvoice({ ...invoice, status: 'lost' })).toThrow(/status/);
    expect(() => decodeInvoice({ ...invoice, items: [{ description: 'x' }] })).toThrow(/items\[0\]\.quantity/);
  });

  it('read the allowed actions, ignoring ones this build does not know', () => {
    expect(decodeInvoice(invoice).actions).toEqual(['record_payment']);
    const draft = { ...invoice, status: 'draft', actions: ['edit', 'send', 'archive', 'void'] };
    expect(decodeInvoice(draft).actions).toEqual(['edit', 'send', 'void']);
    expect(decodeInvoice({ ...invoice, actions: [] }).actions).toEqual([]);
  });

  it('require the actions to be a list of strings', () => {
    const { actions: _, ...withoutActions } = invoice;
    expect(() => decodeInvoice(withoutActions)).toThrow(new DecodeError('actions', 'an array'));
    expect(() => decodeInvoice({ ...invoice, actions: 'edit' })).toThrow(new DecodeError('actions', 'an array'));
    expect(() => decodeInvoice({ ...invoice, actions: [1] })).toThrow(new DecodeError('actions[0]', 'a string'));
  });
});

describe('runtime config', () => {
  const pusher = { key: 'k' };
  it('names the payment provider, test when the server does not say', () => {
    expect(decodeRuntimeConfig({ pusher }).payments).toEqual({ provider: 'test' });
    const stripe = { provider: 'stripe', publishableKey: 'pk_test_1', jsUrl: 'https://js.stripe.com/v3/' };
    expect(decodeRuntimeConfig({ pusher, payments: stripe }).payments).toEqual(stripe);
    expect(() => decodeRuntimeConfig({ pusher, payments: { provider: 'paypal' } })).toThrow(DecodeError);
  });
});

describe('api client', () => {
  it('sends JSON with the Idempotency-Key and decodes the answer', async () => {
    const fetch = respond(201, { payment: invoice.payments[0], invoice });
    vi.stubGlobal('fetch', fetch);
    const result = await api.recordPayment('inv_1', { amount: 4000, method: 'card' }, 'key-1');
    expect(result.invoice.id).toBe('inv_1');
    const [url, init] = fetch.mock.calls[0]!;
    expect(url).toBe('/api/invoices/inv_1/payments');
    expect(init?.method).toBe('POST');
    expect((init?.headers as Record<string, string>)['Idempotency-Key']).toBe('key-1');
    expect(JSON.parse(init?.body as string)).toEqual({ amount: 4000, method: 'card' });
  });

  it('turns the error body into an ApiError with field messages', async () => {
    vi.stubGlobal(
      'fetch',
      respond(422, { error: { code: 'validation', message: 'Invalid invoice', fields: { 'customer.email': 'is invalid' } } }),
    );
    const error = await api.createInvoice({
      customer: { name: 'a', email: 'b' },
      currency: 'USD',
      dueDate: '2025-01-01',
      items: [],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 422, code: 'validation', message: 'Invalid invoice' });
    expect((error as ApiError).fields).toEqual({ 'customer.email': 'is invalid' });
  });

  it('gives a readable message for non-JSON failures and lost connections', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response('<html>bad gateway</html>', { status: 502 })));
    const gateway = await api.listInvoices().catch((e: unknown) => e);
    expect(errorMessage(gateway)).toBe('The server answered 502.');

    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))));
    const offline = await api.listInvoices().catch((e: unknown) => e);
    expect(offline).toMatchObject({ status: 0, code: 'network' });
  });

  it('marks missing sessions', async () => {
    vi.stubGlobal('fetch', respond(401, { error: { code: 'unauthorized', message: 'Sign in' } }));
    const error = await api.me().catch((e: unknown) => e);
    expect((error as ApiError).isUnauthorized).toBe(true);
  });

  it('reads the runtime realtime config', async () => {
    vi.stubGlobal(
      'fetch',
      respond(200, { pusher: { key: 'app-key', cluster: 'mt1', wsHost: '127.0.0.1', wsPort: 6001, forceTLS: false }, privateChannels: true }),
    );
    await expect(api.config()).resolves.toEqual({
      pusher: { key: 'app-key', cluster: 'mt1', wsHost: '127.0.0.1', wsPort: 6001, forceTLS: false },
      privateChannels: true,
      payments: { provider: 'test' },
    });
  });
});

describe('newIdempotencyKey', () => {
  it('is unique', () => {
    expect(newIdempotencyKey()).not.toBe(newIdempotencyKey());
  });
});
