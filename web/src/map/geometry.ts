/**
 * Small planar geometry helpers for the ward map (pure, unit-tested).
 * Coordinates are [lon, lat]; at a ward's size the planar approximation is
 * good enough for placing a label and framing the view.
 */

export type Position = [number, number];
export type Ring = Position[];
export type PolygonCoords = Ring[];
export type Bounds = [number, number, number, number]; // west, south, east, north

export interface PolygonalGeometry {
  type: string;
  coordinates?: unknown;
}

/** The polygons of a Polygon or MultiPolygon; empty for other geometry types. */
export function polygonsOf(geometry: PolygonalGeometry | null | undefined): PolygonCoords[] {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates as PolygonCoords];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates as PolygonCoords[];
  return [];
}

/** Signed shoelace area of a ring (square degrees; positive when counter-clockwise). */
export function ringArea(ring: Ring): number {
  let sum = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    sum += (ring[j]![0] - ring[i]![0]) * (ring[j]![1] + ring[i]![1]);
  }
  return sum / 2;
}

/** Area of a polygon: outer ring minus holes (square degrees). */
export function polygonArea(polygon: PolygonCoords): number {
  if (polygon.length === 0) return 0;
  let area = Math.abs(ringArea(polygon[0]!));
  for (const hole of polygon.slice(1)) area -= Math.abs(ringArea(hole));
  return Math.max(area, 0);
}

export function geometryArea(geometry: PolygonalGeometry | null | undefined): number {
  return polygonsOf(geometry).reduce((sum, polygon) => sum + polygonArea(polygon), 0);
}

/** Bounding box of many geometries; null when none has coordinates. */
export function boundsOf(geometries: Array<PolygonalGeometry | null | undefined>): Bounds | null {
  let west = Infinity;
  let south = Infinity;
  let east = -Infinity;
  let north = -Infinity;
  for (const geometry of geometries) {
    for (const polygon of polygonsOf(geometry)) {
      for (const [lon, lat] of polygon[0] ?? []) {
        if (lon < west) west = lon;
        if (lon > east) east = lon;
        if (lat < south) south = lat;
        if (lat > north) north = lat;
      }
    }
  }
  return Number.isFinite(west) ? [west, south, east, north] : null;
}

/** Even-odd point-in-polygon test (holes count as outside). */
export function pointInPolygon(point: Position, polygon: PolygonCoords): boolean {
  let inside = false;
  const [x, y] = point;
  for (const ring of polygon) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
    }
  }
  return inside;
}

function ringCentroid(ring: Ring): Position | null {
  let a = 0;
  let cx = 0;
  let cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [x0, y0] = ring[j]!;
    const [x1, y1] = ring[i]!;
    const cross = x0 * y1 - x1 * y0;
    a += cross;
    cx += (x0 + x1) * cross;
    cy += (y0 + y1) * cross;
  }
  if (a === 0) return null;
  return [cx / (3 * a), cy / (3 * a)];
}

/**
 * Midpoint of the widest span of `polygon` along the horizontal line at `lat`
 * (holes respected); null when the line misses the polygon.
 */
function widestSpanMidpoint(polygon: PolygonCoords, lat: number): Position | null {
  const xs: number[] = [];
  for (const ring of polygon) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i]!;
      const [xj, yj] = ring[j]!;
      if (yi > lat !== yj > lat) xs.push(xi + ((lat - yi) * (xj - xi)) / (yj - yi));
    }
  }
  xs.sort((p, q) => p - q);
  let best: Position | null = null;
  let bestWidth = -1;
  for (let k = 0; k + 1 < xs.length; k += 2) {
    const width = xs[k + 1]! - xs[k]!;
    if (width > bestWidth) {
      bestWidth = width;
      best = [(xs[k]! + xs[k + 1]!) / 2, lat];
    }
  }
  return best;
}

/**
 * A point inside the largest polygon of the geometry for its label: the area
 * centroid when it lies inside, else the middle of the widest horizontal span
 * through the centroid (concave wards along rivers), else the first vertex.
 */
export function labelPoint(geometry: PolygonalGeometry | null | undefined): Position | null {
  const polygons = polygonsOf(geometry).filter((polygon) => (polygon[0]?.length ?? 0) >= 3);
  if (polygons.length === 0) return null;
  let largest = polygons[0]!;
  let largestArea = polygonArea(largest);
  for (const polygon of polygons.slice(1)) {
    const area = polygonArea(polygon);
    if (area > largestArea) {
      largest = polygon;
      largestArea = area;
    }
  }
  const outer = largest[0]!;
  const centroid = ringCentroid(outer);
  if (centroid && pointInPolygon(centroid, largest)) return centroid;
  const box = boundsOf([{ type: 'Polygon', coordinates: [outer] }])!;
  const lats = [centroid?.[1], (box[1] + box[3]) / 2, box[1] + (box[3] - box[1]) / 3, box[1] + (2 * (box[3] - box[1])) / 3];
  for (const lat of lats) {
    if (lat === undefined) continue;
    const point = widestSpanMidpoint(largest, lat);
    if (point) return point;
  }
  return outer[0]!;
}

/** Whether two screen rectangles [x, y, width, height] overlap (with a margin in pixels). */
export function rectsOverlap(a: [number, number, number, number], b: [number, number, number, number], margin = 2): boolean {
  return a[0] < b[0] + b[2] + margin && b[0] < a[0] + a[2] + margin && a[1] < b[1] + b[3] + margin && b[1] < a[1] + a[3] + margin;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Approximate ground distance in kilometres (equirectangular; fine at city scale). */
export function distanceKm(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const x = (b[0] - a[0]) * rad * Math.cos(((a[1] + b[1]) / 2) * rad);
  const y = (b[1] - a[1]) * rad;
  return Math.sqrt(x * x + y * y) * 6371;
}

interface Placed {
  label: Position | null;
  bounds: Bounds | null;
}

/**
 * Splits units into the city's main body (label point within `maxKm` of the
 * median label point) and outliers such as far islands: Côn Đảo lies ~190 km
 * offshore and would shrink the mainland to a corner of the view.
 */
export function partitionCore<T extends Placed>(units: T[], maxKm = 120): { core: T[]; outliers: T[] } {
  const labelled = units.filter((unit) => unit.label && unit.bounds);
  if (labelled.length === 0) return { core: [], outliers: [] };
  const centre: Position = [median(labelled.map((u) => u.label![0])), median(labelled.map((u) => u.label![1]))];
  const core = labelled.filter((unit) => distanceKm(unit.label!, centre) <= maxKm);
  if (core.length === 0) return { core: labelled, outliers: [] };
  return { core, outliers: labelled.filter((unit) => !core.includes(unit)) };
}

/** Union of the units' bounds; null when none has bounds. */
export function unionBounds(units: Placed[]): Bounds | null {
  const boxes = units.map((unit) => unit.bounds).filter((box): box is Bounds => box !== null);
  if (boxes.length === 0) return null;
  return boxes.reduce<Bounds>(
    (acc, box) => [Math.min(acc[0], box[0]), Math.min(acc[1], box[1]), Math.max(acc[2], box[2]), Math.max(acc[3], box[3])],
    [Infinity, Infinity, -Infinity, -Infinity],
  );
}

/** Bounds of the city's main body (see `partitionCore`). */
export function coreBounds(units: Placed[], maxKm = 120): Bounds | null {
  return unionBounds(partitionCore(units, maxKm).core);
}
