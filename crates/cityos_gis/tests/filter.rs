//! CQL2 through the store on the configured backend (`CITYOS_TEST_BACKEND`):
//! for each filter, the rows SQL returns (post-filtered in Rust when the
//! compiler asks for it) must be exactly the features the Rust evaluator
//! accepts, so both backends answer every filter the same way.

#![expect(clippy::unwrap_used, clippy::panic, reason = "fixtures outside #[test] functions fail the test loudly")]

use cityos_cql2::{eval, parse_text};
use cityos_gis::filter::{compile, schema};
use cityos_gis::model::{collection, Feature};
use cityos_store::query::{select, Dir, Filter, Op, Select, Value};
use cityos_store::testing::TestDb;
use cityos_store::Backend;
use serde_json::{json, Map};
use sqlx::Row as _;

struct Row {
    id: &'static str,
    name: Option<&'static str>,
    status: &'static str,
    material: Option<&'static str>,
    diameter: Option<f64>,
    install_date: Option<&'static str>,
    valid_from: i64,
    valid_to: Option<i64>,
    normally_open: Option<i64>,
    point: (f64, f64),
}

const JAN_2025: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z
const JUL_2025: i64 = 1_751_328_000_000; // 2025-07-01T00:00:00Z

const ROWS: &[Row] = &[
    Row {
        id: "v1",
        name: Some("Van chặn Đường Lê Lợi"),
        status: "functional",
        material: Some("Gang"),
        diameter: Some(300.0),
        install_date: Some("1998-04-30"),
        valid_from: JAN_2025,
        valid_to: None,
        normally_open: Some(1),
        point: (106.7009, 10.7769),
    },
    Row {
        id: "v2",
        name: Some("VAN XẢ ĐƯỜNG NGUYỄN HUỆ"),
        status: "functional",
        material: Some("THÉP"),
        diameter: Some(150.0),
        install_date: Some("2010-01-15"),
        valid_from: JUL_2025,
        valid_to: None,
        normally_open: Some(0),
        point: (106.7035, 10.7741),
    },
    Row {
        id: "v3",
        name: Some("Van 50%_test [x]*"),
        status: "disused",
        material: Some("gang"),
        diameter: Some(100.0),
        install_date: None,
        valid_from: JAN_2025,
        valid_to: Some(JUL_2025),
        normally_open: None,
        point: (106.6602, 10.7626),
    },
    Row {
        id: "v4",
        name: None,
        status: "projected",
        material: None,
        diameter: None,
        install_date: Some("2025-07-01"),
        valid_from: JUL_2025,
        valid_to: None,
        normally_open: Some(1),
        point: (106.8, 10.85),
    },
    Row {
        id: "v5",
        name: Some("van chan duong le loi"),
        status: "Functional",
        material: Some("nhựa PVC"),
        diameter: Some(300.0),
        install_date: Some("1998-04-30"),
        valid_from: JAN_2025,
        valid_to: None,
        normally_open: Some(1),
        point: (106.7009, 10.7769),
    },
];

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn feature(r: &Row) -> Feature {
    let mut p = Map::new();
    let mut put = |k: &str, v: serde_json::Value| {
        if !v.is_null() {
            p.insert(k.into(), v);
        }
    };
    put("name", json!(r.name));
    put("network", json!("water"));
    put("asset_type", json!("valve"));
    put("owner_agency", json!("sawaco"));
    put("status", json!(r.status));
    put("material", json!(r.material));
    put("diameter_mm", json!(r.diameter));
    put("install_date", json!(r.install_date));
    put("valid_from", json!(iso(r.valid_from)));
    put("valid_to", json!(r.valid_to.map(iso)));
    put("normally_open", json!(r.normally_open));
    Feature {
        id: r.id.into(),
        collection: "water-valves".into(),
        geometry: geojson::Geometry::new(geojson::Value::Point(vec![r.point.0, r.point.1])),
        properties: p,
        version: 1,
    }
}

async fn load(t: &TestDb) {
    t.db.migrate(&[cityos_gis::MIGRATIONS]).await.unwrap();
    for r in ROWS {
        let extra = match r.normally_open {
            Some(n) => json!({ "normally_open": n }).to_string(),
            None => "{}".into(),
        };
        let geometry = json!({"type": "Point", "coordinates": [r.point.0, r.point.1]}).to_string();
        sqlx::query(
            "INSERT INTO gis_features (id, collection, network, asset_type, kind, name, name_folded, owner_agency, status, material, diameter_mm, install_date, valid_from, valid_to, extra, geometry, minx, miny, maxx, maxy, version, created_by, created_at, updated_by, updated_at)
             VALUES ($1, 'water-valves', 'water', 'valve', 'node', $2, $3, 'sawaco', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $12, $13, 1, 'system', 0, 'system', 0)",
        )
        .bind(r.id)
        .bind(r.name)
        .bind(r.name.map(cityos_text::fold))
        .bind(r.status)
        .bind(r.material)
        .bind(r.diameter)
        .bind(r.install_date)
        .bind(r.valid_from)
        .bind(r.valid_to)
        .bind(extra)
        .bind(&geometry)
        .bind(r.point.0)
        .bind(r.point.1)
        .execute(t.db.writer())
        .await
        .unwrap();
        let rid: i64 =
            sqlx::query("SELECT rid FROM gis_features WHERE id = $1").bind(r.id).fetch_one(t.db.reader()).await.unwrap().get("rid");
        match t.db.backend() {
            Backend::Sqlite => {
                sqlx::query("INSERT INTO gis_features_rtree (rid, minx, maxx, miny, maxy) VALUES ($1, $2, $2, $3, $3)")
                    .bind(rid)
                    .bind(r.point.0)
                    .bind(r.point.1)
                    .execute(t.db.writer())
                    .await
                    .unwrap();
            }
            Backend::Postgres => {
                sqlx::query("UPDATE gis_features SET geom = ST_SetSRID(ST_GeomFromGeoJSON(geometry), 4326) WHERE rid = $1")
                    .bind(rid)
                    .execute(t.db.writer())
                    .await
                    .unwrap();
            }
        }
    }
}

/// The ids the database (plus the Rust post-filter when asked) returns, and
/// whether the post-filter was needed.
async fn run(t: &TestDb, text: &str) -> (Vec<String>, bool) {
    let coll = collection("water-valves").unwrap();
    let backend = t.db.backend();
    let expr = parse_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let compiled = compile(&expr, coll, backend).unwrap_or_else(|e| panic!("{text}: {e:?}"));
    let s = schema(coll, backend);
    let filter = Filter::And(vec![
        Filter::Cmp { column: "collection".into(), op: Op::Eq, value: Value::Text("water-valves".into()) },
        compiled.sql.clone(),
    ]);
    let q = Select { fields: vec!["id".into()], filter: Some(filter), sort: vec![("id".into(), Dir::Asc)], ..Select::default() };
    let c = select(&s, &q).unwrap();
    let rows = c.query().fetch_all(t.db.reader()).await.unwrap_or_else(|e| panic!("{text}: {e}\n{}", c.sql));
    let mut ids: Vec<String> = rows.iter().map(|r| r.get::<String, _>("id")).collect();
    if let Some(exact) = &compiled.exact {
        ids.retain(|id| {
            let f = feature(ROWS.iter().find(|r| r.id == id).unwrap());
            eval(exact, &f).unwrap_or_else(|e| panic!("{text}: {e}"))
        });
    }
    (ids, compiled.exact.is_some())
}

fn oracle(text: &str) -> Vec<String> {
    let expr = parse_text(text).unwrap();
    ROWS.iter().filter(|r| eval(&expr, &feature(r)).unwrap_or_else(|e| panic!("{text}: {e}"))).map(|r| r.id.to_string()).collect()
}

/// Filters with the ids they must select (checked against the evaluator too).
const CASES: &[(&str, &[&str])] = &[
    ("status = 'functional'", &["v1", "v2"]),
    ("status <> 'functional'", &["v3", "v4", "v5"]),
    ("diameter_mm >= 300", &["v1", "v5"]),
    ("NOT diameter_mm >= 300", &["v2", "v3"]),
    ("diameter_mm BETWEEN 100 AND 200", &["v2", "v3"]),
    ("diameter_mm IS NULL OR name IS NULL", &["v4"]),
    ("status IN ('disused', 'projected')", &["v3", "v4"]),
    ("status NOT IN ('disused', 'projected')", &["v1", "v2", "v5"]),
    ("name LIKE 'Van%'", &["v1", "v3"]),
    ("name NOT LIKE 'Van%'", &["v2", "v5"]),
    ("name LIKE '%50\\%\\_test [x]*'", &["v3"]),
    ("name LIKE '%[x]_'", &["v3"]),
    ("CASEI(name) LIKE CASEI('van%')", &["v1", "v2", "v3", "v5"]),
    ("CASEI(status) = CASEI('FUNCTIONAL')", &["v1", "v2", "v5"]),
    ("CASEI(material) = CASEI('Gang')", &["v1", "v3"]),
    ("CASEI(material) = CASEI('thép')", &["v2"]),
    ("NOT CASEI(material) = CASEI('thép')", &["v1", "v3", "v5"]),
    ("ACCENTI(name) LIKE ACCENTI('%đường lê lợi')", &["v1", "v5"]),
    ("ACCENTI(name) = ACCENTI('VAN XA DUONG NGUYEN HUE')", &["v2"]),
    ("ACCENTI(status) = ACCENTI('functional')", &["v1", "v2", "v5"]),
    ("ACCENTI(material) = ACCENTI('nhua pvc')", &["v5"]),
    ("normally_open = 1 AND diameter_mm > 200", &["v1", "v5"]),
    ("normally_open <> 1", &["v2"]),
    ("install_date < DATE('2000-01-01')", &["v1", "v5"]),
    ("install_date = '2025-07-01'", &["v4"]),
    ("T_AFTER(install_date, TIMESTAMP('2010-01-15T00:00:00Z'))", &["v4"]),
    ("T_AFTER(install_date, TIMESTAMP('2010-01-14T12:00:00Z'))", &["v2", "v4"]),
    ("T_EQUALS(install_date, TIMESTAMP('2010-01-15T12:00:00Z'))", &[]),
    ("NOT T_EQUALS(install_date, TIMESTAMP('2010-01-15T12:00:00Z'))", &["v1", "v2", "v4", "v5"]),
    ("T_DURING(install_date, INTERVAL('1990-01-01', '2011-01-01'))", &["v1", "v2", "v5"]),
    ("valid_from >= TIMESTAMP('2025-07-01T00:00:00Z')", &["v2", "v4"]),
    ("T_INTERSECTS(INTERVAL(valid_from, valid_to), INTERVAL('2025-08-01', '..'))", &["v1", "v2", "v4", "v5"]),
    ("T_DISJOINT(INTERVAL(valid_from, valid_to), INTERVAL('2025-08-01', '..'))", &["v3"]),
    ("T_BEFORE(INTERVAL(valid_from, valid_to), DATE('2025-07-02'))", &["v3"]),
    ("T_MEETS(INTERVAL(valid_from, valid_to), DATE('2025-07-01'))", &["v3"]),
    ("T_CONTAINS(INTERVAL(valid_from, valid_to), DATE('2030-01-01'))", &["v1", "v2", "v4", "v5"]),
    ("T_OVERLAPS(INTERVAL('2024-01-01', '2025-03-01'), INTERVAL(valid_from, valid_to))", &["v1", "v3", "v5"]),
    ("T_INTERSECTS(INTERVAL(valid_from, valid_to), INTERVAL(install_date, '..'))", &["v1", "v2", "v3", "v4", "v5"]),
    ("S_INTERSECTS(geometry, BBOX(106.69, 10.77, 106.71, 10.78))", &["v1", "v2", "v5"]),
    ("S_WITHIN(geometry, POLYGON((106.70 10.77, 106.71 10.77, 106.71 10.78, 106.70 10.77)))", &[]),
    ("S_WITHIN(geometry, POLYGON((106.70 10.77, 106.71 10.77, 106.70 10.78, 106.70 10.77)))", &["v1", "v2", "v5"]),
    ("S_CONTAINS(BBOX(106.6, 10.7, 106.7005, 10.8), geometry)", &["v3"]),
    ("S_DISJOINT(geometry, BBOX(106.69, 10.77, 106.71, 10.78))", &["v3", "v4"]),
    ("NOT S_INTERSECTS(geometry, BBOX(106.69, 10.77, 106.71, 10.78)) AND status <> 'projected'", &["v3"]),
    ("S_EQUALS(geometry, POINT(106.7009 10.7769))", &["v1", "v5"]),
    ("S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(106.8 10.85), LINESTRING(106.66 10.76, 106.67 10.77)))", &["v4"]),
    ("S_TOUCHES(geometry, LINESTRING(106.8 10.85, 106.9 10.9))", &["v4"]),
    ("(status = 'functional' OR S_INTERSECTS(geometry, POINT(106.8 10.85))) AND NOT name LIKE '%Huệ%'", &["v1", "v2"]),
    ("diameter_mm = diameter_mm AND normally_open < diameter_mm", &["v1", "v2", "v5"]),
    ("TRUE AND 1 = 1 AND 'a' LIKE 'a%'", &["v1", "v2", "v3", "v4", "v5"]),
];

#[tokio::test]
async fn cql2_filters_select_the_same_features_as_the_evaluator() {
    let t = TestDb::new().await;
    load(&t).await;
    let mut exact_in_rust = 0;
    for (text, want) in CASES {
        let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        assert_eq!(oracle(text), want, "evaluator on {text}");
        let (got, post) = run(&t, text).await;
        assert_eq!(got, want, "{} on {text}", t.db.backend().name());
        exact_in_rust += usize::from(post);
    }
    // Invalid literals (a bow-tie polygon) are answered on both backends, never a database error.
    for text in [
        "S_WITHIN(geometry, POLYGON((106.69 10.77, 106.71 10.78, 106.71 10.77, 106.69 10.78, 106.69 10.77)))",
        "S_OVERLAPS(geometry, POLYGON((106.69 10.77, 106.71 10.78, 106.71 10.77, 106.69 10.78, 106.69 10.77)))",
        "S_CROSSES(geometry, LINESTRING(106.7 10.77, 106.7 10.77))",
    ] {
        let _ = run(&t, text).await;
    }
    // SQLite decides spatial predicates in Rust after the R*Tree prefilter; PostGIS does not need to.
    match t.db.backend() {
        Backend::Sqlite => assert!(exact_in_rust >= 10, "{exact_in_rust}"),
        Backend::Postgres => assert!(exact_in_rust < 10, "{exact_in_rust}"),
    }
    t.cleanup().await;
}

#[tokio::test]
async fn bad_filters_are_400s_that_say_why() {
    let coll = collection("water-valves").unwrap();
    for (text, needle) in [
        ("pressure_bar > 2", "unknown queryable(s) `pressure_bar`"),
        ("status = 'x' AND nope IS NULL", "`nope`"),
        ("diameter_mm = 'big'", "`diameter_mm` is a number"),
        ("status > 3", "`status` is text"),
        ("CASEI(diameter_mm) = 3", "CASEI and ACCENTI apply to text"),
        ("S_INTERSECTS(name, POINT(1 2))", "`name` is not a geometry"),
        ("T_AFTER(status, DATE('2020-01-01'))", "not a date or timestamp"),
        ("diameter_mm LIKE '3%'", "LIKE applies to text"),
        ("geometry = 'x'", "spatial functions"),
        ("valid_from = 'yesterday'", "`valid_from` is a timestamp"),
    ] {
        let expr = parse_text(text).unwrap();
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let e = compile(&expr, coll, backend).unwrap_err();
            assert_eq!(e.status, http::StatusCode::BAD_REQUEST, "{text}");
            let body = e.problem().to_string();
            assert!(body.contains(needle), "{text}: {body}");
        }
    }
}
