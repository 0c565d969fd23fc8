//! Readers and writers of the geodata files GIS teams exchange: GeoJSON,
//! GeoPackage, CSV with a WKT (or longitude/latitude) column and zipped
//! Shapefiles.
//!
//! Reading is two steps: a format reader turns the file into [`Record`]s in
//! the file's own coordinates together with what the file says about its
//! CRS ([`CrsSource`]); [`read`] then settles the CRS (the user's choice
//! wins, then the file's declaration, then a longitude/latitude guess) and
//! converts every geometry to CRS84. A record whose geometry cannot be read
//! or converted keeps its attributes and carries the reason, so the
//! validation report ([`validate`]) can name it instead of failing the whole
//! file.
//!
//! Files always hold coordinates in the traditional GIS order (easting or
//! longitude first), whatever the EPSG register says about a system's axes:
//! that is what GeoPackage, Shapefile and practically every GeoJSON and CSV
//! file in circulation do.

pub mod csv_wkt;
pub mod geojson_file;
pub mod gpkg;
pub mod prj;
pub mod shapefile;
pub mod validate;

use crate::crs::{Crs, CrsError};
use geojson::Value;
use serde::Serialize;
use serde_json::Map;

/// The largest upload the readers accept, in bytes (200 MiB).
pub const MAX_FILE_BYTES: usize = 200 * 1024 * 1024;

/// A supported file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// GeoJSON (RFC 7946), a FeatureCollection.
    GeoJson,
    /// OGC GeoPackage (an SQLite file).
    GeoPackage,
    /// CSV with a WKT column or longitude/latitude columns.
    Csv,
    /// A zip holding one or more Shapefiles (.shp, .shx, .dbf, .prj, .cpg).
    Shapefile,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::GeoJson, Format::GeoPackage, Format::Csv, Format::Shapefile];

    /// The wire name: `geojson`, `gpkg`, `csv`, `shp`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::GeoPackage => "gpkg",
            Format::Csv => "csv",
            Format::Shapefile => "shp",
        }
    }

    /// Parses a wire name or a usual alias (`json`, `geopackage`, `shapefile`, `zip`).
    #[must_use]
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "geojson" | "json" => Some(Format::GeoJson),
            "gpkg" | "geopackage" => Some(Format::GeoPackage),
            "csv" | "wkt" => Some(Format::Csv),
            "shp" | "shapefile" | "zip" => Some(Format::Shapefile),
            _ => None,
        }
    }

    /// The file name extension of a written file.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::GeoPackage => "gpkg",
            Format::Csv => "csv",
            Format::Shapefile => "zip",
        }
    }

    /// The media type of a written file.
    #[must_use]
    pub fn media_type(self) -> &'static str {
        match self {
            Format::GeoJson => "application/geo+json",
            Format::GeoPackage => "application/geopackage+sqlite3",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Shapefile => "application/zip",
        }
    }

    /// The format of `bytes`: by magic bytes (SQLite header, zip local
    /// header, a JSON object), then by the file name's extension, then CSV
    /// for any other text.
    #[must_use]
    pub fn detect(bytes: &[u8], file_name: Option<&str>) -> Option<Format> {
        if bytes.starts_with(b"SQLite format 3\0") {
            return Some(Format::GeoPackage);
        }
        if bytes.starts_with(b"PK\x03\x04") {
            return Some(Format::Shapefile);
        }
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let first = text.iter().find(|b| !b.is_ascii_whitespace());
        if first == Some(&b'{') {
            return Some(Format::GeoJson);
        }
        if let Some(ext) = file_name.and_then(|n| n.rsplit_once('.')).map(|(_, e)| e.to_ascii_lowercase()) {
            if let Some(f) = Format::parse(&ext) {
                return Some(f);
            }
        }
        if !text.is_empty() && std::str::from_utf8(&text[..text.len().min(4096)]).is_ok_and(|s| s.contains('\n') || s.contains(',')) {
            return Some(Format::Csv);
        }
        None
    }
}

/// Why a file could not be read or written at all (problems with single
/// features go into the validation report instead).
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    /// The file is not of the expected format or is damaged.
    #[error("cannot read the {format} file: {detail}")]
    Invalid {
        /// The format's wire name.
        format: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("the file is larger than {0} bytes")]
    TooLarge(usize),
    /// Reprojection of the output failed.
    #[error(transparent)]
    Crs(#[from] CrsError),
    /// An I/O failure on a temporary file (GeoPackage).
    #[error("temporary file: {0}")]
    Io(#[from] std::io::Error),
}

impl FormatError {
    pub(crate) fn invalid(format: Format, detail: impl Into<String>) -> Self {
        FormatError::Invalid { format: format.as_str(), detail: detail.into() }
    }
}

/// What a file says about its coordinate reference system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CrsSource {
    /// The file declares a supported system (GeoJSON `crs` member,
    /// GeoPackage `srs_id`, Shapefile `.prj`).
    Declared {
        /// The system's URI.
        crs: String,
    },
    /// The format fixes the system (RFC 7946 GeoJSON is always CRS84).
    FormatDefault {
        /// The system's URI.
        crs: String,
    },
    /// The file declares a system CityOS does not recognise.
    Unrecognised {
        /// What the file says (a `.prj` WKT, an SRS name or code).
        declared: String,
    },
    /// The file says nothing (CSV, a Shapefile without `.prj`).
    Missing,
}

impl CrsSource {
    fn declared(c: Crs) -> Self {
        CrsSource::Declared { crs: c.uri().to_string() }
    }
}

/// One feature as read, before validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The feature's id in the file (GeoJSON `id`, an `id` column), if any.
    pub id: Option<String>,
    /// The geometry: in the file's coordinates until [`read`] converts it
    /// to CRS84; `None` when missing or unreadable.
    pub geometry: Option<Value>,
    /// The attributes, as typed as the format allows.
    pub properties: Map<String, serde_json::Value>,
    /// Why the geometry is missing (unreadable WKB/WKT, a coordinate outside
    /// the source system's domain), if it is.
    pub geometry_error: Option<String>,
}

impl Record {
    /// A record with a geometry and attributes.
    #[must_use]
    pub fn new(geometry: Option<Value>, properties: Map<String, serde_json::Value>) -> Self {
        Self { id: None, geometry, properties, geometry_error: None }
    }
}

/// One layer of a file as a reader returns it (coordinates still in the file's system).
#[derive(Debug, Clone, PartialEq)]
pub struct RawLayer {
    /// The layer's name (GeoPackage table, Shapefile base name).
    pub name: String,
    /// What the layer says about its CRS.
    pub crs: CrsSource,
    /// The supported system the declaration maps to, if any.
    pub declared: Option<Crs>,
    /// Its features.
    pub records: Vec<Record>,
}

/// How a layer's CRS was settled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerInfo {
    /// The layer's name.
    pub name: String,
    /// Features in the layer.
    pub count: usize,
    /// What the file said.
    pub detected: CrsSource,
    /// The system the coordinates were read in, `None` when it could not be
    /// settled (the user must choose one).
    pub used: Option<String>,
    /// `true` when `used` is a guess (coordinates within longitude/latitude bounds).
    pub assumed: bool,
}

/// A file read into CRS84 records.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// The file's format.
    pub format: Format,
    /// Each layer and its CRS.
    pub layers: Vec<LayerInfo>,
    /// Every layer's records in order, geometries in CRS84.
    pub records: Vec<Record>,
    /// File-level remarks (an encoding fallback, skipped columns or layers).
    pub notes: Vec<String>,
}

/// Options for [`read`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The user's choice of source CRS; overrides what the file says.
    pub crs: Option<Crs>,
    /// The file name, if known (format detection, layer naming).
    pub file_name: Option<String>,
}

/// Reads a file of `format` into CRS84 records.
///
/// # Errors
/// [`FormatError`] when the file as a whole cannot be read; problems of
/// single features are kept on their [`Record`].
pub async fn read(format: Format, bytes: &[u8], opts: &ReadOptions) -> Result<Dataset, FormatError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FormatError::TooLarge(MAX_FILE_BYTES));
    }
    let base = opts.file_name.as_deref().map_or("layer", |n| n.rsplit(['/', '\\']).next().unwrap_or(n)).to_string();
    let base = base.rsplit_once('.').map_or(base.clone(), |(b, _)| b.to_string());
    let mut notes = Vec::new();
    let layers = match format {
        Format::GeoJson => vec![geojson_file::read(bytes, &base)?],
        Format::GeoPackage => gpkg::read(bytes, &mut notes).await?,
        Format::Csv => vec![csv_wkt::read(bytes, &base, &mut notes)?],
        Format::Shapefile => shapefile::read_zip(bytes, &mut notes)?,
    };
    let mut out = Dataset { format, layers: Vec::new(), records: Vec::new(), notes };
    for layer in layers {
        let (used, assumed) = match (opts.crs, layer.declared) {
            (Some(c), _) => (Some(c), false),
            (None, Some(c)) => (Some(c), false),
            (None, None) if layer.crs == CrsSource::Missing && looks_like_lon_lat(&layer.records) => (Some(Crs::Crs84), true),
            (None, None) => (None, false),
        };
        out.layers.push(LayerInfo {
            name: layer.name,
            count: layer.records.len(),
            detected: layer.crs,
            used: used.map(|c| c.uri().to_string()),
            assumed,
        });
        for mut r in layer.records {
            match (used, r.geometry.as_mut()) {
                (Some(c), Some(g)) => {
                    if let Err(e) = file_to_crs84(g, c) {
                        r.geometry = None;
                        r.geometry_error = Some(e.to_string());
                    }
                }
                (None, Some(_)) => {
                    r.geometry = None;
                    r.geometry_error = Some("the coordinate reference system is unknown: choose one".into());
                }
                _ => {}
            }
            out.records.push(r);
        }
    }
    Ok(out)
}

fn looks_like_lon_lat(records: &[Record]) -> bool {
    let mut any = false;
    let ok = records.iter().filter_map(|r| r.geometry.as_ref()).all(|g| {
        let mut inside = true;
        for_each_position(g, &mut |p| {
            any = true;
            inside &= p.len() >= 2 && p[0].abs() <= 180.0 && p[1].abs() <= 90.0;
        });
        inside
    });
    ok && any
}

/// Calls `f` on every position of `v`.
pub fn for_each_position(v: &Value, f: &mut dyn FnMut(&[f64])) {
    match v {
        Value::Point(p) => f(p),
        Value::MultiPoint(ps) | Value::LineString(ps) => ps.iter().for_each(|p| f(p)),
        Value::MultiLineString(ls) | Value::Polygon(ls) => ls.iter().flatten().for_each(|p| f(p)),
        Value::MultiPolygon(pss) => pss.iter().flatten().flatten().for_each(|p| f(p)),
        Value::GeometryCollection(gs) => gs.iter().for_each(|g| for_each_position(&g.value, f)),
    }
}

fn map_positions(v: &mut Value, f: &mut dyn FnMut(&mut Vec<f64>) -> Result<(), CrsError>) -> Result<(), CrsError> {
    match v {
        Value::Point(p) => f(p),
        Value::MultiPoint(ps) | Value::LineString(ps) => ps.iter_mut().try_for_each(f),
        Value::MultiLineString(ls) | Value::Polygon(ls) => ls.iter_mut().flatten().try_for_each(f),
        Value::MultiPolygon(pss) => pss.iter_mut().flatten().flatten().try_for_each(f),
        Value::GeometryCollection(gs) => gs.iter_mut().try_for_each(|g| map_positions(&mut g.value, f)),
    }
}

/// Converts a geometry in `crs`, easting/longitude first as files hold it, to CRS84.
///
/// # Errors
/// The first position outside the system's domain.
pub fn file_to_crs84(v: &mut Value, crs: Crs) -> Result<(), CrsError> {
    map_positions(v, &mut |p| {
        if p.len() < 2 {
            return Ok(());
        }
        let (lon, lat) = if crs.lat_first() { crs.to_crs84(p[1], p[0])? } else { crs.to_crs84(p[0], p[1])? };
        p[0] = lon;
        p[1] = lat;
        Ok(())
    })
}

/// Converts a CRS84 geometry to `crs`, easting/longitude first as files hold it.
///
/// # Errors
/// The first position outside the target system's domain.
pub fn crs84_to_file(v: &mut Value, crs: Crs) -> Result<(), CrsError> {
    if crs == Crs::Crs84 {
        return Ok(());
    }
    map_positions(v, &mut |p| {
        if p.len() < 2 {
            return Ok(());
        }
        let (a, b) = crs.from_crs84(p[0], p[1])?;
        (p[0], p[1]) = if crs.lat_first() { (b, a) } else { (a, b) };
        Ok(())
    })
}

/// One feature to write: CRS84 geometry and attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct OutFeature {
    /// The feature's id.
    pub id: Option<String>,
    /// The geometry, CRS84.
    pub geometry: Value,
    /// The attributes.
    pub properties: Map<String, serde_json::Value>,
}

/// Options for [`write`].
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// The output CRS (coordinates easting/longitude first).
    pub crs: Crs,
    /// The layer (GeoPackage table, Shapefile base name, GeoJSON `name`).
    pub layer: String,
    /// RFC 3339 time of writing (GeoPackage `last_change`), from the caller's clock.
    pub written_at: String,
}

/// Writes `features` as a file of `format`.
///
/// # Errors
/// A geometry outside the output CRS's domain; a GeoPackage temporary-file failure.
pub async fn write(format: Format, features: &[OutFeature], opts: &WriteOptions) -> Result<Vec<u8>, FormatError> {
    let projected: Vec<OutFeature> = if opts.crs == Crs::Crs84 {
        features.to_vec()
    } else {
        let mut v = features.to_vec();
        for f in &mut v {
            crs84_to_file(&mut f.geometry, opts.crs)?;
        }
        v
    };
    match format {
        Format::GeoJson => Ok(geojson_file::write(&projected, opts)),
        Format::GeoPackage => gpkg::write(&projected, opts).await,
        Format::Csv => csv_wkt::write(&projected),
        Format::Shapefile => shapefile::write_zip(&projected, opts),
    }
}

/// Splits off an `id` attribute (CSV, GeoPackage, Shapefile hold the id as
/// an ordinary column named `id`).
pub(crate) fn take_id(props: &mut Map<String, serde_json::Value>) -> Option<String> {
    match props.remove("id")? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The union of attribute names over `features`, in first-seen order (`id` excluded).
pub(crate) fn columns(features: &[OutFeature]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for f in features {
        for k in f.properties.keys() {
            if k != "id" && seen.insert(k.clone()) {
                out.push(k.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_formats() {
        assert_eq!(Format::detect(b"SQLite format 3\0....", None), Some(Format::GeoPackage));
        assert_eq!(Format::detect(b"PK\x03\x04....", None), Some(Format::Shapefile));
        assert_eq!(Format::detect(b"\xEF\xBB\xBF  {\"type\":1}", None), Some(Format::GeoJson));
        assert_eq!(Format::detect(b"wkt;name\nPOINT(1 2);a\n", None), Some(Format::Csv));
        assert_eq!(Format::detect(b"\x00\x01", Some("x.geojson")), Some(Format::GeoJson));
        assert_eq!(Format::detect(b"\x00\x01\xff", None), None);
    }

    /// Damaged files (bytes flipped, cut short) give errors or problem records, never a panic.
    #[tokio::test]
    async fn damaged_files_never_panic() {
        let mut p = Map::new();
        p.insert("name".into(), "Van Đường Lê Lợi".into());
        p.insert("diameter_mm".into(), serde_json::json!(150.5));
        let ring = vec![vec![106.7, 10.7], vec![106.71, 10.7], vec![106.71, 10.71], vec![106.7, 10.7]];
        let fs = vec![
            OutFeature { id: Some("a".into()), geometry: Value::Point(vec![106.7, 10.78]), properties: p.clone() },
            OutFeature {
                id: Some("b".into()),
                geometry: Value::LineString(vec![vec![106.7, 10.78], vec![106.8, 10.9]]),
                properties: p.clone(),
            },
            OutFeature { id: Some("c".into()), geometry: Value::Polygon(vec![ring]), properties: p },
        ];
        let opts = WriteOptions { crs: Crs::Crs84, layer: "t".into(), written_at: "2026-11-28T00:00:00Z".into() };
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for format in [Format::GeoJson, Format::Csv, Format::Shapefile, Format::GeoPackage] {
            let good = write(format, &fs, &opts).await.unwrap();
            assert_eq!(read(format, &good, &ReadOptions::default()).await.unwrap().records.len(), 3);
            let rounds = if format == Format::GeoPackage { 20 } else { 400 };
            for _ in 0..rounds {
                let mut bad = good.clone();
                let len = bad.len() as u64;
                for _ in 0..1 + next() % 8 {
                    let at = usize::try_from(next() % len).unwrap();
                    bad[at] = u8::try_from(next() % 256).unwrap();
                }
                if next() % 4 == 0 {
                    bad.truncate(usize::try_from(next() % len).unwrap());
                }
                let _ = read(format, &bad, &ReadOptions::default()).await;
            }
        }
        // Inside a Shapefile zip, damage the .shp and .dbf themselves (the zip's CRC would catch flipped bytes).
        let layers = shapefile::read_zip(&write(Format::Shapefile, &fs, &opts).await.unwrap(), &mut Vec::new()).unwrap();
        assert_eq!(layers.len(), 3);
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(write(Format::Shapefile, &fs[1..2], &opts).await.unwrap())).unwrap();
        let mut get = |n: &str| {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut z.by_name(n).unwrap(), &mut v).unwrap();
            v
        };
        let (shp, dbf) = (get("t.shp"), get("t.dbf"));
        for _ in 0..2000 {
            for (good, is_shp) in [(&shp, true), (&dbf, false)] {
                let mut bad = good.clone();
                let len = bad.len() as u64;
                for _ in 0..1 + next() % 4 {
                    let at = usize::try_from(next() % len).unwrap();
                    bad[at] = u8::try_from(next() % 256).unwrap();
                }
                if is_shp {
                    let _ = shapefile::read_shp(&bad);
                } else {
                    let _ = shapefile::read_dbf(&bad, encoding_rs::UTF_8, &mut Vec::new());
                }
            }
        }
        for _ in 0..2000 {
            let mut w = crate::wkb::to_vec(&fs[2].geometry);
            let at = usize::try_from(next() % w.len() as u64).unwrap();
            w[at] = u8::try_from(next() % 256).unwrap();
            let _ = crate::wkb::read(&w);
            let _ = gpkg::geometry(&w);
        }
    }

    #[test]
    fn file_order_is_lon_first_even_for_epsg_4326() {
        let mut v = Value::Point(vec![106.7, 10.8]);
        file_to_crs84(&mut v, Crs::Epsg4326).unwrap();
        assert_eq!(v, Value::Point(vec![106.7, 10.8]));
        crs84_to_file(&mut v, Crs::Epsg4326).unwrap();
        assert_eq!(v, Value::Point(vec![106.7, 10.8]));
        let mut bad = Value::Point(vec![f64::NAN, 1.0]);
        assert!(file_to_crs84(&mut bad, Crs::Crs84).is_err());
    }
}
