import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';

/**
 * The "1022 app" against a real CityOS server (`cityos demo`): the web app
 * manifest and its icons are served and valid, the service worker registers
 * on the portal, takes control and serves the portal with the network cut,
 * and the tracking page offers "Nhận thông báo". (Subscribing needs the
 * browser's push service, which cannot be reached here; the server side of
 * push is tested against a local push service in crates/cityos/tests/api/push.rs.)
 * Screenshot: track-push.png.
 */

const SHOTS = process.env.CITYOS_SCREENSHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

test('the 1022 app is installable: the page links a valid manifest with its icons', async ({ request, page }) => {
  const response = await request.get('/manifest.webmanifest');
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toMatch(/^application\/(manifest\+)?json/);
  const manifest = await response.json();
  expect(manifest.name).toBe('1022 TP.HCM');
  expect(manifest.display).toBe('standalone');
  expect(manifest.start_url).toBe('/#/portal');
  expect(manifest.scope).toBe('/');
  expect(manifest.lang).toBe('vi');
  const icons = manifest.icons as { src: string; sizes: string; type: string; purpose: string }[];
  for (const purpose of ['any', 'maskable']) {
    for (const size of [192, 512]) {
      const icon = icons.find((i) => i.purpose === purpose && i.sizes === `${size}x${size}`);
      expect(icon, `${purpose} icon ${size}`).toBeDefined();
      const image = await request.get(icon!.src);
      expect(image.status()).toBe(200);
      expect(image.headers()['content-type']).toBe('image/png');
      expect(pngSize(await image.body())).toEqual([size, size]);
    }
  }

  await page.goto('/#/portal');
  const href = await page.locator('link[rel="manifest"]').getAttribute('href');
  expect(new URL(href!, page.url()).pathname).toBe('/manifest.webmanifest');
  // The browser itself parses it: a broken manifest would not yield the app's name.
  const cdp = await page.context().newCDPSession(page);
  const parsed = await cdp.send('Page.getAppManifest');
  expect(parsed.errors).toEqual([]);
  expect(JSON.parse(parsed.data ?? '{}').name).toBe('1022 TP.HCM');
});

test('the service worker takes control of the portal and serves it offline', async ({ page, context }) => {
  await page.goto('/#/portal');
  await expect(page.getByRole('heading', { level: 1, name: 'Gửi phản ánh hiện trường' })).toBeVisible();
  const script = await page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL ?? '');
  expect(new URL(script).pathname).toBe('/sw.js');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Gửi phản ánh hiện trường' })).toBeVisible();
  expect(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? '')).toMatch(/\/sw\.js$/);
  // API answers are never kept: only the app's shell is.
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
    return urls;
  });
  expect(cached).toContain('/');
  expect(cached.some((u) => u.startsWith('/assets/'))).toBe(true);
  expect(cached.filter((u) => u.startsWith('/api/'))).toEqual([]);

  await context.setOffline(true);
  try {
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Gửi phản ánh hiện trường' })).toBeVisible();
  } finally {
    await context.setOffline(false);
  }
});

test('the tracking page offers notifications about the report', async ({ page, request }) => {
  const key = await request.get('/api/feedback/push/key');
  expect(key.status()).toBe(200);
  expect((await key.json()).public_key).toMatch(/^B[A-Za-z0-9_-]{86}$/);
  const filed = await request.post('/api/feedback/reports', {
    data: { description: 'Đèn tín hiệu giao thông bị tắt ở ngã tư', lat: 10.7805, lon: 106.704 },
  });
  expect(filed.status()).toBe(201);
  const code = (await filed.json()).tracking_code as string;

  await page.goto(`/#/track/${code}`);
  const card = page.locator('cityos-push-button');
  await expect(card.getByRole('heading', { level: 2, name: 'Theo dõi qua thông báo' })).toBeVisible();
  await expect(card).toContainText(code);
  await expect(card.getByRole('button', { name: 'Nhận thông báo' })).toBeEnabled();
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: `${SHOTS}/track-push.png` });
  const results = await new AxeBuilder({ page }).include('cityos-push-button').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
});
