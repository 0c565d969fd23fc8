/**
 * A horizontal bar chart drawn as SVG without a chart library: the scale
 * (round tick values), the bars' geometry, and a Lit template with an
 * accessible name. The page shows the same numbers as a table beside it.
 * The geometry is pure and unit-tested.
 */
import { svg, type SVGTemplateResult } from 'lit';

export interface Bar {
  label: string;
  value: number;
}

export interface Scale {
  /** The axis' end: a round number at or above the largest value. */
  max: number;
  step: number;
  ticks: number[];
}

/**
 * A scale from 0 whose ticks are round (1, 2, 2.5 or 5 × 10ⁿ) and whose end
 * covers `max`, with at most `maxTicks` intervals. Whole numbers only when
 * every value is whole (counts never show 2.5).
 */
export function niceScale(max: number, maxTicks = 5, integer = true): Scale {
  if (!Number.isFinite(max) || max <= 0) return { max: 1, step: 1, ticks: [0, 1] };
  const rough = max / Math.max(1, maxTicks);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const steps = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  let step = magnitude * (steps.find((s) => s * magnitude >= rough) ?? 10);
  if (integer) step = Math.max(1, Math.round(step));
  const end = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let i = 0; i * step <= end + step / 1e9; i += 1) ticks.push(Number((i * step).toPrecision(12)));
  return { max: end, step, ticks };
}

export interface ChartOptions {
  /** The whole drawing's width in SVG units. */
  width: number;
  /** Space for the category labels, left of the bars. */
  labelWidth: number;
  /** Space right of the longest bar for its value. */
  valueWidth: number;
  rowHeight: number;
  barHeight: number;
  /** Space above the bars and below them (tick labels). */
  top: number;
  bottom: number;
}

export const DEFAULT_CHART: ChartOptions = { width: 720, labelWidth: 220, valueWidth: 72, rowHeight: 30, barHeight: 20, top: 8, bottom: 28 };

export interface BarGeometry extends Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Baseline of the row's texts. */
  textY: number;
}

export interface ChartLayout {
  width: number;
  height: number;
  /** Where the bars start (the zero line) and how long the full scale is. */
  plotX: number;
  plotWidth: number;
  scale: Scale;
  bars: BarGeometry[];
  ticks: Array<{ value: number; x: number }>;
}

/** Where every bar and tick goes; bars keep the given order. Negative values are drawn as 0. */
export function layoutBars(bars: readonly Bar[], options: Partial<ChartOptions> = {}): ChartLayout {
  const o = { ...DEFAULT_CHART, ...options };
  const integer = bars.every((b) => Number.isInteger(b.value));
  const scale = niceScale(Math.max(0, ...bars.map((b) => b.value)), 5, integer);
  const plotX = o.labelWidth;
  const plotWidth = Math.max(10, o.width - o.labelWidth - o.valueWidth);
  const x = (value: number) => plotX + (Math.max(0, value) / scale.max) * plotWidth;
  const geometry = bars.map((bar, i) => {
    const rowTop = o.top + i * o.rowHeight;
    return {
      ...bar,
      x: plotX,
      y: rowTop + (o.rowHeight - o.barHeight) / 2,
      width: x(bar.value) - plotX,
      height: o.barHeight,
      textY: rowTop + o.rowHeight / 2 + 5,
    };
  });
  return {
    width: o.width,
    height: o.top + bars.length * o.rowHeight + o.bottom,
    plotX,
    plotWidth,
    scale,
    bars: geometry,
    ticks: scale.ticks.map((value) => ({ value, x: x(value) })),
  };
}

/** Text cut to `max` characters with an ellipsis (the full text is the bar's tooltip and in the table). */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(1, max - 1)).join('').trimEnd()}…`;
}

/**
 * The chart as SVG: `role="img"` named by `title` (the table beside it carries
 * the numbers for assistive technology, so the shapes themselves are hidden).
 */
export function barChartSvg(layout: ChartLayout, title: string, formatValue: (n: number) => string): SVGTemplateResult {
  const bottom = layout.height - 20;
  return svg`<svg class="bar-chart" viewBox="0 0 ${layout.width} ${layout.height}" width="100%" role="img" aria-label=${title}
    preserveAspectRatio="xMinYMin meet">
    <g aria-hidden="true">
      ${layout.ticks.map(
        (tick) => svg`<line class="bar-chart-grid" x1=${tick.x} x2=${tick.x} y1="0" y2=${bottom}></line>
          <text class="bar-chart-tick" x=${tick.x} y=${bottom + 16} text-anchor="middle">${formatValue(tick.value)}</text>`,
      )}
      ${layout.bars.map(
        (bar) => svg`<g class="bar-chart-row">
          <title>${bar.label}: ${formatValue(bar.value)}</title>
          <text class="bar-chart-label" x=${layout.plotX - 8} y=${bar.textY} text-anchor="end">${truncate(bar.label, 30)}</text>
          <rect class="bar-chart-bar" x=${bar.x} y=${bar.y} width=${Math.max(bar.width, bar.value > 0 ? 1 : 0)} height=${bar.height}></rect>
          <text class="bar-chart-value" x=${bar.x + bar.width + 6} y=${bar.textY}>${formatValue(bar.value)}</text>
        </g>`,
      )}
    </g>
  </svg>`;
}
