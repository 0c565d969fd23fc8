//! Agreement with PROJ: reference coordinates in `fixtures/crs_reference.json`
//! were computed by PROJ through pyproj (see `fixtures/gen_crs_reference.py`
//! for the version and pipelines) at points across Ho Chi Minh City.

use cityos_geo::crs::Crs;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    proj: String,
    systems: Vec<System>,
}

#[derive(Deserialize)]
struct System {
    epsg: u32,
    pipeline: String,
    points: Vec<Point>,
}

#[derive(Deserialize)]
struct Point {
    lon: f64,
    lat: f64,
    x: f64,
    y: f64,
}

const FIXTURE: &str = include_str!("fixtures/crs_reference.json");

/// Metres per degree of latitude, near enough for tolerances.
const M_PER_DEG: f64 = 111_320.0;

#[test]
fn every_vn2000_system_and_projection_agrees_with_proj() {
    let f: Fixture = serde_json::from_str(FIXTURE).unwrap();
    assert!(f.proj.starts_with('9'), "generated with PROJ {}", f.proj);
    let mut worst_projected = 0.0f64;
    let mut worst_geographic = 0.0f64;
    let mut covered = Vec::new();
    for s in &f.systems {
        let crs = Crs::from_epsg(s.epsg).unwrap();
        covered.push(crs);
        if crs.is_vn2000() {
            assert!(s.pipeline.contains("x=-191.90441429"), "{}: {}", s.epsg, s.pipeline);
        }
        assert!(s.points.len() >= 20, "{}", s.epsg);
        for p in &s.points {
            let (x, y) = crs.from_crs84(p.lon, p.lat).unwrap();
            let (lon, lat) = crs.to_crs84(p.x, p.y).unwrap();
            let back = (lon - p.lon).abs().max((lat - p.lat).abs());
            if crs.is_projected() {
                let d = (x - p.x).hypot(y - p.y);
                assert!(d < 0.01, "EPSG:{} at {},{}: {d} m from PROJ", s.epsg, p.lon, p.lat);
                worst_projected = worst_projected.max(d);
            } else {
                let d = (x - p.x).abs().max((y - p.y).abs());
                assert!(d < 1e-8, "EPSG:{} at {},{}: {d}° from PROJ", s.epsg, p.lon, p.lat);
                worst_geographic = worst_geographic.max(d);
            }
            // Inverse against PROJ's inverse point: 1e-8° ≈ 1.1 mm.
            assert!(back < 1e-8, "EPSG:{} inverse at {},{}: {back}°", s.epsg, p.lon, p.lat);
            worst_geographic = worst_geographic.max(back);
        }
    }
    for c in Crs::ALL.iter().filter(|c| **c != Crs::Crs84) {
        assert!(covered.contains(c), "{c:?} has no reference points");
    }
    eprintln!(
        "worst vs PROJ: projected {worst_projected:.2e} m, geographic {worst_geographic:.2e}° ({:.2e} m)",
        worst_geographic * M_PER_DEG
    );
}

#[test]
fn round_trips_are_sub_millimetre() {
    let f: Fixture = serde_json::from_str(FIXTURE).unwrap();
    for s in &f.systems {
        let crs = Crs::from_epsg(s.epsg).unwrap();
        for p in &s.points {
            let (x, y) = crs.from_crs84(p.lon, p.lat).unwrap();
            let (lon, lat) = crs.to_crs84(x, y).unwrap();
            let d = (lon - p.lon).abs().max((lat - p.lat).abs()) * M_PER_DEG;
            assert!(d < 1e-3, "EPSG:{} round trip at {},{}: {d} m", s.epsg, p.lon, p.lat);
            // And between two systems directly (HCMC zone ↔ UTM 48N).
            let (e, n) = Crs::Vn2000Tm3_105_45.from_crs84(p.lon, p.lat).unwrap();
            let (u, v) = Crs::Vn2000Tm3_105_45.transform_to(Crs::Utm48n, e, n).unwrap();
            let (e2, n2) = Crs::Utm48n.transform_to(Crs::Vn2000Tm3_105_45, u, v).unwrap();
            assert!((e - e2).hypot(n - n2) < 1e-3);
        }
    }
}

#[test]
fn transforms_geojson_geometries() {
    let mut g: geojson::Geometry =
        serde_json::from_value(serde_json::json!({"type": "LineString", "coordinates": [[106.6981, 10.7725], [106.7215, 10.7869, 3.5]]}))
            .unwrap();
    let orig = g.clone();
    cityos_geo::crs::transform_geometry(&mut g, Crs::Crs84, Crs::Vn2000Tm3_105_45).unwrap();
    let geojson::Value::LineString(ps) = &g.value else { panic!() };
    assert!(ps[0][0] > 600_000.0 && ps[0][1] > 1_190_000.0, "{ps:?}");
    assert_eq!(ps[1][2], 3.5, "heights are carried through untouched");
    cityos_geo::crs::transform_geometry(&mut g, Crs::Vn2000Tm3_105_45, Crs::Crs84).unwrap();
    let (geojson::Value::LineString(a), geojson::Value::LineString(b)) = (&g.value, &orig.value) else { panic!() };
    for (p, q) in a.iter().zip(b) {
        assert!((p[0] - q[0]).abs() < 1e-9 && (p[1] - q[1]).abs() < 1e-9);
    }
    let mut bad: geojson::Geometry = serde_json::from_value(serde_json::json!({"type": "Point", "coordinates": [0.0, 89.0]})).unwrap();
    assert!(cityos_geo::crs::transform_geometry(&mut bad, Crs::Crs84, Crs::Epsg3857).is_err());
}

/// `cargo test -p cityos_geo --release --test crs_reference -- --ignored --nocapture`
#[test]
#[ignore = "benchmark"]
fn bench_one_million_points() {
    let n = 1_000_000u32;
    let pts: Vec<(f64, f64)> = (0..n).map(|i| (106.3 + f64::from(i % 1000) * 0.0013, 8.5 + f64::from(i / 1000) * 0.0027)).collect();
    for crs in [Crs::Epsg3857, Crs::Utm48n, Crs::Vn2000, Crs::Vn2000Tm3_105_45] {
        let t = std::time::Instant::now();
        let mut acc = 0.0;
        for &(lon, lat) in &pts {
            let (x, y) = crs.from_crs84(lon, lat).unwrap();
            acc += x + y;
        }
        let fwd = t.elapsed();
        let t = std::time::Instant::now();
        for &(lon, lat) in &pts {
            let (x, y) = crs.from_crs84(lon, lat).unwrap();
            let (a, b) = crs.to_crs84(x, y).unwrap();
            acc += a + b;
        }
        let rt = t.elapsed();
        eprintln!("{crs:?}: 1M from_crs84 {fwd:?}, 1M round trips {rt:?} ({acc:.0})");
    }
}
