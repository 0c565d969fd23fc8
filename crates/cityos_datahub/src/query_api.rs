//! The per-dataset query API and the ingest's routes (`/api/datahub/…`).
//! Each handler's doc line says who may call it; `docs/DATAHUB.md` is the
//! user's guide to the query syntax.
//!
//! Query parameters of `…/data`:
//! - `field=op:value` for any field (URL-encoded name): `eq` (the default
//!   when no known operator prefixes the value), `ne`, `lt`, `lte`, `gt`,
//!   `gte`, `in:a,b,c`, `like:text` (contains; text fields), `null:` and
//!   `notnull:`. Values are parsed by the field's type (dates as
//!   `dd/mm/yyyy` or `yyyy-mm-dd`). A field named like one of the
//!   parameters below is filtered through `filters`.
//! - `filters={"field": value | [values] | null}` (CKAN's form).
//! - `q`: full-text words, diacritics and case ignored, last word as a prefix.
//! - `sort=field asc,field2 desc`, `fields=a,b` (either also as a JSON list
//!   of strings, for names with commas).
//! - `limit` (default 100, at most 10,000 for JSON; CSV and GeoJSON stream
//!   every row unless limited), `offset`.
//! - `aggregate=count,sum:field,avg:field,min:field,max:field` with
//!   `group_by=field,…`; `sort` then names group fields or aggregates.
//! - `bbox=minLon,minLat,maxLon,maxLat` for rows with coordinates.
//! - `format=json|csv|geojson`.

use crate::datastore::{AggregateSpec, DataQuery, FieldFilter, Prepared, Record};
use crate::infer::FieldType;
use crate::ingest::{FieldUpdate, VersionInfo, VersionReport, MAX_UPLOAD_BYTES};
use crate::{DataHub, DataHubError};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, FromRequest as _, Multipart, RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use cityos_api::extract::{Json, Path};
use cityos_api::{ApiError, Caller};
use futures::StreamExt as _;
use http::{header, HeaderValue, StatusCode};
use serde::Serialize;
use sqlx::Row as _;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The datastore's routes: data, versions, fields.
pub fn router(hub: DataHub) -> OpenApiRouter {
    let upload =
        OpenApiRouter::new().routes(routes!(list_versions, upload_version)).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 1024 * 1024));
    OpenApiRouter::new()
        .merge(upload)
        .routes(routes!(resource_data))
        .routes(routes!(dataset_resource_data))
        .routes(routes!(download_version))
        .routes(routes!(list_fields))
        .routes(routes!(update_field))
        .with_state(hub)
}

/// Output formats of the data routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Output {
    Json,
    Csv,
    GeoJson,
}

/// The documented parameters of the data routes (any other parameter is a
/// `field=op:value` filter).
#[derive(Debug, Default, serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(dead_code, reason = "describes the query string for OpenAPI; the handler parses it itself")]
pub struct DataParams {
    /// JSON object: field → value, list of values (any of) or null.
    filters: Option<String>,
    /// Full-text words (diacritics ignored).
    q: Option<String>,
    /// `field asc, field2 desc` (or a JSON list).
    sort: Option<String>,
    /// `a,b` (or a JSON list): fields to return.
    fields: Option<String>,
    /// Rows to return (JSON: default 100, at most 10,000).
    limit: Option<i64>,
    /// Rows to skip.
    offset: Option<i64>,
    /// `count`, `sum:field`, `avg:field`, `min:field`, `max:field` (comma-separated).
    aggregate: Option<String>,
    /// Fields to group the aggregates by.
    group_by: Option<String>,
    /// `minLon,minLat,maxLon,maxLat`.
    bbox: Option<String>,
    /// `json` (default), `csv` (UTF-8 with BOM) or `geojson`.
    format: Option<String>,
}

fn parse_params(raw: Option<&str>) -> Result<(DataQuery, Output), ApiError> {
    let mut q = DataQuery::default();
    let mut output = Output::Json;
    let int = |k: &str, v: &str| {
        v.trim().parse::<i64>().map_err(|_| ApiError::bad_request("invalid_paging", format!("{k} must be a whole number")))
    };
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "filters" => {
                let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&v)
                    .map_err(|e| ApiError::bad_request("invalid_filter", format!("filters must be a JSON object: {e}")))?;
                for (field, value) in &obj {
                    q.filters.push(FieldFilter::from_json(field, value)?);
                }
            }
            "q" => q.q = Some(v.into_owned()),
            "sort" => q.sort = DataQuery::parse_sort(&v)?,
            "fields" => q.fields = crate::datastore::split_list(&v)?,
            "limit" => q.limit = Some(int("limit", &v)?),
            "offset" => q.offset = int("offset", &v)?,
            "aggregate" => {
                q.aggregates = crate::datastore::split_list(&v)?.iter().map(|a| AggregateSpec::parse(a)).collect::<Result<_, _>>()?
            }
            "group_by" => q.group_by = crate::datastore::split_list(&v)?,
            "bbox" => q.bbox = Some(DataQuery::parse_bbox(&v)?),
            "format" => {
                output = match v.as_ref() {
                    "json" => Output::Json,
                    "csv" => Output::Csv,
                    "geojson" => Output::GeoJson,
                    other => return Err(ApiError::bad_request("invalid_format", format!("format `{other}`: use json, csv or geojson"))),
                }
            }
            field => q.filters.push(FieldFilter::from_param(field, &v)),
        }
    }
    Ok((q, output))
}

/// Rows of a resource's current version: filter, search, sort, page,
/// aggregate, as JSON, CSV or GeoJSON (anyone for open data; the owner
/// agency for shared and restricted data; audited when non-public data is read).
#[utoipa::path(get, path = "/api/datahub/resources/{id}/data", tag = "datahub", params(("id" = String, Path), DataParams),
    responses((status = 200, body = crate::datastore::DataPage, description = "rows (JSON), CSV or GeoJSON; with `aggregate`, an AggregatePage"),
        (status = 400), (status = 401), (status = 403), (status = 404)))]
async fn resource_data(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    serve_data(&hub, &caller, &id, raw.as_deref()).await
}

/// The same, addressed through the dataset's name (the resource must belong to it).
#[utoipa::path(get, path = "/api/datahub/datasets/{name}/resources/{id}/data", tag = "datahub",
    params(("name" = String, Path, description = "dataset name or id"), ("id" = String, Path), DataParams),
    responses((status = 200, body = crate::datastore::DataPage), (status = 400), (status = 401), (status = 403), (status = 404)))]
async fn dataset_resource_data(
    State(hub): State<DataHub>,
    caller: Caller,
    Path((name, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let row = sqlx::query("SELECT d.name, d.id FROM resources r JOIN datasets d ON d.id = r.dataset_id WHERE r.id = $1")
        .bind(&id)
        .fetch_optional(hub.db().reader())
        .await
        .map_err(|e| ApiError::from(DataHubError::from(e)))?;
    let belongs = match row {
        Some(r) => r.try_get::<String, _>("name").is_ok_and(|n| n == name) || r.try_get::<String, _>("id").is_ok_and(|i| i == name),
        None => false,
    };
    if !belongs {
        return Err(ApiError::not_found(format!("dataset {name} has no resource {id}")));
    }
    serve_data(&hub, &caller, &id, raw.as_deref()).await
}

async fn serve_data(hub: &DataHub, caller: &Caller, id: &str, raw: Option<&str>) -> Result<Response, ApiError> {
    let (q, output) = parse_params(raw)?;
    if !q.aggregates.is_empty() || !q.group_by.is_empty() {
        let mut q = q;
        if q.aggregates.is_empty() {
            q.aggregates.push(AggregateSpec { function: "count".into(), field: None });
        }
        let page = hub.aggregate(caller, id, &q).await?;
        return match output {
            Output::Json => Ok(Json(page).into_response()),
            Output::Csv => {
                let mut names: Vec<String> = page.group_by.clone();
                names.extend(page.aggregates.iter().cloned());
                let mut buf = Vec::from(&b"\xEF\xBB\xBF"[..]);
                csv_line(&mut buf, names.iter().map(|n| (n.as_str(), &serde_json::Value::Null, true)));
                for g in &page.groups {
                    csv_line(&mut buf, g.0.iter().map(|(_, v)| ("", v, false)));
                }
                Ok(attachment(Body::from(buf), "text/csv; charset=utf-8", &format!("{id}-aggregate.csv")))
            }
            Output::GeoJson => Err(ApiError::bad_request("invalid_format", "aggregates come as json or csv")),
        };
    }
    match output {
        Output::Json => Ok(Json(hub.data_page(caller, id, &q).await?).into_response()),
        Output::Csv | Output::GeoJson => {
            let p = hub.prepare_rows(caller, id, &q, output == Output::GeoJson).await?;
            stream_rows(hub, p, output).await
        }
    }
}

fn attachment(body: Body, content_type: &'static str, filename: &str) -> Response {
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    let safe: String = filename.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '-' }).collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    resp
}

/// One CSV line (RFC 4180). Text that a spreadsheet would run as a formula
/// (`=`, `+`, `-`, `@`, tab, CR first) is prefixed with `'`; numbers are not.
fn csv_line<'a>(buf: &mut Vec<u8>, cells: impl Iterator<Item = (&'a str, &'a serde_json::Value, bool)>) {
    for (i, (name, v, is_header)) in cells.enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        let text = if is_header {
            Some(name.to_string())
        } else {
            match v {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => {
                    buf.extend_from_slice(n.to_string().as_bytes());
                    continue;
                }
                serde_json::Value::Bool(b) => Some(b.to_string()),
                other => Some(other.to_string()),
            }
        };
        let Some(mut text) = text else { continue };
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            text.insert(0, '\'');
        }
        if text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
            buf.push(b'"');
            buf.extend_from_slice(text.replace('"', "\"\"").as_bytes());
            buf.push(b'"');
        } else {
            buf.extend_from_slice(text.as_bytes());
        }
    }
    buf.extend_from_slice(b"\r\n");
}

/// Streams every matching row as CSV (with BOM) or a GeoJSON
/// FeatureCollection, one query read as it goes; the audit record, with the
/// number of rows, is written before the first byte.
async fn stream_rows(hub: &DataHub, p: Prepared, output: Output) -> Result<Response, ApiError> {
    let total = p.total(hub).await?;
    let rows = (total - p.offset).max(0).min(p.limit.unwrap_or(i64::MAX));
    if p.audited() {
        hub.audit_data_access_of(&p, rows).await?;
    }
    let name = format!("{}-v{}", p.current.dataset.name, p.current.version);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let pool = hub.db().reader().clone();
    tokio::spawn(async move {
        let infos = p.field_infos();
        let geometry_field = infos.iter().position(|f| f.ty == FieldType::Geometry);
        let mut buf: Vec<u8> = Vec::with_capacity(128 * 1024);
        match output {
            Output::Csv => {
                buf.extend_from_slice(b"\xEF\xBB\xBF");
                csv_line(&mut buf, infos.iter().map(|f| (f.name.as_str(), &serde_json::Value::Null, true)));
            }
            _ => buf.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":["),
        }
        let mut first = true;
        let mut stream = p.select.query().fetch(&pool);
        while let Some(row) = stream.next().await {
            let row = match row {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "datastore stream failed");
                    let _ = tx.send(Err(std::io::Error::other("read failed"))).await;
                    return;
                }
            };
            let (rec, point) = p.record(&row);
            match output {
                Output::Csv => csv_line(&mut buf, rec.0.iter().map(|(_, v)| ("", v, false))),
                _ => {
                    if !first {
                        buf.push(b',');
                    }
                    feature(&mut buf, rec, point, geometry_field);
                }
            }
            first = false;
            if buf.len() >= 64 * 1024 && tx.send(Ok(Bytes::from(std::mem::take(&mut buf)))).await.is_err() {
                return;
            }
        }
        if output == Output::GeoJson {
            buf.extend_from_slice(b"]}");
        }
        let _ = tx.send(Ok(Bytes::from(buf))).await;
    });
    let body = Body::from_stream(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) }));
    Ok(match output {
        Output::Csv => attachment(body, "text/csv; charset=utf-8", &format!("{name}.csv")),
        _ => attachment(body, "application/geo+json", &format!("{name}.geojson")),
    })
}

/// One GeoJSON feature: the geometry field's value, or the row's point.
fn feature(buf: &mut Vec<u8>, rec: Record, point: Option<(f64, f64)>, geometry_field: Option<usize>) {
    let mut props = Vec::with_capacity(rec.0.len());
    let mut geometry = serde_json::Value::Null;
    let mut id = serde_json::Value::Null;
    for (i, (k, v)) in rec.0.into_iter().enumerate() {
        if Some(i) == geometry_field {
            geometry = v;
        } else if k == crate::datastore::ROW_ID {
            id = v;
        } else {
            props.push((k, v));
        }
    }
    if geometry.is_null() {
        if let Some((lat, lon)) = point {
            geometry = serde_json::json!({"type": "Point", "coordinates": [lon, lat]});
        }
    }
    #[derive(Serialize)]
    struct Feature<'a> {
        #[serde(rename = "type")]
        kind: &'static str,
        id: &'a serde_json::Value,
        geometry: &'a serde_json::Value,
        properties: &'a Record,
    }
    let props = Record(props);
    let f = Feature { kind: "Feature", id: &id, geometry: &geometry, properties: &props };
    if serde_json::to_writer(&mut *buf, &f).is_err() {
        buf.extend_from_slice(b"null");
    }
}

/// A list wrapper.
#[derive(Debug, Serialize, ToSchema)]
pub struct Items<T> {
    /// The items.
    pub items: Vec<T>,
}

/// The multipart form of an upload.
#[derive(Debug, ToSchema)]
#[expect(dead_code, reason = "describes the multipart body for OpenAPI only")]
pub struct VersionForm {
    /// The file: CSV, JSON, GeoJSON or XLSX, at most 2 GiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Upload a new version of a resource (data officers of the owner agency):
/// multipart with a `file` field, or the file as the raw body with its
/// `Content-Type`. Returns the inferred schema and its difference from the
/// previous version; the version serves once fully loaded.
#[utoipa::path(post, path = "/api/datahub/resources/{id}/versions", tag = "datahub", params(("id" = String, Path)),
    request_body(content = VersionForm, content_type = "multipart/form-data"),
    responses((status = 201, body = VersionReport), (status = 401), (status = 403), (status = 404), (status = 409), (status = 413), (status = 415), (status = 422)),
    security(("bearer" = [])))]
async fn upload_version(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
    req: Request,
) -> Result<(StatusCode, Json<VersionReport>), ApiError> {
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        let mut form = Multipart::from_request(req, &()).await.map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
        while let Some(field) = form.next_field().await.map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))? {
            if field.name() == Some("file") {
                let filename = field.file_name().map(str::to_string);
                let declared = field.content_type().map(str::to_string);
                let report = hub.ingest_upload(&caller, &id, Box::pin(field), filename.as_deref(), declared.as_deref()).await?;
                return Ok((StatusCode::CREATED, Json(report)));
            }
        }
        return Err(ApiError::invalid("the form has no `file` field"));
    }
    let filename = req
        .headers()
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').find_map(|p| p.trim().strip_prefix("filename=")))
        .map(|f| f.trim_matches('"').to_string());
    let body = req.into_body().into_data_stream();
    let report = hub.ingest_upload(&caller, &id, body, filename.as_deref(), Some(ct.as_str()).filter(|c| !c.is_empty())).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// A resource's versions with their schemas and diffs, newest first (whoever may read the dataset's metadata).
#[utoipa::path(get, path = "/api/datahub/resources/{id}/versions", tag = "datahub", params(("id" = String, Path)),
    responses((status = 200, body = Items<VersionInfo>), (status = 404)))]
async fn list_versions(State(hub): State<DataHub>, caller: Caller, Path(id): Path<String>) -> Result<Json<Items<VersionInfo>>, ApiError> {
    Ok(Json(Items { items: hub.versions(&caller, &id).await? }))
}

/// The original file of a version (readers of the data who may see every
/// personal field in it; audited for non-public data).
#[utoipa::path(get, path = "/api/datahub/resources/{id}/versions/{version}/download", tag = "datahub",
    params(("id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, description = "the file"), (status = 401), (status = 403), (status = 404)))]
async fn download_version(
    State(hub): State<DataHub>,
    caller: Caller,
    Path((id, version)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let (path, format, filename) = hub.version_file(&caller, &id, version).await?;
    let file = tokio::fs::File::open(&path).await.map_err(|e| ApiError::from(DataHubError::from(e)))?;
    let len = file.metadata().await.map(|m| m.len()).ok();
    let body = Body::from_stream(futures::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt as _;
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<Bytes, std::io::Error>(Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    }));
    let ct = match format.as_str() {
        "JSON" => "application/json",
        "GeoJSON" => "application/geo+json",
        "XLSX" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "text/csv",
    };
    let mut resp = attachment(body, ct, &filename);
    if let Some(len) = len.and_then(|l| HeaderValue::from_str(&l.to_string()).ok()) {
        resp.headers_mut().insert(header::CONTENT_LENGTH, len);
    }
    Ok(resp)
}

/// The fields of a resource's current version with their types, personal
/// flags and descriptions (whoever may read the dataset's metadata).
#[utoipa::path(get, path = "/api/datahub/resources/{id}/fields", tag = "datahub", params(("id" = String, Path)),
    responses((status = 200, body = Items<crate::datastore::Field>), (status = 404)))]
async fn list_fields(
    State(hub): State<DataHub>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Items<crate::datastore::Field>>, ApiError> {
    Ok(Json(Items { items: hub.resource_fields(&caller, &id).await? }))
}

/// Mark a field personal (or not) and describe it (data officers of the
/// owner agency). A changed flag re-indexes the rows in the background.
#[utoipa::path(put, path = "/api/datahub/resources/{id}/fields/{name}", tag = "datahub", params(("id" = String, Path), ("name" = String, Path)),
    request_body = FieldUpdate, responses((status = 200, body = crate::datastore::Field), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn update_field(
    State(hub): State<DataHub>,
    caller: Caller,
    Path((id, name)): Path<(String, String)>,
    Json(upd): Json<FieldUpdate>,
) -> Result<Json<crate::datastore::Field>, ApiError> {
    Ok(Json(hub.update_field(&caller, &id, &name, &upd).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datastore::FilterOp;
    use cityos_store::query::Dir;

    #[test]
    fn parameters_parse_into_a_query() {
        let raw = "T%C3%AAn=like:Ch%E1%BB%A3&S%E1%BB%91%20gi%C6%B0%E1%BB%9Dng=gte:100&Qu%E1%BA%ADn=in:1,5&time=10:30&limit=5&offset=10&sort=T%C3%AAn%20desc,_id&fields=T%C3%AAn,_id&format=csv&bbox=106,10,107,11&aggregate=count,sum:x&group_by=a";
        let (q, out) = parse_params(Some(raw)).unwrap();
        assert_eq!(out, Output::Csv);
        assert_eq!(q.filters[0], FieldFilter { field: "Tên".into(), op: FilterOp::Like, values: vec!["Chợ".into()] });
        assert_eq!(q.filters[1].op, FilterOp::Gte);
        assert_eq!(q.filters[2].values, ["1", "5"]);
        // No known operator: the whole text is the value.
        assert_eq!(q.filters[3], FieldFilter { field: "time".into(), op: FilterOp::Eq, values: vec!["10:30".into()] });
        assert_eq!((q.limit, q.offset), (Some(5), 10));
        assert_eq!(q.sort, vec![("Tên".to_string(), Dir::Desc), ("_id".to_string(), Dir::Asc)]);
        assert_eq!(q.fields, ["Tên", "_id"]);
        assert_eq!(q.bbox, Some([106.0, 10.0, 107.0, 11.0]));
        assert_eq!(q.aggregates.len(), 2);
        assert_eq!(q.group_by, ["a"]);
        let (q, _) = parse_params(Some("filters=%7B%22a%22%3A%5B1%2C2%5D%2C%22b%22%3Anull%7D")).unwrap();
        assert_eq!(q.filters[0].values, ["1", "2"]);
        assert_eq!(q.filters[1].op, FilterOp::Null);
        for bad in ["limit=x", "bbox=1,2,3", "bbox=10,10,5,5", "format=xml", "aggregate=median:x", "filters=[1]", "fields=%5B1"] {
            assert!(parse_params(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        let mut buf = Vec::new();
        let vals = [
            serde_json::json!("a,b"),
            serde_json::json!("=1+1"),
            serde_json::json!(-5),
            serde_json::Value::Null,
            serde_json::json!("say \"hi\""),
        ];
        csv_line(&mut buf, vals.iter().map(|v| ("", v, false)));
        assert_eq!(String::from_utf8(buf).unwrap(), "\"a,b\",'=1+1,-5,,\"say \"\"hi\"\"\"\r\n");
    }

    #[test]
    fn features_take_the_geometry_or_the_point() {
        let mut buf = Vec::new();
        feature(&mut buf, Record(vec![("_id".into(), 1.into()), ("name".into(), "Chợ".into())]), Some((10.5, 106.5)), None);
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["geometry"]["coordinates"], serde_json::json!([106.5, 10.5]));
        assert_eq!(v["id"], 1);
        assert_eq!(v["properties"]["name"], "Chợ");
    }
}
