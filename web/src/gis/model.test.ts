import { describe, expect, it } from 'vitest';
import { translate } from '../i18n';
import { attributeLabel, canEditAsset, canImport, COLLECTIONS, collectionsOf, NETWORKS, networkOf } from './model';
import { dashArray, interactiveLayerIds, networkLayers, NETWORK_STYLES, svgDashArray } from './style';
import {
  actorParts,
  buildPropertyPatch,
  crsOptionLabel,
  importableFile,
  diffProperties,
  farFromCity,
  formatValue,
  geometryChanged,
  historyTime,
  inputValue,
  isoTime,
  parseLocaleNumber,
  parsePosition,
  positionText,
} from './values';
import { anchorOf, DETAIL_ZOOM, featureBounds, hiddenCount, limitConcurrency, planLoad, sameView } from './view';
import { COMMON_ATTRIBUTES } from './model';

describe('network model', () => {
  it('names every collection after its network and covers every network', () => {
    for (const def of COLLECTIONS) expect(def.id.startsWith(`${def.network}-`), def.id).toBe(true);
    for (const network of NETWORKS) expect(collectionsOf(network).length, network).toBeGreaterThan(0);
    expect(new Set(COLLECTIONS.map((def) => def.id)).size).toBe(COLLECTIONS.length);
    expect(networkOf('water-valves')).toBe('water');
    expect(networkOf('gas-pipes')).toBeNull();
  });

  it('labels attributes in both languages, extras included', () => {
    expect(attributeLabel('water-pipes', 'diameter_mm', 'vi')).toBe('Đường kính (mm)');
    expect(attributeLabel('water-pipes', 'pressure_bar', 'en')).toBe('Pressure (bar)');
    expect(attributeLabel('water-pipes', 'colour', 'vi')).toBe('colour');
  });

  it('lets owner-agency staff, city-wide editors and admins edit; not viewers or other agencies', () => {
    const staff = [{ role: 'staff', scope: { kind: 'agency', code: 'SAWACO' } }];
    expect(canEditAsset(staff, 'SAWACO')).toBe(true);
    expect(canEditAsset(staff, 'EVNHCMC')).toBe(false);
    expect(canEditAsset(staff, null)).toBe(false);
    expect(canEditAsset([{ role: 'viewer', scope: { kind: 'city' } }], 'SAWACO')).toBe(false);
    expect(canEditAsset([{ role: 'operator', scope: { kind: 'city' } }], 'SAWACO')).toBe(false);
    expect(canEditAsset([{ role: 'admin', scope: { kind: 'city' } }], 'SAWACO')).toBe(true);
    expect(canImport(staff)).toBe(true);
    expect(canImport([{ role: 'analyst' }])).toBe(false);
  });

  it('has catalogue labels for every status and condition', () => {
    const status = COMMON_ATTRIBUTES.find((a) => a.name === 'status')!;
    const condition = COMMON_ATTRIBUTES.find((a) => a.name === 'condition')!;
    for (const value of status.values!) expect(translate('vi', `gis.status.${value}` as never)).not.toMatch(/^gis\./);
    for (const value of condition.values!) expect(translate('en', `gis.condition.${value}` as never)).not.toMatch(/^gis\./);
  });
});

describe('network styles', () => {
  it('gives every network a distinct colour and a distinct line or point style', () => {
    const colours = NETWORKS.map((n) => NETWORK_STYLES[n].colour.toLowerCase());
    expect(new Set(colours).size).toBe(NETWORKS.length);
    const looks = NETWORKS.map((n) => `${NETWORK_STYLES[n].pattern}/${NETWORK_STYLES[n].point}`);
    expect(new Set(looks).size).toBe(NETWORKS.length);
  });

  it('keeps the colours at 3:1 contrast or more on the light map background', () => {
    const luminance = (hex: string) => {
      const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    const background = luminance('#f4f7fa');
    for (const network of NETWORKS) {
      const l = luminance(NETWORK_STYLES[network].colour);
      expect((background + 0.05) / (l + 0.05), network).toBeGreaterThanOrEqual(3);
    }
  });

  it('maps patterns to MapLibre and SVG dashes', () => {
    expect(dashArray('solid')).toBeNull();
    expect(dashArray('dotted')).toEqual([0.5, 1.5]);
    expect(svgDashArray('dashed')).toBe('9 6');
    expect(svgDashArray('solid')).toBe('');
  });

  it('builds a hidden or visible line and circle layer per network', () => {
    const [line, point] = networkLayers('sewer', false);
    expect(line!.type).toBe('line');
    expect(point!.type).toBe('circle');
    expect((line!.layout as Record<string, unknown>)['visibility']).toBe('none');
    expect((line!.paint as Record<string, unknown>)['line-dasharray']).toEqual([3, 2]);
    expect((networkLayers('electricity', true)[0]!.paint as Record<string, unknown>)['line-dasharray']).toBeUndefined();
    expect(interactiveLayerIds()).toHaveLength(NETWORKS.length * 2);
  });
});

describe('attribute values', () => {
  it('formats numbers and dates the Vietnamese way, and in English', () => {
    const diameter = COMMON_ATTRIBUTES.find((a) => a.name === 'diameter_mm');
    const installed = COMMON_ATTRIBUTES.find((a) => a.name === 'install_date');
    expect(formatValue(diameter, 1234.5, 'vi')).toBe('1.234,5');
    expect(formatValue(diameter, 1234.5, 'en')).toBe('1,234.5');
    expect(formatValue(installed, '2019-03-07', 'vi')).toBe('07/03/2019');
    expect(formatValue(undefined, null, 'vi')).toBe('');
    const status = COMMON_ATTRIBUTES.find((a) => a.name === 'status');
    expect(formatValue(status, 'disused', 'vi', (_a, v) => `label:${v}`)).toBe('label:disused');
  });

  it('shows history times as dd/mm/yyyy HH:mm in Ho Chi Minh City time, in both languages', () => {
    // 17:30 UTC on 5 January is 00:30 on the 6th in the city (UTC+7).
    const at = Date.UTC(2026, 0, 5, 17, 30);
    expect(historyTime(at, 'vi')).toBe('06/01/2026 00:30');
    expect(historyTime(at, 'en')).toBe('06/01/2026 00:30');
    expect(historyTime(String(at), 'vi')).toBe('06/01/2026 00:30');
    expect(historyTime('2026-03-07T01:02:00Z', 'en')).toBe('07/03/2026 08:02');
    const validFrom = COMMON_ATTRIBUTES.find((a) => a.name === 'valid_from');
    expect(formatValue(validFrom, at, 'vi')).toBe('06/01/2026 00:30');
    expect(isoTime(at)).toBe('2026-01-05T17:30:00.000Z');
    expect(isoTime('not a time')).toBeNull();
  });

  it('writes a position so that the decimal comma cannot be read as the separator', () => {
    expect(positionText([106.7021, 10.7771], 'vi')).toBe('10,7771; 106,7021');
    expect(positionText([106.7021, 10.7771], 'en')).toBe('10.7771, 106.7021');
  });

  it('parses numbers typed in either language', () => {
    expect(parseLocaleNumber('1.234,5', 'vi')).toBe(1234.5);
    expect(parseLocaleNumber('1234,5', 'vi')).toBe(1234.5);
    expect(parseLocaleNumber('0,4', 'vi')).toBe(0.4);
    expect(parseLocaleNumber('1,234.5', 'en')).toBe(1234.5);
    expect(parseLocaleNumber('22', 'en')).toBe(22);
    expect(parseLocaleNumber('-3.5', 'en')).toBe(-3.5);
    expect(parseLocaleNumber('abc', 'vi')).toBeNull();
    expect(parseLocaleNumber('1,2,3', 'vi')).toBeNull();
    expect(parseLocaleNumber('', 'vi')).toBeNull();
  });

  it('shows numbers in the edit field without grouping', () => {
    const diameter = COMMON_ATTRIBUTES.find((a) => a.name === 'diameter_mm')!;
    expect(inputValue(diameter, 1234.5, 'vi')).toBe('1234,5');
    expect(inputValue(diameter, 1234.5, 'en')).toBe('1234.5');
    expect(inputValue(diameter, null, 'en')).toBe('');
  });

  it('builds a merge patch of changed, typed values only', () => {
    const properties = { name: 'Van Lê Lợi', status: 'functional', diameter_mm: 300, material: 'gang', normally_open: 1 };
    const { patch, errors } = buildPropertyPatch(
      'water-valves',
      { name: 'Van Lê Lợi', status: 'disused', diameter_mm: '1.200,5', material: '', install_date: '2020-02-29', normally_open: '1' },
      properties,
      'vi',
    );
    expect(errors).toEqual([]);
    expect(patch).toEqual({ status: 'disused', diameter_mm: 1200.5, material: null, install_date: '2020-02-29' });
  });

  it('refuses invalid values with a code per field', () => {
    const { patch, errors } = buildPropertyPatch(
      'water-valves',
      { name: ' ', status: 'broken', diameter_mm: '-5', depth_m: 'deep', install_date: '2021-02-30', normally_open: '2', customer_count: '1,5' },
      {},
      'vi',
    );
    expect(patch).toEqual({});
    expect(Object.fromEntries(errors.map((e) => [e.name, e.code]))).toEqual({
      name: 'required',
      status: 'choice',
      diameter_mm: 'negative',
      depth_m: 'number',
      install_date: 'date',
      normally_open: 'choice',
    });
    // customer_count belongs to service connections, not valves: ignored here.
    expect(buildPropertyPatch('water-service-connections', { customer_count: '1,5' }, {}, 'vi').errors).toEqual([{ name: 'customer_count', code: 'integer' }]);
  });

  it('parses typed positions and flags ones far from the city', () => {
    expect(parsePosition('106,70123', '10,77654', 'vi')).toEqual({ position: [106.70123, 10.77654], errors: [] });
    expect(parsePosition('200', 'x', 'en').errors).toEqual(['lon', 'lat']);
    expect(farFromCity([106.7, 10.77])).toBe(false);
    expect(farFromCity([10.77, 106.7])).toBe(true);
  });

  it('diffs properties between versions, leaving validity bounds out', () => {
    expect(
      diffProperties(
        { name: 'A', status: 'functional', valid_from: 1, material: 'PVC' },
        { name: 'A', status: 'disused', valid_from: 2, depth_m: 1.2 },
      ),
    ).toEqual([
      { name: 'depth_m', before: null, after: 1.2 },
      { name: 'material', before: 'PVC', after: null },
      { name: 'status', before: 'functional', after: 'disused' },
    ]);
    expect(diffProperties(null, { name: 'A' })).toEqual([{ name: 'name', before: null, after: 'A' }]);
    expect(geometryChanged({ type: 'Point', coordinates: [1, 2] }, { type: 'Point', coordinates: [1, 3] })).toBe(true);
    expect(geometryChanged({ type: 'Point', coordinates: [1, 2] }, { type: 'Point', coordinates: [1, 2] })).toBe(false);
    expect(geometryChanged(null, { type: 'Point', coordinates: [1, 2] })).toBe(false);
  });

  it('splits actors', () => {
    expect(actorParts('user:abc')).toEqual({ kind: 'user', id: 'abc' });
    expect(actorParts('apikey:k:1')).toEqual({ kind: 'apikey', id: 'k:1' });
    expect(actorParts('system')).toEqual({ kind: 'system', id: '' });
  });
});

describe('view loading', () => {
  it('loads only the overview collections when zoomed out, everything when zoomed in', () => {
    const visible = new Set(['water', 'post'] as const);
    const out = planLoad(11, visible);
    expect(out.load.map((d) => d.id).sort()).toEqual(['post-offices', 'water-treatment-plants']);
    expect(out.count.map((d) => d.id)).toContain('water-pipes');
    expect(out.count.some((d) => d.network === 'electricity')).toBe(false);
    const zoomed = planLoad(DETAIL_ZOOM, visible);
    expect(zoomed.count).toEqual([]);
    expect(zoomed.load).toHaveLength(collectionsOf('water').length + collectionsOf('post').length);
  });

  it('counts features in view that are not shown', () => {
    const f = { type: 'Feature' as const, id: '1', geometry: null, properties: {} };
    expect(
      hiddenCount([
        { collection: 'water-pipes', features: [], matched: 12000, loaded: false },
        { collection: 'post-offices', features: [f, f], matched: 5, loaded: true },
        { collection: 'water-valves', features: [f], matched: null, loaded: true },
      ]),
    ).toEqual({ count: 12003, unknown: false });
    // Without numberMatched: a counted collection with a feature, or a full page, hides an unknown number.
    expect(hiddenCount([{ collection: 'water-pipes', features: [f], matched: null, loaded: false }])).toEqual({ count: 0, unknown: true });
    expect(hiddenCount([{ collection: 'water-valves', features: [f, f], matched: null, loaded: true }], 2)).toEqual({ count: 0, unknown: true });
    expect(hiddenCount([{ collection: 'water-valves', features: [f], matched: null, loaded: true }], 2)).toEqual({ count: 0, unknown: false });
  });

  it('anchors and frames points and lines', () => {
    const line = { type: 'Feature' as const, id: 'L', geometry: { type: 'LineString', coordinates: [[106.7, 10.7], [106.8, 10.9]] }, properties: {} };
    expect(anchorOf(line)).toEqual([106.7, 10.7]);
    expect(featureBounds(line)).toEqual([106.7, 10.7, 106.8, 10.9]);
    expect(anchorOf({ ...line, geometry: null })).toBeNull();
  });

  it('ignores tiny pans but not zooms', () => {
    const view = { bbox: [106, 10, 107, 11] as [number, number, number, number], zoom: 12 };
    expect(sameView(view, { bbox: [106.001, 10, 107.001, 11], zoom: 12 })).toBe(true);
    expect(sameView(view, { bbox: [106.2, 10, 107.2, 11], zoom: 12 })).toBe(false);
    expect(sameView(view, { ...view, zoom: 13 })).toBe(false);
    expect(sameView(null, view)).toBe(false);
  });
});

describe('import helpers', () => {
  it('accepts the file types the importer reads', () => {
    for (const name of ['a.geojson', 'b.JSON', 'c.gpkg', 'd.csv', 'e.zip']) expect(importableFile(name), name).toBe(true);
    for (const name of ['f.shp', 'g.kml', 'h.geojson.txt', 'zip']) expect(importableFile(name), name).toBe(false);
  });

  it('names CRS options with their known names', () => {
    expect(crsOptionLabel('http://www.opengis.net/def/crs/EPSG/0/9210')).toBe('EPSG:9210 — VN-2000 / TM-3 kinh tuyến trục 105°45′ (TP.HCM)');
    expect(crsOptionLabel('http://www.opengis.net/def/crs/EPSG/0/2000')).toBe('EPSG:2000');
  });
});

describe('limitConcurrency', () => {
  it('keeps at most `limit` tasks in flight and settles every one in order', async () => {
    let running = 0;
    let peak = 0;
    const tasks = Array.from({ length: 9 }, (_, i) => async () => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 5 + (i % 3)));
      running -= 1;
      if (i === 4) throw new Error('four');
      return i;
    });
    const settled = await Promise.allSettled(limitConcurrency(tasks, 3));
    expect(peak).toBe(3);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : 'x'))).toEqual([0, 1, 2, 3, 'x', 5, 6, 7, 8]);
  });
});
