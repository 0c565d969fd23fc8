/**
 * Pure helpers of the queue's bulk actions and exports: which steps staff
 * may take for many reports at once, what each needs, the request body, the
 * summary of the per-report outcomes, the page's selection, and the export
 * link for the current filters. No DOM, no catalogue: unit-tested.
 */
import type { Actor } from './model';

/** `POST /api/feedback/reports/bulk` actions (the server's `BulkAction`). */
export type BulkAction = 'acknowledge' | 'start_progress' | 'forward' | 'reject';

/** Every action, in the order the console offers them. */
export const BULK_ACTIONS: readonly BulkAction[] = ['acknowledge', 'start_progress', 'forward', 'reject'];

/** The most reports one bulk request may name (the server's `BULK_MAX`). */
export const BULK_MAX = 200;

/** The most rows an Excel export holds (the server's `XLSX_MAX_ROWS`); CSV has no limit. */
export const XLSX_MAX_ROWS = 100_000;

/** `POST /api/feedback/reports/bulk` body. */
export interface BulkRequest {
  ids: string[];
  action: BulkAction;
  agency_code?: string;
  text?: string;
}

/** One report's outcome. `error` is an RFC 9457 problem object. */
export interface BulkResult {
  id: string;
  ok: boolean;
  tracking_code: string | null;
  status: string | null;
  error: Record<string, unknown> | null;
}

/** `POST /api/feedback/reports/bulk` answer. */
export interface BulkOutcome {
  succeeded: number;
  failed: number;
  results: BulkResult[];
}

/**
 * The actions offered to someone: forwarding (routing, moving a report to
 * another unit) is the call centre's work, as for a single report.
 */
export function bulkActions(actor: Actor): BulkAction[] {
  return BULK_ACTIONS.filter((action) => action !== 'forward' || actor.operator);
}

/** What the bulk form asks for, per action. */
export interface BulkNeeds {
  agency: boolean;
  /** `reason`: why (shown to the citizens); `message`: optional words to them. */
  text: 'reason' | 'message';
  textRequired: boolean;
}

export function bulkNeeds(action: BulkAction): BulkNeeds {
  switch (action) {
    case 'forward':
      return { agency: true, text: 'reason', textRequired: true };
    case 'reject':
      return { agency: false, text: 'reason', textRequired: true };
    default:
      return { agency: false, text: 'message', textRequired: false };
  }
}

/** What the bulk form holds. */
export interface BulkInput {
  action: BulkAction | '';
  agencyCode: string;
  text: string;
}

export type BulkProblem = 'selection' | 'tooMany' | 'action' | 'agency' | 'text';

/** The first thing that stops the request, or null. */
export function bulkProblem(selected: number, input: BulkInput): BulkProblem | null {
  if (selected === 0) return 'selection';
  if (selected > BULK_MAX) return 'tooMany';
  if (input.action === '') return 'action';
  const needs = bulkNeeds(input.action);
  if (needs.agency && input.agencyCode.trim() === '') return 'agency';
  if (needs.textRequired && input.text.trim() === '') return 'text';
  return null;
}

/** The request body: only the fields the action uses, trimmed. */
export function buildBulkRequest(ids: readonly string[], input: BulkInput & { action: BulkAction }): BulkRequest {
  const needs = bulkNeeds(input.action);
  const body: BulkRequest = { ids: [...ids], action: input.action };
  if (needs.agency) body.agency_code = input.agencyCode.trim();
  const text = input.text.trim();
  if (text) body.text = text;
  return body;
}

/** One report that was not changed: its tracking code when the page shows it, else the id. */
export interface BulkFailure {
  id: string;
  label: string;
  problem: Record<string, unknown>;
}

export interface BulkSummary {
  succeeded: number;
  total: number;
  failures: BulkFailure[];
}

/** The outcome as the results panel lists it; `codeOf` finds the tracking code of an id on the page. */
export function summarizeBulk(outcome: BulkOutcome, codeOf: (id: string) => string | undefined): BulkSummary {
  const failures = outcome.results
    .filter((r) => !r.ok)
    .map((r) => ({ id: r.id, label: codeOf(r.id) ?? r.id, problem: r.error ?? {} }));
  return { succeeded: outcome.succeeded, total: outcome.results.length, failures };
}

/** Whether none, some or all of the page's reports are selected (the "select all" box shows it). */
export function pageSelection(selected: ReadonlySet<string>, pageIds: readonly string[]): 'none' | 'some' | 'all' {
  const n = pageIds.filter((id) => selected.has(id)).length;
  if (n === 0) return 'none';
  return n === pageIds.length ? 'all' : 'some';
}

/** The selection after ticking or clearing "select all on this page". */
export function selectPage(selected: ReadonlySet<string>, pageIds: readonly string[], on: boolean): Set<string> {
  const next = new Set(selected);
  for (const id of pageIds) {
    if (on) next.add(id);
    else next.delete(id);
  }
  return next;
}

/** The selection after ticking or clearing one report. */
export function toggleOne(selected: ReadonlySet<string>, id: string, on: boolean): Set<string> {
  const next = new Set(selected);
  if (on) next.add(id);
  else next.delete(id);
  return next;
}

export type ExportFormat = 'csv' | 'xlsx';

/**
 * `GET /api/feedback/reports/export` for the queue's current filters: the
 * paging is dropped (every matching report is exported), empty values are
 * left out, and the file's headers follow the console's language.
 */
export function exportHref(
  filters: Record<string, string | number | boolean | undefined>,
  format: ExportFormat,
  lang: string,
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    if (key === 'page' || key === 'per_page' || value === undefined || value === '' || value === false) continue;
    params.set(key, String(value));
  }
  params.set('format', format);
  params.set('lang', lang);
  return `/api/feedback/reports/export?${params.toString()}`;
}
