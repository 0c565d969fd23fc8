import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/client';
import {
  bboxParam,
  crsLabel,
  GisClient,
  gisUrls,
  mergePatch,
  parseCollections,
  parseConnections,
  parseFeature,
  parseFeaturePage,
  parseGisError,
  parseHistory,
  parseImportReport,
  reportOfRefusal,
} from './api';

describe('GIS URLs', () => {
  it('builds bbox-limited item queries with rounded, clamped coordinates', () => {
    expect(gisUrls.items('water-valves', { bbox: [106.123456789, 10.5, 106.8, 10.9], limit: 500 })).toBe(
      '/ogc/collections/water-valves/items?bbox=106.1234568%2C10.5%2C106.8%2C10.9&limit=500&f=json',
    );
    expect(bboxParam([-200, -95, 200, 95])).toBe('-180,-90,180,90');
    expect(gisUrls.items('post-offices')).toBe('/ogc/collections/post-offices/items?f=json');
  });

  it('escapes ids in item, history and connection paths', () => {
    expect(gisUrls.item('sewer-pipes', 'a/b c')).toBe('/ogc/collections/sewer-pipes/items/a%2Fb%20c?f=json');
    expect(gisUrls.itemWrite('sewer-pipes', 'x?y')).toBe('/ogc/collections/sewer-pipes/items/x%3Fy');
    expect(gisUrls.history('water-pipes', 'P-1')).toBe('/api/gis/features/water-pipes/P-1/history');
    expect(gisUrls.connections('N#2')).toBe('/api/gis/features/N%232/connections');
  });

  it('builds import and export URLs, leaving out a detected CRS', () => {
    expect(gisUrls.importFile('water-valves', { dryRun: true })).toBe('/api/gis/imports?collection=water-valves&dry_run=true');
    expect(gisUrls.importFile('water-valves', { crs: 'http://www.opengis.net/def/crs/EPSG/0/9210', dryRun: false })).toBe(
      '/api/gis/imports?collection=water-valves&crs=http%3A%2F%2Fwww.opengis.net%2Fdef%2Fcrs%2FEPSG%2F0%2F9210&dry_run=false',
    );
    expect(gisUrls.exportFile('telecom-cables', { format: 'gpkg', bbox: [106, 10, 107, 11] })).toBe(
      '/api/gis/exports?collection=telecom-cables&format=gpkg&bbox=106%2C10%2C107%2C11',
    );
  });

  it('names CRS URIs briefly', () => {
    expect(crsLabel('http://www.opengis.net/def/crs/EPSG/0/9210')).toBe('EPSG:9210');
    expect(crsLabel('http://www.opengis.net/def/crs/OGC/1.3/CRS84')).toBe('CRS84');
    expect(crsLabel('EPSG:3405')).toBe('EPSG:3405');
  });
});

describe('GIS response parsing', () => {
  const feature = { type: 'Feature', id: 'V-1', geometry: { type: 'Point', coordinates: [106.7, 10.77] }, properties: { name: 'Van 1' } };

  it('parses an items page with its counts and stringifies numeric ids', () => {
    const page = parseFeaturePage({ type: 'FeatureCollection', features: [feature, { ...feature, id: 7 }], numberMatched: 1234, numberReturned: 2 });
    expect(page.numberMatched).toBe(1234);
    expect(page.features.map((f) => f.id)).toEqual(['V-1', '7']);
    expect(parseFeaturePage({ type: 'FeatureCollection', features: [] }).numberMatched).toBeNull();
  });

  it('rejects what is not GeoJSON', () => {
    expect(() => parseFeaturePage({ features: [] })).toThrow(ApiError);
    expect(() => parseFeature({ type: 'Feature', properties: {} })).toThrow(/without an id/);
  });

  it('parses collections with their CRS lists', () => {
    expect(parseCollections({ collections: [{ id: 'water-valves', title: 'Van', crs: ['a', 1, 'b'] }, { title: 'no id' }] })).toEqual([
      { id: 'water-valves', title: 'Van', crs: ['a', 'b'] },
    ]);
  });

  it('parses history in the store shape, deletions without a feature', () => {
    const history = parseHistory([
      { version: 2, change: 'delete', actor: 'user:u1', valid_from: 2000, valid_to: null, feature: null },
      {
        version: 1,
        change: 'create',
        actor: 'system',
        valid_from: 1000,
        valid_to: 2000,
        feature: { id: 'V-1', collection: 'water-valves', geometry: feature.geometry, properties: { name: 'Van 1' }, version: 1 },
      },
    ]);
    expect(history).toHaveLength(2);
    expect(history[0]!.feature).toBeNull();
    expect(history[1]!.feature?.properties).toEqual({ name: 'Van 1' });
    expect(history[1]!.valid_to).toBe(2000);
  });

  it('parses connections and skips incomplete rows', () => {
    expect(
      parseConnections([
        { link_id: 'L', link_collection: 'water-pipes', node_id: 'N', node_collection: 'water-valves', end: 'from' },
        { link_id: 'L' },
      ]),
    ).toEqual([{ link_id: 'L', link_collection: 'water-pipes', node_id: 'N', node_collection: 'water-valves', end: 'from' }]);
  });

  it('parses a flat import report with object or string warnings', () => {
    const report = parseImportReport({
      features: 3,
      errors: [{ index: 1, message: 'invalid geometry' }],
      warnings: ['unknown attribute colour', { index: 2, message: 'no name' }],
      crs: 'http://www.opengis.net/def/crs/EPSG/0/9210',
      bbox: [106, 10, 107, 11],
    });
    expect(report.errors.map((e) => [e.index, e.message_vi])).toEqual([[1, 'invalid geometry']]);
    expect(report.warnings.map((w) => [w.index, w.message_en])).toEqual([
      [null, 'unknown attribute colour'],
      [2, 'no name'],
    ]);
    expect(report.blocking).toBe(true);
    expect(report.errorCount).toBe(1);
    expect(report.bbox).toEqual([106, 10, 107, 11]);
    expect(report.written_ids).toBeNull();
    expect(() => parseImportReport({ errors: [] })).toThrow(ApiError);
  });

  const serverResult = (dryRun: boolean, blocking: boolean) => ({
    collection: 'water-hydrants',
    dry_run: dryRun,
    field_mapping: { TEN: 'name', name: 'name', MAU: '' },
    report: {
      format: 'geojson',
      features: 120,
      valid: blocking ? 119 : 120,
      error_count: blocking ? 75 : 0,
      warning_count: 1,
      errors: blocking
        ? [{ index: 4, severity: 'error', code: 'too_few_points', field: null, message_vi: 'Điểm thiếu tọa độ', message_en: 'Point lacks a coordinate' }]
        : [],
      warnings: [{ index: null, severity: 'warning', code: 'unknown_field', field: 'MAU', suggestion: 'material', message_vi: 'Trường lạ', message_en: 'Unknown field' }],
      layers: [{ name: 'a', count: 120, detected: 'none', used: 'http://www.opengis.net/def/crs/OGC/1.3/CRS84', assumed: true }],
      crs_required: false,
      bbox: [106.6, 10.7, 106.8, 10.8],
      notes: ['1 layer'],
      blocking,
    },
    imported: dryRun ? 0 : 120,
    ids: dryRun ? [] : ['a', 'b'],
  });

  it("parses the server's import result envelope", () => {
    const dry = parseImportReport(serverResult(true, true));
    expect(dry.features).toBe(120);
    expect(dry.valid).toBe(119);
    expect(dry.errorCount).toBe(75);
    expect(dry.errors[0]).toMatchObject({ index: 4, code: 'too_few_points', message_en: 'Point lacks a coordinate' });
    expect(dry.warnings[0]).toMatchObject({ field: 'MAU', suggestion: 'material' });
    expect(dry.crs).toBe('http://www.opengis.net/def/crs/OGC/1.3/CRS84');
    expect(dry.crsAssumed).toBe(true);
    expect(dry.blocking).toBe(true);
    expect(dry.fieldMapping).toEqual({ TEN: 'name', name: 'name', MAU: '' });
    expect(dry.written_ids).toBeNull();
    expect(parseImportReport(serverResult(false, false)).written_ids).toEqual(['a', 'b']);
  });

  it('reads the report out of a 422 refusal', () => {
    const refusal = parseGisError(422, 'application/problem+json', JSON.stringify({ title: 'Invalid', status: 422, code: 'invalid', result: serverResult(false, true) }));
    expect(reportOfRefusal(refusal)?.errorCount).toBe(75);
    expect(reportOfRefusal(parseGisError(400, 'application/json', '{}'))).toBeNull();
  });

  it('reads OGC exceptions and problem+json alike; a 412 is always precondition_failed', () => {
    const ogc = parseGisError(400, 'application/json', JSON.stringify({ code: 'InvalidParameterValue', description: 'bbox must have 4 numbers' }));
    expect(ogc.code).toBe('validation');
    expect(ogc.detail).toBe('bbox must have 4 numbers');
    const stale = parseGisError(412, 'application/problem+json', JSON.stringify({ title: 'Precondition Failed', status: 412 }));
    expect(stale.code).toBe('precondition_failed');
    const forbidden = parseGisError(403, 'application/problem+json', JSON.stringify({ title: 'Forbidden', code: 'forbidden', detail: 'not the owner agency' }));
    expect(forbidden.code).toBe('forbidden');
    expect(forbidden.detail).toBe('not the owner agency');
  });

  it('builds merge patches of properties and geometry', () => {
    expect(mergePatch({ status: 'disused', material: null })).toEqual({ properties: { status: 'disused', material: null } });
    expect(mergePatch({}, { type: 'Point', coordinates: [106.7, 10.8] })).toEqual({ geometry: { type: 'Point', coordinates: [106.7, 10.8] } });
  });
});

describe('GisClient', () => {
  function respond(status: number, body: unknown, headers: Record<string, string> = {}): Response {
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
  }

  it('reads the ETag and sends it back as If-Match with a merge patch and the CSRF token', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const feature = { type: 'Feature', id: 'V-1', geometry: null, properties: { status: 'functional' } };
    const fetchImpl = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      calls.push({ url: String(url), init: init ?? {} });
      if (init?.method === 'PATCH') return respond(200, { ...feature, properties: { status: 'disused' } }, { etag: '"V-1-2"' });
      return respond(200, feature, { etag: '"V-1-1"' });
    });
    const client = new GisClient({ fetch: fetchImpl as typeof fetch, getCsrfToken: () => 'csrf-1', onUnauthorized: () => undefined });
    const read = await client.feature('water-valves', 'V-1');
    expect(read.etag).toBe('"V-1-1"');
    const written = await client.patch('water-valves', 'V-1', mergePatch({ status: 'disused' }), read.etag);
    expect(written.etag).toBe('"V-1-2"');
    expect(written.feature.properties['status']).toBe('disused');
    const patch = calls[1]!;
    expect(patch.url).toBe('/ogc/collections/water-valves/items/V-1');
    const headers = patch.init.headers as Record<string, string>;
    expect(headers['If-Match']).toBe('"V-1-1"');
    expect(headers['Content-Type']).toBe('application/merge-patch+json');
    expect(headers['X-CSRF-Token']).toBe('csrf-1');
    expect(JSON.parse(String(patch.init.body))).toEqual({ properties: { status: 'disused' } });
    // Reads carry no CSRF token.
    expect((calls[0]!.init.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
  });

  it('turns a stale ETag into precondition_failed and hands a 401 to the session', async () => {
    const unauthorized = vi.fn();
    let status = 412;
    const client = new GisClient({
      fetch: (async () => respond(status, { code: 'PreconditionFailed', description: 'the feature changed' })) as typeof fetch,
      getCsrfToken: () => null,
      onUnauthorized: unauthorized,
    });
    await expect(client.remove('water-valves', 'V-1', '"V-1-1"')).rejects.toMatchObject({ status: 412, code: 'precondition_failed' });
    status = 401;
    await expect(client.history('water-valves', 'V-1')).rejects.toMatchObject({ status: 401 });
    expect(unauthorized).toHaveBeenCalledTimes(1);
  });

  it('uploads imports as multipart without setting its own content type', async () => {
    let seen: RequestInit | undefined;
    const client = new GisClient({
      fetch: (async (_url: string, init?: RequestInit) => {
        seen = init;
        return respond(200, { features: 2, errors: [], warnings: [], crs: null, bbox: null, written_ids: ['a', 'b'] });
      }) as typeof fetch,
      getCsrfToken: () => 'csrf-2',
      onUnauthorized: () => undefined,
    });
    const report = await client.importFile('water-valves', new Blob(['{}']), 'valves.geojson', { dryRun: false });
    expect(report.written_ids).toEqual(['a', 'b']);
    expect(seen?.body).toBeInstanceOf(FormData);
    expect((seen?.headers as Record<string, string>)['Content-Type']).toBeUndefined();
    expect((seen?.body as FormData).get('file')).toBeInstanceOf(Blob);
  });
});
