import { describe, expect, it } from 'vitest';
import { compareText, foldForSearch, formatDate, formatDateTime, formatHours, formatMetres, formatMoney, formatNumber, formatPercent, formatTime, hcmcDayKey } from './format';

const NBSP = '\u00a0';

describe('dates and times (Asia/Ho_Chi_Minh)', () => {
  // 2025-07-01T00:30:00+07:00 — still 30 June in UTC.
  const instant = '2025-06-30T17:30:00Z';

  it('formats dates as dd/mm/yyyy in Ho Chi Minh City time', () => {
    expect(formatDate(instant, 'vi')).toBe('01/07/2025');
    expect(formatDate(instant, 'en')).toBe('01/07/2025');
    expect(formatDate(new Date(Date.UTC(2025, 11, 31, 16, 59)), 'vi')).toBe('31/12/2025');
    expect(formatDate(new Date(Date.UTC(2025, 11, 31, 17, 0)), 'vi')).toBe('01/01/2026');
  });

  it('formats times on the 24-hour clock', () => {
    expect(formatTime(instant, 'vi')).toBe('00:30');
    expect(formatTime('2025-11-27T08:05:00Z', 'en')).toBe('15:05');
    expect(formatDateTime('2025-11-27T08:05:00Z', 'vi')).toBe('27/11/2025 15:05');
  });

  it('returns an empty string for an invalid date', () => {
    expect(formatDate('not a date', 'vi')).toBe('');
    expect(formatDateTime('', 'en')).toBe('');
  });
});

describe('numbers and money (CLDR)', () => {
  it('groups with a dot and uses a decimal comma in Vietnamese', () => {
    expect(formatNumber(1234.5, 'vi')).toBe('1.234,5');
    expect(formatNumber(1234567, 'vi')).toBe('1.234.567');
    expect(formatNumber(168, 'vi')).toBe('168');
  });

  it('groups with a comma in English', () => {
    expect(formatNumber(1234.5, 'en')).toBe('1,234.5');
  });

  it('writes đồng after the amount in Vietnamese, without minor units', () => {
    expect(formatMoney(1234, 'vi')).toBe(`1.234${NBSP}₫`);
    expect(formatMoney(1234.6, 'vi')).toBe(`1.235${NBSP}₫`);
    expect(formatMoney(1234, 'en')).toBe('₫1,234');
  });
});

describe('search folding and collation', () => {
  it('folds marks and đ', () => {
    expect(foldForSearch('Phường Bến Thành')).toBe('phuong ben thanh');
    expect(foldForSearch('Đường  Đồng Khởi')).toBe('duong dong khoi');
    expect(foldForSearch('Xã Thạnh An')).toContain('thanh an');
  });

  it('folds decomposed input the same as composed input', () => {
    expect(foldForSearch('Sài Gòn'.normalize('NFD'))).toBe(foldForSearch('Sài Gòn'));
  });

  it('sorts Vietnamese names in Vietnamese order', () => {
    const names = ['Phường Đa Kao', 'Phường Diên Hồng', 'Phường An Khánh'];
    expect([...names].sort((a, b) => compareText(a, b, 'vi'))).toEqual([
      'Phường An Khánh',
      'Phường Diên Hồng',
      'Phường Đa Kao',
    ]);
  });
});

describe('dashboard figures', () => {
  it('writes percentages as 92,5 % in Vietnamese and 92.5% in English', () => {
    expect(formatPercent(92.5, 'vi')).toBe(`92,5${NBSP}%`);
    expect(formatPercent(100, 'vi')).toBe(`100${NBSP}%`);
    expect(formatPercent(66.666, 'vi')).toBe(`66,7${NBSP}%`);
    expect(formatPercent(92.5, 'en')).toBe('92.5%');
  });

  it('writes hours and metres', () => {
    expect(formatHours(40.5, 'vi')).toBe('40,5 giờ');
    expect(formatHours(1234, 'vi')).toBe('1.234 giờ');
    expect(formatHours(40.5, 'en')).toBe('40.5 hours');
    expect(formatMetres(1250.4, 'vi')).toBe(`1.250${NBSP}m`);
  });

  it('keys days by the Ho Chi Minh City calendar', () => {
    expect(hcmcDayKey('2026-11-27T16:59:59Z')).toBe('2026-11-27');
    expect(hcmcDayKey('2026-11-27T17:00:00Z')).toBe('2026-11-28');
    expect(hcmcDayKey('nope')).toBe('');
  });
});
