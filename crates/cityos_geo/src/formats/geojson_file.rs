//! GeoJSON: a FeatureCollection, a single Feature or a bare geometry.
//! RFC 7946 files are CRS84; the legacy (2008) `crs` member is honoured
//! (`urn:ogc:def:crs:EPSG::3405`, `EPSG:9210`, OGC URIs), with coordinates
//! easting/longitude first. Features whose geometry is malformed keep their
//! attributes and the reason.

use super::{CrsSource, Format, FormatError, OutFeature, RawLayer, Record, WriteOptions};
use crate::crs::Crs;
use serde_json::{json, Map, Value as Json};

/// Reads a GeoJSON document. A FeatureCollection's `features` are
/// converted one at a time as the parser reaches them, so the whole
/// document is never held as a JSON tree.
///
/// # Errors
/// Not JSON, or not a GeoJSON object.
pub fn read(bytes: &[u8], name: &str) -> Result<RawLayer, FormatError> {
    use serde::Deserializer as _;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let bad = |e: serde_json::Error| FormatError::invalid(Format::GeoJson, e.to_string());
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut doc = de.deserialize_map(DocVisitor).map_err(bad)?;
    de.end().map_err(bad)?;
    let (crs, declared) = match doc.rest.get("crs") {
        None | Some(Json::Null) => (CrsSource::FormatDefault { crs: Crs::Crs84.uri().into() }, Some(Crs::Crs84)),
        Some(c) => {
            let named = c.get("properties").and_then(|p| p.get("name")).and_then(Json::as_str);
            match named.map(Crs::from_uri) {
                Some(Ok(crs)) => (CrsSource::declared(crs), Some(crs)),
                _ => (CrsSource::Unrecognised { declared: named.map_or_else(|| c.to_string(), str::to_string) }, None),
            }
        }
    };
    let layer_name = doc.rest.get("name").and_then(Json::as_str).unwrap_or(name).to_string();
    let records = match (doc.rest.get("type").and_then(Json::as_str), doc.features.take()) {
        (Some("FeatureCollection"), Some(fs)) => fs,
        (Some("FeatureCollection"), None) => {
            return Err(FormatError::invalid(Format::GeoJson, "a FeatureCollection needs a `features` array"))
        }
        (Some("Feature"), _) => vec![record(Json::Object(doc.rest))],
        (Some(_), _) => vec![geometry_record(Json::Object(doc.rest))],
        (None, _) => return Err(FormatError::invalid(Format::GeoJson, "not a GeoJSON object (no `type`)")),
    };
    Ok(RawLayer { name: layer_name, crs, declared, records })
}

/// The top-level object: `features` read as records, every other member kept.
struct Doc {
    rest: Map<String, Json>,
    features: Option<Vec<Record>>,
}

struct DocVisitor;

impl<'de> serde::de::Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a GeoJSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Doc, A::Error> {
        let mut doc = Doc { rest: Map::new(), features: None };
        while let Some(k) = m.next_key::<String>()? {
            if k == "features" {
                doc.features = Some(m.next_value::<Features>()?.0);
            } else {
                let v: Json = m.next_value()?;
                doc.rest.insert(k, v);
            }
        }
        Ok(doc)
    }
}

struct Features(Vec<Record>);

impl<'de> serde::Deserialize<'de> for Features {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct SeqVisitor;
        impl<'de> serde::de::Visitor<'de> for SeqVisitor {
            type Value = Features;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an array of features")
            }

            fn visit_seq<S: serde::de::SeqAccess<'de>>(self, mut seq: S) -> Result<Features, S::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
                while let Some(f) = seq.next_element::<Json>()? {
                    out.push(record(f));
                }
                Ok(Features(out))
            }
        }
        d.deserialize_seq(SeqVisitor)
    }
}

fn geometry_record(g: Json) -> Record {
    let mut r = Record::new(None, Map::new());
    match geojson::Geometry::from_json_value(g) {
        Ok(g) => r.geometry = Some(g.value),
        Err(e) => r.geometry_error = Some(e.to_string()),
    }
    r
}

fn record(f: Json) -> Record {
    let Json::Object(mut f) = f else {
        let mut r = Record::new(None, Map::new());
        r.geometry_error = Some("not a Feature".into());
        return r;
    };
    let properties = match f.remove("properties") {
        Some(Json::Object(p)) => p,
        _ => Map::new(),
    };
    let mut r = match f.remove("geometry") {
        None | Some(Json::Null) => Record::new(None, properties),
        Some(g) => {
            let mut r = geometry_record(g);
            r.properties = properties;
            r
        }
    };
    if f.get("type").and_then(Json::as_str) != Some("Feature") {
        r.geometry = None;
        r.geometry_error = Some("not a Feature".into());
    }
    r.id = match f.get("id") {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    r
}

/// Writes a FeatureCollection; a `crs` member names any system but CRS84.
#[must_use]
pub fn write(features: &[OutFeature], opts: &WriteOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(features.len() * 256 + 128);
    out.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"name\":");
    out.extend_from_slice(Json::String(opts.layer.clone()).to_string().as_bytes());
    if opts.crs != Crs::Crs84 {
        let urn = opts.crs.epsg().map_or_else(|| "urn:ogc:def:crs:OGC:1.3:CRS84".to_string(), |c| format!("urn:ogc:def:crs:EPSG::{c}"));
        out.extend_from_slice(b",\"crs\":");
        out.extend_from_slice(json!({"type": "name", "properties": {"name": urn}}).to_string().as_bytes());
    }
    out.extend_from_slice(b",\"features\":[");
    for (i, f) in features.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let mut o = Map::new();
        o.insert("type".into(), "Feature".into());
        if let Some(id) = &f.id {
            o.insert("id".into(), id.clone().into());
        }
        o.insert("geometry".into(), serde_json::to_value(geojson::Geometry::new(f.geometry.clone())).unwrap_or(Json::Null));
        o.insert("properties".into(), Json::Object(f.properties.clone()));
        out.extend_from_slice(Json::Object(o).to_string().as_bytes());
        out.push(b'\n');
    }
    out.extend_from_slice(b"]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use geojson::Value;

    fn opts(crs: Crs) -> WriteOptions {
        WriteOptions { crs, layer: "pipes".into(), written_at: "2026-11-28T00:00:00Z".into() }
    }

    #[test]
    fn round_trip() {
        let mut p = Map::new();
        p.insert("name".into(), "Van Đường Lê Lợi".into());
        p.insert("diameter_mm".into(), json!(300.5));
        let fs = vec![
            OutFeature { id: Some("a1".into()), geometry: Value::Point(vec![106.7, 10.78]), properties: p.clone() },
            OutFeature { id: None, geometry: Value::LineString(vec![vec![106.7, 10.78], vec![106.71, 10.79]]), properties: Map::new() },
        ];
        let bytes = write(&fs, &opts(Crs::Crs84));
        let layer = read(&bytes, "x").unwrap();
        assert_eq!(layer.name, "pipes");
        assert_eq!(layer.declared, Some(Crs::Crs84));
        assert_eq!(layer.records.len(), 2);
        assert_eq!(layer.records[0].id.as_deref(), Some("a1"));
        assert_eq!(layer.records[0].properties, p);
        assert_eq!(layer.records[1].geometry, Some(fs[1].geometry.clone()));
    }

    #[test]
    fn legacy_crs_member_and_bad_features() {
        let doc = br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::3405"}},
          "features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[686000,1192000]},"properties":{}},
                      {"type":"Feature","geometry":{"type":"Point","coordinates":"x"},"properties":{"a":1}}]}"#;
        let l = read(doc, "x").unwrap();
        assert_eq!(l.declared, Some(Crs::Vn2000Utm48n));
        assert!(l.records[1].geometry.is_none() && l.records[1].geometry_error.is_some());
        let unknown = br#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:2154"}},"features":[]}"#;
        assert!(matches!(read(unknown, "x").unwrap().crs, CrsSource::Unrecognised { .. }));
        assert!(read(b"[1,2]", "x").is_err());
        assert!(read(br#"{"type":"FeatureCollection","features":{}}"#, "x").is_err());
        assert!(read(br#"{"type":"FeatureCollection"}"#, "x").is_err());
        assert!(read(br#"{"type":"FeatureCollection","features":[]} trailing"#, "x").is_err());
        let one = read(br#"{"type":"Feature","id":7,"geometry":{"type":"Point","coordinates":[1,2]},"properties":{"a":1}}"#, "x").unwrap();
        assert_eq!(one.records[0].id.as_deref(), Some("7"));
        assert_eq!(one.records[0].geometry, Some(Value::Point(vec![1.0, 2.0])));
        let bare = read(br#"{"type":"LineString","coordinates":[[1,2],[3,4]]}"#, "x").unwrap();
        assert_eq!(bare.records[0].geometry, Some(Value::LineString(vec![vec![1.0, 2.0], vec![3.0, 4.0]])));
        let odd = read(br#"{"type":"FeatureCollection","features":[1, {"type":"Other"}]}"#, "x").unwrap();
        assert!(odd.records.iter().all(|r| r.geometry_error.is_some()));
        assert!(read(b"{nope", "x").is_err());
    }
}
