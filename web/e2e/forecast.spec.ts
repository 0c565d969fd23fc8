import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, signIn } from './helpers';

/**
 * The forecasting centre (`#/forecast`) against a real CityOS (`cityos demo`,
 * with its illustrative indicators): an analyst opens the city dashboard,
 * filters it, opens retail sales, runs a forecast from the keyboard, and sees
 * the fan chart, its table and the backtest comparison, all in Vietnamese
 * (numbers `1.234,5`, periods `mm/yyyy` and `Quý n/yyyy`); CSV and PNG export;
 * the page again in English; someone without the analyst role cannot run
 * forecasts. axe finds nothing on either page. Screenshots:
 * forecast-dashboard.png, forecast-indicator.png, forecast-indicator-en.png.
 */

const SHOTS = process.env.CITYOS_SCREENSHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });

/** `2026-10` → `10/2026`, worked out here rather than with the console's formatter. */
function monthLabel(period: string): string {
  const [year, month] = period.split('-');
  return `${month}/${year}`;
}

/** A whole number grouped the Vietnamese way (`89.772`), independently of the console. */
function viInteger(value: number): string {
  const digits = String(Math.abs(Math.round(value)));
  return (value < 0 ? '−' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
}

interface RunBody {
  id: string;
  selected_model: string;
  forecast: { periods: string[]; mean: Array<number | null>; lo: Record<string, Array<number | null>>; hi: Record<string, Array<number | null>> };
  models: Array<{ model: string; error: string | null; backtest: { mase: number | null } | null }>;
}

test('forecasting centre: an analyst opens an indicator, runs a forecast, sees the fan chart and the backtest table, in Vietnamese', async ({ page }) => {
  await signIn(page, 'analyst');

  await test.step('the city dashboard: main indicators with latest value, changes and forecast, labelled illustrative', async () => {
    await page.getByRole('navigation', { name: 'Các phân hệ' }).getByRole('link', { name: 'Dự báo' }).click();
    await expect(page).toHaveURL(/#\/forecast$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Trung tâm dự báo' })).toBeVisible();
    await expect(page.locator('.fc-illustrative')).toContainText('Dữ liệu minh họa');
    const retail = page.locator('.fc-card[data-indicator="retail"]');
    await expect(retail).toBeVisible();
    await expect(retail.getByRole('heading', { level: 3 })).toContainText('Tổng mức bán lẻ');
    // Latest value in tỷ đồng with Vietnamese grouping, its month as mm/yyyy.
    await expect(retail.locator('.fc-latest')).toContainText(/Mới nhất \(\d{2}\/\d{4}\)/);
    await expect(retail.locator('.fc-latest-value')).toHaveText(/^\d{1,3}(\.\d{3})*(,\d+)?\u00a0tỷ đồng$/);
    await expect(retail.locator('.fc-changes dd').first()).toHaveText(/(tăng|giảm|không đổi)\s*[+−]?\d+(,\d)?\u00a0%/);
    await expect(retail.locator('svg.fc-spark[role="img"]')).toHaveAttribute('aria-label', /Diễn biến 24 kỳ gần nhất/);
    await shot(page, 'forecast-dashboard');
    await expectAccessible(page, 'forecast dashboard');
  });

  await test.step('filters: quarterly indicators only, periods as Quý n/yyyy', async () => {
    await page.getByLabel('Tần suất', { exact: true }).selectOption('quarterly');
    await expect(page.locator('.fc-card[data-indicator="retail"]')).toHaveCount(0);
    const grdp = page.locator('.fc-card[data-indicator="grdp"]');
    await expect(grdp).toBeVisible();
    await expect(grdp.locator('.fc-latest')).toContainText(/Mới nhất \(Quý [1-4]\/\d{4}\)/);
    await page.getByLabel('Tần suất', { exact: true }).selectOption('');
    await page.getByLabel('Địa bàn', { exact: true }).selectOption('wards');
    await expect(page.locator('.fc-list tbody tr').first()).toContainText(/Phường /);
    await page.getByLabel('Địa bàn', { exact: true }).selectOption('');
  });

  let run: RunBody | null = null;
  await test.step('the indicator page: fan chart with its name, then a forecast run from the keyboard', async () => {
    await page.locator('.fc-card[data-indicator="retail"] h3 a').click();
    await expect(page).toHaveURL(/#\/forecast\/retail$/);
    await expect(page.getByRole('heading', { level: 1, name: /Tổng mức bán lẻ/ })).toBeVisible();
    await expect(page.locator('svg.fc-fan[role="img"]')).toHaveAttribute('aria-label', /Tổng mức bán lẻ.*: số liệu \d{2}\/\d{4}–\d{2}\/\d{4}/);

    const form = page.locator('.fc-run form');
    await expect(page.getByRole('heading', { level: 2, name: 'Chạy dự báo' })).toBeVisible();
    // Three quick models: seasonal naive, ETS and Theta.
    await form.getByLabel('Naive theo mùa vụ').check();
    await form.getByLabel('ARIMA', { exact: true }).uncheck();
    await form.getByLabel('Kết hợp ETS + ARIMA + Theta').uncheck();
    await expect(form.getByLabel('San bằng mũ (ETS)')).toBeChecked();
    await expect(form.getByLabel('Tính hiệu ứng Tết Nguyên đán (theo âm lịch)')).toBeChecked();
    // An impossible horizon is refused in the form, in Vietnamese, with focus on the field.
    const horizon = form.getByLabel('Tầm dự báo (số kỳ)');
    await horizon.fill('61');
    await horizon.press('Enter');
    await expect(form.locator('#fc-horizon-error')).toHaveText('Tầm dự báo phải là số nguyên từ 1 đến 60.');
    await expect(horizon).toHaveAttribute('aria-invalid', 'true');
    await expect(horizon).toBeFocused();
    await horizon.fill('6');
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/forecast/indicators/retail/forecasts') && r.request().method() === 'POST', { timeout: 120_000 });
    await horizon.press('Enter');
    const response = await answer;
    expect(response.status(), await response.text()).toBe(201);
    run = (await response.json()) as RunBody;
    expect(run.forecast.mean).toHaveLength(6);
    await expect(page.locator('.fc-run-info')).toHaveAttribute('data-model', run.selected_model, { timeout: 30_000 });
    await expect(page.locator('.fc-run-info')).toContainText('phiên bản số liệu');
  });

  await test.step('the backtest table: each model against naive, the selected one highlighted, Vietnamese decimals', async () => {
    const body = run!;
    const table = page.getByRole('table', { name: /Sai số kiểm định ngược/ });
    await expect(table).toBeVisible();
    await expect(table.locator('thead th')).toHaveText(['Mô hình', 'MASE', 'sMAPE', 'Bao phủ 80%', 'Bao phủ 95%', 'So với Naive']);
    for (const model of ['naive', 'seasonal_naive', 'ets', 'theta']) await expect(table.locator(`tr[data-model="${model}"]`)).toHaveCount(1);
    const selected = table.locator('tbody tr.selected');
    await expect(selected).toHaveCount(1);
    await expect(selected).toHaveAttribute('data-model', body.selected_model);
    await expect(selected).toContainText('Được chọn');
    await expect(table.locator('tr[data-model="naive"] td').last()).toHaveText('1,00');
    const ets = body.models.find((m) => m.model === 'ets');
    if (ets?.backtest?.mase != null) {
      await expect(table.locator('tr[data-model="ets"] td').first()).toHaveText(ets.backtest.mase.toFixed(2).replace('.', ','));
    }
    await expect(table.locator('tr[data-model="ets"] td').nth(2)).toHaveText(/^(\d+\u00a0%|—)$/);
  });

  await test.step('the backtest report of the standard models, the best one marked', async () => {
    const answer = page.waitForResponse((r) => /\/api\/forecast\/indicators\/retail\/backtest\?/.test(r.url()), { timeout: 120_000 });
    await page.getByRole('button', { name: 'Lập báo cáo kiểm định ngược' }).click();
    const response = await answer;
    expect(response.status(), await response.text()).toBe(200);
    const report = (await response.json()) as { best: string | null; models: Array<{ model: string }> };
    const table = page.getByRole('table', { name: /^Báo cáo kiểm định ngược/ });
    await expect(table.locator('tbody tr')).toHaveCount(report.models.length);
    await expect(table.locator('tr[data-model="naive"] td').last()).toHaveText('1,00');
    if (report.best) await expect(table.locator(`tr[data-model="${report.best}"]`)).toContainText('Tốt nhất');
  });

  await test.step('the fan chart as a table: the forecast periods with their 80% and 95% bounds', async () => {
    const body = run!;
    await page.locator('.fc-chart details summary').click();
    const table = page.getByRole('table', { name: /Số liệu gần nhất và dự báo/ });
    await expect(table).toBeVisible();
    const rows = table.locator('tbody tr.fc-forecast-row');
    await expect(rows).toHaveCount(6);
    const first = rows.first();
    await expect(first.locator('th')).toHaveText(monthLabel(body.forecast.periods[0]!));
    await expect(first.locator('td').first()).toHaveText('Dự báo');
    // Retail sales are tens of thousands of tỷ đồng: whole numbers, grouped with dots.
    await expect(first.locator('td').nth(1)).toHaveText(`${viInteger(body.forecast.mean[0]!)}\u00a0tỷ đồng`);
    await expect(first.locator('td').nth(2)).toHaveText(`${viInteger(body.forecast.lo['80']![0]!)}\u00a0tỷ đồng`);
    await expect(first.locator('td').nth(5)).toHaveText(`${viInteger(body.forecast.hi['95']![0]!)}\u00a0tỷ đồng`);
    await expect(page.locator('svg.fc-fan path.fc-forecast')).toHaveCount(1);
    await expect(page.locator('svg.fc-fan path.fc-band-inner')).toHaveCount(1);
    await expect(page.locator('svg.fc-fan path.fc-band-outer')).toHaveCount(1);
  });

  await test.step('export: CSV with history, forecast and intervals; the chart as PNG', async () => {
    const body = run!;
    const csvDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Tải CSV' }).click();
    const csv = await csvDownload;
    expect(csv.suggestedFilename()).toMatch(/^retail-\d{4}-\d{2}-\d{2}\.csv$/);
    const text = readFileSync((await csv.path())!, 'utf8');
    expect(text.startsWith('\ufeffKỳ,Loại,Giá trị,Cận dưới 80%,Cận trên 80%,Cận dưới 95%,Cận trên 95%\r\n')).toBe(true);
    expect(text).toContain(`\r\n${body.forecast.periods[0]},Dự báo,${body.forecast.mean[0]},${body.forecast.lo['80']![0]},${body.forecast.hi['80']![0]},`);
    expect(text).toMatch(/\r\n2015-01,Số liệu thực tế,\d/);
    const pngDownload = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Tải ảnh PNG' }).click();
    const png = await pngDownload;
    expect(png.suggestedFilename()).toMatch(/^retail-\d{4}-\d{2}-\d{2}\.png$/);
    const bytes = readFileSync((await png.path())!);
    expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(bytes.length).toBeGreaterThan(5_000);
  });

  await test.step('decomposition, anomalies, vintages and why the forecast changed', async () => {
    await expect(page.getByRole('heading', { level: 2, name: 'Phân rã chuỗi số liệu' })).toBeVisible();
    await expect(page.locator('svg.fc-panels[role="img"]')).toHaveAttribute('aria-label', /xu hướng, mùa vụ và phần dư/, { timeout: 30_000 });
    await expect(page.getByRole('heading', { level: 2, name: 'Điểm bất thường và điểm gãy' })).toBeVisible();
    await expect(page.getByRole('heading', { level: 2, name: 'Các phiên bản số liệu' })).toBeVisible();
    await expect(page.locator('.fc-vintages tbody tr').first()).toBeVisible();
    await expect(page.getByRole('heading', { level: 2, name: 'Vì sao dự báo thay đổi?' })).toBeVisible();
    await expect(page.locator('.fc-explain-summary, .fc-explain > p:not(.form-error)').first()).toBeVisible({ timeout: 30_000 });
    await expect(page.locator('.fc-page .form-error[role="alert"]:not(:empty)')).toHaveCount(0);
    await shot(page, 'forecast-indicator');
    await expectAccessible(page, 'indicator page');
  });

  await test.step('the same page in English', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Retail sales of goods and services' })).toBeVisible();
    const table = page.getByRole('table', { name: /Backtest errors of the models/ });
    await expect(table.locator('thead th').first()).toHaveText('Model');
    await expect(table.locator('tr[data-model="naive"] td').last()).toHaveText('1.00');
    await expect(page.getByRole('button', { name: 'Run forecast' })).toBeVisible();
    await shot(page, 'forecast-indicator-en');
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await expect(page.getByRole('heading', { level: 1, name: /Tổng mức bán lẻ/ })).toBeVisible();
  });
});

test('forecasting centre: staff without the analyst role read forecasts but cannot run them', async ({ page }) => {
  await signIn(page, 'operator');
  await page.goto('/#/forecast/cpi');
  await expect(page.getByRole('heading', { level: 1, name: /Chỉ số giá tiêu dùng/ })).toBeVisible();
  await expect(page.locator('svg.fc-fan[role="img"]')).toBeVisible();
  await expect(page.locator('.fc-run')).toContainText('Chỉ chuyên viên phân tích hoặc quản trị viên mới chạy được dự báo.');
  await expect(page.locator('.fc-run form')).toHaveCount(0);
});

test('forecasting centre: ward forecasts reconciled with the city add up (bottom-up and MinT)', async ({ page }) => {
  await signIn(page, 'analyst');
  await page.goto('/#/forecast/retail-wards');
  const section = page.locator('.fc-reconcile');
  await expect(section.getByRole('heading', { level: 2, name: 'Đối chiếu dự báo phường, xã với toàn Thành phố' })).toBeVisible();
  await expect(section).toContainText('Chỉ tiêu này là tổng của 4 chỉ tiêu cấp phường, xã.');
  const answer = page.waitForResponse((r) => r.url().endsWith('/api/forecast/indicators/retail-wards/reconcile'), { timeout: 120_000 });
  await section.getByRole('button', { name: 'Đối chiếu dự báo' }).click();
  const response = await answer;
  expect(response.status(), await response.text()).toBe(200);
  const table = page.getByRole('table', { name: /Tổng dự báo 12 kỳ tới của Thành phố và từng phường, xã/ });
  await expect(table.locator('tbody tr')).toHaveCount(6);
  const parent = table.locator('tr.fc-parent-row');
  const sum = table.locator('tr.fc-sum-row');
  await expect(sum.locator('th')).toHaveText('Tổng các phường, xã');
  // Reconciled: the wards add up to the city (to the displayed whole tỷ đồng).
  await expect(sum.locator('td').nth(1)).toHaveText((await parent.locator('td').nth(1).innerText()).trim());
  await expect(sum.locator('td').nth(2)).toHaveText((await parent.locator('td').nth(2).innerText()).trim());
  await expect(parent.locator('td').nth(1)).toHaveText(/^\d{1,3}(\.\d{3})+\u00a0tỷ đồng$/);
  await expectAccessible(page, 'reconciliation');
});
