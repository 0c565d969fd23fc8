/**
 * The signed-in session: who is signed in, the CSRF token, and the one API
 * client every page uses. The session cookie itself is HttpOnly and never
 * seen by scripts; the CSRF token lives in sessionStorage (per tab).
 */
import { ApiClient, ApiError } from './api/client';
import type { LoginRequest, LoginResponse, Me } from './api/types';

const CSRF_KEY = 'cityos.csrf';
const EXPIRES_KEY = 'cityos.expires_at';
const CHANGE_EVENT = 'cityos-session-change';
const UNAUTHORIZED_EVENT = 'cityos-unauthorized';

function storageGet(key: string): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

function storageSet(key: string, value: string | null): void {
  try {
    if (value === null) sessionStorage.removeItem(key);
    else sessionStorage.setItem(key, value);
  } catch {
    // Storage disabled: the token then lasts as long as the page.
  }
}

class Session extends EventTarget {
  me: Me | null = null;
  private csrf: string | null = storageGet(CSRF_KEY);

  readonly api = new ApiClient({
    getCsrfToken: () => this.csrf,
    onUnauthorized: (error) => this.expire(error),
  });

  get expiresAt(): string | null {
    return storageGet(EXPIRES_KEY);
  }

  /** Asks the server who is signed in; null when nobody is (401). */
  async restore(): Promise<Me | null> {
    try {
      const me = await this.api.get<Me>('/api/auth/me', { handleUnauthorized: false });
      this.setMe(me, me.csrf_token ?? this.csrf);
      return me;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        this.clear();
        return null;
      }
      throw error;
    }
  }

  /** Signs in; throws `ApiError` with code `mfa_required`, `mfa_invalid`, `invalid_credentials` or `locked`. */
  async login(request: LoginRequest): Promise<Me> {
    const response = await this.api.post<LoginResponse>('/api/auth/login', request, { handleUnauthorized: false });
    storageSet(EXPIRES_KEY, response.expires_at ?? null);
    this.setMe(response.user, response.csrf_token);
    return response.user;
  }

  async logout(): Promise<void> {
    try {
      await this.api.post<void>('/api/auth/logout', undefined, { handleUnauthorized: false });
    } finally {
      this.clear();
    }
  }

  /**
   * The server no longer knows this session (a 401): forget it and let the
   * shell show the sign-in page. Calls that opt out of the client's own 401
   * handling (a wrong current password is a 401 too) hand real expiries here.
   */
  expire(error: ApiError): void {
    this.clear();
    this.dispatchEvent(new CustomEvent<ApiError>(UNAUTHORIZED_EVENT, { detail: error }));
  }

  /** Forgets the session locally after the server has ended it (e.g. after a password change). */
  forget(): void {
    this.clear();
  }

  /** The session's CSRF token, for requests made without `api` (file uploads). */
  get csrfToken(): string | null {
    return this.csrf;
  }

  /** True when the user holds `role` with any scope. */
  hasRole(...roles: string[]): boolean {
    return !!this.me?.grants.some((grant) => roles.includes(grant.role));
  }

  onChange(listener: () => void): () => void {
    this.addEventListener(CHANGE_EVENT, listener);
    return () => this.removeEventListener(CHANGE_EVENT, listener);
  }

  onUnauthorized(listener: () => void): () => void {
    this.addEventListener(UNAUTHORIZED_EVENT, listener);
    return () => this.removeEventListener(UNAUTHORIZED_EVENT, listener);
  }

  private setMe(me: Me, csrf: string | null): void {
    this.me = me;
    this.csrf = csrf;
    storageSet(CSRF_KEY, csrf);
    this.dispatchEvent(new Event(CHANGE_EVENT));
  }

  private clear(): void {
    const hadUser = this.me !== null;
    this.me = null;
    this.csrf = null;
    storageSet(CSRF_KEY, null);
    storageSet(EXPIRES_KEY, null);
    if (hadUser) this.dispatchEvent(new Event(CHANGE_EVENT));
  }
}

/** The console's one session. */
export const session = new Session();
