//! The realtime contract, mirrored from DESIGN.md: channel names, event names,
//! the payload every event carries, a validator for it, and the de-duplication
//! of events by `eventId` (delivery is at least once).

import { isRecord } from './decode';

/** Events on `invoice.{id}`. */
export const INVOICE_CHANNEL_EVENTS = [
  'payment.received',
  'invoice.status.changed',
  'invoice.updated',
] as const;

/** Events on `user.{userId}.invoices`. */
export const USER_CHANNEL_EVENTS = ['invoice.created', 'invoice.updated', 'payment.received'] as const;

export type InvoiceChannelEvent = (typeof INVOICE_CHANNEL_EVENTS)[number];
export type UserChannelEvent = (typeof USER_CHANNEL_EVENTS)[number];
export type EventName = InvoiceChannelEvent | UserChannelEvent;

/** The payload of every Paybell event. Fields may be added by the server; none is removed. */
export interface InvoiceEvent {
  title: string;
  body: string;
  /** `invoice_created`, `invoice_updated`, `invoice_{status}`, `payment_received`, `invoice_completed`. */
  type: string;
  invoiceId: string;
  status?: string;
  /** ISO 8601 UTC. */
  sentAt: string;
  /** Unique and stable across retries; absent only from hand-made test events. */
  eventId?: string;
  /** Payment events (and a payment's removal): the amount in minor units, and its currency. */
  amount?: number;
  currency?: string;
}

export function invoiceChannel(invoiceId: string, privateChannels: boolean): string {
  return `${privateChannels ? 'private-' : ''}invoice.${invoiceId}`;
}

export function userChannel(userId: string, privateChannels: boolean): string {
  return `${privateChannels ? 'private-' : ''}user.${userId}.invoices`;
}

/**
 * Validates a payload as pusher-js hands it over (already parsed JSON, or a
 * string when the server sent non-object data). Returns `null` for anything
 * that is not a Paybell event so callers can ignore it.
 */
export function parseInvoiceEvent(raw: unknown): InvoiceEvent | null {
  let value = raw;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return null;
    }
  }
  if (!isRecord(value)) return null;
  const { title, body, type, invoiceId, status, sentAt, eventId, amount, currency } = value;
  if (typeof title !== 'string' || typeof body !== 'string' || typeof type !== 'string') return null;
  if (typeof invoiceId !== 'string' || invoiceId === '' || typeof sentAt !== 'string') return null;
  if (status !== undefined && status !== null && typeof status !== 'string') return null;
  if (eventId !== undefined && eventId !== null && typeof eventId !== 'string') return null;
  const event: InvoiceEvent = { title, body, type, invoiceId, sentAt };
  if (typeof status === 'string') event.status = status;
  if (typeof eventId === 'string' && eventId !== '') event.eventId = eventId;
  if (typeof amount === 'number' && Number.isSafeInteger(amount) && typeof currency === 'string' && currency !== '') {
    event.amount = amount;
    event.currency = currency;
  }
  return event;
}

/** True when the event is about a payment that settled the invoice. */
export function isSettlement(event: InvoiceEvent): boolean {
  return event.type === 'invoice_completed' || event.status === 'paid';
}

/**
 * What an alert is about: one change. A change publishes one row per channel, each with
 * its own `eventId` but the same `invoiceId`, `type` and `sentAt`; so a tab on the list
 * (user channel) and a tab on the invoice (invoice channel) name the same alert.
 */
export function alertKey(event: InvoiceEvent): string {
  return `${event.invoiceId}|${event.type}|${event.sentAt}`;
}

/**
 * Remembers the last `capacity` event ids and says whether an id was seen.
 * Events without an id are never treated as duplicates.
 */
export class EventDeduper {
  private readonly seen = new Set<string>();

  constructor(private readonly capacity = 500) {}

  /** Returns true the first time `eventId` is offered, false for a repeat. */
  accept(eventId: string | undefined): boolean {
    if (eventId === undefined) return true;
    if (this.seen.has(eventId)) return false;
    this.seen.add(eventId);
    if (this.seen.size > this.capacity) {
      // Sets iterate in insertion order: the first entry is the oldest.
      const oldest = this.seen.values().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    return true;
  }
}
