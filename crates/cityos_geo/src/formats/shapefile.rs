//! Zipped ESRI Shapefiles: `.shp` geometry (point, polyline, polygon,
//! multipoint; the Z and M variants read with Z/M dropped), `.dbf`
//! attributes (dBASE III: C, N, F, L and D fields), `.prj` CRS and `.cpg`
//! code page (default UTF-8; Windows-1258 and other legacy code pages
//! through `encoding_rs`, text normalised to NFC). Written files have one
//! layer per geometry type, a `.cpg` of UTF-8 and a `.prj` for the output CRS.

use super::{prj, take_id, CrsSource, Format, FormatError, OutFeature, RawLayer, Record, WriteOptions};
use geojson::Value;
use serde_json::{Map, Value as Json};
use std::io::{Read, Write};

fn bad(detail: impl Into<String>) -> FormatError {
    FormatError::invalid(Format::Shapefile, detail)
}

fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    b.get(at..at + 4).map(|s| i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}
fn le_i32(b: &[u8], at: usize) -> Option<i32> {
    b.get(at..at + 4).map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}
fn le_f64(b: &[u8], at: usize) -> Option<f64> {
    let s = b.get(at..at + 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(f64::from_le_bytes(a))
}

/// Reads every layer of a zipped Shapefile.
///
/// # Errors
/// Not a zip, no `.shp`, or a damaged `.shp`/`.dbf`.
pub fn read_zip(bytes: &[u8], notes: &mut Vec<String>) -> Result<Vec<RawLayer>, FormatError> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(format!("not a zip archive: {e}")))?;
    let mut files: std::collections::BTreeMap<String, Vec<u8>> = std::collections::BTreeMap::new();
    let mut total: usize = 0;
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        let name = f.name().map_err(|e| bad(e.to_string()))?.to_string();
        let lower = name.to_ascii_lowercase();
        if f.is_dir()
            || lower.starts_with("__macosx/")
            || !["shp", "shx", "dbf", "prj", "cpg"].iter().any(|e| lower.ends_with(&format!(".{e}")))
        {
            continue;
        }
        let mut buf = Vec::new();
        // Zip bombs: never inflate more than the upload limit in all.
        let limit = u64::try_from(super::MAX_FILE_BYTES.saturating_sub(total)).unwrap_or(0) + 1;
        f.by_ref().take(limit).read_to_end(&mut buf).map_err(|e| bad(e.to_string()))?;
        total += buf.len();
        if total > super::MAX_FILE_BYTES {
            return Err(FormatError::TooLarge(super::MAX_FILE_BYTES));
        }
        files.insert(lower, buf);
    }
    let shps: Vec<String> = files.keys().filter(|k| k.ends_with(".shp")).cloned().collect();
    if shps.is_empty() {
        return Err(bad("the zip holds no .shp file"));
    }
    let mut layers = Vec::new();
    for shp in shps {
        let base = shp.trim_end_matches(".shp").to_string();
        let name = base.rsplit('/').next().unwrap_or(&base).to_string();
        let get = |ext: &str| files.get(&format!("{base}.{ext}"));
        let geoms = read_shp(files.get(&shp).map_or(&[][..], Vec::as_slice))?;
        let encoding = match get("cpg") {
            Some(c) => {
                let label = String::from_utf8_lossy(c).trim().to_string();
                code_page(&label).unwrap_or_else(|| {
                    notes.push(format!("{name}: unknown code page `{label}` in .cpg, read as UTF-8"));
                    encoding_rs::UTF_8
                })
            }
            // Without a .cpg, UTF-8; legacy Vietnamese files that are not valid UTF-8 are Windows-1258.
            None if get("dbf").is_some_and(|d| dbf_records(d).is_some_and(|r| std::str::from_utf8(r).is_err())) => {
                notes.push(format!("{name}: no .cpg and the .dbf is not UTF-8: read as Windows-1258"));
                encoding_rs::WINDOWS_1258
            }
            None => encoding_rs::UTF_8,
        };
        let attrs = match get("dbf") {
            Some(d) => read_dbf(d, encoding, notes)?,
            None => {
                notes.push(format!("{name}: no .dbf, features have no attributes"));
                vec![Map::new(); geoms.len()]
            }
        };
        if attrs.len() != geoms.len() {
            notes.push(format!("{name}: .shp has {} shapes but .dbf {} rows", geoms.len(), attrs.len()));
        }
        let (crs, declared) = match get("prj") {
            None => (CrsSource::Missing, None),
            Some(p) => {
                let wkt = String::from_utf8_lossy(p).trim().to_string();
                match prj::crs_of(&wkt) {
                    Some(c) => (CrsSource::declared(c), Some(c)),
                    None => (CrsSource::Unrecognised { declared: wkt }, None),
                }
            }
        };
        let n = geoms.len().max(attrs.len());
        let mut geoms = geoms.into_iter();
        let mut attrs = attrs.into_iter();
        let mut records = Vec::with_capacity(n);
        for _ in 0..n {
            let mut r = Record::new(None, attrs.next().unwrap_or_default());
            r.id = take_id(&mut r.properties);
            match geoms.next() {
                Some(Ok(g)) => r.geometry = g,
                Some(Err(e)) => r.geometry_error = Some(e),
                None => {}
            }
            records.push(r);
        }
        layers.push(RawLayer { name, crs, declared, records });
    }
    Ok(layers)
}

/// The encoding named by a `.cpg` label (`UTF-8`, `1258`, `CP1258`, `windows-1258`, `ANSI 1258`, …).
#[must_use]
pub fn code_page(label: &str) -> Option<&'static encoding_rs::Encoding> {
    let l = label.trim().to_ascii_lowercase();
    let l = l.trim_start_matches("ansi").trim();
    if l.chars().all(|c| c.is_ascii_digit()) && !l.is_empty() {
        return encoding_rs::Encoding::for_label(format!("windows-{l}").as_bytes())
            .or_else(|| encoding_rs::Encoding::for_label(format!("cp{l}").as_bytes()));
    }
    let l = l.strip_prefix("cp").map_or_else(|| l.to_string(), |d| format!("windows-{d}"));
    encoding_rs::Encoding::for_label(l.as_bytes())
}

type Shape = Result<Option<Value>, String>;

/// Reads the shapes of a `.shp` file, one per record (`None` for null shapes).
///
/// # Errors
/// A damaged header; damaged records are returned as `Err` entries.
pub fn read_shp(b: &[u8]) -> Result<Vec<Shape>, FormatError> {
    if b.len() < 100 || be_i32(b, 0) != Some(9994) {
        return Err(bad("not a .shp file (bad header)"));
    }
    let mut out = Vec::new();
    let mut pos = 100;
    while pos + 8 <= b.len() {
        let words = be_i32(b, pos + 4).unwrap_or(0);
        let len = usize::try_from(words).map_err(|_| bad(format!("negative record length at byte {pos}")))? * 2;
        let start = pos + 8;
        let Some(content) = b.get(start..start + len) else {
            out.push(Err(format!("record truncated at byte {pos}")));
            break;
        };
        out.push(shape(content));
        pos = start + len;
    }
    Ok(out)
}

fn shape(c: &[u8]) -> Shape {
    let t = le_i32(c, 0).ok_or("empty record")?;
    let trunc = || "shape record too short".to_string();
    let point =
        |at: usize| -> Result<Vec<f64>, String> { Ok(vec![le_f64(c, at).ok_or_else(trunc)?, le_f64(c, at + 8).ok_or_else(trunc)?]) };
    match t {
        0 => Ok(None),
        1 | 11 | 21 => Ok(Some(Value::Point(point(4)?))),
        8 | 18 | 28 => {
            let n = usize::try_from(le_i32(c, 36).ok_or_else(trunc)?).map_err(|_| trunc())?;
            if 40 + n.saturating_mul(16) > c.len() {
                return Err(trunc());
            }
            Ok(Some(Value::MultiPoint((0..n).map(|i| point(40 + 16 * i)).collect::<Result<_, _>>()?)))
        }
        3 | 13 | 23 | 5 | 15 | 25 => {
            let parts = usize::try_from(le_i32(c, 36).ok_or_else(trunc)?).map_err(|_| trunc())?;
            let points = usize::try_from(le_i32(c, 40).ok_or_else(trunc)?).map_err(|_| trunc())?;
            let pts_at = 44 + parts.saturating_mul(4);
            if pts_at.saturating_add(points.saturating_mul(16)) > c.len() {
                return Err(trunc());
            }
            let mut starts = Vec::with_capacity(parts);
            for i in 0..parts {
                let s = usize::try_from(le_i32(c, 44 + 4 * i).ok_or_else(trunc)?).map_err(|_| trunc())?;
                if s > points || starts.last().is_some_and(|&p| s < p) {
                    return Err("shape part index out of order".into());
                }
                starts.push(s);
            }
            let mut lines = Vec::with_capacity(parts);
            for (i, &s) in starts.iter().enumerate() {
                let e = starts.get(i + 1).copied().unwrap_or(points);
                lines.push((s..e).map(|j| point(pts_at + 16 * j)).collect::<Result<Vec<_>, _>>()?);
            }
            if matches!(t, 3 | 13 | 23) {
                Ok(Some(if lines.len() == 1 { Value::LineString(lines.remove(0)) } else { Value::MultiLineString(lines) }))
            } else {
                Ok(Some(assemble_polygons(lines)))
            }
        }
        other => Err(format!("unsupported shape type {other}")),
    }
}

/// Twice the signed area (positive counter-clockwise).
fn signed_area2(r: &[Vec<f64>]) -> f64 {
    r.windows(2).map(|w| w[0][0] * w[1][1] - w[1][0] * w[0][1]).sum()
}

fn contains(ring: &[Vec<f64>], p: &[f64]) -> bool {
    let mut inside = false;
    for w in ring.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
    }
    inside
}

/// Shapefile rings (outer clockwise, holes counter-clockwise) to GeoJSON
/// polygons (outer counter-clockwise, holes clockwise, RFC 7946).
fn assemble_polygons(rings: Vec<Vec<Vec<f64>>>) -> Value {
    let mut polys: Vec<Vec<Vec<Vec<f64>>>> = Vec::new();
    let mut holes = Vec::new();
    for mut r in rings {
        if signed_area2(&r) <= 0.0 {
            r.reverse();
            polys.push(vec![r]);
        } else {
            holes.push(r);
        }
    }
    for mut h in holes {
        let owner = h.first().and_then(|p| polys.iter().rposition(|poly| contains(&poly[0], p)));
        match owner {
            Some(i) => {
                h.reverse();
                polys[i].push(h);
            }
            // A counter-clockwise ring inside nothing: an outer ring drawn the wrong way round.
            None => polys.push(vec![h]),
        }
    }
    if polys.len() == 1 {
        Value::Polygon(polys.remove(0))
    } else {
        Value::MultiPolygon(polys)
    }
}

/// The record area of a `.dbf` (after the header), if the header is readable.
fn dbf_records(b: &[u8]) -> Option<&[u8]> {
    let header_len = usize::from(u16::from_le_bytes([*b.get(8)?, *b.get(9)?]));
    b.get(header_len..)
}

/// Reads a dBASE III `.dbf` file: one attribute map per (non-deleted) record.
///
/// # Errors
/// A damaged header.
pub fn read_dbf(
    b: &[u8],
    encoding: &'static encoding_rs::Encoding,
    notes: &mut Vec<String>,
) -> Result<Vec<Map<String, Json>>, FormatError> {
    if b.len() < 33 {
        return Err(bad("the .dbf file is too short"));
    }
    let n = u32::from_le_bytes([b[4], b[5], b[6], b[7]]) as usize;
    let header_len = usize::from(u16::from_le_bytes([b[8], b[9]]));
    let record_len = usize::from(u16::from_le_bytes([b[10], b[11]]));
    let mut fields = Vec::new();
    let mut at = 32;
    let mut offset = 1;
    while at + 32 <= header_len.min(b.len()) && b[at] != 0x0D {
        let d = &b[at..at + 32];
        let raw_name = &d[..11];
        let end = raw_name.iter().position(|&c| c == 0).unwrap_or(11);
        let (name, _, _) = encoding.decode(&raw_name[..end]);
        let kind = d[11];
        let len = usize::from(d[16]);
        let decimals = d[17];
        fields.push((cityos_text::nfc(name.trim()), kind, offset, len, decimals));
        offset += len;
        at += 32;
    }
    if offset > record_len.max(1) {
        return Err(bad("the .dbf field lengths exceed the record length"));
    }
    let mut skipped = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(n.min(1 << 20));
    for i in 0..n {
        let start = header_len + i * record_len;
        let Some(rec) = b.get(start..start + record_len) else {
            notes.push(format!(".dbf ends after {i} of {n} records"));
            break;
        };
        if rec[0] == b'*' {
            continue;
        }
        let mut m = Map::new();
        for (name, kind, off, len, decimals) in &fields {
            let raw = &rec[*off..off + len];
            let value = match kind {
                b'C' => {
                    let (s, _, _) = encoding.decode(raw);
                    let s = s.trim_end_matches([' ', '\0']).trim_start();
                    if s.is_empty() {
                        Json::Null
                    } else {
                        Json::String(cityos_text::nfc(s))
                    }
                }
                b'N' | b'F' => {
                    let t = String::from_utf8_lossy(raw).trim().replace(',', ".");
                    if *decimals == 0 {
                        t.parse::<i64>().map(Json::from).or_else(|_| t.parse::<f64>().map(Json::from)).unwrap_or(Json::Null)
                    } else {
                        t.parse::<f64>().ok().filter(|f| f.is_finite()).map_or(Json::Null, Json::from)
                    }
                }
                b'L' => match raw.first() {
                    Some(b'T' | b't' | b'Y' | b'y') => Json::Bool(true),
                    Some(b'F' | b'f' | b'N' | b'n') => Json::Bool(false),
                    _ => Json::Null,
                },
                b'D' => {
                    let t = String::from_utf8_lossy(raw).trim().to_string();
                    if t.len() == 8 && t.bytes().all(|c| c.is_ascii_digit()) {
                        Json::String(format!("{}-{}-{}", &t[..4], &t[4..6], &t[6..]))
                    } else {
                        Json::Null
                    }
                }
                other => {
                    skipped.insert(format!("{name} ({})", char::from(*other)));
                    continue;
                }
            };
            m.insert(name.clone(), value);
        }
        out.push(m);
    }
    if !skipped.is_empty() {
        notes.push(format!("unsupported .dbf field types skipped: {}", skipped.into_iter().collect::<Vec<_>>().join(", ")));
    }
    Ok(out)
}

/// The Shapefile shape type a GeoJSON geometry is written as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum ShpType {
    Point = 1,
    PolyLine = 3,
    Polygon = 5,
    MultiPoint = 8,
}

impl ShpType {
    fn of(v: &Value) -> Option<ShpType> {
        match v {
            Value::Point(_) => Some(ShpType::Point),
            Value::LineString(_) | Value::MultiLineString(_) => Some(ShpType::PolyLine),
            Value::Polygon(_) | Value::MultiPolygon(_) => Some(ShpType::Polygon),
            Value::MultiPoint(_) => Some(ShpType::MultiPoint),
            Value::GeometryCollection(_) => None,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            ShpType::Point => "points",
            ShpType::PolyLine => "lines",
            ShpType::Polygon => "polygons",
            ShpType::MultiPoint => "multipoints",
        }
    }
}

fn bbox(points: &[&Vec<f64>]) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in points {
        b = [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])];
    }
    if b[0].is_finite() {
        b
    } else {
        [0.0; 4]
    }
}

fn push_f64s(out: &mut Vec<u8>, v: &[f64]) {
    v.iter().for_each(|f| out.extend_from_slice(&f.to_le_bytes()));
}

fn i32_of(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The record content of one shape.
fn shape_bytes(t: ShpType, v: &Value) -> Vec<u8> {
    let mut c = Vec::new();
    c.extend_from_slice(&(t as i32).to_le_bytes());
    let parts: Vec<Vec<Vec<f64>>> = match v {
        Value::Point(p) => {
            push_f64s(&mut c, &p[..2.min(p.len())]);
            return c;
        }
        Value::MultiPoint(ps) => {
            push_f64s(&mut c, &bbox(&ps.iter().collect::<Vec<_>>()));
            c.extend_from_slice(&i32_of(ps.len()).to_le_bytes());
            ps.iter().for_each(|p| push_f64s(&mut c, &p[..2.min(p.len())]));
            return c;
        }
        Value::LineString(l) => vec![l.clone()],
        Value::MultiLineString(ls) => ls.clone(),
        // Shapefile rings: outer clockwise, holes counter-clockwise.
        Value::Polygon(p) => orient(std::slice::from_ref(p)),
        Value::MultiPolygon(ps) => orient(ps),
        Value::GeometryCollection(_) => Vec::new(),
    };
    let all: Vec<&Vec<f64>> = parts.iter().flatten().collect();
    push_f64s(&mut c, &bbox(&all));
    c.extend_from_slice(&i32_of(parts.len()).to_le_bytes());
    c.extend_from_slice(&i32_of(all.len()).to_le_bytes());
    let mut start = 0;
    for p in &parts {
        c.extend_from_slice(&i32_of(start).to_le_bytes());
        start += p.len();
    }
    all.iter().for_each(|p| push_f64s(&mut c, &p[..2.min(p.len())]));
    c
}

fn orient(polys: &[Vec<Vec<Vec<f64>>>]) -> Vec<Vec<Vec<f64>>> {
    let mut out = Vec::new();
    for poly in polys {
        for (i, ring) in poly.iter().enumerate() {
            let mut r = ring.clone();
            let ccw = signed_area2(&r) > 0.0;
            if (i == 0) == ccw {
                r.reverse();
            }
            out.push(r);
        }
    }
    out
}

/// `.shp` and `.shx` for `shapes`.
fn write_shp(t: ShpType, shapes: &[&Value]) -> (Vec<u8>, Vec<u8>) {
    let contents: Vec<Vec<u8>> = shapes.iter().map(|v| shape_bytes(t, v)).collect();
    let mut all_points = Vec::new();
    for v in shapes {
        super::for_each_position(v, &mut |p| all_points.push(p.to_vec()));
    }
    let b = bbox(&all_points.iter().collect::<Vec<_>>());
    let header = |len_bytes: usize| {
        let mut h = Vec::with_capacity(100);
        h.extend_from_slice(&9994i32.to_be_bytes());
        h.extend_from_slice(&[0u8; 20]);
        h.extend_from_slice(&i32_of(len_bytes / 2).to_be_bytes());
        h.extend_from_slice(&1000i32.to_le_bytes());
        h.extend_from_slice(&(t as i32).to_le_bytes());
        push_f64s(&mut h, &b);
        push_f64s(&mut h, &[0.0; 4]);
        h
    };
    let shp_len = 100 + contents.iter().map(|c| 8 + c.len()).sum::<usize>();
    let mut shp = header(shp_len);
    let mut shx = header(100 + 8 * contents.len());
    for (i, c) in contents.iter().enumerate() {
        shx.extend_from_slice(&i32_of(shp.len() / 2).to_be_bytes());
        shx.extend_from_slice(&i32_of(c.len() / 2).to_be_bytes());
        shp.extend_from_slice(&i32_of(i + 1).to_be_bytes());
        shp.extend_from_slice(&i32_of(c.len() / 2).to_be_bytes());
        shp.extend_from_slice(c);
    }
    (shp, shx)
}

#[derive(Clone, Copy, PartialEq)]
enum DbfKind {
    Char,
    Int,
    Num,
    Logical,
    Date,
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// Field names: at most 10 bytes, ASCII, unique (case-insensitively).
fn field_names(cols: &[String]) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    let mut out = Vec::new();
    for c in cols {
        let base: String = c.chars().map(|ch| if ch.is_ascii_alphanumeric() || ch == '_' { ch } else { '_' }).take(10).collect();
        let mut name = base.clone();
        let mut n = 1;
        while !used.insert(name.to_ascii_lowercase()) {
            let s = n.to_string();
            name = format!("{}{s}", &base[..base.len().min(10 - s.len())]);
            n += 1;
        }
        out.push(name);
    }
    out
}

/// A dBASE III `.dbf` (UTF-8 text) for `rows` with columns `id` + `cols`.
fn write_dbf(cols: &[String], rows: &[(&Option<String>, &Map<String, Json>)], written_at: &str) -> Vec<u8> {
    let mut all = vec!["id".to_string()];
    all.extend(cols.iter().cloned());
    let value = |row: &(&Option<String>, &Map<String, Json>), c: &str| -> Json {
        if c == "id" {
            row.0.clone().map_or(Json::Null, Json::String)
        } else {
            row.1.get(c).cloned().unwrap_or(Json::Null)
        }
    };
    let mut specs = Vec::new();
    for c in &all {
        let vals: Vec<Json> = rows.iter().map(|r| value(r, c)).filter(|v| !v.is_null()).collect();
        let kind = if !vals.is_empty() && vals.iter().all(Json::is_i64) {
            DbfKind::Int
        } else if !vals.is_empty() && vals.iter().all(Json::is_number) {
            DbfKind::Num
        } else if !vals.is_empty() && vals.iter().all(Json::is_boolean) {
            DbfKind::Logical
        } else if !vals.is_empty() && vals.iter().all(|v| v.as_str().is_some_and(is_date)) {
            DbfKind::Date
        } else {
            DbfKind::Char
        };
        let text = |v: &Json| match v {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        };
        let (len, dec) = match kind {
            DbfKind::Logical => (1, 0),
            DbfKind::Date => (8, 0),
            DbfKind::Int => (vals.iter().map(|v| text(v).len()).max().unwrap_or(1).clamp(1, 20), 0),
            DbfKind::Num => {
                let texts: Vec<String> = vals.iter().map(text).collect();
                let dec = texts.iter().map(|t| t.split_once('.').map_or(0, |(_, d)| d.len())).max().unwrap_or(0).min(15);
                (texts.iter().map(String::len).max().unwrap_or(1).clamp(1, 254), dec)
            }
            DbfKind::Char => (vals.iter().map(|v| text(v).len()).max().unwrap_or(1).clamp(1, 254), 0),
        };
        specs.push((kind, len, dec));
    }
    let names = field_names(&all);
    let record_len = 1 + specs.iter().map(|s| s.1).sum::<usize>();
    let header_len = 32 + 32 * specs.len() + 1;
    let mut out = Vec::with_capacity(header_len + record_len * rows.len() + 1);
    out.push(0x03);
    let ymd: Vec<u8> = written_at
        .get(..10)
        .unwrap_or("2000-01-01")
        .split('-')
        .map(|p| p.parse::<u32>().unwrap_or(0))
        .map(|n| u8::try_from(n % 100).unwrap_or(0))
        .collect();
    out.extend_from_slice(&[ymd.first().copied().unwrap_or(0), ymd.get(1).copied().unwrap_or(1), ymd.get(2).copied().unwrap_or(1)]);
    out.extend_from_slice(&u32::try_from(rows.len()).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&u16::try_from(header_len).unwrap_or(u16::MAX).to_le_bytes());
    out.extend_from_slice(&u16::try_from(record_len).unwrap_or(u16::MAX).to_le_bytes());
    out.extend_from_slice(&[0u8; 20]);
    for (name, (kind, len, dec)) in names.iter().zip(&specs) {
        let mut d = [0u8; 32];
        d[..name.len()].copy_from_slice(name.as_bytes());
        d[11] = match kind {
            DbfKind::Char => b'C',
            DbfKind::Int | DbfKind::Num => b'N',
            DbfKind::Logical => b'L',
            DbfKind::Date => b'D',
        };
        d[16] = u8::try_from(*len).unwrap_or(u8::MAX);
        d[17] = u8::try_from(*dec).unwrap_or(0);
        out.extend_from_slice(&d);
    }
    out.push(0x0D);
    for row in rows {
        out.push(b' ');
        for (c, (kind, len, _)) in all.iter().zip(&specs) {
            let v = value(row, c);
            let mut cell: Vec<u8> = match (&v, kind) {
                (Json::Null, _) => Vec::new(),
                (Json::Bool(b), DbfKind::Logical) => vec![if *b { b'T' } else { b'F' }],
                (Json::String(s), DbfKind::Date) => s.replace('-', "").into_bytes(),
                (Json::String(s), _) => {
                    // Cut at a character boundary, never inside a UTF-8 sequence.
                    let mut end = s.len().min(*len);
                    while !s.is_char_boundary(end) {
                        end -= 1;
                    }
                    s.as_bytes()[..end].to_vec()
                }
                (other, _) => other.to_string().into_bytes(),
            };
            cell.truncate(*len);
            if matches!(kind, DbfKind::Int | DbfKind::Num) {
                out.extend(std::iter::repeat_n(b' ', len - cell.len()));
                out.extend_from_slice(&cell);
            } else {
                out.extend_from_slice(&cell);
                out.extend(std::iter::repeat_n(b' ', len - cell.len()));
            }
        }
    }
    out.push(0x1A);
    out
}

/// Writes a zip with one Shapefile layer per geometry type (`<layer>.shp`
/// when there is one type, `<layer>_points.shp`, `<layer>_lines.shp`, …
/// otherwise). Geometry collections cannot be written and are left out.
///
/// # Errors
/// A zip failure (never in practice: written to memory).
pub fn write_zip(features: &[OutFeature], opts: &WriteOptions) -> Result<Vec<u8>, FormatError> {
    let mut groups: std::collections::BTreeMap<ShpType, Vec<&OutFeature>> = std::collections::BTreeMap::new();
    for f in features {
        if let Some(t) = ShpType::of(&f.geometry) {
            groups.entry(t).or_default().push(f);
        }
    }
    let base: String = opts.layer.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' }).collect();
    let base = if base.is_empty() { "layer".to_string() } else { base };
    let single = groups.len() <= 1;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    let zerr = |e: zip::result::ZipError| bad(e.to_string());
    let mut put = |name: String, data: &[u8]| -> Result<(), FormatError> {
        zip.start_file(name, options).map_err(zerr)?;
        zip.write_all(data).map_err(|e| bad(e.to_string()))
    };
    let prj = prj::wkt_of(opts.crs);
    if groups.is_empty() {
        groups.insert(ShpType::Point, Vec::new());
    }
    for (t, fs) in &groups {
        let name = if single { base.clone() } else { format!("{base}_{}", t.suffix()) };
        let shapes: Vec<&Value> = fs.iter().map(|f| &f.geometry).collect();
        let (shp, shx) = write_shp(*t, &shapes);
        let owned: Vec<OutFeature> = fs.iter().map(|f| (*f).clone()).collect();
        let cols = super::columns(&owned);
        let rows: Vec<(&Option<String>, &Map<String, Json>)> = fs.iter().map(|f| (&f.id, &f.properties)).collect();
        put(format!("{name}.shp"), &shp)?;
        put(format!("{name}.shx"), &shx)?;
        put(format!("{name}.dbf"), &write_dbf(&cols, &rows, &opts.written_at))?;
        put(format!("{name}.cpg"), b"UTF-8")?;
        if let Some(p) = &prj {
            put(format!("{name}.prj"), p.as_bytes())?;
        }
    }
    Ok(zip.finish().map_err(zerr)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::Crs;
    use serde_json::json;

    fn opts() -> WriteOptions {
        WriteOptions { crs: Crs::Crs84, layer: "water-valves".into(), written_at: "2026-11-28T01:02:03Z".into() }
    }

    /// A .shp with one polyline built byte by byte from the ESRI white paper's layout.
    fn hand_made_polyline_shp() -> Vec<u8> {
        let mut content = Vec::new();
        content.extend_from_slice(&3i32.to_le_bytes());
        for f in [106.0f64, 10.0, 107.0, 11.0] {
            content.extend_from_slice(&f.to_le_bytes());
        }
        content.extend_from_slice(&1i32.to_le_bytes()); // parts
        content.extend_from_slice(&2i32.to_le_bytes()); // points
        content.extend_from_slice(&0i32.to_le_bytes()); // part 0 starts at point 0
        for f in [106.0f64, 10.0, 107.0, 11.0] {
            content.extend_from_slice(&f.to_le_bytes());
        }
        let mut shp = Vec::new();
        shp.extend_from_slice(&9994i32.to_be_bytes());
        shp.extend_from_slice(&[0; 20]);
        shp.extend_from_slice(&((100 + 8 + content.len()) as i32 / 2).to_be_bytes());
        shp.extend_from_slice(&1000i32.to_le_bytes());
        shp.extend_from_slice(&3i32.to_le_bytes());
        for f in [106.0f64, 10.0, 107.0, 11.0, 0.0, 0.0, 0.0, 0.0] {
            shp.extend_from_slice(&f.to_le_bytes());
        }
        shp.extend_from_slice(&1i32.to_be_bytes());
        shp.extend_from_slice(&(content.len() as i32 / 2).to_be_bytes());
        shp.extend_from_slice(&content);
        shp
    }

    /// A .dbf with C(20) `TEN`, N(6,1) `DUONG_KINH`, L `HOAT_DONG`, D `NGAY_LD`, text in `text_bytes`.
    fn hand_made_dbf(text_bytes: &[u8]) -> Vec<u8> {
        let fields: [(&str, u8, u8, u8); 4] =
            [("TEN", b'C', 20, 0), ("DUONG_KINH", b'N', 6, 1), ("HOAT_DONG", b'L', 1, 0), ("NGAY_LD", b'D', 8, 0)];
        let record_len: u16 = 1 + 20 + 6 + 1 + 8;
        let header_len: u16 = 32 + 32 * 4 + 1;
        let mut d = vec![0x03, 126, 11, 28];
        d.extend_from_slice(&1u32.to_le_bytes());
        d.extend_from_slice(&header_len.to_le_bytes());
        d.extend_from_slice(&record_len.to_le_bytes());
        d.extend_from_slice(&[0; 20]);
        for (name, t, len, dec) in fields {
            let mut f = [0u8; 32];
            f[..name.len()].copy_from_slice(name.as_bytes());
            f[11] = t;
            f[16] = len;
            f[17] = dec;
            d.extend_from_slice(&f);
        }
        d.push(0x0D);
        d.push(b' ');
        let mut ten = text_bytes.to_vec();
        ten.resize(20, b' ');
        d.extend_from_slice(&ten);
        d.extend_from_slice(b" 300.5");
        d.push(b'T');
        d.extend_from_slice(b"20240115");
        d.push(0x1A);
        d
    }

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (n, b) in files {
            z.start_file(*n, zip::write::SimpleFileOptions::default()).unwrap();
            z.write_all(b).unwrap();
        }
        z.finish().unwrap().into_inner()
    }

    #[test]
    fn hand_made_shapefile_with_windows_1258_dbf_and_vn2000_prj() {
        // "Đường" in Windows-1258: Đ=0xD0, ư=0xFD, ờ = ơ(0xF5) + combining grave (0xCC), n, g.
        let ten = [0xD0, 0xFD, 0xF5, 0xCC, b'n', b'g'];
        let prj = r#"PROJCS["VN_2000_UTM_Zone_48N",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
        let z = zip_of(&[
            ("ong/ong_nuoc.shp", &hand_made_polyline_shp()),
            ("ong/ong_nuoc.dbf", &hand_made_dbf(&ten)),
            ("ong/ong_nuoc.cpg", b"1258"),
            ("ong/ong_nuoc.prj", prj.as_bytes()),
        ]);
        let mut notes = Vec::new();
        let layers = read_zip(&z, &mut notes).unwrap();
        assert_eq!(layers.len(), 1, "{notes:?}");
        let l = &layers[0];
        assert_eq!(l.name, "ong_nuoc");
        assert_eq!(l.declared, Some(Crs::Vn2000Utm48n));
        let r = &l.records[0];
        assert_eq!(r.geometry, Some(Value::LineString(vec![vec![106.0, 10.0], vec![107.0, 11.0]])));
        assert_eq!(r.properties["TEN"], json!("Đường"));
        assert_eq!(r.properties["DUONG_KINH"], json!(300.5));
        assert_eq!(r.properties["HOAT_DONG"], json!(true));
        assert_eq!(r.properties["NGAY_LD"], json!("2024-01-15"));
    }

    #[test]
    fn legacy_dbf_without_cpg_is_read_as_windows_1258() {
        let ten = [0xD0, 0xFD, 0xF5, 0xCC, b'n', b'g'];
        let z = zip_of(&[("a.shp", &hand_made_polyline_shp()), ("a.dbf", &hand_made_dbf(&ten))]);
        let mut notes = Vec::new();
        let layers = read_zip(&z, &mut notes).unwrap();
        assert_eq!(layers[0].records[0].properties["TEN"], json!("Đường"));
        assert_eq!(layers[0].crs, CrsSource::Missing);
        assert!(notes.iter().any(|n| n.contains("Windows-1258")), "{notes:?}");
        // A UTF-8 .dbf without .cpg stays UTF-8.
        let z = zip_of(&[("a.shp", &hand_made_polyline_shp()), ("a.dbf", &hand_made_dbf("Đường".as_bytes()))]);
        let layers = read_zip(&z, &mut Vec::new()).unwrap();
        assert_eq!(layers[0].records[0].properties["TEN"], json!("Đường"));
    }

    #[test]
    fn round_trip_every_geometry_type() {
        let mut p = Map::new();
        p.insert("name".into(), "Van Nguyễn Huệ".into());
        p.insert("diameter_mm".into(), json!(250));
        p.insert("pressure_bar".into(), json!(2.75));
        p.insert("install_date".into(), json!("2019-06-30"));
        p.insert("normally_open".into(), json!(true));
        let square = vec![vec![0.0, 0.0], vec![1.0, 0.0], vec![1.0, 1.0], vec![0.0, 1.0], vec![0.0, 0.0]];
        let hole = vec![vec![0.2, 0.2], vec![0.2, 0.4], vec![0.4, 0.4], vec![0.4, 0.2], vec![0.2, 0.2]];
        let fs = vec![
            OutFeature { id: Some("v1".into()), geometry: Value::Point(vec![106.7, 10.78]), properties: p.clone() },
            OutFeature {
                id: Some("l1".into()),
                geometry: Value::LineString(vec![vec![106.7, 10.78], vec![106.8, 10.9]]),
                properties: Map::new(),
            },
            OutFeature { id: Some("a1".into()), geometry: Value::Polygon(vec![square.clone(), hole.clone()]), properties: Map::new() },
            OutFeature { id: Some("m1".into()), geometry: Value::MultiPoint(vec![vec![1.0, 2.0], vec![3.0, 4.0]]), properties: Map::new() },
        ];
        let z = write_zip(&fs, &opts()).unwrap();
        let mut notes = Vec::new();
        let layers = read_zip(&z, &mut notes).unwrap();
        assert_eq!(layers.len(), 4);
        let by_id: std::collections::HashMap<_, _> = layers.iter().flat_map(|l| &l.records).map(|r| (r.id.clone().unwrap(), r)).collect();
        let v1 = by_id["v1"];
        assert_eq!(v1.geometry, Some(fs[0].geometry.clone()));
        // Field names are cut to 10 characters, as dBASE requires.
        assert_eq!(v1.properties["name"], json!("Van Nguyễn Huệ"));
        assert_eq!(v1.properties["diameter_m"], json!(250));
        assert_eq!(v1.properties["pressure_b"], json!(2.75));
        assert_eq!(v1.properties["install_da"], json!("2019-06-30"));
        assert_eq!(v1.properties["normally_o"], json!(true));
        assert_eq!(by_id["l1"].geometry, Some(fs[1].geometry.clone()));
        assert_eq!(by_id["m1"].geometry, Some(fs[3].geometry.clone()));
        // Polygons come back with RFC 7946 winding: outer counter-clockwise, holes clockwise.
        let Some(Value::Polygon(rings)) = &by_id["a1"].geometry else { panic!("polygon") };
        assert_eq!(rings.len(), 2);
        assert!(signed_area2(&rings[0]) > 0.0 && signed_area2(&rings[1]) < 0.0);
        assert!(layers.iter().all(|l| l.declared == Some(Crs::Epsg4326)));
    }

    #[test]
    fn damaged_files_are_refused_or_reported() {
        assert!(read_zip(b"PK\x03\x04nope", &mut Vec::new()).is_err());
        assert!(read_zip(&zip_of(&[("a.txt", b"x")]), &mut Vec::new()).is_err());
        assert!(read_shp(b"short").is_err());
        let mut shp = hand_made_polyline_shp();
        shp.truncate(shp.len() - 10);
        let shapes = read_shp(&shp).unwrap();
        assert!(shapes[0].is_err());
        assert!(read_dbf(b"tiny", encoding_rs::UTF_8, &mut Vec::new()).is_err());
        assert_eq!(code_page("UTF-8"), Some(encoding_rs::UTF_8));
        assert_eq!(code_page("1258"), Some(encoding_rs::WINDOWS_1258));
        assert_eq!(code_page("CP1258"), Some(encoding_rs::WINDOWS_1258));
        assert_eq!(code_page("ANSI 1258"), Some(encoding_rs::WINDOWS_1258));
    }
}
