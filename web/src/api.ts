//! The typed client for the Paybell REST API (same origin, JSON, camelCase,
//! amounts in integer minor units). Every response is decoded before a page
//! sees it; every failure becomes an `ApiError` with a message fit to show.

import {
  array,
  bool,
  DecodeError,
  field,
  int,
  isRecord,
  knownOf,
  num,
  object,
  oneOf,
  optional,
  str,
  withDefault,
  type Decoder,
} from './decode';

export const INVOICE_STATUSES = ['draft', 'sent', 'partially_paid', 'paid', 'overdue', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** What the owner may do to an invoice; the server decides which apply, from its status machine. */
export const INVOICE_ACTIONS = ['edit', 'send', 'record_payment', 'void', 'remove_payment'] as const;
export type InvoiceAction = (typeof INVOICE_ACTIONS)[number];

export interface User {
  id: string;
  email: string;
  name: string;
}

export interface LineItem {
  description: string;
  quantity: number;
  unitPrice: number;
  amount: number;
  /** Exclusive tax rate in basis points (2000 = 20 %); 0 for none. */
  taxRate: number;
}

/** One tax line: the rate in basis points and the tax in minor units. */
export interface TaxLine {
  rate: number;
  amount: number;
}

/** The invoice-level discount as entered: a percentage in basis points or an amount. */
export type Discount = { percent: number } | { amount: number };

/** The figures and terms the owner's page and the payment page show the same way. */
export interface Figures {
  /** `INV-2026-0007` with the owner's number prefix, `#7` without. */
  displayNumber: string;
  issueDate: string;
  reference: string;
  subtotal: number;
  discount: Discount | null;
  discountAmount: number;
  taxes: TaxLine[];
  total: number;
  paymentInstructions: string;
}

export interface CustomerSnapshot {
  /** The directory entry it came from. */
  id?: string | undefined;
  name: string;
  email: string;
  address?: string | undefined;
  taxId?: string | undefined;
}

/** The seller as the payer sees it. */
export interface Seller {
  name: string;
  address: string;
  taxId: string;
  email: string;
  phone: string;
  brandColor: string;
  logoUrl?: string | undefined;
}

/** The owner's business profile (`/api/profile`). */
export interface Profile {
  legalName: string;
  address: string;
  taxId: string;
  email: string;
  phone: string;
  brandColor: string;
  defaultCurrency: string | null;
  paymentTermsDays: number | null;
  paymentInstructions: string;
  numberPrefix: string;
  logoUrl?: string | null | undefined;
}

/** A customer of the directory. */
export interface CustomerRecord {
  id: string;
  name: string;
  email: string;
  address: string;
  taxId: string;
  notes: string;
}

export type CustomerInput = Partial<Omit<CustomerRecord, 'id'>>;

/** `GET /api/customers/{id}`. */
export interface CustomerAccount {
  customer: CustomerRecord;
  invoices: Invoice[];
  outstanding: { currency: string; amount: number }[];
}

export interface Payment {
  id: string;
  amount: number;
  method: string;
  reference?: string;
  createdAt: string;
  /** `owner` (recorded by hand) or `provider` (paid by card on the payment page). */
  source: string;
  /** Whether the owner may remove it now (a correction); decided by the server. */
  removable: boolean;
  /** Minor units refunded so far (card payments). */
  refunded: number;
  /** Whether the owner may refund (some of) it now; decided by the server. */
  refundable: boolean;
}

export interface Invoice extends Figures {
  id: string;
  number: number | string;
  status: InvoiceStatus;
  customer: CustomerSnapshot;
  currency: string;
  items: LineItem[];
  total: number;
  amountPaid: number;
  balanceDue: number;
  dueDate: string;
  notes?: string;
  createdAt: string;
  updatedAt: string;
  payments: Payment[];
  payUrl?: string;
  /** The actions the server allows now; the page offers exactly these. */
  actions: InvoiceAction[];
}

/** What the public payment page may see. */
export interface PublicInvoice extends Figures {
  id: string;
  number: number | string;
  status: InvoiceStatus;
  currency: string;
  items: LineItem[];
  total: number;
  amountPaid: number;
  balanceDue: number;
  dueDate: string;
  notes: string;
  customer: { name: string; address: string; taxId: string };
  businessName?: string;
  seller?: Seller | undefined;
}

export interface RuntimeConfig {
  pusher: {
    key: string;
    cluster?: string;
    wsHost?: string;
    wsPort?: number;
    forceTLS?: boolean;
  };
  privateChannels: boolean;
  /** Which provider takes cards on the pay page; Stripe's publishable key and Stripe.js URL. */
  payments: PaymentsConfig;
}

export interface PaymentsConfig {
  provider: 'test' | 'stripe';
  publishableKey?: string;
  jsUrl?: string;
}

/** A Stripe PaymentIntent reserved for the payer (`POST /api/pay/{id}/intents`). */
export interface Intent {
  paymentIntentId: string;
  clientSecret: string;
  publishableKey: string;
  amount: number;
}

export interface InvoiceInput {
  /** A directory customer; the inline `customer` is then not needed. */
  customerId?: string;
  customer?: { name: string; email: string; address?: string; taxId?: string };
  currency: string;
  issueDate?: string;
  dueDate: string;
  reference?: string;
  discount?: Discount | null;
  items: { description: string; quantity: number; unitPrice: number; taxRate?: number }[];
  notes?: string;
}

export interface PaymentInput {
  amount: number;
  method: string;
  reference?: string;
}

export interface CheckoutInput {
  amount?: number;
  card: { number: string; expiry: string; cvc: string };
}

const numberOrText: Decoder<number | string> = (value, path = '') =>
  typeof value === 'number' ? num(value, path) : str(value, path);

const status = oneOf(INVOICE_STATUSES);

const lineItem: Decoder<LineItem> = object({
  description: str,
  quantity: num,
  unitPrice: int,
  amount: int,
  taxRate: withDefault(int, 0),
});

const discount: Decoder<Discount | null> = (value, path = '') => {
  if (value === null || value === undefined) return null;
  if (isRecord(value) && value.percent !== undefined) return { percent: int(value.percent, `${path}.percent`) };
  if (isRecord(value) && value.amount !== undefined) return { amount: int(value.amount, `${path}.amount`) };
  throw new DecodeError(path, 'a discount');
};

const taxLine: Decoder<TaxLine> = object({ rate: int, amount: int });

/** The figures, defaulted for a server that sends none (no tax, no discount). */
function figures(value: unknown, path = ''): Omit<Figures, 'total'> {
  const record = isRecord(value) ? value : {};
  const total = typeof record.total === 'number' ? record.total : 0;
  const number = record.number;
  const fallbackNumber = typeof number === 'number' ? `#${number}` : typeof number === 'string' ? number : '';
  return object({
    displayNumber: withDefault(str, fallbackNumber),
    issueDate: withDefault(str, ''),
    reference: withDefault(str, ''),
    subtotal: withDefault(int, total),
    discount,
    discountAmount: withDefault(int, 0),
    taxes: withDefault(array(taxLine), []),
    paymentInstructions: withDefault(str, ''),
  })(value, path);
}

/** `inner`, with the figures read beside it. */
function withFigures<T>(inner: Decoder<T>): Decoder<T & Omit<Figures, 'total'>> {
  return (value, path) => ({ ...inner(value, path), ...figures(value, path) });
}

const payment: Decoder<Payment> = object({
  id: str,
  amount: int,
  method: withDefault(str, 'other'),
  reference: optional(str),
  createdAt: str,
  source: withDefault(str, 'owner'),
  removable: withDefault(bool, false),
  refunded: withDefault(int, 0),
  refundable: withDefault(bool, false),
});

export const decodeUser: Decoder<User> = object({ id: str, email: str, name: withDefault(str, '') });

export const decodeInvoice: Decoder<Invoice> = withFigures(object({
  id: str,
  number: numberOrText,
  status,
  customer: object({
    id: optional(str),
    name: str,
    email: withDefault(str, ''),
    address: withDefault(str, ''),
    taxId: withDefault(str, ''),
  }),
  currency: str,
  items: withDefault(array(lineItem), []),
  total: int,
  amountPaid: withDefault(int, 0),
  balanceDue: int,
  dueDate: str,
  notes: optional(str),
  createdAt: str,
  updatedAt: withDefault(str, ''),
  payments: withDefault(array(payment), []),
  payUrl: optional(str),
  actions: knownOf(INVOICE_ACTIONS),
}));

const seller: Decoder<Seller> = object({
  name: withDefault(str, ''),
  address: withDefault(str, ''),
  taxId: withDefault(str, ''),
  email: withDefault(str, ''),
  phone: withDefault(str, ''),
  brandColor: withDefault(str, ''),
  logoUrl: optional(str),
});

export const decodePublicInvoice: Decoder<PublicInvoice> = withFigures(object({
  id: str,
  number: numberOrText,
  status,
  currency: str,
  items: withDefault(array(lineItem), []),
  total: int,
  amountPaid: withDefault(int, 0),
  balanceDue: int,
  dueDate: str,
  notes: withDefault(str, ''),
  customer: object({ name: withDefault(str, ''), address: withDefault(str, ''), taxId: withDefault(str, '') }),
  businessName: optional(str),
  seller: optional(seller),
}));

const nullable =
  <T>(inner: Decoder<T>): Decoder<T | null> =>
  (value, path) =>
    value === null || value === undefined ? null : inner(value, path);

export const decodeProfile: Decoder<Profile> = object({
  legalName: withDefault(str, ''),
  address: withDefault(str, ''),
  taxId: withDefault(str, ''),
  email: withDefault(str, ''),
  phone: withDefault(str, ''),
  brandColor: withDefault(str, ''),
  defaultCurrency: nullable(str),
  paymentTermsDays: nullable(int),
  paymentInstructions: withDefault(str, ''),
  numberPrefix: withDefault(str, ''),
  logoUrl: nullable(str),
});

export const decodeCustomer: Decoder<CustomerRecord> = object({
  id: str,
  name: str,
  email: withDefault(str, ''),
  address: withDefault(str, ''),
  taxId: withDefault(str, ''),
  notes: withDefault(str, ''),
});

const decodeAccount: Decoder<CustomerAccount> = object({
  customer: decodeCustomer,
  invoices: withDefault(array(decodeInvoice), []),
  outstanding: withDefault(array(object({ currency: str, amount: int })), []),
});

export const decodeRuntimeConfig: Decoder<RuntimeConfig> = object({
  pusher: object({
    key: str,
    cluster: optional(str),
    wsHost: optional(str),
    wsPort: optional(int),
    forceTLS: optional(bool),
  }),
  privateChannels: withDefault(bool, false),
  payments: withDefault(
    object({
      provider: oneOf(['test', 'stripe'] as const),
      publishableKey: optional(str),
      jsUrl: optional(str),
    }),
    { provider: 'test' } as PaymentsConfig,
  ),
});

const decodeIntent: Decoder<Intent> = object({
  paymentIntentId: str,
  clientSecret: str,
  publishableKey: str,
  amount: int,
});

/** One event of the event log, as it was published. */
export interface LoggedEvent {
  channel: string;
  event: string;
  eventId: string;
  /** The payload, validated by the caller (`parseInvoiceEvent`). */
  data: unknown;
}

/** A page of `GET /api/events` or `GET /api/pay/{id}/events`. */
export interface EventPage {
  events: LoggedEvent[];
  /** Where to read on from: pass it back as `after`. */
  cursor: string;
  hasMore: boolean;
}

const anything: Decoder<unknown> = (value) => value;

export const decodeEventPage: Decoder<EventPage> = object({
  events: array(object({ channel: str, event: str, eventId: str, data: anything })),
  cursor: str,
  hasMore: bool,
});

/** `?after=…` (omitted: the current cursor only). */
function eventsQuery(after: string | undefined): string {
  return after === undefined ? '' : `?after=${encodeURIComponent(after)}`;
}

/** A failed request: HTTP status, the server's error code and message, per-field messages. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

/** Turns any thrown value into a sentence for the page. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof DecodeError) return `The server sent an unexpected answer (${error.message}).`;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}

function fieldMessages(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(value)) {
    for (const [key, message] of Object.entries(value)) {
      if (typeof message === 'string') out[key] = message;
      else if (Array.isArray(message) && typeof message[0] === 'string') out[key] = message[0];
    }
  }
  return out;
}

const FALLBACK_MESSAGES: Record<number, string> = {
  401: 'Please sign in.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'That is not possible in the invoice’s current state.',
  422: 'Some fields need attention.',
  429: 'Too many attempts. Wait a few minutes and try again.',
};

async function toApiError(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON (a proxy error page, an empty body): fall back to the status.
  }
  const error = isRecord(body) ? body.error : undefined;
  const fallback = FALLBACK_MESSAGES[response.status] ?? `The server answered ${response.status}.`;
  if (isRecord(error)) {
    const code = typeof error.code === 'string' ? error.code : `http_${response.status}`;
    const message = typeof error.message === 'string' && error.message ? error.message : fallback;
    return new ApiError(response.status, code, message, fieldMessages(error.fields));
  }
  return new ApiError(response.status, `http_${response.status}`, fallback);
}

export interface RequestOptions {
  body?: unknown;
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export async function request(method: string, path: string, options: RequestOptions = {}): Promise<unknown> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
  }
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return null;
  try {
    return (await response.json()) as unknown;
  } catch {
    throw new ApiError(response.status, 'bad_response', 'The server sent an answer that is not JSON.');
  }
}

const invoiceAndPayment = <T>(invoice: Decoder<T>) =>
  object({ payment: payment, invoice });

const enc = encodeURIComponent;

/** The REST endpoints, one function each. */
export const api = {
  async login(email: string, password: string): Promise<User> {
    return field('user', decodeUser)(await request('POST', '/api/auth/login', { body: { email, password } }));
  },
  async logout(): Promise<void> {
    await request('POST', '/api/auth/logout');
  },
  /** Ends every session of the signed-in owner, this one included. */
  async logoutAll(): Promise<void> {
    await request('POST', '/api/auth/logout-all');
  },
  async me(signal?: AbortSignal): Promise<User> {
    return field('user', decodeUser)(await request('GET', '/api/me', signal ? { signal } : {}));
  },
  async listInvoices(signal?: AbortSignal): Promise<Invoice[]> {
    const body = await request('GET', '/api/invoices', signal ? { signal } : {});
    return field('invoices', array(decodeInvoice))(body);
  },
  async getInvoice(id: string, signal?: AbortSignal): Promise<Invoice> {
    return decodeInvoice(await request('GET', `/api/invoices/${enc(id)}`, signal ? { signal } : {}));
  },
  async createInvoice(input: InvoiceInput): Promise<Invoice> {
    return decodeInvoice(await request('POST', '/api/invoices', { body: input }));
  },
  async updateInvoice(id: string, input: Partial<InvoiceInput>): Promise<Invoice> {
    return decodeInvoice(await request('PATCH', `/api/invoices/${enc(id)}`, { body: input }));
  },
  /** A new draft with the same customer, lines and terms. */
  async duplicateInvoice(id: string): Promise<Invoice> {
    return decodeInvoice(await request('POST', `/api/invoices/${enc(id)}/duplicate`));
  },
  async getProfile(signal?: AbortSignal): Promise<Profile> {
    return decodeProfile(await request('GET', '/api/profile', signal ? { signal } : {}));
  },
  async saveProfile(profile: Omit<Profile, 'logoUrl'>): Promise<Profile> {
    return decodeProfile(await request('PUT', '/api/profile', { body: profile }));
  },
  /** Uploads the logo as the raw body; the server checks it is a PNG or JPEG up to 1 MiB. */
  async uploadLogo(image: Blob): Promise<void> {
    let response: Response;
    try {
      response = await fetch('/api/profile/logo', {
        method: 'PUT',
        headers: { 'Content-Type': image.type || 'application/octet-stream', Accept: 'application/json' },
        credentials: 'same-origin',
        body: image,
      });
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
    }
    if (!response.ok) throw await toApiError(response);
  },
  /** The owner's customers whose name contains `query`. */
  async listCustomers(query = '', signal?: AbortSignal, limit?: number): Promise<CustomerRecord[]> {
    const params = new URLSearchParams();
    if (query) params.set('q', query);
    if (limit !== undefined) params.set('limit', String(limit));
    const qs = params.toString();
    const body = await request('GET', `/api/customers${qs ? `?${qs}` : ''}`, signal ? { signal } : {});
    return field('customers', array(decodeCustomer))(body);
  },
  async getCustomer(id: string, signal?: AbortSignal): Promise<CustomerAccount> {
    return decodeAccount(await request('GET', `/api/customers/${enc(id)}`, signal ? { signal } : {}));
  },
  async createCustomer(input: CustomerInput): Promise<CustomerRecord> {
    return decodeCustomer(await request('POST', '/api/customers', { body: input }));
  },
  async updateCustomer(id: string, input: CustomerInput): Promise<CustomerRecord> {
    return decodeCustomer(await request('PATCH', `/api/customers/${enc(id)}`, { body: input }));
  },
  async sendInvoice(id: string): Promise<Invoice> {
    return decodeInvoice(await request('POST', `/api/invoices/${enc(id)}/send`));
  },
  async voidInvoice(id: string): Promise<Invoice> {
    return decodeInvoice(await request('POST', `/api/invoices/${enc(id)}/void`));
  },
  async recordPayment(id: string, input: PaymentInput, idempotencyKey: string) {
    const body = await request('POST', `/api/invoices/${enc(id)}/payments`, { body: input, idempotencyKey });
    return invoiceAndPayment(decodeInvoice)(body);
  },
  async removePayment(id: string, paymentId: string): Promise<Invoice> {
    return decodeInvoice(await request('DELETE', `/api/invoices/${enc(id)}/payments/${enc(paymentId)}`));
  },
  /** Refunds `amount` minor units of a card payment (all that is left when omitted). */
  async refundPayment(id: string, paymentId: string, amount?: number): Promise<Invoice> {
    const path = `/api/invoices/${enc(id)}/payments/${enc(paymentId)}/refunds`;
    const body = await request('POST', path, { body: amount === undefined ? {} : { amount } });
    return field('invoice', decodeInvoice)(body);
  },
  async getPublicInvoice(id: string, signal?: AbortSignal): Promise<PublicInvoice> {
    return decodePublicInvoice(await request('GET', `/api/pay/${enc(id)}`, signal ? { signal } : {}));
  },
  async checkout(id: string, input: CheckoutInput, idempotencyKey: string) {
    const body = await request('POST', `/api/pay/${enc(id)}/checkout`, { body: input, idempotencyKey });
    return invoiceAndPayment(decodePublicInvoice)(body);
  },
  /** Reserves `amount` (the balance when omitted) and creates its Stripe PaymentIntent. */
  async createIntent(id: string, amount?: number): Promise<Intent> {
    const body = await request('POST', `/api/pay/${enc(id)}/intents`, { body: amount === undefined ? {} : { amount } });
    return decodeIntent(body);
  },
  /** Tells Paybell Stripe.js confirmed the intent; it records the payment if Stripe says it succeeded. */
  async completeIntent(id: string, intentId: string) {
    const body = await request('POST', `/api/pay/${enc(id)}/intents/${enc(intentId)}/complete`, { body: {} });
    return invoiceAndPayment(decodePublicInvoice)(body);
  },
  /** The owner's user-channel events after `after`; a 410 `ApiError` when it is too old. */
  async ownerEvents(after?: string): Promise<EventPage> {
    return decodeEventPage(await request('GET', `/api/events${eventsQuery(after)}`));
  },
  /** A sent invoice's channel events after `after` (payment page and invoice page). */
  async invoiceEvents(id: string, after?: string): Promise<EventPage> {
    return decodeEventPage(await request('GET', `/api/pay/${enc(id)}/events${eventsQuery(after)}`));
  },
  /** The server's Web Push (VAPID) public key, unpadded base64url. */
  async pushKey(): Promise<string> {
    return field('publicKey', str)(await request('GET', '/api/push/key'));
  },
  /** Registers this browser's push subscription (`PushSubscription.toJSON()`). */
  async addPushSubscription(subscription: unknown): Promise<void> {
    await request('POST', '/api/push/subscriptions', { body: subscription });
  },
  /** Forgets this browser's push subscription; a 404 `ApiError` when it was not registered. */
  async removePushSubscription(endpoint: string): Promise<void> {
    await request('DELETE', '/api/push/subscriptions', { body: { endpoint } });
  },
  async config(signal?: AbortSignal): Promise<RuntimeConfig> {
    return decodeRuntimeConfig(await request('GET', '/api/config', signal ? { signal } : {}));
  },
};

/** A random key for `Idempotency-Key`; works outside secure contexts too. */
export function newIdempotencyKey(): string {
  const c = globalThis.crypto;
  if (typeof c.randomUUID === 'function') {
    try {
      return c.randomUUID();
    } catch {
      // randomUUID exists but is refused outside a secure context.
    }
  }
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
