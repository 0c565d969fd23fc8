import { describe, expect, it } from 'vitest';
import { bandPath, layoutFan, layoutPanels, linearScale, linePath, niceStep, sparklinePath, tickIndices } from './chart';

describe('scales', () => {
  it('choose round steps', () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(12, 5)).toBe(2.5);
    expect(niceStep(0.9, 5)).toBeCloseTo(0.2, 10);
    expect(niceStep(0, 5)).toBe(1);
  });

  it('extend the domain outwards to whole ticks and map it onto the range', () => {
    const s = linearScale(103, 187, 300, 0, 5);
    expect(s.min).toBe(100);
    expect(s.max).toBe(200);
    expect(s.ticks).toEqual([100, 120, 140, 160, 180, 200]);
    expect(s.map(100)).toBe(300);
    expect(s.map(200)).toBe(0);
    expect(s.map(150)).toBe(150);
  });

  it('cover negative values and widen a flat series', () => {
    const s = linearScale(-3.2, 4.1, 100, 0, 4);
    expect(s.min).toBe(-4);
    expect(s.max).toBe(6);
    expect(s.ticks).toContain(0);
    const flat = linearScale(50, 50, 100, 0);
    expect(flat.min).toBeLessThan(50);
    expect(flat.max).toBeGreaterThan(50);
    expect(flat.map(50)).toBeCloseTo(50, 6);
  });
});

describe('paths', () => {
  it('draw lines, breaking at missing values', () => {
    expect(linePath([{ x: 0, y: 10 }, { x: 5.55, y: 20 }, null, { x: 10, y: 5 }, { x: 15, y: 6 }])).toBe('M0 10 L5.6 20 M10 5 L15 6');
    expect(linePath([])).toBe('');
  });

  it('close a band along the upper side and back along the lower', () => {
    expect(bandPath([{ x: 0, y: 1 }, { x: 10, y: 2 }], [{ x: 0, y: 5 }, { x: 10, y: 8 }])).toBe('M0 1 L10 2 L10 8 L0 5 Z');
    expect(bandPath([], [{ x: 0, y: 1 }])).toBe('');
  });

  it('scale a sparkline into its box', () => {
    expect(sparklinePath([0, 10], 102, 12)).toBe('M1 11 L101 1');
    expect(sparklinePath([5], 100, 10)).toBe('');
  });
});

describe('fan chart layout', () => {
  const data = {
    history: [
      { period: '2024-01', value: 100 },
      { period: '2024-02', value: 110 },
      { period: '2024-03', value: 120 },
    ],
    forecast: [
      { period: '2024-04', mean: 130 },
      { period: '2024-05', mean: 140 },
    ],
    bands: [
      { level: 80, lo: [125, 130], hi: [135, 150] },
      { level: 95, lo: [120, 120], hi: [140, 160] },
    ],
  };

  it('puts periods evenly on x, joins the forecast to the last observation and scales y to the widest band', () => {
    const layout = layoutFan(data, { width: 500, height: 300, left: 100, right: 0, top: 0, bottom: 100 });
    // 5 periods over 400 px: 100 px apart; y 100..160 → 300..0 scaled to [200, 0].
    expect(layout.y.min).toBe(100);
    expect(layout.y.max).toBe(160);
    expect(layout.historyPath).toBe('M100 200 L200 166.7 L300 133.3');
    expect(layout.forecastPath).toBe('M300 133.3 L400 100 L500 66.7');
    expect(layout.originX).toBe(300);
    // Widest band first (drawn underneath).
    expect(layout.bands.map((b) => b.level)).toEqual([95, 80]);
    expect(layout.bands[0]!.path).toBe('M300 133.3 L400 66.7 L500 0 L500 133.3 L400 133.3 L300 133.3 Z');
    expect(layout.xTicks.map((t) => t.period)).toEqual(['2024-01', '2024-02', '2024-03', '2024-04', '2024-05']);
  });

  it('skips forecast values the API sent as null and ends a band at its first missing bound', () => {
    const layout = layoutFan(
      {
        history: data.history,
        forecast: [
          { period: '2024-04', mean: 130 },
          { period: '2024-05', mean: null },
        ],
        bands: [{ level: 80, lo: [125, null], hi: [135, 150] }],
      },
      { width: 500, height: 300, left: 100, right: 0, top: 0, bottom: 100 },
    );
    // y: 100..150 onto 200..0.
    expect(layout.forecastPath).toBe('M300 120 L400 80');
    expect(layout.bands[0]!.path).toBe('M300 120 L400 60 L400 100 L300 120 Z');
  });

  it('draws history alone when there is no forecast', () => {
    const layout = layoutFan({ history: data.history, forecast: [], bands: [] });
    expect(layout.forecastPath).toBe('');
    expect(layout.originX).toBeNull();
    expect(layout.bands).toEqual([]);
  });
});

describe('x ticks', () => {
  it('label every period when few, else evenly spaced', () => {
    expect(tickIndices(4, 8)).toEqual([0, 1, 2, 3]);
    expect(tickIndices(20, 5)).toEqual([0, 4, 8, 12, 16]);
    expect(tickIndices(0, 5)).toEqual([]);
  });

  it('put monthly labels on Januaries, every k years', () => {
    // 72 months from March: Januaries at 10, 22, 34, 46, 58, 70 (6 years), at most 8 labels → all.
    expect(tickIndices(72, 8, 12, 2)).toEqual([10, 22, 34, 46, 58, 70]);
    // At most 3 labels over 6–7 years: every third year.
    expect(tickIndices(72, 3, 12, 2)).toEqual([10, 46]);
    // Quarterly from Q1: first quarters.
    expect(tickIndices(10, 8, 4, 0)).toEqual([0, 4, 8]);
  });
});

describe('decomposition panels', () => {
  it('stack panels with their own scales and a zero line only when zero is inside', () => {
    const layout = layoutPanels(
      [
        { name: 'trend', values: [10, 20, 30] },
        { name: 'seasonal', values: [-1, 1, -1] },
      ],
      300,
      50,
      0,
      0,
      10,
    );
    expect(layout.height).toBe(10 + 2 * 60);
    expect(layout.panels[0]!.top).toBe(10);
    expect(layout.panels[1]!.top).toBe(70);
    expect(layout.panels[0]!.zeroY).toBeNull();
    expect(layout.panels[1]!.zeroY).toBe(95);
    expect(layout.panels[0]!.path).toBe('M0 60 L150 35 L300 10');
  });
});
