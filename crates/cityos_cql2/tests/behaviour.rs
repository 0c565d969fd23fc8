//! Evaluation semantics, error positions, limits, and a mutation test that
//! no input makes the parser or the evaluator panic.

#![expect(clippy::panic, clippy::unwrap_used, reason = "fixtures outside #[test] functions fail the test loudly")]
use cityos_cql2::{eval, has_spatial, parse_json, parse_text, properties, Cql2Error, Expr, Feature, MAX_DEPTH};
use serde_json::{json, Value};

struct Asset {
    props: Value,
    geometry: Option<geo::Geometry<f64>>,
}

impl Feature for Asset {
    fn property(&self, name: &str) -> Option<Value> {
        self.props.get(name).cloned()
    }
    fn geometry(&self) -> Option<geo::Geometry<f64>> {
        self.geometry.clone()
    }
}

fn valve() -> Asset {
    Asset {
        props: json!({
            "name": "Van chặn Đường Lê Lợi",
            "status": "functional",
            "material": "Gang",
            "diameter_mm": 300,
            "install_date": "1998-04-30",
            "valid_from": "2025-07-01T00:00:00Z",
            "valid_to": null,
            "a": 5, "b": 7,
        }),
        geometry: Some(geo::Geometry::Point(geo::Point::new(106.7009, 10.7769))),
    }
}

fn holds(filter: &str) -> bool {
    let e = parse_text(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    eval(&e, &valve()).unwrap_or_else(|e| panic!("{filter}: {e}"))
}

#[test]
fn comparisons_and_logic() {
    assert!(holds("status = 'functional' AND diameter_mm >= 300"));
    assert!(!holds("status <> 'functional' OR diameter_mm < 300"));
    assert!(holds("diameter_mm BETWEEN 250 AND 300"));
    assert!(holds("status IN ('functional', 'projected')"));
    assert!(holds("status NOT IN ('disused')"));
    assert!(holds("a < b AND b > a AND NOT a = b"));
    assert!(holds("valid_to IS NULL AND voltage_kv IS NULL AND name IS NOT NULL"));
}

#[test]
fn null_and_missing_properties_are_unknown_even_under_not() {
    // SQL three-valued logic: NOT (unknown) is unknown, not true.
    assert!(!holds("voltage_kv > 10"));
    assert!(!holds("NOT voltage_kv > 10"));
    assert!(holds("voltage_kv > 10 OR status = 'functional'"));
    assert!(!holds("NOT (voltage_kv > 10 AND status = 'functional')"));
    assert!(holds("NOT (voltage_kv > 10 AND status = 'disused')"));
}

#[test]
fn like_casei_and_vietnamese_accenti() {
    assert!(holds("name LIKE 'Van%'"));
    assert!(!holds("name LIKE 'van%'"));
    assert!(holds("CASEI(name) LIKE CASEI('van chặn%')"));
    assert!(holds("CASEI(material) = CASEI('GANG')"));
    // đ folds to d, marks are stripped.
    assert!(holds("ACCENTI(name) LIKE ACCENTI('%duong le loi')"));
    assert!(holds("ACCENTI(name) = ACCENTI('VAN CHAN ĐƯỜNG LÊ LỢI')"));
    assert!(!holds("name LIKE '%duong%'"));
    assert!(holds("name NOT LIKE '%duong%'"));
}

#[test]
fn spatial_predicates_are_exact() {
    assert!(holds("S_INTERSECTS(geometry, BBOX(106.69, 10.77, 106.71, 10.78))"));
    assert!(holds("S_WITHIN(geometry, POLYGON((106.69 10.77, 106.71 10.77, 106.71 10.78, 106.69 10.78, 106.69 10.77)))"));
    assert!(!holds("S_DISJOINT(geometry, BBOX(106.69, 10.77, 106.71, 10.78))"));
    // Inside the triangle's bounding box but outside the triangle.
    assert!(!holds("S_INTERSECTS(geometry, POLYGON((106.70 10.77, 106.71 10.77, 106.71 10.78, 106.70 10.77)))"));
    assert!(holds("S_DISJOINT(geometry, POLYGON((106.70 10.77, 106.71 10.77, 106.71 10.78, 106.70 10.77)))"));
    assert!(holds("S_EQUALS(geometry, POINT(106.7009 10.7769))"));
    assert!(holds("S_TOUCHES(geometry, LINESTRING(106.7009 10.7769, 106.71 10.78))"));
    assert!(!holds("S_CROSSES(geometry, LINESTRING(106.7009 10.7769, 106.71 10.78))"));
    assert!(holds("S_CONTAINS(BBOX(106, 10, 107, 11), geometry)"));
    assert!(!holds("S_OVERLAPS(geometry, BBOX(106, 10, 107, 11))"));
    let missing = Asset { props: json!({}), geometry: None };
    let e = parse_text("S_INTERSECTS(geometry, BBOX(0,0,1,1))").unwrap();
    assert!(!eval(&e, &missing).unwrap());
}

#[test]
fn temporal_functions_on_dates_timestamps_and_open_intervals() {
    assert!(holds("T_BEFORE(install_date, DATE('2000-01-01'))"));
    assert!(holds("T_AFTER(install_date, TIMESTAMP('1998-04-29T23:59:59Z'))"));
    assert!(holds("T_EQUALS(install_date, DATE('1998-04-30'))"));
    assert!(holds("T_DURING(install_date, INTERVAL('1990-01-01', '..'))"));
    // valid_to is null: the version is current, an open end.
    assert!(holds("T_INTERSECTS(INTERVAL(valid_from, valid_to), INTERVAL('2026-01-01', '2026-12-31'))"));
    assert!(!holds("T_BEFORE(INTERVAL(valid_from, valid_to), DATE('2030-01-01'))"));
    assert!(holds("T_DISJOINT(INTERVAL(valid_from, valid_to), INTERVAL('..', '2025-06-30'))"));
    assert!(holds("T_METBY(INTERVAL(valid_from, valid_to), INTERVAL('2025-01-01', '2025-07-01'))"));
    assert!(holds("T_STARTEDBY(INTERVAL(valid_from, valid_to), INTERVAL('2025-07-01', '2025-08-01'))"));
    assert!(!holds("T_OVERLAPS(INTERVAL('2025-01-01', '2025-08-01'), INTERVAL(valid_from, valid_to)) AND FALSE"));
    assert!(holds("T_OVERLAPS(INTERVAL('2025-01-01', '2025-08-01'), INTERVAL(valid_from, valid_to))"));
    assert!(holds("install_date < DATE('1999-01-01') AND valid_from >= TIMESTAMP('2025-07-01T00:00:00Z')"));
}

#[test]
fn a_type_mismatch_is_an_error_not_a_panic() {
    let e = parse_text("status > 5").unwrap();
    assert!(matches!(eval(&e, &valve()), Err(Cql2Error::Type(_))));
}

#[test]
fn errors_say_where() {
    let cases = [
        ("status = ", 10, "expected a property"),
        ("status = 'x", 10, "unterminated string"),
        ("status == 'x'", 9, "expected a property"),
        ("(a = 1", 7, "`)`"),
        ("a = 1 b = 2", 7, "AND, OR"),
        ("name NOT 'x'", 10, "LIKE, BETWEEN or IN"),
        ("S_INTERSECTS(geometry, POINT(1))", 31, "a number"),
        ("T_AFTER(x, DATE('2024-13-01'))", 17, "not a date"),
        ("a # 1", 3, "unexpected character"),
        ("Đường = 1 AND", 14, "expected a property"),
    ];
    for (text, pos, msg) in cases {
        match parse_text(text) {
            Err(Cql2Error::Syntax { position, message }) => {
                assert_eq!(position, pos, "{text}: {message}");
                assert!(message.contains(msg), "{text}: {message}");
            }
            other => panic!("{text}: {other:?}"),
        }
    }
    let e = parse_json(&json!({"op": "and", "args": [{"op": "=", "args": [{"property": "a"}]}, true]})).unwrap_err();
    assert!(e.to_string().contains("`=` takes 2 argument(s), got 1"), "{e}");
    let e = parse_json(&json!({"op": "=", "args": [{"property": "a"}, {"date": "nope"}]})).unwrap_err();
    assert_eq!(e, Cql2Error::Json { path: "/args/1/date".into(), message: "`nope` is not a date (YYYY-MM-DD)".into() });
    assert!(matches!(parse_text("name"), Err(Cql2Error::Syntax { .. })));
    assert!(matches!(
        parse_json(&json!({"op": "=", "args": [true, {"type": "Point", "coordinates": [1, 2]}]})),
        Err(Cql2Error::Invalid(_))
    ));
}

#[test]
fn limits_hold() {
    let deep = format!("{}a = 1{}", "(".repeat(MAX_DEPTH + 1), ")".repeat(MAX_DEPTH + 1));
    assert!(matches!(parse_text(&deep), Err(Cql2Error::TooLarge(_))));
    let nots = format!("{}a = 1", "NOT ".repeat(10_000));
    assert!(matches!(parse_text(&nots), Err(Cql2Error::TooLarge(_))));
    let huge = format!("name = '{}'", "x".repeat(70_000));
    assert!(matches!(parse_text(&huge), Err(Cql2Error::TooLarge(_))));
    let mut v = json!({"op": "=", "args": [{"property": "a"}, 1]});
    for _ in 0..100 {
        v = json!({"op": "not", "args": [v]});
    }
    assert!(matches!(parse_json(&v), Err(Cql2Error::TooLarge(_))));
    let ok = format!("{}a = 1{}", "(".repeat(20), ")".repeat(20));
    assert!(parse_text(&ok).is_ok());
}

#[test]
fn properties_and_spatial_are_reported() {
    let e =
        parse_text("status = 'x' AND S_INTERSECTS(geometry, BBOX(0,0,1,1)) OR T_AFTER(INTERVAL(valid_from, valid_to), DATE('2020-01-01'))")
            .unwrap();
    let p: Vec<String> = properties(&e).into_iter().collect();
    assert_eq!(p, ["geometry", "status", "valid_from", "valid_to"]);
    assert!(has_spatial(&e));
    assert!(!has_spatial(&parse_text("a = 1").unwrap()));
    assert_eq!(parse_text("TRUE").unwrap(), Expr::Bool(true));
}

/// A tiny deterministic generator (no extra dependency).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % (n as u64)).unwrap()
    }
}

#[test]
fn mutated_inputs_never_panic() {
    let seeds = [
        "ACCENTI(name) LIKE ACCENTI('%Đường Lê Lợi%') AND status IN ('functional', 'disused') OR NOT diameter_mm BETWEEN 1 AND 2",
        "S_WITHIN(geometry, POLYGON((106.69 10.77, 106.71 10.77, 106.71 10.78, 106.69 10.77))) AND x IS NOT NULL",
        "T_DURING(INTERVAL(valid_from, valid_to), INTERVAL('2025-01-01T00:00:00Z', '..')) AND S_INTERSECTS(geometry, MULTIPOINT((1 2), (3 4)))",
        "S_CROSSES(geometry, GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1))) AND CASEI(material) = CASEI('Gang')",
    ];
    let pieces = [
        "(",
        ")",
        "'",
        "\"",
        ",",
        " ",
        "NOT ",
        "AND",
        "..",
        "-",
        "1e999",
        "\\",
        "%",
        "Đ",
        "\u{301}",
        "POINT(",
        "BBOX(1,2,3,4)",
        "=",
        "<>",
        "IS",
    ];
    let mut rng = Lcg(0x5eed);
    let feature = valve();
    let mut parsed = 0;
    for seed in seeds {
        let chars: Vec<char> = seed.chars().collect();
        for _ in 0..2_000 {
            let mut s = chars.clone();
            for _ in 0..1 + rng.next(3) {
                let at = rng.next(s.len() + 1);
                match rng.next(3) {
                    0 if at < s.len() => {
                        s.remove(at);
                    }
                    1 => s.splice(at..at, pieces[rng.next(pieces.len())].chars()).for_each(drop),
                    _ => s.truncate(at),
                }
            }
            let text: String = s.into_iter().collect();
            if let Ok(e) = parse_text(&text) {
                parsed += 1;
                let _ = eval(&e, &feature);
                let back = cityos_cql2::to_json(&e);
                assert_eq!(parse_json(&back).as_ref(), Ok(&e), "{text}");
                let written = cityos_cql2::to_text(&e);
                assert_eq!(parse_text(&written).as_ref(), Ok(&e), "{text} written as {written}");
            }
        }
    }
    assert!(parsed > 100, "the mutations should leave some filters valid ({parsed})");
    // JSON: every value replaced by odd ones.
    let base = cityos_cql2::to_json(&parse_text(seeds[2]).unwrap());
    let odd = [
        json!(null),
        json!([]),
        json!({}),
        json!(".."),
        json!(1e308),
        json!({"op": "not"}),
        json!({"type": "Point"}),
        json!({"bbox": [3, 2, 1]}),
    ];
    let mut paths = Vec::new();
    collect_paths(&base, String::new(), &mut paths);
    for p in &paths {
        for o in &odd {
            let mut v = base.clone();
            if let Some(slot) = v.pointer_mut(p) {
                *slot = o.clone();
            }
            if let Ok(e) = parse_json(&v) {
                let _ = eval(&e, &feature);
            }
        }
    }
}

fn collect_paths(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| collect_paths(x, format!("{at}/{i}"), out)),
        Value::Object(o) => o.iter().for_each(|(k, x)| collect_paths(x, format!("{at}/{k}"), out)),
        _ => {}
    }
}

#[test]
fn empty_and_degenerate_geometries_are_answered() {
    let odd = [
        json!({"type": "Polygon", "coordinates": []}),
        json!({"type": "Polygon", "coordinates": [[]]}),
        json!({"type": "LineString", "coordinates": []}),
        json!({"type": "LineString", "coordinates": [[1, 1], [1, 1]]}),
        json!({"type": "MultiPoint", "coordinates": []}),
        json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [0, 0], [0, 0], [0, 0]]]]}),
        json!({"type": "GeometryCollection", "geometries": []}),
        json!({"bbox": [1, 1, 1, 1]}),
    ];
    for g in odd {
        for op in cityos_cql2::SpatialOp::ALL {
            let filter = json!({"op": op.name(), "args": [{"property": "geometry"}, g]});
            let parsed = parse_json(&filter);
            // GeoJSON literals follow the text grammar's rules: only the degenerate-but-valid ones parse.
            let well_formed = g.get("bbox").is_some() || g["type"] == "MultiPolygon" || g["coordinates"] == json!([[1, 1], [1, 1]]);
            assert_eq!(parsed.is_ok(), well_formed, "{filter}");
            if let Ok(e) = parsed {
                let _ = eval(&e, &valve());
                let _ = eval(&e, &Asset { props: json!({}), geometry: Some(geo::Geometry::Point(geo::Point::new(1.0, 1.0))) });
            }
        }
    }
}
