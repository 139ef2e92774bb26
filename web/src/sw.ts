//! The service worker (built to `/sw.js` by `vite.sw.config.ts`, scope `/`): Web Push
//! notifications while no Paybell tab is open (`push/worker.ts` holds the logic).
import { browserLedger } from './alerts/ledger';
import { clickedInvoice, handlePush, openInvoice, type WindowLike } from './push/worker';

/** The parts of `ServiceWorkerGlobalScope` used here (the DOM lib has no worker types). */
interface WaitUntilEvent extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface PushEventLike extends WaitUntilEvent {
  readonly data: { text(): string } | null;
}
interface ClickEventLike extends WaitUntilEvent {
  readonly notification: Notification;
}
interface WorkerScope {
  readonly location: Location;
  readonly registration: ServiceWorkerRegistration;
  readonly clients: {
    matchAll(options: { type: 'window'; includeUncontrolled: boolean }): Promise<readonly WindowLike[]>;
    openWindow(url: string): Promise<unknown>;
    claim(): Promise<void>;
  };
  skipWaiting(): Promise<void>;
  addEventListener(type: string, listener: (event: Event) => void): void;
}

const scope = self as unknown as WorkerScope;
const ledger = browserLedger();

scope.addEventListener('install', () => {
  void scope.skipWaiting();
});

scope.addEventListener('activate', (event) => {
  (event as WaitUntilEvent).waitUntil(scope.clients.claim());
});

scope.addEventListener('push', (event) => {
  const push = event as PushEventLike;
  const text = push.data?.text() ?? '';
  push.waitUntil(
    handlePush(text, {
      ledger,
      show: (title, options) => scope.registration.showNotification(title, options),
    }),
  );
});

scope.addEventListener('notificationclick', (event) => {
  const click = event as ClickEventLike;
  click.notification.close();
  click.waitUntil(
    openInvoice(clickedInvoice(click.notification.data), {
      origin: scope.location.origin,
      windows: () => scope.clients.matchAll({ type: 'window', includeUncontrolled: true }),
      open: (url) => scope.clients.openWindow(url),
    }),
  );
});
