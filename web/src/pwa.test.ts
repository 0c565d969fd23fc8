import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));

interface Icon {
  src: string;
  sizes: string;
  type: string;
  purpose?: string;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(path: string): [number, number] {
  const bytes = readFileSync(path);
  expect(Array.from(bytes.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('the 1022 app manifest', () => {
  const manifest = JSON.parse(readFileSync(`${publicDir}manifest.webmanifest`, 'utf8')) as Record<string, unknown>;

  it('installs as "1022 TP.HCM", standalone, opening the portal', () => {
    expect(manifest.name).toBe('1022 TP.HCM');
    expect(manifest.short_name).toBe('1022');
    expect(manifest.lang).toBe('vi');
    expect(manifest.display).toBe('standalone');
    expect(manifest.start_url).toBe('/#/portal');
    expect(manifest.scope).toBe('/');
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/);
  });

  it('has 192 and 512 px icons, plain and maskable, of the sizes they claim', () => {
    const icons = manifest.icons as Icon[];
    for (const purpose of ['any', 'maskable']) {
      for (const size of [192, 512]) {
        const icon = icons.find((i) => i.purpose === purpose && i.sizes === `${size}x${size}`);
        expect(icon, `${purpose} ${size}`).toBeDefined();
        expect(icon?.type).toBe('image/png');
        expect(pngSize(`${publicDir}${icon?.src.replace(/^\//, '')}`)).toEqual([size, size]);
      }
    }
  });

  it('shortcuts stay inside the app', () => {
    for (const s of manifest.shortcuts as { url: string }[]) expect(s.url.startsWith('/#/')).toBe(true);
  });
});

describe('the service worker', () => {
  const sw = readFileSync(`${publicDir}sw.js`, 'utf8');

  it('never caches the API', () => {
    expect(sw).toMatch(/NETWORK_ONLY = \[[^\]]*'\/api'/);
  });

  it('handles push and notification clicks', () => {
    for (const event of ['install', 'activate', 'fetch', 'push', 'notificationclick', 'pushsubscriptionchange']) {
      expect(sw).toContain(`addEventListener('${event}'`);
    }
  });
});
