/**
 * Typed client of the infrastructure GIS: OGC API – Features at `/ogc` (items
 * by bounding box, single items with their ETag, merge-patch updates with
 * `If-Match`, deletion) and the console's routes under `/api/gis` (history,
 * connections, imports, exports). URL building and response parsing are pure
 * functions, unit-tested; `GisClient` only adds `fetch`, the CSRF header and
 * the session's 401 handling.
 */
import { ApiError, parseProblem } from '../api/client';

export type Bbox = [number, number, number, number];

export interface GeoJsonGeometry {
  type: string;
  coordinates: unknown;
}

export interface GisFeature {
  type: 'Feature';
  id: string;
  geometry: GeoJsonGeometry | null;
  properties: Record<string, unknown>;
}

export interface GisFeaturePage {
  features: GisFeature[];
  numberMatched: number | null;
  numberReturned: number;
}

/** One feature with the ETag that a later write must send as `If-Match`. */
export interface VersionedFeature {
  feature: GisFeature;
  etag: string | null;
}

export interface CollectionInfo {
  id: string;
  title: string;
  /** CRS URIs the collection can be served in (OGC Part 2), when listed. */
  crs: string[];
}

export interface HistoryEntry {
  version: number;
  change: string;
  actor: string;
  /** Epoch milliseconds (the server may also send RFC 3339). */
  valid_from: number | string;
  valid_to: number | string | null;
  feature: (GisFeature & { version?: number; collection?: string }) | null;
}

export interface Connection {
  link_id: string;
  link_collection: string;
  node_id: string;
  node_collection: string;
  end: string;
}

/** One problem of one feature (`index` 0-based in the file; null for the whole file). */
export interface ImportIssue {
  index: number | null;
  /** Stable machine code (`self_intersection`), when the server gives one. */
  code: string | null;
  /** The attribute concerned, if any. */
  field: string | null;
  /** A suggested fix (an attribute to map to, a CRS to choose). */
  suggestion: string | null;
  message_vi: string;
  message_en: string;
}

/** The validation report of an import (dry run), or the outcome of a real one (`written_ids`). */
export interface ImportReport {
  /** Features read from the file. */
  features: number;
  /** Features without errors, when the server says. */
  valid: number | null;
  /** Errors and warnings in all (the lists below hold the first examples). */
  errorCount: number;
  warningCount: number;
  errors: ImportIssue[];
  warnings: ImportIssue[];
  /** The CRS the coordinates were read in. */
  crs: string | null;
  /** Whether that CRS is a guess (plain longitude/latitude numbers). */
  crsAssumed: boolean;
  /** No CRS could be settled: the user must choose one. */
  crsRequired: boolean;
  bbox: Bbox | null;
  /** File-level remarks. */
  notes: string[];
  /** Whether an error blocks the import. */
  blocking: boolean;
  /** Source field → attribute, as applied. */
  fieldMapping: Record<string, string>;
  written_ids: string[] | null;
}

export type ExportFormat = 'geojson' | 'gpkg' | 'csv' | 'shp';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['geojson', 'gpkg', 'csv', 'shp'];

/** CRS URIs offered for imports and exports when the server lists none: CRS84, WGS 84, Web Mercator and VN-2000 (geographic, UTM 48N/49N, TM-3 105°45′ of Ho Chi Minh City). */
export const DEFAULT_CRS: readonly string[] = [
  'http://www.opengis.net/def/crs/OGC/1.3/CRS84',
  'http://www.opengis.net/def/crs/EPSG/0/4326',
  'http://www.opengis.net/def/crs/EPSG/0/3857',
  'http://www.opengis.net/def/crs/EPSG/0/4756',
  'http://www.opengis.net/def/crs/EPSG/0/3405',
  'http://www.opengis.net/def/crs/EPSG/0/3406',
  'http://www.opengis.net/def/crs/EPSG/0/9210',
];

/** Short name of a CRS URI: `EPSG:9210`, `CRS84`; the input when it is no OGC CRS URI. */
export function crsLabel(uri: string): string {
  const epsg = /\/EPSG\/\d+\/(\d+)$/.exec(uri);
  if (epsg) return `EPSG:${epsg[1]}`;
  if (/\/OGC\/[\d.]+\/CRS84h?$/.test(uri)) return uri.endsWith('h') ? 'CRS84h' : 'CRS84';
  return uri;
}

const seg = encodeURIComponent;

function coord(value: number): string {
  // Seven decimals are about a centimetre: enough, and keeps URLs (and caches) stable.
  return String(Math.round(value * 1e7) / 1e7);
}

/** `minx,miny,maxx,maxy`, clamped to the world and rounded. */
export function bboxParam(bbox: Bbox): string {
  const [w, s, e, n] = bbox;
  const clampLon = (x: number) => Math.min(180, Math.max(-180, x));
  const clampLat = (y: number) => Math.min(90, Math.max(-90, y));
  return [clampLon(w), clampLat(s), clampLon(e), clampLat(n)].map(coord).join(',');
}

function withQuery(path: string, query: Record<string, string | number | boolean | null | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

export const gisUrls = {
  collections: () => '/ogc/collections?f=json',
  items: (collection: string, options: { bbox?: Bbox; limit?: number; offset?: number } = {}) =>
    withQuery(`/ogc/collections/${seg(collection)}/items`, {
      bbox: options.bbox ? bboxParam(options.bbox) : undefined,
      limit: options.limit,
      offset: options.offset,
      f: 'json',
    }),
  item: (collection: string, id: string) => withQuery(`/ogc/collections/${seg(collection)}/items/${seg(id)}`, { f: 'json' }),
  /** The write target: no `f` parameter (writes take no format). */
  itemWrite: (collection: string, id: string) => `/ogc/collections/${seg(collection)}/items/${seg(id)}`,
  history: (collection: string, id: string) => `/api/gis/features/${seg(collection)}/${seg(id)}/history`,
  connections: (id: string) => `/api/gis/features/${seg(id)}/connections`,
  importFile: (collection: string, options: { crs?: string | null; dryRun: boolean }) =>
    withQuery('/api/gis/imports', { collection, crs: options.crs ?? undefined, dry_run: options.dryRun ? 'true' : 'false' }),
  exportFile: (collection: string, options: { format: ExportFormat; crs?: string | null; bbox?: Bbox | null }) =>
    withQuery('/api/gis/exports', {
      collection,
      format: options.format,
      crs: options.crs ?? undefined,
      bbox: options.bbox ? bboxParam(options.bbox) : undefined,
    }),
};

function record(value: unknown): Record<string, unknown> | null {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function invalid(what: string): ApiError {
  return new ApiError(200, 'invalid_response', 'Invalid response', what, 'about:blank');
}

/** A GeoJSON feature from the wire; its id is always a string (OGC allows numbers). */
export function parseFeature(value: unknown): GisFeature {
  const raw = record(value);
  if (!raw || raw['type'] !== 'Feature') throw invalid('not a GeoJSON Feature');
  const id = raw['id'];
  if (typeof id !== 'string' && typeof id !== 'number') throw invalid('a feature without an id');
  const geometry = record(raw['geometry']);
  return {
    type: 'Feature',
    id: String(id),
    geometry: geometry && typeof geometry['type'] === 'string' ? { type: geometry['type'], coordinates: geometry['coordinates'] } : null,
    properties: record(raw['properties']) ?? {},
  };
}

/** An OGC items page (`FeatureCollection` with `numberMatched`/`numberReturned`). */
export function parseFeaturePage(value: unknown): GisFeaturePage {
  const raw = record(value);
  if (!raw || raw['type'] !== 'FeatureCollection' || !Array.isArray(raw['features'])) throw invalid('not a GeoJSON FeatureCollection');
  const features = (raw['features'] as unknown[]).map(parseFeature);
  return {
    features,
    numberMatched: finiteOrNull(raw['numberMatched']),
    numberReturned: finiteOrNull(raw['numberReturned']) ?? features.length,
  };
}

/** `GET /ogc/collections`: ids, titles and the CRS each collection offers. */
export function parseCollections(value: unknown): CollectionInfo[] {
  const raw = record(value);
  const list = raw?.['collections'];
  if (!Array.isArray(list)) throw invalid('no collections');
  return list.flatMap((entry) => {
    const item = record(entry);
    if (!item || typeof item['id'] !== 'string') return [];
    const crs = Array.isArray(item['crs']) ? (item['crs'] as unknown[]).filter((c): c is string => typeof c === 'string') : [];
    return [{ id: item['id'], title: typeof item['title'] === 'string' ? item['title'] : item['id'], crs }];
  });
}

export function parseHistory(value: unknown): HistoryEntry[] {
  if (!Array.isArray(value)) throw invalid('history is not a list');
  return value.flatMap((entry) => {
    const item = record(entry);
    if (!item || typeof item['version'] !== 'number') return [];
    let feature: HistoryEntry['feature'] = null;
    if (record(item['feature'])) {
      const wire = item['feature'] as Record<string, unknown>;
      // The store's own shape ({id, collection, geometry, properties, version}) or GeoJSON.
      feature = { ...parseFeature({ type: 'Feature', ...wire }), version: finiteOrNull(wire['version']) ?? undefined };
    }
    return [
      {
        version: item['version'],
        change: typeof item['change'] === 'string' ? item['change'] : '',
        actor: typeof item['actor'] === 'string' ? item['actor'] : '',
        valid_from: typeof item['valid_from'] === 'number' || typeof item['valid_from'] === 'string' ? item['valid_from'] : 0,
        valid_to: typeof item['valid_to'] === 'number' || typeof item['valid_to'] === 'string' ? item['valid_to'] : null,
        feature,
      },
    ];
  });
}

export function parseConnections(value: unknown): Connection[] {
  if (!Array.isArray(value)) throw invalid('connections are not a list');
  return value.flatMap((entry) => {
    const item = record(entry);
    if (!item) return [];
    const str = (key: string) => (typeof item[key] === 'string' ? (item[key] as string) : '');
    if (!str('link_id') || !str('node_id')) return [];
    return [{ link_id: str('link_id'), link_collection: str('link_collection'), node_id: str('node_id'), node_collection: str('node_collection'), end: str('end') }];
  });
}

function issues(value: unknown): ImportIssue[] {
  if (!Array.isArray(value)) return [];
  return value.map((entry) => {
    if (typeof entry === 'string') return { index: null, code: null, field: null, suggestion: null, message_vi: entry, message_en: entry };
    const item = record(entry) ?? {};
    const str = (key: string) => (typeof item[key] === 'string' && item[key] !== '' ? (item[key] as string) : null);
    const message = str('message') ?? JSON.stringify(entry);
    return {
      index: finiteOrNull(item['index']),
      code: str('code'),
      field: str('field'),
      suggestion: str('suggestion'),
      message_vi: str('message_vi') ?? message,
      message_en: str('message_en') ?? message,
    };
  });
}

function bboxOf(value: unknown): Bbox | null {
  return Array.isArray(value) && value.length === 4 && value.every((n) => typeof n === 'number') ? (value as Bbox) : null;
}

/**
 * The import answer: the server's `{collection, dry_run, report: {...}, imported, ids}`
 * (or the same inside a 422's `result`), or a flat report
 * `{features, errors, warnings, crs, bbox, written_ids}`.
 */
export function parseImportReport(value: unknown): ImportReport {
  const outer = record(value);
  const inner = record(outer?.['report']) ?? outer;
  if (!outer || !inner || typeof inner['features'] !== 'number') throw invalid('not an import report');
  const errors = issues(inner['errors']);
  const warnings = issues(inner['warnings']);
  const layers = Array.isArray(inner['layers']) ? (inner['layers'] as unknown[]).map(record).filter((l): l is Record<string, unknown> => l !== null) : [];
  const usedLayer = layers.find((layer) => typeof layer['used'] === 'string');
  const crs = typeof inner['crs'] === 'string' ? inner['crs'] : usedLayer ? (usedLayer['used'] as string) : null;
  const written = Array.isArray(outer['written_ids']) ? outer['written_ids'] : outer['dry_run'] === false && Array.isArray(outer['ids']) ? outer['ids'] : null;
  const mapping = record(outer['field_mapping']) ?? {};
  return {
    features: inner['features'],
    valid: finiteOrNull(inner['valid']),
    errorCount: finiteOrNull(inner['error_count']) ?? errors.length,
    warningCount: finiteOrNull(inner['warning_count']) ?? warnings.length,
    errors,
    warnings,
    crs,
    crsAssumed: usedLayer?.['assumed'] === true,
    crsRequired: inner['crs_required'] === true,
    bbox: bboxOf(inner['bbox']),
    notes: Array.isArray(inner['notes']) ? (inner['notes'] as unknown[]).filter((n): n is string => typeof n === 'string') : [],
    blocking: typeof inner['blocking'] === 'boolean' ? inner['blocking'] : errors.length > 0,
    fieldMapping: Object.fromEntries(Object.entries(mapping).filter((pair): pair is [string, string] => typeof pair[1] === 'string')),
    written_ids: written ? (written as unknown[]).filter((id): id is string => typeof id === 'string') : null,
  };
}

/** The report a refused import carries (422 with the result in the problem's `result` member), if any. */
export function reportOfRefusal(error: unknown): ImportReport | null {
  if (!(error instanceof ApiError) || error.status !== 422) return null;
  const result = record(error.body)?.['result'];
  if (!result) return null;
  try {
    return parseImportReport(result);
  } catch {
    return null;
  }
}

/**
 * An error answer of either API family: `/api` answers problem+json, `/ogc`
 * answers OGC exceptions `{code, description}`; both become an `ApiError`
 * whose `detail` carries the server's explanation.
 */
export function parseGisError(status: number, contentType: string | null, bodyText: string, statusText = ''): ApiError {
  const error = parseProblem(status, contentType, bodyText, statusText);
  const body = record(error.body);
  const description = body && typeof body['description'] === 'string' ? body['description'] : null;
  if (description && !error.detail) {
    // OGC exception codes (`InvalidParameterValue`) are not the console's codes: keep the status's.
    const code = status === 412 ? 'precondition_failed' : status === 409 ? 'conflict' : status === 403 ? 'forbidden' : status === 404 ? 'not_found' : status >= 500 ? 'server' : 'validation';
    return new ApiError(status, code, error.title, description, error.type, error.body);
  }
  if (status === 412 && error.code !== 'precondition_failed') {
    return new ApiError(status, 'precondition_failed', error.title, error.detail, error.type, error.body);
  }
  return error;
}

/** A JSON merge patch (RFC 7396) of a GeoJSON feature: changed properties (null removes) and, when moved, the geometry. */
export function mergePatch(properties: Record<string, unknown>, geometry?: GeoJsonGeometry | null): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  if (Object.keys(properties).length > 0) patch['properties'] = properties;
  if (geometry) patch['geometry'] = geometry;
  return patch;
}

export interface GisClientConfig {
  fetch?: typeof fetch;
  getCsrfToken: () => string | null;
  onUnauthorized: (error: ApiError) => void;
}

/** The GIS endpoints over `fetch`, with the session's cookie and CSRF token. */
export class GisClient {
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly config: GisClientConfig) {
    this.fetchImpl = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  private async send(
    method: string,
    url: string,
    init: { body?: BodyInit; contentType?: string; ifMatch?: string | null; signal?: AbortSignal } = {},
  ): Promise<{ response: Response; text: string }> {
    const headers: Record<string, string> = { Accept: 'application/geo+json, application/json, application/problem+json' };
    if (init.contentType) headers['Content-Type'] = init.contentType;
    if (init.ifMatch) headers['If-Match'] = init.ifMatch;
    if (method !== 'GET') {
      const csrf = this.config.getCsrfToken();
      if (csrf) headers['X-CSRF-Token'] = csrf;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(url, { method, headers, body: init.body, credentials: 'same-origin', signal: init.signal });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'network', 'Network error', cause instanceof Error ? cause.message : String(cause), 'about:blank');
    }
    const text = await response.text();
    if (!response.ok) {
      const error = parseGisError(response.status, response.headers.get('content-type'), text, response.statusText);
      if (response.status === 401) this.config.onUnauthorized(error);
      throw error;
    }
    return { response, text };
  }

  private async json(method: string, url: string, init: Parameters<GisClient['send']>[2] = {}): Promise<{ body: unknown; response: Response }> {
    const { response, text } = await this.send(method, url, init);
    if (text.trim() === '') return { body: null, response };
    try {
      return { body: JSON.parse(text) as unknown, response };
    } catch {
      throw invalid(text.slice(0, 200));
    }
  }

  async collections(signal?: AbortSignal): Promise<CollectionInfo[]> {
    return parseCollections((await this.json('GET', gisUrls.collections(), { signal })).body);
  }

  async items(collection: string, options: { bbox?: Bbox; limit?: number }, signal?: AbortSignal): Promise<GisFeaturePage> {
    return parseFeaturePage((await this.json('GET', gisUrls.items(collection, options), { signal })).body);
  }

  async feature(collection: string, id: string, signal?: AbortSignal): Promise<VersionedFeature> {
    const { body, response } = await this.json('GET', gisUrls.item(collection, id), { signal });
    return { feature: parseFeature(body), etag: response.headers.get('etag') };
  }

  /** PATCH with `application/merge-patch+json` and `If-Match`; answers the new version (re-read when the server sends no body). */
  async patch(collection: string, id: string, patch: Record<string, unknown>, etag: string | null): Promise<VersionedFeature> {
    const { body, response } = await this.json('PATCH', gisUrls.itemWrite(collection, id), {
      body: JSON.stringify(patch),
      contentType: 'application/merge-patch+json',
      ifMatch: etag,
    });
    if (record(body)?.['type'] === 'Feature') return { feature: parseFeature(body), etag: response.headers.get('etag') };
    return this.feature(collection, id);
  }

  async remove(collection: string, id: string, etag: string | null): Promise<void> {
    await this.send('DELETE', gisUrls.itemWrite(collection, id), { ifMatch: etag });
  }

  async history(collection: string, id: string, signal?: AbortSignal): Promise<HistoryEntry[]> {
    return parseHistory((await this.json('GET', gisUrls.history(collection, id), { signal })).body);
  }

  async connections(id: string, signal?: AbortSignal): Promise<Connection[]> {
    return parseConnections((await this.json('GET', gisUrls.connections(id), { signal })).body);
  }

  /** Uploads a file for validation (`dryRun`) or for import; answers the report. */
  async importFile(collection: string, file: Blob, fileName: string, options: { crs?: string | null; dryRun: boolean }): Promise<ImportReport> {
    const form = new FormData();
    form.append('file', file, fileName);
    return parseImportReport((await this.json('POST', gisUrls.importFile(collection, options), { body: form })).body);
  }
}
