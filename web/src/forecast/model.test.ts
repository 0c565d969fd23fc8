import { describe, expect, it } from 'vitest';
import { bandsOf, comparisonRows, coverageOk, coveragePercent, defaultRunForm, fanData, filterIndicators, firstInterval, nextInterval, parseDummyPeriods, reconcileRows, reportRows, runRequest, toggle, validateRunForm } from './model';
import type { ForecastSeries, IndicatorSummary, Run } from './types';

const forecast: ForecastSeries = {
  model: 'ets',
  label: 'ETS(A,N,N)',
  periods: ['2024-04', '2024-05'],
  mean: [130, 140],
  lo: { '95': [120, 120], '80': [125, 130], '50': [128, 137] },
  hi: { '95': [140, 160], '80': [135, 150], '50': [132, 143] },
};

function run(partial: Partial<Run> = {}): Run {
  return {
    id: 'r1',
    indicator_id: 'cpi',
    vintage: 2,
    created_at: '2026-11-28T04:00:00Z',
    created_by: 'user:1',
    library_version: '0.1.0',
    request: { horizon: 2, models: ['ets', 'arima'], levels: [80, 95], interval_method: 'model' },
    inputs: { start: '2024-01', periods: [], values: [] },
    selected_model: 'ets',
    selection: 'backtest',
    forecast,
    models: [
      { model: 'ets', label: 'ETS(A,N,N)', error: null, forecast, backtest: { mase: 0.6, smape: 3.1, coverage: { '80': 0.83, '95': 0.97 } } },
      { model: 'arima', label: null, error: 'could not fit', forecast: null, backtest: null },
    ],
    naive: { model: 'naive', backtest: { mase: 1.2, smape: 5, coverage: { '80': 0.7, '95': 0.9 } } },
    ...partial,
  };
}

describe('forecast bands and fan data', () => {
  it('lists bands by ascending level', () => {
    expect(bandsOf(forecast).map((b) => b.level)).toEqual([50, 80, 95]);
    expect(bandsOf(null)).toEqual([]);
  });

  it('draws the 80% and 95% bands and the last observations', () => {
    const obs = [1, 2, 3, 4].map((v, i) => ({ period: `2024-0${i + 1}`, value: v * 10, vintage: 1 }));
    const data = fanData(obs, forecast, 3);
    expect(data.history.map((h) => h.period)).toEqual(['2024-02', '2024-03', '2024-04']);
    expect(data.bands.map((b) => b.level)).toEqual([80, 95]);
    expect(data.forecast).toEqual([
      { period: '2024-04', mean: 130 },
      { period: '2024-05', mean: 140 },
    ]);
    const only50and99 = { ...forecast, lo: { '50': [1, 1], '90': [0, 0], '99': [0, 0] }, hi: { '50': [2, 2], '90': [3, 3], '99': [4, 4] } };
    expect(fanData(obs, only50and99).bands.map((b) => b.level)).toEqual([50, 99]);
  });
});

describe('model comparison', () => {
  it('puts naive first as the yardstick, relates MASE to it and flags the selected model', () => {
    const rows = comparisonRows(run());
    expect(rows.map((r) => r.model)).toEqual(['naive', 'ets', 'arima']);
    expect(rows[0]).toMatchObject({ relative: 1, naive: true, selected: false });
    expect(rows[1]!.relative).toBeCloseTo(0.5, 10);
    expect(rows[1]!.selected).toBe(true);
    expect(rows[2]).toMatchObject({ mase: null, relative: null, error: 'could not fit', selected: false });
  });

  it('does not add naive twice when it was one of the models', () => {
    const r = run({
      naive: null,
      models: [
        { model: 'naive', error: null, forecast: null, backtest: { mase: 2, smape: 8, coverage: {} } },
        { model: 'theta', error: null, forecast: null, backtest: { mase: 1, smape: 4, coverage: {} } },
      ],
      selected_model: 'theta',
    });
    const rows = comparisonRows(r);
    expect(rows.map((x) => x.model)).toEqual(['naive', 'theta']);
    expect(rows[1]!.relative).toBe(0.5);
  });

  it("reads a backtest report's rows with the best model flagged", () => {
    const rows = reportRows({
      indicator_id: 'cpi',
      vintage: 4,
      horizon: 12,
      windows: 3,
      levels: [80, 95],
      best: 'ets',
      models: [
        { model: 'naive', label: 'Naive', mase: 1.12, smape: 4, coverage: { '80': 0.78 }, relative_mase: 1, error: null },
        { model: 'ets', label: 'ETS(A,N,N)', mase: 0.62, smape: 3.1, coverage: { '80': 0.83 }, relative_mase: 0.55, error: null },
        { model: 'arima', mase: null, smape: null, coverage: {}, relative_mase: null, error: 'too short' },
      ],
    });
    expect(rows.map((r) => [r.model, r.selected, r.relative, r.naive])).toEqual([
      ['naive', false, 1, true],
      ['ets', true, 0.55, false],
      ['arima', false, null, false],
    ]);
    expect(rows[2]!.error).toBe('too short');
  });

  it('judges coverage within 5 points of nominal', () => {
    expect(coveragePercent(0.83)).toBeCloseTo(83, 10);
    expect(coverageOk(0.83, 80)).toBe(true);
    expect(coverageOk(0.7, 80)).toBe(false);
    expect(coverageOk(null, 80)).toBeNull();
  });
});

describe('run form', () => {
  it('defaults by frequency and turns Tết on for monthly series only', () => {
    expect(defaultRunForm('monthly')).toMatchObject({ horizon: '12', tet: true, levels: [80, 95], intervalMethod: 'auto' });
    expect(defaultRunForm('quarterly')).toMatchObject({ horizon: '8', tet: false });
  });

  it('validates horizon 1..60, at least one model and one level', () => {
    const ok = defaultRunForm('monthly');
    expect(validateRunForm(ok)).toEqual({});
    expect(validateRunForm({ ...ok, horizon: '0' }).horizon).toBe('forecast.errorHorizon');
    expect(validateRunForm({ ...ok, horizon: '61' }).horizon).toBe('forecast.errorHorizon');
    expect(validateRunForm({ ...ok, horizon: '2.5' }).horizon).toBe('forecast.errorHorizon');
    expect(validateRunForm({ ...ok, horizon: '60' })).toEqual({});
    expect(validateRunForm({ ...ok, models: [] }).models).toBe('forecast.errorModels');
    expect(validateRunForm({ ...ok, levels: [] }).levels).toBe('forecast.errorLevels');
  });

  it('reads dummy periods in the Vietnamese and API forms', () => {
    expect(parseDummyPeriods('07/2021, 08/2021;2021-09 7/2021', 'monthly')).toEqual(['2021-07', '2021-08', '2021-09']);
    expect(parseDummyPeriods('Quý 3/2021, 2021-Q4, Q1/2022, 2022-05', 'quarterly')).toEqual(['2021-07', '2021-10', '2022-01', '2022-04']);
    expect(parseDummyPeriods('2020, 2021-06', 'yearly')).toEqual(['2020-01', '2021-01']);
    expect(parseDummyPeriods('', 'monthly')).toEqual([]);
    expect(parseDummyPeriods('13/2021', 'monthly')).toBeNull();
    expect(parseDummyPeriods('July 2021', 'monthly')).toBeNull();
    const form = { ...defaultRunForm('monthly'), dummyPeriods: 'bad' };
    expect(validateRunForm(form, 'monthly').dummy).toBe('forecast.errorDummy');
  });

  it('builds the API request: models in list order, levels ascending, Tết only for monthly', () => {
    const form = { horizon: ' 6 ', models: ['theta', 'ets'], levels: [95, 80], intervalMethod: 'conformal' as const, tet: true, dummyName: '', dummyPeriods: '' };
    expect(runRequest(form, 'monthly')).toEqual({
      horizon: 6,
      models: ['ets', 'theta'],
      levels: [80, 95],
      interval_method: 'conformal',
      regressors: { tet: true, dummies: [] },
    });
    expect(runRequest(form, 'quarterly', 3)).toMatchObject({ regressors: { tet: false }, vintage: 3 });
    expect(runRequest({ ...form, dummyName: ' lockdown ', dummyPeriods: '07/2021, 08/2021' }, 'monthly').regressors).toEqual({
      tet: true,
      dummies: [{ name: 'lockdown', periods: ['2021-07', '2021-08'], future: [] }],
    });
    expect(toggle(['a', 'b'], 'a', false)).toEqual(['b']);
    expect(toggle(['b'], 'a', true)).toEqual(['b', 'a']);
  });
});

describe('dashboard', () => {
  const base = { illustrative: true, main: true } as unknown as IndicatorSummary;
  const list = [
    { ...base, id: 'cpi', frequency: 'monthly', jurisdiction: '79' },
    { ...base, id: 'grdp', frequency: 'quarterly', jurisdiction: '79' },
    { ...base, id: 'retail-w1', frequency: 'monthly', jurisdiction: '26734' },
  ] as IndicatorSummary[];

  it('filters by frequency and area', () => {
    expect(filterIndicators(list, '', '').map((i) => i.id)).toEqual(['cpi', 'grdp', 'retail-w1']);
    expect(filterIndicators(list, 'monthly', '').map((i) => i.id)).toEqual(['cpi', 'retail-w1']);
    expect(filterIndicators(list, 'monthly', 'city').map((i) => i.id)).toEqual(['cpi']);
    expect(filterIndicators(list, '', 'wards').map((i) => i.id)).toEqual(['retail-w1']);
  });

  it("reads the next forecast's 80% interval from the summary", () => {
    const next = { period: '2026-11', value: 118.5, run_id: 'r', model: 'ets', lo: null, hi: null };
    expect(nextInterval({ ...base, next_forecast: { ...next, lo: 117, hi: 120 } })).toEqual([117, 120]);
    expect(nextInterval({ ...base, next_forecast: next })).toBeNull();
    expect(nextInterval({ ...base, next_forecast: null })).toBeNull();
  });

  it("reads a run's first-period interval, ignoring missing or non-finite bounds", () => {
    expect(firstInterval(run(), 80)).toEqual([125, 135]);
    expect(firstInterval(run(), 95)).toEqual([120, 140]);
    expect(firstInterval(run(), 99)).toBeNull();
    expect(firstInterval(run({ forecast: { ...forecast, lo: { '80': [null] } } }), 80)).toBeNull();
  });
});

describe('reconciliation', () => {
  it('sums each forecast over the horizon, parent first, and adds the children up', () => {
    const { rows, childSum } = reconcileRows({
      indicator_id: 'retail-wards',
      horizon: 2,
      model: 'ets',
      periods: ['2026-11', '2026-12'],
      series: [
        { id: 'w1', role: 'child', base: [1, 2], bottom_up: [1, 2], mint: [1.5, 2.5] },
        { id: 'retail-wards', role: 'parent', base: [10, 10], bottom_up: [6, 8], mint: [7, 7] },
        { id: 'w2', role: 'child', base: [5, 6], bottom_up: [5, 6], mint: [5.5, 4.5] },
      ],
      coherence_gap: { base: 4, bottom_up: 0, mint: 0 },
    });
    expect(rows).toEqual([
      { id: 'retail-wards', parent: true, base: 20, bottomUp: 14, mint: 14 },
      { id: 'w1', parent: false, base: 3, bottomUp: 3, mint: 4 },
      { id: 'w2', parent: false, base: 11, bottomUp: 11, mint: 10 },
    ]);
    // Bottom-up and MinT children add up to their parent; the base forecasts do not.
    expect(childSum).toEqual({ id: '', parent: false, base: 14, bottomUp: 14, mint: 14 });
  });

  it('leaves out methods that were not asked for', () => {
    const { rows, childSum } = reconcileRows({
      indicator_id: 'p',
      horizon: 1,
      model: 'ets',
      periods: ['2026-11'],
      series: [
        { id: 'p', role: 'parent', base: [3], bottom_up: [3] },
        { id: 'c', role: 'child', base: [null], bottom_up: [3] },
      ],
      coherence_gap: { base: null, bottom_up: 0 },
    });
    expect(rows[0]).toEqual({ id: 'p', parent: true, base: 3, bottomUp: 3, mint: null });
    expect(childSum).toMatchObject({ base: null, bottomUp: 3, mint: null });
  });
});
