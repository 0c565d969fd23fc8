import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { listStatus, pager } from '../components/list-frame';
import { describeError } from '../api/errors';
import type { AuditEntry, Page } from '../api/types';
import { auditQuery, outcomeKind, shortHash, type AuditFilterInput, type AuditFilterProblem, type AuditQueryParams } from '../audit-log';
import { getLocale, t, tMaybe, type MessageKey } from '../i18n';
import { formatDateTime, formatNumber } from '../i18n/format';
import { session } from '../session';

const PER_PAGE = 50;

const EMPTY_FILTERS: AuditFilterInput = { actor: '', object: '', action: '', from: '', to: '' };

const FILTER_PROBLEMS: Record<AuditFilterProblem, { key: MessageKey; field: string }> = {
  from: { key: 'audit.errorFrom', field: 'audit-from' },
  to: { key: 'audit.errorTo', field: 'audit-to' },
  order: { key: 'audit.errorOrder', field: 'audit-to' },
};

const OUTCOME_LABELS: Record<string, MessageKey> = {
  success: 'audit.outcomeSuccess',
  denied: 'audit.outcomeDenied',
  failure: 'audit.outcomeFailure',
};

/**
 * The audit log (admin, auditor): newest first, filtered by actor, object,
 * action and time, a page at a time. Reading it is itself recorded.
 */
export class AuditPage extends ConsoleElement {
  static override properties = {
    entries: { state: true },
    total: { state: true },
    page: { state: true },
    loading: { state: true },
    listError: { state: true },
    filterError: { state: true },
    invalidField: { state: true },
    filters: { state: true },
  };

  entries: AuditEntry[] = [];
  total = 0;
  page = 1;
  loading = true;
  listError = '';
  filterError = '';
  invalidField: string | null = null;
  filters: AuditFilterInput = { ...EMPTY_FILTERS };
  private params: AuditQueryParams = {};

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load(): Promise<void> {
    this.loading = true;
    try {
      const response = await session.api.get<Page<AuditEntry>>('/api/audit', {
        query: { page: this.page, per_page: PER_PAGE, ...this.params },
      });
      this.entries = response.items;
      this.total = response.total;
      this.listError = '';
    } catch (error) {
      this.entries = [];
      this.total = 0;
      this.listError = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  private get pages(): number {
    return Math.max(1, Math.ceil(this.total / PER_PAGE));
  }

  private goToPage(page: number): void {
    this.page = Math.min(Math.max(1, page), this.pages);
    void this.load();
  }

  private onFilter(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const value = (key: keyof AuditFilterInput) => String(data.get(key) ?? '');
    this.filters = { actor: value('actor'), object: value('object'), action: value('action'), from: value('from'), to: value('to') };
    const { params, problem } = auditQuery(this.filters);
    if (problem) {
      const { key, field } = FILTER_PROBLEMS[problem];
      this.filterError = t(key);
      this.invalidField = field;
      void this.updateComplete.then(() => this.querySelector<HTMLElement>(`#${field}`)?.focus());
      return;
    }
    this.filterError = '';
    this.invalidField = null;
    this.params = params;
    this.page = 1;
    void this.load();
  }

  private clearFilters(): void {
    this.filters = { ...EMPTY_FILTERS };
    // Inputs are not bound both ways: empty them as well.
    for (const input of this.querySelectorAll<HTMLInputElement>('#audit-filters input')) input.value = '';
    this.filterError = '';
    this.invalidField = null;
    this.params = {};
    this.page = 1;
    void this.load();
  }

  private renderFilters(): TemplateResult {
    const field = (
      id: string,
      name: keyof AuditFilterInput,
      label: MessageKey,
      hint: MessageKey,
      type: 'text' | 'datetime-local' = 'text',
    ) => html`<div class="field">
      <label for=${id}>${t(label)}</label>
      <input
        id=${id}
        name=${name}
        type=${type}
        autocomplete="off"
        spellcheck="false"
        autocapitalize="none"
        step=${type === 'datetime-local' ? '60' : nothing}
        aria-invalid=${this.invalidField === id ? 'true' : 'false'}
        aria-describedby="${id}-hint audit-filter-error"
        .value=${this.filters[name]}
      />
      <p class="hint" id="${id}-hint">${t(hint)}</p>
    </div>`;
    return html`<form
      id="audit-filters"
      class="form filter-form"
      role="search"
      aria-labelledby="audit-filter-heading"
      novalidate
      @submit=${(e: SubmitEvent) => this.onFilter(e)}
    >
      <h2 id="audit-filter-heading">${t('audit.filterHeading')}</h2>
      <div class="filter-grid">
        ${field('audit-actor', 'actor', 'audit.actor', 'audit.actorHint')}
        ${field('audit-object', 'object', 'audit.object', 'audit.objectHint')}
        ${field('audit-action', 'action', 'audit.action', 'audit.actionHint')}
        ${field('audit-from', 'from', 'audit.from', 'audit.timeHint', 'datetime-local')}
        ${field('audit-to', 'to', 'audit.to', 'audit.toHint', 'datetime-local')}
      </div>
      <div class="form-error" id="audit-filter-error" role="alert" aria-live="assertive">${this.filterError}</div>
      <div class="form-actions">
        <button type="submit" class="button" data-action="filter">${t('audit.apply')}</button>
        <button type="button" class="button button-secondary" @click=${() => this.clearFilters()}>${t('audit.clear')}</button>
      </div>
    </form>`;
  }

  private renderOutcome(outcome: string): TemplateResult {
    const kind = outcomeKind(outcome);
    const key = OUTCOME_LABELS[kind];
    // The word carries the meaning; the symbol and colour only repeat it.
    const symbol = kind === 'success' ? '✓' : kind === 'other' ? '•' : '✕';
    return html`<span class="badge outcome outcome-${kind}" data-outcome=${outcome}
      ><span aria-hidden="true">${symbol}</span> ${key ? t(key) : outcome}</span
    >`;
  }

  private renderAction(action: string): TemplateResult {
    const label = tMaybe(`auditAction.${action}`, '');
    return html`${label ? html`<span class="audit-action-label">${label}</span>` : nothing}
      <code class="code-value" translate="no">${action}</code>`;
  }

  private renderHashes(entry: AuditEntry): TemplateResult {
    return html`<details class="hash-details">
      <summary title=${entry.hash}>
        <code class="code-value" translate="no">${shortHash(entry.hash)}</code>
        <span class="visually-hidden">${t('audit.showHashes', { seq: entry.seq })}</span>
      </summary>
      <dl class="hash-list">
        <dt>${t('audit.hash')}</dt>
        <dd><code class="code-value hash-full" translate="no">${entry.hash}</code></dd>
        <dt>${t('audit.prevHash')}</dt>
        <dd><code class="code-value hash-full" translate="no">${entry.prev_hash}</code></dd>
        <dt>${t('audit.requestId')}</dt>
        <dd>${entry.request_id ? html`<code class="code-value" translate="no">${entry.request_id}</code>` : t('common.none')}</dd>
      </dl>
    </details>`;
  }

  private renderTable(): TemplateResult {
    const locale = getLocale();
    const self = session.me ? `user:${session.me.id}` : '';
    return html`<section aria-labelledby="audit-list-heading">
      <h2 id="audit-list-heading">${t('audit.listHeading')}</h2>
      ${listStatus({ error: this.listError, loading: this.loading, total: this.total })}
      <div class="table-scroll">
        <table class="data-table audit-table" id="audit-table">
          <caption class="visually-hidden">${t('audit.listHeading')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('audit.colSeq')}</th>
              <th scope="col">${t('audit.colAt')}</th>
              <th scope="col">${t('audit.colActor')}</th>
              <th scope="col">${t('audit.colAction')}</th>
              <th scope="col">${t('audit.colObject')}</th>
              <th scope="col">${t('audit.colPurpose')}</th>
              <th scope="col">${t('audit.colOutcome')}</th>
              <th scope="col">${t('audit.colRows')}</th>
              <th scope="col">${t('audit.colHash')}</th>
            </tr>
          </thead>
          <tbody>
            ${this.entries.length === 0 && !this.loading
              ? html`<tr>
                  <td colspan="9">${t('audit.empty')}</td>
                </tr>`
              : nothing}
            ${this.entries.map(
              (entry) => html`<tr data-seq=${entry.seq} data-action=${entry.action}>
                <th scope="row">${formatNumber(entry.seq, locale)}</th>
                <td><time datetime=${entry.at}>${formatDateTime(entry.at, locale)}</time></td>
                <td>
                  <code class="code-value" translate="no">${entry.actor}</code>
                  ${entry.actor === self ? html`<span class="status-detail">${t('audit.you')}</span>` : nothing}
                </td>
                <td>${this.renderAction(entry.action)}</td>
                <td><code class="code-value" translate="no">${entry.object}</code></td>
                <td>${entry.purpose ?? t('common.none')}</td>
                <td>${this.renderOutcome(entry.outcome)}</td>
                <td>${entry.row_count === null ? t('common.none') : formatNumber(entry.row_count, locale)}</td>
                <td>${this.renderHashes(entry)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${pager({ label: t('audit.pagination'), page: this.page, pages: this.pages, loading: this.loading, go: (page) => this.goToPage(page) })}
    </section>`;
  }

  override render(): TemplateResult {
    return html`<div class="page page-wide">
      <h1 tabindex="-1">${t('audit.title')}</h1>
      <div class="notice audit-note" role="note" aria-labelledby="audit-note-heading">
        <h2 id="audit-note-heading" class="notice-heading">${t('audit.noteHeading')}</h2>
        <p>${t('audit.noteBody')}</p>
        <p>${t('audit.noteVerify')} <code class="code-value" translate="no">cityos audit verify</code></p>
      </div>
      ${this.renderFilters()} ${this.renderTable()}
    </div>`;
  }
}

customElements.define('cityos-audit-page', AuditPage);
