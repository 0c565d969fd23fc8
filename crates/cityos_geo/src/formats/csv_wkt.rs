//! CSV with a geometry column in WKT (`wkt`, `geometry`, `geom`,
//! `the_geom`) or a pair of longitude/latitude columns (`lon`/`lng`/
//! `longitude`/`x` with `lat`/`latitude`/`y`). UTF-8 with or without BOM;
//! the delimiter (`,` `;` tab `|`) is sniffed from the header line. Cells
//! that read back as the same number become numbers; empty cells are null.

use super::{take_id, CrsSource, Format, FormatError, OutFeature, RawLayer, Record};
use crate::wkt;
use serde_json::{Map, Value as Json};

const WKT_COLUMNS: &[&str] = &["wkt", "geometry", "geom", "the_geom", "wkb_geometry", "shape"];
const LON_COLUMNS: &[&str] = &["lon", "lng", "long", "longitude", "x", "kinh_do"];
const LAT_COLUMNS: &[&str] = &["lat", "latitude", "y", "vi_do"];

fn sniff_delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let mut best = (b',', 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let mut n = 0;
        let mut quoted = false;
        for c in header.bytes() {
            if c == b'"' {
                quoted = !quoted;
            } else if c == d && !quoted {
                n += 1;
            }
        }
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// A cell as JSON: a number when it reads back to the same text, else a string.
fn cell(s: &str) -> Json {
    if s.is_empty() {
        return Json::Null;
    }
    if let Ok(i) = s.parse::<i64>() {
        if i.to_string() == s {
            return Json::from(i);
        }
    }
    if let Ok(f) = s.parse::<f64>() {
        if f.is_finite() && f.to_string() == s {
            return Json::from(f);
        }
    }
    Json::String(s.to_string())
}

/// Reads a CSV file.
///
/// # Errors
/// Not UTF-8, no header, or no geometry column.
pub fn read(bytes: &[u8], name: &str, notes: &mut Vec<String>) -> Result<RawLayer, FormatError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text =
        std::str::from_utf8(bytes).map_err(|e| FormatError::invalid(Format::Csv, format!("not UTF-8 ({e}); save the file as UTF-8")))?;
    let delimiter = sniff_delimiter(text);
    let mut rdr = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> =
        rdr.headers().map_err(|e| FormatError::invalid(Format::Csv, e.to_string()))?.iter().map(|h| h.trim().to_string()).collect();
    let find = |names: &[&str]| headers.iter().position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)));
    let geom = match (find(WKT_COLUMNS), find(LON_COLUMNS), find(LAT_COLUMNS)) {
        (Some(w), _, _) => Geom::Wkt(w),
        (None, Some(x), Some(y)) => Geom::LonLat(x, y),
        _ => {
            return Err(FormatError::invalid(
                Format::Csv,
                format!(
                    "no geometry column: name one `wkt`, `geometry` or `geom`, or give `lon` and `lat` columns (found: {})",
                    headers.join(", ")
                ),
            ))
        }
    };
    let mut records = Vec::new();
    for (i, row) in rdr.records().enumerate() {
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                notes.push(format!("row {}: {e}", i + 2));
                let mut r = Record::new(None, Map::new());
                r.geometry_error = Some(format!("unreadable CSV row: {e}"));
                records.push(r);
                continue;
            }
        };
        let mut props = Map::new();
        for (j, h) in headers.iter().enumerate() {
            let skip = match geom {
                Geom::Wkt(w) => j == w,
                Geom::LonLat(x, y) => j == x || j == y,
            };
            if !skip && !h.is_empty() {
                props.insert(h.clone(), cell(row.get(j).unwrap_or("")));
            }
        }
        let mut r = Record::new(None, props);
        r.id = take_id(&mut r.properties);
        match geom {
            Geom::Wkt(w) => match row.get(w).map(str::trim).unwrap_or("") {
                "" => {}
                t => match wkt::parse(t) {
                    Ok(v) => r.geometry = Some(v),
                    Err(e) => r.geometry_error = Some(e.to_string()),
                },
            },
            Geom::LonLat(x, y) => {
                let num = |j: usize| row.get(j).map(str::trim).unwrap_or("").replace(',', ".").parse::<f64>().ok();
                match (num(x), num(y)) {
                    (Some(a), Some(b)) => r.geometry = Some(geojson::Value::Point(vec![a, b])),
                    _ if row.get(x).unwrap_or("").trim().is_empty() && row.get(y).unwrap_or("").trim().is_empty() => {}
                    _ => r.geometry_error = Some("longitude/latitude are not numbers".into()),
                }
            }
        }
        records.push(r);
    }
    Ok(RawLayer { name: name.to_string(), crs: CrsSource::Missing, declared: None, records })
}

#[derive(Clone, Copy)]
enum Geom {
    Wkt(usize),
    LonLat(usize, usize),
}

/// Writes `id`, `wkt` and every attribute as columns (comma-separated, UTF-8 with BOM so spreadsheet programs show Vietnamese correctly).
///
/// # Errors
/// Never in practice (writing to memory).
pub fn write(features: &[OutFeature]) -> Result<Vec<u8>, FormatError> {
    let cols = super::columns(features);
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let err = |e: csv::Error| FormatError::invalid(Format::Csv, e.to_string());
    let mut header = vec!["id".to_string(), "wkt".to_string()];
    header.extend(cols.iter().cloned());
    w.write_record(&header).map_err(err)?;
    for f in features {
        let mut row = vec![f.id.clone().unwrap_or_default(), wkt::to_wkt(&f.geometry)];
        for c in &cols {
            row.push(match f.properties.get(c) {
                None | Some(Json::Null) => String::new(),
                Some(Json::String(s)) => s.clone(),
                Some(v) => v.to_string(),
            });
        }
        w.write_record(&row).map_err(err)?;
    }
    w.into_inner().map_err(|e| FormatError::invalid(Format::Csv, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geojson::Value;
    use serde_json::json;

    #[test]
    fn round_trip() {
        let mut p = Map::new();
        p.insert("name".into(), "Trụ cứu hỏa, số 1".into());
        p.insert("diameter_mm".into(), json!(150));
        p.insert("pressure_bar".into(), json!(2.5));
        p.insert("code".into(), "007".into());
        p.insert("note".into(), Json::Null);
        let fs = vec![OutFeature { id: Some("h1".into()), geometry: Value::Point(vec![106.70098, 10.77689]), properties: p.clone() }];
        let bytes = write(&fs).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let l = read(&bytes, "hydrants", &mut Vec::new()).unwrap();
        assert_eq!(l.records.len(), 1);
        assert_eq!(l.records[0].id.as_deref(), Some("h1"));
        assert_eq!(l.records[0].geometry, Some(fs[0].geometry.clone()));
        assert_eq!(l.records[0].properties, p);
    }

    #[test]
    fn lon_lat_semicolon_and_errors() {
        let text = "Ten;Lat;Lon\nVan 1;10,78;106,7\nVan 2;;\nVan 3;x;1\n";
        let l = read(text.as_bytes(), "v", &mut Vec::new()).unwrap();
        assert_eq!(l.records[0].geometry, Some(Value::Point(vec![106.7, 10.78])));
        assert!(l.records[1].geometry.is_none() && l.records[1].geometry_error.is_none());
        assert!(l.records[2].geometry_error.is_some());
        let t = "geom\tname\nPOINT(1 2)\ta\nPOINT(oops)\tb\n";
        let l = read(t.as_bytes(), "v", &mut Vec::new()).unwrap();
        assert!(l.records[0].geometry.is_some() && l.records[1].geometry_error.is_some());
        assert!(read(b"a,b\n1,2\n", "v", &mut Vec::new()).is_err());
        assert!(read(b"wkt\n\xff\xfe\n", "v", &mut Vec::new()).is_err());
    }
}
