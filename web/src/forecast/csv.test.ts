import { describe, expect, it } from 'vitest';
import { buildForecastCsv, csvField, csvRows, safeFileName } from './csv';

describe('CSV', () => {
  it('quotes only fields that need it and doubles quotes', () => {
    expect(csvField('Bến Thành')).toBe('Bến Thành');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(1234.5)).toBe('1234.5');
    expect(csvField(Number.NaN)).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvRows([['a', 1], ['b', null]])).toBe('a,1\r\nb,\r\n');
  });

  it('writes history then forecast with intervals in ascending level, after a byte order mark', () => {
    const text = buildForecastCsv(
      {
        history: [
          { period: '2024-01', value: 100.5 },
          { period: '2024-02', value: null },
        ],
        forecast: [
          { period: '2024-03', mean: 101 },
          { period: '2024-04', mean: 102.25 },
        ],
        bands: [
          { level: 95, lo: [90, 89], hi: [112, 115] },
          { level: 80, lo: [95, 94], hi: [107, 110] },
        ],
      },
      {
        period: 'Kỳ',
        kind: 'Loại',
        value: 'Giá trị',
        history: 'Số liệu thực tế',
        forecast: 'Dự báo',
        lo: (l) => `Cận dưới ${l}%`,
        hi: (l) => `Cận trên ${l}%`,
      },
    );
    expect(text.startsWith('\ufeff')).toBe(true);
    expect(text.slice(1).split('\r\n')).toEqual([
      'Kỳ,Loại,Giá trị,Cận dưới 80%,Cận trên 80%,Cận dưới 95%,Cận trên 95%',
      '2024-01,Số liệu thực tế,100.5,,,,',
      '2024-02,Số liệu thực tế,,,,,',
      '2024-03,Dự báo,101,95,107,90,112',
      '2024-04,Dự báo,102.25,94,110,89,115',
      '',
    ]);
  });

  it('folds names into safe file names', () => {
    expect(safeFileName('Tổng mức bán lẻ – Đợt 1')).toBe('Tong-muc-ban-le-Dot-1');
    expect(safeFileName('cpi')).toBe('cpi');
    expect(safeFileName('///')).toBe('indicator');
  });
});
