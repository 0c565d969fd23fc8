/**
 * Wire types of the data hub's API (`/api/datahub/…`, see `/api/openapi.json`):
 * the catalogue, the per-resource query API, versions and fields, sharing
 * requests and the access log.
 */

export type SharingLevel = 'open' | 'shared' | 'restricted';

export interface Resource {
  id: string;
  dataset_id: string;
  position: number;
  name: string;
  description: string;
  format: string;
  kind: 'upload' | 'url';
  url: string;
  current_version: number;
  datastore_active: boolean;
  row_count: number | null;
  size_bytes: number | null;
  created_at: string;
  modified_at: string;
}

export interface Dataset {
  id: string;
  name: string;
  title_vi: string;
  title_en: string;
  notes_vi: string;
  notes_en: string;
  owner_agency: string;
  sharing_level: SharingLevel;
  license_id: string;
  update_frequency: string;
  spatial_ward: string | null;
  spatial_geometry: unknown;
  temporal_start: string | null;
  temporal_end: string | null;
  contact_name: string;
  contact_email: string;
  legal_basis: string;
  themes: string[];
  tags: string[];
  extras: Record<string, string>;
  state: string;
  revision: number;
  views: number;
  downloads: number;
  created_by: string | null;
  created_at: string;
  modified_at: string;
  resources: Resource[];
}

/** What create and update send (update replaces every field). */
export interface DatasetFields {
  name: string;
  title_vi: string;
  title_en: string;
  notes_vi: string;
  notes_en: string;
  owner_agency: string;
  sharing_level: SharingLevel;
  license_id: string;
  update_frequency: string;
  spatial_ward: string | null;
  spatial_geometry?: unknown;
  temporal_start: string | null;
  temporal_end: string | null;
  contact_name: string;
  contact_email: string;
  legal_basis: string;
  themes: string[];
  tags: string[];
  extras: Record<string, string>;
  state: 'active' | 'draft' | null;
}

export interface ResourceFields {
  name: string;
  description: string;
  format: string;
  url?: string | null;
  kind: 'upload' | 'url';
}

export interface FacetCount {
  name: string;
  count: number;
}

/** `GET /api/datahub/datasets`: a page with facet counts over every match. */
export interface DatasetList {
  items: Dataset[];
  total: number;
  page: number;
  per_page: number;
  facets: Record<string, FacetCount[]>;
}

export interface Licence {
  id: string;
  title_vi: string;
  title_en: string;
  url: string;
  open: boolean;
}

export interface Theme {
  id: string;
  name_vi: string;
  name_en: string;
}

export type Frequency = Theme;

export interface Vocabulary {
  licences: Licence[];
  themes: Theme[];
  frequencies: Frequency[];
  sharing_levels: SharingLevel[];
}

/** An agency as CKAN's `organization_list?all_fields=true` shows it (public). */
export interface Organization {
  id: string;
  name: string;
  title: string;
  title_en: string;
  package_count?: number;
}

export type FieldType = 'integer' | 'number' | 'boolean' | 'date' | 'datetime' | 'text' | 'json' | 'geometry';

export interface FieldInfo {
  name: string;
  type: FieldType;
  personal: boolean;
  masked: boolean;
}

export type DataRecord = Record<string, unknown>;

/** `GET …/data` (rows). */
export interface DataPage {
  resource_id: string;
  version: number;
  fields: FieldInfo[];
  records: DataRecord[];
  total: number;
  limit: number;
  offset: number;
}

/** `GET …/data?aggregate=…&group_by=…`. */
export interface AggregatePage {
  resource_id: string;
  version: number;
  group_by: string[];
  aggregates: string[];
  groups: DataRecord[];
  total: number;
  limit: number;
  offset: number;
}

/** A field of a version's schema. */
export interface FieldSchema {
  name: string;
  column: string;
  type: FieldType;
  nullable: boolean;
  personal: boolean;
  personal_reason?: string;
}

export interface TypeChange {
  name: string;
  from: FieldType;
  to: FieldType;
}

export interface SchemaDiff {
  previous_version: number | null;
  added: string[];
  removed: string[];
  type_changed: TypeChange[];
}

/** `POST /api/datahub/resources/{id}/versions` → 201. */
export interface VersionReport {
  resource_id: string;
  version: number;
  format: string;
  source_encoding: string;
  size_bytes: number;
  row_count: number;
  fields: FieldSchema[];
  diff: SchemaDiff;
}

export interface VersionInfo {
  version: number;
  current: boolean;
  format: string;
  source_encoding: string | null;
  size_bytes: number | null;
  row_count: number | null;
  fields: FieldSchema[];
  diff: SchemaDiff;
  created_by: string | null;
  created_at: string;
  download_url: string;
}

/** A field of a resource's current version (`GET …/fields`). */
export interface Field {
  name: string;
  type: FieldType;
  nullable: boolean;
  personal: boolean;
  description: string;
}

/** A GeoJSON feature as the query API's `format=geojson` writes it. */
export interface RowFeature {
  type: 'Feature';
  id: number | string | null;
  geometry: { type: string; coordinates: unknown } | null;
  properties: DataRecord;
}

export interface RowFeatureCollection {
  type: 'FeatureCollection';
  features: RowFeature[];
}

/* ---------- Sharing between agencies ---------- */

export type AccessStatus = 'requested' | 'approved' | 'refused' | 'withdrawn' | 'expired' | 'revoked';

/** An access request (`/api/datahub/access-requests`). */
export interface AccessRequest {
  id: string;
  dataset_id: string;
  dataset_name: string;
  dataset_title_vi: string;
  dataset_title_en: string;
  owner_agency: string;
  sharing_level: SharingLevel;
  requesting_agency: string;
  requested_by: string;
  requested_by_name: string;
  contact_email: string;
  purpose: string;
  legal_basis: string;
  period_from: string;
  period_to: string;
  personal_columns_requested: string[];
  status: AccessStatus;
  active: boolean;
  auto_approved: boolean;
  decided_by: string | null;
  decided_by_name: string | null;
  decided_at: string | null;
  conditions: string;
  refusal_reason: string | null;
  refusal_legal_basis: string | null;
  approved_from: string | null;
  approved_to: string | null;
  approved_columns: string[];
  starts_at: string;
  expires_at: string;
  created_at: string;
  modified_at: string;
}

export interface AccessRequestList {
  items: AccessRequest[];
  total: number;
  page: number;
  per_page: number;
}

export interface NewAccessRequest {
  purpose: string;
  legal_basis: string;
  period_from: string | null;
  period_to: string | null;
  personal_columns: string[];
  contact_email: string;
}

export interface ApprovalFields {
  conditions: string;
  period_from: string | null;
  period_to: string | null;
  personal_columns: string[];
}

export interface RefusalFields {
  reason: string;
  legal_basis: string;
}

export interface PersonalField {
  resource_id: string;
  resource_name: string;
  name: string;
}

/** How the caller stands with one dataset (`GET /api/datahub/datasets/{id}/sharing`). */
export interface SharingStatus {
  dataset_id: string;
  dataset_name: string;
  owner_agency: string;
  sharing_level: SharingLevel;
  access: 'owner' | 'approval' | 'public' | 'none';
  approval: AccessRequest | null;
  may_request: boolean;
  may_decide: boolean;
  personal_fields: PersonalField[];
  requests: AccessRequest[];
}

export interface AccessLogEntry {
  seq: number;
  at: string;
  actor: string;
  username: string | null;
  agency: string | null;
  resource_id: string | null;
  resource_name: string | null;
  outcome: string;
  approval_id: string | null;
  purpose: string | null;
  row_count: number | null;
  request_id: string | null;
}

export interface AccessLog {
  dataset_id: string;
  dataset_name: string;
  items: AccessLogEntry[];
  total: number;
  page: number;
  per_page: number;
}
