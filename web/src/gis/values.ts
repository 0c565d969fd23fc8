/**
 * Attribute values for people: shown in the console's formats (numbers
 * `1.234,5`, dates `dd/mm/yyyy`), typed back into the edit form, validated
 * and turned into a merge patch; differences between history versions.
 * Pure, unit-tested.
 */
import { tMaybe } from '../i18n';
import { formatDate, formatDateTime, formatNumber, type Locale } from '../i18n/format';
import { crsLabel } from './api';
import type { Attr } from './model';
import { READ_ONLY_ATTRIBUTES, attributesOf, CONDITIONS, STATUSES } from './model';

/** Code-list value labels (status, condition, flow role, network) come from the catalogue through this lookup. */
export type CodeLabel = (attribute: string, value: string) => string;

/** An attribute value as text in `locale`; '' when absent. */
export function formatValue(attr: Attr | undefined, value: unknown, locale: Locale, codeLabel?: CodeLabel): string {
  if (value === null || value === undefined || value === '') return '';
  if (typeof value === 'number') {
    if (attr?.type === 'timestamp') return formatDateTime(value, locale);
    return formatNumber(value, locale, attr?.type === 'integer' ? 0 : 3);
  }
  if (typeof value === 'string') {
    if (attr?.type === 'date') {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      return match ? `${match[3]}/${match[2]}/${match[1]}` : value;
    }
    if (attr?.type === 'timestamp') return formatDateTime(value, locale) || value;
    if (codeLabel && attr && (attr.values || CODED.has(attr.name))) return codeLabel(attr.name, value);
    return value;
  }
  if (typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

const CODED = new Set(['network', 'flow_role', 'status', 'condition']);

/**
 * A number typed in either language: `1.234,5` or `1234,5` (Vietnamese),
 * `1,234.5` or `1234.5` (English); null when it is not a number.
 */
export function parseLocaleNumber(text: string, locale: Locale): number | null {
  let s = text.trim().replace(/[\s\u00a0]/g, '');
  if (s === '') return null;
  const [group, decimal] = locale === 'vi' ? ['.', ','] : [',', '.'];
  // Thousands groups only where they really are groups (1.234 or 12.345.678).
  const groupRe = new RegExp(`^-?\\d{1,3}(\\${group}\\d{3})+(\\${decimal}\\d+)?$`);
  if (groupRe.test(s)) s = s.split(group).join('');
  s = s.replace(decimal, '.');
  if (!/^-?(\d+(\.\d*)?|\.\d+)$/.test(s)) return null;
  const value = Number(s);
  return Number.isFinite(value) ? value : null;
}

/** A value as the edit form first shows it (numbers in the current language, dates as `yyyy-mm-dd` for the date input). */
export function inputValue(attr: Attr, value: unknown, locale: Locale): string {
  if (value === null || value === undefined) return '';
  // No grouping in a field people edit: `1234,5` in Vietnamese, `1234.5` in English.
  if (typeof value === 'number' && attr.type !== 'timestamp') return locale === 'vi' ? String(value).replace('.', ',') : String(value);
  return String(value);
}

export type FieldErrorCode = 'number' | 'integer' | 'negative' | 'date' | 'choice' | 'too_long' | 'required';

export interface FieldError {
  name: string;
  code: FieldErrorCode;
}

const NON_NEGATIVE = new Set(['diameter_mm', 'voltage_kv', 'depth_m', 'capacity_mva', 'capacity_kva', 'height_m', 'capacity_m3_day', 'customer_count', 'ports', 'ways', 'fibre_count', 'pressure_bar']);
const BOOLEAN_INT = new Set(['normally_open', 'underground', 'gravity']);

/** Attributes of `collectionId` that the edit form offers. */
export function editableAttributes(collectionId: string): Attr[] {
  return attributesOf(collectionId).filter((attr) => !READ_ONLY_ATTRIBUTES.has(attr.name));
}

function isRealDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.getUTCFullYear() === Number(match[1]) && date.getUTCMonth() === Number(match[2]) - 1 && date.getUTCDate() === Number(match[3]);
}

/**
 * Validates the edit form (`values`: what the fields hold, by attribute name)
 * against the feature's current `properties` and builds the merge patch of the
 * properties that changed: typed values, `null` for a cleared field.
 */
export function buildPropertyPatch(
  collectionId: string,
  values: Record<string, string>,
  properties: Record<string, unknown>,
  locale: Locale,
): { patch: Record<string, unknown>; errors: FieldError[] } {
  const patch: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const attr of editableAttributes(collectionId)) {
    if (!(attr.name in values)) continue;
    const text = (values[attr.name] ?? '').trim();
    const current = properties[attr.name] ?? null;
    let next: unknown = null;
    if (text === '') {
      if (attr.name === 'name' || attr.name === 'status') {
        errors.push({ name: attr.name, code: 'required' });
        continue;
      }
      next = null;
    } else if (attr.type === 'number' || attr.type === 'integer') {
      const number = parseLocaleNumber(text, locale);
      if (number === null) {
        errors.push({ name: attr.name, code: 'number' });
        continue;
      }
      if (attr.type === 'integer' && !Number.isInteger(number)) {
        errors.push({ name: attr.name, code: 'integer' });
        continue;
      }
      if ((NON_NEGATIVE.has(attr.name) && number < 0) || (BOOLEAN_INT.has(attr.name) && number !== 0 && number !== 1)) {
        errors.push({ name: attr.name, code: BOOLEAN_INT.has(attr.name) ? 'choice' : 'negative' });
        continue;
      }
      next = number;
    } else if (attr.type === 'date') {
      if (!isRealDate(text)) {
        errors.push({ name: attr.name, code: 'date' });
        continue;
      }
      next = text;
    } else {
      if (attr.values && !attr.values.includes(text)) {
        errors.push({ name: attr.name, code: 'choice' });
        continue;
      }
      if (text.length > 500) {
        errors.push({ name: attr.name, code: 'too_long' });
        continue;
      }
      next = text.normalize('NFC');
    }
    if (next !== current) patch[attr.name] = next;
  }
  return { patch, errors };
}

export type CoordinateError = 'lon' | 'lat';

/** Longitude and latitude typed in either language (decimal degrees). */
export function parsePosition(lonText: string, latText: string, locale: Locale): { position: [number, number] | null; errors: CoordinateError[] } {
  const lon = parseLocaleNumber(lonText, locale);
  const lat = parseLocaleNumber(latText, locale);
  const errors: CoordinateError[] = [];
  if (lon === null || lon < -180 || lon > 180) errors.push('lon');
  if (lat === null || lat < -90 || lat > 90) errors.push('lat');
  return { position: errors.length === 0 ? [lon!, lat!] : null, errors };
}

/** Whether a position is far from Ho Chi Minh City (likely swapped or in another CRS): worth a warning, not a refusal. */
export function farFromCity([lon, lat]: [number, number]): boolean {
  return lon < 105.5 || lon > 108 || lat < 8 || lat > 12;
}

export interface PropertyChange {
  name: string;
  before: unknown;
  after: unknown;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * What changed from `older` to `newer` properties (both may be null: a
 * creation has no older, a deletion no newer). Validity bounds are left out:
 * every version changes them.
 */
export function diffProperties(older: Record<string, unknown> | null, newer: Record<string, unknown> | null): PropertyChange[] {
  const names = new Set([...Object.keys(older ?? {}), ...Object.keys(newer ?? {})]);
  const changes: PropertyChange[] = [];
  for (const name of names) {
    if (name === 'valid_from' || name === 'valid_to') continue;
    const before = older?.[name] ?? null;
    const after = newer?.[name] ?? null;
    if (!same(before, after)) changes.push({ name, before, after });
  }
  return changes.sort((x, y) => x.name.localeCompare(y.name));
}

/** Whether the geometry moved between two versions. */
export function geometryChanged(older: unknown, newer: unknown): boolean {
  return older !== null && older !== undefined && newer !== null && newer !== undefined && !same(older, newer);
}

/** `user:…`, `apikey:…`, `system` as shown: the kind in words and the id. */
export function actorParts(actor: string): { kind: 'user' | 'apikey' | 'system' | 'other'; id: string } {
  const [kind = '', ...rest] = actor.split(':');
  const id = rest.join(':');
  if (kind === 'user' || kind === 'apikey') return { kind, id };
  if (actor === 'system') return { kind: 'system', id: '' };
  return { kind: 'other', id: actor };
}

export { STATUSES, CONDITIONS };

/** A history time (epoch ms or RFC 3339) as `dd/mm/yyyy HH:mm`, Ho Chi Minh City time. */
export function historyTime(value: number | string, locale: Locale): string {
  return typeof value === 'number' || /^\d+$/.test(String(value)) ? formatDateTime(Number(value), locale) : formatDateTime(value, locale) || formatDate(value, locale);
}

/** A history time (epoch ms or RFC 3339) as RFC 3339 UTC for `<time datetime>`; null when unreadable. */
export function isoTime(value: number | string): string | null {
  const date = new Date(typeof value === 'number' || /^\d+$/.test(String(value)) ? Number(value) : value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * A position as `latitude; longitude` in Vietnamese (`10,7771; 106,7021`: a comma
 * there is the decimal mark, so it cannot also separate the two) and
 * `latitude, longitude` in English (`10.7771, 106.7021`).
 */
export function positionText(position: readonly [number, number], locale: Locale): string {
  const [lon, lat] = position;
  return `${formatNumber(lat, locale, 6)}${locale === 'vi' ? '; ' : ', '}${formatNumber(lon, locale, 6)}`;
}

/** Whether the file name is one the importer reads. */
export function importableFile(name: string): boolean {
  return /\.(geo)?json$|\.gpkg$|\.csv$|\.zip$/i.test(name);
}

/** A CRS for a select option: `EPSG:9210 — VN-2000 / TM-3 105°45′` (the name when known). */
export function crsOptionLabel(uri: string): string {
  const label = crsLabel(uri);
  const name = tMaybe(`gis.crsName.${label.replace(':', '_')}`, '');
  return name ? `${label} — ${name}` : label;
}
