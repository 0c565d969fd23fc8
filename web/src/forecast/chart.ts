/**
 * The forecasting centre's charts as hand-written SVG: a fan chart (history,
 * forecast, 80% and 95% bands), small multiples for a decomposition, and card
 * sparklines. Scales, tick choice and paths are pure and unit-tested; the Lit
 * templates only place them. Each chart is `role="img"` with an accessible
 * name, and the page shows the same numbers in a table.
 */
import { svg, nothing, type SVGTemplateResult } from 'lit';

/** A linear scale from a value domain onto a pixel range, with round ticks. */
export interface LinearScale {
  /** The domain after rounding outwards to whole ticks. */
  min: number;
  max: number;
  ticks: number[];
  /** Pixel position of a value. */
  map: (value: number) => number;
}

/** A round step (1, 2, 2.5 or 5 × 10ⁿ) giving about `count` intervals over `span`. */
export function niceStep(span: number, count = 5): number {
  if (!Number.isFinite(span) || span <= 0) return 1;
  const rough = span / Math.max(1, count);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const factor = [1, 2, 2.5, 5, 10].find((f) => f * magnitude >= rough * (1 - 1e-9)) ?? 10;
  return factor * magnitude;
}

/**
 * A scale whose domain covers `[lo, hi]` extended outwards to round ticks,
 * mapped onto `[from, to]` (for a y axis `from` is the bottom pixel). A flat
 * domain is widened so that the line sits in the middle.
 */
export function linearScale(lo: number, hi: number, from: number, to: number, count = 5): LinearScale {
  let a = Number.isFinite(lo) ? lo : 0;
  let b = Number.isFinite(hi) ? hi : 1;
  if (a > b) [a, b] = [b, a];
  if (a === b) {
    const pad = a === 0 ? 1 : Math.abs(a) * 0.1;
    a -= pad;
    b += pad;
  }
  const step = niceStep(b - a, count);
  const min = Math.floor(a / step + 1e-9) * step;
  const max = Math.ceil(b / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let v = min; v <= max + step / 1e6; v += step) ticks.push(Number(v.toPrecision(12)));
  const span = max - min || 1;
  return { min, max, ticks, map: (value) => from + ((value - min) / span) * (to - from) };
}

export interface Point {
  x: number;
  y: number;
}

const r = (n: number) => Math.round(n * 10) / 10;

/** A finite number (the API sends non-finite values as null). */
export function finite(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** An SVG path through the points; a null point breaks the line (a missing observation). */
export function linePath(points: ReadonlyArray<Point | null>): string {
  let out = '';
  let pen = false;
  for (const p of points) {
    if (!p) {
      pen = false;
      continue;
    }
    out += `${out ? ' ' : ''}${pen ? 'L' : 'M'}${r(p.x)} ${r(p.y)}`;
    pen = true;
  }
  return out;
}

/** A closed band: along `upper` left to right, back along `lower` right to left. Empty when either side is empty. */
export function bandPath(upper: readonly Point[], lower: readonly Point[]): string {
  if (upper.length === 0 || lower.length === 0) return '';
  const forward = upper.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(p.x)} ${r(p.y)}`);
  const back = [...lower].reverse().map((p) => `L${r(p.x)} ${r(p.y)}`);
  return `${forward.join(' ')} ${back.join(' ')} Z`;
}

/** One interval band of a forecast, at `level` percent. */
export interface Band {
  level: number;
  /** Bounds per forecast period; null where the model gave no finite bound. */
  lo: Array<number | null>;
  hi: Array<number | null>;
}

/** What a fan chart shows: observed values then forecast values, each with its period label. */
export interface FanData {
  history: Array<{ period: string; value: number | null }>;
  forecast: Array<{ period: string; mean: number | null }>;
  /** Bands widest first is not required: they are drawn widest first. */
  bands: Band[];
}

export interface FanOptions {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** At most this many labelled periods on the x axis. */
  maxXTicks: number;
}

export const DEFAULT_FAN: FanOptions = { width: 760, height: 340, left: 72, right: 16, top: 14, bottom: 40, maxXTicks: 8 };

export interface FanLayout {
  width: number;
  height: number;
  plot: { x0: number; x1: number; y0: number; y1: number };
  y: LinearScale;
  historyPath: string;
  /** The forecast line, starting at the last observation so the two lines join. */
  forecastPath: string;
  bands: Array<{ level: number; path: string }>;
  /** The x of the forecast origin (a dashed divider). */
  originX: number | null;
  xTicks: Array<{ x: number; period: string }>;
  yTicks: Array<{ y: number; value: number }>;
}

/**
 * Indices of at most `max` evenly spaced labels among `count` periods. With
 * `perYear` > 1 the labels fall on the first period of a year (January,
 * quarter 1) every k years, where `firstOffset` says how far into its year
 * period 0 is.
 */
export function tickIndices(count: number, max: number, perYear = 1, firstOffset = 0): number[] {
  if (count <= 0) return [];
  if (count <= max && perYear === 1) return Array.from({ length: count }, (_, i) => i);
  if (perYear > 1) {
    const years = Math.ceil((count + firstOffset) / perYear);
    const every = Math.max(1, Math.ceil(years / Math.max(1, max)));
    const out: number[] = [];
    const first = (perYear - firstOffset) % perYear;
    for (let i = first, n = 0; i < count; i += perYear, n += 1) if (n % every === 0) out.push(i);
    return out.length > 0 ? out : [0];
  }
  const every = Math.ceil(count / max);
  const out: number[] = [];
  for (let i = 0; i < count; i += every) out.push(i);
  return out;
}

/**
 * Where everything of a fan chart goes. The x axis is by period index (one
 * step per period), history then forecast; the y scale covers history,
 * forecast and every band.
 */
export function layoutFan(data: FanData, options: Partial<FanOptions> = {}, perYear = 1, firstOffset = 0): FanLayout {
  const o = { ...DEFAULT_FAN, ...options };
  const plot = { x0: o.left, x1: o.width - o.right, y0: o.top, y1: o.height - o.bottom };
  const n = data.history.length + data.forecast.length;
  const values: number[] = [];
  for (const h of data.history) if (h.value !== null && Number.isFinite(h.value)) values.push(h.value);
  for (const f of data.forecast) if (finite(f.mean)) values.push(f.mean);
  for (const band of data.bands) for (const v of [...band.lo, ...band.hi]) if (finite(v)) values.push(v);
  const y = linearScale(values.length > 0 ? Math.min(...values) : 0, values.length > 0 ? Math.max(...values) : 1, plot.y1, plot.y0, 5);
  const x = (i: number) => (n <= 1 ? (plot.x0 + plot.x1) / 2 : plot.x0 + (i / (n - 1)) * (plot.x1 - plot.x0));
  const historyPoints = data.history.map((h, i) => (h.value === null || !Number.isFinite(h.value) ? null : { x: x(i), y: y.map(h.value) }));
  const h = data.history.length;
  const lastObserved = [...data.history].reverse().find((p) => p.value !== null && Number.isFinite(p.value));
  const joint = h > 0 && lastObserved && data.history[h - 1]?.value !== null ? [{ x: x(h - 1), y: y.map(lastObserved.value as number) }] : [];
  const forecastPoints = data.forecast.map((f, i) => (finite(f.mean) ? { x: x(h + i), y: y.map(f.mean) } : null));
  const bands = [...data.bands]
    .sort((a, b) => b.level - a.level)
    .map((band) => {
      const count = Math.min(band.lo.length, band.hi.length, data.forecast.length);
      // The band runs while both bounds are finite.
      const upper: Point[] = [];
      const lower: Point[] = [];
      for (let i = 0; i < count; i += 1) {
        const hi = band.hi[i];
        const lo = band.lo[i];
        if (!finite(hi) || !finite(lo)) break;
        upper.push({ x: x(h + i), y: y.map(hi) });
        lower.push({ x: x(h + i), y: y.map(lo) });
      }
      return { level: band.level, path: bandPath([...joint, ...upper], [...joint, ...lower]) };
    });
  const periods = [...data.history.map((p) => p.period), ...data.forecast.map((p) => p.period)];
  return {
    width: o.width,
    height: o.height,
    plot,
    y,
    historyPath: linePath(historyPoints),
    forecastPath: forecastPoints.some((p) => p !== null) ? linePath([...joint, ...forecastPoints]) : '',
    bands,
    originX: h > 0 && data.forecast.length > 0 ? x(h - 1) : null,
    xTicks: tickIndices(n, o.maxXTicks, perYear, firstOffset).map((i) => ({ x: x(i), period: periods[i] ?? '' })),
    yTicks: y.ticks.map((value) => ({ y: y.map(value), value })),
  };
}

/** Texts a fan chart needs, already translated. */
export interface FanLabels {
  title: string;
  history: string;
  forecast: string;
  band: (level: number) => string;
  formatPeriod: (period: string) => string;
  formatValue: (value: number) => string;
}

/**
 * The fan chart as SVG. Colours: history #1b2430, forecast #0b5394 (≥ 7:1 on
 * white), bands in light blues; the legend repeats them in words.
 */
export function fanChartSvg(layout: FanLayout, labels: FanLabels): SVGTemplateResult {
  const { plot } = layout;
  const bandClass = (level: number) => (level >= 90 ? 'fc-band-outer' : 'fc-band-inner');
  const legendY = 12;
  return svg`<svg class="fc-fan" viewBox="0 0 ${layout.width} ${layout.height + 24}" width="100%" role="img" aria-label=${labels.title}
    xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet" font-family="Noto Sans, Segoe UI, Arial, sans-serif" font-size="13">
    <g aria-hidden="true">
      <rect x="0" y="0" width=${layout.width} height=${layout.height + 24} fill="#ffffff"></rect>
      <g transform="translate(0 24)">
        ${layout.yTicks.map(
          (tick) => svg`<line x1=${plot.x0} x2=${plot.x1} y1=${tick.y} y2=${tick.y} stroke="#d5dbe3" stroke-width="1"></line>
            <text x=${plot.x0 - 6} y=${tick.y + 4} text-anchor="end" fill="#4a5563">${labels.formatValue(tick.value)}</text>`,
        )}
        ${layout.xTicks.map(
          (tick) => svg`<line x1=${tick.x} x2=${tick.x} y1=${plot.y1} y2=${plot.y1 + 5} stroke="#4a5563"></line>
            <text x=${tick.x} y=${plot.y1 + 20} text-anchor="middle" fill="#4a5563">${labels.formatPeriod(tick.period)}</text>`,
        )}
        <line x1=${plot.x0} x2=${plot.x1} y1=${plot.y1} y2=${plot.y1} stroke="#4a5563"></line>
        ${layout.bands.map((band) => svg`<path class=${bandClass(band.level)} d=${band.path} fill=${band.level >= 90 ? '#c6dbef' : '#8fb8de'} stroke="none"></path>`)}
        ${layout.originX !== null
          ? svg`<line x1=${layout.originX} x2=${layout.originX} y1=${plot.y0} y2=${plot.y1} stroke="#4a5563" stroke-dasharray="4 4"></line>`
          : nothing}
        <path class="fc-history" d=${layout.historyPath} fill="none" stroke="#1b2430" stroke-width="2"></path>
        ${layout.forecastPath
          ? svg`<path class="fc-forecast" d=${layout.forecastPath} fill="none" stroke="#0b5394" stroke-width="2.5" stroke-dasharray="6 3"></path>`
          : nothing}
      </g>
      <g transform="translate(${plot.x0} ${legendY})">
        <line x1="0" x2="22" y1="0" y2="0" stroke="#1b2430" stroke-width="2"></line>
        <text x="28" y="4" fill="#1b2430">${labels.history}</text>
        <line x1="140" x2="162" y1="0" y2="0" stroke="#0b5394" stroke-width="2.5" stroke-dasharray="6 3"></line>
        <text x="168" y="4" fill="#1b2430">${labels.forecast}</text>
        ${[...layout.bands]
          .reverse()
          .map(
            (band, i) => svg`<rect x=${280 + i * 130} y="-6" width="22" height="12" fill=${band.level >= 90 ? '#c6dbef' : '#8fb8de'}></rect>
              <text x=${308 + i * 130} y="4" fill="#1b2430">${labels.band(band.level)}</text>`,
          )}
      </g>
    </g>
  </svg>`;
}

/** A sparkline's path in a `width` × `height` box (1px padding); empty with fewer than two values. */
export function sparklinePath(values: ReadonlyArray<number | null>, width: number, height: number): string {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (finite.length < 2) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const span = hi - lo || 1;
  const step = (width - 2) / Math.max(1, values.length - 1);
  return linePath(values.map((v, i) => (v === null || !Number.isFinite(v) ? null : { x: 1 + i * step, y: hi === lo ? height / 2 : 1 + (1 - (v - lo) / span) * (height - 2) })));
}

/** One panel of the decomposition small multiples. */
export interface Panel {
  name: string;
  values: Array<number | null>;
}

export interface PanelLayout {
  name: string;
  top: number;
  height: number;
  path: string;
  /** The zero line, when zero is inside the panel's range (seasonal and remainder). */
  zeroY: number | null;
  yTicks: Array<{ y: number; value: number }>;
}

/** Stacks panels one above the other, each with its own y scale, sharing the x axis. */
export function layoutPanels(panels: readonly Panel[], width: number, panelHeight: number, left = 72, right = 16, gap = 22): { width: number; height: number; panels: PanelLayout[] } {
  const n = Math.max(...panels.map((p) => p.values.length), 0);
  const x = (i: number) => (n <= 1 ? left : left + (i / (n - 1)) * (width - left - right));
  const out = panels.map((panel, k) => {
    const top = gap + k * (panelHeight + gap);
    const finite = panel.values.filter((v): v is number => v !== null && Number.isFinite(v));
    const scale = linearScale(finite.length ? Math.min(...finite) : 0, finite.length ? Math.max(...finite) : 1, top + panelHeight, top, 2);
    return {
      name: panel.name,
      top,
      height: panelHeight,
      path: linePath(panel.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : { x: x(i), y: scale.map(v) }))),
      zeroY: scale.min < 0 && scale.max > 0 ? scale.map(0) : null,
      yTicks: [scale.min, scale.max].map((value) => ({ y: scale.map(value), value })),
    };
  });
  return { width, height: gap + panels.length * (panelHeight + gap), panels: out };
}

/** The decomposition as SVG small multiples, named by `title`. */
export function panelsSvg(layout: ReturnType<typeof layoutPanels>, title: string, formatValue: (v: number) => string): SVGTemplateResult {
  return svg`<svg class="fc-panels" viewBox="0 0 ${layout.width} ${layout.height}" width="100%" role="img" aria-label=${title}
    xmlns="http://www.w3.org/2000/svg" font-family="Noto Sans, Segoe UI, Arial, sans-serif" font-size="12">
    <g aria-hidden="true">
      <rect x="0" y="0" width=${layout.width} height=${layout.height} fill="#ffffff"></rect>
      ${layout.panels.map(
        (panel) => svg`<g>
          <text x="72" y=${panel.top - 6} fill="#1b2430" font-weight="600">${panel.name}</text>
          <rect x="72" y=${panel.top} width=${layout.width - 88} height=${panel.height} fill="none" stroke="#d5dbe3"></rect>
          ${panel.yTicks.map((tick) => svg`<text x="66" y=${tick.y + 4} text-anchor="end" fill="#4a5563">${formatValue(tick.value)}</text>`)}
          ${panel.zeroY !== null ? svg`<line x1="72" x2=${layout.width - 16} y1=${panel.zeroY} y2=${panel.zeroY} stroke="#8a94a3" stroke-dasharray="3 3"></line>` : nothing}
          <path d=${panel.path} fill="none" stroke="#0b5394" stroke-width="1.5"></path>
        </g>`,
      )}
    </g>
  </svg>`;
}
