import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import type { MapPoint } from '../components/points-map';
import { announce } from '../announcer';
import { describeError } from '../api/errors';
import type { Page, Report, UnitStats } from '../api/types';
import { deadlineCell, statusBadge } from '../feedback/badges';
import { categoryGroups, STATUSES, summarizeStats } from '../feedback/model';
import { agencyDisplayName, loadAgencies, loadCategories, loadWards, Names, statusLabel } from '../feedback/reference';
import { getLocale, t } from '../i18n';
import { compareText, formatDateTime, formatHours, formatNumber, formatPercent } from '../i18n/format';
import { href } from '../router';
import { session } from '../session';

const PER_PAGE = 20;
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
 * the table, and the per-unit dashboard from `GET /api/feedback/stats`.
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

  private async load(): Promise<void> {
    this.loading = true;
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
      <th scope="row"><a href=${href(`/feedback/${report.tracking_code}`)} class="code-link">${report.tracking_code}</a></th>
      <td class="queue-text">
        <span class="queue-category">${this.names.category(report.category_code)}</span>
        <span class="status-detail">${excerpt(report.description)}</span>
      </td>
      <td lang="vi">${this.names.ward(report.jurisdiction_code)}</td>
      <td>${this.names.agency(report.agency_code)}</td>
      <td>${statusBadge(report.status)}</td>
      <td>${deadlineCell(report)}</td>
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
          <div class="form-error" role="alert" aria-live="assertive">${this.listError}</div>
          ${this.loading ? html`<p role="status">${t('common.loading')}</p>` : nothing}
          <p class="result-count" data-total=${this.total}>${t('common.totalItems', { count: formatNumber(this.total, locale) })}</p>
          ${this.renderMapPanel()}
          <div class="table-scroll">
            <table class="data-table queue-table" id="queue-table">
              <caption class="visually-hidden">${t('queue.listHeading')}</caption>
              <thead>
                <tr>
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
                      <td colspan="7">${t('queue.empty')}</td>
                    </tr>`
                  : nothing}
                ${this.items.map((report) => this.renderRow(report))}
              </tbody>
            </table>
          </div>
          <nav class="pagination" aria-label=${t('queue.pagination')}>
            <button type="button" class="button button-secondary" ?disabled=${this.page <= 1 || this.loading} @click=${() => this.goToPage(this.page - 1)}>
              ${t('common.previous')}
            </button>
            <span>${t('common.pageOf', { page: formatNumber(this.page, locale), pages: formatNumber(this.pages, locale) })}</span>
            <button
              type="button"
              class="button button-secondary"
              ?disabled=${this.page >= this.pages || this.loading}
              @click=${() => this.goToPage(this.page + 1)}
            >
              ${t('common.next')}
            </button>
          </nav>
        </section>
      </div>`;
  }

  private renderUnits(): TemplateResult {
    const locale = getLocale();
    const none = t('common.none');
    const rows = [...this.stats].sort((a, b) => b.received - a.received || compareText(this.names.agency(a.agency_code), this.names.agency(b.agency_code), locale));
    return html`<section class="unit-stats" aria-labelledby="unit-stats-heading">
      <h2 id="unit-stats-heading">${t('queue.unitsHeading')}</h2>
      <p class="hint">${t('queue.unitsHint')}</p>
      <div class="table-scroll unit-stats-scroll" tabindex="0" role="region" aria-labelledby="unit-stats-heading">
        <table class="data-table" id="unit-stats-table">
          <caption class="visually-hidden">${t('queue.unitsHeading')}</caption>
          <thead>
            <tr>
              <th scope="col">${t('stats.unit')}</th>
              <th scope="col" class="num">${t('stats.received')}</th>
              <th scope="col" class="num">${t('stats.resolved')}</th>
              <th scope="col" class="num">${t('stats.onTime')}</th>
              <th scope="col" class="num">${t('stats.overdue')}</th>
              <th scope="col" class="num">${t('stats.open')}</th>
              <th scope="col" class="num">${t('stats.avgHours')}</th>
              <th scope="col" class="num">${t('stats.satisfaction')}</th>
            </tr>
          </thead>
          <tbody>
            ${rows.length === 0 && !this.statsLoading
              ? html`<tr>
                  <td colspan="8">${t('stats.empty')}</td>
                </tr>`
              : nothing}
            ${rows.map(
              (unit) => html`<tr data-agency=${unit.agency_code}>
                <th scope="row">${this.names.agency(unit.agency_code)}</th>
                <td class="num">${formatNumber(unit.received, locale)}</td>
                <td class="num">${formatNumber(unit.resolved, locale)}</td>
                <td class="num">${unit.on_time_pct === null ? none : formatPercent(unit.on_time_pct, locale)}</td>
                <td class="num">${formatNumber(unit.overdue, locale)}</td>
                <td class="num">${formatNumber(unit.open, locale)}</td>
                <td class="num">${unit.avg_handling_hours === null ? none : formatHours(unit.avg_handling_hours, locale)}</td>
                <td class="num">
                  ${unit.satisfaction === null
                    ? none
                    : html`${t('stats.ratingValue', { value: formatNumber(unit.satisfaction, locale, 1) })}
                        <span class="status-detail">${t('stats.ratingsCount', { count: formatNumber(unit.ratings, locale) })}</span>`}
                </td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
    </section>`;
  }

  override render(): TemplateResult {
    return html`<div class="page page-wide feedback-page">
      <div class="page-head">
        <h1 tabindex="-1">${t('queue.title')}</h1>
        ${session.hasRole('operator')
          ? html`<a class="button" href=${href('/feedback/new')} data-action="phone-report">${t('queue.phoneReport')}</a>`
          : nothing}
      </div>
      <p class="lead">${t('module.feedback.about')}</p>
      ${this.renderSummary()} ${this.renderQueue()} ${this.renderUnits()}
    </div>`;
  }
}

customElements.define('cityos-feedback-page', FeedbackPage);
