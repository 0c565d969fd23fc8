/**
 * Queries of a resource's rows through the per-dataset query API
 * (`/api/datahub/datasets/{name}/resources/{id}/data`), the downloads and API
 * examples a dataset page shows, and what a page of rows says about itself
 * (points for the map, a column worth charting). Pure functions, unit-tested.
 */
import type { DataRecord, FieldInfo, RowFeature } from './types';

/** Rows shown in a dataset page's preview. */
export const PREVIEW_ROWS = 50;
/** Points drawn on a dataset page's map at most. */
export const MAP_ROWS = 2000;
/** Bars of a chart at most (the largest groups). */
export const CHART_GROUPS = 15;

/** The row number the query API adds to every row. */
export const ROW_ID = '_id';

export type SortDir = 'asc' | 'desc';

export interface PreviewSort {
  field: string;
  dir: SortDir;
}

/** The path of a resource's rows, addressed through its dataset's name. */
export function dataPath(dataset: string, resourceId: string): string {
  return `/api/datahub/datasets/${encodeURIComponent(dataset)}/resources/${encodeURIComponent(resourceId)}/data`;
}

/** The query of a preview page: the first rows, sorted by one column when asked. */
export function previewQuery(sort: PreviewSort | null, limit = PREVIEW_ROWS): Record<string, string | number> {
  const query: Record<string, string | number> = { limit };
  if (sort) query['sort'] = `${sort.field} ${sort.dir}`;
  return query;
}

/** Clicking a column header: ascending first, then descending, then back to the file's order. */
export function nextSort(current: PreviewSort | null, field: string): PreviewSort | null {
  if (!current || current.field !== field) return { field, dir: 'asc' };
  return current.dir === 'asc' ? { field, dir: 'desc' } : null;
}

/** The `aria-sort` of a column header. */
export function ariaSort(current: PreviewSort | null, field: string): 'ascending' | 'descending' | 'none' {
  if (!current || current.field !== field) return 'none';
  return current.dir === 'asc' ? 'ascending' : 'descending';
}

/** The query counting rows per value of `field`, the largest groups first. */
export function countByQuery(field: string, limit = CHART_GROUPS): Record<string, string | number> {
  return { aggregate: 'count', group_by: field, sort: 'count desc', limit };
}

/**
 * The original file of a version, on this server. (The API's `url` and
 * `download_url` carry the configured public address, which a console opened
 * on another address — a test port, a local proxy — would not reach.)
 */
export function versionDownloadPath(resourceId: string, version: number): string {
  return `/api/datahub/resources/${encodeURIComponent(resourceId)}/versions/${version}/download`;
}

export type DownloadFormat = 'csv' | 'json' | 'geojson';

/** A download of every row (CSV, GeoJSON) or the first 10,000 (JSON, the API's page limit). */
export function downloadHref(dataset: string, resourceId: string, format: DownloadFormat): string {
  const query = format === 'json' ? 'format=json&limit=10000' : `format=${format}`;
  return `${dataPath(dataset, resourceId)}?${query}`;
}

/** `'…'` for a shell: single quotes, with any single quote closed, escaped and reopened. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export interface ApiExample {
  id: 'package_show' | 'datastore_search' | 'query' | 'csv';
  command: string;
}

/**
 * curl commands a developer can paste: CKAN's `package_show` and
 * `datastore_search`, and the query API (a filtered JSON page and the CSV).
 * `sampleField` (a text column), when given, shows a filter.
 */
export function apiExamples(origin: string, dataset: string, resourceId: string | null, sampleField?: string): ApiExample[] {
  const base = origin.replace(/\/+$/, '');
  const examples: ApiExample[] = [
    { id: 'package_show', command: `curl ${shellQuote(`${base}/api/3/action/package_show?id=${encodeURIComponent(dataset)}`)}` },
  ];
  if (resourceId) {
    examples.push({
      id: 'datastore_search',
      command: `curl ${shellQuote(`${base}/api/3/action/datastore_search?resource_id=${encodeURIComponent(resourceId)}&limit=5`)}`,
    });
    const params = new URLSearchParams();
    if (sampleField) params.set('fields', `${ROW_ID},${sampleField}`);
    params.set('limit', '5');
    if (sampleField) params.set('sort', `${sampleField} asc`);
    examples.push({ id: 'query', command: `curl ${shellQuote(`${base}${dataPath(dataset, resourceId)}?${params.toString()}`)}` });
    examples.push({ id: 'csv', command: `curl -o ${shellQuote(`${dataset}.csv`)} ${shellQuote(`${base}${downloadHref(dataset, resourceId, 'csv')}`)}` });
  }
  return examples;
}

export interface RowPoint {
  id: string;
  lon: number;
  lat: number;
}

function validLonLat(value: unknown): [number, number] | null {
  if (!Array.isArray(value) || value.length < 2) return null;
  const [lon, lat] = value as unknown[];
  if (typeof lon !== 'number' || typeof lat !== 'number') return null;
  if (!Number.isFinite(lon) || !Number.isFinite(lat) || Math.abs(lon) > 180 || Math.abs(lat) > 90) return null;
  return [lon, lat];
}

/** The points of a page of GeoJSON rows: Point geometries, and the first point of MultiPoints. Others are left out. */
export function pointsOf(features: readonly RowFeature[]): RowPoint[] {
  const points: RowPoint[] = [];
  for (const [i, feature] of features.entries()) {
    const g = feature.geometry;
    if (!g) continue;
    const position = g.type === 'Point' ? validLonLat(g.coordinates) : g.type === 'MultiPoint' && Array.isArray(g.coordinates) ? validLonLat(g.coordinates[0]) : null;
    if (!position) continue;
    points.push({ id: feature.id === null || feature.id === undefined ? String(i) : String(feature.id), lon: position[0], lat: position[1] });
  }
  return points;
}

/** Fields a chart can group by: shown (not masked) text, booleans, dates and whole numbers. */
export function groupableFields(fields: readonly FieldInfo[]): FieldInfo[] {
  return fields.filter((f) => f.name !== ROW_ID && !f.masked && ['text', 'boolean', 'integer', 'date'].includes(f.type));
}

/**
 * The column a chart starts with: among the groupable fields, the one whose
 * values in the sample repeat the most (fewest distinct values, at least two)
 * — a type or a class, not a name; text first when as few. Null when nothing repeats.
 */
export function defaultChartField(fields: readonly FieldInfo[], sample: readonly DataRecord[]): string | null {
  let best: { name: string; distinct: number; rank: number } | null = null;
  for (const field of groupableFields(fields)) {
    const values = new Set<string>();
    for (const record of sample) {
      const value = record[field.name];
      if (value !== null && value !== undefined && value !== '') values.add(String(value));
    }
    const distinct = values.size;
    if (distinct < 2 || distinct >= sample.length) continue;
    const rank = field.type === 'text' ? 0 : 1;
    if (!best || distinct < best.distinct || (distinct === best.distinct && rank < best.rank)) best = { name: field.name, distinct, rank };
  }
  return best?.name ?? null;
}

export interface CellFormat {
  number: (n: number) => string;
  /** A moment as the page shows it (Ho Chi Minh City time). */
  dateTime: (iso: string) => string;
  yes: string;
  no: string;
}

/**
 * A cell's text: numbers by the locale's formatter, days as dd/mm/yyyy, moments
 * in Ho Chi Minh City time, booleans by the given words, JSON as compact text.
 */
export function cellText(value: unknown, type: FieldInfo['type'], format: CellFormat): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return format.number(value);
  if (typeof value === 'boolean') return value ? format.yes : format.no;
  if (typeof value === 'string') {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
    if (type === 'date' && day) return `${day[3]}/${day[2]}/${day[1]}`;
    if (type === 'datetime' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
      // Without an offset the source gave local (Ho Chi Minh City) time: show it as it is.
      if (!/(Z|[+-]\d{2}:?\d{2})$/.test(value)) return `${value.slice(8, 10)}/${value.slice(5, 7)}/${value.slice(0, 4)} ${value.slice(11, 16)}`;
      return format.dateTime(value) || value;
    }
    return value;
  }
  return JSON.stringify(value);
}
