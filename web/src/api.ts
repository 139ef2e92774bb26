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

export interface Invoice {
  id: string;
  number: number | string;
  status: InvoiceStatus;
  customer: { name: string; email: string };
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
export interface PublicInvoice {
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
  customer: { name: string };
  businessName?: string;
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
  customer: { name: string; email: string };
  currency: string;
  dueDate: string;
  items: { description: string; quantity: number; unitPrice: number }[];
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
});

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

export const decodeInvoice: Decoder<Invoice> = object({
  id: str,
  number: numberOrText,
  status,
  customer: object({ name: str, email: withDefault(str, '') }),
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
});

export const decodePublicInvoice: Decoder<PublicInvoice> = object({
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
  customer: object({ name: withDefault(str, '') }),
  businessName: optional(str),
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
