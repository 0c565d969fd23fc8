/*
 * The 1022 app's service worker (scope `/`).
 *
 * - Offline-first shell: the page `/` (the hash-routed console and portal) and
 *   the assets it names are cached at install and served from the cache, then
 *   refreshed from the network in the background, so the portal opens without
 *   a connection and the next load picks up a new release. Hashed `/assets/*`
 *   files are immutable: cache first. API calls (`/api`, `/open311`,
 *   `/webhooks`, …) always go to the network and are never stored: they may
 *   carry personal data.
 * - Web push: shows the notification the server sent (title and body in the
 *   citizen's language, from the decrypted JSON payload) and opens the report's
 *   tracking page when it is tapped.
 * - When the push service renews the subscription, subscribes again for the
 *   reports this browser follows (their codes are kept in Cache Storage by the
 *   page, see web/src/feedback/push.ts).
 */
'use strict';

const SHELL_CACHE = 'cityos-shell-v1';
const FOLLOWED_CACHE = 'cityos-push-v1';
const FOLLOWED_URL = '/push-followed.json';
const STATIC = ['/manifest.webmanifest', '/favicon.svg', '/icons/icon-192.png', '/icons/maskable-192.png'];
const NETWORK_ONLY = ['/api', '/open311', '/webhooks', '/vendor', '/metrics', '/healthz', '/readyz'];

/** The `/assets/…` files the page names (scripts, styles, module preloads). */
function assetsOf(html) {
  const found = new Set();
  for (const m of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) found.add(m[1]);
  return [...found];
}

/** Fetches the page and everything it names into the cache; drops assets of older releases. */
async function refreshShell() {
  const response = await fetch('/', { cache: 'no-cache', credentials: 'omit' });
  if (!response.ok) return;
  const html = await response.clone().text();
  const cache = await caches.open(SHELL_CACHE);
  const previous = await cache.match('/');
  const changed = !previous || (await previous.text()) !== html;
  const assets = assetsOf(html);
  const missing = [];
  for (const url of assets) {
    if (!(await cache.match(url))) missing.push(url);
  }
  // Hashed assets never change under their name; the fixed ones may with a release.
  for (const url of STATIC) {
    if (changed || !(await cache.match(url))) missing.push(url);
  }
  await cache.addAll(missing);
  await cache.put('/', response);
  if (changed) {
    const keep = new Set(assets.map((a) => new URL(a, self.location.origin).href));
    for (const request of await cache.keys()) {
      const url = new URL(request.url);
      if (url.pathname.startsWith('/assets/') && !keep.has(url.href)) await cache.delete(request);
    }
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil(refreshShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith('cityos-shell-') && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

async function shell(event) {
  const cached = await caches.match('/', { cacheName: SHELL_CACHE });
  const update = refreshShell().catch(() => undefined);
  if (cached) {
    event.waitUntil(update);
    return cached;
  }
  try {
    return await fetch(event.request);
  } catch (error) {
    await update;
    const late = await caches.match('/', { cacheName: SHELL_CACHE });
    if (late) return late;
    throw error;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

async function staleWhileRevalidate(event) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(event.request);
  const fresh = fetch(event.request).then(async (response) => {
    if (response.ok) await cache.put(event.request, response.clone());
    return response;
  });
  if (cached) {
    event.waitUntil(fresh.catch(() => undefined));
    return cached;
  }
  return fresh;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (NETWORK_ONLY.some((p) => url.pathname === p || url.pathname.startsWith(`${p}/`))) return;
  if (request.mode === 'navigate') {
    // The app is hash-routed: every page of it is `/`. Other paths (the API docs) are not the shell.
    if (url.pathname === '/' || url.pathname === '/index.html') event.respondWith(shell(event));
    return;
  }
  if (url.pathname.startsWith('/assets/')) {
    event.respondWith(cacheFirst(request));
  } else if (STATIC.includes(url.pathname) || url.pathname.startsWith('/icons/')) {
    event.respondWith(staleWhileRevalidate(event));
  }
});

// ---------------------------------------------------------------- push

/** A same-origin URL to open: the payload's, or its `#/…` route on this origin, or the portal. */
function openUrl(value) {
  try {
    const url = new URL(String(value), self.location.origin);
    if (url.origin === self.location.origin) return url.href;
    if (url.hash.startsWith('#/')) return `${self.location.origin}/${url.hash}`;
  } catch {
    // fall through
  }
  return `${self.location.origin}/#/portal`;
}

self.addEventListener('push', (event) => {
  let payload = {};
  try {
    payload = event.data ? event.data.json() : {};
  } catch {
    payload = { body: event.data ? event.data.text() : '' };
  }
  const lang = payload.lang === 'en' ? 'en' : 'vi';
  const title = typeof payload.title === 'string' && payload.title ? payload.title : '1022 TP.HCM';
  const tag = typeof payload.tag === 'string' && payload.tag ? payload.tag : undefined;
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof payload.body === 'string' ? payload.body : '',
      lang,
      dir: 'ltr',
      tag,
      // A newer status of the same report replaces the older notification, and still alerts.
      renotify: tag !== undefined,
      icon: '/icons/icon-192.png',
      badge: '/icons/maskable-192.png',
      data: { url: openUrl(payload.url ?? '/#/portal') },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = openUrl(event.notification.data && event.notification.data.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).origin !== self.location.origin) continue;
        await client.focus();
        try {
          await client.navigate(url);
        } catch {
          // An uncontrolled window cannot be navigated from here: open a new one.
          await self.clients.openWindow(url);
        }
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});

function bytesOf(base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function followedCodes() {
  const cache = await caches.open(FOLLOWED_CACHE);
  const response = await cache.match(FOLLOWED_URL);
  try {
    const codes = response ? await response.json() : [];
    return Array.isArray(codes) ? codes.filter((c) => typeof c === 'string') : [];
  } catch {
    return [];
  }
}

function send(method, body) {
  return fetch('/api/feedback/push/subscriptions', {
    method,
    credentials: 'omit',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

self.addEventListener('pushsubscriptionchange', (event) => {
  event.waitUntil(
    (async () => {
      const codes = await followedCodes();
      if (codes.length === 0) return;
      let subscription = event.newSubscription;
      if (!subscription) {
        const key = await (await fetch('/api/feedback/push/key', { credentials: 'omit' })).json();
        subscription = await self.registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: bytesOf(key.public_key),
        });
      }
      for (const code of codes) await send('POST', { ...subscription.toJSON(), tracking_code: code });
      if (event.oldSubscription && event.oldSubscription.endpoint !== subscription.endpoint) {
        await send('DELETE', { endpoint: event.oldSubscription.endpoint });
      }
    })(),
  );
});
