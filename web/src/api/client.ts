/**
 * HTTP client for CityOS's own API (`/api`).
 *
 * - Errors arrive as RFC 9457 problem+json `{type,title,status,detail?,code}`;
 *   they become `ApiError`s whose `code` is the server's stable machine string.
 * - Every non-GET request carries `X-CSRF-Token` (the session cookie itself is
 *   HttpOnly and travels on its own).
 * - A 401 from any call except the ones that opt out hands over to
 *   `onUnauthorized` (the console then shows the sign-in page).
 */

/** An error answer from the API, or a failure to reach it (`status` 0, `code` "network"). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string | null,
    readonly type: string,
    readonly body: unknown = null,
  ) {
    super(detail ? `${title}: ${detail}` : title);
    this.name = 'ApiError';
  }
}

/** Fallback machine codes for answers that carry no `code`. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 0:
      return 'network';
    case 400:
    case 422:
      return 'validation';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 409:
      return 'conflict';
    case 423:
      return 'locked';
    default:
      return status >= 500 ? 'server' : 'unknown';
  }
}

/** Turns an error response into an `ApiError`, whatever its body (problem+json, other JSON, text, nothing). */
export function parseProblem(status: number, contentType: string | null, bodyText: string, statusText = ''): ApiError {
  let body: unknown = null;
  const looksJson = (contentType ?? '').toLowerCase().includes('json') || /^\s*[{[]/.test(bodyText);
  if (looksJson && bodyText.trim() !== '') {
    try {
      body = JSON.parse(bodyText);
    } catch {
      body = null;
    }
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    const str = (key: string) => (typeof record[key] === 'string' && record[key] !== '' ? (record[key] as string) : null);
    const code = str('code') ?? codeForStatus(status);
    const title = str('title') ?? (statusText || `HTTP ${status}`);
    return new ApiError(status, code, title, str('detail'), str('type') ?? 'about:blank', body);
  }
  const text = bodyText.trim();
  return new ApiError(
    status,
    codeForStatus(status),
    statusText || `HTTP ${status}`,
    text === '' ? null : text.slice(0, 500),
    'about:blank',
    null,
  );
}

export interface RequestOptions {
  /** Query parameters; `undefined`, `null` and `""` are left out. */
  query?: Record<string, string | number | boolean | null | undefined>;
  /** When false, a 401 is only thrown, not handed to `onUnauthorized` (sign-in, start-up). */
  handleUnauthorized?: boolean;
  signal?: AbortSignal;
}

export interface ApiClientConfig {
  baseUrl?: string;
  fetch?: typeof fetch;
  getCsrfToken: () => string | null;
  onUnauthorized: (error: ApiError) => void;
  /**
   * A bearer token to send as `Authorization` (the citizen portal's token);
   * null or absent for cookie sessions.
   */
  getBearerToken?: () => string | null;
  /**
   * Whether cookies travel: `same-origin` for the staff console, `omit` for the
   * citizen portal (it must never act with a staff member's session cookie).
   */
  credentials?: RequestCredentials;
}

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly config: ApiClientConfig) {
    this.baseUrl = config.baseUrl ?? '';
    this.fetchImpl = config.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  url(path: string, query?: RequestOptions['query']): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value === undefined || value === null || value === '') continue;
      params.set(key, String(value));
    }
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, undefined, options);
  }

  post<T>(path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, body, options);
  }

  delete<T = void>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, undefined, options);
  }

  async request<T>(method: string, path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const bearer = this.config.getBearerToken?.();
    if (bearer) headers['Authorization'] = `Bearer ${bearer}`;
    if (method !== 'GET' && method !== 'HEAD') {
      const csrf = this.config.getCsrfToken();
      if (csrf) headers['X-CSRF-Token'] = csrf;
    }
    let response: Response;
    try {
      response = await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: this.config.credentials ?? 'same-origin',
        signal: options.signal,
      });
    } catch (cause) {
      if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
      throw new ApiError(0, 'network', 'Network error', cause instanceof Error ? cause.message : String(cause), 'about:blank');
    }
    const text = await response.text();
    if (!response.ok) {
      const error = parseProblem(response.status, response.headers.get('content-type'), text, response.statusText);
      if (response.status === 401 && options.handleUnauthorized !== false) this.config.onUnauthorized(error);
      throw error;
    }
    if (response.status === 204 || text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError(response.status, 'invalid_response', 'Invalid response', text.slice(0, 200), 'about:blank');
    }
  }
}
