// Steps the console's browser tests share.
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';

/** Ward labels drawn on the map: aria-hidden decoration over a varying background; the table beside the map lists every ward. */
export const WARD_LABELS = '.ward-label';
/** MapLibre's canvas and controls: a visual overview; the list beside the map holds every feature. */
export const MAP_CANVAS = '.maplibregl-canvas-container';

/** No WCAG 2.1 A/AA violation on the page (axe-core), leaving out `exclude`, decoration that something accessible beside it repeats. */
export async function expectAccessible(page: Page, what: string, exclude?: string): Promise<void> {
  let axe = new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']);
  if (exclude) axe = axe.exclude(exclude);
  const results = await axe.analyze();
  const summary = results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
  expect(summary, `accessibility violations on ${what}`).toEqual([]);
}

/** Signs in through the login form (the demo users' password is `<username>-demo-2025`) and waits for the overview. */
export async function signIn(page: Page, username: string, password = `${username}-demo-2025`): Promise<void> {
  await page.goto('/');
  await expect(page).toHaveURL(/#\/login/);
  await page.getByLabel('Tên đăng nhập').fill(username);
  await page.getByLabel('Mật khẩu').fill(password);
  await page.getByRole('button', { name: 'Đăng nhập' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Tổng quan' })).toBeVisible();
}
