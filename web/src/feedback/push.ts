/**
 * Web push for the 1022 app: subscribes this browser (through the service
 * worker `/sw.js` and `PushManager`, with the server's VAPID key) to status
 * changes of a report, and remembers which reports it follows so the
 * service worker can subscribe again when the push service renews the
 * subscription (`pushsubscriptionchange`).
 *
 * The API calls go without cookies or CSRF token: following a report needs
 * only its tracking code, never the staff session that may share the browser.
 */
import { parseProblem } from '../api/client';

/** Where the followed tracking codes are kept (a Cache Storage entry the service worker reads too). */
export const FOLLOWED_CACHE = 'cityos-push-v1';
export const FOLLOWED_URL = '/push-followed.json';

/** Why this browser can or cannot receive notifications. */
export type PushSupport = 'supported' | 'unsupported' | 'denied';

/** Thrown when the server has web push off (no VAPID key: 404). */
export class PushUnavailableError extends Error {
  constructor() {
    super('web push is not configured on this server');
    this.name = 'PushUnavailableError';
  }
}

/** Thrown when the user (or the browser) refuses the notification permission. */
export class PushDeniedError extends Error {
  constructor() {
    super('notifications are blocked');
    this.name = 'PushDeniedError';
  }
}

/** The bytes of a base64url string (padding optional), as `applicationServerKey` wants them. */
export function base64UrlToBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.trim().replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(base64) || base64.length % 4 === 1) throw new Error('not base64url');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** `list` with `code` added once (codes compared without case). */
export function withCode(list: readonly string[], code: string): string[] {
  const upper = code.trim().toUpperCase();
  return list.some((c) => c.toUpperCase() === upper) ? [...list] : [...list, upper];
}

/** `list` without `code`. */
export function withoutCode(list: readonly string[], code: string): string[] {
  const upper = code.trim().toUpperCase();
  return list.filter((c) => c.toUpperCase() !== upper);
}

/** The stored list, whatever the stored text holds (garbage reads as empty). */
export function parseFollowed(text: string | null | undefined): string[] {
  if (!text) return [];
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((c): c is string => typeof c === 'string' && c.trim() !== '') : [];
  } catch {
    return [];
  }
}

/** Whether this browser can get push notifications here. */
export function pushSupport(): PushSupport {
  if (typeof window === 'undefined' || !window.isSecureContext) return 'unsupported';
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) return 'unsupported';
  return Notification.permission === 'denied' ? 'denied' : 'supported';
}

async function readFollowed(): Promise<string[]> {
  if (!('caches' in window)) return [];
  const cache = await caches.open(FOLLOWED_CACHE);
  const response = await cache.match(FOLLOWED_URL);
  return parseFollowed(response ? await response.text() : null);
}

async function writeFollowed(codes: string[]): Promise<void> {
  if (!('caches' in window)) return;
  const cache = await caches.open(FOLLOWED_CACHE);
  await cache.put(FOLLOWED_URL, new Response(JSON.stringify(codes), { headers: { 'Content-Type': 'application/json' } }));
}

async function api(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<Response> {
  const response = await fetch(path, {
    method,
    credentials: 'omit',
    headers: { Accept: 'application/json, application/problem+json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 404 && path.endsWith('/key')) throw new PushUnavailableError();
  if (!response.ok) {
    throw parseProblem(response.status, response.headers.get('content-type'), await response.text(), response.statusText);
  }
  return response;
}

/** The browser's push subscription, made with the server's key when there is none yet. */
async function currentSubscription(create: boolean): Promise<PushSubscription | null> {
  const registration = await navigator.serviceWorker.ready;
  const existing = await registration.pushManager.getSubscription();
  if (existing || !create) return existing;
  const { public_key: key } = (await (await api('GET', '/api/feedback/push/key')).json()) as { public_key: string };
  return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlToBytes(key) });
}

/** Whether this browser follows report `code`. */
export async function isFollowing(code: string): Promise<boolean> {
  if (pushSupport() !== 'supported' || Notification.permission !== 'granted') return false;
  const [followed, subscription] = await Promise.all([readFollowed(), currentSubscription(false)]);
  return subscription !== null && followed.some((c) => c.toUpperCase() === code.trim().toUpperCase());
}

/**
 * Asks for the notification permission (from a click: browsers require a
 * user gesture), subscribes and tells the server to notify this browser of
 * report `code`.
 */
export async function followReport(code: string): Promise<void> {
  if (pushSupport() === 'unsupported') throw new Error('push is not supported');
  const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  if (permission !== 'granted') throw new PushDeniedError();
  const subscription = await currentSubscription(true);
  if (!subscription) throw new Error('no push subscription');
  await api('POST', '/api/feedback/push/subscriptions', { ...subscription.toJSON(), tracking_code: code });
  await writeFollowed(withCode(await readFollowed(), code));
}

/** Stops notifications about report `code`; the last one ends the subscription. */
export async function unfollowReport(code: string): Promise<void> {
  const subscription = await currentSubscription(false);
  const followed = withoutCode(await readFollowed(), code);
  if (subscription) {
    await api('DELETE', '/api/feedback/push/subscriptions', { endpoint: subscription.endpoint, tracking_code: code });
    if (followed.length === 0) await subscription.unsubscribe();
  }
  await writeFollowed(followed);
}
