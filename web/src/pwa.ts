/**
 * The 1022 app: registers the service worker `/sw.js` (served from the same
 * origin, scope `/`), which keeps the portal's shell for offline-first loads
 * and shows web-push notifications. Browsers allow service workers only in a
 * secure context (HTTPS, or 127.0.0.1/localhost during development and tests).
 */
export async function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return null;
  try {
    return await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch (error) {
    // The console works without it: only offline loads and notifications are lost.
    console.warn('service worker not registered', error);
    return null;
  }
}

if (typeof window !== 'undefined') {
  window.addEventListener('load', () => void registerServiceWorker());
}
