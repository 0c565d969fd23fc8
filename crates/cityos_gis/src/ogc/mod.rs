//! OGC API – Features at `/ogc`: Part 1 (core, GeoJSON, HTML, OpenAPI 3.0),
//! Part 2 (coordinate reference systems by reference), Part 3 (filtering
//! with CQL2 text and JSON, queryables) and Part 4 (create, replace, update,
//! delete with ETag optimistic locking).
//!
//! This is an HTTP layer only: every read and write goes through the
//! [`Gis`] service methods in [`crate::store`], which enforce the owner
//! agency's rights, keep connectivity and history and write the audit log.
//! Errors on `/ogc` paths are OGC exception bodies (`{"code", "description"}`,
//! [`OgcErrors`]), registered with the platform so that errors raised
//! outside these handlers (authentication, body limits) look the same.
//!
//! Architecture invariant: geometries cross this layer in the client's CRS
//! and are reprojected here, so the store only ever sees CRS84.

mod html;
mod items;
mod meta;
mod openapi;
mod params;

use crate::Gis;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, MethodRouter};
use axum::Router;
use cityos_api::{ApiError, ErrorFormat};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::{json, Value};

pub use params::{DEFAULT_LIMIT, MAX_LIMIT};

/// The `/ogc` routes (outside `/api`: own OpenAPI 3.0 document and OGC exception bodies).
pub fn router(gis: Gis) -> axum::Router {
    Router::new()
        .route("/ogc", allow(get(meta::landing), "GET, HEAD"))
        .route("/ogc/", allow(get(meta::landing), "GET, HEAD"))
        .route("/ogc/api", allow(get(openapi::document), "GET, HEAD"))
        .route("/ogc/conformance", allow(get(meta::conformance), "GET, HEAD"))
        .route("/ogc/collections", allow(get(meta::collections), "GET, HEAD"))
        .route("/ogc/collections/{collection}", allow(get(meta::collection), "GET, HEAD"))
        .route("/ogc/collections/{collection}/queryables", allow(get(meta::queryables), "GET, HEAD"))
        .route("/ogc/collections/{collection}/items", allow(get(items::list).post(items::create), "GET, HEAD, POST"))
        .route(
            "/ogc/collections/{collection}/items/{feature}",
            allow(get(items::one).put(items::replace).patch(items::update).delete(items::remove), "GET, HEAD, PUT, PATCH, DELETE"),
        )
        .route("/ogc/{*rest}", any(unknown_path))
        .with_state(gis)
}

/// Whether `path` is under `/ogc` (errors there are OGC exception bodies).
#[must_use]
pub fn is_ogc_path(path: &str) -> bool {
    path == "/ogc" || path.starts_with("/ogc/")
}

/// Answers methods a route does not serve with 405, an `Allow` header and an OGC exception.
fn allow(route: MethodRouter<Gis>, methods: &'static str) -> MethodRouter<Gis> {
    route.fallback(move |method: http::Method| async move {
        let e = ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed", "Method not allowed")
            .detail(format!("{method} is not allowed here; use {methods}."));
        let mut resp = OgcErrors.render(&e);
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static(methods));
        resp
    })
}

async fn unknown_path(uri: http::Uri) -> Response {
    OgcError(ApiError::new(StatusCode::NOT_FOUND, "NotFound", "Not found").detail(format!("No resource at {}.", uri.path())))
        .into_response()
}

// ---------------------------------------------------------------- errors

/// OGC API exceptions (OGC API – Common `exception.yaml`): a JSON object with
/// `code` (the stable CityOS code, or an OGC-style one made here) and
/// `description`, with the status of the error.
#[derive(Debug, Clone, Copy, Default)]
pub struct OgcErrors;

impl ErrorFormat for OgcErrors {
    fn render(&self, err: &ApiError) -> Response {
        let description = err.detail.clone().unwrap_or_else(|| err.title.clone());
        let body = json!({ "code": err.code, "description": description });
        let mut resp = (err.status, axum::Json(body)).into_response();
        resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if err.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"cityos\""));
        }
        resp
    }
}

/// An error answered as an OGC exception.
#[derive(Debug)]
pub(crate) struct OgcError(pub ApiError);

impl From<ApiError> for OgcError {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<crate::GisError> for OgcError {
    fn from(e: crate::GisError) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for OgcError {
    fn into_response(self) -> Response {
        OgcErrors.render(&self.0)
    }
}

/// 400 `InvalidParameterValue`.
pub(crate) fn invalid_parameter(detail: impl Into<String>) -> OgcError {
    OgcError(ApiError::new(StatusCode::BAD_REQUEST, "InvalidParameterValue", "Invalid parameter value").detail(detail))
}

/// 404 `NotFound`.
pub(crate) fn not_found(detail: impl Into<String>) -> OgcError {
    OgcError(ApiError::new(StatusCode::NOT_FOUND, "NotFound", "Not found").detail(detail))
}

pub(crate) type OgcResult = Result<Response, OgcError>;

/// Path parameters; a segment that does not decode (not UTF-8 once
/// percent-decoded) is a 400 OGC exception rather than axum's plain text.
#[derive(Debug)]
pub(crate) struct OgcPath<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S> for OgcPath<T> {
    type Rejection = OgcError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| OgcPath(p.0))
            .map_err(|e| invalid_parameter(format!("Malformed path: {}", e.body_text())))
    }
}

// ---------------------------------------------------------------- shared helpers

/// Response encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// JSON (GeoJSON for features).
    Json,
    /// Server-rendered HTML.
    Html,
}

impl Format {
    /// `f=json|html` wins; otherwise the `Accept` header (HTML only when a
    /// browser asks for it before any JSON type); otherwise JSON.
    pub(crate) fn negotiate(f: Option<&str>, headers: &HeaderMap) -> Result<Format, OgcError> {
        match f {
            Some("json" | "geojson") => return Ok(Format::Json),
            Some("html") => return Ok(Format::Html),
            Some(other) => return Err(invalid_parameter(format!("f={other} is not offered; use f=json or f=html."))),
            None => {}
        }
        let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mut best: Option<(f32, usize, Format)> = None;
        for (i, part) in accept.split(',').enumerate() {
            let mut bits = part.split(';');
            let mime = bits.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = bits.filter_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok())).next().unwrap_or(1.0);
            let fmt = match mime.as_str() {
                "text/html" | "application/xhtml+xml" => Format::Html,
                m if m.ends_with("json") => Format::Json,
                _ => continue,
            };
            if q <= 0.0 {
                continue;
            }
            if best.is_none_or(|(bq, bi, _)| q > bq || (q == bq && i < bi)) {
                best = Some((q, i, fmt));
            }
        }
        Ok(best.map_or(Format::Json, |(_, _, f)| f))
    }
}

/// The absolute base of links: the configured public URL's scheme with the
/// request's `Host` (so links work on whatever address the client used),
/// or the configured public URL when the request names no usable host.
pub(crate) fn base_url(gis: &Gis, headers: &HeaderMap) -> String {
    let configured = gis.public_url();
    let scheme = if configured.starts_with("https://") { "https" } else { "http" };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).filter(|h| {
        !h.is_empty() && h.len() <= 255 && h.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
    });
    match host {
        Some(h) => format!("{scheme}://{h}/ogc"),
        None => format!("{configured}/ogc"),
    }
}

/// A link object.
pub(crate) fn link(href: impl Into<String>, rel: &str, ty: &str, title: &str) -> Value {
    json!({ "href": href.into(), "rel": rel, "type": ty, "title": title })
}

/// The `Link` header (RFC 8288) carrying `links` (objects with `href`, `rel`, `type`), as OGC API
/// – Common recommends for every link of a response and as Part 3's test of a filterable
/// resource reads its queryables link (`HEAD …/items`). Values are quoted; a link whose href or
/// rel cannot sit in a header (a quote, `>` or a control character) is left out.
pub(crate) fn link_header(links: &[Value]) -> Option<HeaderValue> {
    let ok = |s: &str| !s.chars().any(|c| c == '"' || c == '>' || c == '<' || c.is_control());
    let parts: Vec<String> = links
        .iter()
        .filter_map(|l| {
            let (href, rel) = (l["href"].as_str()?, l["rel"].as_str()?);
            if !ok(href) || !ok(rel) {
                return None;
            }
            let ty = l["type"].as_str().filter(|t| ok(t)).map(|t| format!("; type=\"{t}\"")).unwrap_or_default();
            Some(format!("<{href}>; rel=\"{rel}\"{ty}"))
        })
        .collect();
    if parts.is_empty() {
        return None;
    }
    HeaderValue::from_str(&parts.join(", ")).ok()
}

/// A JSON response with a content type.
pub(crate) fn json_response(status: StatusCode, content_type: &'static str, body: &Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// An HTML response.
pub(crate) fn html_response(page: String) -> Response {
    let mut resp = (StatusCode::OK, page).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn link_header_quotes_every_link_and_drops_unsafe_ones() {
        let links = vec![
            link("http://h/ogc/collections/a/items?f=json&bbox=1%2C2%2C3%2C4", "self", "application/geo+json", "x"),
            link(
                "http://h/ogc/collections/a/queryables",
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "q",
            ),
            json!({"href": "http://h/\"bad", "rel": "next"}),
            json!({"href": "http://h/untyped", "rel": "prev"}),
        ];
        let v = link_header(&links).unwrap();
        assert_eq!(
            v.to_str().unwrap(),
            "<http://h/ogc/collections/a/items?f=json&bbox=1%2C2%2C3%2C4>; rel=\"self\"; type=\"application/geo+json\", \
             <http://h/ogc/collections/a/queryables>; rel=\"http://www.opengis.net/def/rel/ogc/1.0/queryables\"; type=\"application/schema+json\", \
             <http://h/untyped>; rel=\"prev\""
        );
        assert!(link_header(&[]).is_none());
    }

    #[test]
    fn ogc_paths() {
        assert!(is_ogc_path("/ogc"));
        assert!(is_ogc_path("/ogc/collections"));
        assert!(!is_ogc_path("/ogcx"));
        assert!(!is_ogc_path("/api/ogc"));
    }

    #[test]
    fn negotiation_prefers_f_then_accept_order_and_quality() {
        assert_eq!(Format::negotiate(Some("html"), &accept("application/json")).unwrap(), Format::Html);
        assert_eq!(Format::negotiate(None, &accept("text/html,application/xhtml+xml,*/*;q=0.8")).unwrap(), Format::Html);
        assert_eq!(Format::negotiate(None, &accept("application/geo+json, text/html;q=0.5")).unwrap(), Format::Json);
        assert_eq!(Format::negotiate(None, &accept("text/html;q=0.2, application/json")).unwrap(), Format::Json);
        assert_eq!(Format::negotiate(None, &HeaderMap::new()).unwrap(), Format::Json);
        assert_eq!(Format::negotiate(None, &accept("*/*")).unwrap(), Format::Json);
        assert!(Format::negotiate(Some("xml"), &HeaderMap::new()).is_err());
    }

    #[test]
    fn exception_body_has_code_and_description() {
        let r = OgcErrors.render(&ApiError::not_found("no such feature"));
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
    }
}
