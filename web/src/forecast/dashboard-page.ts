/**
 * `#/forecast` — the city dashboard: a card per main indicator (latest value
 * with unit and period, change on the previous period and on the same period
 * last year, the next forecast with its 80% interval, a sparkline) and the
 * list of every indicator, both filtered by frequency and area. Illustrative
 * (demo) data is labelled as such.
 */
import { html, nothing, svg, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { describeError } from '../api/errors';
import { getLocale, t } from '../i18n';
import { formatNumber, type Locale } from '../i18n/format';
import { session } from '../session';
import { href } from '../router';
import { ForecastApi } from './api';
import { sparklinePath } from './chart';
import { changeDirection, digitsFor, FREQUENCIES, formatChange, formatPeriod, formatValue, type Frequency } from './format';
import { frequencyName, indicatorName, jurisdictionName } from './labels';
import { loadWards } from '../feedback/reference';
import { filterIndicators, nextInterval, type JurisdictionFilter } from './model';
import type { Change, IndicatorSummary } from './types';
import './forecast.css';

const SPARK_PERIODS = 24;

export class ForecastDashboardPage extends ConsoleElement {
  static override properties = {
    main: { state: true },
    all: { state: true },
    sparks: { state: true },
    loading: { state: true },
    error: { state: true },
    frequency: { state: true },
    jurisdiction: { state: true },
    wardNames: { state: true },
  };

  main: IndicatorSummary[] = [];
  all: IndicatorSummary[] = [];
  /** Recent values per indicator id, for the sparklines. */
  sparks: Record<string, Array<number | null>> = {};
  /** Ward names by GSO code, for the table's area column. */
  wardNames: Record<string, string> = {};
  loading = true;
  error = '';
  frequency: Frequency | '' = '';
  jurisdiction: JurisdictionFilter = '';

  private readonly api = new ForecastApi(session.api);
  private abort: AbortController | null = null;

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
  }

  private async load(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    this.loading = true;
    this.error = '';
    try {
      const [dashboard, list, wards] = await Promise.all([
        this.api.dashboard(abort.signal),
        this.api.indicators({}, abort.signal),
        loadWards().catch(() => []),
      ]);
      this.main = dashboard.indicators;
      this.all = list.indicators;
      this.wardNames = Object.fromEntries(wards.map((w) => [w.code, w.name]));
      this.loading = false;
      await this.loadSparks(abort.signal);
    } catch (error) {
      if (abort.signal.aborted) return;
      this.error = describeError(error);
      this.loading = false;
    }
  }

  /**
   * The main indicators' recent values (sparklines), where the summary has none;
   * three requests at a time; a failed one only loses its sparkline. (The next
   * period's 80% interval comes with the summary.)
   */
  private async loadSparks(signal: AbortSignal): Promise<void> {
    const next: Record<string, Array<number | null>> = {};
    for (const i of this.main) if (i.recent) next[i.id] = i.recent.slice(-SPARK_PERIODS);
    this.sparks = { ...next };
    const tasks: Array<() => Promise<void>> = [];
    for (const item of this.main) {
      if (!item.recent && item.observations > 1) {
        tasks.push(async () => {
          const series = await this.api.series(item.id, null, signal);
          next[item.id] = series.observations.slice(-SPARK_PERIODS).map((o) => o.value);
          this.sparks = { ...next };
        });
      }
    }
    const worker = async () => {
      for (let task = tasks.shift(); task; task = tasks.shift()) {
        try {
          await task();
        } catch {
          if (signal.aborted) return;
        }
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  }

  private renderChange(label: string, change: Change | null, frequency: Frequency, locale: Locale): TemplateResult {
    const pct = change?.pct ?? null;
    const direction = changeDirection(pct);
    const arrow = direction === 'up' ? '▲' : direction === 'down' ? '▼' : direction === 'flat' ? '■' : '';
    return html`<div class="fc-change fc-change-${direction}">
      <dt>${label}${change ? html` <span class="fc-muted">(${formatPeriod(change.period, frequency, locale)})</span>` : nothing}</dt>
      <dd>
        ${arrow ? html`<span aria-hidden="true">${arrow}</span>` : nothing}
        <span class="visually-hidden">${t(`forecast.change.${direction}`)}</span>
        ${formatChange(pct, locale)}
      </dd>
    </div>`;
  }

  private renderCard(indicator: IndicatorSummary): TemplateResult {
    const locale = getLocale();
    const name = indicatorName(indicator, locale);
    const spark = this.sparks[indicator.id] ?? [];
    const values = spark.filter((v): v is number => v !== null);
    const digits = digitsFor(indicator.latest ? [indicator.latest.value, ...values] : values);
    const value = (v: number) => formatValue(v, indicator.unit, locale, digits);
    const next = indicator.next_forecast;
    const interval = nextInterval(indicator);
    const path = sparklinePath(spark, 160, 40);
    const headingId = `fc-card-${indicator.id}`;
    return html`<li class="card fc-card" data-indicator=${indicator.id}>
      <h3 id=${headingId}><a href=${href(`/forecast/${encodeURIComponent(indicator.id)}`)}>${name}</a></h3>
      <p class="fc-card-tags">
        <span class="badge badge-muted">${frequencyName(indicator.frequency)}</span>
        ${indicator.illustrative ? html`<span class="badge badge-warning">${t('forecast.illustrative')}</span>` : nothing}
      </p>
      ${indicator.latest
        ? html`<p class="fc-latest">
            <span class="fc-muted">${t('forecast.latest', { period: formatPeriod(indicator.latest.period, indicator.frequency, locale) })}</span>
            <strong class="fc-latest-value">${value(indicator.latest.value)}</strong>
          </p>`
        : html`<p class="fc-muted">${t('forecast.noData')}</p>`}
      <dl class="fc-changes">
        ${this.renderChange(t('forecast.changePrevious'), indicator.change_previous, indicator.frequency, locale)}
        ${this.renderChange(t('forecast.changeYear'), indicator.change_year, indicator.frequency, locale)}
      </dl>
      ${next
        ? html`<p class="fc-next">
            <span class="fc-muted">${t('forecast.nextForecast', { period: formatPeriod(next.period, indicator.frequency, locale) })}</span>
            <strong>${value(next.value)}</strong>
            ${interval ? html`<span class="fc-interval">${t('forecast.interval80', { lo: value(interval[0]), hi: value(interval[1]) })}</span>` : nothing}
          </p>`
        : html`<p class="fc-muted">${t('forecast.noForecast')}</p>`}
      ${path
        ? svg`<svg class="fc-spark" viewBox="0 0 160 40" width="160" height="40" role="img"
            aria-label=${t('forecast.sparkline', { count: formatNumber(spark.length, locale), name })}>
            <path d=${path} fill="none" stroke="#0b5394" stroke-width="1.5"></path>
          </svg>`
        : nothing}
    </li>`;
  }

  private renderFilters(): TemplateResult {
    return html`<form class="fc-filters" aria-label=${t('forecast.filtersLabel')} @submit=${(e: Event) => e.preventDefault()}>
      <div class="field field-compact">
        <label for="fc-filter-frequency">${t('forecast.frequency')}</label>
        <select id="fc-filter-frequency" @change=${(e: Event) => (this.frequency = (e.target as HTMLSelectElement).value as Frequency | '')}>
          <option value="" ?selected=${this.frequency === ''}>${t('forecast.frequencyAll')}</option>
          ${FREQUENCIES.map((f) => html`<option value=${f} ?selected=${this.frequency === f}>${frequencyName(f)}</option>`)}
        </select>
      </div>
      <div class="field field-compact">
        <label for="fc-filter-jurisdiction">${t('forecast.jurisdiction')}</label>
        <select id="fc-filter-jurisdiction" @change=${(e: Event) => (this.jurisdiction = (e.target as HTMLSelectElement).value as JurisdictionFilter)}>
          <option value="" ?selected=${this.jurisdiction === ''}>${t('forecast.jurisdictionAll')}</option>
          <option value="city" ?selected=${this.jurisdiction === 'city'}>${t('forecast.jurisdictionCity')}</option>
          <option value="wards" ?selected=${this.jurisdiction === 'wards'}>${t('forecast.jurisdictionWards')}</option>
        </select>
      </div>
    </form>`;
  }

  private renderTable(list: IndicatorSummary[]): TemplateResult {
    const locale = getLocale();
    return html`<div class="table-scroll" tabindex="0" role="region" aria-labelledby="fc-all-heading">
      <table class="data-table fc-list">
        <caption class="visually-hidden">${t('forecast.allHeading')}</caption>
        <thead>
          <tr>
            <th scope="col">${t('forecast.colName')}</th>
            <th scope="col">${t('forecast.frequency')}</th>
            <th scope="col">${t('forecast.jurisdiction')}</th>
            <th scope="col">${t('forecast.colPeriod')}</th>
            <th scope="col" class="num">${t('forecast.colLatest')}</th>
            <th scope="col" class="num">${t('forecast.colNext')}</th>
          </tr>
        </thead>
        <tbody>
          ${list.map((i) => {
            const digits = digitsFor(i.latest ? [i.latest.value] : []);
            return html`<tr data-indicator=${i.id}>
              <th scope="row">
                <a href=${href(`/forecast/${encodeURIComponent(i.id)}`)}>${indicatorName(i, locale)}</a>
                ${i.illustrative ? html`<span class="badge badge-warning">${t('forecast.illustrative')}</span>` : nothing}
              </th>
              <td>${frequencyName(i.frequency)}</td>
              <td>${jurisdictionName(i.jurisdiction, this.wardNames)}</td>
              <td>${i.latest ? formatPeriod(i.latest.period, i.frequency, locale) : '—'}</td>
              <td class="num">${formatValue(i.latest?.value, i.unit, locale, digits)}</td>
              <td class="num">${i.next_forecast ? formatValue(i.next_forecast.value, i.unit, locale, digits) : '—'}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
  }

  override render(): TemplateResult {
    const locale = getLocale();
    const main = filterIndicators(this.main, this.frequency, this.jurisdiction);
    const all = filterIndicators(this.all, this.frequency, this.jurisdiction);
    const illustrative = [...this.main, ...this.all].some((i) => i.illustrative);
    return html`<div class="page page-wide fc-page">
      <h1 tabindex="-1">${t('forecast.title')}</h1>
      <p class="lead">${t('forecast.intro')}</p>
      ${illustrative ? html`<p class="notice notice-warning fc-illustrative"><strong>${t('forecast.illustrative')}.</strong> ${t('forecast.illustrativeNotice')}</p>` : nothing}
      ${this.renderFilters()}
      <div class="form-error" role="alert">${this.error}</div>
      ${this.loading
        ? html`<p class="loading" role="status">${t('app.loading')}</p>`
        : html`<section aria-labelledby="fc-main-heading">
              <h2 id="fc-main-heading">${t('forecast.mainHeading')}</h2>
              ${main.length > 0 ? html`<ul class="fc-cards">${main.map((i) => this.renderCard(i))}</ul>` : html`<p>${t('forecast.none')}</p>`}
            </section>
            <section aria-labelledby="fc-all-heading">
              <h2 id="fc-all-heading">${t('forecast.allHeading')}</h2>
              <p class="result-count" role="status">${t('forecast.count', { count: formatNumber(all.length, locale) })}</p>
              ${all.length > 0 ? this.renderTable(all) : html`<p>${t('forecast.none')}</p>`}
            </section>`}
    </div>`;
  }
}

customElements.define('cityos-forecast-dashboard-page', ForecastDashboardPage);
