/** Wire types of the CityOS HTTP API used by the console (see `/api/openapi.json`). */

export type Scope =
  | { kind: 'city' }
  | { kind: 'agency'; code: string }
  | { kind: 'jurisdiction'; code: string };

export interface Grant {
  id: string;
  role: string;
  scope: Scope;
}

export interface AgencyRef {
  code: string;
  name_vi: string;
  name_en: string;
}

/** The signed-in user (`GET /api/auth/me`). */
export interface Me {
  id: string;
  username: string;
  display_name: string;
  kind: 'staff' | 'citizen';
  agency: AgencyRef | null;
  grants: Grant[];
  mfa_enabled: boolean;
  csrf_token?: string;
}

export interface LoginRequest {
  username: string;
  password: string;
  totp?: string;
}

export interface LoginResponse {
  token: string;
  expires_at: string;
  csrf_token: string;
  user: Me;
}

export interface Role {
  role: string;
  name_vi: string;
  name_en: string;
  description_vi: string;
  description_en: string;
  /** Signing in with this role needs a one-time code. */
  requires_mfa?: boolean;
}

export interface User {
  id: string;
  username: string;
  display_name: string;
  agency_code: string | null;
  mfa_enabled: boolean;
  locked_until: string | null;
  grants: Grant[];
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
}

export interface Items<T> {
  items: T[];
}

export interface Agency {
  code: string;
  name_vi: string;
  name_en: string;
  kind: string;
  parent_code: string | null;
  jurisdiction_code: string | null;
}

export interface Jurisdiction {
  code: string;
  name: string;
  division_type: string;
  parent_code: string | null;
  level: number;
  valid_from: string | null;
  valid_to: string | null;
}

export interface WardProperties {
  code: string;
  name: string;
  division_type: string;
  illustrative?: boolean;
  label_lon?: number;
  label_lat?: number;
  [key: string]: unknown;
}

/** One of the caller's API keys (`GET /api/auth/api-keys`); the secret itself is never returned again. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

/** `POST /api/auth/api-keys` → 201: the key, shown once (`cok_…`). */
export interface ApiKeyCreated {
  id: string;
  key: string;
}

/** One record of the hash-chained audit log (`GET /api/audit`, newest first). */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  object: string;
  purpose: string | null;
  outcome: string;
  request_id: string | null;
  row_count: number | null;
  prev_hash: string;
  hash: string;
}

/* ---------- Citizen feedback (1022) ---------- */

/** Lifecycle states of a report (`Status` in the OpenAPI document). */
export type ReportStatus =
  | 'received'
  | 'forwarded'
  | 'acknowledged'
  | 'in_progress'
  | 'resolved'
  | 'closed'
  | 'rejected'
  | 'duplicate'
  | 'reopened'
  | 'escalated';

/** A category of the 1022 tree (`GET /api/feedback/categories`): groups have no parent, leaves have one. */
export interface FeedbackCategory {
  code: string;
  parent_code: string | null;
  name_vi: string;
  name_en: string;
  description_vi?: string;
  description_en?: string;
  keywords: string[];
  default_agency_code: string | null;
  deadline_days: number;
}

/** One entry of a report's history. */
export interface ReportUpdate {
  at: string;
  /** `created`, `status`, `note`, `assignment`, `citizen_message`. */
  kind: string;
  status_from: ReportStatus | null;
  status_to: ReportStatus | null;
  agency_code: string | null;
  text: string | null;
  public: boolean;
  /** Photos and videos shown with it (ids; public views list only published ones). */
  media?: string[];
  /** Progress updates: the date the unit committed to finish by (`YYYY-MM-DD`). */
  committed_date?: string | null;
}

/** A report as the public sees it: no personal data, location rounded to ~100 m. */
export interface PublicReport {
  tracking_code: string;
  category_code: string | null;
  description: string;
  jurisdiction_code: string | null;
  status: ReportStatus;
  status_vi: string;
  status_en: string;
  lat: number | null;
  lon: number | null;
  received_at: string;
  due_at: string;
  resolved_at: string | null;
  public_answer: string | null;
  rating: number | null;
  /** Published photos and videos (redacted where staff blacked regions out). */
  media?: { id: string; kind: 'photo' | 'video'; content_type: string; url: string }[];
  updates: ReportUpdate[];
}

export interface Reporter {
  name?: string | null;
  phone?: string | null;
  email?: string | null;
}

/** A report as staff see it. */
export interface Report {
  id: string;
  tracking_code: string;
  channel: string;
  category_code: string | null;
  description: string;
  lat: number | null;
  lon: number | null;
  address: string | null;
  jurisdiction_code: string | null;
  agency_code: string | null;
  status: ReportStatus;
  anonymous: boolean;
  reporter: Reporter | null;
  received_at: string;
  forwarded_at: string | null;
  resolved_at: string | null;
  due_at: string;
  jurisdiction_due_at: string | null;
  overdue: boolean;
  public_answer: string | null;
  rating: number | null;
  rating_comment: string | null;
  duplicate_of: string | null;
  updates: ReportUpdate[];
}

/** `POST /api/feedback/reports` body. */
export interface NewReport {
  category_code?: string | null;
  description: string;
  lat?: number | null;
  lon?: number | null;
  address?: string | null;
  reporter: Reporter;
  anonymous: boolean;
  locale?: string;
}

/** `POST /api/feedback/reports/{id}/transition` body. */
export interface TransitionRequest {
  status: ReportStatus;
  text?: string;
  agency_code?: string;
  jurisdiction_code?: string;
  duplicate_of?: string;
  public?: boolean;
}

/** A likely duplicate of a report being written. */
export interface DuplicateCandidate {
  report: PublicReport;
  distance_m: number;
  similarity: number;
}

/** One unit's numbers (`/api/feedback/stats`, `/api/feedback/public/ranking`). */
export interface UnitStats {
  agency_code: string;
  received: number;
  resolved: number;
  resolved_on_time: number;
  on_time_pct: number | null;
  overdue: number;
  open: number;
  avg_handling_hours: number | null;
  satisfaction: number | null;
  ratings: number;
}

/** `POST /api/citizen/verify` → a citizen session (bearer token). */
export interface CitizenSession {
  citizen_id: string;
  token: string;
  expires_at: string;
}

/** `GET /api/citizen/me`. */
export interface CitizenAccount {
  id: string;
  contact_kind: 'email' | 'phone' | string;
  contact: string;
  display_name: string | null;
  locale: string;
  created_at: string;
}

/** A ward as `GET /api/jurisdictions` lists it (with its reference point). */
export interface JurisdictionWithPoint extends Jurisdiction {
  lat?: number | null;
  lon?: number | null;
}
