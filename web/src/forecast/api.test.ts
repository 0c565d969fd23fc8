import { describe, expect, it } from 'vitest';
import { ApiClient } from '../api/client';
import { ForecastApi, forecastPaths } from './api';

function recorder() {
  const calls: Array<{ url: string; method: string; body: unknown; headers: Record<string, string> }> = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({
      url: String(input),
      method: init?.method ?? 'GET',
      body: init?.body ? JSON.parse(String(init.body)) : undefined,
      headers: (init?.headers ?? {}) as Record<string, string>,
    });
    return new Response(JSON.stringify({ vintages: [], runs: [], indicators: [] }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  const api = new ForecastApi(new ApiClient({ fetch, getCsrfToken: () => 'tok', onUnauthorized: () => undefined }));
  return { api, calls };
}

describe('forecast API client', () => {
  it('escapes ids in paths', () => {
    expect(forecastPaths.indicator('retail/w 1')).toBe('/api/forecast/indicators/retail%2Fw%201');
    expect(forecastPaths.explain('r1')).toBe('/api/forecast/runs/r1/explain');
  });

  it('leaves out empty query parameters and joins models with commas', async () => {
    const { api, calls } = recorder();
    await api.series('cpi');
    await api.series('cpi', 3);
    await api.backtest('cpi', { horizon: 12, models: ['naive', 'ets'] });
    await api.indicators({ frequency: 'monthly', jurisdiction: '' });
    await api.explain('r1');
    await api.runs('cpi', 5);
    expect(calls.map((c) => c.url)).toEqual([
      '/api/forecast/indicators/cpi/series',
      '/api/forecast/indicators/cpi/series?vintage=3',
      '/api/forecast/indicators/cpi/backtest?horizon=12&models=naive%2Cets',
      '/api/forecast/indicators?frequency=monthly',
      '/api/forecast/runs/r1/explain',
      '/api/forecast/indicators/cpi/forecasts?limit=5',
    ]);
  });

  it('posts a run with the CSRF token', async () => {
    const { api, calls } = recorder();
    await api.runForecast('cpi', { horizon: 6, models: ['ets'], levels: [80, 95], interval_method: 'model' });
    expect(calls[0]).toMatchObject({ method: 'POST', url: '/api/forecast/indicators/cpi/forecasts', body: { horizon: 6, models: ['ets'] } });
    expect(calls[0]!.headers['X-CSRF-Token']).toBe('tok');
  });
});
