//! The landing page, conformance declaration, collections and queryables.

use super::params::{self, QueryPairs};
use super::{base_url, html, json_response, link, not_found, Format, OgcPath, OgcResult};
use crate::model::{self, CollectionDef, Kind};
use crate::store::extent::Extent;
use crate::Gis;
use axum::extract::State;
use axum::response::IntoResponse;
use cityos_geo::crs::Crs;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Value};

/// The conformance classes implemented, exactly.
pub(crate) const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/accent-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/optimistic-locking-etags",
];

/// The area the city's networks lie in, CRS84: Ho Chi Minh City since
/// 1 July 2025 (with the former Bình Dương and Bà Rịa – Vũng Tàu, and the
/// Côn Đảo special zone). Advertised as the spatial extent of a collection
/// that holds no feature yet; others advertise their data's own box.
pub(crate) const CITY_EXTENT: [f64; 4] = [106.30, 8.50, 107.70, 11.60];

/// The Gregorian calendar, for temporal extents.
const GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";

/// The language of titles: Vietnamese unless the client prefers English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// Vietnamese.
    Vi,
    /// English.
    En,
}

impl Lang {
    /// From `Accept-Language`: English when its first tag is English.
    pub(crate) fn from_headers(h: &HeaderMap) -> Lang {
        let first = h.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next()).unwrap_or("");
        if first.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::Vi
        }
    }

    /// `vi` or `en`.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// Picks the text in this language.
    pub(crate) fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

fn with_language(mut resp: axum::response::Response, lang: Lang) -> axum::response::Response {
    resp.headers_mut().insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(lang.tag()));
    resp
}

pub(crate) async fn landing(State(gis): State<Gis>, headers: HeaderMap, q: QueryPairs) -> OgcResult {
    let f = params::only_f(&q.0)?;
    let format = Format::negotiate(f.as_deref(), &headers)?;
    let lang = Lang::from_headers(&headers);
    let base = base_url(&gis, &headers);
    let title = lang.pick("CityOS — Hạ tầng kỹ thuật đô thị", "CityOS — urban technical infrastructure");
    let description = lang.pick(
        "Mạng lưới điện, cấp nước, thoát nước, viễn thông, nhiệt và bưu chính của Thành phố Hồ Chí Minh theo chuẩn OGC API – Features (Phần 1–4).",
        "Electricity, water, sewer, telecom, thermal and postal networks of Ho Chi Minh City through OGC API – Features (Parts 1–4).",
    );
    let body = json!({
        "title": title,
        "description": description,
        "links": [
            link(format!("{base}?f=json"), "self", "application/json", lang.pick("Trang này (JSON)", "This document (JSON)")),
            link(format!("{base}?f=html"), "alternate", "text/html", lang.pick("Trang này (HTML)", "This document (HTML)")),
            link(format!("{base}/api"), "service-desc", "application/vnd.oai.openapi+json;version=3.0", lang.pick("Mô tả API (OpenAPI 3.0)", "API definition (OpenAPI 3.0)")),
            link(format!("{base}/api?f=html"), "service-doc", "text/html", lang.pick("Tài liệu API", "API documentation")),
            link(format!("{base}/conformance"), "conformance", "application/json", lang.pick("Các lớp tuân thủ", "Conformance classes")),
            link(format!("{base}/conformance"), "http://www.opengis.net/def/rel/ogc/1.0/conformance", "application/json", lang.pick("Các lớp tuân thủ", "Conformance classes")),
            link(format!("{base}/collections"), "data", "application/json", lang.pick("Các lớp dữ liệu", "Collections")),
            link(format!("{base}/collections"), "http://www.opengis.net/def/rel/ogc/1.0/data", "application/json", lang.pick("Các lớp dữ liệu", "Collections")),
        ],
    });
    Ok(with_language(
        match format {
            Format::Json => json_response(StatusCode::OK, "application/json", &body),
            Format::Html => super::html_response(html::landing(&base, lang, &body)),
        },
        lang,
    ))
}

pub(crate) async fn conformance(State(gis): State<Gis>, headers: HeaderMap, q: QueryPairs) -> OgcResult {
    let f = params::only_f(&q.0)?;
    let format = Format::negotiate(f.as_deref(), &headers)?;
    let lang = Lang::from_headers(&headers);
    let body = json!({ "conformsTo": CONFORMANCE });
    Ok(with_language(
        match format {
            Format::Json => json_response(StatusCode::OK, "application/json", &body),
            Format::Html => super::html_response(html::conformance(&base_url(&gis, &headers), lang, CONFORMANCE)),
        },
        lang,
    ))
}

/// Every CRS the collections are served in, by URI.
pub(crate) fn crs_list() -> Vec<&'static str> {
    Crs::ALL.iter().map(|c| c.uri()).collect()
}

/// A collection's `extent`: the box of its current features and the span of
/// their validity (open at the end while features are current), or the
/// city's box and an open interval when it holds none.
pub(crate) fn extent_json(extent: Option<&Extent>) -> Value {
    let instant = |ms: i64| Value::String(cityos_core::from_millis(ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let (bbox, interval) = match extent {
        Some(e) => (e.bbox, json!([[instant(e.start), e.end.map_or(Value::Null, instant)]])),
        None => (CITY_EXTENT, json!([[Value::Null, Value::Null]])),
    };
    json!({
        "spatial": { "bbox": [bbox], "crs": Crs::Crs84.uri() },
        "temporal": { "interval": interval, "trs": GREGORIAN },
    })
}

/// The JSON description of one collection.
pub(crate) fn collection_json(base: &str, c: &CollectionDef, extent: Option<&Extent>, lang: Lang) -> Value {
    let href = format!("{base}/collections/{}", c.id);
    let (net_vi, net_en) = c.network.titles();
    let kind = match (c.kind, lang) {
        (Kind::Link, Lang::Vi) => "tuyến",
        (Kind::Node, Lang::Vi) => "nút",
        (Kind::Facility, Lang::Vi) => "cơ sở",
        (Kind::Link, Lang::En) => "links",
        (Kind::Node, Lang::En) => "nodes",
        (Kind::Facility, Lang::En) => "facilities",
    };
    let description = match lang {
        Lang::Vi => format!("{} — mạng {} ({kind}), {}", c.title_vi, net_vi.to_lowercase(), c.title_en),
        Lang::En => format!("{} — {net_en} network ({kind})", c.title_en),
    };
    json!({
        "id": c.id,
        "title": lang.pick(c.title_vi, c.title_en),
        "description": description,
        "itemType": "feature",
        "extent": extent_json(extent),
        "crs": crs_list(),
        "storageCrs": Crs::Crs84.uri(),
        "links": [
            link(format!("{href}?f=json"), "self", "application/json", lang.pick("Lớp dữ liệu (JSON)", "Collection (JSON)")),
            link(format!("{href}?f=html"), "alternate", "text/html", lang.pick("Lớp dữ liệu (HTML)", "Collection (HTML)")),
            link(format!("{href}/items?f=json"), "items", "application/geo+json", lang.pick("Các đối tượng (GeoJSON)", "Features (GeoJSON)")),
            link(format!("{href}/items?f=html"), "items", "text/html", lang.pick("Các đối tượng (HTML)", "Features (HTML)")),
            link(format!("{href}/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json", lang.pick("Thuộc tính truy vấn được", "Queryables")),
        ],
    })
}

pub(crate) async fn collections(State(gis): State<Gis>, headers: HeaderMap, q: QueryPairs) -> OgcResult {
    let f = params::only_f(&q.0)?;
    let format = Format::negotiate(f.as_deref(), &headers)?;
    let lang = Lang::from_headers(&headers);
    let base = base_url(&gis, &headers);
    let extents = gis.extents().await?;
    let list: Vec<Value> = model::COLLECTIONS.iter().map(|c| collection_json(&base, c, extents.get(c.id), lang)).collect();
    let body = json!({
        "links": [
            link(format!("{base}/collections?f=json"), "self", "application/json", lang.pick("Các lớp dữ liệu (JSON)", "Collections (JSON)")),
            link(format!("{base}/collections?f=html"), "alternate", "text/html", lang.pick("Các lớp dữ liệu (HTML)", "Collections (HTML)")),
        ],
        "crs": crs_list(),
        "collections": list,
    });
    Ok(with_language(
        match format {
            Format::Json => json_response(StatusCode::OK, "application/json", &body),
            Format::Html => super::html_response(html::collections(&base, lang)),
        },
        lang,
    ))
}

pub(crate) async fn collection(State(gis): State<Gis>, OgcPath(id): OgcPath<String>, headers: HeaderMap, q: QueryPairs) -> OgcResult {
    let f = params::only_f(&q.0)?;
    let c = model::collection(&id).ok_or_else(|| not_found(format!("No collection `{id}`.")))?;
    let format = Format::negotiate(f.as_deref(), &headers)?;
    let lang = Lang::from_headers(&headers);
    let base = base_url(&gis, &headers);
    let extent = gis.extent(c.id).await?;
    let body = collection_json(&base, c, extent.as_ref(), lang);
    Ok(with_language(
        match format {
            Format::Json => json_response(StatusCode::OK, "application/json", &body),
            Format::Html => super::html_response(html::collection(&base, lang, c)),
        },
        lang,
    ))
}

/// The queryables of a collection as a JSON Schema (OGC API – Features
/// Part 3), from the filter compiler's own list (so what is advertised is
/// what compiles), with an absolute `$id` and titles in the caller's language.
pub(crate) fn queryables_json(base: &str, c: &CollectionDef, lang: Lang) -> Value {
    let mut schema = crate::filter::queryables(c);
    schema["$id"] = format!("{base}/collections/{}/queryables", c.id).into();
    if lang == Lang::En {
        swap_title_description(&mut schema);
        if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            props.values_mut().for_each(swap_title_description);
        }
    }
    schema
}

/// English titles live in `description`; English readers get them as `title`.
fn swap_title_description(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        if let (Some(t), Some(d)) = (o.get("title").cloned(), o.get("description").cloned()) {
            o.insert("title".into(), d);
            o.insert("description".into(), t);
        }
    }
}

pub(crate) async fn queryables(State(gis): State<Gis>, OgcPath(id): OgcPath<String>, headers: HeaderMap, q: QueryPairs) -> OgcResult {
    let f = params::only_f(&q.0)?;
    let c = model::collection(&id).ok_or_else(|| not_found(format!("No collection `{id}`.")))?;
    let format = Format::negotiate(f.as_deref(), &headers)?;
    let lang = Lang::from_headers(&headers);
    let base = base_url(&gis, &headers);
    let body = queryables_json(&base, c, lang);
    Ok(with_language(
        match format {
            Format::Json => json_response(StatusCode::OK, "application/schema+json", &body),
            Format::Html => super::html_response(html::queryables(&base, lang, c, &body)),
        },
        lang,
    )
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extent_is_the_data_or_the_city() {
        let e = Extent { bbox: [106.6, 10.7, 106.8, 10.9], start: 1_751_328_000_000, end: None, count: 2 };
        let v = extent_json(Some(&e));
        assert_eq!(v["spatial"]["bbox"], json!([[106.6, 10.7, 106.8, 10.9]]));
        assert_eq!(v["temporal"]["interval"], json!([["2025-07-01T00:00:00Z", null]]));
        let closed = Extent { end: Some(1_751_414_400_000), ..e };
        assert_eq!(extent_json(Some(&closed))["temporal"]["interval"], json!([["2025-07-01T00:00:00Z", "2025-07-02T00:00:00Z"]]));
        let empty = extent_json(None);
        assert_eq!(empty["spatial"]["bbox"], json!([CITY_EXTENT]));
        assert_eq!(empty["temporal"]["interval"], json!([[null, null]]));
        assert_eq!(empty["spatial"]["crs"], Crs::Crs84.uri());
    }
}
