/**
 * The MapLibre style of CityOS maps: a plain background and the wards from
 * CityOS's own GeoJSON, with no outside tile, glyph or sprite service. The
 * ward map and the feedback maps share it.
 */
import type { GeoJSONSourceSpecification, StyleSpecification } from 'maplibre-gl';
import { DIVISION_COLOURS, divisionCategory } from './division';

export const WARD_SOURCE = 'wards';
export const WARD_FILL_LAYER = 'wards-fill';

interface FeatureLike {
  type: 'Feature';
  geometry: unknown;
  properties: { division_type?: string; [key: string]: unknown } | null;
}

export interface FeatureCollectionLike {
  type: 'FeatureCollection';
  features: FeatureLike[];
}

/** The ward layers (fill, selection fill, outline, selection outline) over a background. */
export function wardStyle(collection: FeatureCollectionLike, options: { fillOpacity?: number } = {}): StyleSpecification {
  const data = {
    type: 'FeatureCollection' as const,
    features: collection.features.map((feature) => ({
      ...feature,
      properties: { ...feature.properties, category: divisionCategory(feature.properties?.division_type as string | undefined) },
    })),
  };
  const colourMatch: unknown[] = ['match', ['get', 'category']];
  for (const [category, colour] of Object.entries(DIVISION_COLOURS)) {
    if (category !== 'other') colourMatch.push(category, colour);
  }
  colourMatch.push(DIVISION_COLOURS.other);
  return {
    version: 8,
    name: 'CityOS jurisdictions',
    sources: {
      [WARD_SOURCE]: { type: 'geojson', data: data as unknown as GeoJSONSourceSpecification['data'], attribution: 'CityOS' },
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#f4f7fa' } },
      {
        id: WARD_FILL_LAYER,
        type: 'fill',
        source: WARD_SOURCE,
        paint: { 'fill-color': colourMatch as never, 'fill-opacity': options.fillOpacity ?? 0.85 },
      },
      {
        id: 'wards-selected-fill',
        type: 'fill',
        source: WARD_SOURCE,
        filter: ['==', ['get', 'code'], ''],
        paint: { 'fill-color': '#0b5394', 'fill-opacity': 0.3 },
      },
      {
        id: 'wards-line',
        type: 'line',
        source: WARD_SOURCE,
        paint: {
          'line-color': '#3d6f99',
          'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.5, 13, 1.5],
        },
      },
      {
        id: 'wards-selected-line',
        type: 'line',
        source: WARD_SOURCE,
        filter: ['==', ['get', 'code'], ''],
        paint: { 'line-color': '#073763', 'line-width': 3 },
      },
    ],
  };
}
