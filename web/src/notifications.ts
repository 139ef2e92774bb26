//! Desktop notifications for payments and invoice changes, with an in-page
//! toast whenever a desktop notification is not allowed or the tab is in view.
//! Permission is only ever requested from a user's click
//! (`requestNotificationPermission`), never when a page loads. Notifications
//! carry `tag` = the invoice, so repeats about one invoice replace each other.

import { useSyncExternalStore } from 'react';
import type { InvoiceEvent } from './events';
import { isSettlement } from './events';
import { settings } from './settings';
import { toasts, type ToastInput, type ToastTone } from './toasts';

/** One announcement standing for several events (see `alerts/summary`). */
export interface SummaryNotice {
  title: string;
  body: string;
  tone: ToastTone;
  /** When all are about one invoice: its tag and click target. */
  invoiceId?: string;
}

import { SUMMARY_TAG, invoicePath, notificationTag } from './tags';

export { SUMMARY_TAG, notificationTag } from './tags';

export type PermissionState = NotificationPermission | 'unsupported';

/** The static side of `Notification` that is used here. */
export interface NotificationApi {
  readonly permission: NotificationPermission;
  requestPermission(): Promise<NotificationPermission>;
  new (title: string, options?: NotificationOptions): { onclick: ((this: unknown, ev: Event) => unknown) | null };
}

/** Everything the helpers touch in the browser, injectable for tests. */
export interface NotifyEnv {
  Notification: NotificationApi | undefined;
  isVisible(): boolean;
  /** The user's "desktop notifications" setting. */
  enabled(): boolean;
  toast(input: ToastInput): void;
  /** Called when the user clicks a desktop notification. */
  open(invoiceId: string): void;
}

/** What a notify call did. */
export interface Delivery {
  desktop: boolean;
  toast: boolean;
}

export function permissionState(env: Pick<NotifyEnv, 'Notification'>): PermissionState {
  return env.Notification ? env.Notification.permission : 'unsupported';
}

/**
 * Asks for permission. Call only from a click handler: browsers ignore or
 * penalise requests made without a user gesture.
 */
export async function requestNotificationPermission(env: NotifyEnv = browserEnv): Promise<PermissionState> {
  const api = env.Notification;
  if (!api) return 'unsupported';
  if (api.permission !== 'default') return api.permission;
  try {
    const result = await api.requestPermission();
    permissionChanged();
    return result;
  } catch {
    return api.permission;
  }
}

function deliver(data: SummaryNotice, env: NotifyEnv): Delivery {
  let desktop = false;
  const { invoiceId } = data;
  if (env.enabled() && env.Notification?.permission === 'granted') {
    try {
      const notification = new env.Notification(data.title, {
        body: data.body,
        tag: invoiceId === undefined ? SUMMARY_TAG : notificationTag(invoiceId),
        data: { invoiceId },
      });
      if (invoiceId !== undefined) notification.onclick = () => env.open(invoiceId);
      desktop = true;
    } catch {
      // Some platforms only allow notifications from a service worker.
    }
  }
  const toast = !desktop || env.isVisible();
  if (toast) env.toast({ title: data.title, body: data.body, tone: data.tone, key: invoiceId ?? SUMMARY_TAG });
  return { desktop, toast };
}

function notice(data: InvoiceEvent, tone: ToastTone): SummaryNotice {
  return { title: data.title, body: data.body, tone, invoiceId: data.invoiceId };
}

/** Announces several events at once (missed while offline), same rules as one. */
export function notifySummary(summary: SummaryNotice, env: NotifyEnv = browserEnv): Delivery {
  return deliver(summary, env);
}

/** Announces a payment: desktop notification if allowed, toast otherwise or when visible. */
export function notifyPaymentReceived(data: InvoiceEvent, env: NotifyEnv = browserEnv): Delivery {
  return deliver(notice(data, isSettlement(data) ? 'success' : 'info'), env);
}

/** Announces an invoice change (status or edit), same rules as payments. */
export function notifyInvoiceUpdated(data: InvoiceEvent, env: NotifyEnv = browserEnv): Delivery {
  const tone: ToastTone = data.status === 'overdue' ? 'warning' : data.status === 'void' ? 'error' : 'info';
  return deliver(notice(data, tone), env);
}

function browserNotification(): NotificationApi | undefined {
  return typeof window !== 'undefined' && 'Notification' in window
    ? (window.Notification as unknown as NotificationApi)
    : undefined;
}

const browserEnv: NotifyEnv = {
  get Notification() {
    return browserNotification();
  },
  isVisible: () => typeof document === 'undefined' || document.visibilityState === 'visible',
  enabled: () => settings.get().notifications,
  toast: (input) => toasts.push(input),
  open: (invoiceId) => {
    window.focus();
    const target = invoicePath(invoiceId);
    if (window.location.pathname !== target) window.location.assign(target);
  },
};

// Permission can change from a click here or from the browser's site settings.
const permissionListeners = new Set<() => void>();
function permissionChanged() {
  permissionListeners.forEach((listener) => listener());
}

function subscribePermission(listener: () => void): () => void {
  permissionListeners.add(listener);
  let status: PermissionStatus | undefined;
  navigator.permissions
    ?.query({ name: 'notifications' })
    .then((s) => {
      status = s;
      s.addEventListener('change', listener);
    })
    .catch(() => undefined);
  return () => {
    permissionListeners.delete(listener);
    status?.removeEventListener('change', listener);
  };
}

export function useNotificationPermission(): PermissionState {
  return useSyncExternalStore(
    subscribePermission,
    () => permissionState(browserEnv),
    () => 'unsupported' as const,
  );
}
