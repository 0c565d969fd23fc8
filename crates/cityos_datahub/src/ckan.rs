//! The CKAN Action API (<https://docs.ckan.org/en/2.10/api/>) at
//! `/api/action/{action}` and `/api/3/action/{action}`, over the catalogue,
//! so that CKAN clients (`ckanapi`, harvesters, open-data tools) work
//! unchanged.
//!
//! The protocol lives here in one place: parameter parsing (query string,
//! form, JSON body or multipart), the package/resource/organization/group
//! dicts, and the envelope `{help, success, result}` with CKAN's error types
//! (`Not Found Error` 404, `Authorization Error` 403, `Validation Error` 409
//! with field errors, `Search Query Error` 400) — [`CkanErrors`] also renders
//! the errors the platform raises on these paths.
//!
//! How CityOS maps onto CKAN:
//! * **Organizations** are agencies: `id` is the agency code (`SO-YT`),
//!   `name` its lower-case slug (`so-yt`); `owner_org` accepts either.
//! * **Groups** are the fixed themes (`health`, `education`, …).
//! * **Private** datasets are those not `open`: `private: true` on input
//!   makes an open dataset `shared`; the precise level is the extra
//!   `sharing_level`. Anonymous callers see open datasets only, and a
//!   dataset they may not see is `Not Found`.
//! * **Extras** carry CityOS's own fields (`title_en`, `notes_en`,
//!   `sharing_level`, `update_frequency`, `legal_basis`, `spatial` (GeoJSON,
//!   as ckanext-spatial), `spatial_ward`, `temporal_start`, `temporal_end`);
//!   `maintainer`/`maintainer_email` are the focal officer. Other extras and
//!   `author`, `author_email`, `url`, `version` are kept as given.
//! * **Search** (`package_search`): `q` matches word prefixes without
//!   diacritics; `q` and `fq` take `field:value` clauses (`organization`,
//!   `tags`, `res_format`, `license_id`, `groups`, `name`, `id`,
//!   `sharing_level`; `-field:value` negates); sorts by `score`,
//!   `metadata_modified`, `metadata_created`, `title_string`, `name`.
//!   Other Solr syntax is a `Search Query Error`.
//! * **Writes** need an API key (or session) of a data officer or agency
//!   administrator of the owner agency; `GET` is refused for them.
//! * `package_update` without `resources` keeps them; with a list, listed
//!   ids are updated, new ones added as links, missing ones deleted. Without
//!   `owner_org` or any of `private`/`sharing_level`, the current ones stay.

use crate::catalogue::{
    can_write, Clause, ClauseField, Dataset, DatasetFields, FacetField, Resource, ResourceFields, ResourceKind, SearchQuery, SortField,
    KEPT_CORE_FIELDS,
};
use crate::ingest::MAX_UPLOAD_BYTES;
use crate::vocabulary::{self, SharingLevel, LICENCES, THEMES};
use crate::{DataHub, DataHubError};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use chrono::{DateTime, Utc};
use cityos_api::{ApiError, Caller, ErrorFormat};
use cityos_identity::Agency;
use http::{header, HeaderValue, Method, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// The CKAN version whose Action API this follows.
pub const CKAN_VERSION: &str = "2.10.0";

/// The most rows one `package_search` returns (CKAN's `ckan.search.rows_max`).
const ROWS_MAX: i64 = 1000;

/// The CKAN routes.
pub fn router(hub: DataHub) -> Router {
    // The actions that take files stream them into the ingest, under its own size limit.
    let mut uploads = Router::new();
    for prefix in PREFIXES {
        for a in UPLOAD_ACTIONS {
            uploads = uploads.route(&format!("{prefix}/{a}"), any(upload_action));
        }
    }
    let uploads = uploads.layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES.saturating_add(1 << 20)));
    Router::new().route("/api/action/{action}", any(action)).route("/api/3/action/{action}", any(action)).merge(uploads).with_state(hub)
}

const PREFIXES: [&str; 2] = ["/api/action", "/api/3/action"];

/// The actions that take a file (multipart field `upload`).
const UPLOAD_ACTIONS: [&str; 3] = ["resource_create", "resource_update", "resource_patch"];

/// The most bytes of a request body that is not a file upload.
const MAX_PARAMS_BYTES: usize = 10 * 1024 * 1024;

/// Whether `path` is a CKAN action that may carry a file: like the ingest's
/// upload route, it has the ingest's body limit and no request time limit.
#[must_use]
pub fn is_upload_path(path: &str) -> bool {
    PREFIXES.iter().any(|p| path.strip_prefix(p).and_then(|rest| rest.strip_prefix('/')).is_some_and(|a| UPLOAD_ACTIONS.contains(&a)))
}

async fn upload_action(State(hub): State<DataHub>, caller: Caller, req: Request) -> Response {
    let name = req.uri().path().rsplit('/').next().unwrap_or("").to_string();
    action(State(hub), caller, Path(name), req).await
}

/// Whether `path` belongs to the CKAN Action API (for the platform's error format).
#[must_use]
pub fn is_ckan_path(path: &str) -> bool {
    ["/api/action", "/api/3/action"].iter().any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

// ---------------------------------------------------------------- errors

/// CKAN's error envelope: `{help, success: false, error: {__type, message, …field errors}}`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CkanErrors;

/// CKAN's error type and HTTP status for an error.
fn ckan_type(e: &ApiError) -> (StatusCode, &'static str) {
    match e.status {
        StatusCode::NOT_FOUND => (StatusCode::NOT_FOUND, "Not Found Error"),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => (StatusCode::FORBIDDEN, "Authorization Error"),
        StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => (StatusCode::CONFLICT, "Validation Error"),
        StatusCode::BAD_REQUEST if e.code == "search_query_error" => (StatusCode::BAD_REQUEST, "Search Query Error"),
        StatusCode::BAD_REQUEST if matches!(e.code, "validation_error" | "invalid_query") => (StatusCode::CONFLICT, "Validation Error"),
        s if s.is_client_error() => (s, "Bad Request"),
        s => (s, "Internal Server Error"),
    }
}

fn error_body(e: &ApiError, help: &str) -> (StatusCode, Value) {
    let (status, kind) = ckan_type(e);
    let mut error = Map::new();
    error.insert("__type".into(), kind.into());
    if let Some(Value::Object(fields)) = e.extra.get("errors") {
        for (k, v) in fields {
            error.insert(k.clone(), v.clone());
        }
    }
    let message = e.detail.clone().unwrap_or_else(|| e.title.clone());
    if kind != "Validation Error" || error.len() == 1 {
        error.insert("message".into(), message.into());
    }
    (status, json!({ "help": help, "success": false, "error": error }))
}

impl ErrorFormat for CkanErrors {
    fn render(&self, err: &ApiError) -> Response {
        let (status, body) = error_body(err, "/api/3/action/help_show");
        json_response(status, &body)
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, axum::Json(body)).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json;charset=utf-8"));
    resp
}

fn validation(field: &str, message: &str) -> ApiError {
    ApiError::bad_request("validation_error", format!("{field}: {message}")).with("errors", json!({ field: [message] }))
}

fn search_error(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("search_query_error", message)
}

// ---------------------------------------------------------------- parameters

/// An action's parameters: a JSON object, or the strings of a query string or form.
#[derive(Debug, Default)]
struct Params(Map<String, Value>);

impl Params {
    fn from_pairs(raw: &[u8]) -> Self {
        let mut m = Map::new();
        for (k, v) in form_urlencoded::parse(raw).into_owned() {
            match m.get_mut(&k) {
                Some(Value::Array(a)) => a.push(Value::String(v)),
                Some(old) => *old = Value::Array(vec![old.clone(), Value::String(v)]),
                None => {
                    m.insert(k, Value::String(v));
                }
            }
        }
        Self(m)
    }

    /// A text parameter: strings and numbers; absent, null or blank is `None`.
    fn str(&self, k: &str) -> Option<String> {
        match self.0.get(k)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Array(a) => a.last().and_then(|v| v.as_str()).map(str::to_string),
            _ => None,
        }
    }

    fn required(&self, k: &str) -> Result<String, ApiError> {
        self.str(k).ok_or_else(|| validation(k, "Missing value"))
    }

    fn bool(&self, k: &str, default: bool) -> Result<bool, ApiError> {
        match self.0.get(k) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::Number(n)) => Ok(n.as_i64() != Some(0)),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" | "" => Ok(false),
                _ => Err(validation(k, "Value must be one of: true, false")),
            },
            Some(_) => Err(validation(k, "Value must be one of: true, false")),
        }
    }

    fn int(&self, k: &str, default: i64) -> Result<i64, ApiError> {
        match self.0.get(k) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| validation(k, "Invalid integer")),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(default),
            Some(Value::String(s)) => s.trim().parse().map_err(|_| validation(k, "Invalid integer")),
            Some(_) => Err(validation(k, "Invalid integer")),
        }
    }

    /// A list of strings: a JSON array, a JSON array in a string, repeated
    /// parameters, or one string.
    fn list(&self, k: &str) -> Result<Vec<String>, ApiError> {
        let strings = |a: &[Value]| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>();
        match self.0.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) if a.len() == 1 && a[0].as_str().is_some_and(|s| s.trim_start().starts_with('[')) => {
                Self(Map::from_iter([(k.to_string(), a[0].clone())])).list(k)
            }
            Some(Value::Array(a)) => Ok(strings(a)),
            Some(Value::String(s)) if s.trim_start().starts_with('[') => match serde_json::from_str::<Vec<Value>>(s) {
                Ok(a) => Ok(strings(&a)),
                Err(_) => Err(validation(k, "Not a JSON list")),
            },
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]),
            Some(_) => Err(validation(k, "Not a list")),
        }
    }
}

fn multipart_error(e: &axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::bad_request("invalid_multipart", e.body_text())
}

fn is_multipart(req: &Request) -> bool {
    req.method() == Method::POST
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"))
}

async fn read_params(req: Request) -> Result<Params, ApiError> {
    let mut params = Params::from_pairs(req.uri().query().unwrap_or("").as_bytes());
    let ct = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if req.method() != Method::POST {
        return Ok(params);
    }
    if is_multipart(&req) {
        // Files sent to actions that take none are skipped.
        let mut form = Multipart::from_request(req, &()).await.map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
        while let Some(field) = form.next_field().await.map_err(|e| multipart_error(&e))? {
            let name = field.name().unwrap_or("").to_string();
            if field.file_name().is_none() {
                let text = field.text().await.map_err(|e| multipart_error(&e))?;
                params.0.insert(name, Value::String(text));
            }
        }
        return Ok(params);
    }
    let body = axum::body::to_bytes(req.into_body(), MAX_PARAMS_BYTES).await.map_err(|_| {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "Request body too large")
            .detail(format!("Parameters may be at most {MAX_PARAMS_BYTES} bytes; files go in a multipart field named upload."))
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(params);
    }
    if ct.starts_with("application/x-www-form-urlencoded") {
        let form = Params::from_pairs(&body);
        params.0.extend(form.0);
        return Ok(params);
    }
    // CKAN reads any other POST body as JSON (ckanapi sends `application/json`; curl's default is form).
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => {
            params.0.extend(m);
            Ok(params)
        }
        Ok(_) => Err(ApiError::bad_request("invalid_json", "Bad request - JSON Error: Request data JSON decoded to a non-dict")),
        Err(e) => Err(ApiError::bad_request("invalid_json", format!("Bad request - JSON Error: {e}"))),
    }
}

// ---------------------------------------------------------------- dispatch

/// Actions that change something: POST only.
const WRITE_ACTIONS: &[&str] = &[
    "package_create",
    "package_update",
    "package_patch",
    "package_delete",
    "resource_create",
    "resource_update",
    "resource_patch",
    "resource_delete",
];

/// Every action, with the line `help_show` answers.
const ACTIONS: &[(&str, &str)] = &[
    ("package_list", "Return a list of the names of the site's open datasets (limit, offset)."),
    ("package_show", "Return the metadata of a dataset (id: id or name)."),
    ("package_search", "Search datasets (q, fq, fq_list, rows, start, sort, facet.field, facet.limit, include_private)."),
    ("package_create", "Create a dataset (data officers of the owner organization)."),
    ("package_update", "Update a dataset: fields not given are cleared; resources, owner_org and private are kept when absent."),
    ("package_patch", "Change the given fields of a dataset."),
    ("package_delete", "Delete a dataset (id)."),
    ("resource_show", "Return the metadata of a resource (id)."),
    ("resource_create", "Add a resource to a dataset (package_id; url, or a file in the multipart field upload)."),
    ("resource_update", "Update a resource (id): fields not given are cleared; a file in upload makes a new version."),
    ("resource_patch", "Change the given fields of a resource (id); a file in upload makes a new version."),
    ("resource_delete", "Delete a resource (id)."),
    ("organization_list", "Return the organizations (agencies): names, or dicts with all_fields."),
    ("organization_show", "Return an organization (id: code or name; include_datasets)."),
    ("group_list", "Return the groups (the catalogue's themes): names, or dicts with all_fields."),
    ("group_show", "Return a group (id)."),
    ("tag_list", "Return the tags of open datasets (query, all_fields)."),
    ("license_list", "Return the licences datasets may carry."),
    ("datastore_search", "Search the rows of a resource (resource_id, q, filters, fields, sort, limit, offset)."),
    ("status_show", "Return the site's status and version."),
    ("help_show", "Return the help text of an action (name)."),
];

async fn action(State(hub): State<DataHub>, caller: Caller, Path(name): Path<String>, req: Request) -> Response {
    let help = format!("{}/api/3/action/help_show?name={name}", hub.public_url());
    let result = run(&hub, &caller, &name, req).await;
    match result {
        Ok(value) => json_response(StatusCode::OK, &json!({ "help": help, "success": true, "result": value })),
        Err(e) => {
            let (status, body) = error_body(&e, &help);
            json_response(status, &body)
        }
    }
}

async fn run(hub: &DataHub, caller: &Caller, name: &str, req: Request) -> Result<Value, ApiError> {
    if !ACTIONS.iter().any(|(a, _)| *a == name) {
        return Err(ApiError::bad_request("unknown_action", format!("Bad request - Action name not known: {name}")));
    }
    let method = req.method().clone();
    if method != Method::GET && method != Method::POST && method != Method::HEAD {
        return Err(ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "Method not allowed").detail("Use GET or POST."));
    }
    if WRITE_ACTIONS.contains(&name) && method != Method::POST {
        return Err(ApiError::bad_request(
            "use_post",
            "Bad request - JSON Error: Invalid request. Please use POST method for your request",
        ));
    }
    let ctx = Ctx { hub, caller, agencies: hub.agency_map().await? };
    if matches!(name, "resource_create" | "resource_update" | "resource_patch") && is_multipart(&req) {
        return ctx.resource_multipart(name, req).await;
    }
    let p = read_params(req).await?;
    match name {
        "package_list" => ctx.package_list(&p).await,
        "package_show" => ctx.package_show(&p).await,
        "package_search" => ctx.package_search(&p).await,
        "package_create" => ctx.package_write(&p, None).await,
        "package_update" => {
            let id = p.str("id").or_else(|| p.str("name")).ok_or_else(|| validation("id", "Missing value"))?;
            ctx.package_write(&p, Some((id, false))).await
        }
        "package_patch" => {
            let id = p.str("id").or_else(|| p.str("name")).ok_or_else(|| validation("id", "Missing value"))?;
            ctx.package_write(&p, Some((id, true))).await
        }
        "package_delete" => {
            let id = p.str("id").or_else(|| p.str("name")).ok_or_else(|| validation("id", "Missing value"))?;
            hub.delete_dataset(caller, &id).await?;
            Ok(Value::Null)
        }
        "resource_show" => {
            let (r, _) = hub.resource(caller, &p.required("id")?).await?;
            Ok(resource_dict(&r))
        }
        "resource_create" => {
            let (id, _) = ctx.resource_create(&p, false).await?;
            ctx.resource_show(&id).await
        }
        "resource_update" | "resource_patch" => {
            let id = ctx.resource_change(&p, name == "resource_patch").await?;
            ctx.resource_show(&id).await
        }
        "resource_delete" => {
            hub.delete_resource(caller, &p.required("id")?).await?;
            Ok(Value::Null)
        }
        "organization_list" => ctx.organization_list(&p).await,
        "organization_show" => ctx.organization_show(&p).await,
        "group_list" => ctx.group_list(&p).await,
        "group_show" => ctx.group_show(&p).await,
        "tag_list" => {
            let tags = hub.open_tags(p.str("query").or_else(|| p.str("q")).as_deref()).await?;
            if p.bool("all_fields", false)? {
                Ok(tags.into_iter().map(|t| json!({ "id": t, "name": t, "display_name": t, "vocabulary_id": null })).collect())
            } else {
                Ok(tags.into_iter().map(Value::String).collect())
            }
        }
        "license_list" => Ok(LICENCES.iter().map(licence_dict).collect()),
        "datastore_search" => ctx.datastore_search(&p).await,
        "status_show" => Ok(json!({
            "site_title": "CityOS — Dữ liệu mở TP. Hồ Chí Minh",
            "site_description": "Danh mục dữ liệu của các cơ quan TP. Hồ Chí Minh / Ho Chi Minh City's data catalogue",
            "site_url": hub.public_url(),
            "ckan_version": CKAN_VERSION,
            "cityos_version": env!("CARGO_PKG_VERSION"),
            "error_emails_to": null,
            "locale_default": "vi",
            "extensions": ["datastore", "dcat"],
        })),
        "help_show" => {
            let n = p.required("name")?;
            ACTIONS
                .iter()
                .find(|(a, _)| *a == n)
                .map(|(_, doc)| Value::String((*doc).to_string()))
                .ok_or_else(|| ApiError::not_found(format!("Action function not found: {n}")))
        }
        _ => Err(ApiError::bad_request("unknown_action", format!("Bad request - Action name not known: {name}"))),
    }
}

struct Ctx<'a> {
    hub: &'a DataHub,
    caller: &'a Caller,
    agencies: HashMap<String, Agency>,
}

/// An organization's CKAN name: the agency code in lower case.
#[must_use]
pub fn org_name(code: &str) -> String {
    code.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// CKAN's timestamp form: UTC without an offset, microseconds.
fn ckan_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

fn licence_dict(l: &vocabulary::Licence) -> Value {
    json!({
        "id": l.id,
        "title": l.title_vi,
        "title_en": l.title_en,
        "url": l.url,
        "od_conformance": if l.open { "approved" } else { "not reviewed" },
        "osd_conformance": "not reviewed",
        "is_okd_compliant": l.open,
        "is_osi_compliant": false,
        "status": "active",
        "family": "",
        "maintainer": "",
    })
}

fn group_dict(t: &vocabulary::Theme, count: Option<i64>) -> Value {
    let mut g = json!({
        "id": t.id,
        "name": t.id,
        "title": t.name_vi,
        "display_name": t.name_vi,
        "title_en": t.name_en,
        "description": t.name_en,
        "type": "group",
        "state": "active",
        "is_organization": false,
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
    });
    if let (Some(n), Some(o)) = (count, g.as_object_mut()) {
        o.insert("package_count".into(), n.into());
    }
    g
}

fn org_dict(a: &Agency, count: Option<i64>) -> Value {
    let mut o = json!({
        "id": a.code,
        "name": org_name(&a.code),
        "title": a.name_vi,
        "display_name": a.name_vi,
        "title_en": a.name_en,
        "description": a.name_en,
        "type": "organization",
        "state": "active",
        "is_organization": true,
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
        "created": null,
        "extras": [{ "key": "kind", "value": a.kind }],
    });
    if let (Some(n), Some(m)) = (count, o.as_object_mut()) {
        m.insert("package_count".into(), n.into());
    }
    o
}

/// A resource as CKAN shows it.
#[must_use]
pub fn resource_dict(r: &Resource) -> Value {
    json!({
        "id": r.id,
        "package_id": r.dataset_id,
        "name": r.name,
        "description": r.description,
        "format": r.format,
        "url": r.url,
        "url_type": if r.kind == ResourceKind::Upload { Value::from("upload") } else { Value::Null },
        "mimetype": vocabulary::file_format(&r.format).map(|f| f.media_type),
        "size": r.size_bytes,
        "position": r.position,
        "state": "active",
        "datastore_active": r.datastore_active,
        "created": ckan_time(r.created_at),
        "last_modified": ckan_time(r.modified_at),
        "metadata_modified": ckan_time(r.modified_at),
        "cache_url": null,
        "hash": "",
        "resource_type": null,
        "version": r.current_version,
        "row_count": r.row_count,
    })
}

impl Ctx<'_> {
    fn org_code(&self, value: &str) -> Option<String> {
        self.agencies.values().find(|a| a.code == value || org_name(&a.code) == value.to_ascii_lowercase()).map(|a| a.code.clone())
    }

    /// A dataset as a CKAN package dict.
    fn package(&self, d: &Dataset) -> Value {
        let licence = vocabulary::licence(&d.license_id);
        let org = self.agencies.get(&d.owner_agency);
        let mut extras: Vec<Value> = Vec::new();
        let mut extra = |k: &str, v: &str| {
            if !v.is_empty() {
                extras.push(json!({ "key": k, "value": v }));
            }
        };
        extra("title_en", &d.title_en);
        extra("notes_en", &d.notes_en);
        extra("sharing_level", d.sharing_level.as_str());
        extra("update_frequency", &d.update_frequency);
        extra("legal_basis", &d.legal_basis);
        extra("spatial", &d.spatial_geometry.as_ref().map(Value::to_string).unwrap_or_default());
        extra("spatial_ward", d.spatial_ward.as_deref().unwrap_or(""));
        extra("temporal_start", d.temporal_start.as_deref().unwrap_or(""));
        extra("temporal_end", d.temporal_end.as_deref().unwrap_or(""));
        for (k, v) in d.extras.iter().filter(|(k, _)| !KEPT_CORE_FIELDS.contains(&k.as_str())) {
            extras.push(json!({ "key": k, "value": v }));
        }
        extras.sort_by(|a, b| a["key"].as_str().cmp(&b["key"].as_str()));
        let kept = |k: &str| d.extras.get(k).map_or(Value::Null, |v| Value::String(v.clone()));
        json!({
            "id": d.id,
            "name": d.name,
            "title": d.title_vi,
            "notes": d.notes_vi,
            "type": "dataset",
            "state": d.state,
            "private": d.sharing_level != SharingLevel::Open,
            "owner_org": d.owner_agency,
            "organization": org.map(|a| org_dict(a, None)),
            "license_id": d.license_id,
            "license_title": licence.map(|l| l.title_vi),
            "license_url": licence.map(|l| l.url),
            "isopen": licence.is_some_and(|l| l.open),
            "maintainer": d.contact_name,
            "maintainer_email": d.contact_email,
            "author": kept("author"),
            "author_email": kept("author_email"),
            "url": kept("url"),
            "version": kept("version"),
            "creator_user_id": d.created_by,
            "metadata_created": ckan_time(d.created_at),
            "metadata_modified": ckan_time(d.modified_at),
            "revision": d.revision,
            "num_tags": d.tags.len(),
            "num_resources": d.resources.len(),
            "tags": d.tags.iter().map(|t| json!({ "name": t, "display_name": t, "state": "active", "vocabulary_id": null })).collect::<Vec<_>>(),
            "groups": d.themes.iter().filter_map(|t| vocabulary::theme(t)).map(|t| group_dict(t, None)).collect::<Vec<_>>(),
            "resources": d.resources.iter().map(resource_dict).collect::<Vec<_>>(),
            "extras": extras,
        })
    }

    async fn package_list(&self, p: &Params) -> Result<Value, ApiError> {
        let limit = p.int("limit", i64::MAX)?;
        let offset = p.int("offset", 0)?;
        if limit < 0 || offset < 0 {
            return Err(validation(if limit < 0 { "limit" } else { "offset" }, "Must be a natural number"));
        }
        Ok(self.hub.open_dataset_names(limit, offset).await?.into_iter().map(Value::String).collect())
    }

    async fn package_show(&self, p: &Params) -> Result<Value, ApiError> {
        let id = p.str("id").or_else(|| p.str("name_or_id")).ok_or_else(|| validation("id", "Missing value"))?;
        let d = self.hub.dataset(self.caller, &id).await.map_err(|e| not_found_as(e, "Not found"))?;
        Ok(self.package(&d))
    }

    async fn package_search(&self, p: &Params) -> Result<Value, ApiError> {
        let mut q = SearchQuery { include_private: p.bool("include_private", false)?, ..SearchQuery::default() };
        let mut words = Vec::new();
        if let Some(text) = p.str("q") {
            for clause in split_clauses(&text)? {
                match clause {
                    Term::Word(w) => words.push(w),
                    Term::Clause { field, value, negate } => self.add_clause(&mut q, &field, value, negate)?,
                }
            }
        }
        let mut fqs: Vec<String> = p.str("fq").into_iter().collect();
        fqs.extend(p.list("fq_list")?);
        for fq in fqs {
            for clause in split_clauses(&fq)? {
                match clause {
                    Term::Word(w) => return Err(search_error(format!("fq takes field:value clauses, not \"{w}\""))),
                    Term::Clause { field, value, negate } => self.add_clause(&mut q, &field, value, negate)?,
                }
            }
        }
        q.q = (!words.is_empty()).then(|| words.join(" "));
        let rows = p.int("rows", 10)?;
        let start = p.int("start", 0)?;
        if rows < 0 {
            return Err(validation("rows", "Must be a natural number"));
        }
        if start < 0 {
            return Err(validation("start", "Must be a natural number"));
        }
        q.rows = rows.min(ROWS_MAX);
        q.start = start;
        let sort_text = p.str("sort").unwrap_or_else(|| "score desc, metadata_modified desc".into());
        q.sort = parse_sort(&sort_text)?;
        let facet_fields = if p.bool("facet", true)? { p.list("facet.field")? } else { Vec::new() };
        for f in &facet_fields {
            if let Some(ff) = facet_field(f) {
                q.facets.push(ff);
            }
        }
        let limit = p.int("facet.limit", 50)?;
        q.facet_limit = usize::try_from(limit).ok();
        let found = self.hub.search(self.caller, &q).await?;
        let mut facets = Map::new();
        let mut search_facets = Map::new();
        for name in &facet_fields {
            let items =
                facet_field(name).and_then(|ff| found.facets.iter().find(|(f, _)| *f == ff)).map(|(_, i)| i.clone()).unwrap_or_default();
            let mut counts = Map::new();
            let mut list = Vec::new();
            for it in items {
                let (key, display) = self.facet_display(name, &it.name);
                counts.insert(key.clone(), it.count.into());
                list.push(json!({ "name": key, "display_name": display, "count": it.count }));
            }
            facets.insert(name.clone(), Value::Object(counts));
            search_facets.insert(name.clone(), json!({ "title": name, "items": list }));
        }
        Ok(json!({
            "count": found.count,
            "results": found.results.iter().map(|d| self.package(d)).collect::<Vec<_>>(),
            "sort": sort_text,
            "facets": facets,
            "search_facets": search_facets,
        }))
    }

    fn facet_display(&self, field: &str, value: &str) -> (String, String) {
        match field {
            "organization" => {
                let a = self.agencies.get(value);
                (org_name(value), a.map_or_else(|| value.to_string(), |a| a.name_vi.clone()))
            }
            "groups" => (value.to_string(), vocabulary::theme(value).map_or(value, |t| t.name_vi).to_string()),
            "license_id" => (value.to_string(), vocabulary::licence(value).map_or(value, |l| l.title_vi).to_string()),
            _ => (value.to_string(), value.to_string()),
        }
    }

    fn add_clause(&self, q: &mut SearchQuery, field: &str, value: String, negate: bool) -> Result<(), ApiError> {
        let field = field.strip_prefix("extras_").unwrap_or(field);
        let cf = match field {
            "organization" | "owner_org" => {
                // An unknown organization matches nothing: no dataset has an empty owner.
                let code = self.org_code(&value).unwrap_or_default();
                q.clauses.push(Clause { field: ClauseField::Organization, value: code, negate });
                return Ok(());
            }
            "tags" => ClauseField::Tags,
            "res_format" => ClauseField::ResFormat,
            "license_id" => ClauseField::LicenseId,
            "groups" => ClauseField::Groups,
            "name" => ClauseField::Name,
            "id" => ClauseField::Id,
            "sharing_level" => ClauseField::SharingLevel,
            // What CKAN adds to its own queries; every dataset here is one.
            "dataset_type" | "type" if value == "dataset" => return Ok(()),
            "state" if value == "active" => return Ok(()),
            "capacity" => {
                let f = ClauseField::SharingLevel;
                let public = value == "public";
                q.clauses.push(Clause { field: f, value: "open".into(), negate: negate == public });
                return Ok(());
            }
            other => return Err(search_error(format!("Unknown search field: {other}"))),
        };
        q.clauses.push(Clause { field: cf, value, negate });
        Ok(())
    }

    /// The fields of a package dict, as the catalogue takes them; `old` is
    /// the dataset being updated, whose owner and level stay when the dict
    /// does not name them.
    fn fields(&self, p: &Params, old: Option<&Dataset>) -> Result<(DatasetFields, Option<Vec<ResourceFields>>), ApiError> {
        let mut extras: BTreeMap<String, String> = BTreeMap::new();
        if let Some(v) = p.0.get("extras") {
            let Value::Array(list) = v else { return Err(validation("extras", "Must be a list of {key, value}")) };
            for e in list {
                let (Some(k), Some(val)) = (e.get("key").and_then(Value::as_str), e.get("value")) else {
                    return Err(validation("extras", "Each extra needs a key and a value"));
                };
                if e.get("deleted").is_some_and(|d| d.as_bool() == Some(true) || d.as_str() == Some("on")) {
                    continue;
                }
                let val = match val {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                };
                extras.insert(k.to_string(), val);
            }
        }
        // Top-level CityOS fields (as ckanext-scheming would put them) win over extras.
        let mut own = |k: &str| -> Option<String> { p.str(k).or_else(|| extras.remove(k)).filter(|v| !v.is_empty()) };
        let title_en = own("title_en");
        let notes_en = own("notes_en");
        let level = own("sharing_level");
        let update_frequency = own("update_frequency");
        let legal_basis = own("legal_basis");
        let spatial = own("spatial");
        let spatial_ward = own("spatial_ward");
        let temporal_start = own("temporal_start");
        let temporal_end = own("temporal_end");
        let level = match level {
            Some(l) => Some(SharingLevel::parse(&l).ok_or_else(|| validation("sharing_level", "Must be open, shared or restricted"))?),
            None => None,
        };
        let private = if p.0.contains_key("private") { Some(p.bool("private", false)?) } else { None };
        let old_level = old.map(|d| d.sharing_level);
        // `private` is coarse, `sharing_level` precise. When they disagree,
        // whichever differs from the dataset as it was is the change meant.
        let from_private = |private: bool| match (private, old_level) {
            (false, _) => SharingLevel::Open,
            (true, Some(SharingLevel::Open) | None) => SharingLevel::Shared,
            (true, Some(l)) => l,
        };
        let level = match (level, private) {
            (Some(l), Some(p)) if (l != SharingLevel::Open) != p && old_level == Some(l) => Some(from_private(p)),
            (Some(l), _) => Some(l),
            (None, Some(p)) => Some(from_private(p)),
            (None, None) => None,
        };
        let sharing_level = level.or(old.map(|d| d.sharing_level)).unwrap_or_default();
        let owner_agency = match p.str("owner_org") {
            Some(o) => self.org_code(&o).ok_or_else(|| validation("owner_org", "Organization does not exist"))?,
            None => old.map(|d| d.owner_agency.clone()).unwrap_or_default(),
        };
        let spatial_geometry = match spatial {
            Some(s) => Some(serde_json::from_str::<Value>(&s).map_err(|_| validation("spatial", "Must be a GeoJSON geometry"))?),
            None => None,
        };
        for k in KEPT_CORE_FIELDS {
            if let Some(v) = p.str(k) {
                extras.insert(k.to_string(), v);
            }
        }
        let tags = match p.0.get("tags") {
            Some(Value::Array(list)) => list
                .iter()
                .map(|t| match t {
                    Value::String(s) => Ok(s.clone()),
                    Value::Object(o) => {
                        o.get("name").and_then(Value::as_str).map(str::to_string).ok_or_else(|| validation("tags", "Each tag needs a name"))
                    }
                    _ => Err(validation("tags", "Each tag needs a name")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(Value::Null) | None => {
                p.str("tag_string").map(|s| s.split(',').map(|t| t.trim().to_string()).collect()).unwrap_or_default()
            }
            Some(_) => return Err(validation("tags", "Must be a list")),
        };
        let themes = match p.0.get("groups") {
            Some(Value::Array(list)) => list
                .iter()
                .map(|g| match g {
                    Value::String(s) => Ok(s.clone()),
                    Value::Object(o) => o
                        .get("name")
                        .or_else(|| o.get("id"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| validation("groups", "Each group needs a name or id")),
                    _ => Err(validation("groups", "Each group needs a name or id")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(Value::Null) | None => Vec::new(),
            Some(_) => return Err(validation("groups", "Must be a list")),
        };
        let resources = match p.0.get("resources") {
            Some(Value::Array(list)) => {
                Some(list.iter().map(|r| resource_fields(&Params(r.as_object().cloned().unwrap_or_default()))).collect::<Vec<_>>())
            }
            Some(Value::Null) | None => None,
            Some(_) => return Err(validation("resources", "Must be a list")),
        };
        let name = p.str("name").unwrap_or_default();
        let fields = DatasetFields {
            title_vi: p.str("title").unwrap_or_else(|| name.clone()),
            name,
            title_en: title_en.unwrap_or_default(),
            notes_vi: p.str("notes").unwrap_or_default(),
            notes_en: notes_en.unwrap_or_default(),
            owner_agency,
            sharing_level,
            license_id: p.str("license_id").unwrap_or_default(),
            update_frequency: update_frequency.unwrap_or_default(),
            spatial_ward,
            spatial_geometry,
            temporal_start,
            temporal_end,
            contact_name: p.str("maintainer").unwrap_or_default(),
            contact_email: p.str("maintainer_email").unwrap_or_default(),
            legal_basis: legal_basis.unwrap_or_default(),
            themes,
            tags,
            extras,
            state: p.str("state").filter(|s| s == "draft" || s == "active"),
        };
        Ok((fields, resources))
    }

    /// `package_create` (no target), `package_update` and `package_patch`.
    async fn package_write(&self, p: &Params, target: Option<(String, bool)>) -> Result<Value, ApiError> {
        let d = match target {
            None => {
                let (f, resources) = self.fields(p, None)?;
                self.hub.create_dataset(self.caller, &f, resources.as_deref()).await?
            }
            Some((id, patch)) => {
                let old = self.hub.dataset(self.caller, &id).await.map_err(|e| not_found_as(e, "Not found"))?;
                let merged;
                let p = if patch {
                    let Value::Object(mut base) = self.package(&old) else { return Err(ApiError::internal(&"package dict is an object")) };
                    base.remove("extras");
                    // Extras are patched key by key.
                    let mut extras: BTreeMap<String, Value> = BTreeMap::new();
                    for (k, v) in self.package(&old)["extras"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|e| Some((e["key"].as_str()?.to_string(), e["value"].clone())))
                    {
                        extras.insert(k, v);
                    }
                    if let Some(Value::Array(given)) = p.0.get("extras") {
                        for e in given {
                            if let Some(k) = e["key"].as_str() {
                                extras.insert(k.to_string(), e["value"].clone());
                            }
                        }
                    }
                    for (k, v) in &p.0 {
                        if k != "extras" {
                            base.insert(k.clone(), v.clone());
                        }
                    }
                    base.insert("extras".into(), extras.into_iter().map(|(k, v)| json!({ "key": k, "value": v })).collect());
                    merged = Params(base);
                    &merged
                } else {
                    p
                };
                let (mut f, resources) = self.fields(p, Some(&old))?;
                if f.name.is_empty() {
                    f.name.clone_from(&old.name);
                    if f.title_vi.is_empty() {
                        f.title_vi.clone_from(&old.title_vi);
                    }
                }
                self.hub.update_dataset(self.caller, &old.id, &f, resources.as_deref()).await?
            }
        };
        if p.bool("return_id_only", false)? {
            return Ok(Value::String(d.id));
        }
        Ok(self.package(&d))
    }

    async fn resource_show(&self, id: &str) -> Result<Value, ApiError> {
        let (r, _) = self.hub.resource(self.caller, id).await?;
        Ok(resource_dict(&r))
    }

    /// Adds the resource `p` describes (an `upload` one when its file
    /// follows); returns its id and whether it was made here.
    async fn resource_create(&self, p: &Params, upload: bool) -> Result<(String, bool), ApiError> {
        let package = p.required("package_id")?;
        let mut r = resource_fields(p);
        r.id = None;
        if upload {
            r.kind = ResourceKind::Upload;
            r.url = None;
        }
        Ok((self.hub.create_resource(self.caller, &package, &r).await?.id, true))
    }

    /// Changes a resource's metadata (`patch`: only the fields given); returns its id.
    async fn resource_change(&self, p: &Params, patch: bool) -> Result<String, ApiError> {
        let id = p.required("id")?;
        let (old, d) = self.hub.resource(self.caller, &id).await?;
        if !can_write(self.caller, &d.owner_agency) {
            self.caller.require_any(&[cityos_api::Role::DataOfficer, cityos_api::Role::AgencyAdmin])?;
            return Err(ApiError::forbidden(format!("only data officers of {} may change this resource", d.owner_agency)));
        }
        let mut r = if patch {
            let mut base = ResourceFields::from(&old);
            let given = resource_fields(p);
            if p.0.contains_key("name") {
                base.name = given.name;
            }
            if p.0.contains_key("description") {
                base.description = given.description;
            }
            if p.0.contains_key("format") {
                base.format = given.format;
            }
            if p.0.contains_key("url") {
                base.url = given.url;
            }
            base
        } else {
            resource_fields(p)
        };
        r.kind = old.kind;
        self.hub.update_resource(self.caller, &id, &r).await?;
        Ok(id)
    }

    /// `resource_create`/`update`/`patch` as multipart: the fields before the
    /// file in `upload` describe the resource; the file streams into the
    /// ingest as the resource's next version. A resource created for a file
    /// that cannot be ingested is removed again.
    async fn resource_multipart(&self, action: &str, req: Request) -> Result<Value, ApiError> {
        let mut p = Params::from_pairs(req.uri().query().unwrap_or("").as_bytes());
        let mut form = Multipart::from_request(req, &()).await.map_err(|e| ApiError::bad_request("invalid_multipart", e.body_text()))?;
        while let Some(field) = form.next_field().await.map_err(|e| multipart_error(&e))? {
            let name = field.name().unwrap_or("").to_string();
            if name == "upload" {
                let filename = field.file_name().map(str::to_string);
                let content_type = field.content_type().map(str::to_string);
                let (id, created) = match action {
                    "resource_create" => self.resource_create(&p, true).await?,
                    _ => (self.resource_change(&p, action == "resource_patch").await?, false),
                };
                let ingested =
                    self.hub.ingest_upload(self.caller, &id, Box::pin(field), filename.as_deref(), content_type.as_deref()).await;
                if let Err(e) = ingested {
                    if created {
                        if let Err(cleanup) = self.hub.delete_resource(self.caller, &id).await {
                            tracing::warn!(error = %ApiError::from(cleanup), resource = %id, "could not remove the resource whose upload failed");
                        }
                    }
                    return Err(e.into());
                }
                return self.resource_show(&id).await;
            }
            if field.file_name().is_none() {
                let text = field.text().await.map_err(|e| multipart_error(&e))?;
                p.0.insert(name, Value::String(text));
            }
        }
        // No file after all: the plain action.
        let id = match action {
            "resource_create" => self.resource_create(&p, false).await?.0,
            _ => self.resource_change(&p, action == "resource_patch").await?,
        };
        self.resource_show(&id).await
    }

    async fn organization_list(&self, p: &Params) -> Result<Value, ApiError> {
        let all_fields = p.bool("all_fields", false)?;
        let (by_agency, _) = self.hub.open_counts().await?;
        let wanted = p.list("organizations")?;
        let mut orgs: Vec<&Agency> = self
            .agencies
            .values()
            .filter(|a| wanted.is_empty() || wanted.iter().any(|w| *w == a.code || *w == org_name(&a.code)))
            .collect();
        let sort = p.str("sort").unwrap_or_else(|| "title asc".into());
        let (key, desc) =
            sort.trim().split_once(' ').map_or((sort.trim(), false), |(k, d)| (k.trim(), d.trim().eq_ignore_ascii_case("desc")));
        let count = |a: &Agency| by_agency.get(&a.code).copied().unwrap_or(0);
        match key {
            "name" => orgs.sort_by_key(|a| org_name(&a.code)),
            "title" => orgs.sort_by(|a, b| cityos_text::fold(&a.name_vi).cmp(&cityos_text::fold(&b.name_vi)).then(a.code.cmp(&b.code))),
            "package_count" => orgs.sort_by(|a, b| count(a).cmp(&count(b)).then(a.code.cmp(&b.code))),
            other => return Err(validation("sort", &format!("Cannot sort by field `{other}`"))),
        }
        if desc {
            orgs.reverse();
        }
        let offset = usize::try_from(p.int("offset", 0)?).map_err(|_| validation("offset", "Must be a natural number"))?;
        let limit = usize::try_from(p.int("limit", 1000)?).map_err(|_| validation("limit", "Must be a natural number"))?;
        let page = orgs.into_iter().skip(offset).take(limit);
        if all_fields {
            let with_count = p.bool("include_dataset_count", true)?;
            Ok(page.map(|a| org_dict(a, with_count.then(|| count(a)))).collect())
        } else {
            Ok(page.map(|a| Value::String(org_name(&a.code))).collect())
        }
    }

    async fn organization_show(&self, p: &Params) -> Result<Value, ApiError> {
        let id = p.required("id")?;
        let code = self.org_code(&id).ok_or_else(|| ApiError::not_found("Organization not found"))?;
        let a = self.agencies.get(&code).ok_or_else(|| ApiError::not_found("Organization not found"))?;
        let q = SearchQuery {
            clauses: vec![Clause { field: ClauseField::Organization, value: code.clone(), negate: false }],
            include_private: true,
            sort: vec![(SortField::Name, false)],
            rows: if p.bool("include_datasets", false)? { ROWS_MAX } else { 0 },
            ..SearchQuery::default()
        };
        let found = self.hub.search(self.caller, &q).await?;
        let mut o = org_dict(a, Some(found.count));
        if let Some(m) = o.as_object_mut() {
            m.insert("packages".into(), found.results.iter().map(|d| self.package(d)).collect());
            m.insert("users".into(), json!([]));
        }
        Ok(o)
    }

    async fn group_list(&self, p: &Params) -> Result<Value, ApiError> {
        let (_, by_theme) = self.hub.open_counts().await?;
        if p.bool("all_fields", false)? {
            Ok(THEMES.iter().map(|t| group_dict(t, Some(by_theme.get(t.id).copied().unwrap_or(0)))).collect())
        } else {
            Ok(THEMES.iter().map(|t| Value::String(t.id.into())).collect())
        }
    }

    async fn group_show(&self, p: &Params) -> Result<Value, ApiError> {
        let id = p.required("id")?;
        let t = vocabulary::theme(&id).ok_or_else(|| ApiError::not_found("Group not found"))?;
        let (_, by_theme) = self.hub.open_counts().await?;
        Ok(group_dict(t, Some(by_theme.get(t.id).copied().unwrap_or(0))))
    }

    async fn datastore_search(&self, p: &Params) -> Result<Value, ApiError> {
        let resource = p.str("resource_id").or_else(|| p.str("id")).ok_or_else(|| validation("resource_id", "Missing value"))?;
        let params = crate::datastore::DatastoreSearch::from_ckan(&p.0)?;
        let found = self.hub.datastore_search(self.caller, &resource, &params).await?;
        serde_json::to_value(found).map_err(|e| ApiError::internal(&e))
    }
}

fn not_found_as(e: DataHubError, message: &str) -> ApiError {
    let e = ApiError::from(e);
    if e.status == StatusCode::NOT_FOUND {
        ApiError::not_found(message)
    } else {
        e
    }
}

fn resource_fields(p: &Params) -> ResourceFields {
    ResourceFields {
        id: p.str("id"),
        name: p.str("name").unwrap_or_default(),
        description: p.str("description").unwrap_or_default(),
        format: p.str("format").unwrap_or_default(),
        url: p.str("url"),
        kind: ResourceKind::Url,
    }
}

fn facet_field(name: &str) -> Option<FacetField> {
    match name.strip_prefix("extras_").unwrap_or(name) {
        "organization" | "owner_org" => Some(FacetField::Organization),
        "tags" => Some(FacetField::Tags),
        "res_format" => Some(FacetField::ResFormat),
        "license_id" => Some(FacetField::LicenseId),
        "groups" => Some(FacetField::Groups),
        "sharing_level" => Some(FacetField::SharingLevel),
        _ => None,
    }
}

fn parse_sort(text: &str) -> Result<Vec<(SortField, bool)>, ApiError> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let mut it = part.split_whitespace();
        let field = it.next().unwrap_or("");
        let desc = match it.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => return Err(search_error(format!("Invalid sort direction: {other}"))),
        };
        let f = match field {
            "score" => SortField::Score,
            "metadata_modified" => SortField::Modified,
            "metadata_created" => SortField::Created,
            "title_string" | "title" => SortField::Title,
            "name" => SortField::Name,
            other => return Err(search_error(format!("Cannot sort by field `{other}`"))),
        };
        out.push((f, desc));
    }
    Ok(out)
}

/// A piece of `q` or `fq`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// Free text.
    Word(String),
    /// `field:value` (with `-` or `NOT` before it: negated).
    Clause { field: String, value: String, negate: bool },
}

/// Splits Solr-like query text into words and `field:value` clauses, with
/// quoted values; `+`, `AND` and `*:*` are accepted and mean nothing more.
/// Anything else Solr would read as syntax is refused.
fn split_clauses(text: &str) -> Result<Vec<Term>, ApiError> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut negate_next = false;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let mut negate = std::mem::take(&mut negate_next);
        match chars[i] {
            '+' => i += 1,
            '-' => {
                negate = true;
                i += 1;
            }
            '(' | ')' | '{' | '}' | '[' | ']' | '^' | '~' => return Err(search_error("Only words and field:value clauses are supported")),
            _ => {}
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != ':' && chars[i] != '"' {
            i += 1;
        }
        let head: String = chars[start..i].iter().collect();
        if i < chars.len() && chars[i] == ':' && !head.is_empty() && head.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            i += 1;
            let value = if i < chars.len() && chars[i] == '"' {
                i += 1;
                let vstart = i;
                while i < chars.len() && chars[i] != '"' {
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(search_error("Unbalanced quotes"));
                }
                let v: String = chars[vstart..i].iter().collect();
                i += 1;
                v
            } else {
                let vstart = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                chars[vstart..i].iter().collect()
            };
            if head == "*" || value == "*" {
                continue;
            }
            if value.is_empty() {
                return Err(search_error(format!("No value for {head}")));
            }
            out.push(Term::Clause { field: head, value, negate });
        } else if i < chars.len() && chars[i] == '"' {
            // A quoted phrase is searched as its words.
            i += 1;
            let vstart = i;
            while i < chars.len() && chars[i] != '"' {
                i += 1;
            }
            let phrase: String = chars[vstart..i.min(chars.len())].iter().collect();
            i += 1;
            out.push(Term::Word(phrase));
        } else {
            // `*:*` splits as `*` then `:*`; both mean "everything".
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            match word.as_str() {
                "AND" | "*" | "*:*" | ":*" => {}
                "NOT" => negate_next = true,
                "OR" => return Err(search_error("OR is not supported: run one search per alternative")),
                _ if negate => return Err(search_error("Negation applies to field:value clauses only")),
                _ => out.push(Term::Word(word)),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clause(f: &str, v: &str, negate: bool) -> Term {
        Term::Clause { field: f.into(), value: v.into(), negate }
    }

    #[test]
    fn splits_words_and_clauses() {
        let t = split_clauses(r#"benh vien organization:so-yt -tags:"y tế" +res_format:CSV AND *:*"#).unwrap();
        assert_eq!(
            t,
            vec![
                Term::Word("benh".into()),
                Term::Word("vien".into()),
                clause("organization", "so-yt", false),
                clause("tags", "y tế", true),
                clause("res_format", "CSV", false),
            ]
        );
        assert_eq!(split_clauses("NOT license_id:other-closed").unwrap(), vec![clause("license_id", "other-closed", true)]);
        for bad in ["(a OR b)", "a OR b", "tags:\"open", "^boost"] {
            let e = split_clauses(bad).unwrap_err();
            assert_eq!(e.code, "search_query_error", "{bad}");
        }
    }

    #[test]
    fn sorts_parse_like_solr() {
        assert_eq!(parse_sort("score desc, metadata_modified desc").unwrap(), vec![(SortField::Score, true), (SortField::Modified, true)]);
        assert_eq!(parse_sort("title_string asc").unwrap(), vec![(SortField::Title, false)]);
        assert!(parse_sort("views desc").is_err());
        assert!(parse_sort("name sideways").is_err());
    }

    #[test]
    fn params_read_ckan_shapes() {
        let p = Params::from_pairs(b"facet.field=%5B%22tags%22%2C%22organization%22%5D&rows=5&private=True&fq_list=a:b&fq_list=c:d");
        assert_eq!(p.list("facet.field").unwrap(), vec!["tags", "organization"]);
        assert_eq!(p.int("rows", 10).unwrap(), 5);
        assert!(p.bool("private", false).unwrap());
        assert_eq!(p.list("fq_list").unwrap(), vec!["a:b", "c:d"]);
        assert_eq!(p.int("start", 0).unwrap(), 0);
        let e = Params::from_pairs(b"rows=ten").int("rows", 10).unwrap_err();
        assert_eq!(ckan_type(&e), (StatusCode::CONFLICT, "Validation Error"));
    }

    #[test]
    fn errors_use_ckan_types_and_statuses() {
        let (s, body) = error_body(&ApiError::not_found("x"), "h");
        assert_eq!((s, body["error"]["__type"].as_str()), (StatusCode::NOT_FOUND, Some("Not Found Error")));
        assert_eq!(body["success"], false);
        let (s, body) = error_body(&ApiError::unauthorized(), "h");
        assert_eq!((s, body["error"]["__type"].as_str()), (StatusCode::FORBIDDEN, Some("Authorization Error")));
        let (s, body) = error_body(&validation("name", "Missing value"), "h");
        assert_eq!(s, StatusCode::CONFLICT);
        assert_eq!(body["error"]["name"], json!(["Missing value"]));
        let (s, body) = error_body(&search_error("bad"), "h");
        assert_eq!((s, body["error"]["__type"].as_str()), (StatusCode::BAD_REQUEST, Some("Search Query Error")));
    }

    #[test]
    fn org_names_are_lower_case_slugs() {
        assert_eq!(org_name("SO-YT"), "so-yt");
        assert_eq!(org_name("UBND-P-SAIGON"), "ubnd-p-saigon");
        assert_eq!(org_name("A B.C"), "a-b-c");
    }

    #[test]
    fn upload_paths() {
        assert!(is_upload_path("/api/action/resource_create"));
        assert!(is_upload_path("/api/3/action/resource_patch"));
        assert!(!is_upload_path("/api/3/action/package_create"));
        assert!(!is_upload_path("/api/action/resource_create/x"));
    }

    #[test]
    fn ckan_paths() {
        assert!(is_ckan_path("/api/action/package_show"));
        assert!(is_ckan_path("/api/3/action/x"));
        assert!(!is_ckan_path("/api/actions"));
        assert!(!is_ckan_path("/api/datahub/datasets"));
    }
}
