import { describe, expect, it, vi } from 'vitest';
import type { InvoiceEvent } from './events';
import {
  notificationTag,
  notifyInvoiceUpdated,
  notifyPaymentReceived,
  requestNotificationPermission,
  type NotificationApi,
  type NotifyEnv,
} from './notifications';
import type { ToastInput } from './toasts';

interface Made {
  title: string;
  options: NotificationOptions | undefined;
  instance: { onclick: ((this: unknown, ev: Event) => unknown) | null };
}

function fakeNotification(initial: NotificationPermission, answer: NotificationPermission = 'granted') {
  const made: Made[] = [];
  const requestPermission = vi.fn(async () => {
    Fake.permission = answer;
    return answer;
  });
  class Fake {
    static permission: NotificationPermission = initial;
    static requestPermission = requestPermission;
    onclick: ((this: unknown, ev: Event) => unknown) | null = null;
    constructor(title: string, options?: NotificationOptions) {
      made.push({ title, options, instance: this });
    }
  }
  return { api: Fake as unknown as NotificationApi, made, requestPermission, Fake };
}

function env(api: NotificationApi | undefined, overrides: Partial<NotifyEnv> = {}) {
  const toasts: ToastInput[] = [];
  const opened: string[] = [];
  const e: NotifyEnv = {
    Notification: api,
    isVisible: () => false,
    enabled: () => true,
    toast: (t) => toasts.push(t),
    open: (id) => opened.push(id),
    ...overrides,
  };
  return { env: e, toasts, opened };
}

const paid: InvoiceEvent = {
  title: '✅ Invoice Paid',
  body: 'Invoice #7 has been paid successfully',
  type: 'invoice_completed',
  invoiceId: 'inv_abc',
  status: 'paid',
  sentAt: '2025-10-12T18:40:12.153Z',
  eventId: 'ev1',
};

describe('notifyPaymentReceived', () => {
  it('raises a desktop notification tagged by invoice when granted and hidden', () => {
    const n = fakeNotification('granted');
    const { env: e, toasts } = env(n.api);
    expect(notifyPaymentReceived(paid, e)).toEqual({ desktop: true, toast: false });
    expect(n.made).toHaveLength(1);
    expect(n.made[0]!.title).toBe('✅ Invoice Paid');
    expect(n.made[0]!.options?.body).toBe('Invoice #7 has been paid successfully');
    expect(n.made[0]!.options?.tag).toBe(notificationTag('inv_abc'));
    expect(toasts).toHaveLength(0);
  });

  it('collapses repeats about one invoice under the same tag and toast key', () => {
    const n = fakeNotification('granted');
    const { env: e, toasts } = env(n.api, { isVisible: () => true });
    notifyPaymentReceived({ ...paid, eventId: 'a', status: 'partially_paid', type: 'payment_received' }, e);
    notifyPaymentReceived({ ...paid, eventId: 'b' }, e);
    notifyPaymentReceived({ ...paid, invoiceId: 'other', eventId: 'c' }, e);
    const tags = n.made.map((m) => m.options?.tag);
    expect(tags[0]).toBe(tags[1]);
    expect(tags[2]).not.toBe(tags[0]);
    expect(toasts.map((t) => t.key)).toEqual(['inv_abc', 'inv_abc', 'other']);
  });

  it('also shows a toast when the tab is visible', () => {
    const n = fakeNotification('granted');
    const { env: e, toasts } = env(n.api, { isVisible: () => true });
    expect(notifyPaymentReceived(paid, e)).toEqual({ desktop: true, toast: true });
    expect(toasts[0]).toMatchObject({ title: '✅ Invoice Paid', tone: 'success', key: 'inv_abc' });
  });

  it.each(['default', 'denied'] as const)('falls back to a toast when permission is %s', (permission) => {
    const n = fakeNotification(permission);
    const { env: e, toasts } = env(n.api);
    expect(notifyPaymentReceived(paid, e)).toEqual({ desktop: false, toast: true });
    expect(n.made).toHaveLength(0);
    expect(toasts).toHaveLength(1);
  });

  it('never asks for permission by itself', () => {
    const n = fakeNotification('default');
    const { env: e } = env(n.api);
    notifyPaymentReceived(paid, e);
    notifyInvoiceUpdated(paid, e);
    expect(n.requestPermission).not.toHaveBeenCalled();
  });

  it('uses a toast when the user turned notifications off', () => {
    const n = fakeNotification('granted');
    const { env: e, toasts } = env(n.api, { enabled: () => false });
    expect(notifyPaymentReceived(paid, e)).toEqual({ desktop: false, toast: true });
    expect(n.made).toHaveLength(0);
    expect(toasts).toHaveLength(1);
  });

  it('uses a toast where the browser has no Notification API', () => {
    const { env: e, toasts } = env(undefined);
    expect(notifyPaymentReceived(paid, e)).toEqual({ desktop: false, toast: true });
    expect(toasts).toHaveLength(1);
  });

  it('falls back to a toast when constructing the notification throws', () => {
    class Throwing {
      static permission: NotificationPermission = 'granted';
      static requestPermission = async () => 'granted' as const;
      onclick = null;
      constructor() {
        throw new TypeError('Illegal constructor');
      }
    }
    const { env: e, toasts } = env(Throwing as unknown as NotificationApi);
    expect(notifyPaymentReceived(paid, e)).toEqual({ desktop: false, toast: true });
    expect(toasts).toHaveLength(1);
  });

  it('opens the invoice when the notification is clicked', () => {
    const n = fakeNotification('granted');
    const { env: e, opened } = env(n.api);
    notifyPaymentReceived(paid, e);
    n.made[0]!.instance.onclick?.call(null, new Event('click'));
    expect(opened).toEqual(['inv_abc']);
  });
});

describe('notifyInvoiceUpdated', () => {
  it('uses the event title and a tone for the status', () => {
    const n = fakeNotification('denied');
    const { env: e, toasts } = env(n.api);
    notifyInvoiceUpdated({ ...paid, title: 'Invoice Status: overdue', status: 'overdue', type: 'invoice_overdue' }, e);
    expect(toasts[0]).toMatchObject({ title: 'Invoice Status: overdue', tone: 'warning' });
  });
});

describe('requestNotificationPermission', () => {
  it('asks once when the answer is not known yet', async () => {
    const n = fakeNotification('default', 'granted');
    const { env: e } = env(n.api);
    await expect(requestNotificationPermission(e)).resolves.toBe('granted');
    await expect(requestNotificationPermission(e)).resolves.toBe('granted');
    expect(n.requestPermission).toHaveBeenCalledTimes(1);
  });

  it('does not ask again after a refusal', async () => {
    const n = fakeNotification('denied');
    const { env: e } = env(n.api);
    await expect(requestNotificationPermission(e)).resolves.toBe('denied');
    expect(n.requestPermission).not.toHaveBeenCalled();
  });

  it('reports unsupported browsers', async () => {
    await expect(requestNotificationPermission(env(undefined).env)).resolves.toBe('unsupported');
  });
});
