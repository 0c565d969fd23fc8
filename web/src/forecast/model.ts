/**
 * View logic of the forecasting pages, pure and unit-tested: what the fan
 * chart and its table show, the model comparison rows, the run form's
 * validation and request, filters of the dashboard.
 */
import type { Band, FanData } from './chart';
import { parsePeriod, type Frequency } from './format';
import type { ReconcileResponse, BacktestReport, BacktestScore, ForecastRequest, ForecastSeries, IndicatorSummary, IntervalMethod, Observation, Run } from './types';

/** Models an analyst can choose, in the order the form lists them (wire names). */
export const MODELS = ['naive', 'seasonal_naive', 'drift', 'ets', 'arima', 'theta', 'mstl', 'combination'] as const;
export type ModelName = (typeof MODELS)[number];

/** The server's default choice. */
export const DEFAULT_MODELS: readonly string[] = ['ets', 'arima', 'theta', 'combination'];

/** Interval levels offered by the form. */
export const LEVELS = [80, 90, 95] as const;
export const DEFAULT_LEVELS: readonly number[] = [80, 95];

export const MAX_HORIZON = 60;

/** The level's key in the API's interval maps (`80`, `97.5`). */
export function levelKey(level: number): string {
  return String(level);
}

/** The interval bands of a forecast, ascending level; levels the forecast lacks are left out. */
export function bandsOf(forecast: ForecastSeries | null | undefined): Band[] {
  if (!forecast) return [];
  const levels = Object.keys(forecast.lo)
    .filter((key) => forecast.hi[key])
    .map(Number)
    .filter((level) => Number.isFinite(level))
    .sort((a, b) => a - b);
  return levels.map((level) => ({ level, lo: forecast.lo[levelKey(level)] ?? [], hi: forecast.hi[levelKey(level)] ?? [] }));
}

/** The 80% band if present, else the narrowest. */
export function mainBand(bands: readonly Band[]): Band | null {
  return bands.find((b) => b.level === 80) ?? bands[0] ?? null;
}

/**
 * What the fan chart shows: the last `historyPeriods` observations (all with
 * 0), then the forecast with at most two bands (80% and 95% where present, else the
 * narrowest and widest).
 */
export function fanData(observations: readonly Observation[], forecast: ForecastSeries | null, historyPeriods = 0): FanData {
  const history = (historyPeriods > 0 ? observations.slice(-historyPeriods) : observations).map((o) => ({ period: o.period, value: o.value }));
  if (!forecast) return { history, forecast: [], bands: [] };
  const all = bandsOf(forecast);
  const chosen = all.filter((b) => b.level === 80 || b.level === 95);
  const bands = chosen.length > 0 ? chosen : all.length > 1 ? [all[0]!, all[all.length - 1]!] : all;
  return {
    history,
    forecast: forecast.mean.map((mean, i) => ({ period: forecast.periods[i] ?? '', mean })),
    bands,
  };
}

/** How much history to draw: about five years, at least 24 periods. */
export function historyWindow(frequency: Frequency): number {
  return frequency === 'monthly' ? 72 : frequency === 'quarterly' ? 28 : 30;
}

/** One row of the model comparison table. */
export interface ComparisonRow {
  model: string;
  label: string | null;
  mase: number | null;
  smape: number | null;
  coverage: Record<string, number | null>;
  /** MASE over naive's MASE (below 1: better than naive). */
  relative: number | null;
  selected: boolean;
  error: string | null;
  naive: boolean;
}

function relativeTo(score: BacktestScore | null | undefined, naive: BacktestScore | null | undefined): number | null {
  if (!score || !naive || score.mase === null || naive.mase === null || !Number.isFinite(score.mase) || !Number.isFinite(naive.mase) || naive.mase === 0) return null;
  return score.mase / naive.mase;
}

/**
 * The run's models with their backtest scores, naive first as the yardstick
 * (when the run carries it and it is not one of the models), then in the
 * order of the run; the selected model flagged.
 */
export function comparisonRows(run: Run): ComparisonRow[] {
  const naiveScore = run.naive?.backtest ?? run.models.find((m) => m.model === 'naive')?.backtest ?? null;
  const rows: ComparisonRow[] = run.models.map((m) => ({
    model: m.model,
    label: m.label ?? null,
    mase: m.backtest?.mase ?? null,
    smape: m.backtest?.smape ?? null,
    coverage: m.backtest?.coverage ?? {},
    relative: relativeTo(m.backtest, naiveScore),
    selected: m.model === run.selected_model,
    error: m.error,
    naive: m.model === 'naive',
  }));
  if (naiveScore && !run.models.some((m) => m.model === 'naive')) {
    rows.unshift({
      model: 'naive',
      label: null,
      mase: naiveScore.mase,
      smape: naiveScore.smape,
      coverage: naiveScore.coverage ?? {},
      relative: 1,
      selected: run.selected_model === 'naive',
      error: null,
      naive: true,
    });
  }
  return rows;
}

/** The rows of a backtest report (GET …/backtest): the server's order, the best model flagged. */
export function reportRows(report: BacktestReport): ComparisonRow[] {
  return report.models.map((m) => ({
    model: m.model,
    label: m.label ?? null,
    mase: m.mase,
    smape: m.smape,
    coverage: m.coverage ?? {},
    relative: m.relative_mase,
    selected: report.best !== null && m.model === report.best,
    error: m.error,
    naive: m.model === 'naive',
  }));
}

/** The levels whose coverage a comparison shows (those of the run's request, else 80 and 95). */
export function coverageLevels(run: Run | null): number[] {
  const levels = run?.request?.levels;
  return levels && levels.length > 0 ? [...levels].sort((a, b) => a - b) : [...DEFAULT_LEVELS];
}

/** What the run form holds. */
export interface RunForm {
  horizon: string;
  models: string[];
  levels: number[];
  intervalMethod: IntervalMethod;
  tet: boolean;
  /** A user dummy regressor (a lockdown): its name and the past periods where it is 1, as typed. */
  dummyName: string;
  dummyPeriods: string;
}

export function defaultRunForm(frequency: Frequency): RunForm {
  return {
    horizon: String(frequency === 'monthly' ? 12 : frequency === 'quarterly' ? 8 : 5),
    models: [...DEFAULT_MODELS],
    levels: [...DEFAULT_LEVELS],
    intervalMethod: 'auto',
    tet: frequency === 'monthly',
    dummyName: '',
    dummyPeriods: '',
  };
}

const SLASHED = /^(\d{1,2})\/(\d{4})$/;
const QUARTER_SLASHED = /^(?:Q|Quý\s*)([1-4])\/(\d{4})$/i;

/**
 * The periods typed for a dummy regressor (`04/2020, 05/2020`, `2021-07`, `Q3/2021`,
 * `Quý 3/2021`, `2021-Q3`; commas, semicolons or spaces between them) as API labels
 * `YYYY-MM` (quarters by their first month, years by January), sorted and without
 * repeats; null when one of them cannot be read.
 */
export function parseDummyPeriods(text: string, frequency: Frequency): string[] | null {
  const tokens = text
    .replace(/Quý\s+/gi, 'Quý')
    .split(/[,;\s]+/)
    .map((token) => token.trim())
    .filter((token) => token !== '');
  const out = new Set<string>();
  for (const token of tokens) {
    let year: number;
    let month: number;
    const slashed = SLASHED.exec(token);
    const quarter = QUARTER_SLASHED.exec(token);
    if (slashed) {
      month = Number(slashed[1]);
      year = Number(slashed[2]);
      if (month < 1 || month > 12) return null;
    } else if (quarter) {
      month = Number(quarter[1]) * 3 - 2;
      year = Number(quarter[2]);
    } else {
      const period = parsePeriod(token);
      if (!period) return null;
      year = period.year;
      month = period.month ?? (period.quarter ? period.quarter * 3 - 2 : 1);
    }
    if (frequency === 'quarterly') month = Math.floor((month - 1) / 3) * 3 + 1;
    if (frequency === 'yearly') month = 1;
    out.add(`${year}-${String(month).padStart(2, '0')}`);
  }
  return [...out].sort();
}

/** Problems of the form, by field, as catalogue keys. */
export interface RunFormErrors {
  horizon?: 'forecast.errorHorizon';
  models?: 'forecast.errorModels';
  levels?: 'forecast.errorLevels';
  dummy?: 'forecast.errorDummy';
}

export function validateRunForm(form: RunForm, frequency: Frequency = 'monthly'): RunFormErrors {
  const errors: RunFormErrors = {};
  const horizon = Number(form.horizon.trim());
  if (!/^\d+$/.test(form.horizon.trim()) || horizon < 1 || horizon > MAX_HORIZON) errors.horizon = 'forecast.errorHorizon';
  if (form.models.length === 0) errors.models = 'forecast.errorModels';
  if (form.levels.length === 0) errors.levels = 'forecast.errorLevels';
  if (form.dummyPeriods.trim() !== '' && parseDummyPeriods(form.dummyPeriods, frequency) === null) errors.dummy = 'forecast.errorDummy';
  return errors;
}

/** The API request of a valid form. The Tết regressor is sent only for monthly series. */
export function runRequest(form: RunForm, frequency: Frequency, vintage: number | null = null): ForecastRequest {
  const request: ForecastRequest = {
    horizon: Number(form.horizon.trim()),
    models: MODELS.filter((m) => form.models.includes(m)),
    levels: [...form.levels].sort((a, b) => a - b),
    interval_method: form.intervalMethod,
    regressors: { tet: frequency === 'monthly' && form.tet, dummies: [] },
  };
  const periods = parseDummyPeriods(form.dummyPeriods, frequency) ?? [];
  if (periods.length > 0) request.regressors?.dummies.push({ name: form.dummyName.trim() || 'dummy', periods, future: [] });
  if (vintage !== null) request.vintage = vintage;
  return request;
}

/** Toggles `value` in a list, keeping the list's order for the rest. */
export function toggle<T>(list: readonly T[], value: T, on: boolean): T[] {
  const without = list.filter((v) => v !== value);
  return on ? [...without, value] : without;
}

/** The city's GSO code: indicators of the whole city. */
export const CITY = '79';

export type JurisdictionFilter = '' | 'city' | 'wards';

/** Dashboard filters: frequency (`""` for all) and jurisdiction. */
export function filterIndicators(list: readonly IndicatorSummary[], frequency: Frequency | '', jurisdiction: JurisdictionFilter): IndicatorSummary[] {
  return list.filter(
    (i) =>
      (frequency === '' || i.frequency === frequency) &&
      (jurisdiction === '' || (jurisdiction === 'city' ? i.jurisdiction === CITY : i.jurisdiction !== CITY)),
  );
}

/** The next forecast's 80% interval as `[lo, hi]`, when the summary carries one. */
export function nextInterval(indicator: IndicatorSummary): [number, number] | null {
  const next = indicator.next_forecast;
  if (!next) return null;
  return typeof next.lo === 'number' && typeof next.hi === 'number' ? [next.lo, next.hi] : null;
}

/** The first forecast period's interval at `level` in a run, as `[lo, hi]`; null when absent or not finite. */
export function firstInterval(run: Pick<Run, 'forecast'>, level: number): [number, number] | null {
  const lo = run.forecast.lo[levelKey(level)]?.[0];
  const hi = run.forecast.hi[levelKey(level)]?.[0];
  return typeof lo === 'number' && typeof hi === 'number' && Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : null;
}

/** The percentage of a coverage share (0.83 → 83); null stays null. */
export function coveragePercent(share: number | null | undefined): number | null {
  return share === null || share === undefined || !Number.isFinite(share) ? null : share * 100;
}

/** Whether the coverage is within `tolerance` points of the nominal level (issue #7: 5 points). */
export function coverageOk(share: number | null | undefined, level: number, tolerance = 5): boolean | null {
  const percent = coveragePercent(share);
  return percent === null ? null : Math.abs(percent - level) <= tolerance;
}

/** One series of a reconciliation, with its forecasts summed over the horizon. */
export interface ReconcileRow {
  id: string;
  parent: boolean;
  base: number | null;
  bottomUp: number | null;
  mint: number | null;
}

function total(values: ReadonlyArray<number | null> | null | undefined): number | null {
  if (!values || values.length === 0) return null;
  let sum = 0;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) return null;
    sum += v;
  }
  return sum;
}

/**
 * The parent first, then its children, each with base, bottom-up and MinT
 * forecasts summed over the horizon (null where a method was not asked for or
 * a value is missing), plus the children's sums: after reconciliation the
 * children add up to the parent.
 */
export function reconcileRows(response: ReconcileResponse): { rows: ReconcileRow[]; childSum: ReconcileRow } {
  const rows = [...response.series]
    .sort((a, b) => Number(b.role === 'parent') - Number(a.role === 'parent'))
    .map((s) => ({ id: s.id, parent: s.role === 'parent', base: total(s.base), bottomUp: total(s.bottom_up), mint: total(s.mint) }));
  const children = rows.filter((r) => !r.parent);
  const sum = (pick: (r: ReconcileRow) => number | null) =>
    children.length === 0 || children.some((r) => pick(r) === null) ? null : children.reduce((acc, r) => acc + (pick(r) ?? 0), 0);
  return { rows, childSum: { id: '', parent: false, base: sum((r) => r.base), bottomUp: sum((r) => r.bottomUp), mint: sum((r) => r.mint) } };
}
