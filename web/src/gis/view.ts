/**
 * What the map loads for the current view: which collections of the visible
 * networks are fetched as features and which are only counted ("zoom in to
 * see N features"). Pure, unit-tested.
 */
import { COLLECTIONS, isOverviewCollection, type CollectionDef, type Network } from './model';
import type { GisFeature } from './api';

/** From this zoom on, every collection of a visible network is loaded (a few streets across). */
export const DETAIL_ZOOM = 15;
/** Features fetched per collection and view; more than this in view asks to zoom in. */
export const ITEM_LIMIT = 500;
/** Map requests at once (of a browser's ~6 connections per server, leave some to the asset panel). */
export const MAP_REQUESTS_IN_FLIGHT = 4;
/** Rows in the keyboard list of features in view. */
export const LIST_LIMIT = 200;

export interface LoadPlan {
  /** Collections whose features are fetched. */
  load: CollectionDef[];
  /** Collections only counted, because the view is zoomed out too far. */
  count: CollectionDef[];
}

export function planLoad(zoom: number, visible: ReadonlySet<Network>): LoadPlan {
  const plan: LoadPlan = { load: [], count: [] };
  for (const def of COLLECTIONS) {
    if (!visible.has(def.network)) continue;
    if (zoom >= DETAIL_ZOOM || isOverviewCollection(def)) plan.load.push(def);
    else plan.count.push(def);
  }
  return plan;
}

export interface CollectionResult {
  collection: string;
  /** Features fetched (empty for a counted collection). */
  features: GisFeature[];
  /** Matching features in view, when the server says. */
  matched: number | null;
  /** Whether the features were fetched (false: only counted). */
  loaded: boolean;
}

/**
 * How many features in view the map does not show (counted collections plus
 * pages cut at the limit), and whether more are hidden than that count says
 * (the server may leave `numberMatched` out: then a full page means more).
 */
export function hiddenCount(results: readonly CollectionResult[], limit = ITEM_LIMIT): { count: number; unknown: boolean } {
  let count = 0;
  let unknown = false;
  for (const result of results) {
    if (result.matched === null) {
      // Unknown total: a counted collection with any feature, or a loaded page that is full, hides some.
      if (result.loaded ? result.features.length >= limit : result.features.length > 0) unknown = true;
      continue;
    }
    count += result.loaded ? Math.max(0, result.matched - result.features.length) : result.matched;
  }
  return { count, unknown };
}

/** A point of the feature for list order and for the "move" form: a Point's position, a line's first vertex. */
export function anchorOf(feature: GisFeature): [number, number] | null {
  const geometry = feature.geometry;
  if (!geometry) return null;
  const coords = geometry.coordinates;
  const isPos = (value: unknown): value is [number, number] =>
    Array.isArray(value) && value.length >= 2 && typeof value[0] === 'number' && typeof value[1] === 'number';
  if (geometry.type === 'Point' && isPos(coords)) return [coords[0], coords[1]];
  if (geometry.type === 'LineString' && Array.isArray(coords) && isPos(coords[0])) return [coords[0][0], coords[0][1]];
  if (geometry.type === 'MultiLineString' && Array.isArray(coords) && Array.isArray(coords[0]) && isPos(coords[0][0])) {
    return [coords[0][0][0], coords[0][0][1]];
  }
  return null;
}

/** Bounds of a feature's geometry, to frame it on the map. */
export function featureBounds(feature: GisFeature): [number, number, number, number] | null {
  const positions: Array<[number, number]> = [];
  const walk = (value: unknown) => {
    if (!Array.isArray(value)) return;
    if (value.length >= 2 && typeof value[0] === 'number' && typeof value[1] === 'number') positions.push([value[0], value[1]]);
    else for (const item of value) walk(item);
  };
  walk(feature.geometry?.coordinates);
  if (positions.length === 0) return null;
  const lons = positions.map((p) => p[0]);
  const lats = positions.map((p) => p[1]);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

/** Whether the map's view changed enough to reload (panning within a few pixels does not). */
export function sameView(a: { bbox: [number, number, number, number]; zoom: number } | null, b: { bbox: [number, number, number, number]; zoom: number }): boolean {
  if (!a || Math.abs(a.zoom - b.zoom) > 0.05) return false;
  const width = Math.abs(b.bbox[2] - b.bbox[0]) || 1;
  const height = Math.abs(b.bbox[3] - b.bbox[1]) || 1;
  return a.bbox.every((value, i) => Math.abs(value - b.bbox[i]!) < (i % 2 === 0 ? width : height) * 0.02);
}

/** Runs `tasks` with at most `limit` in flight; the promises settle in the tasks' order. */
export function limitConcurrency<T>(tasks: ReadonlyArray<() => Promise<T>>, limit: number): Array<Promise<T>> {
  let next = 0;
  const starters: Array<() => void> = [];
  const results = tasks.map(
    (task) =>
      new Promise<T>((resolve, reject) => {
        starters.push(() => {
          task().then(resolve, reject).finally(() => {
            const start = starters[next++];
            if (start) start();
          });
        });
      }),
  );
  while (next < Math.min(Math.max(1, limit), starters.length)) starters[next++]!();
  return results;
}
