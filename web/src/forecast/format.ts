/**
 * Periods, values and changes of indicator series, in the console's two
 * languages. Pure functions (no DOM), unit-tested.
 *
 * The API labels periods `YYYY-MM` (monthly), `YYYY-Qn` or the quarter's first
 * month `YYYY-MM` (quarterly) and `YYYY` (yearly); the console shows them as
 * `03/2024`, `Quý 1/2024` (`Q1 2024`) and `2024`.
 */
import { formatMoney, formatNumber, type Locale } from '../i18n/format';

/** How often an indicator is observed. */
export type Frequency = 'monthly' | 'quarterly' | 'yearly';

export const FREQUENCIES: readonly Frequency[] = ['monthly', 'quarterly', 'yearly'];

/** A period reduced to numbers: `month` 1–12 for monthly, `quarter` 1–4 for quarterly. */
export interface Period {
  year: number;
  /** Month 1–12 (monthly); for quarterly periods given as months, the quarter's month. */
  month: number | null;
  quarter: number | null;
}

const MONTHLY = /^(\d{4})-(\d{2})(?:-\d{2})?$/;
const QUARTERLY = /^(\d{4})-?Q([1-4])$/i;
const YEARLY = /^(\d{4})$/;

/** Reads a period label (`2024-03`, `2024-03-01`, `2024-Q1`, `2024Q1`, `2024`); null when it is none of them. */
export function parsePeriod(label: string): Period | null {
  const text = label.trim();
  const q = QUARTERLY.exec(text);
  if (q) return { year: Number(q[1]), month: null, quarter: Number(q[2]) };
  const m = MONTHLY.exec(text);
  if (m) {
    const month = Number(m[2]);
    if (month < 1 || month > 12) return null;
    return { year: Number(m[1]), month, quarter: Math.ceil(month / 3) };
  }
  const y = YEARLY.exec(text);
  if (y) return { year: Number(y[1]), month: null, quarter: null };
  return null;
}

const two = (n: number) => String(n).padStart(2, '0');

/**
 * A period as people read it: `03/2024` (monthly, both languages),
 * `Quý 1/2024` / `Q1 2024` (quarterly), `2024` (yearly). An unreadable label
 * is shown as given.
 */
export function formatPeriod(label: string, frequency: Frequency, locale: Locale): string {
  const period = parsePeriod(label);
  if (!period) return label;
  if (frequency === 'yearly') return String(period.year);
  if (frequency === 'quarterly') {
    const quarter = period.quarter ?? 1;
    return locale === 'vi' ? `Quý ${quarter}/${period.year}` : `Q${quarter} ${period.year}`;
  }
  return period.month === null ? String(period.year) : `${two(period.month)}/${period.year}`;
}

/** The canonical label of a period for the API and CSV files: `2024-03`, `2024-Q1`, `2024`. */
export function periodKey(period: Period, frequency: Frequency): string {
  if (frequency === 'yearly') return String(period.year);
  if (frequency === 'quarterly') return `${period.year}-Q${period.quarter ?? 1}`;
  return `${period.year}-${two(period.month ?? 1)}`;
}

/** How many periods make a year. */
export function periodsPerYear(frequency: Frequency): number {
  return frequency === 'monthly' ? 12 : frequency === 'quarterly' ? 4 : 1;
}

/**
 * The `count` periods after `label`, labelled in the same style as `label`
 * (a quarterly series labelled by months stays labelled by months). Empty when
 * `label` cannot be read.
 */
export function nextPeriods(label: string, frequency: Frequency, count: number): string[] {
  const period = parsePeriod(label);
  if (!period) return [];
  const out: string[] = [];
  const byMonth = MONTHLY.test(label.trim());
  let { year } = period;
  if (frequency === 'yearly') {
    for (let i = 0; i < count; i += 1) out.push(String((year += 1)));
    return out;
  }
  if (frequency === 'quarterly') {
    let quarter = period.quarter ?? 1;
    for (let i = 0; i < count; i += 1) {
      quarter += 1;
      if (quarter > 4) {
        quarter = 1;
        year += 1;
      }
      out.push(byMonth ? `${year}-${two(quarter * 3 - 2)}` : `${year}-Q${quarter}`);
    }
    return out;
  }
  let month = period.month ?? 1;
  for (let i = 0; i < count; i += 1) {
    month += 1;
    if (month > 12) {
      month = 1;
      year += 1;
    }
    out.push(`${year}-${two(month)}`);
  }
  return out;
}

/** Units whose amounts are whole đồng, shown as money (`1.234 ₫`). */
const MONEY_UNITS = new Set(['vnd', 'VND', 'đồng', 'dong']);

/**
 * A value with its unit as the indicator names it: `1.234,5 tỷ đồng`; amounts
 * in plain đồng as money (`1.234 ₫`), as elsewhere in the console.
 */
export function formatValue(value: number | null | undefined, unit: string, locale: Locale, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (MONEY_UNITS.has(unit.trim())) return formatMoney(value, locale);
  const number = formatNumber(value, locale, digits);
  return unit.trim() ? `${number}\u00a0${unit.trim()}` : number;
}

/** Relative change in percent from `previous` to `current`; null when it cannot be computed (no value, previous 0). */
export function changePercent(current: number | null | undefined, previous: number | null | undefined): number | null {
  if (current === null || current === undefined || previous === null || previous === undefined) return null;
  if (!Number.isFinite(current) || !Number.isFinite(previous) || previous === 0) return null;
  return ((current - previous) / Math.abs(previous)) * 100;
}

/**
 * A signed percentage change: `+2,3 %`, `−1,2 %` (a true minus sign), `0 %`
 * in Vietnamese; `+2.3%` in English; `—` when unknown.
 */
export function formatChange(percent: number | null | undefined, locale: Locale, digits = 1): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return '—';
  const rounded = Number(percent.toFixed(digits));
  const sign = rounded > 0 ? '+' : rounded < 0 ? '\u2212' : '';
  const number = formatNumber(Math.abs(rounded), locale, digits);
  return locale === 'vi' ? `${sign}${number}\u00a0%` : `${sign}${number}%`;
}

/** The direction of a change, for its arrow and accessible wording. */
export function changeDirection(percent: number | null | undefined): 'up' | 'down' | 'flat' | 'unknown' {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return 'unknown';
  const rounded = Number(percent.toFixed(1));
  return rounded > 0 ? 'up' : rounded < 0 ? 'down' : 'flat';
}

/** A ratio such as a relative MASE: `0,87` / `0.87`; `—` when unknown. */
export function formatRatio(value: number | null | undefined, locale: Locale, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return new Intl.NumberFormat(locale === 'vi' ? 'vi-VN' : 'en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/**
 * Digits worth showing for values of this size: none from 1000 up, one from
 * 10, two below (an index of 101,3; a rate of 3,25).
 */
export function digitsFor(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).map((v) => Math.abs(v));
  const max = finite.length > 0 ? Math.max(...finite) : 0;
  return max >= 1000 ? 0 : max >= 10 ? 1 : 2;
}
