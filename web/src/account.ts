/**
 * Pure helpers of the "My account" page: the password rule, the lifetime of a
 * new API key, and the state of an existing one. No DOM, unit-tested.
 */
import type { ApiKeyInfo } from './api/types';

/** The server's minimum password length (`check_password_strength`). */
export const PASSWORD_MIN_LENGTH = 10;
/** Longest lifetime the console offers for an API key, in days (ten years). */
export const API_KEY_MAX_DAYS = 3650;

export type PasswordProblem = 'empty' | 'short' | 'weak' | 'mismatch' | 'unchanged';

/**
 * Why a new password would be refused, checked before it is sent: the
 * documented rule is at least 10 characters mixing letters with digits or
 * symbols. The server stays the judge (it answers 422 `invalid_input`).
 */
export function passwordProblem(current: string, next: string, confirm: string): PasswordProblem | null {
  if (current === '' || next === '') return 'empty';
  if ([...next].length < PASSWORD_MIN_LENGTH) return 'short';
  const letters = /\p{L}/u.test(next);
  // Anything that is not a letter (or a letter's combining mark) is a digit or a symbol.
  const digitsOrSymbols = /[^\p{L}\p{M}]/u.test(next);
  if (!letters || !digitsOrSymbols) return 'weak';
  if (next !== confirm) return 'mismatch';
  if (next === current) return 'unchanged';
  return null;
}

/**
 * The "valid for N days" field of a new key: `undefined` when left empty (the
 * key lasts until revoked), a whole number from 1 to 3650, or `null` when the
 * text is not one.
 */
export function parseExpiryDays(text: string): number | undefined | null {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (!/^\d+$/.test(trimmed)) return null;
  const days = Number(trimmed);
  return days >= 1 && days <= API_KEY_MAX_DAYS ? days : null;
}

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

/** Whether a key still works at `now`: revoked wins over expired. */
export function apiKeyStatus(key: Pick<ApiKeyInfo, 'expires_at' | 'revoked_at'>, now: Date = new Date()): ApiKeyStatus {
  if (key.revoked_at) return 'revoked';
  if (key.expires_at) {
    const expires = new Date(key.expires_at).getTime();
    if (!Number.isNaN(expires) && expires <= now.getTime()) return 'expired';
  }
  return 'active';
}
