import { t, tMaybe } from '../i18n';
import { ApiError } from './client';

/** Codes whose catalogue message says everything; the server's detail would only repeat it. */
const SELF_EXPLANATORY = new Set(['invalid_credentials', 'mfa_invalid', 'mfa_required']);

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
