import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';

/**
 * The console against a real CityOS server (`cityos demo`), in Debian's
 * Chromium: sign-in as the demo operator, Vietnamese by default, switch to
 * English (every navigation label and heading changes), the ward map with
 * its polygons, keyboard access. Screenshots go to target/screenshots/.
 */

const USERNAME = process.env.CITYOS_E2E_USER ?? 'operator';
const PASSWORD = process.env.CITYOS_E2E_PASSWORD ?? 'operator-demo-2025';
const SHOTS = process.env.CITYOS_SCREENSHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));

mkdirSync(SHOTS, { recursive: true });

const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });

/** WCAG 2.1 A/AA checks by axe-core (contrast, labels, landmarks, names, ARIA). */
async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    // Ward labels drawn on the map are aria-hidden decoration over a varying background; the table lists every ward.
    .exclude('.ward-label')
    .analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
  expect(summary, `accessibility violations on ${what}`).toEqual([]);
}

async function texts(page: Page, selector: string): Promise<string[]> {
  return (await page.locator(selector).allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
}

async function signIn(page: Page): Promise<void> {
  await page.goto('/');
  await expect(page).toHaveURL(/#\/login/);
  await page.getByLabel('Tên đăng nhập').fill(USERNAME);
  await page.getByLabel('Mật khẩu').fill(PASSWORD);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Tổng quan' })).toBeVisible();
}

test('sign-in page: Vietnamese by default, labelled fields, skip link first', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/#\/login/);
  await expect(page.locator('html')).toHaveAttribute('lang', 'vi');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Đăng nhập');
  await expect(page.getByLabel('Tên đăng nhập')).toBeVisible();
  await expect(page.getByLabel('Mật khẩu')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Tiếng Việt' })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('banner')).toContainText('CityOS');
  await expect(page.getByRole('main')).toBeVisible();

  // Keyboard: the first Tab stop is the skip link, and it moves focus to <main>.
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Bỏ qua, đến nội dung chính' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeVisible();
  await shot(page, 'login');
  await expectAccessible(page, 'sign-in page');
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();
  await expect(page).toHaveURL(/#\/login/);

  // A wrong password is announced in the alert region, in Vietnamese.
  await page.getByLabel('Tên đăng nhập').fill(USERNAME);
  await page.getByLabel('Mật khẩu').fill(`${PASSWORD}-wrong`);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toContainText('không đúng');
});

test('operator signs in, switches language, opens the ward map', async ({ page }) => {
  await test.step('sign in as the demo operator', async () => {
    await signIn(page);
    await expect(page.locator('html')).toHaveAttribute('lang', 'vi');
    await expect(page.getByRole('banner')).toContainText('Đăng xuất');
  });

  const nav = page.getByRole('navigation', { name: 'Các phân hệ' });
  const navSelector = 'nav.app-nav a, nav.app-nav .nav-group-label';
  const headingSelector = 'main h1, main h2, main h3';
  let navVi: string[] = [];
  let headingsVi: string[] = [];

  await test.step('Vietnamese labels', async () => {
    for (const label of ['Tổng quan', 'Bản đồ', 'Phản ánh 1022', 'Dữ liệu', 'Vận hành', 'Hạ tầng', 'Dự báo']) {
      await expect(nav.getByRole('link', { name: label, exact: true })).toBeVisible();
    }
    await expect(nav.getByRole('link', { name: 'Tổng quan' })).toHaveAttribute('aria-current', 'page');
    // Jurisdiction figures come from the API.
    await expect(page.locator('.stat-value').first()).toBeVisible();
    navVi = await texts(page, navSelector);
    headingsVi = await texts(page, headingSelector);
    expect(navVi.length).toBeGreaterThanOrEqual(8);
    expect(headingsVi.length).toBeGreaterThanOrEqual(3);
    await shot(page, 'home-vi');
    await expectAccessible(page, 'overview (vi)');
  });

  await test.step('switch to English: every navigation label and heading changes', async () => {
    const logoutVi = await page.locator('[data-action="logout"]').innerText();
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page.getByRole('button', { name: 'English' })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Modules' })).toBeVisible();

    const navEn = await texts(page, navSelector);
    const headingsEn = await texts(page, headingSelector);
    expect(navEn.length).toBe(navVi.length);
    expect(headingsEn.length).toBe(headingsVi.length);
    navEn.forEach((text, i) => expect(text, `nav item ${i}`).not.toBe(navVi[i]));
    headingsEn.forEach((text, i) => expect(text, `heading ${i}`).not.toBe(headingsVi[i]));
    expect(await page.locator('[data-action="logout"]').innerText()).not.toBe(logoutVi);
    await expect(page).toHaveTitle(/Overview/);
    await shot(page, 'home-en');
    await expectAccessible(page, 'overview (en)');

    // The choice survives a reload.
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Overview' })).toBeVisible();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');

    // Back to Vietnamese with the keyboard.
    await page.getByRole('button', { name: 'Tiếng Việt' }).focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('html')).toHaveAttribute('lang', 'vi');
    await expect(page.getByRole('heading', { level: 1, name: 'Tổng quan' })).toBeVisible();
  });

  await test.step('skip link is the first Tab stop of the console', async () => {
    await page.reload();
    await expect(page.getByRole('heading', { level: 1, name: 'Tổng quan' })).toBeVisible();
    await page.keyboard.press('Tab');
    await expect(page.getByRole('link', { name: 'Bỏ qua, đến nội dung chính' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(page.locator('main')).toBeFocused();
  });

  await test.step('map shows the ward polygons from the API', async () => {
    const response = await page.request.get('/api/jurisdictions/geojson');
    expect(response.ok()).toBe(true);
    const collection = (await response.json()) as { type: string; features: Array<{ properties: { code: string } }> };
    expect(collection.type).toBe('FeatureCollection');
    const wardCount = collection.features.length;
    expect(wardCount).toBe(168);

    await nav.getByRole('link', { name: 'Bản đồ', exact: true }).click();
    await expect(page).toHaveURL(/#\/map/);
    await expect(page.getByRole('heading', { level: 1, name: 'Bản đồ đơn vị hành chính' })).toBeVisible();
    await expect(page.getByRole('heading', { level: 1 })).toBeFocused();
    await expect(page.getByRole('note')).toContainText('chỉ mang tính minh họa');

    // The table lists every ward (the non-map path).
    await expect(page.locator('#ward-table tbody tr')).toHaveCount(wardCount);

    // Every ward is in the map's GeoJSON source, and ward polygons are drawn.
    await expect(page.locator('.map-canvas')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
    await page.waitForFunction(() => {
      const map = window.__cityosMap;
      return !!map && map.isStyleLoaded() && map.queryRenderedFeatures({ layers: ['wards-fill'] }).length > 0;
    });
    const sourceCodes = await page.evaluate(async () => {
      const source = window.__cityosMap!.getSource('wards') as unknown as { getData(): Promise<{ features: Array<{ properties: { code: string } }> }> };
      const data = await source.getData();
      return new Set(data.features.map((feature) => feature.properties.code)).size;
    });
    expect(sourceCodes).toBe(wardCount);
    const renderedCodes = await page.evaluate(
      () => new Set(window.__cityosMap!.queryRenderedFeatures({ layers: ['wards-fill'] }).map((f) => f.properties['code'])).size,
    );
    // The opening view shows the city's main body: nearly all wards (far islands are a click away).
    expect(renderedCodes).toBeGreaterThan(wardCount * 0.9);
    // Some ward names are shown as labels, with Vietnamese diacritics.
    const visibleLabels = page.locator('.ward-label[style*="visibility: visible"]');
    await expect.poll(() => visibleLabels.count()).toBeGreaterThan(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'map');
    await expectAccessible(page, 'map page');
  });

  await test.step('a table row flies to its ward and shows its details', async () => {
    // A ward from the middle of the alphabetical list (a mainland ward, with neighbours around it).
    const row = page.locator('#ward-table tbody tr').nth(84);
    const code = (await row.getAttribute('data-code'))!;
    const name = (await row.locator('th').innerText()).trim();
    await row.getByRole('button').click();
    const details = page.locator('.map-details');
    await expect(details.locator('.ward-name')).toHaveText(name);
    await expect(details.locator('.ward-code')).toHaveText(code);
    await expect(row).toHaveAttribute('aria-current', 'true');
    await page.waitForFunction(() => {
      const map = window.__cityosMap;
      return !!map && !map.isMoving() && map.getZoom() > 10;
    });
    await expect(page.locator(`.ward-label[data-code="${code}"]`)).toBeVisible();

    // Search without diacritics finds the ward.
    const folded = name
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/đ/g, 'd')
      .replace(/Đ/g, 'D')
      .toLowerCase();
    await page.getByLabel('Tìm theo tên hoặc mã').fill(folded);
    await expect(page.locator(`#ward-table tbody tr[data-code="${code}"]`)).toBeVisible();
    expect(await page.locator('#ward-table tbody tr').count()).toBeLessThan(168);
    await page.getByLabel('Tìm theo tên hoặc mã').fill('');
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'map-ward');
  });

  await test.step('signing out returns to the sign-in page and protects the console', async () => {
    await page.getByRole('button', { name: 'Đăng xuất' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Đăng nhập' })).toBeVisible();
    await page.goto('/#/map');
    await expect(page).toHaveURL(/#\/login/);
    await expect(page.getByRole('heading', { level: 1, name: 'Đăng nhập' })).toBeVisible();
  });
});
