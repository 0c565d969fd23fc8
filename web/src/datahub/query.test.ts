import { describe, expect, it } from 'vitest';
import {
  apiExamples,
  ariaSort,
  cellText,
  countByQuery,
  dataPath,
  defaultChartField,
  downloadHref,
  groupableFields,
  nextSort,
  pointsOf,
  previewQuery,
  shellQuote,
  type CellFormat,
  versionDownloadPath,
} from './query';
import type { FieldInfo, RowFeature } from './types';

const field = (name: string, type: FieldInfo['type'], masked = false): FieldInfo => ({ name, type, personal: masked, masked });
const feature = (id: number | null, geometry: RowFeature['geometry']): RowFeature => ({ type: 'Feature', id, geometry, properties: {} });

describe('query API requests', () => {
  it('address rows through the dataset name, encoding both parts', () => {
    expect(dataPath('cho-truyen-thong', 'a b')).toBe('/api/datahub/datasets/cho-truyen-thong/resources/a%20b/data');
    expect(downloadHref('x', 'r1', 'csv')).toBe('/api/datahub/datasets/x/resources/r1/data?format=csv');
    expect(downloadHref('x', 'r1', 'geojson')).toBe('/api/datahub/datasets/x/resources/r1/data?format=geojson');
    // JSON pages stop at the API's limit.
    expect(downloadHref('x', 'r1', 'json')).toBe('/api/datahub/datasets/x/resources/r1/data?format=json&limit=10000');
    expect(versionDownloadPath('r 1', 3)).toBe('/api/datahub/resources/r%201/versions/3/download');
  });

  it('sort the preview ascending, descending, then not at all', () => {
    expect(previewQuery(null)).toEqual({ limit: 50 });
    let sort = nextSort(null, 'Tên');
    expect(sort).toEqual({ field: 'Tên', dir: 'asc' });
    expect(previewQuery(sort)).toEqual({ limit: 50, sort: 'Tên asc' });
    expect(ariaSort(sort, 'Tên')).toBe('ascending');
    expect(ariaSort(sort, 'Phường')).toBe('none');
    sort = nextSort(sort, 'Tên');
    expect(sort).toEqual({ field: 'Tên', dir: 'desc' });
    expect(ariaSort(sort, 'Tên')).toBe('descending');
    expect(nextSort(sort, 'Tên')).toBeNull();
    expect(nextSort(sort, 'Phường')).toEqual({ field: 'Phường', dir: 'asc' });
  });

  it('count rows by a column, largest groups first', () => {
    expect(countByQuery('Loại hình')).toEqual({ aggregate: 'count', group_by: 'Loại hình', sort: 'count desc', limit: 15 });
  });

  it('print curl examples that a shell runs as they are', () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    const examples = apiExamples('https://data.hcm.example/', 'cho-truyen-thong', 'r-1', 'Tên chợ');
    expect(examples.map((e) => e.id)).toEqual(['package_show', 'datastore_search', 'query', 'csv']);
    expect(examples[0]!.command).toBe("curl 'https://data.hcm.example/api/3/action/package_show?id=cho-truyen-thong'");
    expect(examples[1]!.command).toBe("curl 'https://data.hcm.example/api/3/action/datastore_search?resource_id=r-1&limit=5'");
    expect(examples[2]!.command).toContain('/api/datahub/datasets/cho-truyen-thong/resources/r-1/data?fields=_id%2CT%C3%AAn+ch%E1%BB%A3&limit=5&sort=');
    expect(examples[3]!.command).toBe("curl -o 'cho-truyen-thong.csv' 'https://data.hcm.example/api/datahub/datasets/cho-truyen-thong/resources/r-1/data?format=csv'");
    expect(apiExamples('http://x', 'd', null).map((e) => e.id)).toEqual(['package_show']);
  });
});

describe('what a page of rows holds', () => {
  it('finds points, skipping rows without valid coordinates', () => {
    const points = pointsOf([
      feature(1, { type: 'Point', coordinates: [106.7, 10.77] }),
      feature(2, null),
      feature(3, { type: 'Point', coordinates: [200, 10] }),
      feature(4, { type: 'MultiPoint', coordinates: [[106.6, 10.8], [106.5, 10.9]] }),
      feature(5, { type: 'Polygon', coordinates: [] }),
      feature(null, { type: 'Point', coordinates: [106.1, 10.1] }),
      feature(7, { type: 'Point', coordinates: ['106', 10] }),
    ]);
    expect(points).toEqual([
      { id: '1', lon: 106.7, lat: 10.77 },
      { id: '4', lon: 106.6, lat: 10.8 },
      { id: '5', lon: 106.1, lat: 10.1 },
    ]);
  });

  it('charts a repeating text column, not names, numbers first or masked data', () => {
    const fields = [field('_id', 'integer'), field('Tên', 'text'), field('Loại hình', 'text'), field('Số giường', 'integer'), field('Điện thoại', 'text', true), field('Vĩ độ', 'number')];
    expect(groupableFields(fields).map((f) => f.name)).toEqual(['Tên', 'Loại hình', 'Số giường']);
    const sample = [
      { Tên: 'Trạm y tế A', 'Loại hình': 'Trạm y tế', 'Số giường': 5, 'Điện thoại': '***' },
      { Tên: 'Bệnh viện B', 'Loại hình': 'Bệnh viện', 'Số giường': 500, 'Điện thoại': '***' },
      { Tên: 'Trạm y tế C', 'Loại hình': 'Trạm y tế', 'Số giường': 5, 'Điện thoại': '***' },
      { Tên: 'Phòng khám D', 'Loại hình': 'Phòng khám', 'Số giường': 0, 'Điện thoại': '***' },
    ];
    expect(defaultChartField(fields, sample)).toBe('Loại hình');
    // A class that repeats more than a text column wins; as few, text wins.
    const market = [field('Giờ mở cửa', 'text'), field('Hạng', 'integer'), field('Loại', 'text')];
    const markets = [
      { 'Giờ mở cửa': '04:00-19:00', Hạng: 1, Loại: 'Chợ' },
      { 'Giờ mở cửa': '05:00-18:00', Hạng: 1, Loại: 'Chợ' },
      { 'Giờ mở cửa': '04:00-19:00', Hạng: 2, Loại: 'Chợ đầu mối' },
      { 'Giờ mở cửa': '06:00-18:00', Hạng: 2, Loại: 'Chợ' },
    ];
    expect(defaultChartField(market.slice(0, 2), markets)).toBe('Hạng');
    expect(defaultChartField(market, markets)).toBe('Loại');
    // Nothing repeats: no default.
    expect(defaultChartField([field('Tên', 'text')], [{ Tên: 'a' }, { Tên: 'b' }])).toBeNull();
    expect(defaultChartField(fields, [])).toBeNull();
  });

  it('shows cells by type and locale', () => {
    const vi: CellFormat = {
      number: (n) => new Intl.NumberFormat('vi-VN').format(n),
      dateTime: (iso) => `HCM ${iso}`,
      yes: 'Có',
      no: 'Không',
    };
    expect(cellText(1234.5, 'number', vi)).toBe('1.234,5');
    expect(cellText(true, 'boolean', vi)).toBe('Có');
    expect(cellText(null, 'text', vi)).toBe('');
    expect(cellText('2025-07-01', 'date', vi)).toBe('01/07/2025');
    expect(cellText('2025-07-01', 'text', vi)).toBe('2025-07-01');
    expect(cellText('2025-07-01T08:30:00', 'datetime', vi)).toBe('01/07/2025 08:30');
    expect(cellText('2025-07-01T01:30:00Z', 'datetime', vi)).toBe('HCM 2025-07-01T01:30:00Z');
    expect(cellText({ a: 1 }, 'json', vi)).toBe('{"a":1}');
  });
});
