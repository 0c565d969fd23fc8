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
