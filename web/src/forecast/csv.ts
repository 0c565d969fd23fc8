/**
 * CSV export of an indicator: its history, then the forecast with every
 * interval. RFC 4180 (comma separator, CRLF, quotes doubled) with a UTF-8 byte
 * order mark so spreadsheet programs read Vietnamese names correctly; numbers
 * with a decimal point and periods as `YYYY-MM` / `YYYY-Qn` / `YYYY`, so the
 * file reads back into any tool the same whatever its language. The header row
 * is in the console's language.
 */

/** One field, quoted when it holds a separator, a quote or a line break. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Rows joined as CSV (CRLF line ends, a final CRLF). */
export function csvRows(rows: ReadonlyArray<ReadonlyArray<string | number | null | undefined>>): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export interface CsvHeaders {
  period: string;
  kind: string;
  value: string;
  history: string;
  forecast: string;
  lo: (level: number) => string;
  hi: (level: number) => string;
}

export interface CsvInput {
  history: ReadonlyArray<{ period: string; value: number | null }>;
  forecast: ReadonlyArray<{ period: string; mean: number | null }>;
  bands: ReadonlyArray<{ level: number; lo: ReadonlyArray<number | null>; hi: ReadonlyArray<number | null> }>;
}

/**
 * The indicator as CSV: `period, kind, value, lo80, hi80, lo95, hi95` (bands in
 * ascending level), one row per observed period (intervals empty) then one
 * per forecast period (value = the forecast mean).
 */
export function buildForecastCsv(input: CsvInput, headers: CsvHeaders): string {
  const bands = [...input.bands].sort((a, b) => a.level - b.level);
  const head = [headers.period, headers.kind, headers.value, ...bands.flatMap((b) => [headers.lo(b.level), headers.hi(b.level)])];
  const rows: Array<Array<string | number | null>> = [head];
  for (const h of input.history) rows.push([h.period, headers.history, h.value, ...bands.flatMap(() => [null, null])]);
  input.forecast.forEach((f, i) => rows.push([f.period, headers.forecast, f.mean, ...bands.flatMap((b) => [b.lo[i] ?? null, b.hi[i] ?? null])]));
  return `\ufeff${csvRows(rows)}`;
}

/** A file name safe on every system: letters, digits, `-` and `_` (Vietnamese marks folded). */
export function safeFileName(text: string): string {
  const folded = text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');
  return folded.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'indicator';
}
