/**
 * Pure helpers of the audit log page: filter values to query parameters,
 * date-time inputs to RFC 3339, shortened hashes. No DOM, unit-tested.
 */

/** Ho Chi Minh City's offset from UTC: +07:00 all year (no daylight saving since 1975). */
export const HCMC_OFFSET = '+07:00';

/**
 * A `datetime-local` value (`2025-07-01T08:30`, seconds optional) read as Ho
 * Chi Minh City time, whatever the browser's time zone, as RFC 3339
 * (`2025-07-01T08:30:00+07:00`). Empty text gives `undefined`; text that is not
 * a real date and time gives `null`.
 */
export function hcmcInputToRfc3339(value: string): string | undefined | null {
  const text = value.trim();
  if (text === '') return undefined;
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/.exec(text);
  if (!match) return null;
  const [, y, mo, d, h, mi, s = '00', ms] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  // The day must exist in that month (no 31/02).
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || day < 1) return null;
  const fraction = ms ? `.${ms.padEnd(3, '0')}` : '';
  return `${y}-${mo}-${d}T${h}:${mi}:${s}${fraction}${HCMC_OFFSET}`;
}

/** What the filter form holds (raw text of each input). */
export interface AuditFilterInput {
  actor: string;
  object: string;
  action: string;
  from: string;
  to: string;
}

export interface AuditQueryParams {
  actor?: string;
  object?: string;
  action?: string;
  from?: string;
  to?: string;
}

export type AuditFilterProblem = 'from' | 'to' | 'order';

/**
 * The query parameters of `GET /api/audit` for a filter form: trimmed text
 * (an `object` or `action` ending in `*` is a prefix, passed on as is), times
 * as RFC 3339 in Ho Chi Minh City time. `problem` names the first bad field.
 */
export function auditQuery(input: AuditFilterInput): { params: AuditQueryParams; problem: AuditFilterProblem | null } {
  const params: AuditQueryParams = {};
  const text = (value: string) => value.trim();
  if (text(input.actor)) params.actor = text(input.actor);
  if (text(input.object)) params.object = text(input.object);
  if (text(input.action)) params.action = text(input.action);
  const from = hcmcInputToRfc3339(input.from);
  if (from === null) return { params, problem: 'from' };
  const to = hcmcInputToRfc3339(input.to);
  if (to === null) return { params, problem: 'to' };
  if (from) params.from = from;
  if (to) params.to = to;
  if (from && to && Date.parse(from) >= Date.parse(to)) return { params, problem: 'order' };
  return { params, problem: null };
}

/** `b89f645f…d0b7`: enough of a SHA-256 hex digest to tell records apart at a glance. */
export function shortHash(hash: string, head = 8, tail = 4): string {
  if (hash.length <= head + tail + 1) return hash;
  return `${hash.slice(0, head)}…${hash.slice(-tail)}`;
}

/** Outcomes the server writes; others are shown as the server spells them. */
export type AuditOutcomeKind = 'success' | 'denied' | 'failure' | 'other';

export function outcomeKind(outcome: string): AuditOutcomeKind {
  switch (outcome) {
    case 'success':
    case 'denied':
    case 'failure':
      return outcome;
    case 'error':
    case 'failed':
      return 'failure';
    case 'forbidden':
      return 'denied';
    default:
      return 'other';
  }
}
