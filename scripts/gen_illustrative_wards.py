#!/usr/bin/env python3
"""Generate ILLUSTRATIVE ward polygons for Ho Chi Minh City (2025 units).

No registry package ships real ward boundary polygons, so this script draws an
illustrative partition for demo purposes only. The output is NOT an official
boundary dataset and must be labelled as illustrative wherever it is shown.

Inputs (in crates/cityos_identity/data/):
  * hcmc-2025-outline.geojson  coarse outline of the three former provinces
  * hcmc-wards-2025.csv        168 units: code, name, type, centroid, area_km2

Output:
  * hcmc-wards-2025-illustrative.geojson  one Feature per unit (168)

Method
  1. Work in a local equal-area projection: a cylindrical equal-area
     projection of the WGS84 ellipsoid with standard parallel 10.8 N, i.e.
     areas are exact and scale is true near the city, so distances are
     nearly undistorted too.
  2. Domain = union of the outline polygons, plus, for each unit whose
     published centroid lies outside that coarse outline (e.g. the Con Dao
     special zone, ~190 km offshore), a 72-gon disk around its centroid
     with the unit's official area.
  3. Power (weighted Voronoi) diagram of the 168 centroids, clipped to the
     domain. Weights are adjusted iteratively so that each cell's area moves
     toward the published area (scaled so the targets sum to the domain
     area, since the coarse outline is smaller than the real territory).
     Weights are constrained so every centroid stays inside its own cell.
  4. Cells are noded together (polygonize of all boundaries) so neighbours
     share identical vertices, projected back to WGS84, rounded to 5
     decimals, made valid, and exterior rings oriented counter-clockwise
     (RFC 7946).

The output is deterministic (no randomness; fixed iteration count).

Requirements (only to REGENERATE the file; building or running CityOS does
not need Python or any of these):  Python 3.11+,
    pip install shapely numpy
(shapely >= 2.1 is required for orient_polygons / coverage_is_valid; scipy is
not needed.)

Usage:
    python3 scripts/gen_illustrative_wards.py [--data-dir DIR] [--check]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape
from shapely.ops import polygonize, unary_union

# ---------------------------------------------------------------------------
# Projection: cylindrical equal-area on the WGS84 ellipsoid (Snyder 1987,
# eqs. 3-12, 10-15, 10-16) with standard parallel PHI0 and central meridian
# LAM0. Units: km.
# ---------------------------------------------------------------------------
A_KM = 6378.137
F = 1 / 298.257223563
E2 = F * (2 - F)
E = math.sqrt(E2)
PHI0 = math.radians(10.8)
LAM0 = math.radians(106.8)
K0 = math.cos(PHI0) / math.sqrt(1 - E2 * math.sin(PHI0) ** 2)


def _q(phi: np.ndarray) -> np.ndarray:
    s = np.sin(phi)
    return (1 - E2) * (s / (1 - E2 * s * s) - (1 / (2 * E)) * np.log((1 - E * s) / (1 + E * s)))


def fwd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lam = np.radians(np.asarray(lon, dtype=float))
    phi = np.radians(np.asarray(lat, dtype=float))
    x = A_KM * K0 * (lam - LAM0)
    y = A_KM * _q(phi) / (2 * K0)
    return x, y


def inv(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    lam = x / (A_KM * K0) + LAM0
    q = 2 * K0 * y / A_KM
    phi = np.arcsin(np.clip(q / 2, -1, 1))
    for _ in range(8):  # Newton iteration, converges in 2-3 steps
        s = np.sin(phi)
        d = (1 - E2 * s * s) ** 2 / (2 * np.cos(phi)) * (
            q / (1 - E2) - s / (1 - E2 * s * s) + (1 / (2 * E)) * np.log((1 - E * s) / (1 + E * s))
        )
        phi = phi + d
    return np.degrees(lam), np.degrees(phi)


def to_proj(geom):
    return shapely.transform(geom, lambda c: np.column_stack(fwd(c[:, 0], c[:, 1])))


def to_wgs84(geom):
    return shapely.transform(geom, lambda c: np.column_stack(inv(c[:, 0], c[:, 1])))


def area_km2(geom_wgs84) -> float:
    """Ellipsoidal area (km²) of a lon/lat geometry via the equal-area projection."""
    return to_proj(geom_wgs84).area


# ---------------------------------------------------------------------------
# Power diagram by half-plane clipping of convex polygons.
# Cell_i = { p : |p - s_i|^2 - w_i <= |p - s_j|^2 - w_j  for all j }
#        = { p : 2 p.(s_j - s_i) <= |s_j|^2 - |s_i|^2 - w_j + w_i }
# ---------------------------------------------------------------------------
def clip_convex(poly: list[tuple[float, float]], a: np.ndarray, b: float):
    """Keep the part of convex polygon `poly` where a.p <= b (Sutherland-Hodgman)."""
    out = []
    n = len(poly)
    vals = [a[0] * p[0] + a[1] * p[1] - b for p in poly]
    if all(v <= 0 for v in vals):
        return poly
    if all(v > 0 for v in vals):
        return []
    for k in range(n):
        p, q = poly[k], poly[(k + 1) % n]
        vp, vq = vals[k], vals[(k + 1) % n]
        if vp <= 0:
            out.append(p)
        if (vp <= 0) != (vq <= 0):
            t = vp / (vp - vq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def power_cells(sites: np.ndarray, w: np.ndarray, box) -> list[Polygon]:
    minx, miny, maxx, maxy = box
    sq = (sites ** 2).sum(axis=1)
    cells = []
    n = len(sites)
    # visit neighbours nearest-first so the polygon shrinks quickly
    order = np.argsort(((sites[:, None, :] - sites[None, :, :]) ** 2).sum(-1), axis=1)
    for i in range(n):
        poly = [(minx, miny), (maxx, miny), (maxx, maxy), (minx, maxy)]
        for j in order[i]:
            if j == i:
                continue
            a = 2 * (sites[j] - sites[i])
            b = sq[j] - sq[i] - w[j] + w[i]
            poly = clip_convex(poly, a, b)
            if not poly:
                break
        cells.append(Polygon(poly) if len(poly) >= 3 else Polygon())
    return cells


def enforce_own_cell(w: np.ndarray, d2: np.ndarray, margin: float = 0.95) -> np.ndarray:
    """Lower weights until w_j - w_i <= margin * d_ij^2 for all i != j, which keeps
    each site strictly inside its own power cell."""
    c = margin * d2
    np.fill_diagonal(c, np.inf)
    w = w.copy()
    for _ in range(1000):
        bound = (w[:, None] + c).min(axis=0)
        new = np.minimum(w, bound)
        if np.allclose(new, w, atol=1e-12, rtol=0):
            break
        w = new
    return w


# ---------------------------------------------------------------------------
def load_wards(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        r["lat"] = float(r["lat"])
        r["lon"] = float(r["lon"])
        r["area_km2"] = float(r["area_km2"])
    return rows


def disk(cx: float, cy: float, r: float, n: int = 72) -> Polygon:
    t = np.linspace(0, 2 * math.pi, n, endpoint=False)
    return Polygon(np.column_stack([cx + r * np.cos(t), cy + r * np.sin(t)]))


def as_polys(g) -> list[Polygon]:
    if g.is_empty:
        return []
    if isinstance(g, Polygon):
        return [g]
    if isinstance(g, MultiPolygon):
        return list(g.geoms)
    out: list[Polygon] = []
    for part in getattr(g, "geoms", []):  # GeometryCollection: keep polygonal parts
        out.extend(as_polys(part))
    return out


def build(data_dir: Path, iterations: int = 80, verbose: bool = True):
    wards = load_wards(data_dir / "hcmc-wards-2025.csv")
    outline = json.loads((data_dir / "hcmc-2025-outline.geojson").read_text(encoding="utf-8"))
    land = unary_union([shape(f["geometry"]) for f in outline["features"]])
    land = shapely.make_valid(land)
    land_p = to_proj(land)

    n = len(wards)
    sx, sy = fwd([r["lon"] for r in wards], [r["lat"] for r in wards])
    sites = np.column_stack([sx, sy])
    official = np.array([r["area_km2"] for r in wards])

    # Disks for centroids outside the coarse outline.
    extra = []
    outside = []
    for i, r in enumerate(wards):
        if not land_p.contains(Point(sites[i])):
            outside.append(i)
            extra.append(disk(sites[i, 0], sites[i, 1], math.sqrt(official[i] / math.pi)))
    domain = unary_union([land_p, *extra]) if extra else land_p
    domain = shapely.make_valid(domain)
    if verbose:
        print(f"outline area {land_p.area:.1f} km², domain area {domain.area:.1f} km², "
              f"outside-outline centroids: {[wards[i]['code'] for i in outside]}", file=sys.stderr)

    # Units whose disk is disjoint from the rest of the domain (far islands) keep
    # their disk; the others share the remaining area proportionally.
    isolated = [i for i, g in zip(outside, extra) if not g.intersects(land_p) and
                land_p.distance(g) > 20.0]
    iso_area = sum(extra[outside.index(i)].area for i in isolated)
    rest = np.ones(n, bool)
    rest[isolated] = False
    scale = (domain.area - iso_area) / official[rest].sum()
    target = official * scale
    target[isolated] = [extra[outside.index(i)].area for i in isolated]

    minx, miny, maxx, maxy = domain.bounds
    pad = 50.0
    box = (minx - pad, miny - pad, maxx + pad, maxy + pad)
    d2 = ((sites[:, None, :] - sites[None, :, :]) ** 2).sum(-1)

    shapely.prepare(domain)
    w = np.zeros(n)
    best = None
    for it in range(iterations + 1):
        cells = power_cells(sites, w, box)
        clipped = [c.intersection(domain) if not c.is_empty else c for c in cells]
        areas = np.array([c.area for c in clipped])
        err = np.abs(areas - target) / target
        score = float(np.mean(err))
        if best is None or score < best[0]:
            best = (score, w.copy(), clipped, areas)
        if verbose and (it % 10 == 0 or it == iterations):
            print(f"iter {it:3d}: mean |rel err| {score:.3f}, max {err.max():.3f}", file=sys.stderr)
        if it == iterations:
            break
        # plain gradient-like step on the weights (km²), decaying; the own-cell
        # constraint below is what limits how exactly areas can be matched
        step = 0.25 * (1 - 0.8 * it / iterations)
        w = w + step * (target - areas)
        w[isolated] = 0.0
        w = enforce_own_cell(w, d2)
    _, w, clipped, _ = best

    # Node all cells together so neighbours share identical vertices.
    lines = unary_union([c.boundary for c in clipped if not c.is_empty] + [domain.boundary])
    faces = list(polygonize(lines))
    tree = shapely.STRtree(clipped)
    parts: list[list[Polygon]] = [[] for _ in range(n)]
    for f in faces:
        rp = f.representative_point()
        if not domain.covers(rp):
            continue
        cand = tree.query(rp)
        # the cell containing the face's interior point (pick the best overlap)
        best_i, best_a = None, 0.0
        for i in cand:
            a = clipped[i].intersection(f).area
            if a > best_a:
                best_i, best_a = int(i), a
        if best_i is not None and best_a > 0.5 * f.area:
            parts[best_i].append(f)
    geoms_p = [unary_union(p) if p else Polygon() for p in parts]

    # Tidy: a convex power cell crossing a ragged coastline can leave small
    # detached fragments far from the ward's centroid. Hand each such fragment
    # (not containing the centroid, < 20% of the ward) to the neighbour it
    # shares the longest border with; fragments touching no other ward
    # (separate islets) stay where they are.
    moves = []
    for i in range(n):
        g = geoms_p[i]
        if not isinstance(g, MultiPolygon):
            continue
        site = Point(sites[i])
        for part in g.geoms:
            if part.covers(site) or part.area >= 0.2 * g.area:
                continue
            best_j, best_len = None, 0.0
            for j in range(n):
                if j == i or geoms_p[j].is_empty or not geoms_p[j].intersects(part):
                    continue
                length = part.boundary.intersection(geoms_p[j].boundary).length
                if length > best_len:
                    best_j, best_len = j, length
            if best_j is not None:
                moves.append((i, best_j, part))
    for i, j, part in moves:
        geoms_p[i] = geoms_p[i].difference(part)
        geoms_p[j] = unary_union([geoms_p[j], part])
    if verbose:
        print(f"moved {len(moves)} detached fragment(s) to a neighbouring ward", file=sys.stderr)

    features = []
    for i, r in enumerate(wards):
        g = to_wgs84(geoms_p[i])
        g = shapely.set_precision(g, 1e-5)  # round to 5 decimals, keeps validity
        g = shapely.make_valid(g)
        polys = [p for p in as_polys(g) if p.area > 0]
        if not polys:
            raise SystemExit(f"ward {r['code']} ended up empty")
        g = polys[0] if len(polys) == 1 else MultiPolygon(polys)
        g = shapely.orient_polygons(g, exterior_cw=False)  # CCW exteriors, CW holes
        features.append((r, g))
    return features


def _round_coords(obj):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), 5) for v in obj]
        return [_round_coords(v) for v in obj]
    return obj


def write_geojson(features, path: Path) -> None:
    lines = []
    for r, g in features:
        geom = mapping(g)
        feat = {
            "type": "Feature",
            "properties": {
                "code": str(r["code"]),
                "name": r["name"],
                "division_type": r["division_type"],
                "area_km2_official": r["area_km2"],
                "area_km2_illustrative": round(area_km2(g), 2),
                "illustrative": True,
            },
            "geometry": {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"])},
        }
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    header = (
        '{"type":"FeatureCollection",'
        '"note":"ILLUSTRATIVE ward areas generated by scripts/gen_illustrative_wards.py '
        '(power-Voronoi partition of published ward centroids clipped to a coarse outline). '
        'Not official boundaries.",'
        '"features":[\n'
    )
    path.write_text(header + ",\n".join(lines) + "\n]}\n", encoding="utf-8")


def check(data_dir: Path, path: Path) -> int:
    """Verify the generated file; returns the number of problems found."""
    wards = load_wards(data_dir / "hcmc-wards-2025.csv")
    fc = json.loads(path.read_text(encoding="utf-8"))
    feats = fc["features"]
    problems = 0
    codes = [f["properties"]["code"] for f in feats]
    csv_codes = [r["code"] for r in wards]
    print(f"features: {len(feats)} (csv rows {len(wards)})")
    if len(feats) != len(wards) or len(set(codes)) != len(codes) or set(codes) != set(csv_codes):
        print("  code mismatch!")
        problems += 1
    else:
        print("  codes: unique, identical set to CSV")
    geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in feats}
    invalid = [c for c, g in geoms.items() if not g.is_valid or g.is_empty]
    print(f"  invalid/empty geometries: {len(invalid)} {invalid[:5]}")
    problems += len(invalid)
    # orientation
    bad_orient = 0
    for g in geoms.values():
        for p in as_polys(g):
            if not p.exterior.is_ccw or any(h.is_ccw for h in p.interiors):
                bad_orient += 1
    print(f"  rings with wrong winding: {bad_orient}")
    problems += bad_orient
    # overlaps
    arr = list(geoms.values())
    tree = shapely.STRtree(arr)
    max_ov = 0.0
    n_ov = 0
    for i, g in enumerate(arr):
        for j in tree.query(g):
            if j <= i:
                continue
            ov = area_km2(g.intersection(arr[j]))
            if ov > 0:
                n_ov += 1
                max_ov = max(max_ov, ov)
    print(f"  overlapping pairs (area > 0): {n_ov}, max overlap {max_ov * 1e6:.1f} m²")
    if max_ov > 1e-4:  # 100 m²
        problems += 1
    print(f"  coverage_is_valid: {bool(shapely.coverage_is_valid(np.array(arr, dtype=object)))}")
    # centroids
    far = []
    for r in wards:
        g = geoms[r["code"]]
        p = Point(r["lon"], r["lat"])
        if not g.contains(p):
            far.append((r["code"], r["name"], g.distance(p) * 111.0))
    print(f"  CSV centroids not strictly inside their polygon: {len(far)} {far[:5]}")
    problems += sum(1 for f in far if f[2] > 0.05)
    # areas
    tot_ill = sum(f["properties"]["area_km2_illustrative"] for f in feats)
    tot_off = sum(r["area_km2"] for r in wards)
    print(f"  total illustrative area {tot_ill:.1f} km² vs sum of official areas {tot_off:.1f} km² "
          f"(ratio {tot_ill / tot_off:.3f})")
    scale = tot_ill / tot_off
    dev = []
    for f in feats:
        p = f["properties"]
        dev.append((p["area_km2_illustrative"] / p["area_km2_official"], p))
    rel = np.array([abs(d - 1) for d, _ in dev])
    rel_s = np.array([abs(d / scale - 1) for d, _ in dev])
    print(f"  |illustrative/official - 1|: median {np.median(rel):.3f}, mean {rel.mean():.3f}; "
          f"after removing the global scale {scale:.3f}: median {np.median(rel_s):.3f}, mean {rel_s.mean():.3f}")
    print("  5 wards deviating most (by |log(illustrative/official)|):")
    for d, p in sorted(dev, key=lambda t: -abs(math.log(t[0])))[:5]:
        print(f"    {p['code']} {p['name']}: official {p['area_km2_official']} km², "
              f"illustrative {p['area_km2_illustrative']} km² (x{d:.2f})")
    size = path.stat().st_size
    print(f"  file size {size / 1024:.0f} KiB")
    if size > 1.5e6:
        problems += 1
    return problems


def main() -> int:
    here = Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=here / "crates" / "cityos_identity" / "data")
    ap.add_argument("--iterations", type=int, default=80)
    ap.add_argument("--check", action="store_true", help="only verify the existing output")
    args = ap.parse_args()
    out = args.data_dir / "hcmc-wards-2025-illustrative.geojson"
    if not args.check:
        feats = build(args.data_dir, iterations=args.iterations)
        write_geojson(feats, out)
        print(f"wrote {out}", file=sys.stderr)
    return 1 if check(args.data_dir, out) else 0


if __name__ == "__main__":
    sys.exit(main())
