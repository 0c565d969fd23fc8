/**
 * The data officer console's logic without the DOM: who may edit which
 * agency's datasets (the server decides; this only hides buttons that would
 * be refused), the metadata form's values, the API's field errors mapped to
 * the form's fields, and schema diffs in words. Unit-tested.
 */
import type { Me } from '../api/types';
import type { AccessRequest, AccessStatus, Dataset, DatasetFields, SchemaDiff, SharingLevel } from './types';

/** Roles that manage an agency's catalogue. */
export const WRITER_ROLES = ['data_officer', 'agency_admin'] as const;

/**
 * Whether `me` may change datasets owned by `agency`: administrators, and data
 * officers and agency administrators of the city or of that agency. (A grant on
 * an agency above it also counts on the server; the console does not know the
 * tree, so such users see the buttons only for their own agency — the server's
 * 403 remains the rule.)
 */
export function canWrite(me: Me | null, agency: string): boolean {
  if (!me) return false;
  return me.grants.some(
    (g) =>
      g.role === 'admin' ||
      ((WRITER_ROLES as readonly string[]).includes(g.role) && (g.scope.kind === 'city' || (g.scope.kind === 'agency' && g.scope.code === agency))),
  );
}

/** Agencies whose catalogue `me` manages, as far as the console can tell; null for every agency. */
export function managedAgencies(me: Me | null): string[] | null {
  if (!me) return [];
  if (me.grants.some((g) => g.role === 'admin' || ((WRITER_ROLES as readonly string[]).includes(g.role) && g.scope.kind === 'city'))) return null;
  const codes = new Set<string>();
  for (const g of me.grants) if ((WRITER_ROLES as readonly string[]).includes(g.role) && g.scope.kind === 'agency') codes.add(g.scope.code);
  return [...codes].sort();
}

/** Tags typed as `y tế, bệnh viện`: trimmed, empty and repeated ones dropped. */
export function parseTags(text: string): string[] {
  const seen = new Set<string>();
  const tags: string[] = [];
  for (const raw of text.split(/[,;\n]/)) {
    const tag = raw.trim().replace(/\s+/g, ' ');
    if (tag && !seen.has(tag.toLocaleLowerCase('vi'))) {
      seen.add(tag.toLocaleLowerCase('vi'));
      tags.push(tag);
    }
  }
  return tags;
}

/**
 * A URL name from a title: marks stripped, đ→d, lower case, words joined with
 * `-` (`Chợ truyền thống` → `cho-truyen-thong`), at most 100 characters.
 */
export function slugify(title: string): string {
  return title
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100)
    .replace(/-+$/, '');
}

/** The form's starting values: a dataset's fields, or an empty dataset of `agency`. */
export function fieldsOf(d: Dataset | null, agency = ''): DatasetFields {
  if (!d) {
    return {
      name: '',
      title_vi: '',
      title_en: '',
      notes_vi: '',
      notes_en: '',
      owner_agency: agency,
      sharing_level: 'shared',
      license_id: '',
      update_frequency: '',
      spatial_ward: null,
      temporal_start: null,
      temporal_end: null,
      contact_name: '',
      contact_email: '',
      legal_basis: '',
      themes: [],
      tags: [],
      extras: {},
      state: 'active',
    };
  }
  return {
    name: d.name,
    title_vi: d.title_vi,
    title_en: d.title_en,
    notes_vi: d.notes_vi,
    notes_en: d.notes_en,
    owner_agency: d.owner_agency,
    sharing_level: d.sharing_level,
    license_id: d.license_id,
    update_frequency: d.update_frequency,
    spatial_ward: d.spatial_ward,
    spatial_geometry: d.spatial_geometry ?? null,
    temporal_start: d.temporal_start,
    temporal_end: d.temporal_end,
    contact_name: d.contact_name,
    contact_email: d.contact_email,
    legal_basis: d.legal_basis,
    themes: [...d.themes],
    tags: [...d.tags],
    extras: { ...d.extras },
    state: d.state === 'draft' ? 'draft' : 'active',
  };
}

const LEVELS: readonly SharingLevel[] = ['open', 'shared', 'restricted'];

/**
 * The fields to send from the metadata form's values, on top of `base` (which
 * keeps what the form does not show: extras, a spatial geometry).
 */
export function fieldsFromForm(data: FormData, base: DatasetFields): DatasetFields {
  const text = (name: string) => String(data.get(name) ?? '').trim();
  const optional = (name: string) => text(name) || null;
  const level = text('sharing_level');
  return {
    ...base,
    name: text('name'),
    title_vi: text('title_vi'),
    title_en: text('title_en'),
    notes_vi: text('notes_vi'),
    notes_en: text('notes_en'),
    owner_agency: text('owner_agency'),
    sharing_level: (LEVELS as readonly string[]).includes(level) ? (level as SharingLevel) : base.sharing_level,
    license_id: text('license_id'),
    update_frequency: text('update_frequency'),
    spatial_ward: optional('spatial_ward'),
    temporal_start: optional('temporal_start'),
    temporal_end: optional('temporal_end'),
    contact_name: text('contact_name'),
    contact_email: text('contact_email'),
    legal_basis: text('legal_basis'),
    themes: data.getAll('themes').map(String),
    tags: parseTags(text('tags')),
  };
}

/** The API's names of invalid fields (CKAN's, as it reports them) → the form's field names. */
const ERROR_FIELDS: Record<string, string> = {
  name: 'name',
  title: 'title_vi',
  title_en: 'title_en',
  notes: 'notes_vi',
  notes_en: 'notes_en',
  owner_org: 'owner_agency',
  license_id: 'license_id',
  update_frequency: 'update_frequency',
  groups: 'themes',
  tags: 'tags',
  spatial: 'spatial_ward',
  temporal_start: 'temporal_start',
  temporal_end: 'temporal_end',
  maintainer: 'contact_name',
  maintainer_email: 'contact_email',
  legal_basis: 'legal_basis',
  state: 'state',
  sharing_level: 'sharing_level',
};

/**
 * The field errors of a 422 (`errors`: API field → messages) keyed by the
 * form's field names; errors of fields the form does not show go under `''`.
 */
export function formErrors(body: unknown): Record<string, string[]> {
  const errors = body && typeof body === 'object' ? (body as Record<string, unknown>)['errors'] : undefined;
  const out: Record<string, string[]> = {};
  if (!errors || typeof errors !== 'object') return out;
  for (const [field, messages] of Object.entries(errors as Record<string, unknown>)) {
    const key = ERROR_FIELDS[field] ?? '';
    const list = Array.isArray(messages) ? messages.map(String) : [String(messages)];
    out[key] = [...(out[key] ?? []), ...list];
  }
  return out;
}

export interface DiffSummary {
  /** The version compared with; null for a first version. */
  previous: number | null;
  added: string[];
  removed: string[];
  changed: Array<{ name: string; from: string; to: string }>;
  /** Same columns and types as the previous version. */
  unchanged: boolean;
}

/** A diff as the console lists it; a first version has no columns "added". */
export function summarizeDiff(diff: SchemaDiff): DiffSummary {
  const first = diff.previous_version === null;
  const added = first ? [] : diff.added;
  const changed = diff.type_changed.map((c) => ({ name: c.name, from: c.from, to: c.to }));
  return {
    previous: diff.previous_version,
    added,
    removed: diff.removed,
    changed,
    unchanged: !first && added.length === 0 && diff.removed.length === 0 && changed.length === 0,
  };
}

/** Bytes as people read them: `812 B`, `1,5 MB` (binary multiples, locale's number format). */
export function formatBytes(bytes: number, formatNumber: (n: number, digits: number) => string): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${formatNumber(value, unit === 0 ? 0 : 1)}\u00a0${units[unit]}`;
}

/** Upload progress as a whole percentage (0 until the size is known). */
export function percent(loaded: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.min(100, Math.max(0, Math.floor((loaded / total) * 100)));
}

/* ---------- sharing between agencies ---------- */

/** `yyyy-mm-dd` of the day an instant falls on in Ho Chi Minh City (UTC+7, no daylight saving). */
export function hcmcIsoDay(at: Date): string {
  return new Date(at.getTime() + 7 * 3600 * 1000).toISOString().slice(0, 10);
}

/** The period a new request proposes: from today for a year (the owner may approve a shorter one). */
export function defaultPeriod(today: Date): { from: string; to: string } {
  const from = hcmcIsoDay(today);
  const end = new Date(`${from}T00:00:00Z`);
  end.setUTCFullYear(end.getUTCFullYear() + 1);
  end.setUTCDate(end.getUTCDate() - 1);
  return { from, to: end.toISOString().slice(0, 10) };
}

/** `yyyy-mm-dd` as `dd/mm/yyyy` (as typed, without time zones); other text as it is. */
export function isoDayText(day: string | null | undefined): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day ?? '');
  return m ? `${m[3]}/${m[2]}/${m[1]}` : (day ?? '');
}

/** What is missing from a refusal or revocation: both the written reason and its legal basis are required. */
export function refusalProblem(reason: string, legalBasis: string): 'reason' | 'basis' | null {
  if (reason.trim() === '') return 'reason';
  if (legalBasis.trim() === '') return 'basis';
  return null;
}

/** What is missing from a new request: a purpose and the last day. */
export function requestProblem(purpose: string, periodTo: string): 'purpose' | 'period' | null {
  if (purpose.trim() === '') return 'purpose';
  if (periodTo.trim() === '') return 'period';
  return null;
}

/** Which steps a request offers to whom. */
export function requestActions(r: Pick<AccessRequest, 'status'>, side: 'owner' | 'requester'): Array<'approve' | 'refuse' | 'revoke' | 'withdraw'> {
  const status: AccessStatus = r.status;
  if (side === 'owner') {
    if (status === 'requested') return ['approve', 'refuse'];
    if (status === 'approved') return ['revoke'];
    return [];
  }
  return status === 'requested' || status === 'approved' ? ['withdraw'] : [];
}

/** Columns an officer may approve: those asked for, in the order asked. */
export function approvableColumns(r: Pick<AccessRequest, 'personal_columns_requested'>, chosen: readonly string[]): string[] {
  return r.personal_columns_requested.filter((c) => chosen.includes(c));
}
