import { describe, expect, it } from 'vitest';
import { boundsOf, coreBounds, distanceKm, partitionCore, geometryArea, labelPoint, pointInPolygon, rectsOverlap, type PolygonCoords } from './geometry';
import { divisionCategory } from './division';

const square: PolygonCoords = [
  [
    [106, 10],
    [107, 10],
    [107, 11],
    [106, 11],
    [106, 10],
  ],
];

// A "U" whose centroid falls in the notch, like a ward wrapped around a river bend.
const uShape: PolygonCoords = [
  [
    [0, 0],
    [3, 0],
    [3, 3],
    [2, 3],
    [2, 1],
    [1, 1],
    [1, 3],
    [0, 3],
    [0, 0],
  ],
];

describe('geometry helpers', () => {
  it('computes bounds over polygons and multipolygons', () => {
    expect(
      boundsOf([
        { type: 'Polygon', coordinates: square },
        { type: 'MultiPolygon', coordinates: [uShape] },
      ]),
    ).toEqual([0, 0, 107, 11]);
    expect(boundsOf([{ type: 'Point', coordinates: [1, 2] }])).toBeNull();
  });

  it('computes areas with holes', () => {
    const withHole: PolygonCoords = [
      square[0]!,
      [
        [106.25, 10.25],
        [106.75, 10.25],
        [106.75, 10.75],
        [106.25, 10.75],
        [106.25, 10.25],
      ],
    ];
    expect(geometryArea({ type: 'Polygon', coordinates: square })).toBeCloseTo(1);
    expect(geometryArea({ type: 'Polygon', coordinates: withHole })).toBeCloseTo(0.75);
  });

  it('places the label at the centroid of a convex ward', () => {
    const point = labelPoint({ type: 'Polygon', coordinates: square })!;
    expect(point[0]).toBeCloseTo(106.5);
    expect(point[1]).toBeCloseTo(10.5);
  });

  it('keeps the label inside a concave ward', () => {
    const point = labelPoint({ type: 'Polygon', coordinates: uShape })!;
    expect(pointInPolygon(point, uShape)).toBe(true);
  });

  it('labels the largest part of a multipolygon', () => {
    const island: PolygonCoords = [
      [
        [110, 10],
        [110.1, 10],
        [110.1, 10.1],
        [110, 10],
      ],
    ];
    const point = labelPoint({ type: 'MultiPolygon', coordinates: [island, square] })!;
    expect(point[0]).toBeCloseTo(106.5);
  });

  it('detects overlapping label boxes', () => {
    expect(rectsOverlap([0, 0, 10, 10], [5, 5, 10, 10])).toBe(true);
    expect(rectsOverlap([0, 0, 10, 10], [20, 0, 10, 10])).toBe(false);
  });

  it('normalises division types', () => {
    expect(divisionCategory('ward')).toBe('ward');
    expect(divisionCategory('Phường')).toBe('ward');
    expect(divisionCategory('xa')).toBe('commune');
    expect(divisionCategory('special_zone')).toBe('special_zone');
    expect(divisionCategory('đặc khu')).toBe('special_zone');
    expect(divisionCategory('thi_xa')).toBe('other');
  });
});

describe('coreBounds', () => {
  const unit = (lon: number, lat: number) => ({ label: [lon, lat] as [number, number], bounds: [lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01] as [number, number, number, number] });

  it('leaves out a far island', () => {
    const units = [unit(106.7, 10.78), unit(106.6, 10.9), unit(107.08, 10.35), unit(106.65, 11.3), unit(106.6, 8.68)];
    const [west, south, east, north] = coreBounds(units)!;
    expect(south).toBeCloseTo(10.34);
    expect(north).toBeCloseTo(11.31);
    expect(west).toBeCloseTo(106.59);
    expect(east).toBeCloseTo(107.09);
  });

  it('measures distances in kilometres', () => {
    // Sài Gòn to Côn Đảo is roughly 230 km.
    expect(distanceKm([106.7, 10.78], [106.6, 8.68])).toBeGreaterThan(200);
    expect(distanceKm([106.7, 10.78], [106.6, 8.68])).toBeLessThan(260);
  });

  it('returns null without units', () => {
    expect(coreBounds([])).toBeNull();
  });

  it('names the outliers', () => {
    const island = { ...unit(106.6, 8.68), name: 'Đặc khu Côn Đảo' };
    const { core, outliers } = partitionCore([unit(106.7, 10.78), unit(106.6, 10.9), island]);
    expect(core).toHaveLength(2);
    expect(outliers).toEqual([island]);
  });
});
