/**
 * The wards under a CityOS map: loaded once from CityOS's own GeoJSON, with
 * the bounds of the city's main body (outlying islands such as Côn Đảo left
 * out) to fit the view to. The points map and the infrastructure map share it.
 */
import { loadWardGeoJson } from '../feedback/reference';
import { boundsOf, coreBounds, labelPoint, type Bounds, type PolygonalGeometry } from './geometry';
import type { FeatureCollectionLike } from './ward-style';

export interface WardBasemap {
  wards: FeatureCollectionLike;
  cityBounds: Bounds | null;
}

/** The wards and the city's bounds; no wards when they cannot be loaded (the map still draws). */
export async function loadWardBasemap(): Promise<WardBasemap> {
  let wards: FeatureCollectionLike;
  try {
    wards = (await loadWardGeoJson()) as FeatureCollectionLike;
  } catch {
    wards = { type: 'FeatureCollection', features: [] };
  }
  const placed = wards.features.map((feature) => {
    const geometry = feature.geometry as PolygonalGeometry;
    return { label: labelPoint(geometry), bounds: boundsOf([geometry]) };
  });
  return { wards, cityBounds: coreBounds(placed) };
}
