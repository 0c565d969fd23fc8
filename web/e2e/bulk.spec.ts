import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { signIn } from './helpers';

/**
 * The staff queue's bulk actions and export against a real CityOS server
 * (`cityos demo`): the operator ticks two new reports, acknowledges both in
 * one step and reads the per-report outcome; then downloads the queue as CSV
 * and finds the header and both reports (now acknowledged) in the file;
 * opens the failed webhook inbox. Screenshot: bulk.png.
 */

const USERNAME = process.env.CITYOS_E2E_USER ?? 'operator';
const PASSWORD = process.env.CITYOS_E2E_PASSWORD ?? 'operator-demo-2025';
const SHOTS = process.env.CITYOS_SCREENSHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));

test('the operator acknowledges two reports at once and exports the queue as CSV', async ({ page, playwright, baseURL }) => {
  // Two fresh reports in Phường Sài Gòn, filed anonymously like citizens do; a word only they carry.
  const marker = `lohang${Date.now().toString(36)}`;
  const citizen = await playwright.request.newContext({ baseURL });
  const codes: string[] = [];
  for (const what of ['Rác tồn đọng', 'Đèn đường không sáng']) {
    const response = await citizen.post('/api/feedback/reports', {
      data: { description: `${what} trước số 12 Lê Lợi, "góc chợ", ${marker}`, lat: 10.7805, lon: 106.704 },
    });
    expect(response.status()).toBe(201);
    codes.push(((await response.json()) as { tracking_code: string }).tracking_code);
  }
  await citizen.dispose();

  await signIn(page, USERNAME, PASSWORD);
  await page.goto('/#/feedback');
  await expect(page.getByRole('heading', { level: 1, name: 'Phản ánh 1022' })).toBeVisible();

  await test.step('search narrows the queue to the two reports', async () => {
    await page.getByLabel('Tìm trong nội dung, địa chỉ').fill(marker);
    await page.getByRole('button', { name: 'Lọc', exact: true }).click();
    await expect(page.locator('.result-count[data-total="2"]')).toBeVisible();
    await expect(page.locator('#queue-table tbody tr[data-code]')).toHaveCount(2);
  });

  await test.step('select all on the page from the keyboard, then acknowledge both', async () => {
    const selectAll = page.getByRole('checkbox', { name: 'Chọn tất cả phản ánh trên trang này' });
    await selectAll.focus();
    await page.keyboard.press('Space');
    await expect(selectAll).toBeChecked();
    for (const code of codes) await expect(page.getByRole('checkbox', { name: `Chọn phản ánh ${code}` })).toBeChecked();
    await expect(page.locator('#bulk-count')).toContainText('Đã chọn 2 phản ánh');
    // Nothing chosen yet: refused next to the form, focus on the action.
    await page.getByRole('button', { name: 'Thực hiện', exact: true }).click();
    await expect(page.locator('#bulk-error')).toContainText('Vui lòng chọn thao tác');
    await expect(page.getByLabel('Thao tác', { exact: true })).toBeFocused();
    await page.getByLabel('Thao tác', { exact: true }).selectOption({ label: 'Đơn vị nhận xử lý' });
    await page.getByRole('button', { name: 'Thực hiện', exact: true }).click();
    await expect(page.locator('#bulk-confirm-text')).toContainText('Thực hiện "Đơn vị nhận xử lý" cho 2 phản ánh');
    await page.screenshot({ path: `${SHOTS}/bulk.png`, fullPage: true });
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).exclude('.ward-label').analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    await expect(page.locator('#bulk-results-heading')).toHaveText('Đã thực hiện cho 2/2 phản ánh.');
    await expect(page.locator('#bulk-results-heading')).toBeFocused();
    for (const code of codes) {
      await expect(page.locator(`#queue-table tr[data-code="${code}"]`)).toHaveAttribute('data-status', 'acknowledged');
    }
    await expect(page.getByRole('checkbox', { name: 'Chọn tất cả phản ánh trên trang này' })).not.toBeChecked();
  });

  await test.step('a second acknowledgement is refused report by report, with the reason', async () => {
    await page.getByRole('checkbox', { name: `Chọn phản ánh ${codes[0]}` }).check();
    await page.getByRole('button', { name: 'Thực hiện', exact: true }).click();
    await page.getByRole('button', { name: 'Xác nhận' }).click();
    await expect(page.locator('#bulk-results-heading')).toContainText('Đã thực hiện cho 0/1 phản ánh');
    await expect(page.locator('.bulk-failures li')).toHaveCount(1);
    await expect(page.locator('.bulk-failures li')).toContainText(codes[0]!);
  });

  await test.step('the CSV export has the header and both reports', async () => {
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Xuất CSV' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^1022-\d{4}-\d{2}-\d{2}\.csv$/);
    const bytes = readFileSync((await file.path())!);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    const [header, ...rows] = text.trimEnd().split('\r\n');
    expect(header!.split(',').slice(0, 3)).toEqual(['Mã phản ánh', 'Thời điểm tiếp nhận', 'Kênh']);
    expect(header).toContain('Điện thoại');
    expect(rows).toHaveLength(2);
    for (const code of codes) {
      const row = rows.find((r) => r.startsWith(`${code},`));
      expect(row, `${code} exported`).toBeTruthy();
      expect(row).toContain('Đơn vị đã nhận');
      expect(row).toContain(`"góc chợ"`.replace(/"/g, '""'));
    }
  });

  await test.step('operators reach the failed inbox from the queue', async () => {
    await page.getByRole('link', { name: 'Hộp thư đến lỗi' }).click();
    await expect(page).toHaveURL(/#\/feedback\/inbox$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Hộp thư đến lỗi' })).toBeFocused();
    await expect(page.getByRole('radio', { name: 'Không tạo được phản ánh' })).toBeChecked();
    await expect(page.locator('#inbox-table')).toBeVisible();
    await page.getByRole('radio', { name: 'Đang chờ thử lại' }).check();
    await expect(page.getByRole('heading', { level: 2, name: 'Đang chờ thử lại' })).toBeVisible();
    const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    expect(results.violations.map((v) => v.id)).toEqual([]);
  });
});
