//! What the service worker does, over injectable parts so Vitest can run it: a push shows
//! the notification a tab would have shown (same wording, tag per invoice) unless a tab, or
//! an earlier push, already announced the event (the alert ledger the tabs keep in
//! IndexedDB); a click focuses a Paybell window on the invoice, or opens one.
import type { AlertLedger } from '../alerts/ledger';
import { alertKey, parseInvoiceEvent } from '../events';
import { withPageText } from '../eventText';
import { invoicePath, notificationTag } from '../tags';

export interface ShowOptions {
  body: string;
  tag: string;
  data: { invoiceId: string; eventId?: string };
  icon?: string;
}

export interface PushEnv {
  ledger: AlertLedger;
  show(title: string, options: ShowOptions): Promise<void>;
}

/** What a push did: `shown`, `quiet` (already announced) or `ignored` (not a Paybell event). */
export type PushOutcome = 'shown' | 'quiet' | 'ignored';

/** Handles a push's data (the event payload as JSON text, or already parsed). */
export async function handlePush(data: unknown, env: PushEnv): Promise<PushOutcome> {
  const event = parseInvoiceEvent(data);
  if (!event) return 'ignored';
  if (!(await env.ledger.claim(alertKey(event)))) return 'quiet';
  const text = withPageText(event);
  const tagged: ShowOptions['data'] = { invoiceId: event.invoiceId };
  if (event.eventId) tagged.eventId = event.eventId;
  await env.show(text.title, { body: text.body, tag: notificationTag(event.invoiceId), data: tagged });
  return 'shown';
}

/** A window the worker can see. */
export interface WindowLike {
  readonly url: string;
  focus(): Promise<unknown>;
  navigate?(url: string): Promise<unknown>;
}

export interface ClickEnv {
  /** Paybell's open windows, most recently focused first. */
  windows(): Promise<readonly WindowLike[]>;
  open(url: string): Promise<unknown>;
  /** The origin the worker serves, e.g. `https://pay.example.com`. */
  origin: string;
}

/** The invoice a notification's `data` names, if any. */
export function clickedInvoice(data: unknown): string | null {
  if (typeof data !== 'object' || data === null) return null;
  const id = (data as { invoiceId?: unknown }).invoiceId;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** Focuses a window already on the invoice, else moves one there, else opens one. */
export async function openInvoice(invoiceId: string | null, env: ClickEnv): Promise<void> {
  const path = invoiceId ? invoicePath(invoiceId) : '/app/invoices';
  const target = new URL(path, env.origin).href;
  const windows = await env.windows();
  const same = windows.find((w) => w.url === target);
  if (same) {
    await same.focus();
    return;
  }
  const any = windows.find((w) => typeof w.navigate === 'function');
  if (any?.navigate) {
    await any.focus();
    await any.navigate(target);
    return;
  }
  await env.open(target);
}
