import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { WARD_LABELS, expectAccessible, signIn } from './helpers';

/**
 * The open data portal and the data hub console against a real CityOS
 * (`cityos demo`, which seeds health facilities, schools, markets and bus
 * stops): the public finds a dataset typed without diacritics and sees its
 * table, map and chart; a data officer registers a dataset, uploads two CSV
 * versions and reads the schema diff; another agency asks for shared data
 * and the owner revokes the approval in writing. Screenshots: data-portal.png,
 * data-dataset.png, datahub-diff.png.
 */

const SHOTS = process.env.CITYOS_SCREENSHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });

test('open data portal: search without diacritics, facets, a dataset with table, map and chart', async ({ page }) => {
  await test.step('the portal lists the open datasets with facets, without signing in', async () => {
    await page.goto('/#/data');
    await expect(page.getByRole('heading', { level: 1, name: 'Dữ liệu mở' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Cổng phản ánh' }).getByRole('link', { name: 'Dữ liệu mở' })).toHaveAttribute('aria-current', 'page');
    await expect(page.locator('.data-result').first()).toBeVisible();
    const agencies = page.locator('[data-facet="agency"]');
    await expect(agencies.getByRole('link', { name: /Sở Y tế/ })).toBeVisible();
    await expect(page.locator('[data-facet="format"]').getByRole('link', { name: /CSV/ })).toBeVisible();
    await expectAccessible(page, 'open data portal', WARD_LABELS);
  });

  await test.step('"cho truyen thong" finds "Chợ truyền thống"; a facet narrows and clears', async () => {
    await page.getByLabel('Tìm bộ dữ liệu').fill('cho truyen thong');
    await page.getByRole('button', { name: 'Tìm kiếm' }).click();
    await expect(page).toHaveURL(/#\/data\?q=cho\+truyen\+thong/);
    await expect(page.locator('.result-count')).toHaveAttribute('data-total', '1');
    await expect(page.locator('.data-result h3')).toHaveText(['Chợ truyền thống']);
    await expect(page.locator('[data-facet="agency"] a[data-value="SO-CT"]')).toContainText('1');
    await shot(page, 'data-portal');

    await page.getByRole('link', { name: 'Bỏ tất cả bộ lọc' }).click();
    await expect(page.getByLabel('Tìm bộ dữ liệu')).toHaveValue('');
    const health = page.locator('[data-facet="theme"] a[data-value="health"]');
    await health.click();
    await expect(health).toHaveAttribute('aria-current', 'true');
    await expect(page.getByRole('heading', { level: 2, name: 'Bộ dữ liệu' })).toBeFocused();
    await expect(page.locator('.data-result[data-name="co-so-y-te"]')).toBeVisible();
    await expect(page.locator('.data-result[data-name="cho-truyen-thong"]')).toHaveCount(0);
    // Back restores the previous search from the address.
    await page.goBack();
    await expect(page.locator('[data-facet="theme"] a[aria-current="true"]')).toHaveCount(0);
  });

  await test.step('the dataset page: metadata, downloads, sortable table preview, map of points, chart with a table', async () => {
    await page.goto('/#/data?q=cho%20truyen%20thong');
    await page.getByRole('link', { name: 'Chợ truyền thống' }).click();
    await expect(page).toHaveURL(/#\/data\/cho-truyen-thong$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Chợ truyền thống' })).toBeVisible();
    await expect(page.locator('[data-meta="publisher"] td')).toHaveText('Sở Công Thương');
    await expect(page.locator('[data-meta="frequency"] td')).not.toHaveText('—');
    await expect(page.locator('[data-download="csv"]')).toHaveAttribute('href', /\/api\/datahub\/datasets\/cho-truyen-thong\/resources\/.+\/data\?format=csv$/);

    const table = page.locator('#data-preview-table');
    const rows = table.locator('tbody tr');
    await expect(rows.first()).toBeVisible();
    expect(await rows.count()).toBeGreaterThan(1);
    expect(await rows.count()).toBeLessThanOrEqual(50);
    const firstHeader = table.locator('thead th').first();
    await firstHeader.getByRole('button').click();
    await expect(firstHeader).toHaveAttribute('aria-sort', 'ascending');
    await firstHeader.getByRole('button').click();
    await expect(firstHeader).toHaveAttribute('aria-sort', 'descending');

    const map = page.locator('.points-map-canvas');
    await expect(map).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
    expect(Number(await map.getAttribute('data-points'))).toBeGreaterThan(0);

    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, 'data-dataset');
    const chart = page.locator('.data-chart-figure');
    await expect(chart).toBeVisible();
    expect(Number(await chart.getAttribute('data-groups'))).toBeGreaterThan(0);
    await expect(chart.locator('svg[role="img"]')).toHaveAttribute('aria-label', /^Số dòng theo /);
    await page.getByText('Xem số liệu dạng bảng').click();
    await expect(page.locator('.data-chart-table tbody tr').first()).toBeVisible();

    await expect(page.locator('.data-api')).toContainText("/api/3/action/package_show?id=cho-truyen-thong'");
    await expect(page.locator('.data-api')).toContainText('datastore_search?resource_id=');
    await expectAccessible(page, 'dataset page', WARD_LABELS);

    // The visit counted.
    const dataset = (await (await page.request.get('/api/datahub/datasets/cho-truyen-thong')).json()) as { views: number };
    expect(dataset.views).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Traditional markets' })).toBeVisible();
    await expect(page.getByRole('heading', { level: 2, name: 'Table preview' })).toBeVisible();
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
  });
});

test('a data officer registers a dataset, uploads two CSV versions and reads the schema diff', async ({ page }) => {
  const suffix = Date.now().toString(36);
  const title = `Điểm tiêm chủng thử nghiệm ${suffix}`;

  await test.step('the data hub console lists the agency’s datasets', async () => {
    await signIn(page, 'data_officer');
    await page.getByRole('navigation', { name: 'Các phân hệ' }).getByRole('link', { name: 'Dữ liệu', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Kho dữ liệu' })).toBeVisible();
    await expect(page.locator('#datahub-datasets tr[data-name="co-so-y-te"]')).toBeVisible();
    await expect(page.getByRole('tab', { name: 'Yêu cầu cần xử lý' })).toBeVisible();
    await expectAccessible(page, 'data hub console', WARD_LABELS);
  });

  await test.step('the API’s validation messages show beside the fields', async () => {
    await page.getByRole('link', { name: 'Tạo bộ dữ liệu' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Tạo bộ dữ liệu' })).toBeVisible();
    await page.getByRole('button', { name: 'Tạo bộ dữ liệu' }).click();
    await expect(page.locator('.form-error').filter({ hasText: /\S/ })).toContainText('Thông tin chưa hợp lệ');
    await expect(page.locator('[data-error-for="title_vi"]')).toBeVisible();
    await expect(page.getByLabel(/^Tên tiếng Việt/)).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel(/^Tên tiếng Việt/)).toBeFocused();
  });

  await test.step('create it: the URL name follows the title', async () => {
    await page.getByLabel(/^Tên tiếng Việt/).fill(title);
    await expect(page.getByLabel(/^Tên trong đường dẫn/)).toHaveValue(`diem-tiem-chung-thu-nghiem-${suffix}`);
    await page.getByLabel('Hạn chế').check();
    await page.getByRole('button', { name: 'Tạo bộ dữ liệu' }).click();
    await expect(page).toHaveURL(new RegExp(`#/datahub/datasets/diem-tiem-chung-thu-nghiem-${suffix}$`));
    await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  });

  await test.step('add an upload resource and its first version', async () => {
    await page.getByLabel(/^Tên tài nguyên/).fill('Danh sách điểm tiêm');
    await page.getByRole('button', { name: 'Thêm tài nguyên' }).click();
    const panel = page.locator('cityos-datahub-resource').first();
    await expect(panel.getByRole('heading', { level: 3, name: 'Danh sách điểm tiêm' })).toBeVisible();
    await panel.getByLabel('Tệp dữ liệu').setInputFiles({
      name: 'diem-tiem-v1.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('Tên điểm,Phường,Số liều,Điện thoại\nTrạm y tế phường Sài Gòn,Phường Sài Gòn,120,028 3822 1111\nTrạm y tế phường Bến Thành,Phường Bến Thành,95,028 3822 2222\n'),
    });
    await panel.getByRole('button', { name: 'Tải lên', exact: true }).click();
    const report = panel.locator('.datahub-report');
    await expect(report).toHaveAttribute('data-version', '1');
    await expect(report.locator('[data-diff="first"]')).toBeVisible();
    await expect(report.locator('[data-schema] tr[data-field="Số liều"]')).toContainText('Số nguyên');
  });

  await test.step('a second version: added, removed and retyped columns are reported', async () => {
    const panel = page.locator('cityos-datahub-resource').first();
    await panel.getByLabel('Tệp dữ liệu').setInputFiles({
      name: 'diem-tiem-v2.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from('Tên điểm,Phường,Số liều,Ghi chú\nTrạm y tế phường Sài Gòn,Phường Sài Gòn,120 liều,Mở cửa sáng thứ Bảy\nTrạm y tế phường Bến Thành,Phường Bến Thành,95,\n'),
    });
    await panel.getByRole('button', { name: 'Tải lên', exact: true }).click();
    const report = panel.locator('.datahub-report');
    await expect(report).toHaveAttribute('data-version', '2');
    await expect(report.getByRole('heading', { name: 'Kết quả tải lên: phiên bản 2' })).toBeFocused();
    const diff = report.locator('.datahub-diff');
    await expect(diff).toHaveAttribute('data-diff', 'changed');
    await expect(diff.getByRole('heading', { name: 'Thay đổi so với phiên bản 1' })).toBeVisible();
    await expect(diff.locator('[data-diff-list="added"]')).toHaveText('Ghi chú');
    await expect(diff.locator('[data-diff-list="removed"]')).toHaveText('Điện thoại');
    await expect(diff.locator('[data-diff-list="changed"]')).toContainText('Số liều: Số nguyên → Văn bản');
    await expect(panel.locator('[data-versions] tbody tr')).toHaveCount(2);
    await expect(panel.locator('[data-versions] tr[data-version="2"]')).toContainText('đang dùng');
    await shot(page, 'datahub-diff');

    // Mark a field personal: the server keeps the flag.
    await panel.getByLabel('Dữ liệu cá nhân: Ghi chú').check();
    await expect(page.locator('#cityos-announcer')).toContainText('Đã đánh dấu Ghi chú là dữ liệu cá nhân.');
    await expectAccessible(page, 'dataset in the console after two uploads', WARD_LABELS);
  });
});

test('another agency asks for shared data; the owner revokes the approval in writing', async ({ browser }) => {
  const requester = await (await browser.newContext()).newPage();
  const purpose = `Lập kế hoạch tiêm chủng phường Sài Gòn (e2e ${Date.now().toString(36)})`;

  await test.step('ward staff ask for the shared immunisation dataset: approved at once, with its purpose', async () => {
    await signIn(requester, 'staff');
    await requester.goto('/#/datahub/datasets/tiem-chung-mo-rong');
    await expect(requester.locator('[data-access="none"]')).toBeVisible();
    await requester.getByRole('button', { name: 'Gửi yêu cầu' }).click();
    await expect(requester.locator('.form-error').filter({ hasText: /\S/ })).toContainText('Cần nêu mục đích sử dụng.');
    await requester.getByLabel(/^Mục đích sử dụng/).fill(purpose);
    await requester.getByRole('button', { name: 'Gửi yêu cầu' }).click();
    await expect(requester.locator('[data-access="approval"]')).toBeVisible();
    await expectAccessible(requester, 'dataset of another agency in the console', WARD_LABELS);
  });

  await test.step('the owner finds it among approved requests and revokes it with a reason and a legal basis', async () => {
    const owner = await (await browser.newContext()).newPage();
    await signIn(owner, 'data_officer');
    await owner.goto('/#/datahub?tab=incoming');
    await expect(owner.getByRole('tab', { name: 'Yêu cầu cần xử lý' })).toHaveAttribute('aria-selected', 'true');
    await owner.getByLabel('Trạng thái').selectOption('approved');
    const card = owner.locator('cityos-datahub-request').filter({ hasText: purpose });
    await expect(card).toBeVisible();
    await card.getByRole('button', { name: 'Thu hồi' }).click();
    await card.getByRole('button', { name: 'Xác nhận thu hồi' }).click();
    await expect(card.locator('.form-error')).toHaveText('Cần ghi rõ lý do.');
    await expect(card.getByLabel(/^Lý do/)).toBeFocused();
    await card.getByLabel(/^Lý do/).fill('Dữ liệu đang được rà soát sau khi sáp nhập phường.');
    await card.getByLabel(/^Căn cứ pháp lý/).fill('Khoản 2 Điều 10 Nghị định 47/2020/NĐ-CP');
    await card.getByRole('button', { name: 'Xác nhận thu hồi' }).click();
    await expect(card.locator('[data-status-label]')).toHaveText('Đã thu hồi');
    await expect(card.locator('[data-refusal]')).toHaveText('Dữ liệu đang được rà soát sau khi sáp nhập phường.');
    await expectAccessible(owner, 'requests to decide', WARD_LABELS);

    await owner.getByRole('tab', { name: 'Nhật ký truy cập' }).click();
    await expect(owner.locator('[data-access-log]')).toBeVisible();
  });

  await test.step('the requester sees the revocation', async () => {
    await requester.goto('/#/datahub?tab=outgoing');
    await requester.getByLabel('Trạng thái').selectOption('');
    const card = requester.locator('cityos-datahub-request').filter({ hasText: purpose });
    await expect(card.locator('[data-status-label]')).toHaveText('Đã thu hồi');
    await expect(card.getByRole('button', { name: 'Rút yêu cầu' })).toHaveCount(0);
  });
});

test('a data officer registers a gateway service, grants a ward, sees its call in the exchange log and revokes it', async ({ browser }) => {
  const base = process.env.CITYOS_URL ?? 'http://127.0.0.1:8080';
  const code = `tu-dien-e2e-${Date.now().toString(36)}`;
  const owner = await (await browser.newContext()).newPage();
  const ward = await (await browser.newContext()).newPage();

  await test.step('the officer opens the gateway tab and registers a REST service, fixing what the form names', async () => {
    await signIn(owner, 'data_officer');
    await owner.goto('/#/datahub?tab=gateway');
    await expect(owner.getByRole('tab', { name: 'Dịch vụ liên thông' })).toHaveAttribute('aria-selected', 'true');
    await expect(owner.getByRole('heading', { name: 'Dịch vụ đã đăng ký' })).toBeVisible();
    await owner.getByRole('button', { name: 'Đăng ký dịch vụ' }).click();
    await expect(owner.getByLabel(/^Mã dịch vụ/)).toBeFocused();
    await owner.getByLabel(/^Mã dịch vụ/).fill('Sai Mã');
    await owner.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    await expect(owner.locator('#gateway-register .form-error')).toHaveText('Vui lòng sửa các trường được đánh dấu.');
    await expect(owner.getByLabel(/^Mã dịch vụ/)).toBeFocused();
    await expect(owner.locator('[data-error-for="code"]')).toBeVisible();
    await expect(owner.locator('[data-error-for="base_url"]')).toBeVisible();
    await owner.getByLabel(/^Mã dịch vụ/).fill(code);
    await owner.getByLabel(/^Tên dịch vụ \(tiếng Việt\)/).fill('Từ điển dữ liệu Sở Y tế (e2e)');
    // The upstream is CityOS's own public vocabulary: a real answer through the gateway.
    await owner.getByLabel(/^Địa chỉ gốc của dịch vụ/).fill(`${base}/api/datahub`);
    await expectAccessible(owner, 'gateway registration form', WARD_LABELS);
    await owner.getByRole('button', { name: 'Đăng ký', exact: true }).click();
    await expect(owner.getByRole('heading', { name: 'Dịch vụ: Từ điển dữ liệu Sở Y tế (e2e)' })).toBeFocused();
    await expect(owner.locator(`#gateway-services tr[data-code="${code}"]`)).toBeVisible();
  });

  await test.step('the officer grants Phường Sài Gòn the vocabulary path', async () => {
    await owner.getByRole('button', { name: 'Cấp quyền' }).click();
    await expect(owner.locator('[data-error-for="consumer_agency"]')).toHaveText('Cần chọn cơ quan được phép gọi.');
    await expect(owner.locator('[data-error-for="purpose"]')).toHaveText('Cần nêu mục đích và căn cứ.');
    await owner.getByLabel(/^Cơ quan sử dụng/).selectOption('UBND-P-SAIGON');
    await owner.getByLabel(/^Mục đích và căn cứ/).fill('Tra cứu danh mục dùng chung (kiểm thử e2e)');
    await owner.getByLabel(/^Phạm vi được gọi/).fill('GET /vocabulary');
    await owner.getByRole('button', { name: 'Cấp quyền' }).click();
    const grant = owner.locator('#gateway-grants tr[data-consumer="UBND-P-SAIGON"]');
    await expect(grant.locator('[data-grant-state]')).toHaveText('Đang hiệu lực');
  });

  await test.step('the ward calls the service through the gateway; the officer sees the exchange logged', async () => {
    await signIn(ward, 'staff');
    const ok = await ward.request.get(`/gateway/${code}/vocabulary`);
    expect(ok.status()).toBe(200);
    const refused = await ward.request.get(`/gateway/${code}/datasets`);
    expect(refused.status()).toBe(403);
    await owner.getByRole('button', { name: 'Quyền và nhật ký của Từ điển dữ liệu Sở Y tế (e2e)' }).click();
    const rows = owner.locator('#gateway-log tbody tr[data-exchange]');
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText('Từ chối: chưa được cấp quyền');
    await expect(rows.nth(1)).toContainText('Thành công');
    await expect(rows.nth(1)).toContainText('GET /vocabulary');
    await expect(owner.getByText('Kiểm toán viên kiểm tra chuỗi băm và chữ ký của nhật ký.')).toBeVisible();
    await expectAccessible(owner, 'gateway service, grants and exchange log', WARD_LABELS);
    await shot(owner, 'datahub-gateway');
  });

  await test.step('the officer revokes the grant, confirming first; the ward is refused from then on', async () => {
    const grant = owner.locator('#gateway-grants tr[data-consumer="UBND-P-SAIGON"]');
    await grant.getByRole('button', { name: /^Thu hồi quyền của/ }).click();
    await grant.getByRole('button', { name: 'Xác nhận thu hồi' }).click();
    await expect(grant.locator('[data-grant-state]')).toHaveText('Đã thu hồi');
    await expect(owner.getByRole('heading', { name: 'Cơ quan được phép gọi' })).toBeFocused();
    expect((await ward.request.get(`/gateway/${code}/vocabulary`)).status()).toBe(403);
  });

  await test.step('in English, the same tab reads in English', async () => {
    await owner.evaluate(() => localStorage.setItem('cityos.locale', 'en'));
    await owner.reload();
    await expect(owner.getByRole('tab', { name: 'Gateway services' })).toHaveAttribute('aria-selected', 'true');
    await expect(owner.getByRole('heading', { name: 'Registered services' })).toBeVisible();
    await owner.evaluate(() => localStorage.removeItem('cityos.locale'));
  });
});
