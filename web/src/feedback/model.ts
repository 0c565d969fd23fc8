/**
 * Pure helpers of the citizen feedback (1022) pages: the report lifecycle as
 * staff may drive it, what each move needs, deadline badges and the
 * dashboard's totals. No DOM, no catalogue: unit-tested.
 */
import type { FeedbackCategory, Report, ReportStatus, TransitionRequest, UnitStats } from '../api/types';
import { hcmcDayKey } from '../i18n/format';

/** Every state, in the order filters list them. */
export const STATUSES: readonly ReportStatus[] = [
  'received',
  'forwarded',
  'acknowledged',
  'in_progress',
  'escalated',
  'reopened',
  'resolved',
  'closed',
  'rejected',
  'duplicate',
];

/** States whose deadline still runs (the server's `is_open`). */
export const OPEN_STATUSES: readonly ReportStatus[] = ['received', 'forwarded', 'acknowledged', 'in_progress', 'reopened', 'escalated'];

export function isOpenStatus(status: string): boolean {
  return (OPEN_STATUSES as readonly string[]).includes(status);
}

export function isStatus(value: string): value is ReportStatus {
  return (STATUSES as readonly string[]).includes(value);
}

/**
 * The lifecycle as staff drive it. `resolved` is left to the reporting citizen
 * ("fixed" closes it, "not fixed" reopens it); closed, rejected and duplicate
 * reports are final.
 */
const LIFECYCLE: Record<ReportStatus, readonly ReportStatus[]> = {
  received: ['forwarded', 'rejected', 'duplicate'],
  forwarded: ['acknowledged', 'in_progress', 'resolved', 'forwarded', 'escalated', 'rejected', 'duplicate'],
  acknowledged: ['in_progress', 'resolved', 'forwarded', 'escalated', 'rejected', 'duplicate'],
  in_progress: ['resolved', 'forwarded', 'escalated'],
  escalated: ['acknowledged', 'in_progress', 'resolved', 'forwarded', 'rejected'],
  reopened: ['acknowledged', 'in_progress', 'resolved', 'forwarded', 'escalated'],
  resolved: [],
  closed: [],
  rejected: [],
  duplicate: [],
};

export interface Actor {
  /** Holds the operator role (the call centre): may forward and reassign between units. */
  operator: boolean;
}

/**
 * The states a staff member may move a report to. Forwarding (routing an
 * unclear report, reassigning to another unit) is the call centre's work:
 * only operators are offered it.
 */
export function nextStatuses(status: ReportStatus, actor: Actor): ReportStatus[] {
  return LIFECYCLE[status].filter((to) => to !== 'forwarded' || actor.operator);
}

/** What the action form asks for, per target state. */
export interface TransitionNeeds {
  /** `answer`: the public answer; `reason`: why (shown to the citizen); `message`: optional words to the citizen. */
  text: 'answer' | 'reason' | 'message';
  textRequired: boolean;
  /** Forwarding: the unit (and the ward when the report has none). */
  agency: boolean;
  jurisdiction: 'required' | 'optional' | 'none';
  duplicateOf: boolean;
  /** Escalations are internal unless asked otherwise. */
  publicToggle: boolean;
}

export function transitionNeeds(to: ReportStatus, report: Pick<Report, 'jurisdiction_code'>): TransitionNeeds {
  const base: TransitionNeeds = {
    text: 'message',
    textRequired: false,
    agency: false,
    jurisdiction: 'none',
    duplicateOf: false,
    publicToggle: false,
  };
  switch (to) {
    case 'resolved':
      return { ...base, text: 'answer', textRequired: true };
    case 'rejected':
      return { ...base, text: 'reason', textRequired: true };
    case 'forwarded':
      return { ...base, text: 'reason', textRequired: true, agency: true, jurisdiction: report.jurisdiction_code ? 'optional' : 'required' };
    case 'duplicate':
      return { ...base, duplicateOf: true };
    case 'escalated':
      return { ...base, text: 'reason', publicToggle: true };
    default:
      return base;
  }
}

/** What the action form holds. */
export interface TransitionInput {
  text: string;
  agencyCode: string;
  jurisdictionCode: string;
  duplicateOf: string;
  public: boolean;
}

export type TransitionProblem = 'text' | 'agency' | 'jurisdiction' | 'duplicateOf' | 'duplicateSelf';

/** The first thing missing from the form for this move, or null. */
export function transitionProblem(
  to: ReportStatus,
  input: TransitionInput,
  report: Pick<Report, 'jurisdiction_code' | 'tracking_code' | 'id'>,
): TransitionProblem | null {
  const needs = transitionNeeds(to, report);
  if (needs.jurisdiction === 'required' && input.jurisdictionCode.trim() === '') return 'jurisdiction';
  if (needs.agency && input.agencyCode.trim() === '') return 'agency';
  if (needs.duplicateOf) {
    const other = input.duplicateOf.trim();
    if (other === '') return 'duplicateOf';
    if (other.toUpperCase() === report.tracking_code.toUpperCase() || other === report.id) return 'duplicateSelf';
  }
  if (needs.textRequired && input.text.trim() === '') return 'text';
  return null;
}

/** The request body for a move: only the fields that move uses, trimmed. */
export function buildTransition(
  to: ReportStatus,
  input: TransitionInput,
  report: Pick<Report, 'jurisdiction_code'>,
): TransitionRequest {
  const needs = transitionNeeds(to, report);
  const body: TransitionRequest = { status: to };
  const text = input.text.trim();
  if (text) body.text = text;
  if (needs.agency) body.agency_code = input.agencyCode.trim();
  if (needs.jurisdiction !== 'none' && input.jurisdictionCode.trim() && input.jurisdictionCode.trim() !== report.jurisdiction_code) {
    body.jurisdiction_code = input.jurisdictionCode.trim();
  }
  if (needs.duplicateOf) body.duplicate_of = input.duplicateOf.trim().toUpperCase();
  if (needs.publicToggle) body.public = input.public;
  return body;
}

/**
 * Deadline badge: an open report is `overdue`, due `today` (Ho Chi Minh City
 * calendar day) or `ok`; a resolved one `met` or `late` its deadline; a
 * rejected or duplicate one has `none`.
 */
export type DeadlineState = 'overdue' | 'today' | 'ok' | 'met' | 'late' | 'none';

export function deadlineState(
  report: { status: string; due_at: string; resolved_at?: string | null; overdue?: boolean },
  now: Date,
): DeadlineState {
  const due = Date.parse(report.due_at);
  if (Number.isNaN(due)) return 'none';
  if (isOpenStatus(report.status)) {
    if (report.overdue === true || due < now.getTime()) return 'overdue';
    return hcmcDayKey(due) === hcmcDayKey(now) ? 'today' : 'ok';
  }
  if ((report.status === 'resolved' || report.status === 'closed') && report.resolved_at) {
    const resolved = Date.parse(report.resolved_at);
    if (!Number.isNaN(resolved)) return resolved <= due ? 'met' : 'late';
  }
  return 'none';
}

/** The dashboard's totals over all units shown. */
export interface StatsSummary {
  units: number;
  received: number;
  resolved: number;
  resolvedOnTime: number;
  /** On-time share of resolved reports, 0–100 with one decimal; null when nothing was resolved. */
  onTimePct: number | null;
  overdue: number;
  open: number;
  /** Average handling time weighted by each unit's resolved reports. */
  avgHandlingHours: number | null;
  /** Average rating weighted by each unit's number of ratings. */
  satisfaction: number | null;
  ratings: number;
}

const round1 = (value: number) => Math.round(value * 10) / 10;

export function summarizeStats(items: readonly UnitStats[]): StatsSummary {
  let received = 0;
  let resolved = 0;
  let onTime = 0;
  let overdue = 0;
  let open = 0;
  let ratings = 0;
  let hoursWeighted = 0;
  let hoursWeight = 0;
  let ratingSum = 0;
  for (const unit of items) {
    received += unit.received;
    resolved += unit.resolved;
    onTime += unit.resolved_on_time;
    overdue += unit.overdue;
    open += unit.open;
    if (unit.avg_handling_hours !== null && unit.resolved > 0) {
      hoursWeighted += unit.avg_handling_hours * unit.resolved;
      hoursWeight += unit.resolved;
    }
    if (unit.satisfaction !== null && unit.ratings > 0) {
      ratingSum += unit.satisfaction * unit.ratings;
      ratings += unit.ratings;
    }
  }
  return {
    units: items.length,
    received,
    resolved,
    resolvedOnTime: onTime,
    onTimePct: resolved > 0 ? round1((onTime * 100) / resolved) : null,
    overdue,
    open,
    avgHandlingHours: hoursWeight > 0 ? round1(hoursWeighted / hoursWeight) : null,
    satisfaction: ratings > 0 ? round1(ratingSum / ratings) : null,
    ratings,
  };
}

/** Categories as groups with their leaves, in the server's order; leaves of unknown groups come last. */
export function categoryGroups(categories: readonly FeedbackCategory[]): Array<{ group: FeedbackCategory | null; leaves: FeedbackCategory[] }> {
  const groups = categories.filter((c) => !c.parent_code);
  const out = groups.map((group) => ({ group: group as FeedbackCategory | null, leaves: categories.filter((c) => c.parent_code === group.code) }));
  const known = new Set(groups.map((g) => g.code));
  const orphans = categories.filter((c) => c.parent_code && !known.has(c.parent_code));
  if (orphans.length > 0) out.push({ group: null, leaves: orphans });
  return out.filter((entry) => entry.leaves.length > 0);
}

/** The ward code of a ward People's Committee's agency code (`UBND-26740` → `26740`), else null. */
export function wardOfCommittee(agencyCode: string): string | null {
  const match = /^UBND-(\d{3,6})$/.exec(agencyCode);
  return match ? match[1]! : null;
}

/** Tracking codes look like `261128-F8YGA`; accepts lower case and surrounding spaces. */
export function normalizeTrackingCode(text: string): string {
  return text.trim().toUpperCase().replace(/\s+/g, '');
}

export function looksLikeTrackingCode(text: string): boolean {
  return /^\d{6}-[A-Z0-9]{5}$/.test(normalizeTrackingCode(text));
}

/**
 * A citizen's contact, checked as the server does: an e-mail address, or a
 * phone number starting with `+`, `0` or `84` (9–15 digits in E.164 form;
 * spaces, dots and dashes allowed).
 */
export function contactKind(text: string): 'email' | 'phone' | null {
  const value = text.trim();
  if (value.includes('@')) return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value) ? 'email' : null;
  if (!/^\+?[\d\s.\-()]+$/.test(value)) return null;
  const digits = value.replace(/\D/g, '');
  let e164: string | null = null;
  if (value.startsWith('+')) e164 = digits;
  else if (digits.startsWith('0')) e164 = `84${digits.slice(1)}`;
  else if (digits.startsWith('84')) e164 = digits;
  return e164 !== null && e164.length >= 9 && e164.length <= 15 ? 'phone' : null;
}
