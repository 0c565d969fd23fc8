import { describe, expect, it } from 'vitest';
import { layoutBars, niceScale, truncate } from './chart';

describe('chart scale', () => {
  it('ends at a round number covering the largest value, with round ticks', () => {
    expect(niceScale(87)).toEqual({ max: 100, step: 20, ticks: [0, 20, 40, 60, 80, 100] });
    expect(niceScale(100)).toEqual({ max: 100, step: 20, ticks: [0, 20, 40, 60, 80, 100] });
    expect(niceScale(3)).toEqual({ max: 3, step: 1, ticks: [0, 1, 2, 3] });
    expect(niceScale(1234).max).toBe(1500);
    expect(niceScale(1234).step).toBe(500);
    expect(niceScale(0)).toEqual({ max: 1, step: 1, ticks: [0, 1] });
    expect(niceScale(Number.NaN).max).toBe(1);
  });

  it('uses fractional steps only for fractional values', () => {
    const s = niceScale(1.2, 5, false);
    expect(s.step).toBe(0.25);
    expect(s.max).toBe(1.25);
    expect(s.ticks).toEqual([0, 0.25, 0.5, 0.75, 1, 1.25]);
    expect(niceScale(1.2, 5, true).step).toBe(1);
  });
});

describe('bar layout', () => {
  it('draws bars in order, proportional to the scale, from the label column', () => {
    const layout = layoutBars(
      [
        { label: 'Trạm y tế', value: 80 },
        { label: 'Bệnh viện', value: 40 },
        { label: 'Lỗi', value: -5 },
      ],
      { width: 500, labelWidth: 150, valueWidth: 50, rowHeight: 30, barHeight: 20, top: 10, bottom: 20 },
    );
    expect(layout.scale.max).toBe(80);
    expect(layout.plotX).toBe(150);
    expect(layout.plotWidth).toBe(300);
    expect(layout.height).toBe(10 + 3 * 30 + 20);
    expect(layout.bars.map((b) => b.label)).toEqual(['Trạm y tế', 'Bệnh viện', 'Lỗi']);
    expect(layout.bars[0]).toMatchObject({ x: 150, y: 15, width: 300, height: 20 });
    expect(layout.bars[1]!.width).toBe(150);
    expect(layout.bars[1]!.y).toBe(45);
    // Negative counts cannot happen; they would be drawn as nothing, not leftwards.
    expect(layout.bars[2]!.width).toBe(0);
    expect(layout.ticks[0]).toEqual({ value: 0, x: 150 });
    expect(layout.ticks.at(-1)).toEqual({ value: 80, x: 450 });
  });

  it('copes with no bars', () => {
    const layout = layoutBars([]);
    expect(layout.bars).toEqual([]);
    expect(layout.scale.max).toBe(1);
  });

  it('cuts long labels with an ellipsis, counting characters not bytes', () => {
    expect(truncate('Chợ Bến Thành', 30)).toBe('Chợ Bến Thành');
    expect(truncate('Trung tâm Y tế khu vực Thủ Đức', 10)).toBe('Trung tâm…');
    expect([...truncate('Đường Nguyễn Thị Minh Khai', 6)]).toHaveLength(6);
  });
});
