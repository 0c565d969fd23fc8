/**
 * The forecasting centre's API client: URL building is pure and unit-tested;
 * requests go through the console's `ApiClient` (session cookie, CSRF header,
 * a 401 ends the session).
 */
import type { ApiClient } from '../api/client';
import type {
  Anomalies,
  BacktestReport,
  Decomposition,
  Explain,
  ForecastRequest,
  IndicatorList,
  IndicatorSummary,
  ReconcileRequest,
  ReconcileResponse,
  Run,
  RunSummary,
  SeriesResponse,
  Vintage,
} from './types';

const enc = encodeURIComponent;

/** Paths of the API, one place. */
export const forecastPaths = {
  dashboard: () => '/api/forecast/dashboard',
  indicators: () => '/api/forecast/indicators',
  indicator: (id: string) => `/api/forecast/indicators/${enc(id)}`,
  series: (id: string) => `/api/forecast/indicators/${enc(id)}/series`,
  vintages: (id: string) => `/api/forecast/indicators/${enc(id)}/vintages`,
  observations: (id: string) => `/api/forecast/indicators/${enc(id)}/observations`,
  forecasts: (id: string) => `/api/forecast/indicators/${enc(id)}/forecasts`,
  run: (runId: string) => `/api/forecast/runs/${enc(runId)}`,
  explain: (runId: string) => `/api/forecast/runs/${enc(runId)}/explain`,
  backtest: (id: string) => `/api/forecast/indicators/${enc(id)}/backtest`,
  decomposition: (id: string) => `/api/forecast/indicators/${enc(id)}/decomposition`,
  anomalies: (id: string) => `/api/forecast/indicators/${enc(id)}/anomalies`,
  reconcile: (id: string) => `/api/forecast/indicators/${enc(id)}/reconcile`,
};

/** Filters of the indicator list (`""` for none). */
export interface IndicatorFilter {
  q?: string;
  frequency?: string;
  jurisdiction?: string;
  /** Children of this (city) indicator: its ward series. */
  parent?: string;
}

/** The typed calls the pages make. */
export class ForecastApi {
  constructor(private readonly client: ApiClient) {}

  dashboard(signal?: AbortSignal): Promise<IndicatorList> {
    return this.client.get<IndicatorList>(forecastPaths.dashboard(), { signal });
  }

  indicators(filter: IndicatorFilter = {}, signal?: AbortSignal): Promise<IndicatorList> {
    return this.client.get<IndicatorList>(forecastPaths.indicators(), { query: { ...filter }, signal });
  }

  indicator(id: string, signal?: AbortSignal): Promise<IndicatorSummary> {
    return this.client.get<IndicatorSummary>(forecastPaths.indicator(id), { signal });
  }

  series(id: string, vintage: number | null = null, signal?: AbortSignal): Promise<SeriesResponse> {
    return this.client.get<SeriesResponse>(forecastPaths.series(id), { query: { vintage }, signal });
  }

  async vintages(id: string, signal?: AbortSignal): Promise<Vintage[]> {
    const body = await this.client.get<{ vintages: Vintage[] }>(forecastPaths.vintages(id), { signal });
    return body.vintages;
  }

  async runs(id: string, limit = 20, signal?: AbortSignal): Promise<RunSummary[]> {
    const body = await this.client.get<{ runs: RunSummary[] }>(forecastPaths.forecasts(id), { query: { limit }, signal });
    return body.runs;
  }

  runForecast(id: string, request: ForecastRequest): Promise<Run> {
    return this.client.post<Run>(forecastPaths.forecasts(id), request);
  }

  run(runId: string, signal?: AbortSignal): Promise<Run> {
    return this.client.get<Run>(forecastPaths.run(runId), { signal });
  }

  explain(runId: string, against: string | null = null, signal?: AbortSignal): Promise<Explain> {
    return this.client.get<Explain>(forecastPaths.explain(runId), { query: { against }, signal });
  }

  backtest(id: string, options: { horizon?: number; models?: string[]; windows?: number } = {}, signal?: AbortSignal): Promise<BacktestReport> {
    return this.client.get<BacktestReport>(forecastPaths.backtest(id), {
      query: { horizon: options.horizon, models: options.models?.join(','), windows: options.windows },
      signal,
    });
  }

  decomposition(id: string, signal?: AbortSignal): Promise<Decomposition> {
    return this.client.get<Decomposition>(forecastPaths.decomposition(id), { signal });
  }

  anomalies(id: string, signal?: AbortSignal): Promise<Anomalies> {
    return this.client.get<Anomalies>(forecastPaths.anomalies(id), { signal });
  }

  reconcile(id: string, request: ReconcileRequest): Promise<ReconcileResponse> {
    return this.client.post<ReconcileResponse>(forecastPaths.reconcile(id), request);
  }
}
