//! Import and export of GIS files under `/api/gis` (GeoJSON, GeoPackage,
//! CSV with WKT, zipped Shapefile; readers and writers in
//! [`cityos_geo::formats`]).
//!
//! An import is validated against the target collection of the model
//! ([`crate::model`]) before anything is written: geometry (validity,
//! type, plausibility), CRS (detected, or chosen by the user), attributes
//! (unknown names with suggested mappings, types, code lists). With
//! `dry_run=true` (the default) only the report comes back; with
//! `dry_run=false` and no blocking error, the features go through
//! [`Gis::insert_many`], which checks the caller's rights for the owner
//! agency, validates again, connects, audits and keeps history.
//!
//! An export runs a query ([`Gis::query`], page by page) and returns the
//! file. Exports are public, like OGC API reads; imports need an editing
//! role (`admin`, `agency_admin` or `staff`; the store decides per owner agency).

use crate::model::{self, Attr, AttrType, CollectionDef, FeatureInput, GeometryKind};
use crate::store::ItemQuery;
use crate::Gis;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::response::{IntoResponse, Response};
use cityos_api::extract::{Json, Query};
use cityos_api::{ApiError, Caller, Role};
use cityos_geo::crs::Crs;
use cityos_geo::formats::validate::{self, Problem, Report, Severity};
use cityos_geo::formats::{self, Dataset, Format, FormatError, OutFeature, ReadOptions, WriteOptions};
use geojson::Value as Geom;
use http::{header, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The largest file an import accepts (200 MiB). The server's
/// `max_body_bytes` must allow it for [`is_upload_path`] requests.
pub const MAX_IMPORT_BYTES: usize = formats::MAX_FILE_BYTES;

/// The most features one export may hold; narrow larger ones with `bbox` or `filter`.
pub const MAX_EXPORT_FEATURES: usize = 500_000;

/// Features fetched per query page while exporting.
const EXPORT_PAGE: i64 = 1000;

/// The roles that may import (the store further checks the owner agency).
pub const IMPORT_ROLES: &[Role] = &[Role::Admin, Role::AgencyAdmin, Role::Staff];

/// Whether `path` is the import route (it takes bodies up to [`MAX_IMPORT_BYTES`]).
#[must_use]
pub fn is_upload_path(path: &str) -> bool {
    path == "/api/gis/imports"
}

/// The import and export routes.
pub fn router(gis: Gis) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(export))
        .layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES.saturating_add(1 << 20)))
        .with_state(gis)
}

/// Import parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportParams {
    /// The target collection, e.g. `water-valves`.
    pub collection: String,
    /// The source CRS, overriding what the file declares (`EPSG:9210`, `EPSG:3405`, an OGC URI, `CRS84`).
    pub crs: Option<String>,
    /// `true` (default): only validate; `false`: write when nothing blocks.
    pub dry_run: Option<bool>,
    /// The format (`geojson`, `gpkg`, `csv`, `shp`); detected from magic bytes or the file name when absent.
    pub format: Option<String>,
    /// The file name, for a raw body (detection and layer naming).
    pub filename: Option<String>,
    /// Explicit field mapping `SOURCE:attribute,…` (`SOURCE:` drops a field); a multipart field `mapping` may hold a JSON object instead.
    pub mapping: Option<String>,
    /// Examples of each severity in the report (default 50, at most 1000).
    pub max_examples: Option<usize>,
}

/// The answer to an import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    /// The collection.
    pub collection: String,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// Source field → attribute, as applied (explicit and automatic).
    pub field_mapping: BTreeMap<String, String>,
    /// The validation report (see docs/GIS-IMPORT.md).
    #[schema(value_type = Object)]
    pub report: Report,
    /// Features written.
    pub imported: usize,
    /// Their ids, in file order.
    pub ids: Vec<String>,
}

/// Validate a GIS file against a collection and, with `dry_run=false`,
/// import it (roles `admin`, `agency_admin`, `staff`; the owner agency must
/// be the caller's). The body is the file (raw, or a multipart field
/// `file`), at most 200 MiB; the format is detected from its first bytes.
/// A blocking problem on a real import answers 422 with the report in `report`.
#[utoipa::path(post, path = "/api/gis/imports", tag = "gis", params(ImportParams),
    request_body(content = Vec<u8>, description = "The file: GeoJSON, GeoPackage, CSV with WKT, or a zipped Shapefile (raw or multipart field `file`)",
        content_type = "application/octet-stream"),
    responses((status = 200, body = ImportResult, description = "dry run: the report"), (status = 201, body = ImportResult, description = "imported"),
        (status = 400), (status = 401), (status = 403), (status = 413), (status = 422)),
    security(("bearer" = [])))]
async fn import(State(gis): State<Gis>, caller: Caller, Query(p): Query<ImportParams>, req: Request) -> Result<Response, ApiError> {
    caller.require_any(IMPORT_ROLES)?;
    let coll = model::collection(&p.collection)
        .ok_or_else(|| ApiError::bad_request("unknown_collection", format!("no collection `{}`", p.collection)))?;
    let source_crs = p
        .crs
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Crs::from_uri(s).map_err(|e| ApiError::bad_request("invalid_crs", e.to_string())))
        .transpose()?;
    let (bytes, file_name, form_mapping) = read_body(req, p.filename.clone()).await?;
    let format = match p.format.as_deref() {
        Some(f) => Format::parse(f)
            .ok_or_else(|| ApiError::bad_request("invalid_format", format!("unknown format `{f}`; use geojson, gpkg, csv or shp")))?,
        None => Format::detect(&bytes, file_name.as_deref()).ok_or_else(|| {
            ApiError::bad_request(
                "unknown_format",
                "the file is not GeoJSON, GeoPackage, CSV or a zipped Shapefile; name the format with `format`",
            )
        })?,
    };
    let mut explicit = parse_mapping(p.mapping.as_deref().unwrap_or(""))?;
    if let Some(m) = form_mapping {
        explicit.extend(m);
    }
    for (src, dst) in &explicit {
        if !dst.is_empty() && coll.attribute(dst).is_none() {
            return Err(ApiError::bad_request(
                "invalid_mapping",
                format!("`{src}` is mapped to `{dst}`, which collection {} does not have", coll.id),
            ));
        }
    }
    let ds = formats::read(format, &bytes, &ReadOptions { crs: source_crs, file_name }).await.map_err(format_error)?;
    drop(bytes);
    let max_examples = p.max_examples.unwrap_or(50).min(1000);
    let checked = check(coll, ds, &explicit, max_examples);
    let dry_run = p.dry_run.unwrap_or(true);
    let mut result = ImportResult {
        collection: coll.id.to_string(),
        dry_run,
        field_mapping: checked.mapping,
        report: checked.report,
        imported: 0,
        ids: Vec::new(),
    };
    if dry_run {
        return Ok(Json(result).into_response());
    }
    if result.report.blocking {
        let report = serde_json::to_value(&result).unwrap_or(Value::Null);
        return Err(ApiError::invalid(format!(
            "{} error(s) in {} feature(s): nothing was imported",
            result.report.error_count, result.report.features_with_errors
        ))
        .with("result", report));
    }
    let ids = gis.insert_many(&caller, coll.id, checked.inputs).await?;
    result.imported = ids.len();
    result.ids = ids;
    Ok((StatusCode::CREATED, Json(result)).into_response())
}

fn format_error(e: FormatError) -> ApiError {
    match e {
        FormatError::TooLarge(n) => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "File too large")
            .detail(format!("Files may be at most {n} bytes.")),
        FormatError::Io(io) => ApiError::internal(&io),
        other => ApiError::bad_request("invalid_file", other.to_string()),
    }
}

/// The file, its name and a mapping from a multipart form; the raw body otherwise.
async fn read_body(req: Request, name: Option<String>) -> Result<(Vec<u8>, Option<String>, Option<Vec<(String, String)>>), ApiError> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"));
    let too_large = || {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "File too large")
            .detail(format!("Files may be at most {MAX_IMPORT_BYTES} bytes."))
    };
    if !multipart {
        let body = axum::body::to_bytes(req.into_body(), MAX_IMPORT_BYTES).await.map_err(|_| too_large())?;
        if body.is_empty() {
            return Err(ApiError::bad_request("missing_file", "send the file as the request body or a multipart field `file`"));
        }
        return Ok((body.to_vec(), name, None));
    }
    let bad = |e: axum::extract::multipart::MultipartError| ApiError::bad_request("invalid_multipart", e.body_text());
    let mut form = Multipart::from_request(req, &()).await.map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
    let (mut file, mut file_name, mut mapping) = (None, name, None);
    while let Some(field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "file" => {
                if let Some(n) = field.file_name() {
                    file_name = Some(n.to_string());
                }
                file = Some(field.bytes().await.map_err(|_| too_large())?.to_vec());
            }
            "mapping" => {
                let text = field.text().await.map_err(bad)?;
                let obj: Map<String, Value> = serde_json::from_str(&text)
                    .map_err(|e| ApiError::bad_request("invalid_mapping", format!("`mapping` must be a JSON object of strings: {e}")))?;
                let pairs = obj.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or("").to_string())).collect();
                mapping = Some(pairs);
            }
            _ => {}
        }
    }
    let file =
        file.filter(|f| !f.is_empty()).ok_or_else(|| ApiError::bad_request("missing_file", "the form has no non-empty field `file`"))?;
    Ok((file, file_name, mapping))
}

fn parse_mapping(s: &str) -> Result<Vec<(String, String)>, ApiError> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            pair.split_once(':')
                .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
                .filter(|(a, _)| !a.is_empty())
                .ok_or_else(|| ApiError::bad_request("invalid_mapping", format!("`{pair}` is not SOURCE:attribute")))
        })
        .collect()
}

/// Folds a name for matching: Vietnamese marks stripped, lower case, separators removed.
fn squash(s: &str) -> String {
    cityos_text::fold(s).chars().filter(char::is_ascii_alphanumeric).collect()
}

/// How a source field is treated.
#[derive(Debug, Clone, PartialEq)]
enum FieldPlan {
    /// Written as this attribute.
    Attr(&'static Attr),
    /// Dropped (mapped to nothing by the user).
    Drop,
    /// Set by the collection (`network`, `asset_type`, `flow_role`): ignored.
    ReadOnly,
    /// Unknown: ignored, with a suggestion when one is close.
    Unknown(Option<&'static str>),
}

const READ_ONLY: &[&str] = &["network", "asset_type", "flow_role"];

fn plan_field(coll: &CollectionDef, name: &str, explicit: &[(String, String)]) -> FieldPlan {
    if let Some((_, dst)) = explicit.iter().find(|(s, _)| s == name) {
        return coll.attribute(dst).map_or(FieldPlan::Drop, FieldPlan::Attr);
    }
    let plan = |a: &'static Attr| if READ_ONLY.contains(&a.name) { FieldPlan::ReadOnly } else { FieldPlan::Attr(a) };
    if let Some(a) = coll.attribute(name) {
        return plan(a);
    }
    let key = squash(name);
    if key.is_empty() {
        return FieldPlan::Unknown(None);
    }
    // Same name up to case, marks and separators, or the attribute's Vietnamese or English title.
    if let Some(a) = coll.attributes().find(|a| squash(a.name) == key || squash(a.title_vi) == key || squash(a.title_en) == key) {
        return plan(a);
    }
    // dBASE cuts field names to 10 characters (`install_da`).
    if name.len() == 10 {
        let mut hits = coll.attributes().filter(|a| a.name.len() > 10 && a.name.starts_with(name));
        if let (Some(a), None) = (hits.next(), hits.next()) {
            return plan(a);
        }
    }
    // A close name is only suggested: `DUONG_KINH` → `diameter_mm` (title "Đường kính (mm)").
    let close = coll.attributes().find(|a| {
        [squash(a.name), squash(a.title_vi), squash(a.title_en)]
            .iter()
            .any(|t| key.len() >= 3 && t.len() >= 3 && (t.starts_with(&key) || key.starts_with(t.as_str())))
    });
    FieldPlan::Unknown(close.map(|a| a.name))
}

struct Checked {
    report: Report,
    mapping: BTreeMap<String, String>,
    inputs: Vec<FeatureInput>,
}

fn check(coll: &CollectionDef, ds: Dataset, explicit: &[(String, String)], max_examples: usize) -> Checked {
    let mut report = Report::new(&ds, max_examples);
    let mut plans: BTreeMap<String, FieldPlan> = BTreeMap::new();
    let mut field_counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in &ds.records {
        for k in r.properties.keys() {
            *field_counts.entry(k.clone()).or_default() += 1;
            if !plans.contains_key(k) {
                plans.insert(k.clone(), plan_field(coll, k, explicit));
            }
        }
    }
    let mut mapping = BTreeMap::new();
    let mut targets: BTreeMap<&str, String> = BTreeMap::new();
    for (src, plan) in &plans {
        let n = field_counts.get(src).copied().unwrap_or(0);
        match plan {
            FieldPlan::Attr(a) => {
                if let Some(other) = targets.insert(a.name, src.clone()) {
                    report.push(
                        Problem::new(
                            None,
                            Severity::Error,
                            "duplicate_mapping",
                            format!("Hai trường `{other}` và `{src}` cùng ứng với thuộc tính `{}`: hãy chỉ định ánh xạ.", a.name),
                            format!("Fields `{other}` and `{src}` both map to attribute `{}`: give an explicit mapping.", a.name),
                        )
                        .field(src.clone()),
                    );
                }
                if src != a.name {
                    mapping.insert(src.clone(), a.name.to_string());
                }
            }
            FieldPlan::Drop => {}
            FieldPlan::ReadOnly => report.push(
                Problem::new(
                    None,
                    Severity::Warning,
                    "read_only_attribute",
                    format!("Trường `{src}` do lớp dữ liệu quy định, giá trị trong tệp bị bỏ qua."),
                    format!("Field `{src}` is set by the collection; the file's values are ignored."),
                )
                .field(src.clone()),
            ),
            FieldPlan::Unknown(suggestion) => {
                let mut p = Problem::new(
                    None,
                    Severity::Warning,
                    "unknown_attribute",
                    format!("Trường `{src}` ({n} đối tượng) không có trong lớp {}: bị bỏ qua.", coll.id),
                    format!("Field `{src}` ({n} features) is not an attribute of {}: it is ignored.", coll.id),
                )
                .field(src.clone());
                if let Some(s) = suggestion {
                    p = p.suggest(format!("mapping={src}:{s}"));
                }
                report.push(p);
            }
        }
    }
    let mut inputs = Vec::with_capacity(ds.records.len());
    for (i, rec) in ds.records.into_iter().enumerate() {
        let err = |code: &'static str, vi: String, en: String| Problem::new(Some(i), Severity::Error, code, vi, en);
        let geometry = match (rec.geometry, rec.geometry_error) {
            (_, Some(e)) => {
                report.push(err("invalid_geometry", format!("Không đọc được hình học: {e}"), format!("The geometry cannot be read: {e}")));
                None
            }
            (None, None) => {
                report.push(err("missing_geometry", "Đối tượng không có hình học.".into(), "The feature has no geometry.".into()));
                None
            }
            (Some(g), None) => {
                validate::check_geometry(i, &g, &validate::HO_CHI_MINH_CITY, &mut report);
                match fit_geometry(coll.geometry, g) {
                    Ok(g) => Some(g),
                    Err(found) => {
                        let want = coll.geometry.as_str();
                        report.push(err(
                            "geometry_type_mismatch",
                            format!("Lớp {} cần hình học {want}, tệp có {found}.", coll.id),
                            format!("Collection {} takes {want} geometries, the file has {found}.", coll.id),
                        ));
                        None
                    }
                }
            }
        };
        let mut properties = Map::new();
        for (k, v) in rec.properties {
            let Some(FieldPlan::Attr(a)) = plans.get(&k) else { continue };
            if v.is_null() {
                continue;
            }
            match coerce(a, v) {
                Ok(v) => {
                    properties.insert(a.name.to_string(), v);
                }
                Err((code, vi, en)) => report.push(err(code, vi, en).field(a.name)),
            }
        }
        if let Some(g) = geometry {
            inputs.push(FeatureInput { id: rec.id, geometry: geojson::Geometry::new(g), properties });
        }
    }
    report.finish();
    Checked { report, mapping, inputs }
}

/// The geometry as the collection takes it; a multi-geometry with one
/// member is unwrapped. `Err` names the type found.
fn fit_geometry(want: GeometryKind, g: Geom) -> Result<Geom, &'static str> {
    match (want, g) {
        (GeometryKind::Point, g @ Geom::Point(_)) | (GeometryKind::LineString, g @ Geom::LineString(_)) => Ok(g),
        (GeometryKind::Point, Geom::MultiPoint(mut ps)) if ps.len() == 1 => Ok(Geom::Point(ps.remove(0))),
        (GeometryKind::LineString, Geom::MultiLineString(mut ls)) if ls.len() == 1 => Ok(Geom::LineString(ls.remove(0))),
        (_, g) => Err(match g {
            Geom::Point(_) => "Point",
            Geom::MultiPoint(_) => "MultiPoint",
            Geom::LineString(_) => "LineString",
            Geom::MultiLineString(_) => "MultiLineString",
            Geom::Polygon(_) => "Polygon",
            Geom::MultiPolygon(_) => "MultiPolygon",
            Geom::GeometryCollection(_) => "GeometryCollection",
        }),
    }
}

type CoerceError = (&'static str, String, String);

/// A value as the attribute's type: numbers from text (comma or point
/// decimals), integers from whole numbers and booleans, dates from
/// `YYYY-MM-DD` or `DD/MM/YYYY`, code-list values matched without case or marks.
fn coerce(a: &Attr, v: Value) -> Result<Value, CoerceError> {
    let shown = match &v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let type_error = |what_vi: &str, what_en: &str| {
        (
            "type_error",
            format!("Thuộc tính `{}`: `{shown}` không phải {what_vi}.", a.name),
            format!("Attribute `{}`: `{shown}` is not {what_en}.", a.name),
        )
    };
    let out = match a.ty {
        AttrType::Text => match v {
            Value::String(s) => Value::String(cityos_text::nfc(s.trim())),
            Value::Number(n) => Value::String(n.to_string()),
            Value::Bool(b) => Value::String(b.to_string()),
            _ => return Err(type_error("văn bản", "text")),
        },
        AttrType::Number => match &v {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => v,
            Value::String(s) => match s.trim().replace(',', ".").parse::<f64>() {
                Ok(f) if f.is_finite() => Value::from(f),
                _ => return Err(type_error("một số", "a number")),
            },
            _ => return Err(type_error("một số", "a number")),
        },
        AttrType::Integer => match &v {
            Value::Number(n) if n.is_i64() => v,
            Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) => {
                #[expect(clippy::cast_possible_truncation, reason = "whole number checked to be within i64")]
                let i = n.as_f64().unwrap_or(0.0) as i64;
                Value::from(i)
            }
            Value::Bool(b) => Value::from(i64::from(*b)),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => Value::from(i),
                Err(_) => return Err(type_error("một số nguyên", "an integer")),
            },
            _ => return Err(type_error("một số nguyên", "an integer")),
        },
        AttrType::Date => match v.as_str().map(str::trim).and_then(parse_date) {
            Some(d) => Value::String(d),
            None => return Err(type_error("một ngày (YYYY-MM-DD hoặc DD/MM/YYYY)", "a date (YYYY-MM-DD or DD/MM/YYYY)")),
        },
        AttrType::Timestamp => match v.as_str().map(|s| chrono::DateTime::parse_from_rfc3339(s.trim())) {
            Some(Ok(t)) => Value::String(t.with_timezone(&chrono::Utc).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            _ => return Err(type_error("một thời điểm RFC 3339", "an RFC 3339 timestamp")),
        },
    };
    if a.values.is_empty() {
        return Ok(out);
    }
    let text = out.as_str().unwrap_or("");
    let key = squash(text);
    match a.values.iter().find(|c| **c == text || squash(c) == key) {
        Some(c) => Ok(Value::String((*c).to_string())),
        None => Err((
            "invalid_code",
            format!("Thuộc tính `{}`: `{text}` không thuộc danh mục ({}).", a.name, a.values.join(", ")),
            format!("Attribute `{}`: `{text}` is not one of {}.", a.name, a.values.join(", ")),
        )),
    }
}

fn parse_date(s: &str) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| chrono::NaiveDate::parse_from_str(s, "%d/%m/%Y")).ok()?;
    Some(d.format("%Y-%m-%d").to_string())
}

/// Export parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// The collection, e.g. `water-pipes`.
    pub collection: String,
    /// `geojson` (default), `gpkg`, `csv` or `shp` (a zip).
    pub format: Option<String>,
    /// The output CRS (default CRS84); coordinates are written easting/longitude first.
    pub crs: Option<String>,
    /// `minlon,minlat,maxlon,maxlat` in CRS84.
    pub bbox: Option<String>,
    /// A CQL2 text filter, e.g. `status = 'functional'`.
    pub filter: Option<String>,
}

/// Export a collection, or the features matching `bbox` and `filter`, as a
/// file (anyone, like OGC API reads). At most 500,000 features per export.
#[utoipa::path(get, path = "/api/gis/exports", tag = "gis", params(ExportParams),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 400)))]
async fn export(State(gis): State<Gis>, Query(p): Query<ExportParams>) -> Result<Response, ApiError> {
    let coll = model::collection(&p.collection)
        .ok_or_else(|| ApiError::bad_request("unknown_collection", format!("no collection `{}`", p.collection)))?;
    let format = match p.format.as_deref() {
        None => Format::GeoJson,
        Some(f) => Format::parse(f)
            .ok_or_else(|| ApiError::bad_request("invalid_format", format!("unknown format `{f}`; use geojson, gpkg, csv or shp")))?,
    };
    let crs = match p.crs.as_deref().filter(|s| !s.trim().is_empty()) {
        None => Crs::Crs84,
        Some(s) => Crs::from_uri(s).map_err(|e| ApiError::bad_request("invalid_crs", e.to_string()))?,
    };
    let bbox = p.bbox.as_deref().map(parse_bbox).transpose()?;
    let filter = p
        .filter
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .map(|f| cityos_cql2::parse_text(f).map_err(|e| ApiError::bad_request("invalid_filter", format!("filter: {e}"))))
        .transpose()?;
    let mut features = Vec::new();
    let mut q = ItemQuery { collection: coll.id.to_string(), bbox, filter, limit: EXPORT_PAGE, offset: 0, ..ItemQuery::default() };
    loop {
        let page = gis.query(&q).await?;
        let n = page.features.len();
        features.extend(page.features.into_iter().map(|f| OutFeature {
            id: Some(f.id),
            geometry: f.geometry.value,
            properties: f.properties,
        }));
        if features.len() > MAX_EXPORT_FEATURES {
            return Err(ApiError::bad_request(
                "export_too_large",
                format!("more than {MAX_EXPORT_FEATURES} features match; narrow the export with bbox or filter"),
            ));
        }
        if i64::try_from(n).unwrap_or(0) < EXPORT_PAGE {
            break;
        }
        q.offset += EXPORT_PAGE;
    }
    let written_at = gis.clock().now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let bytes =
        formats::write(format, &features, &WriteOptions { crs, layer: coll.id.to_string(), written_at }).await.map_err(|e| match e {
            FormatError::Crs(c) => ApiError::bad_request("invalid_crs", format!("a feature cannot be expressed in {}: {c}", crs.uri())),
            other => ApiError::internal(&other),
        })?;
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.media_type()));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}.{}\"", coll.id, format.extension())) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if let Ok(v) = HeaderValue::from_str(crs.uri()) {
        h.insert("content-crs", v);
    }
    Ok(resp)
}

fn parse_bbox(s: &str) -> Result<[f64; 4], ApiError> {
    let bad = || ApiError::bad_request("invalid_bbox", "bbox is minlon,minlat,maxlon,maxlat in CRS84");
    let v: Vec<f64> = s.split(',').map(|p| p.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
    match v.as_slice() {
        [a, b, c, d] if v.iter().all(|x| x.is_finite()) && a <= c && b <= d => Ok([*a, *b, *c, *d]),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cityos_geo::formats::{CrsSource, LayerInfo, Record};
    use serde_json::json;

    fn valves() -> &'static CollectionDef {
        model::collection("water-valves").unwrap()
    }

    #[test]
    fn field_plans() {
        let c = valves();
        assert_eq!(plan_field(c, "name", &[]), FieldPlan::Attr(c.attribute("name").unwrap()));
        assert_eq!(plan_field(c, "NAME", &[]), FieldPlan::Attr(c.attribute("name").unwrap()));
        assert_eq!(plan_field(c, "Vật liệu", &[]), FieldPlan::Attr(c.attribute("material").unwrap()));
        assert_eq!(plan_field(c, "VAT_LIEU", &[]), FieldPlan::Attr(c.attribute("material").unwrap()));
        assert_eq!(plan_field(c, "install_da", &[]), FieldPlan::Attr(c.attribute("install_date").unwrap()));
        assert_eq!(plan_field(c, "DUONG_KINH", &[]), FieldPlan::Unknown(Some("diameter_mm")));
        assert_eq!(plan_field(c, "zzz", &[]), FieldPlan::Unknown(None));
        assert_eq!(plan_field(c, "network", &[]), FieldPlan::ReadOnly);
        let m = vec![("DUONG_KINH".to_string(), "diameter_mm".to_string()), ("GHI_CHU".to_string(), String::new())];
        assert_eq!(plan_field(c, "DUONG_KINH", &m), FieldPlan::Attr(c.attribute("diameter_mm").unwrap()));
        assert_eq!(plan_field(c, "GHI_CHU", &m), FieldPlan::Drop);
    }

    #[test]
    fn coercions() {
        let c = valves();
        let a = |n: &str| c.attribute(n).unwrap();
        assert_eq!(coerce(a("diameter_mm"), json!("150,5")).unwrap(), json!(150.5));
        assert!(coerce(a("diameter_mm"), json!("wide")).is_err());
        assert_eq!(coerce(a("normally_open"), json!(true)).unwrap(), json!(1));
        assert_eq!(coerce(a("normally_open"), json!(1.0)).unwrap(), json!(1));
        assert!(coerce(a("normally_open"), json!(1.5)).is_err());
        assert_eq!(coerce(a("install_date"), json!("30/06/2019")).unwrap(), json!("2019-06-30"));
        assert!(coerce(a("install_date"), json!("2019-13-01")).is_err());
        assert_eq!(coerce(a("status"), json!("Functional")).unwrap(), json!("functional"));
        assert_eq!(coerce(a("status"), json!("broken")).unwrap_err().0, "invalid_code");
        assert_eq!(coerce(a("name"), json!(12)).unwrap(), json!("12"));
    }

    #[test]
    fn report_of_a_mixed_file() {
        let mut props = Map::new();
        props.insert("TEN".into(), json!("Van 1"));
        props.insert("DUONG_KINH".into(), json!(200));
        props.insert("status".into(), json!("broken"));
        let recs = vec![
            Record::new(Some(Geom::Point(vec![106.7, 10.78])), props),
            Record::new(Some(Geom::LineString(vec![vec![106.7, 10.78], vec![106.8, 10.8]])), Map::new()),
            Record::new(Some(Geom::MultiPoint(vec![vec![2.35, 48.85]])), Map::new()),
            Record::new(None, Map::new()),
        ];
        let ds = Dataset {
            format: Format::GeoJson,
            layers: vec![LayerInfo {
                name: "x".into(),
                count: 4,
                detected: CrsSource::Missing,
                used: Some("CRS84".into()),
                assumed: false,
            }],
            records: recs,
            notes: vec![],
        };
        let c = check(valves(), ds, &[], 10);
        let r = &c.report;
        assert_eq!(r.features, 4);
        assert_eq!(r.features_with_errors, 3, "{:?}", r.errors);
        assert_eq!(r.counts.get("invalid_code"), Some(&1));
        assert_eq!(r.counts.get("geometry_type_mismatch"), Some(&1));
        assert_eq!(r.counts.get("missing_geometry"), Some(&1));
        assert_eq!(r.counts.get("outside_city"), Some(&1));
        let unknown: Vec<_> = r.warnings.iter().filter(|p| p.code == "unknown_attribute").collect();
        assert_eq!(unknown.len(), 1);
        // `TEN` is the Vietnamese title of `name` ("Tên") without marks: mapped automatically.
        assert_eq!(c.mapping.get("TEN").map(String::as_str), Some("name"));
        assert!(unknown.iter().any(|p| p.suggestion.as_deref() == Some("mapping=DUONG_KINH:diameter_mm")));
        assert!(r.blocking);
        // The single-member MultiPoint becomes a Point.
        assert_eq!(c.inputs.len(), 2);
        assert_eq!(c.inputs[1].geometry.value, Geom::Point(vec![2.35, 48.85]));
    }

    #[test]
    fn mappings_and_bboxes_parse() {
        assert_eq!(parse_mapping("A:b, C:").unwrap(), vec![("A".into(), "b".into()), ("C".into(), String::new())]);
        assert!(parse_mapping("nocolon").is_err());
        assert_eq!(parse_bbox("106,10,107,11").unwrap(), [106.0, 10.0, 107.0, 11.0]);
        assert!(parse_bbox("1,2,3").is_err());
        assert!(parse_bbox("2,2,1,1").is_err());
    }
}
