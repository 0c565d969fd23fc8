/**
 * Wire types of the forecasting centre's API (`/api/forecast/…`), as
 * documented in `docs/FORECASTING.md`. Periods are `YYYY-MM` (quarters by
 * their first month, years by January); levels are percents; interval maps
 * are keyed by the level written as a string (`"80"`).
 */
import type { Frequency } from './format';

export type Classification = 'public' | 'internal';

export type IndicatorSource =
  | { kind: 'upload' }
  | { kind: 'api' }
  | { kind: 'dataset'; dataset_id: string; column: string; period_column: string };

export interface PeriodValue {
  period: string;
  value: number;
}

export interface Change extends PeriodValue {
  abs: number;
  pct: number | null;
}

export interface NextForecast extends PeriodValue {
  run_id: string;
  model: string;
  /** The 80% interval of the next period (null when the run has no 80% interval). */
  lo: number | null;
  hi: number | null;
}

export interface IndicatorSummary {
  id: string;
  name_vi: string;
  name_en: string;
  unit: string;
  frequency: Frequency;
  jurisdiction: string;
  parent_id: string | null;
  source: IndicatorSource;
  classification: Classification;
  illustrative: boolean;
  main: boolean;
  created_at: string;
  updated_at: string;
  latest_vintage: number | null;
  observations: number;
  latest: PeriodValue | null;
  change_previous: Change | null;
  change_year: Change | null;
  next_forecast: NextForecast | null;
  /** Recent values for a sparkline, when the server sends them. */
  recent?: Array<number | null> | null;
}

export interface IndicatorList {
  indicators: IndicatorSummary[];
}

export interface Vintage {
  seq: number;
  indicator_id: string;
  note: string | null;
  created_by: string;
  created_at: string;
  added: number;
  revised: number;
  unchanged: number;
}

export interface Observation extends PeriodValue {
  vintage: number;
}

export interface SeriesResponse {
  indicator_id: string;
  vintage: number | null;
  frequency: Frequency;
  observations: Observation[];
}

export type IntervalMethod = 'auto' | 'model' | 'conformal';

export interface Dummy {
  name: string;
  periods: string[];
  future: string[];
}

export interface ForecastRequest {
  horizon: number;
  models: string[];
  levels: number[];
  interval_method: IntervalMethod;
  vintage?: number | null;
  backtest_windows?: number;
  regressors?: { tet: boolean; dummies: Dummy[] };
}

export interface ForecastSeries {
  model: string;
  label?: string | null;
  periods: string[];
  /** Non-finite numbers arrive as null. */
  mean: Array<number | null>;
  lo: Record<string, Array<number | null>>;
  hi: Record<string, Array<number | null>>;
}

export interface BacktestScore {
  windows?: number;
  horizon?: number;
  mase: number | null;
  smape: number | null;
  /** Share of actual values inside each interval, 0–1, keyed by level. */
  coverage: Record<string, number | null>;
}

export interface ModelResult {
  model: string;
  label?: string | null;
  params?: Record<string, unknown> | null;
  aicc?: number | null;
  error: string | null;
  forecast: ForecastSeries | null;
  backtest: BacktestScore | null;
}

export interface Run {
  id: string;
  indicator_id: string;
  vintage: number;
  created_at: string;
  created_by: string;
  library_version: string;
  request: ForecastRequest;
  inputs: { start: string; periods: string[]; values: number[] };
  selected_model: string;
  selection: 'backtest' | 'only' | 'fallback' | string;
  /** The models averaged into the forecast, best first (`selected_model` is `mean_of_best` when more than one). */
  members?: string[];
  /** The method actually used (`auto` resolves to one of the other two). */
  interval_method?: IntervalMethod;
  /** Backtest coverage of the selected model's own intervals (share, by level), when there was a backtest. */
  model_interval_coverage?: Record<string, number | null> | null;
  forecast: ForecastSeries;
  models: ModelResult[];
  naive: { model: string; backtest: BacktestScore | null } | null;
}

export interface RunSummary {
  id: string;
  indicator_id: string;
  vintage: number;
  created_at: string;
  created_by: string;
  selected_model: string;
  label: string | null;
  horizon: number;
  first_period: string | null;
  next_value: number | null;
}

export interface Explain {
  run: string;
  against: string | null;
  vintages: { from: number | null; to: number } | null;
  new_observations: PeriodValue[];
  revised_observations: Array<{ period: string; old: number; new: number }>;
  model_change: { from: string; to: string; from_label?: string | null; to_label?: string | null } | null;
  parameter_changes: Array<{ name: string; old: number | null; new: number | null }>;
  /** `old` and `change` are null for periods the earlier run did not forecast. */
  forecast_changes: Array<{ period: string; old: number | null; new: number; change: number | null }>;
  summary_vi: string;
  summary_en: string;
}

export interface BacktestRow {
  model: string;
  label?: string | null;
  mase: number | null;
  smape: number | null;
  coverage: Record<string, number | null>;
  relative_mase: number | null;
  error: string | null;
}

export interface BacktestReport {
  indicator_id: string;
  vintage: number | null;
  horizon: number;
  windows: number;
  levels: number[];
  models: BacktestRow[];
  best: string | null;
}

export interface Decomposition {
  indicator_id: string;
  vintage: number | null;
  method: string;
  season: number;
  periods: string[];
  observed: number[];
  trend: number[];
  seasonal: number[];
  remainder: number[];
}

export interface Anomalies {
  indicator_id: string;
  vintage: number | null;
  outliers: Array<{ period: string; value: number; expected: number; score: number }>;
  changepoints: Array<{ period: string; before: number; after: number }>;
}

export type ReconcileMethod = 'both' | 'bottom_up' | 'mint';

export interface ReconcileRequest {
  horizon: number;
  model: string;
  method: ReconcileMethod;
}

/** Base and reconciled forecasts of a parent indicator (role `parent`) and its children. */
export interface ReconcileResponse {
  indicator_id: string;
  horizon: number;
  model: string;
  method?: ReconcileMethod;
  periods: string[];
  series: Array<{ id: string; role: 'parent' | 'child' | string; base: Array<number | null>; bottom_up?: Array<number | null> | null; mint?: Array<number | null> | null }>;
  /** Largest |parent − Σ children| over the horizon, per forecast kind. */
  coherence_gap: { base: number | null; bottom_up?: number | null; mint?: number | null };
}
