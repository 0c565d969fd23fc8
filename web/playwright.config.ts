import { defineConfig } from '@playwright/test';

/**
 * Browser tests of the console against a running CityOS server
 * (`cityos demo`; CITYOS_URL, default http://127.0.0.1:8080).
 * They drive Debian's Chromium: Playwright's own browser downloads are not
 * used (and not reachable from the build machines).
 */
export default defineConfig({
  testDir: 'e2e',
  outputDir: '../target/playwright/results',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: [['list']],
  use: {
    baseURL: process.env.CITYOS_URL ?? 'http://127.0.0.1:8080',
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1366, height: 900 },
    // The console must default to Vietnamese whatever the browser's language.
    locale: 'en-GB',
    timezoneId: 'UTC',
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CITYOS_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
