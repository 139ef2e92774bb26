//! "Notify me when Paybell is closed": the service worker's registration, and turning Web
//! Push on (permission, `pushManager.subscribe` with the server's VAPID key, register the
//! subscription) and off (unsubscribe in the browser and on the server). Each refusal comes
//! back as a reason the Settings menu explains.
import { ApiError } from '../api';

/** Where the service worker is served (root scope: every page of the app). */
export const SERVICE_WORKER_URL = '/sw.js';

export type PushState = 'on' | 'off';

/** Why push could not be turned on. */
export type PushRefusal =
  | { reason: 'unsupported' }
  | { reason: 'insecure' }
  | { reason: 'denied' }
  | { reason: 'dismissed' }
  | { reason: 'subscribe_failed'; message: string }
  | { reason: 'server'; message: string };

export type PushResult = { ok: true } | ({ ok: false } & PushRefusal);

/** What the browser and the server offer, injectable for tests. */
export interface PushEnv {
  supported: boolean;
  secure: boolean;
  requestPermission(): Promise<NotificationPermission | 'unsupported'>;
  registration(): Promise<PushRegistration>;
  serverKey(): Promise<string>;
  register(subscription: unknown): Promise<void>;
  unregister(endpoint: string): Promise<void>;
}

export interface PushSubscriptionLike {
  readonly endpoint: string;
  toJSON(): unknown;
  unsubscribe(): Promise<boolean>;
}

export interface PushRegistration {
  pushManager: {
    getSubscription(): Promise<PushSubscriptionLike | null>;
    subscribe(options: { userVisibleOnly: boolean; applicationServerKey: Uint8Array }): Promise<PushSubscriptionLike>;
  };
}

/** Unpadded base64url → bytes (the form `applicationServerKey` takes). */
export function keyBytes(base64url: string): Uint8Array {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** Whether this browser has a subscription now. */
export async function pushState(env: PushEnv): Promise<PushState> {
  if (!env.supported) return 'off';
  const registration = await env.registration();
  return (await registration.pushManager.getSubscription()) ? 'on' : 'off';
}

/** Turns push on; call from a click (the permission prompt needs one). */
export async function enablePush(env: PushEnv): Promise<PushResult> {
  if (!env.supported) return { ok: false, reason: 'unsupported' };
  if (!env.secure) return { ok: false, reason: 'insecure' };
  const permission = await env.requestPermission();
  if (permission === 'unsupported') return { ok: false, reason: 'unsupported' };
  if (permission === 'denied') return { ok: false, reason: 'denied' };
  if (permission !== 'granted') return { ok: false, reason: 'dismissed' };
  let subscription: PushSubscriptionLike;
  try {
    const [registration, key] = await Promise.all([env.registration(), env.serverKey()]);
    const existing = await registration.pushManager.getSubscription();
    subscription =
      existing ??
      (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(key) }));
  } catch (cause) {
    if (cause instanceof ApiError) return { ok: false, reason: 'server', message: cause.message };
    return { ok: false, reason: 'subscribe_failed', message: cause instanceof Error ? cause.message : String(cause) };
  }
  try {
    await env.register(subscription.toJSON());
  } catch (cause) {
    // The server refused (e.g. too many browsers): leave no subscription it does not know.
    await subscription.unsubscribe().catch(() => false);
    return { ok: false, reason: 'server', message: cause instanceof Error ? cause.message : String(cause) };
  }
  return { ok: true };
}

/** Turns push off on both sides: the server forgets the endpoint, the browser unsubscribes. */
export async function disablePush(env: PushEnv): Promise<void> {
  if (!env.supported) return;
  const registration = await env.registration();
  const subscription = await registration.pushManager.getSubscription();
  if (!subscription) return;
  try {
    await env.unregister(subscription.endpoint);
  } catch (cause) {
    // Already forgotten by the server (404): unsubscribing here is all that is left.
    if (!(cause instanceof ApiError && cause.status === 404)) throw cause;
  }
  await subscription.unsubscribe();
}

/** What the Settings menu says about a refusal. */
export function refusalText(refusal: PushRefusal): string {
  switch (refusal.reason) {
    case 'unsupported':
      return 'This browser cannot show notifications while Paybell is closed.';
    case 'insecure':
      return 'Notifications while Paybell is closed need the site on https (or localhost).';
    case 'denied':
      return 'Notifications are blocked for this site. Allow them in the browser’s site settings, then try again.';
    case 'dismissed':
      return 'The browser did not get permission to show notifications. Try again and choose Allow.';
    case 'subscribe_failed':
      return `The browser could not reach its push service: ${refusal.message}`;
    case 'server':
      return refusal.message;
  }
}

/** Registers the service worker; without one, push notifications are unavailable. */
export function registerServiceWorker(): void {
  if (typeof navigator === 'undefined' || !('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: '/' }).catch(() => undefined);
}
