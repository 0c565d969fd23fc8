import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import type { MapPoint } from '../components/points-map';
import { announce } from '../announcer';
import { parseProblem } from '../api/client';
import { describeError } from '../api/errors';
import type { Page, Report, UnitStats } from '../api/types';
import { deadlineCell, statusBadge } from '../feedback/badges';
import {
  BULK_MAX,
  buildBulkRequest,
  bulkActions,
  bulkNeeds,
  bulkProblem,
  exportHref,
  pageSelection,
  selectPage,
  summarizeBulk,
  toggleOne,
  XLSX_MAX_ROWS,
  type BulkAction,
  type BulkOutcome,
  type BulkProblem,
  type BulkSummary,
} from '../feedback/bulk';
import { unitStatsTable } from '../feedback/unit-stats-table';
import { categoryGroups, STATUSES, summarizeStats } from '../feedback/model';
import { agencyDisplayName, loadAgencies, loadCategories, loadWards, Names, statusLabel } from '../feedback/reference';
import { getLocale, t, type MessageKey } from '../i18n';
import { compareText, formatDateTime, formatHours, formatNumber, formatPercent } from '../i18n/format';
import { listStatus, pager } from '../components/list-frame';
import { href } from '../router';
import { session } from '../session';

const PER_PAGE = 20;
const BULK_PROBLEM_KEY: Record<BulkProblem, MessageKey> = {
  selection: 'bulk.needSelection',
  tooMany: 'bulk.tooMany',
  action: 'bulk.needAction',
  agency: 'bulk.needAgency',
  text: 'bulk.needText',
};
const BULK_ACTION_KEY: Record<BulkAction, MessageKey> = {
  acknowledge: 'bulk.actionAcknowledge',
  start_progress: 'bulk.actionStart',
  forward: 'bulk.actionForward',
  reject: 'bulk.actionReject',
};
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

type Tab = 'all' | 'unclear';
type SortKey = 'due_at' | '-received_at' | 'received_at';

interface QueueFilters {
  statuses: string[];
  agency: string;
  category: string;
  ward: string;
  overdue: boolean;
  q: string;
  sort: SortKey;
}

interface QueueState {
  tab: Tab;
  filters: QueueFilters;
  page: number;
  showMap: boolean;
  period: number;
}

const EMPTY_FILTERS: QueueFilters = { statuses: [], agency: '', category: '', ward: '', overdue: false, q: '', sort: 'due_at' };

/** The queue as the user left it, restored when they come back from a report. */
let saved: QueueState | null = null;

function excerpt(text: string, max = 90): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/**
 * The 1022 queue for staff: filters, search, sorting and pages over
 * `GET /api/feedback/reports`, an optional map of the page's reports beside
 * the table, bulk steps for the reports ticked on the page
 * (`POST /api/feedback/reports/bulk`), CSV and Excel exports of the current
 * filters, and the per-unit dashboard from `GET /api/feedback/stats`.
 */
export class FeedbackPage extends ConsoleElement {
  static override properties = {
    names: { state: true },
    items: { state: true },
    total: { state: true },
    unclearCount: { state: true },
    loading: { state: true },
    listError: { state: true },
    tab: { state: true },
    filters: { state: true },
    page: { state: true },
    showMap: { state: true },
    mapFailed: { state: true },
    selectedId: { state: true },
    stats: { state: true },
    statsError: { state: true },
    statsLoading: { state: true },
    period: { state: true },
    selected: { state: true },
    bulkAction: { state: true },
    bulkAgency: { state: true },
    bulkText: { state: true },
    bulkError: { state: true },
    bulkBusy: { state: true },
    bulkConfirm: { state: true },
    bulkSummary: { state: true },
  };

  names = new Names();
  items: Report[] = [];
  total = 0;
  unclearCount: number | null = null;
  loading = true;
  listError = '';
  tab: Tab = saved?.tab ?? 'all';
  filters: QueueFilters = saved ? { ...saved.filters, statuses: [...saved.filters.statuses] } : { ...EMPTY_FILTERS };
  page = saved?.page ?? 1;
  showMap = saved?.showMap ?? false;
  mapFailed = false;
  selectedId: string | null = null;
  stats: UnitStats[] = [];
  statsError = '';
  statsLoading = true;
  period = saved?.period ?? 90;
  /** Reports ticked on this page (cleared whenever the page's rows change). */
  selected: Set<string> = new Set();
  bulkAction: BulkAction | '' = '';
  bulkAgency = '';
  bulkText = '';
  bulkError = '';
  bulkBusy = false;
  /** The confirmation step before the request goes out. */
  bulkConfirm = false;
  bulkSummary: BulkSummary | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.loadReference();
    void this.load();
    void this.loadUnclearCount();
    void this.loadStats();
    if (this.showMap) this.loadMapCode();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    saved = { tab: this.tab, filters: this.filters, page: this.page, showMap: this.showMap, period: this.period };
  }

  private async loadReference(): Promise<void> {
    const [categories, wards, agencies] = await Promise.allSettled([loadCategories(), loadWards(), loadAgencies()]);
    this.names = new Names(
      categories.status === 'fulfilled' ? categories.value : [],
      wards.status === 'fulfilled' ? wards.value : [],
      agencies.status === 'fulfilled' ? agencies.value : [],
    );
  }

  private query(): Record<string, string | number | boolean | undefined> {
    const f = this.filters;
    return {
      page: this.page,
      per_page: PER_PAGE,
      sort: f.sort,
      status: this.tab === 'unclear' ? undefined : f.statuses.join(',') || undefined,
      unclear: this.tab === 'unclear' ? true : undefined,
      agency: f.agency || undefined,
      category: f.category || undefined,
      ward: f.ward || undefined,
      overdue: f.overdue ? true : undefined,
      q: f.q || undefined,
    };
  }

  /** Whether the user handles reports: bulk steps are theirs (the server checks each report). */
  private get canAct(): boolean {
    return session.hasRole('operator', 'staff', 'agency_admin', 'admin');
  }

  private async load(): Promise<void> {
    this.loading = true;
    this.selected = new Set();
    this.bulkConfirm = false;
    try {
      const response = await session.api.get<Page<Report>>('/api/feedback/reports', { query: this.query() });
      this.items = response.items;
      this.total = response.total;
      this.listError = '';
      if (this.selectedId && !this.items.some((r) => r.id === this.selectedId)) this.selectedId = null;
    } catch (error) {
      this.items = [];
      this.total = 0;
      this.listError = describeError(error);
    } finally {
      this.loading = false;
    }
  }

  private async loadUnclearCount(): Promise<void> {
    try {
      const response = await session.api.get<Page<Report>>('/api/feedback/reports', { query: { unclear: true, per_page: 1 } });
      this.unclearCount = response.total;
    } catch {
      this.unclearCount = null;
    }
  }

  private async loadStats(): Promise<void> {
    this.statsLoading = true;
    const from = new Date(Date.now() - this.period * 24 * 3600 * 1000).toISOString();
    try {
      const response = await session.api.get<{ items: UnitStats[] }>('/api/feedback/stats', { query: { from } });
      this.stats = response.items;
      this.statsError = '';
    } catch (error) {
      this.stats = [];
      this.statsError = describeError(error);
    } finally {
      this.statsLoading = false;
    }
  }

  private get pages(): number {
    return Math.max(1, Math.ceil(this.total / PER_PAGE));
  }

  private goToPage(page: number): void {
    this.page = Math.min(Math.max(1, page), this.pages);
    void this.load();
  }

  private selectTab(tab: Tab, focus = false): void {
    if (this.tab === tab) return;
    this.tab = tab;
    this.page = 1;
    void this.load();
    if (focus) void this.updateComplete.then(() => this.querySelector<HTMLElement>(`#feedback-tab-${tab}`)?.focus());
  }

  private onTabKey(event: KeyboardEvent): void {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft' && event.key !== 'Home' && event.key !== 'End') return;
    event.preventDefault();
    const next: Tab = event.key === 'Home' ? 'all' : event.key === 'End' ? 'unclear' : this.tab === 'all' ? 'unclear' : 'all';
    this.selectTab(next, true);
  }

  private onFilter(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const value = (name: string) => String(data.get(name) ?? '').trim();
    this.filters = {
      statuses: data.getAll('status').map(String),
      agency: value('agency'),
      category: value('category'),
      ward: value('ward'),
      overdue: data.get('overdue') === 'on',
      q: value('q'),
      sort: (value('sort') || 'due_at') as SortKey,
    };
    this.page = 1;
    void this.load().then(() => announce(t('queue.resultAnnounce', { count: formatNumber(this.total, getLocale()) })));
  }

  private clearFilters(): void {
    this.filters = { ...EMPTY_FILTERS, statuses: [] };
    const form = this.querySelector<HTMLFormElement>('#queue-filters');
    form?.reset();
    this.page = 1;
    void this.load();
  }

  private loadMapCode(): void {
    import('../components/points-map').catch(() => {
      this.mapFailed = true;
    });
  }

  private setShowMap(show: boolean): void {
    this.showMap = show;
    if (show) this.loadMapCode();
  }

  private selectReport(id: string, scroll: boolean): void {
    this.selectedId = id;
    const report = this.items.find((r) => r.id === id);
    if (report) announce(t('queue.selected', { code: report.tracking_code }));
    if (scroll) {
      void this.updateComplete.then(() =>
        this.querySelector<HTMLElement>(`#queue-table tr[data-id="${CSS.escape(id)}"]`)?.scrollIntoView({ block: 'nearest' }),
      );
    }
  }

  private mapPoints(): MapPoint[] {
    return this.items
      .filter((r) => typeof r.lat === 'number' && typeof r.lon === 'number')
      .map((r) => ({ id: r.id, lat: r.lat!, lon: r.lon!, tone: STATUS_TONE[r.status] ?? 'stopped' }));
  }

  private bulkInput() {
    return { action: this.bulkAction, agencyCode: this.bulkAgency, text: this.bulkText };
  }

  /** First press: checks the form and asks for confirmation. */
  private onBulkSubmit(event: SubmitEvent): void {
    event.preventDefault();
    const problem = bulkProblem(this.selected.size, this.bulkInput());
    if (problem) {
      this.bulkError = t(BULK_PROBLEM_KEY[problem], { max: formatNumber(BULK_MAX, getLocale()) });
      const focus = problem === 'agency' ? '#bulk-agency' : problem === 'text' ? '#bulk-text' : problem === 'action' ? '#bulk-action' : null;
      if (focus) void this.updateComplete.then(() => this.querySelector<HTMLElement>(focus)?.focus());
      return;
    }
    this.bulkError = '';
    this.bulkSummary = null;
    this.bulkConfirm = true;
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('#bulk-confirm-button')?.focus());
  }

  private cancelBulk(): void {
    this.bulkConfirm = false;
    void this.updateComplete.then(() => this.querySelector<HTMLElement>('#bulk-submit')?.focus());
  }

  /** Confirmed: one request, one outcome per report; the list is read again. */
  private async runBulk(): Promise<void> {
    const action = this.bulkAction;
    if (action === '' || this.bulkBusy) return;
    this.bulkBusy = true;
    const ids = this.items.filter((r) => this.selected.has(r.id)).map((r) => r.id);
    const codes = new Map(this.items.map((r) => [r.id, r.tracking_code]));
    try {
      const outcome = await session.api.post<BulkOutcome>(
        '/api/feedback/reports/bulk',
        buildBulkRequest(ids, { action, agencyCode: this.bulkAgency, text: this.bulkText }),
      );
      const summary = summarizeBulk(outcome, (id) => codes.get(id));
      this.bulkSummary = summary;
      this.bulkError = '';
      this.bulkConfirm = false;
      this.bulkText = '';
      const locale = getLocale();
      announce(
        t(summary.failures.length === 0 ? 'bulk.doneAll' : 'bulk.doneSome', {
          done: formatNumber(summary.succeeded, locale),
          total: formatNumber(summary.total, locale),
          failed: formatNumber(summary.failures.length, locale),
        }),
      );
      await this.load();
      void this.loadUnclearCount();
      void this.updateComplete.then(() => this.querySelector<HTMLElement>('#bulk-results-heading')?.focus());
    } catch (error) {
      this.bulkError = describeError(error);
      this.bulkConfirm = false;
    } finally {
      this.bulkBusy = false;
    }
  }

  private problemText(problem: Record<string, unknown>): string {
    return describeError(parseProblem(Number(problem['status'] ?? 0) || 500, 'application/problem+json', JSON.stringify(problem)));
  }

  private renderBulk(): TemplateResult | typeof nothing {
    if (!this.canAct) return nothing;
    const locale = getLocale();
    const actions = bulkActions({ operator: session.hasRole('operator', 'admin') });
    const needs = this.bulkAction === '' ? null : bulkNeeds(this.bulkAction);
    const agencies = [...this.names.agencies].sort((a, b) =>
      compareText(agencyDisplayName(a, locale), agencyDisplayName(b, locale), locale),
    );
    const count = this.selected.size;
    const summary = this.bulkSummary;
    return html`<form id="bulk-form" class="form bulk-bar" aria-labelledby="bulk-heading" novalidate @submit=${(e: SubmitEvent) => this.onBulkSubmit(e)}>
        <h3 id="bulk-heading">${t('bulk.heading')}</h3>
        <p class="bulk-count" id="bulk-count" data-selected=${count}>${t('bulk.selectedCount', { count: formatNumber(count, locale) })}</p>
        <div class="filter-grid">
          <div class="field">
            <label for="bulk-action">${t('bulk.action')}</label>
            <select
              id="bulk-action"
              aria-describedby="bulk-count"
              @change=${(e: Event) => {
                this.bulkAction = (e.target as HTMLSelectElement).value as BulkAction | '';
                this.bulkConfirm = false;
              }}
            >
              <option value="" ?selected=${this.bulkAction === ''}>${t('bulk.chooseAction')}</option>
              ${actions.map((a) => html`<option value=${a} ?selected=${a === this.bulkAction}>${t(BULK_ACTION_KEY[a])}</option>`)}
            </select>
          </div>
          ${needs?.agency
            ? html`<div class="field">
                <label for="bulk-agency">${t('bulk.agency')} <span class="required">${t('common.required')}</span></label>
                <select id="bulk-agency" @change=${(e: Event) => (this.bulkAgency = (e.target as HTMLSelectElement).value)}>
                  <option value="" ?selected=${this.bulkAgency === ''}>${t('bulk.chooseAgency')}</option>
                  ${agencies.map((a) => html`<option value=${a.code} ?selected=${a.code === this.bulkAgency}>${agencyDisplayName(a, locale)}</option>`)}
                </select>
              </div>`
            : nothing}
        </div>
        ${needs
          ? html`<div class="field">
              <label for="bulk-text"
                >${needs.text === 'reason' ? t('bulk.reason') : t('bulk.message')}
                <span class=${needs.textRequired ? 'required' : 'optional'}>${needs.textRequired ? t('common.required') : t('common.optional')}</span></label
              >
              <textarea id="bulk-text" rows="2" aria-describedby="bulk-text-hint" .value=${this.bulkText} @input=${(e: Event) => (this.bulkText = (e.target as HTMLTextAreaElement).value)}></textarea>
              <p class="hint" id="bulk-text-hint">${t('bulk.textHint')}</p>
            </div>`
          : nothing}
        <div class="form-error" id="bulk-error" role="alert" aria-live="assertive">${this.bulkError}</div>
        ${this.bulkConfirm && this.bulkAction !== ''
          ? html`<div class="notice bulk-confirm" role="group" aria-labelledby="bulk-confirm-text">
              <p id="bulk-confirm-text">
                ${t('bulk.confirm', { action: t(BULK_ACTION_KEY[this.bulkAction]), count: formatNumber(count, locale) })}
              </p>
              <div class="form-actions">
                <button type="button" class="button" id="bulk-confirm-button" ?disabled=${this.bulkBusy} @click=${() => void this.runBulk()}>
                  ${this.bulkBusy ? t('bulk.running') : t('bulk.confirmButton')}
                </button>
                <button type="button" class="button button-secondary" ?disabled=${this.bulkBusy} @click=${() => this.cancelBulk()}>
                  ${t('common.cancel')}
                </button>
              </div>
            </div>`
          : html`<div class="form-actions">
              <button type="submit" class="button" id="bulk-submit" data-action="bulk">${t('bulk.apply')}</button>
            </div>`}
      </form>
      ${summary
        ? html`<section class="card bulk-results" aria-labelledby="bulk-results-heading" data-done=${summary.succeeded} data-failed=${summary.failures.length}>
            <h3 id="bulk-results-heading" tabindex="-1">
              ${t(summary.failures.length === 0 ? 'bulk.doneAll' : 'bulk.doneSome', {
                done: formatNumber(summary.succeeded, locale),
                total: formatNumber(summary.total, locale),
                failed: formatNumber(summary.failures.length, locale),
              })}
            </h3>
            ${summary.failures.length > 0
              ? html`<ul class="bulk-failures">
                  ${summary.failures.map((f) => html`<li data-id=${f.id}><strong>${f.label}</strong>: ${this.problemText(f.problem)}</li>`)}
                </ul>`
              : nothing}
            <button type="button" class="button button-small button-secondary" @click=${() => (this.bulkSummary = null)}>${t('common.close')}</button>
          </section>`
        : nothing}`;
  }

  private renderExport(): TemplateResult {
    const locale = getLocale();
    const filters = this.query();
    const tooBig = this.total > XLSX_MAX_ROWS;
    return html`<div class="export-links" role="group" aria-labelledby="export-label">
      <span id="export-label" class="export-label">${t('export.label')}</span>
      <a class="button button-small button-secondary" href=${exportHref(filters, 'csv', locale)} download data-export="csv">${t('export.csv')}</a>
      ${tooBig
        ? html`<button type="button" class="button button-small button-secondary" disabled aria-describedby="export-xlsx-hint">${t('export.xlsx')}</button>
            <span class="hint" id="export-xlsx-hint">${t('export.tooBig', { max: formatNumber(XLSX_MAX_ROWS, locale) })}</span>`
        : html`<a class="button button-small button-secondary" href=${exportHref(filters, 'xlsx', locale)} download data-export="xlsx">${t('export.xlsx')}</a>`}
    </div>`;
  }

  private renderSelectAll(): TemplateResult {
    const ids = this.items.map((r) => r.id);
    const state = pageSelection(this.selected, ids);
    return html`<input
      type="checkbox"
      id="queue-select-page"
      aria-label=${t('bulk.selectPage')}
      .checked=${state === 'all'}
      .indeterminate=${state === 'some'}
      ?disabled=${ids.length === 0}
      @change=${(e: Event) => {
        this.selected = selectPage(this.selected, ids, (e.target as HTMLInputElement).checked);
      }}
    />`;
  }

  private renderSummary(): TemplateResult {
    const locale = getLocale();
    const summary = summarizeStats(this.stats);
    const none = t('common.none');
    return html`<section class="card feedback-summary" aria-labelledby="feedback-summary-heading">
      <div class="section-head">
        <h2 id="feedback-summary-heading">${t('queue.summaryHeading', { days: formatNumber(this.period, locale) })}</h2>
        <div class="field field-compact">
          <label for="stats-period">${t('queue.period')}</label>
          <select
            id="stats-period"
            @change=${(e: Event) => {
              this.period = Number((e.target as HTMLSelectElement).value);
              void this.loadStats();
            }}
          >
            ${[30, 90, 365].map((days) => html`<option value=${days} ?selected=${days === this.period}>${t('queue.periodDays', { days })}</option>`)}
          </select>
        </div>
      </div>
      <div class="form-error" role="alert">${this.statsError}</div>
      ${this.statsLoading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
      <ul class="stat-list feedback-stats" data-units=${summary.units}>
        <li><span class="stat-value" data-stat="received">${formatNumber(summary.received, locale)}</span> <span>${t('stats.received')}</span></li>
        <li>
          <span class="stat-value" data-stat="on-time">${summary.onTimePct === null ? none : formatPercent(summary.onTimePct, locale)}</span>
          <span>${t('stats.onTime')}</span>
        </li>
        <li><span class="stat-value" data-stat="overdue">${formatNumber(summary.overdue, locale)}</span> <span>${t('stats.overdue')}</span></li>
        <li><span class="stat-value" data-stat="open">${formatNumber(summary.open, locale)}</span> <span>${t('stats.open')}</span></li>
        <li>
          <span class="stat-value" data-stat="hours">${summary.avgHandlingHours === null ? none : formatHours(summary.avgHandlingHours, locale)}</span>
          <span>${t('stats.avgHours')}</span>
        </li>
        <li>
          <span class="stat-value" data-stat="satisfaction"
            >${summary.satisfaction === null ? none : t('stats.ratingValue', { value: formatNumber(summary.satisfaction, locale, 1) })}</span
          >
          <span>${t('stats.satisfactionCount', { count: formatNumber(summary.ratings, locale) })}</span>
        </li>
      </ul>
      <p class="hint">${t('queue.summaryHint')}</p>
    </section>`;
  }

  private renderFilters(): TemplateResult {
    const locale = getLocale();
    const f = this.filters;
    const agencies = [...this.names.agencies].sort((a, b) =>
      compareText(agencyDisplayName(a, locale), agencyDisplayName(b, locale), locale),
    );
    return html`<form id="queue-filters" class="form filter-form" role="search" aria-labelledby="queue-filter-heading" novalidate @submit=${(e: SubmitEvent) => this.onFilter(e)}>
      <h2 id="queue-filter-heading">${t('queue.filterHeading')}</h2>
      <div class="field">
        <label for="queue-q">${t('queue.search')}</label>
        <input id="queue-q" name="q" type="search" autocomplete="off" aria-describedby="queue-q-hint" .value=${f.q} />
        <p class="hint" id="queue-q-hint">${t('queue.searchHint')}</p>
      </div>
      ${this.tab === 'all'
        ? html`<fieldset class="fieldset status-filter">
            <legend>${t('queue.status')}</legend>
            <div class="checkbox-grid">
              ${STATUSES.map(
                (status) => html`<div class="checkbox-field">
                  <input type="checkbox" id="queue-status-${status}" name="status" value=${status} .checked=${f.statuses.includes(status)} />
                  <label for="queue-status-${status}">${statusLabel(status)}</label>
                </div>`,
              )}
            </div>
          </fieldset>`
        : nothing}
      <div class="filter-grid">
        <div class="field">
          <label for="queue-agency">${t('queue.agency')}</label>
          <select id="queue-agency" name="agency">
            <option value="">${t('queue.any')}</option>
            ${agencies.map((a) => html`<option value=${a.code} ?selected=${a.code === f.agency}>${agencyDisplayName(a, locale)}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="queue-category">${t('queue.category')}</label>
          <select id="queue-category" name="category">
            <option value="">${t('queue.any')}</option>
            ${categoryGroups(this.names.categories).map(
              ({ group, leaves }) => html`<optgroup label=${group ? this.names.category(group.code) : t('reportForm.categoryOther')}>
                ${leaves.map((c) => html`<option value=${c.code} ?selected=${c.code === f.category}>${this.names.category(c.code)}</option>`)}
              </optgroup>`,
            )}
          </select>
        </div>
        <div class="field">
          <label for="queue-ward">${t('queue.ward')}</label>
          <select id="queue-ward" name="ward">
            <option value="">${t('queue.any')}</option>
            ${this.names.wards.map((w) => html`<option value=${w.code} ?selected=${w.code === f.ward} lang="vi">${w.name}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="queue-sort">${t('queue.sort')}</label>
          <select id="queue-sort" name="sort">
            <option value="due_at" ?selected=${f.sort === 'due_at'}>${t('queue.sortDue')}</option>
            <option value="-received_at" ?selected=${f.sort === '-received_at'}>${t('queue.sortNewest')}</option>
            <option value="received_at" ?selected=${f.sort === 'received_at'}>${t('queue.sortOldest')}</option>
          </select>
        </div>
      </div>
      <div class="field checkbox-field">
        <input type="checkbox" id="queue-overdue" name="overdue" .checked=${f.overdue} />
        <label for="queue-overdue">${t('queue.overdueOnly')}</label>
      </div>
      <div class="form-actions">
        <button type="submit" class="button" data-action="filter">${t('queue.apply')}</button>
        <button type="button" class="button button-secondary" @click=${() => this.clearFilters()}>${t('queue.clear')}</button>
      </div>
    </form>`;
  }

  private renderRow(report: Report): TemplateResult {
    const locale = getLocale();
    const selected = report.id === this.selectedId;
    return html`<tr
      data-id=${report.id}
      data-code=${report.tracking_code}
      data-status=${report.status}
      class=${selected ? 'selected' : ''}
      aria-current=${selected ? 'true' : nothing}
    >
      ${this.canAct
        ? html`<td class="select-cell">
            <input
              type="checkbox"
              id="select-${report.id}"
              aria-label=${t('bulk.selectOne', { code: report.tracking_code })}
              .checked=${this.selected.has(report.id)}
              @change=${(e: Event) => {
                this.selected = toggleOne(this.selected, report.id, (e.target as HTMLInputElement).checked);
              }}
            />
          </td>`
        : nothing}
      <th scope="row"><a href=${href(`/feedback/${report.tracking_code}`)} class="code-link">${report.tracking_code}</a></th>
      <td class="queue-text">
        <span class="queue-category">${this.names.category(report.category_code)}</span>
        <span class="status-detail">${excerpt(report.description)}</span>
      </td>
      <td lang="vi" class="col-ward">${this.names.ward(report.jurisdiction_code)}</td>
      <td class="col-agency">${this.names.agency(report.agency_code)}</td>
      <td>${statusBadge(report.status)}</td>
      <td class="col-due">${deadlineCell(report)}</td>
      <td><time datetime=${report.received_at}>${formatDateTime(report.received_at, locale)}</time></td>
    </tr>`;
  }

  private renderMapPanel(): TemplateResult | typeof nothing {
    if (!this.showMap) return nothing;
    const points = this.mapPoints();
    const selected = this.items.find((r) => r.id === this.selectedId);
    const locale = getLocale();
    return html`<div class="map-layout queue-map">
      <section class="map-frame" aria-label=${t('queue.mapRegion')}>
        ${this.mapFailed
          ? html`<p class="notice notice-warning" role="alert">${t('feedback.mapUnavailable')}</p>`
          : html`<cityos-points-map
              .label=${t('queue.mapLabel')}
              .points=${points}
              .selectedId=${this.selectedId}
              @point-select=${(e: CustomEvent<{ id: string }>) => this.selectReport(e.detail.id, true)}
            ></cityos-points-map>`}
      </section>
      <section class="card map-details" aria-labelledby="queue-map-details">
        <h3 id="queue-map-details">${t('queue.mapDetails')}</h3>
        <p class="hint">${t('queue.mapNote', { shown: formatNumber(points.length, locale), total: formatNumber(this.items.length, locale) })}</p>
        ${selected
          ? html`<dl class="facts">
              <dt>${t('report.trackingCode')}</dt>
              <dd><a href=${href(`/feedback/${selected.tracking_code}`)}>${selected.tracking_code}</a></dd>
              <dt>${t('report.category')}</dt>
              <dd>${this.names.category(selected.category_code)}</dd>
              <dt>${t('report.status')}</dt>
              <dd>${statusBadge(selected.status)}</dd>
              <dt>${t('report.dueAt')}</dt>
              <dd>${deadlineCell(selected)}</dd>
            </dl>`
          : html`<p>${t('queue.mapEmpty')}</p>`}
      </section>
    </div>`;
  }

  private renderQueue(): TemplateResult {
    const locale = getLocale();
    const tab = (id: Tab, label: string) => html`<button
      type="button"
      role="tab"
      id="feedback-tab-${id}"
      aria-selected=${this.tab === id ? 'true' : 'false'}
      aria-controls="feedback-queue-panel"
      tabindex=${this.tab === id ? '0' : '-1'}
      class="tab"
      @click=${() => this.selectTab(id)}
      @keydown=${(e: KeyboardEvent) => this.onTabKey(e)}
    >
      ${label}
    </button>`;
    return html`<div class="tabs" role="tablist" aria-label=${t('queue.tabsLabel')}>
        ${tab('all', t('queue.tabAll'))}
        ${tab(
          'unclear',
          this.unclearCount === null ? t('queue.tabUnclear') : t('queue.tabUnclearCount', { count: formatNumber(this.unclearCount, locale) }),
        )}
      </div>
      <div class="tab-panel" role="tabpanel" id="feedback-queue-panel" aria-labelledby="feedback-tab-${this.tab}">
        ${this.tab === 'unclear' ? html`<p class="notice">${t('queue.unclearIntro')}</p>` : nothing} ${this.renderFilters()}
        <section aria-labelledby="queue-list-heading">
          <div class="section-head">
            <h2 id="queue-list-heading">${t('queue.listHeading')}</h2>
            <div class="view-switch" role="group" aria-label=${t('queue.viewLabel')}>
              <button type="button" class="button button-small button-secondary" aria-pressed=${this.showMap ? 'false' : 'true'} data-view="list" @click=${() => this.setShowMap(false)}>
                ${t('queue.viewList')}
              </button>
              <button type="button" class="button button-small button-secondary" aria-pressed=${this.showMap ? 'true' : 'false'} data-view="map" @click=${() => this.setShowMap(true)}>
                ${t('queue.viewMap')}
              </button>
            </div>
          </div>
          ${listStatus({ error: this.listError, loading: this.loading, total: this.total, announceCount: false })} ${this.renderExport()}
          ${this.renderMapPanel()} ${this.renderBulk()}
          <div class="table-scroll">
            <table class="data-table queue-table" id="queue-table">
              <caption class="visually-hidden">${t('queue.listHeading')}</caption>
              <thead>
                <tr>
                  ${this.canAct ? html`<th scope="col" class="select-cell">${this.renderSelectAll()}</th>` : nothing}
                  <th scope="col">${t('queue.colCode')}</th>
                  <th scope="col">${t('queue.colCategory')}</th>
                  <th scope="col">${t('queue.colWard')}</th>
                  <th scope="col">${t('queue.colAgency')}</th>
                  <th scope="col">${t('queue.colStatus')}</th>
                  <th scope="col">${t('queue.colDue')}</th>
                  <th scope="col">${t('queue.colReceived')}</th>
                </tr>
              </thead>
              <tbody>
                ${this.items.length === 0 && !this.loading
                  ? html`<tr>
                      <td colspan=${this.canAct ? 8 : 7}>${t('queue.empty')}</td>
                    </tr>`
                  : nothing}
                ${this.items.map((report) => this.renderRow(report))}
              </tbody>
            </table>
          </div>
          ${pager({ label: t('queue.pagination'), page: this.page, pages: this.pages, loading: this.loading, go: (page) => this.goToPage(page) })}
        </section>
      </div>`;
  }

  private renderUnits(): TemplateResult {
    const locale = getLocale();
    const rows = [...this.stats].sort((a, b) => b.received - a.received || compareText(this.names.agency(a.agency_code), this.names.agency(b.agency_code), locale));
    return html`<section class="unit-stats" aria-labelledby="unit-stats-heading">
      <h2 id="unit-stats-heading">${t('queue.unitsHeading')}</h2>
      <p class="hint">${t('queue.unitsHint')}</p>
      ${unitStatsTable({
        id: 'unit-stats-table',
        caption: t('queue.unitsHeading'),
        labelledBy: 'unit-stats-heading',
        scrollClass: 'unit-stats-scroll',
        rows,
        unitName: (code) => this.names.agency(code),
        withOpen: true,
        empty: this.statsLoading ? undefined : t('stats.empty'),
      })}
    </section>`;
  }

  override render(): TemplateResult {
    return html`<div class="page page-wide feedback-page">
      <div class="page-head">
        <h1 tabindex="-1">${t('queue.title')}</h1>
        <div class="page-actions">
          ${session.hasRole('operator', 'admin')
            ? html`<a class="button button-secondary" href=${href('/feedback/inbox')} data-action="inbox">${t('inbox.title')}</a>`
            : nothing}
          ${session.hasRole('operator')
            ? html`<a class="button" href=${href('/feedback/new')} data-action="phone-report">${t('queue.phoneReport')}</a>`
            : nothing}
        </div>
      </div>
      <p class="lead">${t('module.feedback.about')}</p>
      ${this.renderSummary()} ${this.renderQueue()} ${this.renderUnits()}
    </div>`;
  }
}

customElements.define('cityos-feedback-page', FeedbackPage);
