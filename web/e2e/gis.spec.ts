import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { MAP_CANVAS, expectAccessible, signIn } from './helpers';

/**
 * The infrastructure map (`#/gis`) against a real CityOS (`cityos demo`, with
 * its generated networks): the layer switcher and legend, features of the
 * view in a keyboard list, the asset panel with its history; editing by the
 * owner agency (attributes, a stale ETag, moving, deleting); the import wizard
 * with its validation report; the keyboard path (Tab to the layers, toggle
 * one, Tab to the list, Enter opens, Escape closes and gives focus back);
 * dates, times and numbers in both languages. Screenshots: gis-map.png,
 * gis-asset.png, gis-asset-en.png, gis-import.png.
 */

const SHOTS = process.env.CITYOS_SCREENSHOTS ?? fileURLToPath(new URL('../../target/screenshots/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });
const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: false });

/** The page's CSRF token (the console keeps it per tab), for API calls made beside the UI. */
async function csrf(page: Page): Promise<string> {
  return page.evaluate(() => sessionStorage.getItem('cityos.csrf') ?? '');
}

/** Whether the focused element matches `selector`. */
function focusedMatches(page: Page, selector: string): Promise<boolean> {
  return page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector);
}

/** `dd/mm/yyyy HH:mm` in Ho Chi Minh City (UTC+7 all year), worked out here rather than with the console's formatter. */
function cityTime(epochMs: number): string {
  const local = new Date(epochMs + 7 * 3_600_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(local.getUTCDate())}/${two(local.getUTCMonth() + 1)}/${local.getUTCFullYear()} ${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`;
}

/** Creates a valve through OGC API – Features Part 4 as the signed-in user (owner: the user's agency). */
async function createValve(page: Page, name: string, position: [number, number]): Promise<string> {
  const response = await page.request.post('/ogc/collections/water-valves/items', {
    headers: { 'content-type': 'application/geo+json', 'x-csrf-token': await csrf(page) },
    data: { type: 'Feature', geometry: { type: 'Point', coordinates: position }, properties: { name, status: 'functional', diameter_mm: 300, install_date: '2019-03-07' } },
  });
  expect(response.status(), await response.text()).toBe(201);
  const body = (await response.json().catch(() => null)) as { id?: string } | null;
  const id = body?.id ?? response.headers()['location']?.split('/').pop();
  expect(id).toBeTruthy();
  return decodeURIComponent(id!);
}

test('infrastructure map: layers with a legend, the keyboard list, an asset with its history', async ({ page }) => {
  await signIn(page, 'operator');

  await test.step('the map page opens from the navigation, Vietnamese first', async () => {
    await page.getByRole('navigation', { name: 'Các phân hệ' }).getByRole('link', { name: 'Hạ tầng' }).click();
    await expect(page).toHaveURL(/#\/gis$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Bản đồ hạ tầng kỹ thuật' })).toBeVisible();
    await expect(page.locator('.gis-map-canvas canvas')).toBeVisible();
    await expect(page.locator('.gis-map-canvas')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
    // Zoomed out on the whole city: sources and post offices are listed, the rest is counted.
    await expect(page.locator('.gis-feature-button').first()).toBeVisible();
    await expect(page.locator('.gis-zoom-hint')).toContainText('Phóng to để xem thêm');
    await shot(page, 'gis-map');
    await expectAccessible(page, 'infrastructure map', MAP_CANVAS);
  });

  await test.step('the layer switcher has a checkbox and a text legend per network; a layer toggles', async () => {
    const layers = page.getByRole('group', { name: 'Lớp mạng lưới' });
    await expect(layers.getByRole('checkbox')).toHaveCount(6);
    const post = layers.getByRole('checkbox', { name: 'Bưu chính' });
    await expect(post).toBeChecked();
    await expect(page.locator('#gis-layer-sewer-legend')).toHaveText('Tuyến: nét đứt; điểm: vòng tròn viền đậm.');
    const postOffices = page.locator('.gis-feature-button[data-collection="post-offices"]');
    await expect(postOffices.first()).toBeVisible();
    await post.uncheck();
    await expect(post).not.toBeChecked();
    await expect(postOffices).toHaveCount(0);
    const layer = await page.evaluate(() =>
      (window as unknown as { __cityosGisMap?: { getLayoutProperty(layer: string, name: string): unknown } }).__cityosGisMap?.getLayoutProperty('gis-post-point', 'visibility'),
    );
    expect(layer).toBe('none');
    await post.check();
    await expect(postOffices.first()).toBeVisible();
  });

  await test.step('keyboard only: Tab to the layers, toggle one, Tab to the list, Enter opens, Escape closes and gives focus back', async () => {
    await page.getByRole('heading', { level: 1, name: 'Bản đồ hạ tầng kỹ thuật' }).focus();
    for (let presses = 0; !(await focusedMatches(page, '.gis-layers input[type="checkbox"]')); presses++) {
      expect(presses, 'Tab presses from the heading to the layer switcher').toBeLessThan(5);
      await page.keyboard.press('Tab');
    }
    await expect(page.locator('#gis-layer-electricity')).toBeFocused();
    for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
    const post = page.getByRole('group', { name: 'Lớp mạng lưới' }).getByRole('checkbox', { name: 'Bưu chính' });
    await expect(post).toBeFocused();
    const postOffices = page.locator('.gis-feature-button[data-collection="post-offices"]');
    await page.keyboard.press('Space');
    await expect(post).not.toBeChecked();
    await expect(postOffices).toHaveCount(0);
    await page.keyboard.press('Space');
    await expect(post).toBeChecked();
    await expect(postOffices.first()).toBeVisible();
    await expect(post).toBeFocused();
    // On through the export form and the map's own controls to the list.
    for (let presses = 0; !(await focusedMatches(page, '.gis-feature-button')); presses++) {
      expect(presses, 'Tab presses from the layer switcher to the feature list').toBeLessThan(15);
      await page.keyboard.press('Tab');
    }
    const focused = page.locator('.gis-feature-button:focus');
    const id = await focused.getAttribute('data-feature-id');
    const collection = await focused.getAttribute('data-collection');
    const name = (await focused.locator('.gis-feature-name').innerText()).trim();
    await page.keyboard.press('Enter');
    const panel = page.locator('cityos-gis-asset-panel');
    await expect(panel.getByRole('heading', { level: 2, name })).toBeFocused();
    await expect(page).toHaveURL(/#\/gis\?collection=[^&]+&id=/);
    await page.keyboard.press('Escape');
    await expect(panel).toHaveCount(0);
    await expect(page).toHaveURL(/#\/gis$/);
    await expect(page.locator(`.gis-feature-button[data-collection="${collection}"][data-feature-id="${id}"]`)).toBeFocused();
  });

  await test.step('a click on the map opens the asset under the pointer', async () => {
    const target = await page.evaluate(() => {
      type Hit = { geometry: { type: string; coordinates: [number, number] }; properties: Record<string, unknown> };
      const map = (
        window as unknown as {
          __cityosGisMap: {
            querySourceFeatures(source: string): Hit[];
            project(lngLat: [number, number]): { x: number; y: number };
            queryRenderedFeatures(point: [number, number]): Hit[];
            getCanvas(): HTMLCanvasElement;
          };
        }
      ).__cityosGisMap;
      const { clientWidth: width, clientHeight: height } = map.getCanvas();
      for (const feature of map.querySourceFeatures('gis-features')) {
        if (feature.geometry.type !== 'Point') continue;
        const { x, y } = map.project(feature.geometry.coordinates);
        // Away from the edges and the zoom buttons (top right).
        if (x < 20 || y < 20 || x > width - 20 || y > height - 40 || (x > width - 60 && y < 90)) continue;
        const ids = map.queryRenderedFeatures([x, y]).map((hit) => hit.properties['fid']).filter((id) => typeof id === 'string');
        if (ids.length > 0) return { x, y, ids };
      }
      return null;
    });
    expect(target, 'a point feature in view').not.toBeNull();
    const box = (await page.locator('.gis-map-canvas canvas').boundingBox())!;
    await page.mouse.click(box.x + target!.x, box.y + target!.y);
    const asset = page.locator('.gis-asset');
    await expect(asset).toBeVisible();
    expect(target!.ids).toContain(await asset.getAttribute('data-feature-id'));
    await asset.getByRole('button', { name: 'Đóng' }).click();
    await expect(asset).toHaveCount(0);
    await expect(page.getByRole('heading', { level: 2, name: 'Đối tượng trong khung nhìn' })).toBeFocused();
  });

  await test.step('export: the layer in view as GeoPackage, in VN-2000', async () => {
    await page.getByLabel('Lớp', { exact: true }).selectOption('post-offices');
    await page.getByLabel('Định dạng').selectOption('gpkg');
    await page.getByRole('combobox', { name: 'Hệ tọa độ' }).selectOption('http://www.opengis.net/def/crs/EPSG/0/9210');
    const link = page.getByRole('link', { name: 'Tải về' });
    const url = await link.getAttribute('href');
    expect(url).toMatch(/^\/api\/gis\/exports\?collection=post-offices&format=gpkg&crs=http%3A%2F%2Fwww\.opengis\.net%2Fdef%2Fcrs%2FEPSG%2F0%2F9210&bbox=[-\d.]+%2C/);
    const response = await page.request.get(url!);
    expect(response.status(), await response.text()).toBe(200);
    // A GeoPackage is an SQLite database.
    expect((await response.body()).subarray(0, 15).toString('latin1')).toBe('SQLite format 3');
  });

  await test.step('an asset opens from the list with the keyboard; attributes, connections and history show', async () => {
    const first = page.locator('.gis-feature-button').first();
    const name = (await first.locator('.gis-feature-name').innerText()).trim();
    await first.focus();
    await page.keyboard.press('Enter');
    const panel = page.locator('cityos-gis-asset-panel');
    await expect(panel.getByRole('heading', { level: 2, name })).toBeFocused();
    await expect(page).toHaveURL(/#\/gis\?collection=[^&]+&id=/);
    await expect(panel.locator('.gis-attributes tr[data-attr="status"] th')).toHaveText('Trạng thái');
    await expect(panel.getByRole('heading', { level: 3, name: 'Kết nối' })).toBeVisible();
    await expect(panel.getByRole('heading', { level: 3, name: 'Lịch sử thay đổi' })).toBeVisible();
    await expect(panel.locator('.gis-version').first()).toContainText('Phiên bản');
    await expect(panel.locator('.gis-version[data-change="create"]')).toHaveCount(1);
    // The operator is not in the owner agency: no edit controls, a plain note instead.
    await expect(panel.getByRole('button', { name: 'Sửa thuộc tính' })).toHaveCount(0);
    await expect(panel.locator('.gis-readonly')).toBeVisible();
    await shot(page, 'gis-asset');
    await expectAccessible(page, 'infrastructure map with an asset open', MAP_CANVAS);
  });

  await test.step('"zoom in" loads every collection of the visible networks for the view', async () => {
    const pipes = page.waitForRequest(/\/ogc\/collections\/water-pipes\/items\?bbox=[-\d.%C]+&limit=500&f=json$/);
    await page.locator('.gis-zoom-hint').getByRole('button', { name: 'Phóng to' }).click();
    await pipes;
    await expect(page.locator('.gis-map-canvas')).toHaveAttribute('data-zoom', /^(1[5-9]|2\d)\./);
  });

  await test.step('in English the page and its legend change language', async () => {
    await page.getByRole('button', { name: 'English' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Technical infrastructure map' })).toBeVisible();
    await expect(page.locator('#gis-layer-sewer-legend')).toHaveText('Lines: dashed; points: thick ring.');
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
  });
});

test('owner agency edits an asset: attributes, a stale version, moving and deleting', async ({ page }) => {
  await signIn(page, 'staff');
  const id = await createValve(page, 'Van thử nghiệm Lê Lợi', [106.70123, 10.77654]);
  await page.goto(`/#/gis?collection=water-valves&id=${encodeURIComponent(id)}`);
  const panel = page.locator('cityos-gis-asset-panel');
  await expect(panel.getByRole('heading', { level: 2, name: 'Van thử nghiệm Lê Lợi' })).toBeVisible();
  await expect(panel.locator('.gis-attributes tr[data-attr="diameter_mm"] td')).toHaveText('300');

  await test.step('Escape leaves the form without saving', async () => {
    await panel.getByRole('button', { name: 'Sửa thuộc tính' }).click();
    await panel.getByLabel('Đường kính (mm)').fill('450');
    await page.keyboard.press('Escape');
    await expect(panel.locator('.gis-asset-form')).toHaveCount(0);
    await expect(panel.getByRole('button', { name: 'Sửa thuộc tính' })).toBeFocused();
    await expect(panel.locator('.gis-attributes tr[data-attr="diameter_mm"] td')).toHaveText('300');
  });

  await test.step('edit: validation in the form, then a saved change appears in the history as a diff', async () => {
    await panel.getByRole('button', { name: 'Sửa thuộc tính' }).click();
    await panel.getByLabel('Đường kính (mm)').fill('-4');
    await panel.getByRole('button', { name: 'Lưu' }).click();
    await expect(panel.locator('.form-error', { hasText: 'Vui lòng sửa các ô được đánh dấu.' })).toBeVisible();
    await expect(panel.getByLabel('Đường kính (mm)')).toHaveAttribute('aria-invalid', 'true');
    await expect(panel.getByLabel('Đường kính (mm)')).toBeFocused();
    await expectAccessible(page, 'asset edit form with an error', MAP_CANVAS);
    await panel.getByLabel('Đường kính (mm)').fill('1.200,5');
    await panel.getByLabel('Trạng thái').selectOption('disused');
    await panel.getByRole('button', { name: 'Lưu' }).click();
    await expect(panel.locator('.gis-attributes tr[data-attr="diameter_mm"] td')).toHaveText('1.200,5');
    await expect(panel.locator('.gis-attributes tr[data-attr="status"] td')).toHaveText('Ngừng sử dụng');
    const latest = panel.locator('.gis-version').first();
    await expect(latest).toHaveAttribute('data-version', '2');
    await expect(latest.locator('tr[data-attr="status"] td')).toHaveText(['Đang hoạt động', 'Ngừng sử dụng']);
    await expect(latest.locator('tr[data-attr="diameter_mm"] td')).toHaveText(['300', '1.200,5']);
  });

  await test.step('history and attributes in both languages: dd/mm/yyyy HH:mm city time, 1.234,5 and 1,234.5', async () => {
    const response = await page.request.get(`/api/gis/features/water-valves/${encodeURIComponent(id)}/history`);
    expect(response.status(), await response.text()).toBe(200);
    const versions = (await response.json()) as Array<{ version: number; change: string; valid_from: number }>;
    expect(versions.map((v) => [v.version, v.change])).toEqual([
      [2, 'update'],
      [1, 'create'],
    ]);
    const when = cityTime(versions[0]!.valid_from);
    const latest = panel.locator('.gis-version').first();
    const rows = panel.locator('.gis-attributes');
    await expect(latest.locator('.gis-version-time')).toHaveText(when);
    await expect(latest.locator('.gis-version-time')).toHaveAttribute('datetime', new Date(versions[0]!.valid_from).toISOString());
    await expect(latest.locator('.gis-version-head')).toContainText('Phiên bản 2 · Cập nhật');
    await expect(rows.locator('tr[data-attr="install_date"] td')).toHaveText('07/03/2019');
    await expect(rows.locator('tr[data-attr="valid_from"] td')).toHaveText(when);
    await expect(rows.locator('tr[data-attr="position"] td')).toHaveText('10,77654; 106,70123');

    await page.getByRole('button', { name: 'English' }).click();
    await expect(rows.locator('tr[data-attr="diameter_mm"] th')).toHaveText('Diameter (mm)');
    await expect(rows.locator('tr[data-attr="diameter_mm"] td')).toHaveText('1,200.5');
    await expect(rows.locator('tr[data-attr="status"] td')).toHaveText('Disused');
    await expect(rows.locator('tr[data-attr="install_date"] td')).toHaveText('07/03/2019');
    await expect(rows.locator('tr[data-attr="valid_from"] td')).toHaveText(when);
    await expect(rows.locator('tr[data-attr="position"] td')).toHaveText('10.77654, 106.70123');
    await expect(panel.getByRole('heading', { level: 3, name: 'Change history' })).toBeVisible();
    await expect(latest.locator('.gis-version-head')).toContainText('Version 2 · Updated');
    await expect(latest.locator('.gis-version-time')).toHaveText(when);
    await expect(latest.locator('tr[data-attr="diameter_mm"] th')).toHaveText('Diameter (mm)');
    await expect(latest.locator('tr[data-attr="diameter_mm"] td')).toHaveText(['300', '1,200.5']);
    await expect(latest.locator('tr[data-attr="status"] td')).toHaveText(['Functional', 'Disused']);
    await shot(page, 'gis-asset-en');
    await page.getByRole('button', { name: 'Tiếng Việt' }).click();
    await expect(rows.locator('tr[data-attr="diameter_mm"] td')).toHaveText('1.200,5');
  });

  await test.step('someone else changes it meanwhile: the save gets "reload", and reload shows their change', async () => {
    await panel.getByRole('button', { name: 'Sửa thuộc tính' }).click();
    const current = await page.request.get(`/ogc/collections/water-valves/items/${encodeURIComponent(id)}?f=json`);
    const other = await page.request.patch(`/ogc/collections/water-valves/items/${encodeURIComponent(id)}`, {
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': current.headers()['etag'] ?? '', 'x-csrf-token': await csrf(page) },
      data: { properties: { material: 'gang dẻo' } },
    });
    expect(other.ok(), await other.text()).toBe(true);
    await panel.getByLabel('Tình trạng').selectOption('poor');
    await panel.getByRole('button', { name: 'Lưu' }).click();
    await expect(panel.locator('.form-error', { hasText: 'Người khác vừa thay đổi tài sản này' })).toBeVisible();
    await panel.getByRole('button', { name: 'Tải lại tài sản' }).click();
    await expect(panel.locator('.gis-attributes tr[data-attr="material"] td')).toHaveText('gang dẻo');
    await expect(panel.locator('.gis-attributes tr[data-attr="condition"]')).toHaveCount(0);
  });

  await test.step('move by typed coordinates', async () => {
    await panel.getByRole('button', { name: 'Di chuyển' }).click();
    await panel.getByLabel('Kinh độ').fill('106,7021');
    await panel.getByLabel('Vĩ độ').fill('10,7771');
    await panel.getByRole('button', { name: 'Di chuyển' }).last().click();
    await expect(panel.locator('.gis-attributes tr[data-attr="position"] td')).toHaveText('10,7771; 106,7021');
    await expect(panel.locator('.gis-version').first().locator('tr[data-attr="geometry"]')).toBeVisible();
  });

  await test.step('delete asks first, then removes the asset', async () => {
    await panel.getByRole('button', { name: 'Xóa tài sản' }).click();
    await expect(panel.getByText('Xóa "Van thử nghiệm Lê Lợi"?')).toBeVisible();
    await panel.getByRole('button', { name: 'Xác nhận xóa' }).click();
    await expect(page.locator('cityos-gis-asset-panel')).toHaveCount(0);
    const gone = await page.request.get(`/ogc/collections/water-valves/items/${encodeURIComponent(id)}?f=json`);
    expect(gone.status()).toBe(404);
  });
});

test('import wizard: a dry run reports errors and blocks; a clean file imports', async ({ page }) => {
  await signIn(page, 'staff');
  await page.goto('/#/gis');
  await page.getByRole('link', { name: 'Nhập dữ liệu từ tệp' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Nhập dữ liệu hạ tầng' })).toBeVisible();
  await page.getByLabel('Lớp dữ liệu').selectOption('water-hydrants');
  await expect(page.getByLabel('Hệ tọa độ', { exact: true })).toHaveValue('');
  await expectAccessible(page, 'import wizard', MAP_CANVAS);

  const feature = (name: string, coordinates: unknown) => ({ type: 'Feature', geometry: { type: 'Point', coordinates }, properties: { name, status: 'functional' } });
  const bad = { type: 'FeatureCollection', features: [feature('Trụ 1', [106.7, 10.77]), feature('Trụ 2', [106.7])] };
  await page.getByLabel('Tệp dữ liệu').setInputFiles({ name: 'tru-cuu-hoa.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(bad)) });
  await page.getByRole('button', { name: 'Kiểm tra dữ liệu' }).click();
  const report = page.locator('.gis-report');
  await expect(page.getByRole('heading', { level: 2, name: 'Kết quả kiểm tra' })).toBeFocused();
  await expect(report.locator('[data-fact="features"]')).toHaveText('2');
  await expect(report.locator('.gis-report-errors tbody tr')).not.toHaveCount(0);
  await expect(report.getByRole('button', { name: 'Nhập dữ liệu' })).toBeDisabled();
  await expectAccessible(page, 'import report with errors', MAP_CANVAS);

  const good = { type: 'FeatureCollection', features: [feature('Trụ cứu hỏa Hàm Nghi', [106.7031, 10.7712]), feature('Trụ cứu hỏa Pasteur', [106.6991, 10.7775])] };
  await page.getByLabel('Tệp dữ liệu').setInputFiles({ name: 'tru-cuu-hoa.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(good)) });
  await expect(report).toHaveCount(0);
  await page.getByRole('button', { name: 'Kiểm tra dữ liệu' }).click();
  await expect(report.locator('[data-fact="errors"]')).toHaveText('0');
  await expect(report).toContainText('Không có lỗi: có thể nhập 2 đối tượng.');
  await shot(page, 'gis-import');
  await report.getByRole('button', { name: 'Nhập dữ liệu' }).click();
  await expect(page.getByRole('heading', { level: 2, name: 'Đã nhập dữ liệu' })).toBeFocused();
  await expect(page.locator('[data-written]')).toHaveAttribute('data-written', '2');
  await expectAccessible(page, 'import result', MAP_CANVAS);
});
