import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, type APIRequestContext, type Page } from '@playwright/test';
import { SmtpSink } from './smtp-sink';
import { WARD_LABELS, expectAccessible, signIn } from './helpers';

/**
 * Citizen feedback (1022) against a real CityOS server (`cityos demo`): a
 * citizen files a report on the public portal in Vietnamese, the demo
 * operator resolves it in the staff console, the citizen follows it to the
 * answer; the staff queue (search, filters, map, dashboard) and a report's
 * history. Screenshots: portal.png, track.png, queue.png, report.png.
 */

const USERNAME = process.env.CITYOS_E2E_USER ?? 'operator';
const PASSWORD = process.env.CITYOS_E2E_PASSWORD ?? 'operator-demo-2025';
/**
 * `host:port` where this test runs an SMTP sink that the server under test
 * mails to (start it with CITYOS_NOTIFY__SMTP__HOST / CITYOS_NOTIFY__SMTP__PORT
 * set to the same). Without it the signed-in citizen's rating is skipped:
 * signing in needs the e-mailed code.
 */
const SMTP = process.env.CITYOS_E2E_SMTP ?? '';
const SHOTS = process.env.CITYOS_SCREENSHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));

mkdirSync(SHOTS, { recursive: true });

interface QueueItem {
  tracking_code: string;
  overdue: boolean;
  status: string;
  lat: number | null;
  lon: number | null;
  category_code: string | null;
}

interface QueuePage {
  total: number;
  items: QueueItem[];
}

/** The queue as the API answers it for the signed-in page's session. */
async function apiQueue(request: APIRequestContext, query: Record<string, string>): Promise<QueuePage> {
  const response = await request.get('/api/feedback/reports', { params: { per_page: '100', ...query } });
  expect(response.ok()).toBe(true);
  return (await response.json()) as QueuePage;
}

const TRACKING_CODE = /^\d{6}-[A-Z0-9]{5}$/;

/** Operator resolves the report with a canned answer, edited; returns the answer sent. */
async function resolveAsOperator(page: Page, code: string, extra: string): Promise<string> {
  await page.goto(`/#/feedback/${code}`);
  await expect(page.getByRole('heading', { level: 1, name: `Phản ánh ${code}` })).toBeVisible();
  const action = page.getByLabel('Bước tiếp theo');
  await action.selectOption({ label: 'Đã xử lý xong (trả lời người dân)' });
  // The public answer is required: refused before asking the server.
  await page.getByRole('button', { name: 'Cập nhật' }).click();
  await expect(page.locator('#report-action-error')).toContainText('Vui lòng nhập nội dung');
  await expect(page.locator('#action-text')).toBeFocused();
  await page.getByLabel('Mẫu trả lời').selectOption({ label: 'Đã khắc phục xong' });
  const text = page.locator('#action-text');
  await expect(text).toHaveValue(/khắc phục xong/);
  const answer = `${await text.inputValue()} ${extra}`;
  await text.fill(answer);
  await page.getByRole('button', { name: 'Cập nhật' }).click();
  await expect(page.locator('.report-status-bar .status-badge')).toHaveText('Đã xử lý xong');
  await expect(page.locator('#report-no-actions')).toContainText('chờ người phản ánh xác nhận');
  return answer;
}

test('a citizen files a report on the portal, the operator resolves it, the citizen follows it', async ({ page, browser }) => {
  const suffix = Date.now().toString(36);
  const description = `Ổ gà lớn giữa đường trước số 123 Lê Lợi, xe máy rất dễ té ngã khi trời tối (e2e ${suffix})`;
  let code = '';

  await test.step('the portal is linked from the sign-in page and shows no staff navigation', async () => {
    await page.goto('/');
    await expect(page).toHaveURL(/#\/login/);
    await page.getByRole('link', { name: 'Người dân: Gửi phản ánh / Tra cứu' }).click();
    await expect(page).toHaveURL(/#\/portal$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Gửi phản ánh hiện trường' })).toBeFocused();
    await expect(page.getByRole('navigation', { name: 'Các phân hệ' })).toHaveCount(0);
    await expect(page.getByRole('navigation', { name: 'Cổng phản ánh' }).getByRole('link', { name: 'Gửi phản ánh' })).toHaveAttribute(
      'aria-current',
      'page',
    );
    await expect(page.locator('html')).toHaveAttribute('lang', 'vi');
  });

  await test.step('an empty form is refused with a message next to it', async () => {
    await page.getByRole('button', { name: 'Gửi phản ánh', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toContainText('Vui lòng mô tả sự việc');
    await expect(page.getByLabel(/^Nội dung phản ánh/)).toBeFocused();
    await expect(page.getByLabel(/^Nội dung phản ánh/)).toHaveAttribute('aria-invalid', 'true');
  });

  await test.step('the category is suggested as the citizen types; an old ward name in the address', async () => {
    await page.getByLabel(/^Nội dung phản ánh/).fill(description);
    await expect(page.locator('[data-suggestion="ROADS.POTHOLE"]')).toContainText('Ổ gà, hư hỏng mặt đường');
    await expect(page.getByLabel(/^Lĩnh vực/)).toHaveValue('ROADS.POTHOLE');
    // Without a location the form asks for one (the map is not needed).
    await page.getByRole('button', { name: 'Gửi phản ánh', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toContainText('Vui lòng cho biết vị trí');
    await expect(page.getByLabel('Địa chỉ', { exact: true })).toBeFocused();
    await page.getByLabel('Địa chỉ', { exact: true }).fill('123 Lê Lợi, phường Bến Nghé');
    await expect(page.getByLabel('Gửi ẩn danh (không để lại thông tin liên lạc)')).toBeChecked();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/portal.png`, fullPage: true });
    await expectAccessible(page, 'portal form', WARD_LABELS);
  });

  await test.step('the map is one way to pick the place, not the only one', async () => {
    await page.getByRole('button', { name: 'Chọn trên bản đồ' }).click();
    await expect(page.getByRole('button', { name: 'Ẩn bản đồ' })).toHaveAttribute('aria-expanded', 'true');
    await expect(page.locator('.points-map-canvas')).toHaveAttribute('data-state', /loaded|ready/, { timeout: 60_000 });
    await page.getByRole('button', { name: 'Ẩn bản đồ' }).click();
  });

  await test.step('submitting gives a tracking code', async () => {
    await page.getByRole('button', { name: 'Gửi phản ánh', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Đã gửi phản ánh', exact: true })).toBeFocused();
    code = (await page.locator('[data-tracking-code]').innerText()).trim();
    expect(code).toMatch(TRACKING_CODE);
  });

  await test.step('the tracking page: the old ward name was mapped to Phường Sài Gòn', async () => {
    await page.getByRole('link', { name: 'Theo dõi phản ánh' }).click();
    await expect(page).toHaveURL(new RegExp(`#/track/${code}$`));
    await expect(page.getByRole('heading', { level: 1, name: 'Tra cứu phản ánh' })).toBeFocused();
    const report = page.locator(`.track-report[data-code="${code}"]`);
    await expect(report).toContainText('Đã chuyển đơn vị xử lý');
    await expect(report).toContainText('Phường Sài Gòn');
    await expect(report).toContainText('Ổ gà, hư hỏng mặt đường');
    await expect(page.locator('.public-timeline li')).toHaveCount(1);
    const api = await page.request.get(`/api/feedback/public/reports/${code}`);
    const body = (await api.json()) as { jurisdiction_code: string; updates: Array<{ agency_code: string | null }> };
    expect(body.jurisdiction_code).toBe('26740');
    expect(body.updates[0]!.agency_code).toBe('UBND-P-SAIGON');
  });

  let answer = '';
  let nearby: QueueItem | null = null;
  await test.step('the demo operator resolves it in the staff console with a public answer', async () => {
    const staff = await browser.newContext();
    const staffPage = await staff.newPage();
    await signIn(staffPage, USERNAME, PASSWORD);
    await staffPage.goto(`/#/feedback/${code}`);
    await expect(staffPage.locator('#report-facts')).toContainText('Cổng thông tin');
    await expect(staffPage.locator('#report-facts')).toContainText('Phường Sài Gòn');
    await expect(staffPage.locator('.personal-notice')).toContainText('Dữ liệu cá nhân');
    answer = await resolveAsOperator(staffPage, code, 'Đã trám ổ gà trước số 123 Lê Lợi.');
    // An internal note stays internal.
    await staffPage.getByLabel('Nội dung ghi chú').fill(`Đội duy tu xác nhận hiện trường (e2e ${suffix}).`);
    await staffPage.getByRole('button', { name: 'Thêm ghi chú' }).click();
    await expect(staffPage.locator('#report-history li[data-kind="note"]')).toContainText('Nội bộ');
    await expect(staffPage.locator('#report-history li')).toHaveCount(3);
    // An open report with a point, for the duplicate check below.
    const open = await apiQueue(staffPage.request, { status: 'forwarded,acknowledged,in_progress', sort: '-received_at' });
    const withPoint = open.items.find((item) => item.lat !== null && item.lon !== null && item.category_code);
    expect(withPoint, 'an open demo report with a point').toBeTruthy();
    nearby = withPoint!;
    await staff.close();
  });

  await test.step('the citizen sees "Đã xử lý xong" and the answer; only the signed-in reporter is asked to rate', async () => {
    await page.reload();
    const report = page.locator(`.track-report[data-code="${code}"]`);
    await expect(report.locator('.status-badge')).toHaveText('Đã xử lý xong');
    await expect(report.locator('.answer-box')).toContainText(answer);
    await expect(page.locator('.public-timeline')).toContainText('Đã xử lý xong');
    await expect(page.locator('.public-timeline')).not.toContainText('Đội duy tu');
    // An anonymous visitor is not offered "Đã khắc phục chưa?", only told to sign in.
    await expect(page.locator('#rating-question')).toHaveCount(0);
    await expect(page.getByRole('radio', { name: 'Đã khắc phục', exact: true })).toHaveCount(0);
    await expect(page.locator('#rating-signin-hint')).toContainText('đăng nhập');
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/track.png`, fullPage: true });
    await expectAccessible(page, 'tracking page', WARD_LABELS);
  });

  await test.step('"use my position" next to an open report of the same category shows it as a likely duplicate', async () => {
    await page.context().grantPermissions(['geolocation']);
    await page.context().setGeolocation({ latitude: nearby!.lat! + 0.0003, longitude: nearby!.lon! });
    await page.getByRole('navigation', { name: 'Cổng phản ánh' }).getByRole('link', { name: 'Gửi phản ánh' }).click();
    await page.getByLabel(/^Nội dung phản ánh/).fill('Sự việc vẫn còn, chưa được xử lý');
    await page.getByLabel(/^Lĩnh vực/).selectOption(nearby!.category_code!);
    await page.getByRole('button', { name: 'Dùng vị trí của tôi' }).click();
    await expect(page.locator('.location-status')).toContainText('Đã lấy vị trí hiện tại');
    await expect(page.locator('.picked-point')).toContainText('Đã chọn điểm');
    const duplicates = page.getByRole('region', { name: 'Có thể sự việc này đã được phản ánh' });
    await expect(duplicates.locator(`li[data-code="${nearby!.tracking_code}"]`)).toBeVisible();
    await expect(duplicates.locator(`li[data-code="${nearby!.tracking_code}"]`)).toContainText(/cách \d+\sm/);
    await expectAccessible(page, 'portal form with likely duplicates', WARD_LABELS);
  });

  await test.step('the public ranking is a table', async () => {
    await page.getByRole('navigation', { name: 'Cổng phản ánh' }).getByRole('link', { name: 'Xếp hạng đơn vị' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Xếp hạng đơn vị xử lý phản ánh' })).toBeFocused();
    const ranking = (await (await page.request.get('/api/feedback/public/ranking')).json()) as { items: unknown[] };
    if (ranking.items.length === 0) await expect(page.locator('#ranking-empty')).toBeVisible();
    else await expect(page.locator('#ranking-table tbody tr[data-agency]')).toHaveCount(ranking.items.length);
    await expectAccessible(page, 'public ranking', WARD_LABELS);
  });
});

test('a signed-in citizen confirms the fix and rates it', async ({ page, browser }) => {
  test.skip(SMTP === '', 'set CITYOS_E2E_SMTP=host:port and start the server with CITYOS_NOTIFY__SMTP__HOST/PORT pointing there: signing in needs the e-mailed code');
  const [host, port] = SMTP.split(':');
  const sink = new SmtpSink();
  await sink.start(host || '127.0.0.1', Number(port));
  try {
    const email = `citizen.${Date.now().toString(36)}@example.com`;
    await page.goto('/#/portal/mine');
    await expect(page.getByRole('heading', { level: 1, name: 'Phản ánh của tôi' })).toBeVisible();
    await page.getByLabel('Số điện thoại hoặc thư điện tử').fill(email);
    await page.getByRole('button', { name: 'Gửi mã đăng nhập' }).click();
    await expect(page.getByLabel('Mã đăng nhập')).toBeFocused();
    const otp = await sink.waitFor(email, /CityOS\D{0,40}?(\d{6})/);
    await page.getByLabel('Mã đăng nhập').fill(otp);
    await page.getByRole('button', { name: 'Đăng nhập', exact: true }).click();
    await expect(page.locator('[data-citizen-contact]')).toContainText(email);

    await page.getByRole('link', { name: 'Gửi phản ánh mới' }).click();
    await expect(page.locator('[data-signed-in]')).toContainText(email);
    await page.getByLabel(/^Nội dung phản ánh/).fill('Đèn đường không sáng cả dãy phố từ tối qua, rất nguy hiểm');
    await page.getByLabel('Địa chỉ', { exact: true }).fill('45 Nguyễn Huệ, phường Bến Nghé');
    await page.getByRole('button', { name: 'Gửi phản ánh', exact: true }).click();
    const code = (await page.locator('[data-tracking-code]').innerText()).trim();
    expect(code).toMatch(TRACKING_CODE);

    const staff = await browser.newContext();
    const staffPage = await staff.newPage();
    await signIn(staffPage, USERNAME, PASSWORD);
    await resolveAsOperator(staffPage, code, 'Đã thay bóng đèn.');
    await staff.close();

    // "Phản ánh của tôi" lists it with the question.
    await page.getByRole('navigation', { name: 'Cổng phản ánh' }).getByRole('link', { name: 'Phản ánh của tôi' }).click();
    const mine = page.locator(`.mine-report[data-code="${code}"]`);
    await expect(mine.locator('.status-badge')).toHaveText('Đã xử lý xong');
    await expect(mine.getByRole('group', { name: 'Sự việc đã được khắc phục chưa?' })).toBeVisible();
    await expectAccessible(page, 'my reports', WARD_LABELS);

    await mine.getByRole('link', { name: code }).click();
    const question = page.locator('#rating-question');
    await expect(question).toBeVisible();
    await expectAccessible(page, 'rating question', WARD_LABELS);
    await question.getByRole('radio', { name: 'Đã khắc phục', exact: true }).check();
    await question.getByRole('radio', { name: '5 – Rất hài lòng' }).check();
    await question.getByLabel(/^Ý kiến thêm/).fill('Cảm ơn phường.');
    await question.getByRole('button', { name: 'Gửi ý kiến' }).click();
    await expect(page.locator(`.track-report[data-code="${code}"] .status-badge`)).toHaveText('Đã đóng');
    await expect(page.locator('#rating-question')).toHaveCount(0);
  } finally {
    await sink.stop();
  }
});

test('staff queue: search, filters, map, dashboard, a report with its history and a phone report', async ({ page }) => {
  await signIn(page, USERNAME, PASSWORD);
  const nav = page.getByRole('navigation', { name: 'Các phân hệ' });
  const rows = page.locator('#queue-table tbody tr[data-code]');
  const total = page.locator('.result-count[data-total]');

  let allTotal = 0;
  await test.step('the queue lists the demo reports, with the dashboard', async () => {
    await nav.getByRole('link', { name: 'Phản ánh 1022' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Phản ánh 1022' })).toBeFocused();
    await expect(rows.first()).toBeVisible();
    await expect(rows).toHaveCount(20);
    allTotal = Number(await total.getAttribute('data-total'));
    expect(allTotal).toBeGreaterThanOrEqual(300);
    // Status as words, deadline with a badge in words.
    await expect(rows.first().locator('.status-badge')).toHaveText(/\S/);
    await expect(rows.first().locator('.deadline time')).toHaveText(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
    // Dashboard figures in Vietnamese number formats.
    await expect(page.locator('[data-stat="received"]')).toHaveText(/^\d{1,3}(\.\d{3})*$/);
    await expect(page.locator('[data-stat="on-time"]')).toHaveText(/^(\d{1,3}(,\d)?\s%|—)$/);
    await expect(page.locator('#unit-stats-table tbody tr[data-agency]').first()).toBeVisible();
  });

  await test.step('search without diacritics narrows the list (server-side)', async () => {
    await page.getByLabel('Tìm trong nội dung, địa chỉ').fill('duong le loi');
    await page.getByRole('button', { name: 'Lọc', exact: true }).click();
    const expected = await apiQueue(page.request, { q: 'duong le loi' });
    expect(expected.total).toBeGreaterThan(0);
    expect(expected.total).toBeLessThan(allTotal);
    await expect(total).toHaveAttribute('data-total', String(expected.total));
    const shown = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-code')));
    const codes = new Set(expected.items.map((item) => item.tracking_code));
    expect(shown.length).toBeGreaterThan(0);
    for (const shownCode of shown) expect(codes.has(shownCode!)).toBe(true);
    await expect(rows.first()).toContainText('Lê Lợi');
  });

  await test.step('the overdue filter shows only overdue reports', async () => {
    await page.getByLabel('Tìm trong nội dung, địa chỉ').fill('');
    await page.getByLabel('Chỉ phản ánh quá hạn').check();
    await page.getByRole('button', { name: 'Lọc', exact: true }).click();
    const expected = await apiQueue(page.request, { overdue: 'true' });
    expect(expected.total).toBeGreaterThan(0);
    await expect(total).toHaveAttribute('data-total', String(expected.total));
    const badges = await rows.evaluateAll((trs) => trs.map((tr) => tr.querySelector('.deadline-badge')?.getAttribute('data-deadline')));
    expect(new Set(badges)).toEqual(new Set(['overdue']));
    await expect(rows.first().locator('.deadline-badge')).toHaveText(/Quá hạn/);
    await page.getByRole('button', { name: 'Xóa bộ lọc' }).click();
    await expect(total).toHaveAttribute('data-total', String(allTotal));
  });

  await test.step('the unclear queue is a tab (arrow keys move between tabs)', async () => {
    const unclear = page.getByRole('tab', { name: /Chưa rõ địa bàn/ });
    await unclear.click();
    await expect(unclear).toHaveAttribute('aria-selected', 'true');
    const expected = await apiQueue(page.request, { unclear: 'true' });
    await expect(total).toHaveAttribute('data-total', String(expected.total));
    const statuses = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')));
    expect(new Set(statuses)).toEqual(new Set(['received']));
    await unclear.press('ArrowLeft');
    const all = page.getByRole('tab', { name: 'Tất cả phản ánh' });
    await expect(all).toBeFocused();
    await expect(all).toHaveAttribute('aria-selected', 'true');
    await expect(total).toHaveAttribute('data-total', String(allTotal));
  });

  await test.step('the map shows the page’s reports; the table stays', async () => {
    await page.getByRole('button', { name: 'Bảng và bản đồ' }).click();
    await expect(page.getByRole('button', { name: 'Bảng và bản đồ' })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.locator('.points-map-canvas')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
    await page.waitForFunction(() => {
      const map = window.__cityosFeedbackMap;
      return !!map && map.isStyleLoaded() && map.queryRenderedFeatures({ layers: ['report-points-circle'] }).length > 0;
    });
    await expect(rows).toHaveCount(20);
    // A point on the map selects its row in the table.
    const hit = await page.evaluate(() => {
      const map = window.__cityosFeedbackMap!;
      const feature = map.queryRenderedFeatures({ layers: ['report-points-circle'] })[0]!;
      const point = map.project((feature.geometry as unknown as { coordinates: [number, number] }).coordinates);
      return { id: String(feature.properties['id']), x: point.x, y: point.y };
    });
    const canvas = (await page.locator('.points-map-canvas canvas').boundingBox())!;
    await page.mouse.click(canvas.x + hit.x, canvas.y + hit.y);
    const selected = page.locator(`#queue-table tbody tr[data-id="${hit.id}"]`);
    await expect(selected).toHaveAttribute('aria-current', 'true');
    await expect(page.locator('.queue-map .map-details')).toContainText((await selected.getAttribute('data-code'))!);
    await page.waitForFunction(() => window.__cityosFeedbackMap!.queryRenderedFeatures({ layers: ['report-points-selected'] }).length === 1);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/queue.png`, fullPage: true });
    await expectAccessible(page, 'feedback queue with map', WARD_LABELS);
  });

  await test.step('the status filter, then a report with its details, history and allowed next steps', async () => {
    await page.getByRole('checkbox', { name: 'Đang xử lý' }).check();
    await page.getByRole('button', { name: 'Lọc', exact: true }).click();
    const expected = await apiQueue(page.request, { status: 'in_progress' });
    await expect(total).toHaveAttribute('data-total', String(expected.total));
    const statuses = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-status')));
    expect(new Set(statuses)).toEqual(new Set(['in_progress']));

    const first = rows.first();
    const code = (await first.getAttribute('data-code'))!;
    await first.getByRole('link', { name: code }).click();
    await expect(page).toHaveURL(new RegExp(`#/feedback/${code}$`));
    await expect(page.getByRole('heading', { level: 1, name: `Phản ánh ${code}` })).toBeFocused();
    await expect(nav.getByRole('link', { name: 'Phản ánh 1022' })).toHaveAttribute('aria-current', 'true');
    const history = page.locator('#report-history li');
    await expect(history.first()).toContainText('Tiếp nhận');
    expect(await history.count()).toBeGreaterThanOrEqual(2);
    await expect(history.last()).toContainText('Đang xử lý');
    await expect(history.first().locator('.badge')).toHaveText(/Công khai|Nội bộ/);
    await expect(page.locator('.personal-notice')).toContainText('Dữ liệu cá nhân');
    // Only the moves the lifecycle allows from "in progress" (the operator may also reassign).
    const options = await page.getByLabel('Bước tiếp theo').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(new Set(options)).toEqual(new Set(['', 'resolved', 'forwarded', 'escalated']));
    await page.getByLabel('Bước tiếp theo').selectOption('resolved');
    await page.getByLabel('Mẫu trả lời').selectOption({ label: 'Đã phối hợp xử lý dứt điểm' });
    await expect(page.locator('#action-text')).toHaveValue(/xử lý dứt điểm/);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${SHOTS}/report.png`, fullPage: true });
    await expectAccessible(page, 'report detail', WARD_LABELS);
    // Forwarding asks for the unit, prefilled from the ward.
    await page.getByLabel('Bước tiếp theo').selectOption('forwarded');
    await expect(page.getByLabel(/^Đơn vị xử lý/)).not.toHaveValue('');
    // Back to the queue as it was left (the map view and the filter are remembered).
    await page.getByRole('link', { name: '← Danh sách phản ánh' }).click();
    await expect(page.getByRole('button', { name: 'Bảng và bản đồ' })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.getByRole('checkbox', { name: 'Đang xử lý' })).toBeChecked();
  });

  await test.step('the operator files a phone report', async () => {
    await page.getByRole('link', { name: 'Tạo phản ánh qua điện thoại' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Tạo phản ánh qua điện thoại' })).toBeFocused();
    await page.getByLabel(/^Số điện thoại người gọi/).fill('0903 123 456');
    await page.getByLabel(/^Nội dung phản ánh/).fill('Người gọi báo đèn đường không sáng trên đường Nguyễn Huệ từ tối qua');
    await page.getByLabel('Địa chỉ', { exact: true }).fill('45 Nguyễn Huệ, phường Bến Nghé');
    await expect(page.getByLabel(/^Lĩnh vực/)).toHaveValue('LIGHTING.OUT');
    await expectAccessible(page, 'phone report form', WARD_LABELS);
    await page.getByRole('button', { name: 'Tạo phản ánh', exact: true }).click();
    await expect(page).toHaveURL(/#\/feedback\/\d{6}-[A-Z0-9]{5}$/);
    await expect(page.locator('#report-facts')).toContainText('Tổng đài 1022');
    // The server keeps phone numbers in E.164.
    await expect(page.locator('#report-reporter')).toContainText('+84903123456');
  });

  await test.step('in English', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.getByRole('heading', { level: 2, name: 'History' })).toBeVisible();
    await expect(page.locator('.report-status-bar .status-badge')).toHaveText('Forwarded');
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await expect(page.getByRole('heading', { level: 2, name: 'Lịch sử xử lý' })).toBeVisible();
  });
});
