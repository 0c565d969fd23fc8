/**
 * The interoperability gateway (LGSP) as the console sees it: the wire types
 * of `/api/datahub/gateway/…`, the checks the registration and grant forms
 * make before sending (the server checks again and has the last word), and
 * the exchange log folded into one row per exchange.
 */
import type { MessageKey } from '../i18n';

export type ServiceKind = 'rest' | 'soap';
export type ServiceState = 'active' | 'suspended';
export type GrantState = 'active' | 'expired' | 'revoked';
export type Phase = 'request' | 'response' | 'refused';

/** A registered service (`GET /api/datahub/gateway/services`). */
export interface GatewayService {
  id: string;
  code: string;
  owner_agency: string;
  name_vi: string;
  name_en: string;
  description_vi: string;
  description_en: string;
  kind: ServiceKind;
  base_url: string | null;
  methods: string[];
  operations: string[];
  timeout_ms: number;
  rate_limit_per_minute: number;
  auth_header: string | null;
  has_auth_secret: boolean;
  state: ServiceState;
  proxy_url: string;
  created_at: string;
  modified_at: string;
}

/** A consumer agency's right to call a service. */
export interface GatewayGrant {
  id: string;
  service_code: string;
  consumer_agency: string;
  operations: string[];
  purpose: string;
  expires_at: string | null;
  granted_by: string;
  granted_at: string;
  revoked_at: string | null;
  state: GrantState;
}

/** One record of the signed, hash-chained exchange log. */
export interface GatewayLogEntry {
  seq: number;
  exchange_id: string;
  phase: Phase;
  at: string;
  service_id: string;
  service_code: string;
  owner_agency: string;
  consumer_agency: string;
  actor: string;
  method: string;
  path: string;
  operation: string | null;
  status: number | null;
  outcome: string;
  duration_ms: number | null;
  request_id: string | null;
  prev_hash: string;
  hash: string;
  signature: string;
}

export interface GatewayLogPage {
  items: GatewayLogEntry[];
  total: number;
  page: number;
  per_page: number;
}

/** What `GET /api/datahub/gateway/log/verify` found (auditors). */
export interface LogVerdict {
  intact: boolean;
  records: number;
  last_seq: number | null;
  last_hash: string | null;
  broken_seq: number | null;
  reason: string | null;
}

/** The methods a REST service may offer. */
export const REST_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** What the registration form holds, as typed. */
export interface ServiceDraft {
  code: string;
  owner_agency: string;
  name_vi: string;
  name_en: string;
  description_vi: string;
  kind: ServiceKind;
  base_url: string;
  methods: string[];
  operations: string;
  timeout_ms: string;
  rate_limit_per_minute: string;
  auth_header: string;
  auth_secret: string;
}

/** The body of `POST /api/datahub/gateway/services`. */
export interface ServiceBody {
  code: string;
  owner_agency: string;
  name_vi: string;
  name_en: string;
  description_vi: string;
  kind: ServiceKind;
  base_url: string;
  methods: string[];
  operations: string[];
  timeout_ms?: number;
  rate_limit_per_minute?: number;
  auth_header?: string;
  auth_secret?: string;
}

export type FieldProblems<F extends string> = Partial<Record<F, MessageKey>>;

/** Items typed one per line or separated by commas: trimmed, empty and repeated ones dropped. */
export function parseList(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const item = raw.trim().replace(/\s+/g, ' ');
    if (item && !out.includes(item)) out.push(item);
  }
  return out;
}

const CODE = /^[a-z0-9][a-z0-9-]{1,62}$/;
const OPERATION = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

function wholeNumber(text: string, min: number, max: number): number | null | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (!/^\d+$/.test(t)) return null;
  const n = Number(t);
  return n >= min && n <= max ? n : null;
}

/**
 * Checks a registration: the body to send, or the problem of each field (as
 * message keys). Mirrors the server's rules that a person can fix in the form.
 */
export function checkService(d: ServiceDraft): { body: ServiceBody | null; problems: FieldProblems<keyof ServiceDraft> } {
  const problems: FieldProblems<keyof ServiceDraft> = {};
  const code = d.code.trim();
  if (!CODE.test(code)) problems.code = 'gateway.errCode';
  if (!d.owner_agency) problems.owner_agency = 'gateway.errOwner';
  const name = d.name_vi.trim();
  if (!name || name.length > 200) problems.name_vi = 'gateway.errName';
  let url: URL | null = null;
  try {
    url = new URL(d.base_url.trim());
  } catch {
    url = null;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.username || url.password || url.search || url.hash) {
    problems.base_url = 'gateway.errBaseUrl';
  }
  const operations = d.kind === 'soap' ? parseList(d.operations) : [];
  if (operations.some((o) => !OPERATION.test(o))) problems.operations = 'gateway.errOperations';
  const methods = d.kind === 'soap' ? ['POST'] : REST_METHODS.filter((m) => d.methods.includes(m));
  if (d.kind === 'rest' && methods.length === 0) problems.methods = 'gateway.errMethods';
  const timeout = wholeNumber(d.timeout_ms, 100, 60000);
  if (timeout === null) problems.timeout_ms = 'gateway.errTimeout';
  const rate = wholeNumber(d.rate_limit_per_minute, 1, 100000);
  if (rate === null) problems.rate_limit_per_minute = 'gateway.errRate';
  const header = d.auth_header.trim();
  const secret = d.auth_secret.trim();
  if (header && !HEADER.test(header)) problems.auth_header = 'gateway.errHeader';
  if (secret && !header) problems.auth_header = 'gateway.errHeaderForSecret';
  if (Object.keys(problems).length > 0) return { body: null, problems };
  const body: ServiceBody = {
    code,
    owner_agency: d.owner_agency,
    name_vi: name,
    name_en: d.name_en.trim(),
    description_vi: d.description_vi.trim(),
    kind: d.kind,
    base_url: d.base_url.trim(),
    methods,
    operations,
  };
  if (typeof timeout === 'number') body.timeout_ms = timeout;
  if (typeof rate === 'number') body.rate_limit_per_minute = rate;
  if (header) body.auth_header = header;
  if (secret) body.auth_secret = secret;
  return { body, problems };
}

/** What the grant form holds. */
export interface GrantDraft {
  consumer_agency: string;
  operations: string;
  purpose: string;
  /** `yyyy-mm-dd` (the last day, Asia/Ho_Chi_Minh), or empty: until revoked. */
  until: string;
}

export interface GrantBody {
  consumer_agency: string;
  operations: string[];
  purpose: string;
  expires_at: string | null;
}

/**
 * Checks a grant: a consumer other than the owner, a purpose, and an end
 * day not before `today`; the grant then runs to the end of that day in
 * Ho Chi Minh City (UTC+7).
 */
export function checkGrant(d: GrantDraft, owner: string, today: string): { body: GrantBody | null; problems: FieldProblems<keyof GrantDraft> } {
  const problems: FieldProblems<keyof GrantDraft> = {};
  if (!d.consumer_agency) problems.consumer_agency = 'gateway.errConsumer';
  else if (d.consumer_agency === owner) problems.consumer_agency = 'gateway.errConsumerOwner';
  if (!d.purpose.trim()) problems.purpose = 'gateway.errPurpose';
  let expires: string | null = null;
  if (d.until) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d.until) || d.until < today) problems.until = 'gateway.errUntil';
    else expires = new Date(`${d.until}T23:59:59+07:00`).toISOString();
  }
  if (Object.keys(problems).length > 0) return { body: null, problems };
  return { body: { consumer_agency: d.consumer_agency, operations: parseList(d.operations), purpose: d.purpose.trim(), expires_at: expires }, problems };
}

/** One exchange: the call as requested and how it ended. */
export interface ExchangeRow {
  exchange_id: string;
  at: string;
  service_code: string;
  consumer_agency: string;
  actor: string;
  call: string;
  status: number | null;
  outcome: string;
  duration_ms: number | null;
  /** The records of the exchange in the log, by sequence number. */
  seqs: number[];
  /** Whether the gateway refused the call (nothing was sent upstream). */
  refused: boolean;
  /** Whether the request was logged but no answer is (yet) recorded. */
  pending: boolean;
}

/**
 * Folds log records (newest first, as the API lists them) into one row per
 * exchange, newest first: the request's call, the response's (or the
 * refusal's) status and outcome.
 */
export function exchanges(entries: GatewayLogEntry[]): ExchangeRow[] {
  const rows = new Map<string, ExchangeRow>();
  const order: string[] = [];
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) {
    let row = rows.get(e.exchange_id);
    if (!row) {
      row = {
        exchange_id: e.exchange_id,
        at: e.at,
        service_code: e.service_code,
        consumer_agency: e.consumer_agency,
        actor: e.actor,
        call: e.operation ? `${e.method} ${e.path} (${e.operation})` : `${e.method} ${e.path}`,
        status: null,
        outcome: e.outcome,
        duration_ms: null,
        seqs: [],
        refused: false,
        pending: e.phase === 'request',
      };
      rows.set(e.exchange_id, row);
      order.push(e.exchange_id);
    }
    row.seqs.push(e.seq);
    if (e.phase !== 'request') {
      row.status = e.status;
      row.outcome = e.outcome;
      row.duration_ms = e.duration_ms;
      row.refused = e.phase === 'refused';
      row.pending = false;
    }
  }
  return order.reverse().map((id) => rows.get(id) as ExchangeRow);
}

/** How an outcome reads: success, the caller's or the upstream's problem, or a refusal. */
export function outcomeTone(row: ExchangeRow): 'ok' | 'warn' | 'bad' {
  if (row.pending) return 'warn';
  if (row.refused) return 'bad';
  if (row.outcome === 'success' || row.outcome === 'forwarded') return 'ok';
  if (row.outcome === 'upstream_client_error') return 'warn';
  return 'bad';
}

const OUTCOME_KEYS: Record<string, MessageKey> = {
  forwarded: 'gateway.outForwarded',
  success: 'gateway.outSuccess',
  upstream_client_error: 'gateway.outClientError',
  upstream_error: 'gateway.outUpstreamError',
  upstream_fault: 'gateway.outUpstreamError',
  upstream_refused: 'gateway.outUpstreamError',
  timeout: 'gateway.outTimeout',
  unreachable: 'gateway.outUnreachable',
  invalid_response: 'gateway.outUpstreamError',
  too_large: 'gateway.outUpstreamError',
  no_grant: 'gateway.outNoGrant',
  grant_expired: 'gateway.outNoGrant',
  operation_not_granted: 'gateway.outNoGrant',
  method_not_allowed: 'gateway.outRefused',
  bad_request: 'gateway.outRefused',
  rate_limited: 'gateway.outRateLimited',
  suspended: 'gateway.outSuspended',
};

/** The message key of an exchange's outcome (`null` for an unknown one: show the code). */
export function outcomeKey(row: ExchangeRow): MessageKey | null {
  if (row.pending) return 'gateway.outPending';
  return OUTCOME_KEYS[row.outcome] ?? null;
}
