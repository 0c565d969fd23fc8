//! OGC GeoPackage 1.3 (an SQLite file) through sqlx's SQLite driver, on a
//! temporary file. Reading takes every `features` table listed in
//! `gpkg_contents`, its geometry column from `gpkg_geometry_columns` and its
//! CRS from `gpkg_spatial_ref_sys` (EPSG code, else the WKT definition);
//! geometries are GeoPackageBinary (header, optional envelope, WKB). Writing
//! produces a valid GeoPackage: `application_id` 'GPKG', `user_version`
//! 10300 (1.3, which every GDAL 3 reads without a warning), the required metadata tables and one feature table (no R*Tree
//! index, which the standard makes optional).
//!
//! SQL here runs on the uploaded or exported temporary file, never on the
//! CityOS database. Table and column names come from that file (checked
//! against its own `sqlite_master`/`pragma_table_info`) or from the exported
//! attribute names, and are always quoted as identifiers; every value is bound.

use super::{prj, take_id, CrsSource, Format, FormatError, OutFeature, RawLayer, Record, WriteOptions};
use crate::crs::Crs;
use crate::wkb;
use futures::TryStreamExt as _;
use geojson::Value;
use serde_json::{Map, Value as Json};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};
use sqlx::{Column as _, ConnectOptions as _, Connection as _, Row as _, TypeInfo as _, ValueRef as _};
use std::path::PathBuf;

/// `application_id` of a GeoPackage: ASCII 'GPKG'.
pub const APPLICATION_ID: i64 = 0x4750_4B47;
/// `user_version` written: GeoPackage 1.3.0.
pub const USER_VERSION: i64 = 10300;

fn bad(detail: impl Into<String>) -> FormatError {
    FormatError::invalid(Format::GeoPackage, detail)
}

fn db_err(e: sqlx::Error) -> FormatError {
    bad(e.to_string())
}

/// A temporary file removed (with its journal) when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new() -> Self {
        Self(std::env::temp_dir().join(format!("cityos-{}.gpkg", uuid::Uuid::new_v4())))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Reads every feature table of a GeoPackage.
///
/// # Errors
/// Not an SQLite file, or no GeoPackage metadata tables.
pub async fn read(bytes: &[u8], notes: &mut Vec<String>) -> Result<Vec<RawLayer>, FormatError> {
    let tmp = TempFile::new();
    tokio::fs::write(&tmp.0, bytes).await?;
    let opts = SqliteConnectOptions::new().filename(&tmp.0).read_only(true).immutable(true).disable_statement_logging();
    let mut conn = SqliteConnection::connect_with(&opts).await.map_err(db_err)?;
    let result = read_conn(&mut conn, notes).await;
    let _ = conn.close().await;
    result
}

async fn read_conn(conn: &mut SqliteConnection, notes: &mut Vec<String>) -> Result<Vec<RawLayer>, FormatError> {
    let app: i64 = sqlx::query_scalar("PRAGMA application_id").fetch_one(&mut *conn).await.map_err(|_| bad("not an SQLite file"))?;
    if app != APPLICATION_ID && app != 0x4750_3130 {
        notes.push(format!("application_id is {app:#x}, not 'GPKG': read as a GeoPackage anyway"));
    }
    let tables: Vec<(String, Option<i64>)> =
        sqlx::query_as("SELECT c.table_name, c.srs_id FROM gpkg_contents c JOIN sqlite_master m ON m.name = c.table_name AND m.type IN ('table','view') WHERE c.data_type = 'features' ORDER BY c.table_name")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| bad(format!("no gpkg_contents table: {e}")))?;
    if tables.is_empty() {
        return Err(bad("the GeoPackage has no feature tables"));
    }
    let mut layers = Vec::new();
    for (table, contents_srs) in tables {
        let gc: Option<(String, i64)> = sqlx::query_as("SELECT column_name, srs_id FROM gpkg_geometry_columns WHERE table_name = ?1")
            .bind(&table)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
        let Some((geom_col, srs_id)) = gc else {
            notes.push(format!("{table}: no entry in gpkg_geometry_columns, skipped"));
            continue;
        };
        let srs_id = if srs_id == 0 && contents_srs.is_some() { contents_srs.unwrap_or(srs_id) } else { srs_id };
        let (crs, declared) = srs(conn, srs_id).await?;
        let cols: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT name, type, pk FROM pragma_table_info(?1)").bind(&table).fetch_all(&mut *conn).await.map_err(db_err)?;
        let sql = format!("SELECT * FROM {}", quote(&table));
        let mut rows = sqlx::query(&sql).fetch(&mut *conn);
        let mut records = Vec::new();
        while let Some(row) = rows.try_next().await.map_err(db_err)? {
            let mut r = Record::new(None, Map::new());
            for (i, c) in row.columns().iter().enumerate() {
                let name = c.name();
                let (decl, pk) = cols.iter().find(|(n, _, _)| n == name).map_or(("", 0), |(_, t, pk)| (t.as_str(), *pk));
                if name == geom_col {
                    match row.try_get_unchecked::<Option<Vec<u8>>, _>(i) {
                        Ok(Some(blob)) => match geometry(&blob) {
                            Ok(g) => r.geometry = g,
                            Err(e) => r.geometry_error = Some(e),
                        },
                        Ok(None) => {}
                        Err(e) => r.geometry_error = Some(e.to_string()),
                    }
                    continue;
                }
                if pk > 0 {
                    continue;
                }
                let Ok(raw) = row.try_get_raw(i) else { continue };
                let value = if raw.is_null() {
                    Json::Null
                } else {
                    match raw.type_info().name() {
                        "INTEGER" if decl.eq_ignore_ascii_case("BOOLEAN") => {
                            Json::Bool(row.try_get_unchecked::<i64, _>(i).unwrap_or(0) != 0)
                        }
                        "INTEGER" => row.try_get_unchecked::<i64, _>(i).map_or(Json::Null, Json::from),
                        "REAL" => row.try_get_unchecked::<f64, _>(i).map_or(Json::Null, Json::from),
                        "TEXT" => row.try_get_unchecked::<String, _>(i).map_or(Json::Null, |s| Json::String(cityos_text::nfc(&s))),
                        _ => continue,
                    }
                };
                r.properties.insert(name.to_string(), value);
            }
            r.id = take_id(&mut r.properties);
            records.push(r);
        }
        layers.push(RawLayer { name: table, crs, declared, records });
    }
    Ok(layers)
}

async fn srs(conn: &mut SqliteConnection, srs_id: i64) -> Result<(CrsSource, Option<Crs>), FormatError> {
    let row: Option<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?1")
            .bind(srs_id)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
    let Some((org, code, def)) = row else {
        return Ok((CrsSource::Unrecognised { declared: format!("srs_id {srs_id} (not in gpkg_spatial_ref_sys)") }, None));
    };
    if srs_id <= 0 || def.trim().eq_ignore_ascii_case("undefined") {
        return Ok((CrsSource::Missing, None));
    }
    // GeoPackage stores x = longitude/easting whatever the EPSG axis order; read EPSG:4326 as such.
    let by_code = (org.eq_ignore_ascii_case("EPSG")).then_some(code).flatten().and_then(|c| u32::try_from(c).ok()).and_then(Crs::from_epsg);
    match by_code.or_else(|| prj::crs_of(&def)) {
        Some(c) => Ok((CrsSource::declared(c), Some(c))),
        None => Ok((CrsSource::Unrecognised { declared: format!("{org}:{} {def}", code.unwrap_or(srs_id)) }, None)),
    }
}

/// Decodes a GeoPackageBinary blob (`None` for the empty geometry flag).
///
/// # Errors
/// A bad header or WKB.
pub fn geometry(blob: &[u8]) -> Result<Option<Value>, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("not a GeoPackage geometry (no GP header)".into());
    }
    let flags = blob[3];
    let envelope = match (flags >> 1) & 0x07 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        e => return Err(format!("invalid envelope indicator {e}")),
    };
    if flags & 0x10 != 0 {
        return Ok(None);
    }
    let wkb = blob.get(8 + envelope..).ok_or("GeoPackage geometry truncated")?;
    match wkb::read(wkb) {
        Ok((v, _)) => Ok(Some(v)),
        Err(wkb::WkbError::EmptyPoint) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

/// Encodes a GeoPackageBinary blob (little-endian, with an XY envelope except for points).
#[must_use]
pub fn encode(v: &Value, srs_id: i32) -> Vec<u8> {
    let mut out = vec![b'G', b'P', 0];
    let point = matches!(v, Value::Point(_));
    out.push(if point { 0x01 } else { 0x03 });
    out.extend_from_slice(&srs_id.to_le_bytes());
    if !point {
        let mut b = [f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY];
        super::for_each_position(v, &mut |p| b = [b[0].min(p[0]), b[1].max(p[0]), b[2].min(p[1]), b[3].max(p[1])]);
        b.iter().for_each(|f| out.extend_from_slice(&f.to_le_bytes()));
    }
    wkb::write(v, &mut out);
    out
}

#[derive(Clone, Copy, PartialEq)]
enum ColType {
    Integer,
    Real,
    Boolean,
    Text,
}

/// Writes a GeoPackage with one feature table named after `opts.layer`.
///
/// # Errors
/// Temporary-file or SQLite failures.
pub async fn write(features: &[OutFeature], opts: &WriteOptions) -> Result<Vec<u8>, FormatError> {
    let tmp = TempFile::new();
    let options = SqliteConnectOptions::new()
        .filename(&tmp.0)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Delete)
        .disable_statement_logging();
    let mut conn = SqliteConnection::connect_with(&options).await.map_err(db_err)?;
    let result = write_conn(&mut conn, features, opts).await;
    conn.close().await.map_err(db_err)?;
    result?;
    Ok(tokio::fs::read(&tmp.0).await?)
}

fn table_name(layer: &str) -> String {
    let mut t: String = layer.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).collect();
    if t.is_empty() || t.starts_with(|c: char| c.is_ascii_digit()) || t.starts_with("gpkg_") || t.starts_with("sqlite_") {
        t = format!("layer_{t}");
    }
    t
}

async fn write_conn(conn: &mut SqliteConnection, features: &[OutFeature], opts: &WriteOptions) -> Result<(), FormatError> {
    let table = table_name(&opts.layer);
    let srs_id: i32 = opts.crs.epsg().and_then(|c| i32::try_from(c).ok()).unwrap_or(4326);
    let mut tx = conn.begin().await.map_err(db_err)?;
    for stmt in [
        "PRAGMA application_id = 1196444487",
        "PRAGMA user_version = 10300",
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)",
        "CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')), min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))",
        "CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name), CONSTRAINT uk_gc_table_name UNIQUE (table_name), CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name), CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))",
    ] {
        sqlx::query(stmt).execute(&mut *tx).await.map_err(db_err)?;
    }
    let srs_rows: Vec<(String, i32, String, i32, String)> = {
        let mut v = vec![
            ("WGS 84 geodetic".to_string(), 4326, "EPSG".to_string(), 4326, prj::wkt_of(Crs::Epsg4326).unwrap_or_default()),
            ("Undefined cartesian SRS".into(), -1, "NONE".into(), -1, "undefined".into()),
            ("Undefined geographic SRS".into(), 0, "NONE".into(), 0, "undefined".into()),
        ];
        if srs_id != 4326 {
            v.push((
                opts.crs.title_en().to_string(),
                srs_id,
                "EPSG".into(),
                srs_id,
                prj::wkt_of(opts.crs).unwrap_or_else(|| "undefined".into()),
            ));
        }
        v
    };
    for (name, id, org, code, def) in srs_rows {
        sqlx::query("INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition) VALUES (?1, ?2, ?3, ?4, ?5)")
            .bind(name)
            .bind(id)
            .bind(org)
            .bind(code)
            .bind(def)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
    }
    // Columns and their types from the values (all integers → INTEGER, numbers → REAL, booleans → BOOLEAN, else TEXT).
    let cols = super::columns(features);
    let types: Vec<ColType> = cols
        .iter()
        .map(|c| {
            let vals: Vec<&Json> = features.iter().filter_map(|f| f.properties.get(c)).filter(|v| !v.is_null()).collect();
            if vals.is_empty() {
                ColType::Text
            } else if vals.iter().all(|v| v.is_i64()) {
                ColType::Integer
            } else if vals.iter().all(|v| v.is_number()) {
                ColType::Real
            } else if vals.iter().all(|v| v.is_boolean()) {
                ColType::Boolean
            } else {
                ColType::Text
            }
        })
        .collect();
    let kinds: std::collections::BTreeSet<&str> = features.iter().map(|f| geometry_type_name(&f.geometry)).collect();
    let gtype = if kinds.len() == 1 { kinds.iter().next().copied().unwrap_or("GEOMETRY") } else { "GEOMETRY" };
    let mut ddl = format!("CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom {gtype}, \"id\" TEXT", quote(&table));
    for (c, t) in cols.iter().zip(&types) {
        let ty = match t {
            ColType::Integer => "INTEGER",
            ColType::Real => "REAL",
            ColType::Boolean => "BOOLEAN",
            ColType::Text => "TEXT",
        };
        ddl.push_str(&format!(", {} {ty}", quote(c)));
    }
    ddl.push(')');
    sqlx::query(&ddl).execute(&mut *tx).await.map_err(db_err)?;
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for f in features {
        super::for_each_position(&f.geometry, &mut |p| b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]);
    }
    let bbox: [Option<f64>; 4] = b.map(|v| v.is_finite().then_some(v));
    sqlx::query("INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id) VALUES (?1, 'features', ?1, '', ?2, ?3, ?4, ?5, ?6, ?7)")
        .bind(&table)
        .bind(&opts.written_at)
        .bind(bbox[0])
        .bind(bbox[1])
        .bind(bbox[2])
        .bind(bbox[3])
        .bind(srs_id)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
    sqlx::query(
        "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES (?1, 'geom', ?2, ?3, 0, 0)",
    )
    .bind(&table)
    .bind(gtype)
    .bind(srs_id)
    .execute(&mut *tx)
    .await
    .map_err(db_err)?;
    let placeholders: Vec<String> = (0..cols.len() + 2).map(|i| format!("?{}", i + 1)).collect();
    let mut insert = format!("INSERT INTO {} (geom, \"id\"", quote(&table));
    for c in &cols {
        insert.push_str(&format!(", {}", quote(c)));
    }
    insert.push_str(&format!(") VALUES ({})", placeholders.join(", ")));
    for f in features {
        let mut q = sqlx::query(&insert).bind(encode(&f.geometry, srs_id)).bind(f.id.clone());
        for (c, t) in cols.iter().zip(&types) {
            let v = f.properties.get(c).unwrap_or(&Json::Null);
            q = match (t, v) {
                (_, Json::Null) => q.bind(None::<String>),
                (ColType::Integer, v) => q.bind(v.as_i64()),
                (ColType::Real, v) => q.bind(v.as_f64()),
                (ColType::Boolean, v) => q.bind(v.as_bool()),
                (ColType::Text, Json::String(s)) => q.bind(s.clone()),
                (ColType::Text, other) => q.bind(other.to_string()),
            };
        }
        q.execute(&mut *tx).await.map_err(db_err)?;
    }
    tx.commit().await.map_err(db_err)?;
    Ok(())
}

fn geometry_type_name(v: &Value) -> &'static str {
    match v {
        Value::Point(_) => "POINT",
        Value::LineString(_) => "LINESTRING",
        Value::Polygon(_) => "POLYGON",
        Value::MultiPoint(_) => "MULTIPOINT",
        Value::MultiLineString(_) => "MULTILINESTRING",
        Value::MultiPolygon(_) => "MULTIPOLYGON",
        Value::GeometryCollection(_) => "GEOMETRYCOLLECTION",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn written_geopackage_is_valid_and_reads_back() {
        let mut p = Map::new();
        p.insert("name".into(), "Đường ống Lê Lợi".into());
        p.insert("diameter_mm".into(), json!(300));
        p.insert("pressure_bar".into(), json!(2.5));
        p.insert("gravity".into(), json!(true));
        p.insert("note".into(), Json::Null);
        let fs = vec![
            OutFeature {
                id: Some("p1".into()),
                geometry: Value::LineString(vec![vec![106.7, 10.78], vec![106.71, 10.79]]),
                properties: p.clone(),
            },
            OutFeature { id: Some("p2".into()), geometry: Value::Point(vec![106.7, 10.78]), properties: Map::new() },
        ];
        let opts = WriteOptions { crs: Crs::Crs84, layer: "water-pipes".into(), written_at: "2026-11-28T01:02:03Z".into() };
        let bytes = write(&fs, &opts).await.unwrap();
        assert!(bytes.starts_with(b"SQLite format 3\0"));
        // application_id and user_version live in the database header (offsets 68 and 60).
        assert_eq!(&bytes[68..72], b"GPKG");
        assert_eq!(i64::from(u32::from_be_bytes([bytes[60], bytes[61], bytes[62], bytes[63]])), USER_VERSION);
        let mut notes = Vec::new();
        let layers = read(&bytes, &mut notes).await.unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(layers.len(), 1);
        let l = &layers[0];
        assert_eq!(l.name, "water_pipes");
        assert_eq!(l.declared, Some(Crs::Epsg4326));
        assert_eq!(l.records.len(), 2);
        assert_eq!(l.records[0].id.as_deref(), Some("p1"));
        assert_eq!(l.records[0].geometry, Some(fs[0].geometry.clone()));
        assert_eq!(l.records[0].properties, p);
        assert_eq!(l.records[1].geometry, Some(fs[1].geometry.clone()));
    }

    #[tokio::test]
    async fn projected_output_declares_its_srs() {
        let fs = vec![OutFeature { id: None, geometry: Value::Point(vec![686_000.0, 1_192_000.0]), properties: Map::new() }];
        let opts = WriteOptions { crs: Crs::Vn2000Utm48n, layer: "x".into(), written_at: "2026-11-28T01:02:03Z".into() };
        let bytes = write(&fs, &opts).await.unwrap();
        let l = read(&bytes, &mut Vec::new()).await.unwrap();
        assert_eq!(l[0].declared, Some(Crs::Vn2000Utm48n));
    }

    #[tokio::test]
    async fn garbage_is_refused() {
        assert!(read(b"SQLite format 3\0garbage", &mut Vec::new()).await.is_err());
        assert!(geometry(b"XX").is_err());
        assert_eq!(geometry(&[b'G', b'P', 0, 0x11, 0, 0, 0, 0]).unwrap(), None);
    }
}
