import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { WARD_LABELS, expectAccessible } from './helpers';

/**
 * Photos on reports against a real CityOS server (`cityos demo`): a citizen
 * attaches a photo (with GPS in its EXIF) on the portal, the operator sees it
 * in the staff console, blacks out a region with the mouse and one typed in
 * percent, publishes it, and the citizen's tracking page shows the redacted
 * copy. Screenshot: redaction.png.
 */

const PHOTO = readFileSync(fileURLToPath(new URL('./fixtures/street.jpg', import.meta.url)));
const SHOTS = process.env.CITYOS_SCREENSHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));

test('a citizen attaches a photo; staff black out regions and publish the redacted copy', async ({ page, browser }) => {
  const suffix = Date.now().toString(36);
  let code = '';

  await test.step('the citizen chooses two photos, removes one, and files the report', async () => {
    await page.goto('/#/portal');
    await page.getByLabel(/^Nội dung phản ánh/).fill(`Ổ gà sâu giữa đường, có ảnh chụp hiện trường (e2e ${suffix})`);
    await page.getByLabel('Địa chỉ', { exact: true }).fill('123 Lê Lợi, phường Sài Gòn');
    const input = page.getByTestId('media-input');
    await input.setInputFiles([
      { name: 'o-ga.jpg', mimeType: 'image/jpeg', buffer: PHOTO },
      { name: 'trung.jpg', mimeType: 'image/jpeg', buffer: PHOTO },
    ]);
    const chosen = page.locator('.media-chosen');
    await expect(chosen).toHaveCount(2);
    await expect(chosen.first()).toContainText('o-ga.jpg');
    await expect(chosen.first()).toContainText('KB');
    await expect(chosen.first().locator('img')).toHaveAttribute('alt', 'Xem trước o-ga.jpg');
    await page.getByRole('button', { name: 'Bỏ tệp trung.jpg' }).click();
    await expect(chosen).toHaveCount(1);
    // A file the server would refuse is caught at once, in Vietnamese.
    await input.setInputFiles([{ name: 'tai-lieu.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.7') }]);
    await expect(page.locator('.media-problems')).toContainText('tai-lieu.pdf: chỉ nhận ảnh JPEG, PNG');
    await expect(chosen).toHaveCount(1);
    await expectAccessible(page, 'portal form with a photo', WARD_LABELS);
    await page.getByRole('button', { name: 'Gửi phản ánh', exact: true }).click();
    await expect(page.getByRole('heading', { name: 'Đã gửi phản ánh', exact: true })).toBeFocused();
    await expect(page.locator('[data-media-sent="1"]')).toContainText('Đã đính kèm 1 ảnh, video');
    code = (await page.locator('[data-tracking-code]').innerText()).trim();
    // Until staff check it, the photo is not public.
    const view = (await (await page.request.get(`/api/feedback/public/reports/${code}`)).json()) as { media: unknown[] };
    expect(view.media).toEqual([]);
  });

  await test.step('the operator sees it without its GPS, blacks out two regions and publishes it', async () => {
    const staff = await browser.newContext();
    const staffPage = await staff.newPage();
    await staffPage.goto('/');
    await staffPage.getByLabel('Tên đăng nhập').fill('operator');
    await staffPage.getByLabel('Mật khẩu').fill('operator-demo-2025');
    await staffPage.getByRole('button', { name: 'Đăng nhập' }).click();
    await expect(staffPage.getByRole('heading', { level: 1, name: 'Tổng quan' })).toBeVisible();
    await staffPage.goto(`/#/feedback/${code}`);
    const item = staffPage.locator('#report-media .media-item');
    await expect(item).toHaveCount(1);
    await expect(item).toHaveAttribute('data-visibility', 'internal');
    await expect(item).toContainText('Nội bộ');
    const original = await staffPage.request.get((await item.locator('img').getAttribute('src'))!);
    expect(original.headers()['content-type']).toBe('image/jpeg');
    const bytes = Buffer.from(await original.body());
    expect(bytes.includes(Buffer.from('PhoneMaker'))).toBe(false);
    expect(bytes.includes(Buffer.from('Exif'))).toBe(false);

    await item.getByRole('button', { name: 'Che vùng…' }).click();
    await expect(staffPage.getByRole('heading', { name: 'Che vùng trên ảnh' })).toBeFocused();
    // With the mouse: drag over the face.
    const img = staffPage.locator('.redaction-canvas img');
    await expect(img).toBeVisible();
    await expect.poll(async () => (await img.boundingBox())?.width ?? 0).toBeGreaterThan(100);
    const box = (await img.boundingBox())!;
    await staffPage.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
    await staffPage.mouse.down();
    await staffPage.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3, { steps: 5 });
    await staffPage.mouse.up();
    await expect(staffPage.locator('.redaction-box:not(.is-draft)')).toHaveCount(1);
    // With the keyboard: typed in percent, then nudged with an arrow key.
    await staffPage.getByLabel('Cách trái (%)').fill('60');
    await staffPage.getByLabel('Cách trên (%)').fill('70');
    await staffPage.getByLabel('Rộng (%)').fill('20');
    await staffPage.getByLabel('Cao (%)').fill('10');
    await staffPage.getByRole('button', { name: 'Thêm vùng' }).click();
    const regions = staffPage.locator('.region-list li');
    await expect(regions).toHaveCount(2);
    await expect(regions.nth(1)).toContainText('Vùng 2: cách trái 60%, cách trên 70%, rộng 20%, cao 10%');
    await staffPage.locator('.redaction-box[data-region="1"]').focus();
    await staffPage.keyboard.press('ArrowRight');
    await expect(regions.nth(1)).toContainText('cách trái 61%');
    await expect(staffPage.getByLabel('Công khai ảnh (bản đã che) sau khi lưu')).toBeChecked();
    await staffPage.getByRole('button', { name: 'Lưu vùng che' }).click();
    await expect(staffPage.getByTestId('public-copy')).toBeVisible();
    await expect(staffPage.locator('#report-media .media-item')).toHaveAttribute('data-visibility', 'public');
    await expect(staffPage.locator('#report-media .media-item')).toContainText('Đã che 2 vùng');
    await expect(staffPage.locator('#report-history li[data-kind="media"]').last()).toContainText('Che 2 vùng');
    await staffPage.screenshot({ path: `${SHOTS}/redaction.png`, fullPage: true });
    await expectAccessible(staffPage, 'report page with the redaction tool', WARD_LABELS);
    await staff.close();
  });

  await test.step('the citizen sees the published, redacted photo', async () => {
    await page.goto(`/#/track/${code}`);
    const photo = page.locator('.public-media img');
    await expect(photo).toHaveCount(1);
    await expect(photo).toHaveAttribute('alt', 'Ảnh hiện trường 1');
    const src = (await photo.getAttribute('src'))!;
    const served = await page.request.get(src);
    expect(served.status()).toBe(200);
    expect(served.headers()['content-type']).toBe('image/jpeg');
    // The public copy is not the original.
    const staffCopy = Buffer.from(await served.body());
    expect(staffCopy.length).toBeGreaterThan(1000);
    await expect.poll(() => photo.evaluate((el: HTMLImageElement) => el.naturalWidth)).toBe(640);
  });
});
