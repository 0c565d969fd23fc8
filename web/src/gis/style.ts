/**
 * How each network is drawn: a colour from the Okabe–Ito palette (told apart
 * with the common colour-vision deficiencies) plus a line pattern and point
 * outline, so that no network is told apart by colour alone; the layer
 * switcher's legend draws the same swatches. Pure, unit-tested.
 */
import type { ExpressionSpecification, LayerSpecification } from 'maplibre-gl';
import { NETWORKS, type Network } from './model';

export type LinePattern = 'solid' | 'dashed' | 'dotted' | 'dash-dot' | 'long-dash';
export type PointShape = 'filled' | 'ring' | 'double';

export interface NetworkStyle {
  colour: string;
  pattern: LinePattern;
  point: PointShape;
}

/** Okabe–Ito colours, darkened where needed for 3:1 contrast on the light base map. */
export const NETWORK_STYLES: Record<Network, NetworkStyle> = {
  electricity: { colour: '#D55E00', pattern: 'solid', point: 'filled' },
  water: { colour: '#0072B2', pattern: 'long-dash', point: 'ring' },
  sewer: { colour: '#7A5A00', pattern: 'dashed', point: 'double' },
  telecom: { colour: '#AA3377', pattern: 'dotted', point: 'filled' },
  thermal: { colour: '#007A5A', pattern: 'dash-dot', point: 'ring' },
  post: { colour: '#000000', pattern: 'solid', point: 'double' },
};

/** MapLibre `line-dasharray` of a pattern (in line widths); null for solid. */
export function dashArray(pattern: LinePattern): number[] | null {
  switch (pattern) {
    case 'solid':
      return null;
    case 'dashed':
      return [3, 2];
    case 'long-dash':
      return [6, 2];
    case 'dotted':
      return [0.5, 1.5];
    case 'dash-dot':
      return [4, 1.5, 0.5, 1.5];
  }
}

/** SVG `stroke-dasharray` of a pattern for the legend swatch (3 px wide line); '' for solid. */
export function svgDashArray(pattern: LinePattern, width = 3): string {
  const dash = dashArray(pattern);
  return dash ? dash.map((value) => Math.max(value * width, 1)).join(' ') : '';
}

export const FEATURE_SOURCE = 'gis-features';
export const SELECTED_SOURCE = 'gis-selected';

export function lineLayerId(network: Network): string {
  return `gis-${network}-line`;
}

export function pointLayerId(network: Network): string {
  return `gis-${network}-point`;
}

/** Every layer id that a click may hit. */
export function interactiveLayerIds(): string[] {
  return NETWORKS.flatMap((network) => [lineLayerId(network), pointLayerId(network)]);
}

/**
 * The map layers of one network over the shared feature source (whose
 * features carry `network`, `collection`, `id` and `overview` properties):
 * a line layer and a circle layer, hidden unless `visible`.
 */
export function networkLayers(network: Network, visible: boolean): LayerSpecification[] {
  const style = NETWORK_STYLES[network];
  const visibility = visible ? 'visible' : 'none';
  const dash = dashArray(style.pattern);
  const line: LayerSpecification = {
    id: lineLayerId(network),
    type: 'line',
    source: FEATURE_SOURCE,
    filter: ['all', ['==', ['get', 'network'], network], ['==', ['geometry-type'], 'LineString']],
    layout: { visibility, 'line-cap': dash ? 'butt' : 'round', 'line-join': 'round' },
    paint: {
      'line-color': style.colour,
      'line-width': ['interpolate', ['linear'], ['zoom'], 12, 1.5, 17, 4],
      ...(dash ? { 'line-dasharray': dash } : {}),
    },
  };
  const filled = style.point === 'filled';
  const overview: ExpressionSpecification = ['==', ['get', 'overview'], true];
  const point: LayerSpecification = {
    id: pointLayerId(network),
    type: 'circle',
    source: FEATURE_SOURCE,
    filter: ['all', ['==', ['get', 'network'], network], ['==', ['geometry-type'], 'Point']],
    layout: { visibility },
    paint: {
      // Sources and facilities (the overview) are drawn larger than ordinary nodes.
      // (A zoom expression must be the top-level interpolate.)
      'circle-radius': ['interpolate', ['linear'], ['zoom'], 9, ['case', overview, 3, 2], 13, ['case', overview, 5, 3], 18, ['case', overview, 9, 6]],
      'circle-color': filled ? style.colour : '#ffffff',
      'circle-stroke-color': filled ? '#ffffff' : style.colour,
      'circle-stroke-width': ['interpolate', ['linear'], ['zoom'], 9, style.point === 'double' ? 1.5 : 1, 14, style.point === 'double' ? 3 : 2],
    },
  };
  return [line, point];
}

/** The highlight of the selected asset, above every network. */
export function selectionLayers(): LayerSpecification[] {
  return [
    {
      id: 'gis-selected-line',
      type: 'line',
      source: SELECTED_SOURCE,
      filter: ['==', ['geometry-type'], 'LineString'],
      paint: { 'line-color': '#1a1a1a', 'line-width': 7, 'line-opacity': 0.35 },
    },
    {
      id: 'gis-selected-point',
      type: 'circle',
      source: SELECTED_SOURCE,
      filter: ['==', ['geometry-type'], 'Point'],
      paint: { 'circle-radius': 12, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#1a1a1a', 'circle-stroke-width': 3 },
    },
  ];
}
