import { getLocale, t, tMaybe } from '../i18n';
import { formatDateTime } from '../i18n/format';
import { ApiError } from './client';

/** Codes whose catalogue message says everything; the server's detail would only repeat it. */
const SELF_EXPLANATORY = new Set([
  'invalid_credentials',
  'mfa_invalid',
  'mfa_required',
  'mfa_enrollment_required',
  'unauthorized',
  'rate_limited',
  'csrf_failed',
]);

/** A string extension member of the problem body (RFC 9457 §3.2), e.g. `locked_until`. */
export function extension(error: ApiError, name: string): string | null {
  const body = error.body as Record<string, unknown> | null;
  const value = body && typeof body === 'object' ? body[name] : undefined;
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * A message for people, in the current language: the catalogue's message for
 * a known `code`, otherwise the server's problem `title`; plus the server's
 * `detail` where it adds something (for example until when an account is locked).
 */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return t('error.unknown', { status: '—' });
  }
  if (error.status === 0) return t('error.network');
  const lockedUntil = extension(error, 'locked_until');
  if (error.code === 'locked' && lockedUntil && formatDateTime(lockedUntil, getLocale())) {
    return t('error.lockedUntil', { time: formatDateTime(lockedUntil, getLocale()) });
  }
  let message: string;
  if (error.status >= 500) {
    message = t('error.server', { status: error.status });
  } else {
    message = tMaybe(`error.${error.code}`, '', {});
    if (message === '') message = error.title || t('error.unknown', { status: error.status });
  }
  if (error.detail && !SELF_EXPLANATORY.has(error.code) && error.detail !== message) {
    const stop = /[.!?…:]$/.test(message) ? '' : '.';
    message = `${message}${stop} ${t('error.serverDetail', { detail: error.detail })}`;
  }
  return message;
}
