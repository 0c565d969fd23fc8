/** Status and deadline badges: always words, with colour and a symbol only repeating them. */
import { html, nothing, type TemplateResult } from 'lit';
import { getLocale, t, type MessageKey } from '../i18n';
import { formatDateTime } from '../i18n/format';
import { deadlineState, type DeadlineState } from './model';
import { statusLabel } from './reference';

const STATUS_TONE: Record<string, string> = {
  received: 'new',
  forwarded: 'active',
  acknowledged: 'active',
  in_progress: 'active',
  escalated: 'attention',
  reopened: 'attention',
  resolved: 'done',
  closed: 'done',
  rejected: 'stopped',
  duplicate: 'stopped',
};

export function statusBadge(status: string, fallback?: string): TemplateResult {
  return html`<span class="badge status-badge tone-${STATUS_TONE[status] ?? 'stopped'}" data-status=${status}
    >${statusLabel(status, fallback)}</span
  >`;
}

const DEADLINE_LABEL: Record<DeadlineState, MessageKey> = {
  overdue: 'feedback.deadlineOverdue',
  today: 'feedback.deadlineToday',
  ok: 'feedback.deadlineOk',
  met: 'feedback.deadlineMet',
  late: 'feedback.deadlineLate',
  none: 'feedback.deadlineNone',
};

const DEADLINE_SYMBOL: Record<DeadlineState, string> = {
  overdue: '!',
  today: '◷',
  ok: '✓',
  met: '✓',
  late: '!',
  none: '',
};

/** The due date and a badge saying where the report stands against it. */
export function deadlineCell(
  report: { status: string; due_at: string; resolved_at?: string | null; overdue?: boolean },
  now: Date = new Date(),
): TemplateResult {
  const state = deadlineState(report, now);
  return html`<span class="deadline">
    <time datetime=${report.due_at}>${formatDateTime(report.due_at, getLocale())}</time>
    ${state === 'none'
      ? nothing
      : html`<span class="badge deadline-badge deadline-${state}" data-deadline=${state}
          >${DEADLINE_SYMBOL[state] ? html`<span aria-hidden="true">${DEADLINE_SYMBOL[state]}</span> ` : nothing}${t(DEADLINE_LABEL[state])}</span
        >`}
  </span>`;
}
