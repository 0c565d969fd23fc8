//! Checks a written feature against its collection: the geometry type and
//! coordinates, the property names, types and code lists. Produces the typed
//! column values the store writes.

use crate::model::{AttrType, CollectionDef, GeometryKind};
use cityos_api::ApiError;
use serde_json::{Map, Value};

/// Properties a client may send back (a GET → PUT round trip) but never set:
/// the network, asset type and flow role come from the collection, the
/// validity bounds from the store's clock. `network`, `asset_type` and
/// `flow_role` are accepted only when they equal the collection's value;
/// `valid_from`/`valid_to` are always ignored.
pub const READ_ONLY: &[&str] = &["network", "asset_type", "flow_role", "valid_from", "valid_to"];

/// A feature's values, checked and typed, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The properties.
    pub props: CheckedProps,
    /// The geometry as stored (no `bbox`, no foreign members).
    pub geometry: geojson::Geometry,
    /// `[minx, miny, maxx, maxy]`.
    pub bbox: [f64; 4],
}

fn invalid(detail: impl Into<String>) -> ApiError {
    ApiError::bad_request("invalid_feature", detail)
}

/// Checks one position: two or three finite numbers, longitude and latitude in range.
fn position(p: &[f64]) -> Result<(f64, f64), ApiError> {
    if p.len() < 2 || p.len() > 3 {
        return Err(invalid(format!("a position has 2 or 3 numbers, not {}", p.len())));
    }
    if p.iter().any(|v| !v.is_finite()) {
        return Err(invalid("a coordinate is not a finite number"));
    }
    let (x, y) = (p[0], p[1]);
    if !(-180.0..=180.0).contains(&x) || !(-90.0..=90.0).contains(&y) {
        return Err(invalid(format!(
            "coordinate ({x}, {y}) is outside longitude -180..180 / latitude -90..90 (geometries are CRS84: longitude first)"
        )));
    }
    Ok((x, y))
}

/// Checks a geometry against the collection's geometry type and returns it
/// cleaned (no `bbox`, no foreign members) with its bounding box.
///
/// # Errors
/// 400 for another geometry type, a bad coordinate, or a line with fewer than
/// two distinct positions.
pub fn geometry(coll: &CollectionDef, g: &geojson::Geometry) -> Result<(geojson::Geometry, [f64; 4]), ApiError> {
    let mut bbox = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    let mut extend = |(x, y): (f64, f64)| {
        bbox[0] = bbox[0].min(x);
        bbox[1] = bbox[1].min(y);
        bbox[2] = bbox[2].max(x);
        bbox[3] = bbox[3].max(y);
    };
    let got = geometry_type_name(&g.value);
    let value = match (&g.value, coll.geometry) {
        (geojson::Value::Point(p), GeometryKind::Point) => {
            extend(position(p)?);
            geojson::Value::Point(p.clone())
        }
        (geojson::Value::LineString(ps), GeometryKind::LineString) => {
            let mut distinct: Vec<(f64, f64)> = Vec::new();
            for p in ps {
                let xy = position(p)?;
                extend(xy);
                if distinct.len() < 2 && !distinct.contains(&xy) {
                    distinct.push(xy);
                }
            }
            if distinct.len() < 2 {
                return Err(invalid("a LineString needs at least two distinct positions"));
            }
            geojson::Value::LineString(ps.clone())
        }
        _ => {
            return Err(invalid(format!("collection {} holds {} geometries, not {got}", coll.id, coll.geometry.as_str())));
        }
    };
    Ok((geojson::Geometry::new(value), bbox))
}

/// The GeoJSON type name of a geometry value.
#[must_use]
pub fn geometry_type_name(v: &geojson::Value) -> &'static str {
    match v {
        geojson::Value::Point(_) => "Point",
        geojson::Value::MultiPoint(_) => "MultiPoint",
        geojson::Value::LineString(_) => "LineString",
        geojson::Value::MultiLineString(_) => "MultiLineString",
        geojson::Value::Polygon(_) => "Polygon",
        geojson::Value::MultiPolygon(_) => "MultiPolygon",
        geojson::Value::GeometryCollection(_) => "GeometryCollection",
    }
}

fn text(name: &str, v: &Value) -> Result<String, ApiError> {
    match v {
        Value::String(s) if s.chars().count() <= 1000 => Ok(s.clone()),
        Value::String(_) => Err(invalid(format!("property {name} is longer than 1000 characters"))),
        _ => Err(invalid(format!("property {name} must be text"))),
    }
}

fn number(name: &str, v: &Value) -> Result<f64, ApiError> {
    v.as_f64().filter(|f| f.is_finite()).ok_or_else(|| invalid(format!("property {name} must be a number")))
}

fn integer(name: &str, v: &Value) -> Result<i64, ApiError> {
    if let Some(i) = v.as_i64() {
        return Ok(i);
    }
    match v.as_f64() {
        #[expect(clippy::cast_possible_truncation, reason = "checked to be a whole number within i64's range")]
        Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(invalid(format!("property {name} must be an integer"))),
    }
}

/// Checks a `YYYY-MM-DD` calendar date.
///
/// # Errors
/// 400 naming the property.
pub fn date(name: &str, s: &str) -> Result<String, ApiError> {
    let ok = s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok();
    if ok {
        Ok(s.to_string())
    } else {
        Err(invalid(format!("property {name} must be a date YYYY-MM-DD, not {s:?}")))
    }
}

/// Checks `properties` against the collection. `null` values count as absent.
///
/// # Errors
/// 400 listing unknown properties (with `unknown` in the error's extension
/// members), or naming the first property of the wrong type or outside its
/// code list, or a read-only property that contradicts the collection.
pub fn properties(coll: &CollectionDef, props: &Map<String, Value>) -> Result<CheckedProps, ApiError> {
    let unknown: Vec<&str> = props.keys().map(String::as_str).filter(|k| coll.attribute(k).is_none()).collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = coll.attributes().map(|a| a.name).collect();
        return Err(invalid(format!(
            "unknown properties for collection {}: {} (known: {})",
            coll.id,
            unknown.join(", "),
            known.join(", ")
        ))
        .with("unknown", unknown.iter().map(|s| Value::String((*s).to_string())).collect::<Vec<_>>()));
    }
    let mut out = CheckedProps::default();
    for (name, v) in props {
        if v.is_null() {
            continue;
        }
        let Some(attr) = coll.attribute(name) else { continue };
        if READ_ONLY.contains(&attr.name) {
            let expected = match attr.name {
                "network" => Some(coll.network.as_str()),
                "asset_type" => Some(coll.asset_type),
                "flow_role" => coll.flow_role.map(|r| match r {
                    crate::model::FlowRole::Source => "source",
                    crate::model::FlowRole::Sink => "sink",
                }),
                _ => continue,
            };
            if v.as_str() != expected {
                return Err(invalid(format!(
                    "property {name} is read-only: collection {} has {name} = {}",
                    coll.id,
                    expected.unwrap_or("(none)")
                )));
            }
            continue;
        }
        if !attr.values.is_empty() {
            let s = text(name, v)?;
            if !attr.values.contains(&s.as_str()) {
                return Err(invalid(format!("property {name} must be one of {}, not {s:?}", attr.values.join(", "))));
            }
        }
        let is_common = crate::model::COMMON_ATTRIBUTES.iter().any(|a| a.name == attr.name);
        let typed = match attr.ty {
            AttrType::Text => Value::String(text(name, v)?),
            AttrType::Number => serde_json::Number::from_f64(number(name, v)?).map_or(Value::Null, Value::Number),
            AttrType::Integer => Value::from(integer(name, v)?),
            AttrType::Date => Value::String(date(name, &text(name, v)?)?),
            AttrType::Timestamp => {
                let s = text(name, v)?;
                chrono::DateTime::parse_from_rfc3339(&s).map_err(|_| invalid(format!("property {name} must be an RFC 3339 timestamp")))?;
                Value::String(s)
            }
        };
        if !is_common {
            out.extra.insert(name.clone(), typed);
            continue;
        }
        match attr.name {
            "name" => out.name = typed.as_str().map(str::to_string),
            "owner_agency" => out.owner_agency = typed.as_str().map(str::to_string),
            "status" => out.status = typed.as_str().map(str::to_string),
            "condition" => out.condition = typed.as_str().map(str::to_string),
            "material" => out.material = typed.as_str().map(str::to_string),
            "diameter_mm" => out.diameter_mm = typed.as_f64(),
            "voltage_kv" => out.voltage_kv = typed.as_f64(),
            "depth_m" => out.depth_m = typed.as_f64(),
            "install_date" => out.install_date = typed.as_str().map(str::to_string),
            _ => {}
        }
    }
    if out.diameter_mm.is_some_and(|d| d <= 0.0) {
        return Err(invalid("property diameter_mm must be positive"));
    }
    if out.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
        out.name = None;
    }
    Ok(out)
}

/// The checked properties of a feature (without its geometry).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckedProps {
    /// `name`.
    pub name: Option<String>,
    /// `owner_agency`.
    pub owner_agency: Option<String>,
    /// `status`.
    pub status: Option<String>,
    /// `condition`.
    pub condition: Option<String>,
    /// `material`.
    pub material: Option<String>,
    /// `diameter_mm`.
    pub diameter_mm: Option<f64>,
    /// `voltage_kv`.
    pub voltage_kv: Option<f64>,
    /// `depth_m`.
    pub depth_m: Option<f64>,
    /// `install_date`.
    pub install_date: Option<String>,
    /// The collection's own attributes.
    pub extra: Map<String, Value>,
}

/// Checks a whole feature input.
///
/// # Errors
/// As [`geometry`] and [`properties`].
pub fn feature(coll: &CollectionDef, g: &geojson::Geometry, props: &Map<String, Value>) -> Result<Checked, ApiError> {
    let props = properties(coll, props)?;
    let (geometry, bbox) = geometry(coll, g)?;
    Ok(Checked { props, geometry, bbox })
}

/// Checks a client-chosen feature id: 1–200 characters, no control
/// characters, no `/` (ids appear in URL paths).
///
/// # Errors
/// 400.
pub fn feature_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.chars().count() > 200 || id.chars().any(|c| c.is_control() || c == '/' || c == '?' || c == '#') {
        return Err(invalid("a feature id has 1 to 200 characters, without control characters, '/', '?' or '#'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn coll(id: &str) -> &'static CollectionDef {
        crate::model::collection(id).expect("collection")
    }

    fn pt(x: f64, y: f64) -> geojson::Geometry {
        geojson::Geometry::new(geojson::Value::Point(vec![x, y]))
    }

    #[test]
    fn geometry_type_must_match_the_collection() {
        let e = geometry(coll("water-pipes"), &pt(106.7, 10.8)).expect_err("point in a link collection");
        assert!(e.detail.unwrap_or_default().contains("LineString"));
        let line = geojson::Geometry::new(geojson::Value::LineString(vec![vec![106.7, 10.8], vec![106.71, 10.81]]));
        let (_, bbox) = geometry(coll("water-pipes"), &line).expect("line");
        assert_eq!(bbox, [106.7, 10.8, 106.71, 10.81]);
        assert!(geometry(coll("water-valves"), &line).is_err());
    }

    #[test]
    fn bad_coordinates_are_refused() {
        assert!(geometry(coll("water-valves"), &pt(10.8, 106.7)).is_err(), "latitude out of range");
        assert!(geometry(coll("water-valves"), &pt(f64::NAN, 10.0)).is_err());
        assert!(geometry(coll("water-valves"), &pt(-181.0, 10.0)).is_err());
        let same = geojson::Geometry::new(geojson::Value::LineString(vec![vec![106.7, 10.8], vec![106.7, 10.8]]));
        assert!(geometry(coll("water-pipes"), &same).is_err(), "one distinct position");
        let short = geojson::Geometry::new(geojson::Value::LineString(vec![vec![106.7]]));
        assert!(geometry(coll("water-pipes"), &short).is_err());
    }

    #[test]
    fn unknown_properties_are_listed() {
        let props = json!({"name": "Van 1", "colour": "red", "size": 3}).as_object().cloned().unwrap_or_default();
        let e = properties(coll("water-valves"), &props).expect_err("unknown");
        assert_eq!(e.status, http::StatusCode::BAD_REQUEST);
        assert_eq!(e.extra.get("unknown"), Some(&json!(["colour", "size"])));
    }

    #[test]
    fn types_and_code_lists_are_checked() {
        let c = coll("water-valves");
        let check = |v: serde_json::Value| properties(c, v.as_object().expect("object"));
        assert!(check(json!({"status": "broken"})).is_err());
        assert!(check(json!({"condition": "good", "status": "functional"})).is_ok());
        assert!(check(json!({"diameter_mm": "wide"})).is_err());
        assert!(check(json!({"install_date": "2024-13-01"})).is_err());
        assert!(check(json!({"install_date": "2024-02-29"})).is_ok());
        assert!(check(json!({"normally_open": 1.5})).is_err());
        let ok = check(json!({"normally_open": 1, "diameter_mm": 300, "name": "Van"})).expect("valid");
        assert_eq!(ok.extra.get("normally_open"), Some(&json!(1)));
        assert_eq!(ok.diameter_mm, Some(300.0));
    }

    #[test]
    fn read_only_properties_must_agree_or_are_ignored() {
        let c = coll("water-treatment-plants");
        let check = |v: serde_json::Value| properties(c, v.as_object().expect("object"));
        assert!(check(json!({"network": "water", "asset_type": "treatment_plant", "flow_role": "source"})).is_ok());
        assert!(check(json!({"network": "electricity"})).is_err());
        assert!(check(json!({"flow_role": "sink"})).is_err());
        assert!(check(json!({"valid_from": "2020-01-01T00:00:00Z"})).is_ok());
    }
}
