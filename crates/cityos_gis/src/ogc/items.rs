//! Features: `/collections/{id}/items` (Part 1 query with Part 2 CRS and
//! Part 3 filters; Part 4 POST) and `/collections/{id}/items/{featureId}`
//! (GET; Part 4 PUT, PATCH, DELETE with ETag optimistic locking).

use super::meta::Lang;
use super::params::{self, QueryPairs};
use super::{base_url, html, invalid_parameter, json_response, link, not_found, Format, OgcError, OgcPath, OgcResult};
use crate::model::{self, CollectionDef, Feature, FeatureInput};
use crate::store::ItemQuery;
use crate::Gis;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use cityos_api::{ApiError, Caller};
use cityos_geo::crs::{self, Crs};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};
use std::borrow::Cow;

const GEOJSON: &str = "application/geo+json";

fn collection_or_404(id: &str) -> Result<&'static CollectionDef, OgcError> {
    model::collection(id).ok_or_else(|| not_found(format!("No collection `{id}`.")))
}

/// `<uri>` for the `Content-Crs` header.
fn content_crs(c: Crs) -> HeaderValue {
    HeaderValue::from_str(&format!("<{}>", c.uri()))
        .unwrap_or_else(|_| HeaderValue::from_static("<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"))
}

/// A feature as GeoJSON, serialised straight from the stored values (no `Value` tree).
#[derive(serde::Serialize)]
struct FeatureOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
    geometry: Cow<'a, geojson::Geometry>,
    properties: &'a serde_json::Map<String, Value>,
}

/// A page of features as a GeoJSON FeatureCollection.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct CollectionOut<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    features: Vec<FeatureOut<'a>>,
    links: Vec<Value>,
    time_stamp: String,
    number_returned: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    number_matched: Option<u64>,
}

/// A feature as GeoJSON in `crs`.
fn feature_out(f: &Feature, crs: Crs) -> Result<FeatureOut<'_>, OgcError> {
    // Stored geometries are CRS84: only another CRS needs a reprojected copy.
    let geometry = if crs == Crs::Crs84 {
        Cow::Borrowed(&f.geometry)
    } else {
        let mut g = f.geometry.clone();
        crs::transform_geometry(&mut g, Crs::Crs84, crs).map_err(|e| invalid_parameter(format!("crs: {e}")))?;
        Cow::Owned(g)
    };
    Ok(FeatureOut { kind: "Feature", id: &f.id, geometry, properties: &f.properties })
}

/// A feature as a GeoJSON value in `crs`.
fn feature_json(f: &Feature, crs: Crs) -> Result<Value, OgcError> {
    serde_json::to_value(feature_out(f, crs)?).map_err(|e| OgcError(ApiError::internal(&e)))
}

fn now_rfc3339(gis: &Gis) -> String {
    gis.clock().now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `GET /collections/{id}/items`.
pub(crate) async fn list(State(gis): State<Gis>, OgcPath(id): OgcPath<String>, headers: HeaderMap, q: QueryPairs) -> OgcResult {
    let coll = collection_or_404(&id)?;
    let p = params::items(coll, &q.0)?;
    let format = Format::negotiate(p.f.as_deref(), &headers)?;
    let lang = Lang::from_headers(&headers);
    let query = ItemQuery {
        collection: coll.id.to_string(),
        bbox: p.bbox,
        datetime: p.datetime,
        filter: p.filter.clone(),
        equals: p.equals.clone(),
        limit: p.limit,
        offset: p.offset,
    };
    let page = gis.query(&query).await?;
    let base = base_url(&gis, &headers);
    let items_url = format!("{base}/collections/{}/items", coll.id);
    let returned = i64::try_from(page.features.len()).unwrap_or(i64::MAX);
    let has_next = match page.number_matched {
        Some(m) => i64::try_from(m).unwrap_or(i64::MAX) > p.offset.saturating_add(returned),
        None => returned == p.limit,
    };
    let href = |offset: Option<i64>, f: &str| {
        let mut pairs: Vec<(String, String)> = p.keep.iter().filter(|(k, _)| k != "f").cloned().collect();
        pairs.push(("f".into(), f.into()));
        if let Some(o) = offset.filter(|o| *o > 0) {
            pairs.push(("offset".into(), o.to_string()));
        }
        format!("{items_url}?{}", params::query_string(&pairs))
    };
    let this = Some(p.offset);
    let mut links = vec![
        link(href(this, "json"), "self", GEOJSON, lang.pick("Trang này (GeoJSON)", "This page (GeoJSON)")),
        link(href(this, "html"), "alternate", "text/html", lang.pick("Trang này (HTML)", "This page (HTML)")),
        link(format!("{base}/collections/{}", coll.id), "collection", "application/json", lang.pick(coll.title_vi, coll.title_en)),
        // Part 3: a filterable resource links to its queryables.
        link(
            format!("{base}/collections/{}/queryables", coll.id),
            "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "application/schema+json",
            lang.pick("Thuộc tính truy vấn được", "Queryables"),
        ),
    ];
    if has_next {
        links.push(link(href(Some(p.offset.saturating_add(p.limit)), "json"), "next", GEOJSON, lang.pick("Trang sau", "Next page")));
    }
    if p.offset > 0 {
        links.push(link(href(Some((p.offset - p.limit).max(0)), "json"), "prev", GEOJSON, lang.pick("Trang trước", "Previous page")));
    }
    let link_header = super::link_header(&links);
    let mut resp = match format {
        Format::Json => {
            let features = page.features.iter().map(|f| feature_out(f, p.crs)).collect::<Result<Vec<_>, _>>()?;
            let body = CollectionOut {
                kind: "FeatureCollection",
                features,
                links,
                time_stamp: now_rfc3339(&gis),
                number_returned: returned,
                number_matched: page.number_matched,
            };
            // Sized for a typical feature (≈ 500 bytes), so the buffer rarely regrows.
            let mut bytes = Vec::with_capacity(2048 + 512 * body.features.len());
            serde_json::to_writer(&mut bytes, &body).map_err(|e| OgcError(ApiError::internal(&e)))?;
            let mut resp = (StatusCode::OK, bytes).into_response();
            resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(GEOJSON));
            resp.headers_mut().insert("content-crs", content_crs(p.crs));
            resp
        }
        Format::Html => {
            let next = has_next.then(|| href(Some(p.offset.saturating_add(p.limit)), "html"));
            let prev = (p.offset > 0).then(|| href(Some((p.offset - p.limit).max(0)), "html"));
            let page_html = html::items(&base, lang, coll, &page.features, page.number_matched, p.offset, next.as_deref(), prev.as_deref());
            super::html_response(page_html)
        }
    };
    if let Some(v) = link_header {
        resp.headers_mut().insert(header::LINK, v);
    }
    Ok(resp)
}

/// `GET /collections/{id}/items/{featureId}`.
pub(crate) async fn one(
    State(gis): State<Gis>,
    OgcPath((id, fid)): OgcPath<(String, String)>,
    headers: HeaderMap,
    q: QueryPairs,
) -> OgcResult {
    let coll = collection_or_404(&id)?;
    let mut f = None;
    let mut out_crs = None;
    for (k, v) in &q.0 {
        match k.as_str() {
            "f" if f.is_none() => f = Some(v.clone()),
            "crs" if out_crs.is_none() => out_crs = Some(params::parse_crs(k, v)?),
            "f" | "crs" => return Err(invalid_parameter(format!("Query parameter `{k}` is given more than once."))),
            other => return Err(invalid_parameter(format!("Unknown query parameter `{other}`; this resource takes: f, crs."))),
        }
    }
    let out_crs = out_crs.unwrap_or(Crs::Crs84);
    let format = Format::negotiate(f.as_deref(), &headers)?;
    let lang = Lang::from_headers(&headers);
    let feature = gis.get(coll.id, &fid).await?.ok_or_else(|| not_found(format!("No feature `{fid}` in `{}`.", coll.id)))?;
    let etag = feature.etag();
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
    {
        let mut resp = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&etag) {
            resp.headers_mut().insert(header::ETAG, v);
        }
        return Ok(resp);
    }
    let base = base_url(&gis, &headers);
    let mut resp = match format {
        Format::Json => {
            let mut body = feature_json(&feature, out_crs)?;
            let self_href = format!("{base}/collections/{}/items/{}", coll.id, params::encode(&feature.id));
            if let Some(obj) = body.as_object_mut() {
                obj.insert(
                    "links".into(),
                    json!([
                        link(
                            format!("{self_href}?f=json"),
                            "self",
                            GEOJSON,
                            lang.pick("Đối tượng này (GeoJSON)", "This feature (GeoJSON)")
                        ),
                        link(
                            format!("{self_href}?f=html"),
                            "alternate",
                            "text/html",
                            lang.pick("Đối tượng này (HTML)", "This feature (HTML)")
                        ),
                        link(
                            format!("{base}/collections/{}", coll.id),
                            "collection",
                            "application/json",
                            lang.pick(coll.title_vi, coll.title_en)
                        ),
                    ]),
                );
            }
            let mut resp = json_response(StatusCode::OK, GEOJSON, &body);
            resp.headers_mut().insert("content-crs", content_crs(out_crs));
            resp
        }
        Format::Html => super::html_response(html::item(&base, lang, coll, &feature)),
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    Ok(resp)
}

/// The media type of a request body, lower case, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

fn unsupported_media(expected: &str) -> OgcError {
    OgcError(
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UnsupportedMediaType", "Unsupported media type")
            .detail(format!("Send the body as {expected}.")),
    )
}

fn invalid_body(detail: impl Into<String>) -> OgcError {
    OgcError(ApiError::new(StatusCode::BAD_REQUEST, "InvalidRequestBody", "Invalid request body").detail(detail))
}

/// The CRS of a request body (`Content-Crs: <uri>`), CRS84 when absent.
fn body_crs(headers: &HeaderMap) -> Result<Crs, OgcError> {
    match headers.get("content-crs") {
        None => Ok(Crs::Crs84),
        Some(v) => {
            let s = v.to_str().map_err(|_| invalid_parameter("Content-Crs must be `<uri>`."))?;
            let uri = s.trim().trim_start_matches('<').trim_end_matches('>');
            params::parse_crs("Content-Crs", uri)
        }
    }
}

/// Write requests take no query parameters.
fn no_params(q: &QueryPairs) -> Result<(), OgcError> {
    match q.0.first() {
        Some((k, _)) => Err(invalid_parameter(format!("Unknown query parameter `{k}`; writes take none."))),
        None => Ok(()),
    }
}

/// Reads a GeoJSON feature body into a [`FeatureInput`] in CRS84.
fn feature_input(headers: &HeaderMap, body: &[u8]) -> Result<FeatureInput, OgcError> {
    let mt = media_type(headers);
    if !matches!(mt.as_str(), "application/geo+json" | "application/json") {
        return Err(unsupported_media("application/geo+json"));
    }
    let from = body_crs(headers)?;
    let v: Value = serde_json::from_slice(body).map_err(|e| invalid_body(format!("The body is not JSON: {e}.")))?;
    let Value::Object(mut obj) = v else {
        return Err(invalid_body("The body must be a GeoJSON Feature object."));
    };
    if obj.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(invalid_body("The body must be a GeoJSON Feature (`\"type\": \"Feature\"`)."));
    }
    let id = match obj.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(_) => return Err(invalid_body("`id` must be a string or a number.")),
    };
    let geometry = obj.remove("geometry").ok_or_else(|| invalid_body("The feature has no `geometry`."))?;
    let mut geometry: geojson::Geometry =
        serde_json::from_value(geometry).map_err(|e| invalid_body(format!("`geometry` is not a GeoJSON geometry: {e}.")))?;
    crs::transform_geometry(&mut geometry, from, Crs::Crs84).map_err(|e| invalid_body(format!("geometry: {e}")))?;
    let properties = match obj.remove("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(invalid_body("`properties` must be an object.")),
    };
    Ok(FeatureInput { id, geometry, properties })
}

type BodyBytes = Result<Bytes, axum::extract::rejection::BytesRejection>;

/// The request body, or an OGC exception (413 over the body limit).
fn read_body(b: BodyBytes) -> Result<Bytes, OgcError> {
    b.map_err(|e| {
        let status = e.status();
        let code = if status == StatusCode::PAYLOAD_TOO_LARGE { "PayloadTooLarge" } else { "InvalidRequestBody" };
        OgcError(ApiError::new(status, code, "Invalid request body").detail(e.body_text()))
    })
}

/// `If-Match`, as text: bytes that are not visible ASCII are kept (lossily)
/// so that such a header matches no ETag (412) instead of being ignored.
fn if_match(headers: &HeaderMap) -> Option<String> {
    headers.get(header::IF_MATCH).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// The answer to a write: the feature (CRS84) with its ETag.
fn written(base: &str, coll: &CollectionDef, f: &Feature, status: StatusCode) -> OgcResult {
    let body = feature_json(f, Crs::Crs84)?;
    let mut resp = json_response(status, GEOJSON, &body);
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&f.etag()) {
        h.insert(header::ETAG, v);
    }
    h.insert("content-crs", content_crs(Crs::Crs84));
    if status == StatusCode::CREATED {
        let location = format!("{base}/collections/{}/items/{}", coll.id, params::encode(&f.id));
        if let Ok(v) = HeaderValue::from_str(&location) {
            h.insert(header::LOCATION, v);
        }
    }
    Ok(resp)
}

/// `POST /collections/{id}/items` (Part 4 create).
pub(crate) async fn create(
    State(gis): State<Gis>,
    OgcPath(id): OgcPath<String>,
    caller: Caller,
    headers: HeaderMap,
    q: QueryPairs,
    body: BodyBytes,
) -> OgcResult {
    let coll = collection_or_404(&id)?;
    no_params(&q)?;
    let body = read_body(body)?;
    let input = feature_input(&headers, &body)?;
    let f = gis.create(&caller, coll.id, input).await?;
    written(&base_url(&gis, &headers), coll, &f, StatusCode::CREATED)
}

/// `PUT /collections/{id}/items/{featureId}` (Part 4 replace).
pub(crate) async fn replace(
    State(gis): State<Gis>,
    OgcPath((id, fid)): OgcPath<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    q: QueryPairs,
    body: BodyBytes,
) -> OgcResult {
    let coll = collection_or_404(&id)?;
    no_params(&q)?;
    let body = read_body(body)?;
    let mut input = feature_input(&headers, &body)?;
    if input.id.as_deref().is_some_and(|given| given != fid) {
        return Err(invalid_body(format!("The body's `id` differs from the feature addressed (`{fid}`).")));
    }
    input.id = Some(fid.clone());
    let f = gis.replace(&caller, coll.id, &fid, input, if_match(&headers).as_deref()).await?;
    written(&base_url(&gis, &headers), coll, &f, StatusCode::OK)
}

/// `PATCH /collections/{id}/items/{featureId}` (Part 4 update, RFC 7396 merge patch).
pub(crate) async fn update(
    State(gis): State<Gis>,
    OgcPath((id, fid)): OgcPath<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    q: QueryPairs,
    body: BodyBytes,
) -> OgcResult {
    let coll = collection_or_404(&id)?;
    no_params(&q)?;
    let body = read_body(body)?;
    if !matches!(media_type(&headers).as_str(), "application/merge-patch+json" | "application/json") {
        return Err(unsupported_media("application/merge-patch+json"));
    }
    let mut patch: Value = serde_json::from_slice(&body).map_err(|e| invalid_body(format!("The body is not JSON: {e}.")))?;
    if !patch.is_object() {
        return Err(invalid_body("A merge patch of a feature must be a JSON object."));
    }
    let from = body_crs(&headers)?;
    if let Some(g) = patch.get_mut("geometry").filter(|g| g.is_object()) {
        let mut geometry: geojson::Geometry =
            serde_json::from_value(g.clone()).map_err(|e| invalid_body(format!("`geometry` is not a GeoJSON geometry: {e}.")))?;
        crs::transform_geometry(&mut geometry, from, Crs::Crs84).map_err(|e| invalid_body(format!("geometry: {e}")))?;
        *g = serde_json::to_value(&geometry).map_err(|e| OgcError(ApiError::internal(&e)))?;
    }
    let f = gis.patch(&caller, coll.id, &fid, &patch, if_match(&headers).as_deref()).await?;
    written(&base_url(&gis, &headers), coll, &f, StatusCode::OK)
}

/// `DELETE /collections/{id}/items/{featureId}` (Part 4 delete).
pub(crate) async fn remove(
    State(gis): State<Gis>,
    OgcPath((id, fid)): OgcPath<(String, String)>,
    caller: Caller,
    headers: HeaderMap,
    q: QueryPairs,
) -> Result<Response, OgcError> {
    let coll = collection_or_404(&id)?;
    no_params(&q)?;
    gis.delete(&caller, coll.id, &fid, if_match(&headers).as_deref()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
