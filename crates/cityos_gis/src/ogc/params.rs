//! Query parameters of `/ogc`: every parameter is known or refused (400), and
//! every value is checked before the store sees it.

use super::{invalid_parameter, OgcError};
use crate::model::{AttrType, CollectionDef};
use crate::store::Interval;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use cityos_geo::crs::{self, Crs};

/// Items per page when the client does not say.
pub const DEFAULT_LIMIT: i64 = 100;
/// The most items one page holds; larger `limit`s are clamped to it.
pub const MAX_LIMIT: i64 = 10_000;

/// The query string as name/value pairs, in order; a malformed query string
/// is a 400 OGC exception.
#[derive(Debug, Clone, Default)]
pub(crate) struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for QueryPairs {
    type Rejection = OgcError;

    async fn from_request_parts(parts: &mut http::request::Parts, _state: &S) -> Result<Self, Self::Rejection> {
        check_utf8_query(parts.uri.query().unwrap_or(""))?;
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&parts.uri)
            .map(|q| QueryPairs(q.0))
            .map_err(|e| invalid_parameter(format!("Malformed query string: {}", e.body_text())))
    }
}

/// Refuses a query string whose names or values are not UTF-8 once
/// percent-decoded (the form decoder would silently replace such bytes
/// with U+FFFD, so `name=%FF` would search for `�`).
fn check_utf8_query(raw: &str) -> Result<(), OgcError> {
    for part in raw.split('&') {
        let bytes = part.as_bytes();
        let mut decoded = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (b'%', Some(hi), Some(lo)) => {
                    decoded.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                    i += 3;
                }
                (b, _, _) => {
                    decoded.push(b);
                    i += 1;
                }
            }
        }
        if std::str::from_utf8(&decoded).is_err() {
            let shown: String = part.chars().take(60).collect();
            return Err(invalid_parameter(format!("Malformed query string: `{shown}` is not UTF-8 once percent-decoded.")));
        }
    }
    Ok(())
}

/// The parameters of a resource that takes only `f`.
pub(crate) fn only_f(pairs: &[(String, String)]) -> Result<Option<String>, OgcError> {
    let mut f = None;
    for (k, v) in pairs {
        match k.as_str() {
            "f" => set_once(&mut f, k, v.clone())?,
            other => return Err(unknown(other, &["f"])),
        }
    }
    Ok(f)
}

fn unknown(name: &str, known: &[&str]) -> OgcError {
    invalid_parameter(format!("Unknown query parameter `{name}`; this resource takes: {}.", known.join(", ")))
}

fn set_once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), OgcError> {
    if slot.is_some() {
        return Err(invalid_parameter(format!("Query parameter `{name}` is given more than once.")));
    }
    *slot = Some(value);
    Ok(())
}

/// The filter languages accepted by `filter-lang`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FilterLang {
    /// CQL2 text (the default).
    Text,
    /// CQL2 JSON.
    Json,
}

/// The checked parameters of `/items`.
#[derive(Debug, Clone)]
pub(crate) struct ItemsParams {
    /// `f`.
    pub f: Option<String>,
    /// `bbox`, converted to CRS84.
    pub bbox: Option<[f64; 4]>,
    /// `datetime`.
    pub datetime: Option<Interval>,
    /// `limit`, clamped.
    pub limit: i64,
    /// `offset`.
    pub offset: i64,
    /// `crs` of the answer.
    pub crs: Crs,
    /// The parsed filter.
    pub filter: Option<cityos_cql2::Expr>,
    /// Queryables given as plain parameters.
    pub equals: Vec<(String, String)>,
    /// Every parameter as sent but `offset` (for `next`/`prev` links).
    pub keep: Vec<(String, String)>,
}

/// Parameters `/items` takes besides the collection's queryables.
pub(crate) const ITEMS_PARAMS: &[&str] =
    &["f", "bbox", "bbox-crs", "datetime", "limit", "offset", "crs", "filter", "filter-lang", "filter-crs"];

/// Checks the parameters of `/collections/{id}/items`.
pub(crate) fn items(coll: &CollectionDef, pairs: &[(String, String)]) -> Result<ItemsParams, OgcError> {
    let mut f = None;
    let (mut bbox, mut bbox_crs, mut datetime, mut limit, mut offset, mut crs) = (None, None, None, None, None, None);
    let (mut filter, mut filter_lang, mut filter_crs) = (None, None, None);
    let mut equals: Vec<(String, String)> = Vec::new();
    let mut id_eq: Option<String> = None;
    let mut keep = Vec::new();
    for (k, v) in pairs {
        if k != "offset" {
            keep.push((k.clone(), v.clone()));
        }
        match k.as_str() {
            "f" => set_once(&mut f, k, v.clone())?,
            "bbox" => set_once(&mut bbox, k, parse_bbox(v)?)?,
            "bbox-crs" => set_once(&mut bbox_crs, k, parse_crs(k, v)?)?,
            "datetime" => set_once(&mut datetime, k, parse_datetime(v)?)?,
            "limit" => set_once(&mut limit, k, parse_limit(v)?)?,
            "offset" => set_once(&mut offset, k, parse_offset(v)?)?,
            "crs" => set_once(&mut crs, k, parse_crs(k, v)?)?,
            "filter" => set_once(&mut filter, k, v.clone())?,
            "filter-lang" => set_once(&mut filter_lang, k, parse_filter_lang(v)?)?,
            "filter-crs" => set_once(&mut filter_crs, k, parse_crs(k, v)?)?,
            // The feature id is a queryable too (`filter::queryables`); it is not a stored attribute, so it joins the filter.
            "id" if coll.attribute("id").is_none() => set_once(&mut id_eq, k, v.clone())?,
            name => {
                let Some(attr) = coll.attribute(name) else {
                    let mut known: Vec<&str> = ITEMS_PARAMS.to_vec();
                    known.extend(coll.attributes().map(|a| a.name));
                    return Err(unknown(name, &known));
                };
                if equals.iter().any(|(n, _)| n == name) {
                    return Err(invalid_parameter(format!("Query parameter `{name}` is given more than once.")));
                }
                check_value(attr.name, attr.ty, attr.values, v)?;
                equals.push((name.to_string(), v.clone()));
            }
        }
    }
    let bbox = match (bbox, bbox_crs) {
        (Some(b), Some(c)) => Some(crs::bbox_to_crs84(b, c).map_err(|e| invalid_parameter(format!("bbox: {e}")))?),
        (Some(b), None) => Some(check_crs84_bbox(b)?),
        (None, Some(_)) => return Err(invalid_parameter("`bbox-crs` needs a `bbox`.")),
        (None, None) => None,
    };
    if filter.is_none() && (filter_lang.is_some() || filter_crs.is_some()) {
        return Err(invalid_parameter("`filter-lang` and `filter-crs` need a `filter`."));
    }
    let filter = match filter {
        Some(text) => Some(parse_filter(&text, filter_lang.unwrap_or(FilterLang::Text), filter_crs.unwrap_or(Crs::Crs84))?),
        None => None,
    };
    let filter = match id_eq {
        None => filter,
        Some(id) => {
            let is_id = serde_json::json!({ "op": "=", "args": [{ "property": "id" }, id] });
            let both = match &filter {
                Some(f) => serde_json::json!({ "op": "and", "args": [cityos_cql2::to_json(f), is_id] }),
                None => is_id,
            };
            Some(cityos_cql2::parse_json(&both).map_err(|e| invalid_parameter(format!("id: {e}")))?)
        }
    };
    Ok(ItemsParams {
        f,
        bbox,
        datetime,
        limit: limit.unwrap_or(DEFAULT_LIMIT),
        offset: offset.unwrap_or(0),
        crs: crs.unwrap_or(Crs::Crs84),
        filter,
        equals,
        keep,
    })
}

fn parse_bbox(v: &str) -> Result<[f64; 4], OgcError> {
    let nums: Result<Vec<f64>, _> = v.split(',').map(|s| s.trim().parse::<f64>()).collect();
    let nums = nums.map_err(|_| invalid_parameter(format!("bbox `{v}` must be 4 or 6 comma-separated numbers.")))?;
    if nums.iter().any(|n| !n.is_finite()) {
        return Err(invalid_parameter(format!("bbox `{v}` must hold finite numbers.")));
    }
    let b = match nums.as_slice() {
        [a, b, c, d] => [*a, *b, *c, *d],
        // 3D boxes: minx, miny, minz, maxx, maxy, maxz.
        [a, b, _, d, e, _] => [*a, *b, *d, *e],
        _ => return Err(invalid_parameter(format!("bbox `{v}` must be 4 or 6 comma-separated numbers."))),
    };
    if b[1] > b[3] {
        return Err(invalid_parameter(format!("bbox `{v}`: the lower corner's second coordinate is above the upper one's.")));
    }
    if b[0] > b[2] {
        return Err(invalid_parameter(format!(
            "bbox `{v}`: the lower corner's first coordinate is beyond the upper one's (boxes across the antimeridian are not served)."
        )));
    }
    Ok(b)
}

fn check_crs84_bbox(b: [f64; 4]) -> Result<[f64; 4], OgcError> {
    if b[0] < -180.0 || b[2] > 180.0 || b[1] < -90.0 || b[3] > 90.0 {
        return Err(invalid_parameter("bbox is outside CRS84's range (longitude ±180, latitude ±90); send `bbox-crs` for other systems."));
    }
    Ok(b)
}

/// Parses a CRS given as a URI, a safe CURIE or `EPSG:n`, refusing ones not served.
pub(crate) fn parse_crs(name: &str, v: &str) -> Result<Crs, OgcError> {
    let c = Crs::from_uri(v).map_err(|_| {
        let offered: Vec<&str> = Crs::ALL.iter().map(|c| c.uri()).collect();
        invalid_parameter(format!("`{name}`: `{v}` is not served; use one of {}.", offered.join(", ")))
    })?;
    Ok(c)
}

fn parse_limit(v: &str) -> Result<i64, OgcError> {
    let n: i64 = v.trim().parse().map_err(|_| invalid_parameter(format!("limit `{v}` must be a whole number from 1.")))?;
    if n < 1 {
        return Err(invalid_parameter(format!("limit `{v}` must be at least 1.")));
    }
    Ok(n.min(MAX_LIMIT))
}

fn parse_offset(v: &str) -> Result<i64, OgcError> {
    let n: i64 = v.trim().parse().map_err(|_| invalid_parameter(format!("offset `{v}` must be a whole number from 0.")))?;
    if n < 0 {
        return Err(invalid_parameter(format!("offset `{v}` must not be negative.")));
    }
    Ok(n)
}

fn parse_filter_lang(v: &str) -> Result<FilterLang, OgcError> {
    match v {
        "cql2-text" => Ok(FilterLang::Text),
        "cql2-json" => Ok(FilterLang::Json),
        other => Err(invalid_parameter(format!("filter-lang `{other}` is not offered; use cql2-text or cql2-json."))),
    }
}

fn parse_filter(text: &str, lang: FilterLang, filter_crs: Crs) -> Result<cityos_cql2::Expr, OgcError> {
    let bad = |e: &dyn std::fmt::Display| invalid_parameter(format!("filter: {e}"));
    match lang {
        FilterLang::Json => {
            let mut v: serde_json::Value = serde_json::from_str(text).map_err(|e| bad(&e))?;
            if filter_crs != Crs::Crs84 {
                reproject_cql2_json(&mut v, filter_crs).map_err(|e| bad(&e))?;
            }
            cityos_cql2::parse_json(&v).map_err(|e| bad(&e))
        }
        FilterLang::Text => {
            let expr = cityos_cql2::parse_text(text).map_err(|e| bad(&e))?;
            if filter_crs == Crs::Crs84 {
                return Ok(expr);
            }
            // Geometry literals are reprojected in the JSON encoding, which
            // both encodings share, and read back.
            let mut v = cityos_cql2::to_json(&expr);
            reproject_cql2_json(&mut v, filter_crs).map_err(|e| bad(&e))?;
            cityos_cql2::parse_json(&v).map_err(|e| bad(&e))
        }
    }
}

/// Reprojects every geometry literal (GeoJSON objects) and `bbox` literal of
/// a CQL2 JSON expression from `from` to CRS84.
fn reproject_cql2_json(v: &mut serde_json::Value, from: Crs) -> Result<(), crs::CrsError> {
    use serde_json::Value;
    match v {
        Value::Object(map) => {
            if map.contains_key("coordinates") || map.get("type").and_then(Value::as_str) == Some("GeometryCollection") {
                if let Ok(mut g) = serde_json::from_value::<geojson::Geometry>(Value::Object(map.clone())) {
                    crs::transform_geometry(&mut g, from, Crs::Crs84)?;
                    if let Ok(Value::Object(m)) = serde_json::to_value(&g) {
                        *map = m;
                    }
                    return Ok(());
                }
            }
            if let Some(Value::Array(b)) = map.get_mut("bbox") {
                let nums: Vec<f64> = b.iter().filter_map(Value::as_f64).collect();
                let four = match nums.as_slice() {
                    [a, b, c, d] => Some([*a, *b, *c, *d]),
                    [a, b, _, d, e, _] => Some([*a, *b, *d, *e]),
                    _ => None,
                };
                if let Some(four) = four {
                    let out = crs::bbox_to_crs84(four, from)?;
                    *b = out.iter().map(|n| Value::from(*n)).collect();
                }
                return Ok(());
            }
            for child in map.values_mut() {
                reproject_cql2_json(child, from)?;
            }
        }
        Value::Array(items) => {
            for child in items {
                reproject_cql2_json(child, from)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_value(name: &str, ty: AttrType, allowed: &[&str], v: &str) -> Result<(), OgcError> {
    let ok = match ty {
        AttrType::Text => allowed.is_empty() || allowed.contains(&v),
        AttrType::Number => v.trim().parse::<f64>().is_ok_and(f64::is_finite),
        AttrType::Integer => v.trim().parse::<i64>().is_ok(),
        AttrType::Date => NaiveDate::parse_from_str(v, "%Y-%m-%d").is_ok(),
        AttrType::Timestamp => DateTime::parse_from_rfc3339(v).is_ok(),
    };
    if ok {
        return Ok(());
    }
    let expected = match ty {
        AttrType::Text => format!("one of {}", allowed.join(", ")),
        AttrType::Number => "a number".into(),
        AttrType::Integer => "a whole number".into(),
        AttrType::Date => "a date YYYY-MM-DD".into(),
        AttrType::Timestamp => "an RFC 3339 timestamp".into(),
    };
    Err(invalid_parameter(format!("`{name}={v}`: expected {expected}.")))
}

/// Which end of an interval a date stands for.
#[derive(Clone, Copy)]
enum End {
    Start,
    End,
}

fn parse_instant(s: &str, end: End) -> Option<i64> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc).timestamp_millis());
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let t = match end {
        End::Start => NaiveTime::MIN,
        End::End => NaiveTime::from_hms_milli_opt(23, 59, 59, 999)?,
    };
    Some(d.and_time(t).and_utc().timestamp_millis())
}

/// Parses `datetime`: an instant, or an interval `start/end` with `..` or
/// an empty string for an open end. A date stands for its whole (UTC) day.
pub(crate) fn parse_datetime(v: &str) -> Result<Interval, OgcError> {
    let bad = || {
        invalid_parameter(format!(
            "datetime `{v}` must be an RFC 3339 instant or date, or an interval `start/end` with `..` for an open end."
        ))
    };
    match v.split_once('/') {
        None => {
            let start = parse_instant(v.trim(), End::Start).ok_or_else(bad)?;
            let end = parse_instant(v.trim(), End::End).ok_or_else(bad)?;
            Ok(Interval { start: Some(start), end: Some(end) })
        }
        Some((a, b)) => {
            let bound = |s: &str, which: End| -> Result<Option<i64>, OgcError> {
                let s = s.trim();
                if s.is_empty() || s == ".." {
                    Ok(None)
                } else {
                    parse_instant(s, which).map(Some).ok_or_else(bad)
                }
            };
            let (start, end) = (bound(a, End::Start)?, bound(b, End::End)?);
            if start.is_none() && end.is_none() {
                return Err(invalid_parameter(format!("datetime `{v}`: at least one end of the interval must be given.")));
            }
            if let (Some(s), Some(e)) = (start, end) {
                if s > e {
                    return Err(invalid_parameter(format!("datetime `{v}`: the interval ends before it starts.")));
                }
            }
            Ok(Interval { start, end })
        }
    }
}

/// Percent-encodes a query component (everything but RFC 3986 unreserved characters).
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A query string from pairs.
pub(crate) fn query_string(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_must_decode_to_utf8() {
        assert!(check_utf8_query("").is_ok());
        assert!(check_utf8_query("name=Van%20Ch%E1%BB%A3%20L%E1%BB%9Bn&limit=2").is_ok());
        assert!(check_utf8_query("filter=a%2").is_ok());
        assert!(check_utf8_query("name=%FF").is_err());
        assert!(check_utf8_query("%C3=1").is_err());
        assert!(check_utf8_query("a=%E1%BB").is_err());
    }
    use crate::model;

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    fn valves() -> &'static CollectionDef {
        model::collection("water-valves").unwrap()
    }

    #[test]
    fn limit_is_clamped_and_checked() {
        assert_eq!(items(valves(), &pairs(&[])).unwrap().limit, DEFAULT_LIMIT);
        assert_eq!(items(valves(), &pairs(&[("limit", "50000")])).unwrap().limit, MAX_LIMIT);
        assert!(items(valves(), &pairs(&[("limit", "0")])).is_err());
        assert!(items(valves(), &pairs(&[("limit", "ten")])).is_err());
        assert!(items(valves(), &pairs(&[("offset", "-1")])).is_err());
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        assert!(items(valves(), &pairs(&[("colour", "red")])).is_err());
        assert!(items(valves(), &pairs(&[("limit", "1"), ("limit", "2")])).is_err());
        let p = items(valves(), &pairs(&[("status", "functional"), ("diameter_mm", "150")])).unwrap();
        assert_eq!(p.equals.len(), 2);
        let p = items(valves(), &pairs(&[("id", "v-1"), ("filter", "status = 'functional'")])).unwrap();
        let f = cityos_cql2::to_json(&p.filter.unwrap());
        assert_eq!(f["op"], "and", "{f}");
        assert!(items(valves(), &pairs(&[("id", "a"), ("id", "b")])).is_err());
        assert!(items(valves(), &pairs(&[("status", "broken")])).is_err());
        assert!(items(valves(), &pairs(&[("diameter_mm", "wide")])).is_err());
    }

    #[test]
    fn bbox_is_checked() {
        let p = items(valves(), &pairs(&[("bbox", "106.6,10.7,106.8,10.9")])).unwrap();
        assert_eq!(p.bbox, Some([106.6, 10.7, 106.8, 10.9]));
        let p = items(valves(), &pairs(&[("bbox", "106.6,10.7,0,106.8,10.9,5")])).unwrap();
        assert_eq!(p.bbox, Some([106.6, 10.7, 106.8, 10.9]));
        for bad in ["1,2,3", "a,b,c,d", "106.8,10.7,106.6,10.9", "106,11,107,10", "0,0,200,10", "NaN,1,2,3"] {
            assert!(items(valves(), &pairs(&[("bbox", bad)])).is_err(), "{bad}");
        }
        assert!(items(valves(), &pairs(&[("bbox-crs", "EPSG:4326")])).is_err());
        let p = items(valves(), &pairs(&[("bbox", "10.7,106.6,10.9,106.8"), ("bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/4326")]))
            .unwrap();
        assert_eq!(p.bbox, Some([106.6, 10.7, 106.8, 10.9]));
        assert!(items(valves(), &pairs(&[("crs", "EPSG:9999")])).is_err());
    }

    #[test]
    fn datetime_instants_intervals_and_open_ends() {
        let i = parse_datetime("2025-07-01T00:00:00Z").unwrap();
        assert_eq!(i.start, i.end);
        let day = parse_datetime("2025-07-01").unwrap();
        assert_eq!(day.end.unwrap() - day.start.unwrap(), 86_399_999);
        let open = parse_datetime("2025-07-01T00:00:00Z/..").unwrap();
        assert!(open.start.is_some() && open.end.is_none());
        let open = parse_datetime("/2025-07-01T00:00:00+07:00").unwrap();
        assert!(open.start.is_none() && open.end == Some(1_751_302_800_000));
        for bad in ["yesterday", "../..", "2025-07-02/2025-07-01", "2025-13-01"] {
            assert!(parse_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn filter_language_and_crs_need_a_filter() {
        assert!(items(valves(), &pairs(&[("filter-lang", "cql2-text")])).is_err());
        assert!(items(valves(), &pairs(&[("filter", "x"), ("filter-lang", "sql")])).is_err());
    }

    #[test]
    fn cql2_json_literals_are_reprojected() {
        let mut v =
            serde_json::json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Point", "coordinates": [10.8, 106.7]}]});
        reproject_cql2_json(&mut v, Crs::Epsg4326).unwrap();
        assert_eq!(v["args"][1]["coordinates"], serde_json::json!([106.7, 10.8]));
        let mut v = serde_json::json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [10.7, 106.6, 10.9, 106.8]}]});
        reproject_cql2_json(&mut v, Crs::Epsg4326).unwrap();
        assert_eq!(v["args"][1]["bbox"], serde_json::json!([106.6, 10.7, 106.8, 10.9]));
    }

    #[test]
    fn cql2_text_literals_follow_filter_crs() {
        let e = parse_filter("S_INTERSECTS(geometry, POINT(10.8 106.7))", FilterLang::Text, Crs::Epsg4326).unwrap();
        let v = cityos_cql2::to_json(&e);
        assert_eq!(v["args"][1]["coordinates"], serde_json::json!([106.7, 10.8]), "{v}");
        assert!(parse_filter("S_INTERSECTS(geometry, POINT(", FilterLang::Text, Crs::Crs84).is_err());
    }

    #[test]
    fn query_components_are_encoded() {
        assert_eq!(query_string(&pairs(&[("filter", "name = 'Van 1'")])), "filter=name%20%3D%20%27Van%201%27");
    }
}
