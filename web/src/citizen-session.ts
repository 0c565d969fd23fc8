/**
 * The citizen portal's own session, kept apart from the staff session:
 * citizens sign in with a one-time code and get a bearer token (no cookie),
 * stored in sessionStorage under its own key. Every portal call goes through
 * `citizen.api`, which never sends cookies, so a staff member signed in on
 * the same browser never files or reads portal data as staff.
 */
import { ApiClient, ApiError } from './api/client';
import type { CitizenAccount, CitizenSession } from './api/types';

const TOKEN_KEY = 'cityos.citizen.token';
const EXPIRES_KEY = 'cityos.citizen.expires_at';
const CHANGE_EVENT = 'cityos-citizen-change';

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

class CitizenPortalSession extends EventTarget {
  private token: string | null = storageGet(TOKEN_KEY);
  account: CitizenAccount | null = null;

  readonly api = new ApiClient({
    credentials: 'omit',
    getCsrfToken: () => null,
    getBearerToken: () => this.token,
    onUnauthorized: () => this.clear(),
  });

  get signedIn(): boolean {
    if (!this.token) return false;
    const expires = storageGet(EXPIRES_KEY);
    if (expires && Date.parse(expires) <= Date.now()) {
      this.clear();
      return false;
    }
    return true;
  }

  /** Asks for a sign-in code by e-mail or SMS (202; 429 when asked too often). */
  async requestCode(contact: string, locale: string): Promise<void> {
    await this.api.post<void>('/api/citizen/code', { contact, locale }, { handleUnauthorized: false });
  }

  /** Checks the code; throws `ApiError` `invalid_code` (401) for a wrong or expired one. */
  async verify(contact: string, code: string, displayName: string | null, locale: string): Promise<CitizenAccount | null> {
    const session = await this.api.post<CitizenSession>(
      '/api/citizen/verify',
      { contact, code, locale, ...(displayName ? { display_name: displayName } : {}) },
      { handleUnauthorized: false },
    );
    this.token = session.token;
    storageSet(TOKEN_KEY, session.token);
    storageSet(EXPIRES_KEY, session.expires_at);
    return this.restore();
  }

  /** Reads the signed-in citizen's account; null (and signed out) when the token is gone. */
  async restore(): Promise<CitizenAccount | null> {
    if (!this.signedIn) {
      this.account = null;
      return null;
    }
    try {
      this.account = await this.api.get<CitizenAccount>('/api/citizen/me', { handleUnauthorized: false });
      this.changed();
      return this.account;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        this.clear();
        return null;
      }
      throw error;
    }
  }

  /** Ends the session on the server (best effort) and forgets the token. */
  async signOut(): Promise<void> {
    try {
      if (this.token) await this.api.post<void>('/api/auth/logout', undefined, { handleUnauthorized: false });
    } catch {
      // Forgotten locally even when the server cannot be reached.
    } finally {
      this.clear();
    }
  }

  onChange(listener: () => void): () => void {
    this.addEventListener(CHANGE_EVENT, listener);
    return () => this.removeEventListener(CHANGE_EVENT, listener);
  }

  private changed(): void {
    this.dispatchEvent(new Event(CHANGE_EVENT));
  }

  private clear(): void {
    const had = this.token !== null || this.account !== null;
    this.token = null;
    this.account = null;
    storageSet(TOKEN_KEY, null);
    storageSet(EXPIRES_KEY, null);
    if (had) this.changed();
  }
}

/** The portal's one citizen session. */
export const citizen = new CitizenPortalSession();
