/**
 * Locale-aware formatting. Pure functions (no DOM), unit-tested.
 *
 * Times are stored in UTC by the server and always shown in Ho Chi Minh City
 * time, whatever the time zone of the browser.
 */

/** Languages of the console. Vietnamese is the default. */
export type Locale = 'vi' | 'en';

export const LOCALES: readonly Locale[] = ['vi', 'en'];
export const DEFAULT_LOCALE: Locale = 'vi';
export const TIME_ZONE = 'Asia/Ho_Chi_Minh';

/** BCP 47 tags handed to `Intl`: CLDR vi-VN, and British English for dd/mm/yyyy. */
export const INTL_LOCALE: Record<Locale, string> = { vi: 'vi-VN', en: 'en-GB' };

export function isLocale(value: unknown): value is Locale {
  return value === 'vi' || value === 'en';
}

type DateInput = Date | string | number;

function toDate(value: DateInput): Date | null {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

function parts(date: Date, locale: Locale, options: Intl.DateTimeFormatOptions) {
  const out: Record<string, string> = {};
  for (const part of new Intl.DateTimeFormat(INTL_LOCALE[locale], { timeZone: TIME_ZONE, ...options }).formatToParts(date)) {
    out[part.type] = part.value;
  }
  return out;
}

/** `dd/mm/yyyy` in both languages (Vietnamese and British order agree). Empty for an invalid date. */
export function formatDate(value: DateInput, locale: Locale): string {
  const date = toDate(value);
  if (!date) return '';
  const p = parts(date, locale, { day: '2-digit', month: '2-digit', year: 'numeric' });
  return `${p.day}/${p.month}/${p.year}`;
}

/** `HH:mm` on the 24-hour clock. */
export function formatTime(value: DateInput, locale: Locale): string {
  const date = toDate(value);
  if (!date) return '';
  const p = parts(date, locale, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${p.hour}:${p.minute}`;
}

/** `dd/mm/yyyy HH:mm`, Ho Chi Minh City time. */
export function formatDateTime(value: DateInput, locale: Locale): string {
  const date = toDate(value);
  if (!date) return '';
  return `${formatDate(date, locale)} ${formatTime(date, locale)}`;
}

/** Grouped decimal number: `1.234,5` in Vietnamese, `1,234.5` in English. */
export function formatNumber(value: number, locale: Locale, maximumFractionDigits = 2): string {
  return new Intl.NumberFormat(INTL_LOCALE[locale], { maximumFractionDigits }).format(value);
}

/** Amount in Vietnamese đồng: `1.234 ₫` in Vietnamese (no minor unit). */
export function formatMoney(value: number, locale: Locale): string {
  return new Intl.NumberFormat(INTL_LOCALE[locale], {
    style: 'currency',
    currency: 'VND',
    maximumFractionDigits: 0,
  }).format(value);
}

/**
 * Folds Vietnamese text for search: marks stripped, đ→d, lower case,
 * so that "ben thanh" finds "Bến Thành" and "duong" finds "Đường".
 */
export function foldForSearch(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Compares two strings in the order of the given language (Vietnamese alphabet: a ă â b c d đ e ê …). */
export function compareText(a: string, b: string, locale: Locale): number {
  return a.localeCompare(b, INTL_LOCALE[locale], { sensitivity: 'base', numeric: true });
}

/**
 * A percentage given on the 0–100 scale: `92,5 %` in Vietnamese (decimal comma,
 * a no-break space before the sign), `92.5%` in English.
 */
export function formatPercent(value: number, locale: Locale, maximumFractionDigits = 1): string {
  const number = formatNumber(value, locale, maximumFractionDigits);
  return locale === 'vi' ? `${number}\u00a0%` : `${number}%`;
}

/** A duration in hours: `40,5 giờ`, `40.5 hours`. */
export function formatHours(value: number, locale: Locale, maximumFractionDigits = 1): string {
  return new Intl.NumberFormat(INTL_LOCALE[locale], { style: 'unit', unit: 'hour', unitDisplay: 'long', maximumFractionDigits }).format(value);
}

/** A distance in metres, rounded: `120 m`, `1.250 m`. */
export function formatMetres(value: number, locale: Locale): string {
  return `${formatNumber(Math.round(value), locale, 0)}\u00a0m`;
}

/** The calendar day of an instant in Ho Chi Minh City, as `yyyy-mm-dd` (for comparing days). */
export function hcmcDayKey(value: Date | string | number): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const p = parts(date, 'en', { day: '2-digit', month: '2-digit', year: 'numeric' });
  return `${p.year}-${p.month}-${p.day}`;
}
