import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, parseProblem } from './client';

describe('parseProblem', () => {
  it('reads RFC 9457 problem+json', () => {
    const body = JSON.stringify({
      type: 'https://cityos.example/problems/locked',
      title: 'Account locked',
      status: 423,
      detail: 'Locked until 2025-11-27T10:00:00Z',
      code: 'locked',
    });
    const error = parseProblem(423, 'application/problem+json', body);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(423);
    expect(error.code).toBe('locked');
    expect(error.title).toBe('Account locked');
    expect(error.detail).toBe('Locked until 2025-11-27T10:00:00Z');
    expect(error.type).toBe('https://cityos.example/problems/locked');
  });

  it('falls back to a code from the status when the body has none', () => {
    const error = parseProblem(403, 'application/json', JSON.stringify({ title: 'Forbidden', status: 403 }));
    expect(error.code).toBe('forbidden');
    expect(error.detail).toBeNull();
  });

  it('survives a non-JSON body', () => {
    const error = parseProblem(502, 'text/html', '<html>Bad Gateway</html>', 'Bad Gateway');
    expect(error.code).toBe('server');
    expect(error.title).toBe('Bad Gateway');
    expect(error.detail).toBe('<html>Bad Gateway</html>');
  });

  it('survives an empty body and broken JSON', () => {
    expect(parseProblem(404, null, '').code).toBe('not_found');
    const broken = parseProblem(400, 'application/problem+json', '{"code": ');
    expect(broken.code).toBe('validation');
    expect(broken.title).toBe('HTTP 400');
  });
});

function fakeFetch(status: number, body: unknown, contentType = 'application/json') {
  return vi.fn(async (_input: RequestInfo | URL, _init?: RequestInit) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    return new Response(status === 204 ? null : text, { status, headers: { 'content-type': contentType } });
  });
}

describe('ApiClient', () => {
  it('sends the CSRF token on writes only', async () => {
    const fetch = fakeFetch(200, { ok: true });
    const client = new ApiClient({ fetch, getCsrfToken: () => 'tok-123', onUnauthorized: () => undefined });
    await client.get('/api/auth/me');
    await client.post('/api/identity/users', { username: 'a' });
    await client.delete('/api/identity/users/1/grants/2');
    const headers = fetch.mock.calls.map(([, init]) => (init?.headers ?? {}) as Record<string, string>);
    expect(headers[0]!['X-CSRF-Token']).toBeUndefined();
    expect(headers[1]!['X-CSRF-Token']).toBe('tok-123');
    expect(headers[1]!['Content-Type']).toBe('application/json');
    expect(headers[2]!['X-CSRF-Token']).toBe('tok-123');
    expect(fetch.mock.calls[1]![1]!.body).toBe('{"username":"a"}');
    expect(fetch.mock.calls[0]![1]!.credentials).toBe('same-origin');
  });

  it('builds query strings without empty values', async () => {
    const fetch = fakeFetch(200, { items: [] });
    const client = new ApiClient({ fetch, getCsrfToken: () => null, onUnauthorized: () => undefined });
    await client.get('/api/identity/users', { query: { page: 2, per_page: 50, q: '' } });
    expect(fetch.mock.calls[0]![0]).toBe('/api/identity/users?page=2&per_page=50');
  });

  it('throws ApiError with the problem code and hands 401 to onUnauthorized', async () => {
    const onUnauthorized = vi.fn();
    const fetch = fakeFetch(401, { type: 'about:blank', title: 'Unauthorized', status: 401, code: 'unauthenticated' }, 'application/problem+json');
    const client = new ApiClient({ fetch, getCsrfToken: () => null, onUnauthorized });
    await expect(client.get('/api/identity/users')).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('does not redirect on 401 when the call opts out (sign-in)', async () => {
    const onUnauthorized = vi.fn();
    const fetch = fakeFetch(401, { title: 'MFA required', status: 401, code: 'mfa_required' }, 'application/problem+json');
    const client = new ApiClient({ fetch, getCsrfToken: () => null, onUnauthorized });
    await expect(client.post('/api/auth/login', {}, { handleUnauthorized: false })).rejects.toMatchObject({ code: 'mfa_required' });
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('sends a bearer token and omits cookies when configured (citizen portal)', async () => {
    const fetch = fakeFetch(200, { items: [] });
    let token: string | null = 'cct_abc';
    const client = new ApiClient({
      fetch,
      getCsrfToken: () => null,
      getBearerToken: () => token,
      credentials: 'omit',
      onUnauthorized: () => undefined,
    });
    await client.get('/api/feedback/my/reports');
    token = null;
    await client.post('/api/feedback/reports', { description: 'x' });
    const headers = fetch.mock.calls.map(([, init]) => (init?.headers ?? {}) as Record<string, string>);
    expect(headers[0]!['Authorization']).toBe('Bearer cct_abc');
    expect(headers[1]!['Authorization']).toBeUndefined();
    expect(headers[1]!['X-CSRF-Token']).toBeUndefined();
    expect(fetch.mock.calls[0]![1]!.credentials).toBe('omit');
  });

  it('returns undefined for 204', async () => {
    const client = new ApiClient({ fetch: fakeFetch(204, undefined), getCsrfToken: () => 't', onUnauthorized: () => undefined });
    await expect(client.post('/api/auth/logout')).resolves.toBeUndefined();
  });

  it('reports a network failure as status 0, code "network"', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const client = new ApiClient({ fetch, getCsrfToken: () => null, onUnauthorized: () => undefined });
    await expect(client.get('/api/auth/me')).rejects.toMatchObject({ status: 0, code: 'network' });
  });
});
