import { describe, expect, it } from 'vitest';
import { changeDirection, changePercent, digitsFor, formatChange, formatPeriod, formatRatio, formatValue, nextPeriods, parsePeriod, periodKey } from './format';

describe('periods', () => {
  it('read the API labels and the accepted inputs', () => {
    expect(parsePeriod('2024-03')).toEqual({ year: 2024, month: 3, quarter: 1 });
    expect(parsePeriod('2024-10-01')).toEqual({ year: 2024, month: 10, quarter: 4 });
    expect(parsePeriod('2024-Q3')).toEqual({ year: 2024, month: null, quarter: 3 });
    expect(parsePeriod('2024q2')).toEqual({ year: 2024, month: null, quarter: 2 });
    expect(parsePeriod('2024')).toEqual({ year: 2024, month: null, quarter: null });
    expect(parsePeriod('2024-13')).toBeNull();
    expect(parsePeriod('03/2024')).toBeNull();
  });

  it('show months as mm/yyyy, quarters as Quý n/yyyy in Vietnamese and Qn yyyy in English', () => {
    expect(formatPeriod('2024-03', 'monthly', 'vi')).toBe('03/2024');
    expect(formatPeriod('2024-03', 'monthly', 'en')).toBe('03/2024');
    // Quarterly periods are labelled by the quarter's first month.
    expect(formatPeriod('2024-01', 'quarterly', 'vi')).toBe('Quý 1/2024');
    expect(formatPeriod('2024-04', 'quarterly', 'vi')).toBe('Quý 2/2024');
    expect(formatPeriod('2024-10', 'quarterly', 'en')).toBe('Q4 2024');
    expect(formatPeriod('2024-Q3', 'quarterly', 'vi')).toBe('Quý 3/2024');
    expect(formatPeriod('2024-01', 'yearly', 'vi')).toBe('2024');
    expect(formatPeriod('bad', 'monthly', 'vi')).toBe('bad');
  });

  it('give canonical keys and the following periods across year ends', () => {
    expect(periodKey({ year: 2024, month: 3, quarter: 1 }, 'monthly')).toBe('2024-03');
    expect(periodKey({ year: 2024, month: 4, quarter: 2 }, 'quarterly')).toBe('2024-Q2');
    expect(nextPeriods('2024-11', 'monthly', 3)).toEqual(['2024-12', '2025-01', '2025-02']);
    expect(nextPeriods('2024-10', 'quarterly', 2)).toEqual(['2025-01', '2025-04']);
    expect(nextPeriods('2024-Q4', 'quarterly', 2)).toEqual(['2025-Q1', '2025-Q2']);
    expect(nextPeriods('2024-01', 'yearly', 2)).toEqual(['2025', '2026']);
    expect(nextPeriods('nope', 'monthly', 2)).toEqual([]);
  });
});

describe('values and changes', () => {
  it('group thousands with dots and use a decimal comma in Vietnamese', () => {
    expect(formatValue(1234.56, 'tỷ đồng', 'vi', 1)).toBe('1.234,6\u00a0tỷ đồng');
    expect(formatValue(1234.56, 'VND billion', 'en', 1)).toBe('1,234.6\u00a0VND billion');
    expect(formatValue(118.2, '', 'vi')).toBe('118,2');
    expect(formatValue(null, 'tỷ đồng', 'vi')).toBe('—');
    expect(formatValue(Number.NaN, 'tỷ đồng', 'vi')).toBe('—');
  });

  it('show amounts in đồng as money, as elsewhere in the console', () => {
    expect(formatValue(1234567, 'VND', 'vi')).toBe('1.234.567\u00a0₫');
  });

  it('compute and sign percentage changes with a true minus sign', () => {
    expect(changePercent(118.2, 114.6)).toBeCloseTo(3.1414, 3);
    expect(changePercent(5, 0)).toBeNull();
    expect(changePercent(null, 3)).toBeNull();
    expect(formatChange(3.1414, 'vi')).toBe('+3,1\u00a0%');
    expect(formatChange(-1.25, 'vi')).toBe('\u22121,3\u00a0%');
    expect(formatChange(-1.25, 'en')).toBe('\u22121.3%');
    expect(formatChange(0.04, 'vi')).toBe('0\u00a0%');
    expect(formatChange(null, 'vi')).toBe('—');
    expect(changeDirection(0.04)).toBe('flat');
    expect(changeDirection(-0.06)).toBe('down');
    expect(changeDirection(2)).toBe('up');
    expect(changeDirection(null)).toBe('unknown');
  });

  it('format ratios with fixed decimals and pick digits by magnitude', () => {
    expect(formatRatio(0.8666, 'vi')).toBe('0,87');
    expect(formatRatio(1, 'en')).toBe('1.00');
    expect(formatRatio(null, 'vi')).toBe('—');
    expect(digitsFor([118.2, 99])).toBe(1);
    expect(digitsFor([152340, 99])).toBe(0);
    expect(digitsFor([3.25])).toBe(2);
  });
});
