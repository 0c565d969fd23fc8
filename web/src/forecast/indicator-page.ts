/**
 * `#/forecast/{id}` — one indicator: the fan chart (history, forecast, 80% and
 * 95% bands) with a table alternative and CSV/PNG export, the run form for
 * analysts, the model comparison from the run's backtests, the decomposition
 * as small multiples, outliers and changepoints, the data vintages and "why
 * did the forecast change" (the server's explanation of a run against the
 * previous one). Everything is reachable by keyboard; every chart has a table.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { ConsoleElement } from '../components/base';
import { describeError } from '../api/errors';
import { announce } from '../announcer';
import { getLocale, t } from '../i18n';
import { formatDate, formatDateTime, formatNumber, formatPercent, type Locale } from '../i18n/format';
import { session } from '../session';
import { href } from '../router';
import { ForecastApi } from './api';
import { fanChartSvg, layoutFan, layoutPanels, panelsSvg } from './chart';
import { buildForecastCsv, safeFileName } from './csv';
import { saveBlob, saveCsv, svgToPng } from './download';
import { digitsFor, formatChange, formatPeriod, formatRatio, formatValue, parsePeriod, periodsPerYear, changePercent } from './format';
import { frequencyName, indicatorName, jurisdictionName, modelName, modelTitle } from './labels';
import { loadWards } from '../feedback/reference';
import {
  bandsOf,
  comparisonRows,
  coverageLevels,
  coverageOk,
  coveragePercent,
  defaultRunForm,
  fanData,
  reconcileRows,
  reportRows,
  type ComparisonRow,
  historyWindow,
  LEVELS,
  MODELS,
  runRequest,
  toggle,
  validateRunForm,
  type RunForm,
  type RunFormErrors,
} from './model';
import type { Anomalies, BacktestReport, ReconcileMethod, ReconcileResponse, Decomposition, Explain, IndicatorSummary, Observation, Run, RunSummary, Vintage } from './types';
import './forecast.css';

/** Roles that may run forecasts (the server checks again). */
const RUN_ROLES = ['analyst', 'admin'];

export class ForecastIndicatorPage extends ConsoleElement {
  static override properties = {
    indicatorId: {},
    wardNames: { state: true },
    indicator: { state: true },
    observations: { state: true },
    vintages: { state: true },
    vintage: { state: true },
    runs: { state: true },
    run: { state: true },
    decomposition: { state: true },
    anomalies: { state: true },
    explain: { state: true },
    explainRunId: { state: true },
    report: { state: true },
    reportLoading: { state: true },
    wards: { state: true },
    reconciled: { state: true },
    reconcileMethod: { state: true },
    reconciling: { state: true },
    form: { state: true },
    formErrors: { state: true },
    running: { state: true },
    error: { state: true },
    runError: { state: true },
    sectionErrors: { state: true },
    loading: { state: true },
  };

  indicatorId = '';
  indicator: IndicatorSummary | null = null;
  observations: Observation[] = [];
  vintages: Vintage[] = [];
  /** The vintage the history is shown as of; null for the latest. */
  vintage: number | null = null;
  runs: RunSummary[] = [];
  run: Run | null = null;
  decomposition: Decomposition | null = null;
  anomalies: Anomalies | null = null;
  explain: Explain | null = null;
  explainRunId = '';
  /** The backtest report asked for on this page (GET …/backtest), if any. */
  report: BacktestReport | null = null;
  reportLoading = false;
  /** Ward indicators that add up to this one (reconciliation is offered when there are any). */
  wards: IndicatorSummary[] = [];
  /** Ward names by GSO code. */
  wardNames: Record<string, string> = {};
  reconciled: ReconcileResponse | null = null;
  reconcileMethod: ReconcileMethod = 'both';
  reconciling = false;
  form: RunForm = defaultRunForm('monthly');
  formErrors: RunFormErrors = {};
  running = false;
  error = '';
  runError = '';
  sectionErrors: Record<string, string> = {};
  loading = true;

  private readonly api = new ForecastApi(session.api);
  private abort: AbortController | null = null;
  private loadedId = '';

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.abort?.abort();
    this.loadedId = '';
  }

  protected override willUpdate(): void {
    if (this.indicatorId && this.indicatorId !== this.loadedId) {
      this.loadedId = this.indicatorId;
      void this.load();
    }
  }

  private get canRun(): boolean {
    return session.me?.grants.some((grant) => RUN_ROLES.includes(grant.role)) ?? false;
  }

  private setSectionError(section: string, error: unknown): void {
    this.sectionErrors = { ...this.sectionErrors, [section]: t('forecast.loadFailed', { error: describeError(error) }) };
  }

  private async load(): Promise<void> {
    this.abort?.abort();
    const abort = new AbortController();
    this.abort = abort;
    const id = this.indicatorId;
    const signal = abort.signal;
    this.loading = true;
    this.error = '';
    this.sectionErrors = {};
    this.run = null;
    this.explain = null;
    this.decomposition = null;
    this.anomalies = null;
    this.report = null;
    this.wards = [];
    this.reconciled = null;
    try {
      const [indicator, series, wards] = await Promise.all([
        this.api.indicator(id, signal),
        this.api.series(id, null, signal),
        loadWards().catch(() => []),
      ]);
      this.wardNames = Object.fromEntries(wards.map((w) => [w.code, w.name]));
      this.indicator = indicator;
      this.observations = series.observations;
      this.vintage = null;
      this.form = defaultRunForm(indicator.frequency);
    } catch (error) {
      if (signal.aborted) return;
      this.error = describeError(error);
      this.loading = false;
      return;
    }
    this.loading = false;
    const guard = (section: string) => (error: unknown) => {
      if (!signal.aborted) this.setSectionError(section, error);
    };
    void this.api.vintages(id, signal).then((v) => (this.vintages = v), guard('vintages'));
    void this.api.decomposition(id, signal).then((d) => (this.decomposition = d), guard('decomposition'));
    void this.api.anomalies(id, signal).then((a) => (this.anomalies = a), guard('anomalies'));
    void this.api.indicators({ parent: id }, signal).then((list) => (this.wards = list.indicators.filter((c) => c.id !== id)), guard('reconcile'));
    try {
      this.runs = await this.api.runs(id, 20, signal);
      const latest = this.runs[0];
      if (latest) {
        this.run = await this.api.run(latest.id, signal);
        void this.loadExplain(latest.id);
      }
    } catch (error) {
      if (!signal.aborted) this.setSectionError('run', error);
    }
  }

  private async loadSeries(vintage: number | null): Promise<void> {
    this.vintage = vintage;
    try {
      const series = await this.api.series(this.indicatorId, vintage, this.abort?.signal);
      this.observations = series.observations;
    } catch (error) {
      this.setSectionError('series', error);
    }
  }

  private async loadExplain(runId: string): Promise<void> {
    this.explainRunId = runId;
    try {
      this.explain = await this.api.explain(runId, null, this.abort?.signal);
      const { explain: _drop, ...rest } = this.sectionErrors;
      this.sectionErrors = rest;
    } catch (error) {
      this.explain = null;
      this.setSectionError('explain', error);
    }
  }

  private async submitRun(event: Event): Promise<void> {
    event.preventDefault();
    const indicator = this.indicator;
    if (!indicator || this.running) return;
    this.formErrors = validateRunForm(this.form, indicator.frequency);
    const first = Object.keys(this.formErrors)[0];
    if (first) {
      const target = { horizon: '#fc-horizon', models: '#fc-models input', levels: '#fc-levels input', dummy: '#fc-dummy-periods' }[first as keyof RunFormErrors];
      this.querySelector<HTMLElement>(target)?.focus();
      return;
    }
    this.running = true;
    this.runError = '';
    announce(t('forecast.running'));
    try {
      const run = await this.api.runForecast(indicator.id, runRequest(this.form, indicator.frequency, this.vintage));
      this.run = run;
      this.runs = [
        { id: run.id, indicator_id: run.indicator_id, vintage: run.vintage, created_at: run.created_at, created_by: run.created_by, selected_model: run.selected_model, label: run.forecast.label ?? null, horizon: run.forecast.mean.length, first_period: run.forecast.periods[0] ?? null, next_value: run.forecast.mean[0] ?? null },
        ...this.runs.filter((r) => r.id !== run.id),
      ];
      announce(t('forecast.runDone', { model: modelTitle(run.selected_model, run.forecast.label) }));
      void this.loadExplain(run.id);
    } catch (error) {
      this.runError = describeError(error);
    } finally {
      this.running = false;
    }
  }

  // ---- export -------------------------------------------------------------

  private csvName(extension: string): string {
    const indicator = this.indicator;
    const stamp = new Date().toISOString().slice(0, 10);
    return `${safeFileName(indicator ? indicator.id : 'indicator')}-${stamp}.${extension}`;
  }

  private exportCsv(): void {
    const forecast = this.run?.forecast ?? null;
    const text = buildForecastCsv(
      {
        history: this.observations.map((o) => ({ period: o.period, value: o.value })),
        forecast: forecast ? forecast.mean.map((mean, i) => ({ period: forecast.periods[i] ?? '', mean })) : [],
        bands: bandsOf(forecast),
      },
      {
        period: t('forecast.colPeriod'),
        kind: t('forecast.colKind'),
        value: t('forecast.colValue'),
        history: t('forecast.history'),
        forecast: t('forecast.forecast'),
        lo: (level) => t('forecast.colLo', { level }),
        hi: (level) => t('forecast.colHi', { level }),
      },
    );
    const name = this.csvName('csv');
    saveCsv(text, name);
    announce(t('forecast.exported', { file: name }));
  }

  private async exportPng(): Promise<void> {
    const element = this.querySelector<SVGSVGElement>('svg.fc-fan');
    if (!element) return;
    try {
      const blob = await svgToPng(element);
      const name = this.csvName('png');
      saveBlob(blob, name);
      announce(t('forecast.exported', { file: name }));
    } catch {
      announce(t('forecast.exportFailed'));
      this.sectionErrors = { ...this.sectionErrors, chart: t('forecast.exportFailed') };
    }
  }

  // ---- rendering ----------------------------------------------------------

  private value(v: number | null | undefined, digits: number): string {
    const locale = getLocale();
    return formatValue(v, this.indicator?.unit ?? '', locale, digits);
  }

  private sectionError(section: string): TemplateResult | typeof nothing {
    const message = this.sectionErrors[section];
    return message ? html`<p class="form-error" role="alert">${message}</p>` : nothing;
  }

  private renderMeta(indicator: IndicatorSummary, locale: Locale): TemplateResult {
    const source = indicator.source;
    const sourceText =
      source.kind === 'dataset'
        ? t('forecast.source.dataset', { dataset: source.dataset_id, column: source.column })
        : t(source.kind === 'api' ? 'forecast.source.api' : 'forecast.source.upload');
    return html`<dl class="fc-meta" aria-label=${t('forecast.metaLabel')}>
      <div><dt>${t('forecast.unit')}</dt><dd>${indicator.unit}</dd></div>
      <div><dt>${t('forecast.frequency')}</dt><dd>${frequencyName(indicator.frequency)}</dd></div>
      <div><dt>${t('forecast.jurisdiction')}</dt><dd>${jurisdictionName(indicator.jurisdiction, this.wardNames)}</dd></div>
      <div><dt>${t('forecast.classification')}</dt><dd>${t(`forecast.classification.${indicator.classification}`)}</dd></div>
      <div><dt>${t('forecast.source')}</dt><dd>${sourceText}</dd></div>
      <div><dt>${t('forecast.observations')}</dt><dd>${formatNumber(indicator.observations, locale)}</dd></div>
      ${indicator.latest
        ? html`<div>
            <dt>${t('forecast.latest', { period: formatPeriod(indicator.latest.period, indicator.frequency, locale) })}</dt>
            <dd>${this.value(indicator.latest.value, digitsFor([indicator.latest.value]))}</dd>
          </div>`
        : nothing}
    </dl>`;
  }

  private renderChart(indicator: IndicatorSummary, locale: Locale): TemplateResult {
    const forecast = this.run?.forecast ?? null;
    const window = historyWindow(indicator.frequency);
    const data = fanData(this.observations, forecast, window);
    const digits = digitsFor([...data.history.map((h) => h.value ?? 0), ...data.forecast.map((f) => f.mean ?? 0)]);
    const first = data.history[0]?.period ?? data.forecast[0]?.period ?? '';
    const perYear = periodsPerYear(indicator.frequency);
    const parsed = parsePeriod(first);
    const offset = parsed ? (indicator.frequency === 'monthly' ? (parsed.month ?? 1) - 1 : indicator.frequency === 'quarterly' ? (parsed.quarter ?? 1) - 1 : 0) : 0;
    const layout = layoutFan(data, {}, perYear, offset);
    const period = (p: string) => formatPeriod(p, indicator.frequency, locale);
    const name = indicatorName(indicator, locale);
    const from = period(data.history[0]?.period ?? '');
    const to = period(data.history[data.history.length - 1]?.period ?? '');
    const title = forecast
      ? t('forecast.chartTitle', {
          name,
          from,
          to,
          horizon: forecast.mean.length,
          model: modelTitle(forecast.model, forecast.label),
          levels: data.bands.map((b) => `${b.level}%`).join(', '),
        })
      : t('forecast.chartTitleHistory', { name, from, to });
    const bands = [...data.bands].sort((a, b) => a.level - b.level);
    const tableHistory = data.history.slice(-2 * Math.max(perYear, 6));
    return html`<section class="card fc-chart" aria-labelledby="fc-chart-heading">
      <h2 id="fc-chart-heading">${t('forecast.chartHeading')}</h2>
      ${this.run
        ? html`<p class="fc-run-info" data-model=${this.run.selected_model}>
            ${t('forecast.runInfo', {
              time: formatDateTime(this.run.created_at, locale),
              vintage: this.run.vintage,
              model: modelTitle(this.run.selected_model, this.run.forecast.label),
              selection: t(`forecast.selection.${this.run.selection === 'only' || this.run.selection === 'fallback' ? this.run.selection : 'backtest'}`),
            })}
          </p>`
        : html`<p class="hint">${t('forecast.noRun')}</p>`}
      ${this.sectionError('run')} ${this.sectionError('series')} ${this.sectionError('chart')}
      ${this.vintages.length > 0
        ? html`<div class="field field-compact">
            <label for="fc-vintage">${t('forecast.vintage')}</label>
            <select id="fc-vintage" @change=${(e: Event) => {
              const value = (e.target as HTMLSelectElement).value;
              void this.loadSeries(value === '' ? null : Number(value));
            }}>
              <option value="" ?selected=${this.vintage === null}>${t('forecast.vintageLatest')}</option>
              ${this.vintages.map(
                (v) => html`<option value=${v.seq} ?selected=${this.vintage === v.seq}>${t('forecast.vintageOption', { seq: v.seq, date: formatDate(v.created_at, locale) })}</option>`,
              )}
            </select>
          </div>`
        : nothing}
      <div class="fc-fan-frame">
        ${fanChartSvg(layout, {
          title,
          history: t('forecast.history'),
          forecast: t('forecast.forecast'),
          band: (level) => t('forecast.band', { level }),
          formatPeriod: period,
          formatValue: (v) => formatNumber(v, locale, Math.min(digits, 1)),
        })}
      </div>
      <div class="form-actions">
        <button type="button" class="button button-secondary" data-action="export-csv" @click=${() => this.exportCsv()}>${t('forecast.exportCsv')}</button>
        <button type="button" class="button button-secondary" data-action="export-png" @click=${() => void this.exportPng()}>${t('forecast.exportPng')}</button>
      </div>
      <details class="fc-table-toggle">
        <summary>${t('forecast.tableToggle')}</summary>
        <div class="table-scroll" tabindex="0" role="region" aria-label=${t('forecast.tableCaption', { name })}>
          <table class="data-table fc-fan-table">
            <caption>${t('forecast.tableCaption', { name })}</caption>
            <thead>
              <tr>
                <th scope="col">${t('forecast.colPeriod')}</th>
                <th scope="col">${t('forecast.colKind')}</th>
                <th scope="col" class="num">${t('forecast.colValue')}</th>
                ${bands.map((b) => html`<th scope="col" class="num">${t('forecast.colLo', { level: b.level })}</th><th scope="col" class="num">${t('forecast.colHi', { level: b.level })}</th>`)}
              </tr>
            </thead>
            <tbody>
              ${tableHistory.map(
                (h) => html`<tr>
                  <th scope="row">${period(h.period)}</th>
                  <td>${t('forecast.history')}</td>
                  <td class="num">${this.value(h.value, digits)}</td>
                  ${bands.map(() => html`<td></td><td></td>`)}
                </tr>`,
              )}
              ${data.forecast.map(
                (f, i) => html`<tr class="fc-forecast-row">
                  <th scope="row">${period(f.period)}</th>
                  <td>${t('forecast.forecast')}</td>
                  <td class="num">${this.value(f.mean, digits)}</td>
                  ${bands.map((b) => html`<td class="num">${this.value(b.lo[i], digits)}</td><td class="num">${this.value(b.hi[i], digits)}</td>`)}
                </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </details>
    </section>`;
  }

  private renderRunForm(indicator: IndicatorSummary): TemplateResult {
    if (!this.canRun) {
      return html`<section class="card fc-run" aria-labelledby="fc-run-heading">
        <h2 id="fc-run-heading">${t('forecast.runHeading')}</h2>
        <p class="hint">${t('forecast.runNotAllowed')}</p>
      </section>`;
    }
    const form = this.form;
    const set = (patch: Partial<RunForm>) => (this.form = { ...this.form, ...patch });
    const errors = this.formErrors;
    const monthly = indicator.frequency === 'monthly';
    return html`<section class="card fc-run" aria-labelledby="fc-run-heading">
      <h2 id="fc-run-heading">${t('forecast.runHeading')}</h2>
      <p class="hint">${t('forecast.runIntro')}</p>
      <form class="form" novalidate @submit=${(e: Event) => void this.submitRun(e)}>
        <div class="field">
          <label for="fc-horizon">${t('forecast.horizon')}</label>
          <input
            id="fc-horizon"
            type="number"
            inputmode="numeric"
            min="1"
            max="60"
            step="1"
            .value=${form.horizon}
            aria-describedby="fc-horizon-hint${errors.horizon ? ' fc-horizon-error' : ''}"
            aria-invalid=${errors.horizon ? 'true' : 'false'}
            @input=${(e: Event) => set({ horizon: (e.target as HTMLInputElement).value })}
          />
          <p class="hint" id="fc-horizon-hint">${t('forecast.horizonHint')}</p>
          ${errors.horizon ? html`<p class="field-error" id="fc-horizon-error">${t(errors.horizon)}</p>` : nothing}
        </div>
        <fieldset class="fieldset" id="fc-models" aria-describedby=${errors.models ? 'fc-models-error' : nothing}>
          <legend>${t('forecast.models')}</legend>
          <div class="checkbox-grid">
            ${MODELS.map(
              (model) => html`<div class="checkbox-field">
                <input
                  type="checkbox"
                  id=${`fc-model-${model}`}
                  name="models"
                  value=${model}
                  .checked=${form.models.includes(model)}
                  @change=${(e: Event) => set({ models: toggle(form.models, model, (e.target as HTMLInputElement).checked) })}
                />
                <label for=${`fc-model-${model}`}>${modelName(model)}</label>
              </div>`,
            )}
          </div>
          ${errors.models ? html`<p class="field-error" id="fc-models-error">${t(errors.models)}</p>` : nothing}
        </fieldset>
        <fieldset class="fieldset" id="fc-levels" aria-describedby=${errors.levels ? 'fc-levels-error' : nothing}>
          <legend>${t('forecast.levels')}</legend>
          <div class="radio-inline">
            ${LEVELS.map(
              (level) => html`<div class="checkbox-field">
                <input
                  type="checkbox"
                  id=${`fc-level-${level}`}
                  value=${level}
                  .checked=${form.levels.includes(level)}
                  @change=${(e: Event) => set({ levels: toggle(form.levels, level, (e.target as HTMLInputElement).checked) })}
                />
                <label for=${`fc-level-${level}`}>${t('forecast.levelOption', { level })}</label>
              </div>`,
            )}
          </div>
          ${errors.levels ? html`<p class="field-error" id="fc-levels-error">${t(errors.levels)}</p>` : nothing}
        </fieldset>
        <fieldset class="fieldset">
          <legend>${t('forecast.intervalMethod')}</legend>
          ${(['auto', 'model', 'conformal'] as const).map(
            (method) => html`<div class="radio-field">
              <input
                type="radio"
                id=${`fc-interval-${method}`}
                name="interval_method"
                value=${method}
                .checked=${form.intervalMethod === method}
                @change=${() => set({ intervalMethod: method })}
              />
              <label for=${`fc-interval-${method}`}>${t(`forecast.interval.${method}`)}</label>
            </div>`,
          )}
        </fieldset>
        <fieldset class="fieldset">
          <legend>${t('forecast.dummy')}</legend>
          <div class="field">
            <label for="fc-dummy-name">${t('forecast.dummyName')}</label>
            <input id="fc-dummy-name" type="text" autocomplete="off" .value=${form.dummyName} @input=${(e: Event) => set({ dummyName: (e.target as HTMLInputElement).value })} />
          </div>
          <div class="field">
            <label for="fc-dummy-periods">${t('forecast.dummyPeriods')}</label>
            <input
              id="fc-dummy-periods"
              type="text"
              autocomplete="off"
              .value=${form.dummyPeriods}
              aria-describedby="fc-dummy-hint${errors.dummy ? ' fc-dummy-error' : ''}"
              aria-invalid=${errors.dummy ? 'true' : 'false'}
              @input=${(e: Event) => set({ dummyPeriods: (e.target as HTMLInputElement).value })}
            />
            <p class="hint" id="fc-dummy-hint">${t('forecast.dummyHint')}</p>
            ${errors.dummy ? html`<p class="field-error" id="fc-dummy-error">${t(errors.dummy)}</p>` : nothing}
          </div>
        </fieldset>
        <div class="checkbox-field">
          <input
            type="checkbox"
            id="fc-tet"
            .checked=${monthly && form.tet}
            ?disabled=${!monthly}
            aria-describedby="fc-tet-hint"
            @change=${(e: Event) => set({ tet: (e.target as HTMLInputElement).checked })}
          />
          <label for="fc-tet">${t('forecast.tet')}</label>
        </div>
        <p class="hint" id="fc-tet-hint">${t('forecast.tetHint')}</p>
        <div class="form-error" role="alert">${this.runError}</div>
        <div class="form-actions">
          <button type="submit" class="button" data-action="run" ?disabled=${this.running} aria-describedby=${this.running ? 'fc-run-status' : nothing}>
            ${this.running ? t('forecast.running') : t('forecast.runSubmit')}
          </button>
          <span id="fc-run-status" class="hint" role="status">${this.running ? t('forecast.running') : ''}</span>
        </div>
      </form>
    </section>`;
  }

  private renderComparisonTable(rows: ComparisonRow[], levels: number[], caption: string, kind: 'run' | 'report', locale: Locale): TemplateResult {
    const ratio = (v: number | null) => formatRatio(v, locale);
    return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${caption}>
      <table class="data-table fc-comparison-table" data-kind=${kind}>
        <caption class="visually-hidden">${caption}</caption>
        <thead>
          <tr>
            <th scope="col">${t('forecast.colModel')}</th>
            <th scope="col" class="num">${t('forecast.colMase')}</th>
            <th scope="col" class="num">${t('forecast.colSmape')}</th>
            ${levels.map((level) => html`<th scope="col" class="num">${t('forecast.colCoverage', { level })}</th>`)}
            <th scope="col" class="num">${t('forecast.colRelative')}</th>
          </tr>
        </thead>
        <tbody>
          ${rows.map(
            (row) => html`<tr class=${row.selected ? 'selected' : ''} data-model=${row.model}>
              <th scope="row">
                ${modelTitle(row.model, row.label)}
                ${row.selected ? html`<span class="badge badge-ready">${t(kind === 'run' ? 'forecast.selected' : 'forecast.best')}</span>` : nothing}
                ${row.error ? html`<span class="fc-model-error">${t('forecast.modelFailed', { error: row.error })}</span>` : nothing}
              </th>
              <td class="num">${ratio(row.mase)}</td>
              <td class="num">${row.smape === null ? '—' : formatPercent(row.smape, locale, 1)}</td>
              ${levels.map((level) => {
                const share = row.coverage[String(level)];
                const percent = coveragePercent(share);
                const ok = coverageOk(share, level);
                return html`<td class="num ${ok === false ? 'fc-coverage-off' : ''}">${percent === null ? '—' : formatPercent(percent, locale, 0)}</td>`;
              })}
              <td class="num">${ratio(row.relative)}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  private async loadReport(): Promise<void> {
    const indicator = this.indicator;
    if (!indicator || this.reportLoading) return;
    this.reportLoading = true;
    const { report: _drop, ...rest } = this.sectionErrors;
    this.sectionErrors = rest;
    announce(t('forecast.reportRunning'));
    try {
      const horizon = this.run?.request.horizon ?? Number(defaultRunForm(indicator.frequency).horizon);
      this.report = await this.api.backtest(indicator.id, { horizon }, this.abort?.signal);
      announce(t('forecast.reportDone'));
    } catch (error) {
      this.setSectionError('report', error);
    } finally {
      this.reportLoading = false;
    }
  }

  private renderComparison(locale: Locale): TemplateResult {
    const run = this.run;
    const scored = run ? (run.models.find((m) => m.backtest)?.backtest ?? run.naive?.backtest ?? null) : null;
    const report = this.report;
    return html`<section class="card fc-comparison" aria-labelledby="fc-comparison-heading">
      <h2 id="fc-comparison-heading">${t('forecast.comparisonHeading')}</h2>
      ${run
        ? html`<p class="hint">
              ${t('forecast.comparisonIntro', {
                windows: scored?.windows ?? run.request.backtest_windows ?? 3,
                horizon: scored?.horizon ?? run.request.horizon,
              })}
            </p>
            ${this.renderComparisonTable(comparisonRows(run), coverageLevels(run), t('forecast.comparisonCaption'), 'run', locale)}`
        : html`<p class="hint">${t('forecast.noRun')}</p>`}
      <h3>${t('forecast.reportHeading')}</h3>
      <p class="hint">${t('forecast.reportIntro')}</p>
      <div class="form-actions">
        <button type="button" class="button button-secondary" data-action="backtest" ?disabled=${this.reportLoading} @click=${() => void this.loadReport()}>
          ${this.reportLoading ? t('forecast.reportRunning') : t('forecast.reportButton')}
        </button>
      </div>
      ${this.sectionError('report')}
      ${report
        ? html`<p class="hint">${t('forecast.comparisonIntro', { windows: report.windows, horizon: report.horizon })}</p>
            ${this.renderComparisonTable(reportRows(report), [...report.levels].sort((a, b) => a - b), t('forecast.reportCaption'), 'report', locale)}`
        : nothing}
    </section>`;
  }


  private async reconcile(event: Event): Promise<void> {
    event.preventDefault();
    const indicator = this.indicator;
    if (!indicator || this.reconciling) return;
    this.reconciling = true;
    const { reconcile: _drop, ...rest } = this.sectionErrors;
    this.sectionErrors = rest;
    announce(t('forecast.reconciling'));
    try {
      const horizon = Number(defaultRunForm(indicator.frequency).horizon);
      this.reconciled = await this.api.reconcile(indicator.id, { horizon, model: 'ets', method: this.reconcileMethod });
      announce(t('forecast.reconcileDone'));
    } catch (error) {
      this.setSectionError('reconcile', error);
    } finally {
      this.reconciling = false;
    }
  }

  private renderReconcile(indicator: IndicatorSummary, locale: Locale): TemplateResult | typeof nothing {
    if (this.wards.length === 0) return nothing;
    const r = this.reconciled;
    const names = new Map([indicator, ...this.wards].map((i) => [i.id, indicatorName(i, locale)]));
    const table = r ? reconcileRows(r) : null;
    const digits = digitsFor(this.observations.map((o) => o.value));
    const v = (x: number | null | undefined) => this.value(x, digits);
    const period = (p: string) => formatPeriod(p, indicator.frequency, locale);
    const methods: ReconcileMethod[] = ['both', 'bottom_up', 'mint'];
    return html`<section class="card fc-reconcile" aria-labelledby="fc-reconcile-heading">
      <h2 id="fc-reconcile-heading">${t('forecast.reconcileHeading')}</h2>
      <p class="hint">${t('forecast.reconcileIntro', { count: this.wards.length })}</p>
      <form class="fc-explain-form" @submit=${(e: Event) => void this.reconcile(e)}>
        <div class="field field-compact">
          <label for="fc-reconcile-method">${t('forecast.reconcileMethod')}</label>
          <select id="fc-reconcile-method" @change=${(e: Event) => (this.reconcileMethod = (e.target as HTMLSelectElement).value as ReconcileMethod)}>
            ${methods.map((m) => html`<option value=${m} ?selected=${this.reconcileMethod === m}>${t(`forecast.reconcile.${m}`)}</option>`)}
          </select>
        </div>
        <button type="submit" class="button button-secondary" ?disabled=${this.reconciling}>
          ${this.reconciling ? t('forecast.reconciling') : t('forecast.reconcileButton')}
        </button>
      </form>
      ${this.sectionError('reconcile')}
      ${r && table
        ? html`<p>
              ${t('forecast.reconcileGap', {
                from: period(r.periods[0] ?? ''),
                to: period(r.periods[r.periods.length - 1] ?? ''),
                base: v(r.coherence_gap.base),
                bottomUp: v(r.coherence_gap.bottom_up),
                mint: v(r.coherence_gap.mint),
              })}
            </p>
            <div class="table-scroll" tabindex="0" role="region" aria-label=${t('forecast.reconcileCaption', { horizon: r.horizon })}>
              <table class="data-table fc-reconcile-table">
                <caption class="visually-hidden">${t('forecast.reconcileCaption', { horizon: r.horizon })}</caption>
                <thead>
                  <tr>
                    <th scope="col">${t('forecast.colName')}</th>
                    <th scope="col" class="num">${t('forecast.reconcileBase')}</th>
                    <th scope="col" class="num">${t('forecast.reconcile.bottom_up')}</th>
                    <th scope="col" class="num">${t('forecast.reconcile.mint')}</th>
                  </tr>
                </thead>
                <tbody>
                  ${table.rows.map(
                    (row) => html`<tr class=${row.parent ? 'fc-parent-row' : ''} data-series=${row.id}>
                      <th scope="row">${names.get(row.id) ?? row.id}</th>
                      <td class="num">${v(row.base)}</td>
                      <td class="num">${v(row.bottomUp)}</td>
                      <td class="num">${v(row.mint)}</td>
                    </tr>`,
                  )}
                  <tr class="fc-sum-row">
                    <th scope="row">${t('forecast.reconcileChildSum')}</th>
                    <td class="num">${v(table.childSum.base)}</td>
                    <td class="num">${v(table.childSum.bottomUp)}</td>
                    <td class="num">${v(table.childSum.mint)}</td>
                  </tr>
                </tbody>
              </table>
            </div>`
        : nothing}
    </section>`;
  }

  private renderDecomposition(indicator: IndicatorSummary, locale: Locale): TemplateResult {
    const d = this.decomposition;
    const name = indicatorName(indicator, locale);
    const window = historyWindow(indicator.frequency);
    const start = d ? Math.max(0, d.periods.length - window) : 0;
    const cut = (values: number[]) => values.slice(start);
    const digits = d ? digitsFor(cut(d.observed)) : 1;
    const layout = d
      ? layoutPanels(
          [
            { name: t('forecast.observed'), values: cut(d.observed) },
            { name: t('forecast.trend'), values: cut(d.trend) },
            { name: t('forecast.seasonal'), values: cut(d.seasonal) },
            { name: t('forecast.remainder'), values: cut(d.remainder) },
          ],
          760,
          70,
        )
      : null;
    const period = (p: string) => formatPeriod(p, indicator.frequency, locale);
    return html`<section class="card fc-decomposition" aria-labelledby="fc-decomposition-heading">
      <h2 id="fc-decomposition-heading">${t('forecast.decompositionHeading')}</h2>
      ${this.sectionError('decomposition')}
      ${d && layout
        ? html`<p class="hint">${t('forecast.decompositionIntro', { method: d.method.toUpperCase(), season: d.season })}</p>
            ${panelsSvg(layout, t('forecast.decompositionTitle', { name }), (v) => formatNumber(v, locale, Math.min(digits, 1)))}
            <details class="fc-table-toggle">
              <summary>${t('forecast.tableToggle')}</summary>
              <div class="table-scroll fc-table-tall" tabindex="0" role="region" aria-label=${t('forecast.decompositionCaption')}>
                <table class="data-table">
                  <caption>${t('forecast.decompositionCaption')}</caption>
                  <thead>
                    <tr>
                      <th scope="col">${t('forecast.colPeriod')}</th>
                      <th scope="col" class="num">${t('forecast.observed')}</th>
                      <th scope="col" class="num">${t('forecast.trend')}</th>
                      <th scope="col" class="num">${t('forecast.seasonal')}</th>
                      <th scope="col" class="num">${t('forecast.remainder')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${d.periods.slice(start).map(
                      (p, k) => html`<tr>
                        <th scope="row">${period(p)}</th>
                        ${[d.observed, d.trend, d.seasonal, d.remainder].map((series) => html`<td class="num">${formatNumber(series[start + k] ?? NaN, locale, Math.max(digits, 1))}</td>`)}
                      </tr>`,
                    )}
                  </tbody>
                </table>
              </div>
            </details>`
        : this.sectionErrors['decomposition']
          ? nothing
          : html`<p class="loading" role="status">${t('app.loading')}</p>`}
    </section>`;
  }

  private renderAnomalies(indicator: IndicatorSummary, locale: Locale): TemplateResult {
    const a = this.anomalies;
    const digits = digitsFor(this.observations.map((o) => o.value));
    const period = (p: string) => formatPeriod(p, indicator.frequency, locale);
    return html`<section class="card fc-anomalies" aria-labelledby="fc-anomalies-heading">
      <h2 id="fc-anomalies-heading">${t('forecast.anomaliesHeading')}</h2>
      ${this.sectionError('anomalies')}
      ${a
        ? html`<h3>${t('forecast.outliers')}</h3>
            ${a.outliers.length === 0
              ? html`<p>${t('forecast.noOutliers')}</p>`
              : html`<ul class="fc-outliers">
                  ${a.outliers.map(
                    (o) => html`<li>
                      ${t('forecast.outlier', {
                        period: period(o.period),
                        value: this.value(o.value, digits),
                        expected: this.value(o.expected, digits),
                        score: formatNumber(o.score, locale, 1),
                      })}
                    </li>`,
                  )}
                </ul>`}
            <h3>${t('forecast.changepoints')}</h3>
            ${a.changepoints.length === 0
              ? html`<p>${t('forecast.noChangepoints')}</p>`
              : html`<ul class="fc-changepoints">
                  ${a.changepoints.map(
                    (c) => html`<li>${t('forecast.changepoint', { period: period(c.period), before: this.value(c.before, digits), after: this.value(c.after, digits) })}</li>`,
                  )}
                </ul>`}`
        : this.sectionErrors['anomalies']
          ? nothing
          : html`<p class="loading" role="status">${t('app.loading')}</p>`}
    </section>`;
  }

  private renderVintages(locale: Locale): TemplateResult {
    return html`<section class="card fc-vintages" aria-labelledby="fc-vintages-heading">
      <h2 id="fc-vintages-heading">${t('forecast.vintagesHeading')}</h2>
      ${this.sectionError('vintages')}
      ${this.vintages.length === 0
        ? html`<p>${t('forecast.noVintages')}</p>`
        : html`<div class="table-scroll fc-table-tall" tabindex="0" role="region" aria-labelledby="fc-vintages-heading">
            <table class="data-table">
              <caption class="visually-hidden">${t('forecast.vintagesCaption')}</caption>
              <thead>
                <tr>
                  <th scope="col">${t('forecast.colSeq')}</th>
                  <th scope="col">${t('forecast.colCreated')}</th>
                  <th scope="col">${t('forecast.colBy')}</th>
                  <th scope="col">${t('forecast.colNote')}</th>
                  <th scope="col" class="num">${t('forecast.colAdded')}</th>
                  <th scope="col" class="num">${t('forecast.colRevised')}</th>
                </tr>
              </thead>
              <tbody>
                ${this.vintages.map(
                  (v) => html`<tr>
                    <th scope="row">${v.seq}</th>
                    <td>${formatDateTime(v.created_at, locale)}</td>
                    <td>${v.created_by}</td>
                    <td>${v.note ?? ''}</td>
                    <td class="num">${formatNumber(v.added, locale)}</td>
                    <td class="num">${formatNumber(v.revised, locale)}</td>
                  </tr>`,
                )}
              </tbody>
            </table>
          </div>`}
    </section>`;
  }

  private renderExplain(indicator: IndicatorSummary, locale: Locale): TemplateResult | typeof nothing {
    if (this.runs.length === 0) return nothing;
    const e = this.explain;
    const digits = digitsFor(this.observations.map((o) => o.value));
    const period = (p: string) => formatPeriod(p, indicator.frequency, locale);
    const selected = this.explainRunId || this.runs[0]?.id || '';
    return html`<section class="card fc-explain" aria-labelledby="fc-explain-heading">
      <h2 id="fc-explain-heading">${t('forecast.explainHeading')}</h2>
      <form
        class="fc-explain-form"
        @submit=${(ev: Event) => {
          ev.preventDefault();
          const value = (this.querySelector('#fc-explain-run') as HTMLSelectElement | null)?.value ?? '';
          if (value) void this.loadExplain(value);
        }}
      >
        <div class="field field-compact">
          <label for="fc-explain-run">${t('forecast.explainRun')}</label>
          <select id="fc-explain-run">
            ${this.runs.map(
              (r) => html`<option value=${r.id} ?selected=${r.id === selected}>
                ${t('forecast.explainRunOption', { time: formatDateTime(r.created_at, locale), model: modelTitle(r.selected_model, r.label) })}
              </option>`,
            )}
          </select>
        </div>
        <button type="submit" class="button button-secondary">${t('forecast.explainShow')}</button>
      </form>
      ${this.sectionError('explain')}
      ${e
        ? e.against === null
          ? html`<p>${t('forecast.explainFirst')}</p>`
          : html`<div class="fc-explain-body" aria-live="polite">
              <p class="fc-explain-summary">${locale === 'vi' ? e.summary_vi : e.summary_en}</p>
              <p>
                ${e.model_change
                  ? t('forecast.explainModel', { from: modelTitle(e.model_change.from, e.model_change.from_label), to: modelTitle(e.model_change.to, e.model_change.to_label) })
                  : t('forecast.explainSameModel')}
              </p>
              <div class="grid-2">
                <div>
                  <h3>${t('forecast.explainNew')}</h3>
                  ${e.new_observations.length === 0
                    ? html`<p>${t('forecast.noneItems')}</p>`
                    : html`<ul>${e.new_observations.map((o) => html`<li>${period(o.period)}: ${this.value(o.value, digits)}</li>`)}</ul>`}
                </div>
                <div>
                  <h3>${t('forecast.explainRevised')}</h3>
                  ${e.revised_observations.length === 0
                    ? html`<p>${t('forecast.noneItems')}</p>`
                    : html`<ul>
                        ${e.revised_observations.map(
                          (o) => html`<li>${t('forecast.explainRevisedItem', { period: period(o.period), old: this.value(o.old, digits), new: this.value(o.new, digits) })}</li>`,
                        )}
                      </ul>`}
                </div>
              </div>
              ${e.parameter_changes.length > 0
                ? html`<h3>${t('forecast.explainParams')}</h3>
                    <ul>
                      ${e.parameter_changes.map(
                        (p) => html`<li>${t('forecast.explainParam', { name: p.name, old: p.old === null ? '—' : formatNumber(p.old, locale, 3), new: p.new === null ? '—' : formatNumber(p.new, locale, 3) })}</li>`,
                      )}
                    </ul>`
                : nothing}
              ${e.forecast_changes.length > 0
                ? html`<h3>${t('forecast.explainForecast')}</h3>
                    <div class="table-scroll fc-table-tall" tabindex="0" role="region" aria-label=${t('forecast.explainForecast')}>
                      <table class="data-table">
                        <caption class="visually-hidden">${t('forecast.explainForecast')}</caption>
                        <thead>
                          <tr>
                            <th scope="col">${t('forecast.colPeriod')}</th>
                            <th scope="col" class="num">${t('forecast.colOld')}</th>
                            <th scope="col" class="num">${t('forecast.colNew')}</th>
                            <th scope="col" class="num">${t('forecast.colDiff')}</th>
                          </tr>
                        </thead>
                        <tbody>
                          ${e.forecast_changes.map(
                            (c) => html`<tr>
                              <th scope="row">${period(c.period)}</th>
                              <td class="num">${this.value(c.old, digits)}</td>
                              <td class="num">${this.value(c.new, digits)}</td>
                              <td class="num">${c.change === null ? '—' : `${formatNumber(c.change, locale, Math.max(digits, 1))} (${formatChange(changePercent(c.new, c.old), locale)})`}</td>
                            </tr>`,
                          )}
                        </tbody>
                      </table>
                    </div>`
                : nothing}
            </div>`
        : nothing}
    </section>`;
  }

  override render(): TemplateResult {
    const locale = getLocale();
    const indicator = this.indicator;
    const back = html`<p class="fc-back"><a href=${href('/forecast')}>← ${t('forecast.back')}</a></p>`;
    if (this.loading || !indicator) {
      return html`<div class="page page-wide fc-page">
        ${back}
        <h1 tabindex="-1">${t('forecast.indicatorTitle')}</h1>
        <div class="form-error" role="alert">${this.error}</div>
        ${this.error ? nothing : html`<p class="loading" role="status">${t('app.loading')}</p>`}
      </div>`;
    }
    return html`<div class="page page-wide fc-page" data-indicator=${indicator.id}>
      ${back}
      <h1 tabindex="-1">${indicatorName(indicator, locale)}</h1>
      ${indicator.illustrative
        ? html`<p class="notice notice-warning fc-illustrative"><strong>${t('forecast.illustrative')}.</strong> ${t('forecast.illustrativeNotice')}</p>`
        : nothing}
      ${this.renderMeta(indicator, locale)}
      ${this.renderChart(indicator, locale)}
      <div class="fc-layout">
        <div class="fc-side">${this.renderRunForm(indicator)}</div>
        <div class="fc-main">${this.renderComparison(locale)}</div>
      </div>
      ${this.renderExplain(indicator, locale)} ${this.renderReconcile(indicator, locale)} ${this.renderDecomposition(indicator, locale)}
      ${this.renderAnomalies(indicator, locale)} ${this.renderVintages(locale)}
    </div>`;
  }
}

customElements.define('cityos-forecast-indicator-page', ForecastIndicatorPage);
